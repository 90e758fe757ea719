"""以克论净 checks of the roads (道路积尘负荷检测, plan task 31(1)): the grams of dust left per
square metre of a swept road, measured on a day.

Task 31(1): "严格实施城区道路“以克论净”考核。" One entry is one check of one road (the road's key
in :mod:`lantian.sources.kinds.main_roads`): the day, the dust load (g/m², the mean of the sampling
points) and how many points were sampled. A load above the plan's limit for the road's class
(``road_dust_load`` of plan.yaml — UNCONFIRMED placeholders, the seed states no figure) is a
breach: one case per check, for the road's unit. The road's class comes from the road register
(the kind's ``context``); a check of an unknown road is judged by the strictest limit.

Lifecycle::

    measured ──confirm (within the limit)──► passed
    measured ──rectify──► rectifying ──resweep (swept again, with a photo)──► resolved
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import Date, Float, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.kinds._earthworks import (
    CLAUSE_31_GRAMS,
    ROAD_CLASSES,
    SAMPLE_NOTE,
    seat_area,
)
from lantian.sources.kinds.main_roads import ROAD_NAMES, MainRoad
from lantian.sources.lifecycle import KEEPERS, Lifecycle, State, Unmet
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


class RoadDustCheck(RegisterRecord):
    __tablename__ = "src_road_dust_checks"
    __audit_type__ = "road_dust_check"

    road_key: Mapped[str] = mapped_column(String(64), index=True)
    measured_on: Mapped[date] = mapped_column(Date, index=True)
    #: The dust left on the road, g/m² (the mean of the sampling points).
    dust_load_g_m2: Mapped[float] = mapped_column(Float)
    points: Mapped[int | None] = mapped_column(Integer)


class DustCheckRow(RegisterRow):
    road_key: str = Field(min_length=1, max_length=64)
    measured_on: date
    dust_load_g_m2: float = Field(ge=0, le=10_000)
    points: int | None = Field(default=None, ge=1, le=1000)


RESWEPT = ChecklistItem(
    "reswept", "已重新清扫冲洗", "swept and washed again", CLAUSE_31_GRAMS, evidence_required=True
)
CHECKLIST = (RESWEPT,)


def limit_of(facts: Facts) -> tuple[float, str] | None:
    """The most dust the checked road may hold (g/m²) and the road class it is judged as, from
    the plan's ``road_dust_load``; None when the plan sets no limit."""
    plan = facts.plan_in_force()
    setting = plan.plan.road_dust_load if plan.plan is not None else None
    if setting is None:
        return None
    road_class = (facts.context.get("road") or {}).get("road_class")
    if road_class in setting.limits_g_m2:
        return setting.limits_g_m2[road_class], str(road_class)
    return min(setting.limits_g_m2.values()), "unknown"


def _road_of(session: Session, record: RegisterRecord) -> Mapping[str, Any]:
    key = getattr(record, "road_key", None)
    road = session.scalar(select(MainRoad).where(MainRoad.key == key)) if key else None
    if road is None:
        return {}
    return {"road": {"key": road.key, "name": road.name, "road_class": road.road_class}}


def _within_limit(facts: Facts) -> list[Unmet]:
    record: Any = facts.record
    limit = limit_of(facts)
    if limit is not None and record.dust_load_g_m2 > limit[0]:
        return [
            (
                f"积尘负荷 {record.dust_load_g_m2:g} 克/平方米超过 {limit[0]:g}",
                f"dust load {record.dust_load_g_m2:g} g/m² exceeds {limit[0]:g}",
            )
        ]
    return []


def _reswept(facts: Facts) -> list[Unmet]:
    return unproven(facts, (RESWEPT,))


