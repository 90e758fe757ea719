"""Fuel stations (加油站台账, plan tasks 25–27).

Task 25(1): "2017 年 9 月底前，完成我市辖区油库和加油站油品升级置换，从 10 月 1 日起，全面销售国六标准的
车用乙醇汽油、车用柴油。" Task 25(4): "严厉打击黑加油站点。" Task 26: "开展专项检查和抽查，保证油气回收
设施正常使用，油气综合回收效率达 85%以上。年销售汽油量大于 5000 吨的加油站安装油气回收在线监测设备。"
Task 27: "市内高速公路、国道和省道沿线的加油站（点）均须销售符合产品质量要求的车用尿素。"

Each station records its road, yearly petrol sales, the measured vapour-recovery efficiency, whether
online vapour monitoring is installed, whether urea is on sale and when its fuel was upgraded to
国六. A rule per requirement opens a case for the unit the plan makes lead for it (市环保局 for
vapour recovery, 市工商质监局 for urea, 市发展改革委 for the upgrade, 市商务局 for black stations).
The 85 % floor is the plan's ``vapour_recovery_efficiency`` target, not a constant here.

Lifecycle::

    registered ──rectify──► rectifying
    registered / rectifying ──accept (every requirement met, vapour recovery checked on site
                                      with a photo)──► compliant
    registered / rectifying ──ban (a black station: facilities removed, with a photo)──► banned
    compliant ──reopen (a spot check found it failing again)──► rectifying
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field
from sqlalchemy import Boolean, Date, Float, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    Indicator,
    IndicatorValue,
    Panel,
    RegisterKind,
    Rule,
    SampleContext,
    end_of_day,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column
from lantian.timeutil import to_china

CLAUSE_25_1 = "任务25(1)：2017 年 9 月底前，完成我市辖区油库和加油站油品升级置换，从 10 月 1 日起，全面销售国六标准的车用乙醇汽油、车用柴油"
CLAUSE_25_4 = "任务25(4)：严厉打击黑加油站点"
CLAUSE_26 = "任务26：开展专项检查和抽查，保证油气回收设施正常使用，油气综合回收效率达 85%以上"
CLAUSE_26_ONLINE = "任务26：年销售汽油量大于 5000 吨的加油站安装油气回收在线监测设备"
CLAUSE_27 = "任务27：市内高速公路、国道和省道沿线的加油站（点）均须销售符合产品质量要求的车用尿素"

ROAD_CLASSES = {
    "expressway": "高速公路",
    "national": "国道",
    "provincial": "省道",
    "urban": "城市道路",
    "rural": "乡村道路",
}
RoadClass = Literal["expressway", "national", "provincial", "urban", "rural"]
#: The roads along which a station must sell urea (task 27: 高速公路、国道和省道).
MAIN_ROADS = frozenset({"expressway", "national", "provincial"})
#: Yearly petrol sales (t) above which online vapour monitoring is required (task 26's words).
ONLINE_MONITORING_ABOVE_T = 5000.0
#: Task 25(1): the upgrade to 国六 fuel is done by the end of September 2017.
GUO6_BY = date(2017, 9, 30)
#: Task 27's date in the plan's annex (市内高速公路、国道和省道沿线 … 2017年6月底前).
UREA_BY = date(2017, 6, 30)
#: The plan target holding task 26's floor of the vapour-recovery efficiency (%).
EFFICIENCY_TARGET = "vapour_recovery_efficiency"

#: The leading units of the plan for each requirement (tasks.yaml ``lead_units``).
UNIT_VAPOUR = "hbj"  # 市环保局, task 26
UNIT_UREA = "gszjj"  # 市工商质监局, task 27
UNIT_UPGRADE = "fgw"  # 市发展改革委, task 25(1)
UNIT_BLACK = "swj"  # 市商务局, task 25(4)


class FuelStation(RegisterRecord):
    __tablename__ = "src_fuel_stations"
    __audit_type__ = "fuel_station"

    operator: Mapped[str | None] = mapped_column(String(200))
    licence_no: Mapped[str | None] = mapped_column(String(64))
    #: No licence to sell fuel (黑加油站点, task 25(4)): it is banned, never accepted.
    unlicensed: Mapped[bool] = mapped_column(Boolean, default=False)
    road_class: Mapped[str] = mapped_column(String(12))
    road_name: Mapped[str | None] = mapped_column(String(100))
    #: Petrol sold in a year, tonnes.
    petrol_sales_t: Mapped[float | None] = mapped_column(Float)
    #: The overall vapour-recovery efficiency measured at the latest test, %.
    vapour_recovery_pct: Mapped[float | None] = mapped_column(Float)
    vapour_tested_on: Mapped[date | None] = mapped_column(Date)
    online_monitoring: Mapped[bool] = mapped_column(Boolean, default=False)
    urea_on_sale: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the station's tanks were switched to 国六 fuel (None: not yet).
    guo6_on: Mapped[date | None] = mapped_column(Date)


class FuelStationRow(RegisterRow):
    operator: str | None = Field(default=None, max_length=200)
    licence_no: str | None = Field(default=None, max_length=64)
    unlicensed: bool = False
    road_class: RoadClass
    road_name: str | None = Field(default=None, max_length=100)
    petrol_sales_t: float | None = Field(default=None, ge=0, le=200000)
    vapour_recovery_pct: float | None = Field(default=None, ge=0, le=100)
    vapour_tested_on: date | None = None
    online_monitoring: bool = False
    urea_on_sale: bool = False
    guo6_on: date | None = None


#: 专项检查和抽查 of task 26: the vapour-recovery equipment works (a photo of the check).
VAPOUR_WORKING = ChecklistItem(
    "vapour_recovery_working",
    "油气回收设施正常使用",
    "vapour recovery working",
    CLAUSE_26,
    evidence_required=True,
)
UREA_SEEN = ChecklistItem("urea_seen", "在售车用尿素", "urea on sale", CLAUSE_27)
#: A black station's dispensers and tanks removed (取缔), photographed.
DISMANTLED = ChecklistItem(
    "dismantled",
    "加油设施已拆除",
    "fuelling equipment removed",
    CLAUSE_25_4,
    evidence_required=True,
)
CHECKLIST = (VAPOUR_WORKING, UREA_SEEN, DISMANTLED)


def large(record: FuelStation) -> bool:
    """More than 5,000 t of petrol a year: online vapour monitoring is required (task 26)."""
    return (record.petrol_sales_t or 0.0) > ONLINE_MONITORING_ABOVE_T


def on_main_road(record: FuelStation) -> bool:
    return record.road_class in MAIN_ROADS


def upgraded_in_time(record: FuelStation) -> bool:
    return record.guo6_on is not None and record.guo6_on <= GUO6_BY


def efficiency_floor(facts: Facts) -> float | None:
    """Task 26's floor from the plan (None: the plan sets none and nothing is judged)."""
    return facts.target_value(EFFICIENCY_TARGET)


