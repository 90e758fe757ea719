"""Typed importers of what actually happened (seed tasks 37–39, 41), one per kind of file, through
the one tabular import (:mod:`lantian.tabular`): per-line daily electricity use or production share
from the power company, gate records of freight movements, and the enterprises' own fleets.

All-or-nothing: every bad row is reported (row number, column, why); a file with any problem
writes nothing; an accepted file is kept in the file store and its rows replace the values stored
for the same keys, so a corrected file re-imported changes only what it corrects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth import audit
from lantian.auth.permissions import Principal, can, resource
from lantian.db.audited import acting_as
from lantian.emissions.models import Enterprise
from lantian.errors import Invalid
from lantian.execution.models import (
    VEHICLE_STANDARDS,
    ExecutionUpload,
    FleetVehicle,
    GateMovement,
    LineDay,
)
from lantian.files import FileStore
from lantian.tabular import Column, TableRead, TableSpec, read_table
from lantian.timeutil import CHINA_TZ

#: Largest file accepted (a year of hourly gate records of a big firm fits).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: A Chinese plate: province character, a letter, 5 (fuel) or 6 (new-energy) letters or digits.
PLATE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-Z0-9]{5,6}$")
STANDARD_LABELS = {
    "china1": "国I",
    "china2": "国II",
    "china3": "国III",
    "china4": "国IV",
    "china5": "国V",
    "china6": "国VI",
    "electric": "新能源",
}
DIRECTION_LABELS = {"in": "进", "out": "出"}

_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _plate(value: str) -> str:
    plate = value.replace(" ", "").replace("·", "").upper()
    if not PLATE.fullmatch(plate):
        raise ValueError("车牌号格式不对（如 豫A12345）/ not a plate (e.g. 豫A12345)")
    return plate


class ElectricityRow(BaseModel):
    """One line's day: kWh from the power company and/or the share of normal output produced."""

    model_config = _CONFIG

    credit_code: str = Field(min_length=18, max_length=18)
    line: str = Field(min_length=1, max_length=120)
    day: date
    kwh: float | None = Field(default=None, ge=0)
    output_share: float | None = Field(default=None, ge=0, le=2)

    @model_validator(mode="after")
    def _one_reading(self) -> ElectricityRow:
        if self.kwh is None and self.output_share is None:
            raise ValueError("用电量和生产负荷至少填一项 / give the kWh or the production share")
        return self


class GateRow(BaseModel):
    """A truck passing the gate."""

    model_config = _CONFIG

    credit_code: str = Field(min_length=18, max_length=18)
    plate: str
    passed_at: datetime
    direction: Literal["in", "out"]
    standard: Literal["china1", "china2", "china3", "china4", "china5", "china6", "electric"]
    cargo: str | None = Field(default=None, max_length=100)
    tonnes: float | None = Field(default=None, ge=0, le=100)
    safety: bool = False

    _check_plate = field_validator("plate")(_plate)


class FleetRow(BaseModel):
    """A truck of the enterprise's own fleet."""

    model_config = _CONFIG

    credit_code: str = Field(min_length=18, max_length=18)
    plate: str
    standard: Literal["china1", "china2", "china3", "china4", "china5", "china6", "electric"]
    sealed: bool = False

    _check_plate = field_validator("plate")(_plate)


_ENTERPRISE = Column(
    "credit_code",
    "credit_code",
    "统一社会信用代码",
    aliases=("企业代码", "信用代码"),
    example="91410183MA44XXXX0X",
    width=22,
)
_STANDARDS = dict(STANDARD_LABELS)

