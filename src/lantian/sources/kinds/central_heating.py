"""Central heating coverage by district (集中供热片区, plan task 9).

Task 9: "加快推进集中供热换热站和配套管网建设。确保2017年新增采暖季供热面积达到上级部门要求，全市
集中供热普及率达到80%以上。" Annex: "城市建成区集中供热普及率达到80%以上。"

One entry is one heating district (a sub-district's or town's area served, or to be served, by the
network): its building area and the area heated, households where known, the heat source and the
substations. The coverage (普及率) is the heated area over the building area of all districts; the
per-district coverage stands behind the figure.

Lifecycle::

    planned ──build──► building ──heat (substation running and network connected, with photos;
                                         heated area > 0)──► heating
    heating ──reopen (a check found it not heating)──► building
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator
from sqlalchemy import Float, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    ChecklistItem,
    Facts,
    Indicator,
    IndicatorValue,
    RegisterKind,
    SampleContext,
    overdue_rule,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

TARGET = "central_heating_coverage"
CLAUSE_9 = "任务9：加快推进集中供热换热站和配套管网建设 … 全市集中供热普及率达到80%以上"


class HeatingDistrict(RegisterRecord):
    __tablename__ = "src_heating_districts"
    __audit_type__ = "heating_district"

    total_area_m2: Mapped[float] = mapped_column(Float)
    heated_area_m2: Mapped[float] = mapped_column(Float, default=0.0)
    households_total: Mapped[int | None] = mapped_column(Integer)
    households_heated: Mapped[int | None] = mapped_column(Integer)
    heat_source: Mapped[str | None] = mapped_column(String(100))
    substations: Mapped[int | None] = mapped_column(Integer)


class DistrictRow(RegisterRow):
    total_area_m2: float = Field(gt=0, le=1e9)
    heated_area_m2: float = Field(default=0.0, ge=0, le=1e9)
    households_total: int | None = Field(default=None, ge=0)
    households_heated: int | None = Field(default=None, ge=0)
    heat_source: str | None = Field(default=None, max_length=100)
    substations: int | None = Field(default=None, ge=0, le=10_000)

    @model_validator(mode="after")
    def _heated_within_total(self) -> DistrictRow:
        if self.heated_area_m2 > self.total_area_m2:
            raise ValueError("供热面积大于建筑面积 / the heated area exceeds the building area")
        if (
            self.households_total is not None
            and self.households_heated is not None
            and self.households_heated > self.households_total
        ):
            raise ValueError("供热户数大于总户数 / more households heated than households")
        return self


def coverage(record: HeatingDistrict) -> float:
    """A district's coverage in % (heated area / building area), one decimal."""
    total = float(record.total_area_m2 or 0)
    return round(100.0 * float(record.heated_area_m2 or 0) / total, 1) if total else 0.0


SUBSTATION_RUNNING = ChecklistItem(
    "substation_running", "换热站运行", "substation running", CLAUSE_9, evidence_required=True
)
NETWORK_CONNECTED = ChecklistItem(
    "network_connected", "配套管网接通", "network connected", CLAUSE_9, evidence_required=True
)
CHECKLIST = (SUBSTATION_RUNNING, NETWORK_CONNECTED)


def _heating_holds(facts: Facts) -> list[Unmet]:
    unmet: list[Unmet] = []
    if not float(getattr(facts.record, "heated_area_m2", 0) or 0) > 0:
        unmet.append(("供热面积为 0", "no area is heated"))
    unmet.extend(unproven(facts, CHECKLIST))
    return unmet


LIFECYCLE = Lifecycle(
    states=(
        State("planned", "规划", "planned"),
        State("building", "建设中", "being built"),
        State("heating", "已供热", "heating", closed=True),
    ),
    initial="planned",
    transitions=(
        step("build", ("开工建设", "start building"), {"planned"}, "building", KEEPERS, CLAUSE_9),
        step(
            "heat",
            ("投入供热", "start heating"),
            {"building"},
            "heating",
            KEEPERS,
            CLAUSE_9,
            guard=_heating_holds,
        ),
        step(
            "reopen",
            ("重新整改", "reopen"),
            {"heating"},
            "building",
            VERIFIERS,
            CLAUSE_9,
            note_required=True,
        ),
    ),
)


def _coverage(session: Session) -> IndicatorValue:
    districts = session.scalars(select(HeatingDistrict).order_by(HeatingDistrict.key)).all()
    total = sum(float(d.total_area_m2 or 0) for d in districts)
    heated = sum(float(d.heated_area_m2 or 0) for d in districts)
    value = round(100.0 * heated / total, 1) if total else None
    return IndicatorValue(
        TARGET,
        value,
        len(districts),
        f"{len(districts)} 个供热片区供热面积 {heated / 1e4:,.1f} 万㎡ / 建筑面积 "
        f"{total / 1e4:,.1f} 万㎡",
        f"heated area {heated / 1e4:,.1f} of {total / 1e4:,.1f} × 10⁴ m² in {len(districts)} "
        "districts",
        tuple((f"{d.name} {d.key}", coverage(d)) for d in districts),
    )


def _sample(context: SampleContext) -> list[DistrictRow]:
    """The city seat's heating districts (sub-districts and 城关镇), 3–5 each."""
    rng = context.rng
    rows: list[DistrictRow] = []
    # the sub-districts (0xx, and 400 矿区街道) and 城关镇 (100), not the scenic area or cluster
    seat = [(c, n) for c, n in context.areas if c[6] == "0" or c[6:] in ("400", "100")]
    for code, area_name in seat:
        for number in range(1, rng.randint(3, 5) + 1):
            total = round(rng.uniform(8, 60)) * 1e4
            share = rng.uniform(0.55, 1.0)
            rows.append(
                DistrictRow(
                    key=f"JZGR-{code[-3:]}-{number:02d}",
                    name=f"{area_name}第{number}供热片区",
                    area_code=code,
                    unit_code="zyhbxmrlgs",
                    address=f"新密市{area_name}",
                    longitude=round(113.36 + rng.random() * 0.05, 5),
                    latitude=round(34.52 + rng.random() * 0.03, 5),
                    deadline=date(2017, 11, 15),
                    note="示例数据 / sample",
                    total_area_m2=total,
                    heated_area_m2=round(total * share, -2),
                    heat_source="中原环保新密热力公司",
                    substations=rng.randint(2, 12),
                )
            )
    return rows


KIND = RegisterKind(
    key="heating_district",
    zh="集中供热片区",
    en="central heating district",
    tasks=("9",),
    model=HeatingDistrict,
    row=DistrictRow,
    columns=columns(
        Column("total_area_m2", "building area m2", "建筑面积（㎡）", example="350000", width=14),
        Column("heated_area_m2", "heated area m2", "供热面积（㎡）", example="300000", width=14),
        Column("households_total", "households", "总户数", example="3200", width=10),
        Column("households_heated", "households heated", "供热户数", example="2800", width=10),
        Column("heat_source", "heat source", "热源", example="中原环保新密热力公司"),
        Column("substations", "substations", "换热站数", example="6", width=10),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_9,
            title=lambda record: f"集中供热片区逾期未供热：{record.name}",
            label=("逾期未供热", "not heating by the deadline"),
        ),
    ),
    indicators=(Indicator(TARGET, _coverage),),
    sample=_sample,
    list_fields=("total_area_m2", "heated_area_m2", "heat_source"),
    order=9,
)