LIFECYCLE = Lifecycle(
    states=(
        State("measured", "已检测", "measured"),
        State("passed", "达标", "within the limit", closed=True),
        State("rectifying", "整改中", "being swept again"),
        State("resolved", "整改完成", "swept again", closed=True),
    ),
    initial="measured",
    transitions=(
        step(
            "confirm",
            ("确认达标", "confirm within the limit"),
            {"measured"},
            "passed",
            KEEPERS,
            CLAUSE_31_GRAMS,
            guard=_within_limit,
        ),
        step(
            "rectify",
            ("责令重新清扫", "order sweeping again"),
            {"measured"},
            "rectifying",
            KEEPERS,
            CLAUSE_31_GRAMS,
        ),
        step(
            "resweep",
            ("重新清扫完成", "swept again"),
            {"rectifying"},
            "resolved",
            KEEPERS,
            CLAUSE_31_GRAMS,
            guard=_reswept,
        ),
    ),
)


def _over_limit(facts: Facts) -> Breach | None:
    """A road holding more dust than the plan's limit for its class at a check (以克论净)."""
    record: Any = facts.record
    limit = limit_of(facts)
    if limit is None or record.dust_load_g_m2 <= limit[0]:
        return None
    road = facts.context.get("road") or {}
    name = road.get("name") or record.road_key
    label = ROAD_CLASSES.get(limit[1], "道路等级未知，按最严限值")
    observed = end_of_day(record.measured_on)
    return Breach(
        title=f"道路“以克论净”检测超标：{name}",
        description=f"{record.measured_on} 检测 {name}（{label}）积尘负荷 {record.dust_load_g_m2:g} "
        f"克/平方米，限值 {limit[0]:g} / dust load {record.dust_load_g_m2:g} g/m² over the "
        f"limit of {limit[0]:g} g/m²",
        observed_at=observed,
        severity="general",
        deadline=observed + timedelta(days=1),
    )


def _sample(context: SampleContext) -> list[DustCheckRow]:
    """Weekly checks of the sample roads (DL-001 … of the road register) through the campaign."""
    rng = context.rng
    code, area_name = seat_area(list(context.areas))
    rows = []
    for week in range(0, 24, 3):
        day = date(2017, 10, 9) + timedelta(weeks=week)
        for number in rng.sample(range(1, len(ROAD_NAMES) + 1), 4):
            load = round(rng.uniform(3, 14) if number <= 6 else rng.uniform(6, 24), 1)
            rows.append(
                DustCheckRow(
                    key=f"YKLJ-{day:%y%m%d}-{number:03d}",
                    name=f"{ROAD_NAMES[number - 1]}（示例）以克论净检测",
                    area_code=code,
                    unit_code="zjj",
                    address=f"新密市{area_name}{ROAD_NAMES[number - 1]}",
                    note=SAMPLE_NOTE,
                    road_key=f"DL-{number:03d}",
                    measured_on=day,
                    dust_load_g_m2=load,
                    points=5,
                )
            )
    return rows


KIND = RegisterKind(
    key="road_dust_check",
    zh="道路“以克论净”检测",
    en="road dust-load check",
    tasks=("31(1)",),
    model=RoadDustCheck,
    row=DustCheckRow,
    columns=columns(
        Column(
            "road_key",
            "road key",
            "道路编号",
            example="DL-001",
            note_zh="主次干道清扫台账中的道路编号",
            note_en="the road's key in the road register",
        ),
        Column("measured_on", "measured on", "检测日期", example="2017-10-16", width=12),
        Column(
            "dust_load_g_m2",
            "dust load g/m2",
            "积尘负荷（克/平方米）",
            aliases=("积尘负荷",),
            example="8.5",
        ),
        Column("points", "points", "采样点数", example="5", width=10),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "over_limit",
            "以克论净超标",
            "dust load over the limit",
            CLAUSE_31_GRAMS,
            _over_limit,
        ),
    ),
    sample=_sample,
    list_fields=("road_key", "measured_on", "dust_load_g_m2"),
    order=31,
    context=_road_of,
    notes=(
        (
            "限值取自计划 plan.yaml 的 road_dust_load（待确认：原文未给出数值）。",
            "The limits are the plan's road_dust_load (UNCONFIRMED: the seed states no figure).",
        ),
    ),
)
