"""Main and secondary roads and their mechanised sweeping (主次干道机械化清扫, plan task 31).

Task 31(1): "全面提高城市道路清扫、冲洗的机械化率。中心城区主干道机械化清扫冲洗率达到 100%，增加道路
冲洗保洁频次；逐步提高次干道和背街小巷的机械化清扫率；严格实施城区道路“以克论净”考核。" Task 31(2):
"严格市区外道路扬尘。逐步提高城乡结合部、国省道机械化清扫率。"

One entry is one road (or a section of it): its class, whether it lies in the central city, its
length and the area swept, the share of that area swept and washed by machine (%) and how often
it is washed. A central main road below the plan's share (the ``main_road_mechanised_cleaning``
target, 100 %) is a breach; the target itself is computed from this register (area-weighted, with
every road's share behind it). The 以克论净 checks of each road are the entries of
:mod:`lantian.sources.kinds.road_dust_checks`.

Lifecycle::

    registered ──mechanise (share reached, machine sweeping seen with a photo)──► mechanised
    mechanised ──reopen (a check found it swept by hand again)──► registered
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import Boolean, Float, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.kinds._coal import china_day
from lantian.sources.kinds._earthworks import (
    CLAUSE_31,
    CLAUSE_31_OUTSIDE,
    ROAD_CLASSES,
    SAMPLE_NOTE,
    seat_area,
    seat_point,
)
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    Indicator,
    IndicatorValue,
    RegisterKind,
    Rule,
    SampleContext,
    end_of_day,
    overdue_rule,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

RoadClass = Literal["main", "secondary", "back_street", "highway"]
#: The plan's target for central main roads (tasks.yaml, task 31(1)).
TARGET_KEY = "main_road_mechanised_cleaning"


class MainRoad(RegisterRecord):
    __tablename__ = "src_main_roads"
    __audit_type__ = "main_road"

    road_class: Mapped[str] = mapped_column(String(12), index=True)
    #: In the central city (中心城区): task 31(1)'s 100 % binds its main roads.
    central_city: Mapped[bool] = mapped_column(Boolean, default=True)
    length_km: Mapped[float] = mapped_column(Float)
    #: The carriageway area swept (m²).
    area_m2: Mapped[float] = mapped_column(Float)
    #: The share of that area swept and washed by machine (%).
    mechanised_share: Mapped[float] = mapped_column(Float, default=0.0)
    #: Washings a day (冲洗保洁频次).
    washes_per_day: Mapped[float | None] = mapped_column(Float)


class RoadRow(RegisterRow):
    road_class: RoadClass
    central_city: bool = True
    length_km: float = Field(gt=0, le=500)
    area_m2: float = Field(gt=0, le=1e8)
    mechanised_share: float = Field(default=0.0, ge=0, le=100)
    washes_per_day: float | None = Field(default=None, ge=0, le=48)


MACHINE_SWEEPING = ChecklistItem(
    "machine_sweeping",
    "机械化清扫冲洗作业到位",
    "swept and washed by machine",
    CLAUSE_31,
    evidence_required=True,
)
NO_DUST = ChecklistItem("no_visible_dust", "路面无明显积尘", "no visible dust", CLAUSE_31)
CHECKLIST = (MACHINE_SWEEPING, NO_DUST)


def required_share(facts: Facts) -> float | None:
    """The share a road must reach: the plan's target for a central main road, else none (the
    plan says only 逐步提高 for the others)."""
    record: Any = facts.record
    if record.road_class != "main" or not record.central_city:
        return None
    return facts.target_value(TARGET_KEY)


def _mechanised_holds(facts: Facts) -> list[Unmet]:
    record: Any = facts.record
    unmet: list[Unmet] = []
    wanted = required_share(facts)
    floor = wanted if wanted is not None else 0.0
    if record.mechanised_share <= 0 or record.mechanised_share < floor:
        unmet.append(
            (
                f"机械化清扫冲洗率 {record.mechanised_share:g}% 未达到 {floor:g}%",
                f"machine-swept share {record.mechanised_share:g}% is below {floor:g}%",
            )
        )
    unmet.extend(unproven(facts, (MACHINE_SWEEPING,)))
    return unmet


LIFECYCLE = Lifecycle(
    states=(
        State("registered", "登记在册", "registered"),
        State("mechanised", "已实现机械化清扫", "mechanised", closed=True),
    ),
    initial="registered",
    transitions=(
        step(
            "mechanise",
            ("确认机械化清扫到位", "confirm mechanised sweeping"),
            {"registered"},
            "mechanised",
            KEEPERS,
            CLAUSE_31,
            guard=_mechanised_holds,
        ),
        step(
            "reopen",
            ("重新整改", "reopen"),
            {"mechanised"},
            "registered",
            VERIFIERS,
            CLAUSE_31,
            note_required=True,
        ),
    ),
)


def _below_share(facts: Facts) -> Breach | None:
    """A central main road swept by machine on less than the plan's share of its area."""
    record: Any = facts.record
    wanted = required_share(facts)
    if wanted is None or record.mechanised_share >= wanted:
        return None
    return Breach(
        title=f"中心城区主干道机械化清扫冲洗率未达标：{record.name}",
        description=f"{record.name}（{record.length_km:g} 公里，{record.area_m2:,.0f} 平方米）机械化"
        f"清扫冲洗率 {record.mechanised_share:g}%，计划要求 {wanted:g}% / machine-swept share "
        f"{record.mechanised_share:g}% below the plan's {wanted:g}%",
        # The day the share was last recorded: re-evaluating the same figure adds nothing.
        observed_at=end_of_day(china_day(record.updated_at)),
        severity="general",
        deadline=end_of_day(china_day(record.updated_at)) + timedelta(days=30),
    )