def shortfalls(facts: Facts) -> list[Unmet]:
    """What the station lacks of tasks 25(1), 26 and 27, as a guard reports it."""
    record = facts.record
    assert isinstance(record, FuelStation)
    unmet: list[Unmet] = []
    floor = efficiency_floor(facts)
    if record.vapour_recovery_pct is None:
        unmet.append(("未检测油气回收效率", "no vapour-recovery efficiency measured"))
    elif floor is not None and record.vapour_recovery_pct < floor:
        unmet.append(
            (
                f"油气回收效率 {record.vapour_recovery_pct}% 低于 {floor:g}%",
                f"vapour recovery {record.vapour_recovery_pct}% below {floor:g}%",
            )
        )
    if large(record) and not record.online_monitoring:
        unmet.append(
            (
                "年销售汽油量大于 5000 吨，未安装油气回收在线监测设备",
                "over 5,000 t of petrol a year without online vapour monitoring",
            )
        )
    if on_main_road(record) and not record.urea_on_sale:
        unmet.append(
            ("高速公路、国道、省道沿线未销售车用尿素", "no urea on sale along a main road")
        )
    if not upgraded_in_time(record):
        unmet.append(
            ("未于 2017-09-30 前完成国六油品升级置换", "not upgraded to 国六 fuel by 2017-09-30")
        )
    return unmet


def _accept_holds(facts: Facts) -> list[Unmet]:
    record = facts.record
    assert isinstance(record, FuelStation)
    if record.unlicensed:
        return [("黑加油站点应依法取缔，不能判定达标", "a black station is banned, not accepted")]
    return [*shortfalls(facts), *unproven(facts, (VAPOUR_WORKING,))]


def _ban_holds(facts: Facts) -> list[Unmet]:
    record = facts.record
    assert isinstance(record, FuelStation)
    if not record.unlicensed:
        return [("只有黑加油站点（无证经营）才取缔", "only a black (unlicensed) station is banned")]
    return unproven(facts, (DISMANTLED,))


