"""Loose coal found burning again (散煤复烧发现, plan task 12) and the ban zone it is judged by.

Task 12(1): "城市建成区应划定为高污染燃料禁燃区。" Task 12(2): "已完成电代煤、气代煤和划定为高污染
燃料禁燃区的区域，一律不得燃用散煤，防止已完成替代的地区散煤复烧。" Task 13: "对已完成以电代煤、
以气代煤的乡镇、街道 … 一律取消散煤销售网点，严禁散煤流入。"

One entry is one finding: where (coordinates, required), when, what was found (burning, a stock,
a sale), how much, and the village it lies in when known (the key of the “双替代” village register).
A finding inside the plan's ban zone (``ban_zones.geojson`` of the plan folder, read by
:mod:`lantian.plan`) or in a village already accepted as converted is a breach: it opens a case for
the finding's township. :func:`ban_zone_geojson` gives the zone to the register's map.

Lifecycle::

    found ──rectify──► rectifying ──clear (coal removed, with a photo)──► cleared
    cleared ──reopen (found again)──► rectifying
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import Date, Float, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources import registry
from lantian.sources.kinds.clean_heating import HeatingVillage
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    RegisterKind,
    Rule,
    SampleContext,
    end_of_day,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

if TYPE_CHECKING:
    from lantian.plan import Plan

FINDINGS = {"burning": "燃用散煤", "stock": "存放散煤", "sale": "销售散煤"}
Finding = Literal["burning", "stock", "sale"]
CLAUSE_ZONE = "任务12(1)：城市建成区应划定为高污染燃料禁燃区"
CLAUSE_RELAPSE = (
    "任务12(2)：已完成电代煤、气代煤和划定为高污染燃料禁燃区的区域，一律不得燃用散煤，"
    "防止已完成替代的地区散煤复烧"
)
CLAUSE_SUPPLY = (
    "任务13：对已完成以电代煤、以气代煤的乡镇、街道 … 一律取消散煤销售网点，严禁散煤流入"
)


class LooseCoalFinding(RegisterRecord):
    __tablename__ = "src_loose_coal_findings"
    __audit_type__ = "loose_coal_finding"

    found_on: Mapped[date] = mapped_column(Date, index=True)
    finding: Mapped[str] = mapped_column(String(10))
    quantity_kg: Mapped[float | None] = mapped_column(Float)
    #: The “双替代” village it lies in (key of the heating_village register), when known.
    village_key: Mapped[str | None] = mapped_column(String(64), index=True)


class FindingRow(RegisterRow):
    found_on: date
    finding: Finding
    quantity_kg: float | None = Field(default=None, ge=0, le=1e7)
    village_key: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _located(self) -> FindingRow:
        if self.longitude is None or self.latitude is None:
            raise ValueError(
                "发现地点须填写经度和纬度（判断是否在禁燃区内）/ a finding needs its longitude "
                "and latitude (to judge whether it lies in the ban zone)"
            )
        return self


COAL_REMOVED = ChecklistItem(
    "coal_removed", "散煤清除、炉具拆除", "loose coal and stove removed", CLAUSE_RELAPSE, True
)
NOT_BURNING = ChecklistItem("not_burning", "回访未再燃用散煤", "not burning again", CLAUSE_RELAPSE)
CHECKLIST = (COAL_REMOVED, NOT_BURNING)


def _cleared_holds(facts: Facts) -> list[Unmet]:
    return unproven(facts, (COAL_REMOVED,))


LIFECYCLE = Lifecycle(
    states=(
        State("found", "已发现", "found"),
        State("rectifying", "整改中", "being rectified"),
        State("cleared", "已清理", "cleared", closed=True),
    ),
    initial="found",
    transitions=(
        step(
            "rectify",
            ("责令整改", "order rectification"),
            {"found"},
            "rectifying",
            KEEPERS,
            CLAUSE_RELAPSE,
        ),
        step(
            "clear",
            ("清理销号", "clear"),
            {"found", "rectifying"},
            "cleared",
            KEEPERS,
            CLAUSE_RELAPSE,
            guard=_cleared_holds,
        ),
        step(
            "reopen",
            ("再次发现", "found again"),
            {"cleared"},
            "rectifying",
            VERIFIERS,
            CLAUSE_RELAPSE,
            note_required=True,
        ),
    ),
)


def in_ban_zone(plan: Plan | None, longitude: float | None, latitude: float | None) -> bool:
    """Whether a point lies in one of the plan's fuel ban zones (False without zones or a point)."""
    return registry.in_ban_zone("fuel", plan, longitude, latitude)


def ban_zone_geojson(plan: Plan) -> dict[str, Any] | None:
    """The plan's fuel ban zones as a GeoJSON FeatureCollection for the map (None: it has none)."""
    return registry.ban_zone_layer("fuel", plan)