def _mechanised_share(session: Session) -> IndicatorValue:
    """Task 31(1)'s 中心城区主干道机械化清扫冲洗率: the machine-swept share of the central main
    roads' area (area-weighted), every road's share behind it."""
    roads = session.scalars(
        select(MainRoad)
        .where(MainRoad.road_class == "main", MainRoad.central_city.is_(True))
        .order_by(MainRoad.key)
    ).all()
    area = sum(r.area_m2 for r in roads)
    swept = sum(r.area_m2 * r.mechanised_share / 100 for r in roads)
    return IndicatorValue(
        TARGET_KEY,
        round(100 * swept / area, 1) if area else None,
        len(roads),
        f"中心城区主干道 {len(roads)} 条（{area:,.0f} 平方米）按面积加权的机械化清扫冲洗率",
        f"area-weighted machine-swept share of {len(roads)} central main roads ({area:,.0f} m²)",
        tuple((f"{r.name} {r.key}", float(r.mechanised_share)) for r in roads),
    )


ROAD_NAMES = (
    "青屏大街",
    "嵩山大道",
    "溱水路",
    "西大街",
    "开阳路",
    "平安路",
    "新华路",
    "长乐路",
    "金凤路",
    "密州大道",
    "东大街",
    "惠安街",
)


def _sample(context: SampleContext) -> list[RoadRow]:
    """The city seat's roads (sample names and figures) and two highways outside it."""
    rng = context.rng
    areas = list(context.areas)
    code, area_name = seat_area(areas)
    rows = []
    for number, road in enumerate(ROAD_NAMES, start=1):
        road_class: RoadClass = "main" if number <= 6 else rng.choice(("secondary", "back_street"))
        length = round(rng.uniform(1.2, 6.5), 1)
        width = rng.choice((24, 30, 40)) if road_class == "main" else rng.choice((9, 12, 16))
        share = (
            rng.choice((100.0, 100.0, 100.0, 85.0))
            if road_class == "main"
            else float(rng.choice((40, 55, 70)))
        )
        longitude, latitude = seat_point(rng)
        rows.append(
            RoadRow(
                key=f"DL-{number:03d}",
                name=f"{road}（示例）",
                area_code=code,
                unit_code="zjj",
                address=f"新密市{area_name}{road}",
                longitude=longitude,
                latitude=latitude,
                deadline=date(2017, 10, 31) if road_class == "main" else None,
                note=SAMPLE_NOTE,
                road_class=road_class,
                central_city=True,
                length_km=length,
                area_m2=round(length * 1000 * width),
                mechanised_share=share,
                washes_per_day=float(rng.choice((1, 2, 3))),
            )
        )
    for number, (road, (code, area_name)) in enumerate(
        zip(("S316 示例段", "G107 示例段"), rng.sample(areas, 2), strict=True), start=101
    ):
        rows.append(
            RoadRow(
                key=f"DL-{number:03d}",
                name=f"{road}（示例）",
                area_code=code,
                unit_code="jyj",
                address=f"新密市{area_name}",
                note=SAMPLE_NOTE,
                road_class="highway",
                central_city=False,
                length_km=12.0,
                area_m2=12_000 * 15.0,
                mechanised_share=float(rng.choice((30, 45))),
            )
        )
    return rows


KIND = RegisterKind(
    key="main_road",
    zh="主次干道清扫",
    en="road sweeping",
    tasks=("31(1)", "31(2)"),
    model=MainRoad,
    row=RoadRow,
    columns=columns(
        Column("road_class", "road class", "道路等级", choices=ROAD_CLASSES, example="主干道 main"),
        Column("central_city", "central city", "位于中心城区", example="是", width=10),
        Column("length_km", "length km", "长度（公里）", aliases=("长度",), example="3.5"),
        Column("area_m2", "area m2", "清扫面积（平方米）", aliases=("面积",), example="105000"),
        Column(
            "mechanised_share",
            "mechanised share",
            "机械化清扫冲洗率（%）",
            aliases=("机械化清扫率",),
            example="100",
            note_zh="机械化清扫冲洗的面积占清扫面积的百分比",
            note_en="the share of the swept area swept and washed by machine, %",
        ),
        Column("washes_per_day", "washes per day", "每日冲洗频次", example="2", width=12),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "below_mechanised_share",
            "主干道机械化清扫率未达标",
            "central main road below the machine-swept share",
            CLAUSE_31,
            _below_share,
        ),
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_31_OUTSIDE,
            title=lambda record: f"道路逾期未实现机械化清扫：{record.name}",
            label=("逾期未实现机械化清扫", "not mechanised by the deadline"),
            severity="general",
        ),
    ),
    indicators=(Indicator(TARGET_KEY, _mechanised_share),),
    sample=_sample,
    list_fields=("road_class", "length_km", "mechanised_share"),
    filter_fields=("road_class",),
    order=31,
)
