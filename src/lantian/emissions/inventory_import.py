"""Import the emission inventory from a CSV or .xlsx file: one row per production line or process.

Columns (a header row, English names as below or the Chinese ones of the template, ``lantian
emissions inventory-template``; enterprise columns repeat on each of its lines and must agree):

    credit_code, name, area_code, industry, grade, permit_number, output_value, key_transport,
    line, process, fuel, meets_special_limits, so2, nox, pm, vocs,
    so2_source, nox_source, pm_source, vocs_source, livelihood_duty, max_load, approval, provincial_approval

Emissions are normal daily amounts in t/d; sources are permit, cems or inventory (default
inventory); ``livelihood_duty`` is heating, waste_coprocessing, hazardous_waste or other, with
``max_load`` its approved maximum load as a share (0.6) or a percentage (60) and ``approval`` the
city filing of it (task 37); ``provincial_approval`` is the provincial government's approval to
produce despite a task-38 stop. Every problem is
reported with its row, column and reason, and nothing is written unless every row is valid.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.emissions.models import Enterprise
from lantian.emissions.service import (
    AREA_CODE,
    DutyInput,
    EnterpriseInput,
    LineInput,
    add_enterprise,
)
from lantian.emissions.sheets import DUTY_LABELS, SOURCE_LABELS
from lantian.emissions.targets import POLLUTANTS
from lantian.emissions.uscc import problem as credit_code_problem
from lantian.errors import Conflict, InputError
from lantian.tabular import Column, TableSpec, read_table

Source = Literal["permit", "cems", "inventory"]
Amount = Annotated[float | None, Field(ge=0, allow_inf_nan=False)]


class InventoryRow(BaseModel):
    """One production line of the inventory file, with its enterprise's columns."""

    model_config = ConfigDict(extra="forbid")

    credit_code: str
    name: str
    area_code: str
    industry: str
    grade: Literal["A", "B", "C", "D"] | None = None
    permit_number: str | None = None
    output_value: Amount = None
    key_transport: bool = False
    line: str
    process: str | None = None
    fuel: str | None = None
    meets_special_limits: bool = False
    so2: Amount = None
    nox: Amount = None
    pm: Amount = None
    vocs: Amount = None
    so2_source: Source = "inventory"
    nox_source: Source = "inventory"
    pm_source: Source = "inventory"
    vocs_source: Source = "inventory"
    livelihood_duty: Literal["heating", "waste_coprocessing", "hazardous_waste", "other"] | None = (
        None
    )
    max_load: float | None = Field(default=None, ge=0, allow_inf_nan=False, validate_default=True)
    approval: str | None = None
    provincial_approval: str | None = None

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, code: str) -> str:
        reason = credit_code_problem(code)
        if reason:
            raise ValueError(reason)
        return code

    @field_validator("area_code")
    @classmethod
    def _area_code(cls, code: str) -> str:
        if not AREA_CODE.match(code):
            raise ValueError("应为 9 位统计区划代码 / must be the 9-digit NBS township code")
        return code

    @field_validator("max_load")
    @classmethod
    def _max_load(cls, load: float | None, info: ValidationInfo) -> float | None:
        if load is not None and load > 1:
            if load > 100:
                raise ValueError("最大负荷应为 0–1 或 0–100% / the load is a share or a percentage")
            load = load / 100
        if info.data.get("livelihood_duty") and load is None:
            raise ValueError(
                "保民生任务须有核定最大负荷 / a livelihood duty needs its approved load"
            )
        return load


_SOURCE_CHOICES = {source: SOURCE_LABELS[source] for source in ("permit", "cems", "inventory")}
_AMOUNT_NOTE = ("正常日排放量，吨/天", "normal daily emission, t/d")