LIFECYCLE = Lifecycle(
    states=(
        State("registered", "登记在册", "registered"),
        State("rectifying", "整改中", "being rectified"),
        State("compliant", "核查达标", "compliant", closed=True),
        State("banned", "已取缔", "banned", closed=True),
    ),
    initial="registered",
    transitions=(
        step(
            "rectify",
            ("责令整改", "order rectification"),
            {"registered"},
            "rectifying",
            KEEPERS | VERIFIERS,
            CLAUSE_26,
        ),
        step(
            "accept",
            ("核查达标", "accept as compliant"),
            {"registered", "rectifying"},
            "compliant",
            KEEPERS | VERIFIERS,
            CLAUSE_26,
            guard=_accept_holds,
        ),
        step(
            "ban",
            ("依法取缔", "ban"),
            {"registered", "rectifying"},
            "banned",
            KEEPERS | VERIFIERS,
            CLAUSE_25_4,
            guard=_ban_holds,
            note_required=True,
        ),
        step(
            "reopen",
            ("抽查不合格重新整改", "reopen after a failed spot check"),
            {"compliant"},
            "rectifying",
            VERIFIERS,
            CLAUSE_26,
            note_required=True,
        ),
    ),
)


def _licensed_open(record: FuelStation) -> bool:
    """A licensed station (a black one answers to the black-station rule only)."""
    return not record.unlicensed and record.state != "banned"


def _vapour_recovery(facts: Facts) -> Breach | None:
    """Task 26: the measured efficiency under the plan's floor, or a spot check finding the
    equipment out of use (the newest check of it)."""
    record = facts.record
    assert isinstance(record, FuelStation)
    if not _licensed_open(record):
        return None
    for check in facts.checks:
        entry = (check.items or {}).get(VAPOUR_WORKING.key)
        if entry is not None:
            if entry["result"] == "fail":
                return Breach(
                    title=f"油气回收设施未正常使用：{record.name}（{record.key}）",
                    description=f"{check.checked_at:%Y-%m-%d} 抽查发现油气回收设施未正常使用 / a spot "
                    "check found the vapour recovery out of use",
                    observed_at=check.checked_at,
                    severity="serious",
                    unit_code=UNIT_VAPOUR,
                )
            break
    floor = efficiency_floor(facts)
    measured = record.vapour_recovery_pct
    if floor is None or measured is None or measured >= floor:
        return None
    tested = record.vapour_tested_on or to_china(record.state_since).date()
    return Breach(
        title=f"油气回收效率不达标：{record.name}（{record.key}）",
        description=f"{tested} 检测油气综合回收效率 {measured}%，低于 {floor:g}% / vapour "
        f"recovery {measured}% below {floor:g}%",
        observed_at=end_of_day(tested),
        severity="serious",
        unit_code=UNIT_VAPOUR,
    )


def _online_monitoring(facts: Facts) -> Breach | None:
    """Task 26: a station selling over 5,000 t of petrol a year without online monitoring."""
    record = facts.record
    assert isinstance(record, FuelStation)
    if not _licensed_open(record) or not large(record) or record.online_monitoring:
        return None
    return Breach(
        title=f"加油站未安装油气回收在线监测：{record.name}（{record.key}）",
        description=f"年销售汽油 {record.petrol_sales_t:g} 吨，大于 5000 吨 / "
        f"{record.petrol_sales_t:g} t of petrol a year, over 5,000 t",
        observed_at=end_of_day(to_china(record.created_at).date()),
        unit_code=UNIT_VAPOUR,
    )


def _urea(facts: Facts) -> Breach | None:
    """Task 27: a station along an expressway, national or provincial road selling no urea."""
    record = facts.record
    assert isinstance(record, FuelStation)
    if not _licensed_open(record) or not on_main_road(record) or record.urea_on_sale:
        return None
    if facts.today <= UREA_BY:
        return None
    road = ROAD_CLASSES.get(record.road_class, record.road_class)
    return Breach(
        title=f"主干道沿线加油站未销售车用尿素：{record.name}（{record.key}）",
        description=f"位于{road}{record.road_name or ''}沿线，未销售车用尿素 / along a main "
        "road without urea on sale",
        observed_at=end_of_day(UREA_BY),
        unit_code=UNIT_UREA,
    )


def _guo6(facts: Facts) -> Breach | None:
    """Task 25(1): not switched to 国六 fuel by 2017-09-30."""
    record = facts.record
    assert isinstance(record, FuelStation)
    if not _licensed_open(record) or upgraded_in_time(record) or facts.today <= GUO6_BY:
        return None
    when = f"{record.guo6_on} 才完成" if record.guo6_on else "尚未完成"
    return Breach(
        title=f"加油站未按期完成国六油品升级：{record.name}（{record.key}）",
        description=f"应于 {GUO6_BY} 前完成油品升级置换，{when} / not upgraded to 国六 fuel by "
        f"{GUO6_BY}",
        observed_at=end_of_day(GUO6_BY),
        severity="serious",
        unit_code=UNIT_UPGRADE,
    )