ELECTRICITY_SPEC: TableSpec[ElectricityRow] = TableSpec(
    ElectricityRow,
    (
        _ENTERPRISE,
        Column("line", "line", "生产线", aliases=("产线", "工序"), example="1号窑"),
        Column("day", "day", "日期", aliases=("用电日期",), example="2019-01-03"),
        Column("kwh", "kwh", "用电量", aliases=("用电量kWh", "日用电量"), example="48200"),
        Column(
            "output_share",
            "output_share",
            "生产负荷",
            aliases=("负荷率", "生产比例"),
            example="",
            note_zh="正常产量的比例，0–1",
            note_en="share of normal output, 0–1",
        ),
    ),
    title="分线日用电量/生产负荷 (供电公司) / per-line daily electricity use or production share",
    unknown_columns="refuse",
)
GATE_SPEC: TableSpec[GateRow] = TableSpec(
    GateRow,
    (
        _ENTERPRISE,
        Column("plate", "plate", "车牌号", aliases=("车牌", "号牌"), example="豫A12345"),
        Column(
            "passed_at",
            "passed_at",
            "通行时间",
            aliases=("时间", "进出时间"),
            example="2019-01-03 08:15",
            number_format="yyyy-mm-dd hh:mm",
        ),
        Column(
            "direction",
            "direction",
            "进出",
            aliases=("方向",),
            choices=DIRECTION_LABELS,
            example="进",
        ),
        Column("standard", "standard", "排放标准", choices=_STANDARDS, example="国V"),
        Column("cargo", "cargo", "货物", aliases=("货物名称",), example="熟料"),
        Column("tonnes", "tonnes", "载重吨", aliases=("载重", "重量"), example="32"),
        Column("safety", "safety", "保安全生产", aliases=("保安全",), example="否"),
    ),
    title="门禁进出记录 / gate records of freight movements (task 39)",
    unknown_columns="refuse",
)
FLEET_SPEC: TableSpec[FleetRow] = TableSpec(
    FleetRow,
    (
        _ENTERPRISE,
        Column("plate", "plate", "车牌号", aliases=("车牌", "号牌"), example="豫A12345"),
        Column("standard", "standard", "排放标准", choices=_STANDARDS, example="国IV"),
        Column("sealed", "sealed", "封存", aliases=("是否封存",), example="否"),
    ),
    title="企业自有车队 / the enterprise's own fleet (task 39)",
    unknown_columns="refuse",
)

SPECS: dict[str, TableSpec[Any]] = {
    "electricity": ELECTRICITY_SPEC,
    "gate": GATE_SPEC,
    "fleet": FLEET_SPEC,
}
KIND_LABELS = {
    "electricity": ("分线用电量/生产负荷", "per-line electricity use / production share"),
    "gate": ("门禁进出记录", "gate records"),
    "fleet": ("自有车队", "enterprise fleet"),
}


@dataclass(frozen=True)
class ImportResult:
    kind: str
    filename: str
    rows: int
    upload_id: int
    sha256: str


def _key(row: Any, kind: str) -> tuple[Any, ...]:
    if kind == "electricity":
        return (row.credit_code, row.line, row.day)
    if kind == "gate":
        return (row.credit_code, row.plate, row.passed_at, row.direction)
    return (row.credit_code, row.plate)


def _china(moment: datetime) -> datetime:
    """A gate time written without a zone is China time (the gate system's clock)."""
    return moment.replace(tzinfo=CHINA_TZ) if moment.tzinfo is None else moment


def _check_rows(
    session: Session, who: Principal, kind: str, read: TableRead[Any]
) -> dict[str, Enterprise]:
    codes = {row.value.credit_code for row in read.rows}
    enterprises = {
        e.credit_code: e
        for e in session.scalars(select(Enterprise).where(Enterprise.credit_code.in_(codes)))
    }
    seen: dict[tuple[Any, ...], int] = {}
    for row in read.rows:
        value = row.value
        if kind == "gate":
            value.passed_at = _china(value.passed_at)
        enterprise = enterprises.get(value.credit_code)
        if enterprise is None:
            read.problem(
                row.number,
                "credit_code",
                value.credit_code,
                "排放清单中没有该企业 / no enterprise of the inventory has this credit code",
            )
        elif not can(who, "write", resource("emission_source", area=enterprise.area_code)):
            read.problem(
                row.number,
                "credit_code",
                value.credit_code,
                "无权登记该企业的数据 / outside your scope",
            )
        elif kind == "electricity" and value.line not in {ln.name for ln in enterprise.lines}:
            read.problem(
                row.number,
                "line",
                value.line,
                f"企业 {enterprise.name} 没有这条生产线（清单中：{'、'.join(ln.name for ln in enterprise.lines)}）"
                " / the enterprise has no such line in the inventory",
            )
        key = _key(value, kind)
        if key in seen:
            read.problem(row.number, "", "", f"与第 {seen[key]} 行重复 / repeats row {seen[key]}")
        seen.setdefault(key, row.number)
    return enterprises