INVENTORY_SPEC: Final = TableSpec(
    InventoryRow,
    (
        Column(
            "credit_code", "credit_code", "统一社会信用代码", example="91350100M000100Y43", width=22
        ),
        Column("name", "name", "企业名称", example="示例水泥有限公司", width=24),
        Column(
            "area_code",
            "area_code",
            "区域代码",
            example="410183100",
            note_zh="9 位统计区划代码（乡镇）",
            note_en="9-digit NBS township code",
        ),
        Column("industry", "industry", "行业", example="cement"),
        Column(
            "grade",
            "grade",
            "绩效等级",
            choices={g: g for g in ("A", "B", "C", "D")},
            example="B",
            width=10,
        ),
        Column("permit_number", "permit_number", "排污许可证编号", example=""),
        Column("output_value", "output_value", "产值", example="60"),
        Column(
            "key_transport",
            "key_transport",
            "重点用车企业",
            example="否",
            note_zh="是/否",
            note_en="yes/no",
        ),
        Column("line", "line", "生产线", example="熟料线"),
        Column("process", "process", "工序", example=""),
        Column("fuel", "fuel", "燃料", example="coal"),
        Column(
            "meets_special_limits",
            "meets_special_limits",
            "达到特别排放限值",
            example="否",
            note_zh="是/否",
            note_en="yes/no",
        ),
        *(
            Column(
                p.value,
                p.value,
                f"{p.label.split()[-1]}(t/d)",
                example="1.5",
                note_zh=_AMOUNT_NOTE[0],
                note_en=_AMOUNT_NOTE[1],
            )
            for p in POLLUTANTS
        ),
        *(
            Column(
                f"{p.value}_source",
                f"{p.value}_source",
                f"{p.label.split()[-1]}数据来源",
                choices=_SOURCE_CHOICES,
                example="在线监测 cems",
                note_zh="默认 清单估算",
                note_en="default inventory",
            )
            for p in POLLUTANTS
        ),
        Column(
            "livelihood_duty",
            "livelihood_duty",
            "保民生任务",
            choices=DUTY_LABELS,
            example="居民供暖 heating",
            width=20,
        ),
        Column(
            "max_load",
            "max_load",
            "核定最大负荷",
            example="60",
            note_zh="0–1 或百分数",
            note_en="a share (0.6) or a percentage (60)",
        ),
        Column("approval", "approval", "核定文件", example="新政备1号"),
        Column(
            "provincial_approval",
            "provincial_approval",
            "省级批准文件",
            example="豫政文〔2017〕1号",
            note_zh="任务38：省级人民政府批准确需生产",
            note_en="task 38: the provincial government's approval to produce",
        ),
    ),
    title="排放清单 emission inventory",
    unknown_columns="refuse",
)
#: The enterprise's columns: every line of one enterprise must repeat the same values.
_ENTERPRISE_FIELDS: Final = (
    "name",
    "area_code",
    "industry",
    "grade",
    "permit_number",
    "output_value",
    "key_transport",
    "livelihood_duty",
    "max_load",
    "approval",
    "provincial_approval",
)


def parse_inventory(
    content: str | bytes, *, sample: bool = False, name: str = "inventory.csv"
) -> list[EnterpriseInput]:
    """Enterprises with their lines from a CSV or .xlsx file (text is taken as CSV).

    Raises :class:`~lantian.tabular.Rejected` listing every problem (nothing is returned then).
    """
    if isinstance(content, str):
        read = read_table(content.encode("utf-8"), INVENTORY_SPEC, name=name, kind="csv")
    else:
        read = read_table(content, INVENTORY_SPEC, name=name)
    found: dict[str, tuple[int, dict[str, str], EnterpriseInput]] = {}
    for row in read.rows:
        item = row.value
        line = LineInput(
            name=item.line,
            process=item.process,
            fuel=item.fuel,
            meets_special_limits=item.meets_special_limits,
            sources={p.value: getattr(item, f"{p.value}_source") for p in POLLUTANTS},
            **{p.value: getattr(item, p.value) or 0.0 for p in POLLUTANTS},
        )
        cells = dict(row.cells)
        earlier = found.get(item.credit_code)
        if earlier is not None:
            first_row, first_cells, enterprise = earlier
            for column in _ENTERPRISE_FIELDS:
                if cells.get(column, "") != first_cells.get(column, ""):
                    read.problem(
                        row.number,
                        column,
                        cells.get(column, ""),
                        f"与第 {first_row} 行同一企业的值不一致 / differs from row {first_row} of "
                        "the same enterprise",
                    )
            if any(existing.name == line.name for existing in enterprise.lines):
                read.problem(
                    row.number,
                    "line",
                    line.name,
                    f"生产线 {line.name} 重复 / the line appears twice",
                )
            enterprise.lines.append(line)
            continue
        duty = item.livelihood_duty
        found[item.credit_code] = (
            row.number,
            cells,
            EnterpriseInput(
                credit_code=item.credit_code,
                name=item.name,
                area_code=item.area_code,
                industry=item.industry,
                grade=item.grade,
                permit_number=item.permit_number,
                output_value=item.output_value,
                key_transport=item.key_transport,
                provincial_approval=item.provincial_approval,
                sample=sample,
                lines=[line],
                duties=[DutyInput(duty, item.max_load or 0.0, item.approval)] if duty else [],
            ),
        )
    read.raise_if_problems()
    if not found:
        raise InputError(f"{read.file}: 文件中没有企业 / the file holds no enterprise")
    return [entry[2] for entry in found.values()]


def import_inventory(
    session: Session, actor: str, content: str | bytes, name: str = "inventory.csv"
) -> int:
    """Add every enterprise of the file (audited, one entry each); refuse codes already present."""
    enterprises = parse_inventory(content, name=name)
    codes = [e.credit_code for e in enterprises]
    present = set(
        session.scalars(select(Enterprise.credit_code).where(Enterprise.credit_code.in_(codes)))
    )
    if present:
        raise Conflict(
            f"已在清单中，未导入任何数据 / already in the inventory, nothing imported: "
            f"{', '.join(sorted(present))}",
            field="credit_code",
        )
    for enterprise in enterprises:
        add_enterprise(session, actor, enterprise, reason="inventory import")
    return len(enterprises)