def _village_of(session: Session, record: RegisterRecord) -> Mapping[str, Any]:
    key = getattr(record, "village_key", None)
    if not key:
        return {}
    village = session.scalar(select(HeatingVillage).where(HeatingVillage.key == key))
    if village is None:
        return {}
    return {"village": {"key": village.key, "name": village.name, "state": village.state}}


def _observed(record: Any) -> Any:

    return end_of_day(record.found_on)


def _what(record: Any) -> str:
    return FINDINGS.get(record.finding, str(record.finding))


def _inside_ban_zone(facts: Facts) -> Breach | None:
    """Loose coal inside the high-polluting-fuel ban zone."""
    record: Any = facts.record
    if not in_ban_zone(facts.plan, record.longitude, record.latitude):
        return None
    return Breach(
        title=f"高污染燃料禁燃区内发现{_what(record)}：{record.address or record.name}",
        description=f"{record.found_on} 在禁燃区内（{record.longitude}, {record.latitude}）发现"
        f"{_what(record)}{f' {record.quantity_kg:g} kg' if record.quantity_kg else ''} / loose "
        "coal found inside the ban zone",
        observed_at=_observed(record),
        severity="serious",
        deadline=_observed(record) + timedelta(days=3),
    )


def _in_converted_village(facts: Facts) -> Breach | None:
    """Loose coal in a village already accepted as converted (散煤复烧)."""
    record: Any = facts.record
    village = facts.context.get("village")
    if not village or village["state"] != "accepted":
        return None
    return Breach(
        title=f"已完成“双替代”村庄散煤复烧：{village['name']}",
        description=f"{record.found_on} 在已验收的“双替代”村庄 {village['name']}"
        f"（{village['key']}）发现{_what(record)} / loose coal in a village accepted as converted",
        observed_at=_observed(record),
        severity="serious",
        deadline=_observed(record) + timedelta(days=3),
    )


#: The city seat's centre (for the demo's findings in the built-up area).
SEAT = (113.385, 34.537)


def _sample(context: SampleContext) -> list[FindingRow]:
    """Inspectors' findings of a heating season: a third in the city seat, the rest in towns."""
    rng = context.rng
    rows: list[FindingRow] = []
    areas = list(context.areas)
    seat_area = next((a for a in areas if a[0].endswith("100")), areas[0])
    for number in range(1, 19):
        in_seat = number % 3 == 0
        code, area_name = seat_area if in_seat else rng.choice(areas)
        if in_seat:
            longitude = SEAT[0] + rng.uniform(-0.02, 0.02)
            latitude = SEAT[1] + rng.uniform(-0.015, 0.015)
        else:
            longitude = 113.2 + rng.random() * 0.35
            latitude = 34.4 + rng.random() * 0.1
        found_on = date(2017, 11, 15) + timedelta(days=rng.randint(0, 110))
        finding: Finding = rng.choices(("burning", "stock", "sale"), (5, 3, 1))[0]
        rows.append(
            FindingRow(
                key=f"SMFS-{found_on:%m%d}-{number:03d}",
                name=f"{area_name}{FINDINGS[finding]}",
                area_code=code,
                unit_code="gszjj",
                address=f"新密市{area_name}",
                longitude=round(longitude, 5),
                latitude=round(latitude, 5),
                note="示例数据 / sample",
                found_on=found_on,
                finding=finding,
                quantity_kg=float(rng.choice((50, 100, 200, 500, 1000))),
            )
        )
    return rows


KIND = RegisterKind(
    key="loose_coal_finding",
    zh="散煤复烧发现",
    en="loose-coal finding",
    tasks=("12(1)", "12(2)", "13"),
    model=LooseCoalFinding,
    row=FindingRow,
    columns=columns(
        Column("found_on", "found on", "发现日期", example="2017-12-05", width=12),
        Column("finding", "finding", "发现情况", choices=FINDINGS, example="燃用散煤 burning"),
        Column("quantity_kg", "quantity kg", "数量（千克）", example="200", width=12),
        Column(
            "village_key",
            "village key",
            "所在“双替代”村庄编号",
            example="SDT-101-01",
            note_zh="“双替代”村庄台账的编号（可空）",
            note_en="the key in the register of converted villages (may be empty)",
            width=16,
        ),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "in_ban_zone",
            "禁燃区内燃用散煤",
            "loose coal in the ban zone",
            CLAUSE_ZONE,
            _inside_ban_zone,
        ),
        Rule(
            "in_converted_village",
            "已替代村庄散煤复烧",
            "loose coal in a converted village",
            CLAUSE_RELAPSE,
            _in_converted_village,
        ),
    ),
    sample=_sample,
    list_fields=("found_on", "finding", "village_key"),
    filter_fields=("finding",),
    order=12,
    context=_village_of,
    map_layer=ban_zone_geojson,
    notes=(
        (
            "经纬度必填：平台据此判断是否位于高污染燃料禁燃区内。",
            "Longitude and latitude are required: they decide whether the finding is in the ban zone.",
        ),
    ),
)