def _black_station(facts: Facts) -> Breach | None:
    """Task 25(4): an unlicensed station not yet banned."""
    record = facts.record
    assert isinstance(record, FuelStation)
    if not record.unlicensed or record.state == "banned":
        return None
    return Breach(
        title=f"黑加油站点：{record.name}（{record.key}）",
        description=f"{record.address or record.name} 无证经营成品油，应依法取缔 / an unlicensed "
        "station selling fuel, to be banned",
        observed_at=end_of_day(to_china(record.created_at).date()),
        severity="serious",
        unit_code=UNIT_BLACK,
    )


def _licensed(session: Session) -> list[FuelStation]:
    model = FuelStation
    return list(
        session.scalars(
            select(model)
            .where(model.unlicensed.is_(False), model.state != "banned")
            .order_by(model.key)
        )
    )


def _share(
    key: str, records: list[FuelStation], met: list[bool], zh: str, en: str
) -> IndicatorValue:
    total = len(records)
    done = sum(met)
    return IndicatorValue(
        key,
        round(100.0 * done / total, 1) if total else None,
        total,
        f"{zh}：{total} 座中 {done} 座",
        f"{en}: {done} of {total}",
        tuple(
            (f"{r.key} {r.name}", 100.0 if ok else 0.0) for r, ok in zip(records, met, strict=True)
        ),
    )


def _efficiency(session: Session) -> IndicatorValue:
    """Task 26's level: the lowest measured efficiency of a licensed station (each must reach
    the floor; an average would hide a failing station)."""
    measured = [r for r in _licensed(session) if r.vapour_recovery_pct is not None]
    measured.sort(key=lambda r: r.vapour_recovery_pct or 0.0)
    values = [r.vapour_recovery_pct or 0.0 for r in measured]
    return IndicatorValue(
        EFFICIENCY_TARGET,
        min(values) if values else None,
        len(measured),
        f"已检测的 {len(measured)} 座持证加油站中最低的油气综合回收效率（%）",
        f"the lowest measured efficiency of {len(measured)} licensed stations (%)",
        tuple((f"{r.key} {r.name}", v) for r, v in zip(measured, values, strict=True)),
    )


def _online_share(session: Session) -> IndicatorValue:
    big = [r for r in _licensed(session) if large(r)]
    return _share(
        "vapour_online_monitoring_large_stations",
        big,
        [r.online_monitoring for r in big],
        "年销售汽油量大于 5000 吨的加油站安装在线监测",
        "stations over 5,000 t a year with online monitoring",
    )


def _urea_share(session: Session) -> IndicatorValue:
    main = [r for r in _licensed(session) if on_main_road(r)]
    return _share(
        "urea_on_sale_main_road_stations",
        main,
        [r.urea_on_sale for r in main],
        "高速公路、国道、省道沿线加油站销售车用尿素",
        "main-road stations selling urea",
    )


def _guo6_share(session: Session) -> IndicatorValue:
    stations = _licensed(session)
    return _share(
        "fuel_stations_upgraded_guo6",
        stations,
        [upgraded_in_time(r) for r in stations],
        "2017-09-30 前完成国六油品升级置换的加油站",
        "stations upgraded to 国六 fuel by 2017-09-30",
    )


def _panels(session: Session, record: RegisterRecord) -> list[Panel]:
    """The samples taken at the station (the fuel-sample register, tasks 25(2)–(3))."""
    from lantian.sources.kinds.fuel_samples import samples_at_station

    return [samples_at_station(session, record.key)]


OPERATORS = ("中国石化", "中国石油", "延长壳牌", "民营")