def _write_electricity(
    session: Session, rows: Sequence[ElectricityRow], ids: dict[str, int], upload: int
) -> None:
    days = [row.day for row in rows]
    stored = {
        (r.enterprise_id, r.line, r.day): r
        for r in session.scalars(
            select(LineDay).where(
                LineDay.enterprise_id.in_(set(ids.values())),
                LineDay.day >= min(days),
                LineDay.day <= max(days),
            )
        )
    }
    for row in rows:
        key = (ids[row.credit_code], row.line, row.day)
        found = stored.get(key)
        if found is None:
            found = LineDay(enterprise_id=key[0], line=row.line, day=row.day)
            session.add(found)
        found.kwh, found.output_share, found.upload_id = row.kwh, row.output_share, upload


def _write_gate(
    session: Session, rows: Sequence[GateRow], ids: dict[str, int], upload: int
) -> None:
    times = [row.passed_at for row in rows]
    stored = {
        (r.enterprise_id, r.plate, r.passed_at, r.direction): r
        for r in session.scalars(
            select(GateMovement).where(
                GateMovement.enterprise_id.in_(set(ids.values())),
                GateMovement.passed_at >= min(times),
                GateMovement.passed_at <= max(times),
            )
        )
    }
    for row in rows:
        key = (ids[row.credit_code], row.plate, row.passed_at, row.direction)
        found = stored.get(key)
        if found is None:
            found = GateMovement(
                enterprise_id=key[0],
                plate=row.plate,
                passed_at=row.passed_at,
                direction=row.direction,
            )
            session.add(found)
        found.standard, found.cargo, found.tonnes = row.standard, row.cargo, row.tonnes
        found.safety, found.upload_id = row.safety, upload


def _write_fleet(
    session: Session, rows: Sequence[FleetRow], ids: dict[str, int], upload: int
) -> None:
    stored = {
        (r.enterprise_id, r.plate): r
        for r in session.scalars(
            select(FleetVehicle).where(FleetVehicle.enterprise_id.in_(set(ids.values())))
        )
    }
    for row in rows:
        key = (ids[row.credit_code], row.plate)
        found = stored.get(key)
        if found is None:
            found = FleetVehicle(enterprise_id=key[0], plate=row.plate)
            session.add(found)
        found.standard, found.sealed, found.upload_id = row.standard, row.sealed, upload


_WRITERS: dict[str, Callable[[Session, Any, dict[str, int], int], None]] = {
    "electricity": _write_electricity,
    "gate": _write_gate,
    "fleet": _write_fleet,
}


def import_facts(
    session: Session,
    who: Principal,
    kind: str,
    content: bytes,
    filename: str,
    *,
    store: FileStore,
) -> ImportResult:
    """Import one file of facts (``kind``: electricity, gate or fleet), all rows or none.

    Every bad row is reported (:class:`~lantian.tabular.Rejected`): a cell of the wrong type, an
    enterprise not in the inventory or outside ``who``'s scope, a line the enterprise does not
    have, a row repeating another's key. The original upload is kept in ``store``."""
    spec = SPECS.get(kind)
    if spec is None:
        raise Invalid(
            f"未知数据类型 {kind!r}（可用：{'、'.join(SPECS)}）/ unknown kind", field="kind"
        )
    if len(content) > MAX_FILE_BYTES:
        raise Invalid(f"{filename}: 文件过大 / the file is too large")
    read = read_table(content, spec, name=filename)
    enterprises = _check_rows(session, who, kind, read)
    if not read.rows and not read.problems:
        read.problem(0, "", "", "文件中没有数据行 / the file holds no data rows")
    read.raise_if_problems()
    audit.lock_chain(session)
    kept = store.put_bytes(content)
    actor = who.username or "public"
    with session.begin_nested():
        with acting_as(session, actor, action="execution_upload.add"):
            upload = ExecutionUpload(
                kind=kind,
                filename=Path(filename).name[:255],
                sha256=kept.sha256,
                imported_by=actor,
                rows=len(read.rows),
            )
            session.add(upload)
            session.flush()
        ids = {code: e.id for code, e in enterprises.items()}
        _WRITERS[kind](session, read.values, ids, upload.id)
        session.flush()
    return ImportResult(kind, upload.filename, upload.rows, upload.id, kept.sha256)


__all__ = [
    "ELECTRICITY_SPEC",
    "FLEET_SPEC",
    "GATE_SPEC",
    "KIND_LABELS",
    "SPECS",
    "VEHICLE_STANDARDS",
    "ImportResult",
    "import_facts",
]
