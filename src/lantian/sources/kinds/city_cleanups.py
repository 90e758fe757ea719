"""The weekly city clean-up (城市清洁大行动, plan task 32), one entry per clean-up of a road or area.

Task 32: "2017 年 10 月起，每周集中组织开展城市清洁大行动，全面清洗公共设施，交通护栏、绿化隔离带等积尘
浮尘，彻底清除护栏下和道牙石周边泥土、下水道的清淤，对城乡结合部、背街小巷、城中村等区域生活垃圾进行
清除 … 对辖区内楼宇进行立面清洗和楼顶保洁 … 确保城市清洁全覆盖。"

One entry is one clean-up: the day it is set for (``deadline``) and held, the road (a key of the
road register) or area, what it covered, how many people and vehicles, the rubbish cleared. The
``weekly_city_cleanup`` target (tasks.yaml, task 32) is the share of the campaign's weeks since
October 2017 with at least one clean-up held, every week behind it.

Lifecycle::

    planned ──hold (cleaned, with a photo)──► held
    planned ──cancel (note)──► cancelled
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import Field
from sqlalchemy import Date, Float, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian import clock
from lantian.plan import plan_in_force
from lantian.sources.kinds._earthworks import CLAUSE_32, SAMPLE_NOTE, seat_area
from lantian.sources.kinds.main_roads import ROAD_NAMES
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, Lifecycle, State, Unmet
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

SCOPES = {
    "roads": "道路及公共设施",
    "back_streets": "背街小巷",
    "urban_villages": "城中村、城乡结合部",
    "buildings": "楼宇立面及楼顶",
    "estates": "住宅小区及单位",
}
Scope = Literal["roads", "back_streets", "urban_villages", "buildings", "estates"]
TARGET_KEY = "weekly_city_cleanup"
#: The first Monday of October 2017: the weeks of 每周 are counted from here.
FIRST_WEEK = date(2017, 10, 2)


class CityCleanup(RegisterRecord):
    __tablename__ = "src_city_cleanups"
    __audit_type__ = "city_cleanup"

    held_on: Mapped[date] = mapped_column(Date, index=True)
    scope: Mapped[str] = mapped_column(String(16))
    road_key: Mapped[str | None] = mapped_column(String(64), index=True)
    participants: Mapped[int | None] = mapped_column(Integer)
    vehicles: Mapped[int | None] = mapped_column(Integer)
    rubbish_t: Mapped[float | None] = mapped_column(Float)


class CleanupRow(RegisterRow):
    held_on: date
    scope: Scope
    road_key: str | None = Field(default=None, max_length=64)
    participants: int | None = Field(default=None, ge=0, le=100_000)
    vehicles: int | None = Field(default=None, ge=0, le=10_000)
    rubbish_t: float | None = Field(default=None, ge=0, le=100_000)


CLEANED = ChecklistItem(
    "cleaned", "积尘浮尘、垃圾清除到位", "dust and rubbish cleared", CLAUSE_32, True
)
FACILITIES_WASHED = ChecklistItem(
    "facilities_washed", "护栏、隔离带等公共设施已清洗", "railings and verges washed", CLAUSE_32
)
CHECKLIST = (CLEANED, FACILITIES_WASHED)


def _held(facts: Facts) -> list[Unmet]:
    return unproven(facts, (CLEANED,))


LIFECYCLE = Lifecycle(
    states=(
        State("planned", "已安排", "planned"),
        State("held", "已开展", "held", closed=True),
        State("cancelled", "已取消", "cancelled", closed=True),
    ),
    initial="planned",
    transitions=(
        step("hold", ("开展完成", "held"), {"planned"}, "held", KEEPERS, CLAUSE_32, guard=_held),
        step(
            "cancel",
            ("取消", "cancel"),
            {"planned"},
            "cancelled",
            OFFICE_ROLES,
            CLAUSE_32,
            note_required=True,
        ),
    ),
)


def campaign_weeks(today: date) -> list[date]:
    """The Mondays of the weeks from October 2017 up to today, within the plan's campaign."""
    plan = plan_in_force()
    period = plan.plan.periods.get("campaign") if plan.plan is not None else None
    end = period.end if period is not None and period.end is not None else today
    last = min(today, end)
    weeks = []
    monday = FIRST_WEEK
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(weeks=1)
    return weeks