def _sample(context: SampleContext) -> list[FuelStationRow]:
    rng = context.rng
    rows = []
    number = 0
    for code, area_name in context.areas:
        for _ in range(rng.randint(2, 4)):
            number += 1
            road: RoadClass = rng.choices(
                ("expressway", "national", "provincial", "urban", "rural"), (1, 3, 3, 3, 2)
            )[0]
            operator = rng.choice(OPERATORS)
            black = rng.random() < 0.04
            sales = round(
                rng.uniform(5200, 7800) if rng.random() < 0.12 else rng.uniform(600, 4200)
            )
            weak = rng.random() < 0.05
            rows.append(
                FuelStationRow(
                    key=f"JYZ-{code[-3:]}-{number:03d}",
                    name=f"示例{area_name}{'加油点' if black else '加油站'}{number:03d}",
                    area_code=code,
                    unit_code="swj",
                    address=f"{area_name}示例村",
                    longitude=round(113.2 + rng.random() * 0.35, 5),
                    latitude=round(34.4 + rng.random() * 0.2, 5),
                    note="示例数据 / sample",
                    operator=None if black else f"{operator}新密{area_name}经营部",
                    licence_no=None if black else f"油零售证书第 HN{number:05d} 号",
                    unlicensed=black,
                    road_class=road,
                    road_name={
                        "expressway": "郑少高速",
                        "national": "G310",
                        "provincial": "S316",
                    }.get(road),
                    petrol_sales_t=None if black else float(sales),
                    vapour_recovery_pct=None
                    if black
                    else round(rng.uniform(78, 84) if weak else rng.uniform(86, 95), 1),
                    vapour_tested_on=None
                    if black
                    else date(2017, rng.choice((7, 8)), rng.randint(1, 28)),
                    online_monitoring=not black and (sales > 5000 and rng.random() < 0.9),
                    urea_on_sale=not black and (road in MAIN_ROADS or rng.random() < 0.4),
                    guo6_on=None if black else date(2017, 9, rng.randint(5, 28)),
                )
            )
    return rows


KIND = RegisterKind(
    key="fuel_station",
    zh="加油站",
    en="fuel station",
    tasks=("25(1)", "25(4)", "26", "27"),
    model=FuelStation,
    row=FuelStationRow,
    columns=columns(
        Column("operator", "operator", "经营单位", example="中国石化新密分公司", width=20),
        Column("licence_no", "licence no", "成品油零售经营批准证书编号", aliases=("经营许可证号",)),
        Column(
            "unlicensed",
            "unlicensed",
            "无证经营（黑加油站点）",
            aliases=("黑加油站点",),
            example="否",
            width=10,
        ),
        Column(
            "road_class", "road class", "道路类别", choices=ROAD_CLASSES, example="国道", width=12
        ),
        Column("road_name", "road", "道路名称", example="G310"),
        Column(
            "petrol_sales_t",
            "petrol sales t/a",
            "年销售汽油量（吨）",
            aliases=("年汽油销量",),
            example="3200",
            note_zh="大于 5000 吨须安装油气回收在线监测设备（任务26）",
            note_en="over 5,000 t a year needs online vapour monitoring (task 26)",
        ),
        Column(
            "vapour_recovery_pct",
            "vapour recovery %",
            "油气综合回收效率（%）",
            aliases=("油气回收效率",),
            example="88.5",
            note_zh="不低于计划的 85%（任务26）",
            note_en="at least the plan's 85 % (task 26)",
        ),
        Column("vapour_tested_on", "vapour tested on", "油气回收检测日期", example="2017-08-15"),
        Column("online_monitoring", "online monitoring", "在线监测设备", example="否", width=10),
        Column("urea_on_sale", "urea on sale", "销售车用尿素", example="是", width=10),
        Column("guo6_on", "国六 since", "国六油品置换日期", example="2017-09-20", width=12),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "vapour_recovery",
            "油气回收不达标",
            "vapour recovery failing",
            CLAUSE_26,
            _vapour_recovery,
        ),
        Rule(
            "online_monitoring",
            "未装在线监测",
            "no online vapour monitoring",
            CLAUSE_26_ONLINE,
            _online_monitoring,
        ),
        Rule("urea", "未销售车用尿素", "no urea on sale", CLAUSE_27, _urea),
        Rule("guo6", "未完成国六升级", "not upgraded to 国六", CLAUSE_25_1, _guo6),
        Rule("black_station", "黑加油站点", "black station", CLAUSE_25_4, _black_station),
    ),
    indicators=(
        Indicator(EFFICIENCY_TARGET, _efficiency),
        Indicator("vapour_online_monitoring_large_stations", _online_share),
        Indicator("urea_on_sale_main_road_stations", _urea_share),
        Indicator("fuel_stations_upgraded_guo6", _guo6_share),
    ),
    sample=_sample,
    list_fields=("road_class", "petrol_sales_t", "vapour_recovery_pct", "urea_on_sale"),
    filter_fields=("road_class",),
    order=25,
    panels=_panels,
    notes=(
        (
            "油气回收效率的下限取自计划目标 vapour_recovery_efficiency（85%）。",
            "The vapour-recovery floor is the plan's vapour_recovery_efficiency target (85 %).",
        ),
    ),
)