def _weekly_share(session: Session) -> IndicatorValue:
    """Task 32's 每周: the share of the campaign's weeks since October 2017 with a clean-up held."""
    held = session.scalars(select(CityCleanup.held_on).where(CityCleanup.state == "held")).all()
    weeks = campaign_weeks(clock.today())
    by_week = {monday: 0 for monday in weeks}
    for day in held:
        monday = day - timedelta(days=day.weekday())
        if monday in by_week:
            by_week[monday] += 1
    covered = sum(1 for n in by_week.values() if n)
    return IndicatorValue(
        TARGET_KEY,
        round(100 * covered / len(weeks), 1) if weeks else None,
        len(held),
        f"2017年10月起 {len(weeks)} 周中有 {covered} 周开展了城市清洁大行动",
        f"{covered} of the {len(weeks)} weeks since October 2017 had a city clean-up held",
        tuple((f"{monday:%Y-%m-%d} 周 week", float(n)) for monday, n in by_week.items()),
    )


def _sample(context: SampleContext) -> list[CleanupRow]:
    """A clean-up each week from October 2017, by the city seat's areas in turn."""
    rng = context.rng
    areas = [a for a in context.areas if a[0][-3:-2] in ("0", "1")][:5] or list(context.areas)
    seat = seat_area(list(context.areas))
    rows = []
    for week in range(26):
        held_on = FIRST_WEEK + timedelta(weeks=week, days=4)  # Fridays
        code, area_name = areas[week % len(areas)] if week % 2 else seat
        scope: Scope = rng.choice(
            ("roads", "back_streets", "urban_villages", "buildings", "estates")
        )
        number = rng.randint(1, len(ROAD_NAMES))
        rows.append(
            CleanupRow(
                key=f"QJ-{held_on:%y%m%d}-{code[-3:]}",
                name=f"{area_name}城市清洁大行动（{held_on:%m月%d日}）",
                area_code=code,
                unit_code="cjb",
                address=f"新密市{area_name}",
                deadline=held_on,
                note=SAMPLE_NOTE,
                held_on=held_on,
                scope=scope,
                road_key=f"DL-{number:03d}" if scope == "roads" and code == seat[0] else None,
                participants=rng.randint(40, 300),
                vehicles=rng.randint(2, 20),
                rubbish_t=round(rng.uniform(1, 30), 1),
            )
        )
    return rows


KIND = RegisterKind(
    key="city_cleanup",
    zh="城市清洁大行动",
    en="weekly city clean-up",
    tasks=("32",),
    model=CityCleanup,
    row=CleanupRow,
    columns=columns(
        Column("held_on", "held on", "开展日期", example="2017-10-06", width=12),
        Column("scope", "scope", "清洁范围", choices=SCOPES, example="道路及公共设施 roads"),
        Column(
            "road_key",
            "road key",
            "道路编号",
            example="DL-001",
            note_zh="主次干道清扫台账中的道路编号（可空）",
            note_en="the road's key in the road register (may be empty)",
        ),
        Column("participants", "participants", "参加人数", example="120", width=10),
        Column("vehicles", "vehicles", "出动车辆", example="8", width=10),
        Column("rubbish_t", "rubbish t", "清运垃圾（吨）", example="12.5", width=12),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_32,
            title=lambda record: f"城市清洁大行动逾期未开展：{record.name}",
            label=("逾期未开展", "not held by its day"),
            severity="general",
        ),
    ),
    indicators=(Indicator(TARGET_KEY, _weekly_share),),
    sample=_sample,
    list_fields=("held_on", "scope", "road_key"),
    filter_fields=("scope",),
    order=32,
)
