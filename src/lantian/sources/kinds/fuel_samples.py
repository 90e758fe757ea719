"""Fuel and urea samples taken at fuel stations (油品/尿素抽检记录, plan tasks 25(2), 25(3), 27).

Task 25(2): "加大对市售油品和车用尿素质量进行抽样检查，每月抽测比例不少于10%，依法查处销售不合格油品
和车用尿素的违法行为。" Task 25(3): "通过超标柴油车辆溯源追踪不合格油品销售、供应和生产者，采取最严格的
处罚措施。"

Each sample names the station of the fuel-station register it was taken at, the product, the
laboratory's verdict (the failing item when it failed) and the supplier the station bought it from.
A failed sample opens a case against the station for 市工商质监局 (lead of 25(2)); the supplier it is
traced to gets one case for 市环保局 (lead of 25(3)) however many of its samples fail.

The monthly share of stations sampled (≥ the plan's ``fuel_sampling_ratio``, 10 %) is judged per
month, never averaged: each month is a detail row of the indicator, whose value is the lowest
month's share, and a finished month below the floor opens its own case (:func:`_short_months`, a
rule of the register as a whole the nightly ``sources.evaluate`` judges) whatever the months after it show.

Lifecycle::

    recorded ──accept (the laboratory passed it)──► passed
    recorded ──trace (failed; the supplier named, what was found said)──► traced
    traced ──deal_with (查处: what was done said)──► dealt_with
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import Field, model_validator
from sqlalchemy import Date, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.plan import Plan
from lantian.sources.kinds.fuel_stations import FuelStation
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    Facts,
    Indicator,
    IndicatorValue,
    Panel,
    RegisterBreach,
    RegisterKind,
    RegisterRule,
    Rule,
    SampleContext,
    end_of_day,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

CLAUSE_25_2 = "任务25(2)：加大对市售油品和车用尿素质量进行抽样检查，每月抽测比例不少于10%，依法查处销售不合格油品和车用尿素的违法行为"
CLAUSE_25_3 = (
    "任务25(3)：通过超标柴油车辆溯源追踪不合格油品销售、供应和生产者，采取最严格的处罚措施"
)

PRODUCTS = {"petrol": "车用汽油", "diesel": "车用柴油", "urea": "车用尿素"}
Product = Literal["petrol", "diesel", "urea"]
RESULTS = {"pass": "合格", "fail": "不合格"}
Result = Literal["pass", "fail"]
#: The plan target holding 25(2)'s monthly floor (%).
SAMPLING_TARGET = "fuel_sampling_ratio"
#: The plan's period whose months are judged (秋冬季: October 2017 to March 2018, the months 25(2)
#: names from "2017年10月起").
PERIOD = "campaign"
#: 市工商质监局 leads 25(2) (the failed sample and the monthly share); 市环保局 leads 25(3).
UNIT_SAMPLING = "gszjj"
UNIT_TRACE = "hbj"
MONTH_RULE_KEY = "monthly_share"
#: The rule the month's case is filed under (``<kind>.<rule>``).
MONTH_RULE = f"fuel_sample.{MONTH_RULE_KEY}"


class FuelSample(RegisterRecord):
    __tablename__ = "src_fuel_samples"
    __audit_type__ = "fuel_sample"

    #: The key of the station in the fuel-station register.
    station_key: Mapped[str] = mapped_column(String(64), index=True)
    product: Mapped[str] = mapped_column(String(10))
    grade: Mapped[str | None] = mapped_column(String(40))
    sampled_on: Mapped[date] = mapped_column(Date, index=True)
    result: Mapped[str] = mapped_column(String(4))
    failed_item: Mapped[str | None] = mapped_column(String(100))
    report_no: Mapped[str | None] = mapped_column(String(64))
    #: Where the station bought the batch (供货单位): the trace of task 25(3).
    supplier: Mapped[str | None] = mapped_column(String(200), index=True)


class FuelSampleRow(RegisterRow):
    station_key: str = Field(min_length=1, max_length=64)
    product: Product
    grade: str | None = Field(default=None, max_length=40)
    sampled_on: date
    result: Result
    failed_item: str | None = Field(default=None, max_length=100)
    report_no: str | None = Field(default=None, max_length=64)
    supplier: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _failure_named(self) -> FuelSampleRow:
        if self.result == "fail" and not self.failed_item:
            raise ValueError("不合格样品须填写不合格项目 / a failed sample names the failing item")
        if self.result == "pass" and self.failed_item:
            raise ValueError("合格样品不应有不合格项目 / a passed sample has no failing item")
        return self


def _admit(session: Session, plan: Plan, row: FuelSampleRow) -> list[tuple[str, str]]:
    """The station is the register's, in the sample's township; the unit is 市工商质监局 unless
    another is named."""
    if row.unit_code is None:
        row.unit_code = UNIT_SAMPLING
    station = session.scalar(select(FuelStation).where(FuelStation.key == row.station_key))
    if station is None:
        return [
            (
                "station_key",
                f"加油站台账中没有编号为 {row.station_key} 的加油站 / no station with this key in "
                "the fuel-station register",
            )
        ]
    if station.area_code != row.area_code:
        return [
            (
                "area_code",
                f"加油站台账中该站位于 {station.area_code} / the register places the station in "
                f"{station.area_code}",
            )
        ]
    return []


def _passed(facts: Facts) -> list[Unmet]:
    if getattr(facts.record, "result", None) != "pass":
        return [("检验结论为不合格，应溯源查处", "the sample failed: trace and deal with it")]
    return []


def _traceable(facts: Facts) -> list[Unmet]:
    record = facts.record
    assert isinstance(record, FuelSample)
    unmet: list[Unmet] = []
    if record.result != "fail":
        unmet.append(("样品合格，应判定合格", "the sample passed: accept it"))
    if not record.supplier:
        unmet.append(("未填写供货单位，无法溯源", "no supplier recorded to trace it to"))
    return unmet


LIFECYCLE = Lifecycle(
    states=(
        State("recorded", "已抽检", "sampled"),
        State("passed", "合格", "passed", closed=True),
        State("traced", "不合格已溯源", "failed, traced"),
        State("dealt_with", "不合格已查处", "failed and dealt with", closed=True),
    ),
    initial="recorded",
    transitions=(
        step(
            "accept",
            ("判定合格", "accept"),
            {"recorded"},
            "passed",
            KEEPERS | VERIFIERS,
            CLAUSE_25_2,
            guard=_passed,
        ),
        step(
            "trace",
            ("溯源追踪", "trace to the supplier"),
            {"recorded"},
            "traced",
            KEEPERS | VERIFIERS,
            CLAUSE_25_3,
            guard=_traceable,
            note_required=True,
        ),
        step(
            "deal_with",
            ("依法查处", "dealt with"),
            {"traced"},
            "dealt_with",
            KEEPERS | VERIFIERS,
            CLAUSE_25_2,
            note_required=True,
        ),
    ),
)


def _what(record: FuelSample) -> str:
    return f"{PRODUCTS.get(record.product, record.product)}{f'（{record.grade}）' if record.grade else ''}"


def _failed_sample(facts: Facts) -> Breach | None:
    """A failed sample: the station sold fuel or urea below the standard (a case against the
    station for 市工商质监局, until the sample is dealt with)."""
    record = facts.record
    assert isinstance(record, FuelSample)
    if record.result != "fail" or record.state in LIFECYCLE.closed_states:
        return None
    return Breach(
        title=f"销售不合格{_what(record)}：{record.name}（加油站 {record.station_key}）",
        description=f"{record.sampled_on} 抽检 {record.key}（报告 {record.report_no or '-'}）"
        f"不合格项目：{record.failed_item}；供货单位：{record.supplier or '未查明'} / failed "
        f"sample at station {record.station_key}: {record.failed_item}",
        observed_at=end_of_day(record.sampled_on),
        severity="serious",
        unit_code=UNIT_SAMPLING,
    )


def _supplier_trace(facts: Facts) -> Breach | None:
    """Task 25(3): a failed sample traced to its supplier; the supplier's failed samples share one
    case (each adds an occurrence)."""
    record = facts.record
    assert isinstance(record, FuelSample)
    if record.result != "fail" or not record.supplier or record.state == "dealt_with":
        return None
    return Breach(
        title=f"溯源追踪不合格油品供应者：{record.supplier}",
        description=f"{record.sampled_on} 加油站 {record.station_key}（{record.name}）抽检"
        f"{_what(record)}不合格（{record.failed_item}），供货单位 {record.supplier} / a failed "
        f"sample traced to its supplier {record.supplier}",
        observed_at=end_of_day(record.sampled_on),
        severity="serious",
        unit_code=UNIT_TRACE,
    )


def samples_at_station(session: Session, station_key: str) -> Panel:
    """The samples taken at a station, newest first (the station's page shows them)."""
    found = session.scalars(
        select(FuelSample)
        .where(FuelSample.station_key == station_key)
        .order_by(FuelSample.sampled_on.desc(), FuelSample.key)
    ).all()
    return Panel(
        "fuel_samples",
        "油品和车用尿素抽检",
        "Fuel and urea samples",
        (
            ("编号", "key"),
            ("抽检日期", "sampled on"),
            ("品种", "product"),
            ("结论", "result"),
            ("不合格项目", "failed item"),
            ("供货单位", "supplier"),
        ),
        tuple(
            (
                row.key,
                f"{row.sampled_on}",
                _what(row),
                RESULTS.get(row.result, row.result),
                row.failed_item or "",
                row.supplier or "",
            )
            for row in found
        ),
        tuple(f"/sources/fuel_sample/{row.id}" for row in found),
        empty=("尚无抽检记录", "no sample yet"),
    )


def _panels(session: Session, record: RegisterRecord) -> list[Panel]:
    """The sample's station in the fuel-station register."""
    assert isinstance(record, FuelSample)
    station = session.scalar(select(FuelStation).where(FuelStation.key == record.station_key))
    return [
        Panel(
            "station",
            "抽检加油站",
            "Station sampled",
            (("编号", "key"), ("名称", "name"), ("经营单位", "operator")),
            ((record.station_key, station.name if station else "（未登记）",
              (station.operator or "") if station else ""),),
            (f"/sources/fuel_station/{station.id}" if station else None,),
        )
    ]  # fmt: skip


# --- the monthly share (task 25(2): 每月抽测比例不少于10%) -------------------------------------


@dataclass(frozen=True)
class MonthShare:
    """One month's sampling: licensed stations, those sampled, the share; ``judged`` once the
    month is over (the running month is shown, not judged)."""

    month: date
    stations: int
    sampled: int
    judged: bool

    @property
    def share(self) -> float | None:
        return round(100.0 * self.sampled / self.stations, 1) if self.stations else None

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}" + ("" if self.judged else "（本月进行中 in progress）")


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def judged_period(plan: Plan) -> tuple[date, date] | None:
    """The first and last day of the plan's campaign period (None: the plan has none)."""
    period = plan.plan.periods.get(PERIOD) if plan.plan is not None else None
    if period is None or period.start is None or period.end is None:
        return None
    return period.start, period.end


def monthly_sampling(session: Session, today: date, plan: Plan) -> list[MonthShare]:
    """Every month of the plan's campaign period up to ``today``'s: the licensed stations of the
    register and how many of them had at least one sample that month."""
    period = judged_period(plan)
    if period is None:
        return []
    stations = (
        session.scalar(
            select(func.count())
            .select_from(FuelStation)
            .where(FuelStation.unlicensed.is_(False), FuelStation.state != "banned")
        )
        or 0
    )
    licensed = select(FuelStation.key).where(FuelStation.unlicensed.is_(False))
    months: list[MonthShare] = []
    month = period[0].replace(day=1)
    current = min(today, period[1]).replace(day=1)
    while month <= current:
        following = _next_month(month)
        sampled = (
            session.scalar(
                select(func.count(func.distinct(FuelSample.station_key))).where(
                    FuelSample.sampled_on >= month,
                    FuelSample.sampled_on < following,
                    FuelSample.station_key.in_(licensed),
                )
            )
            or 0
        )
        months.append(MonthShare(month, stations, int(sampled), judged=following <= today))
        month = following
    return months


def sampling_floor(plan: Plan) -> float | None:
    """The plan's monthly floor (%), None when the plan sets none."""
    return next((t.value for t, _, _ in plan.targets() if t.key == SAMPLING_TARGET), None)


def _sampling_share(session: Session) -> IndicatorValue:
    from lantian import clock
    from lantian.plan import plan_in_force

    months = monthly_sampling(session, clock.today(), plan_in_force())
    judged = [m.share for m in months if m.judged and m.share is not None]
    samples = session.scalar(select(func.count()).select_from(FuelSample)) or 0
    return IndicatorValue(
        SAMPLING_TARGET,
        min(judged) if judged else None,
        int(samples),
        "逐月判定：已结束各月中最低的加油站抽测比例（%），各月不平均",
        "judged per month: the lowest share of stations sampled in a finished month (%), "
        "never averaged",
        tuple((m.label, m.share) for m in months if m.share is not None),
    )


def short_months(session: Session, today: date, plan: Plan) -> list[MonthShare]:
    """The finished months whose share of stations sampled is under the plan's floor (none when
    the plan sets no floor, or the register holds no licensed station to sample)."""
    floor = sampling_floor(plan)
    if floor is None:
        return []
    months = monthly_sampling(session, today, plan)
    return [m for m in months if m.judged and m.share is not None and m.share < floor]


def _short_months(session: Session, today: date, plan: Plan) -> list[RegisterBreach]:
    """Each finished month under the floor is one case for 市工商质监局 (the samples a month lacks),
    observed at the month's last instant: a month stays a breach whatever later months show, and
    re-evaluation adds nothing (:attr:`RegisterKind.register_rules`, judged nightly)."""
    floor = sampling_floor(plan) or 0.0
    found = []
    for month in short_months(session, today, plan):
        last_day = _next_month(month.month) - timedelta(days=1)
        found.append(
            RegisterBreach(
                subject=f"month:{month.month:%Y-%m}",
                breach=Breach(
                    title=f"{month.month:%Y年%m月}油品和车用尿素抽测比例不足 {floor:g}%",
                    description=f"{month.month:%Y-%m}：持证加油站 {month.stations} 座，抽检 "
                    f"{month.sampled} 座，抽测比例 {month.share:g}%（不少于 {floor:g}%）/ "
                    f"{month.sampled} of {month.stations} stations sampled in {month.month:%Y-%m}",
                    observed_at=end_of_day(last_day),
                    severity="serious",
                ),
                unit_code=UNIT_SAMPLING,
            )
        )
    return found


def _sample(context: SampleContext) -> list[FuelSampleRow]:
    """Samples of the stations the register holds (loaded first): October to December 2017 and
    January 2018, about one station in eight a month, November short (one station in twenty)."""
    if context.session is None:
        return []
    rng = context.rng
    stations = context.session.scalars(
        select(FuelStation).where(FuelStation.unlicensed.is_(False)).order_by(FuelStation.key)
    ).all()
    if not stations:
        return []
    suppliers = ("河南某石油销售有限公司", "郑州某能源贸易有限公司", "新郑某化工有限公司")
    rows = []
    number = 0
    for month, share in ((10, 0.14), (11, 0.05), (12, 0.13), (1, 0.12)):
        year = 2018 if month == 1 else 2017
        picked = rng.sample(list(stations), max(1, round(len(stations) * share)))
        for station in picked:
            number += 1
            product: Product = rng.choices(("petrol", "diesel", "urea"), (5, 4, 2))[0]
            failed = rng.random() < 0.06
            rows.append(
                FuelSampleRow(
                    key=f"YPCJ-{year}{month:02d}-{number:03d}",
                    name=station.name,
                    area_code=station.area_code,
                    unit_code=UNIT_SAMPLING,
                    address=station.address,
                    longitude=station.longitude,
                    latitude=station.latitude,
                    note="示例数据 / sample",
                    station_key=station.key,
                    product=product,
                    grade={"petrol": "92# 国六", "diesel": "0# 国六", "urea": "AUS 32"}[product],
                    sampled_on=date(year, month, rng.randint(3, 20)),
                    result="fail" if failed else "pass",
                    failed_item=(
                        {"petrol": "硫含量", "diesel": "硫含量", "urea": "尿素含量"}[product]
                        if failed
                        else None
                    ),
                    report_no=f"XMZJ-YP-{year}-{number:04d}",
                    supplier=rng.choice(suppliers),
                )
            )
    return rows


KIND = RegisterKind(
    key="fuel_sample",
    zh="油品和车用尿素抽检",
    en="fuel and urea sample",
    tasks=("25(2)", "25(3)", "27"),
    model=FuelSample,
    row=FuelSampleRow,
    columns=columns(
        Column("station_key", "station", "加油站编号", aliases=("加油站",), example="JYZ-100-001"),
        Column("product", "product", "抽检品种", choices=PRODUCTS, example="车用汽油", width=12),
        Column("grade", "grade", "牌号", example="92# 国六", width=12),
        Column("sampled_on", "sampled on", "抽检日期", example="2017-11-08", width=12),
        Column("result", "result", "检验结论", choices=RESULTS, example="合格", width=10),
        Column("failed_item", "failed item", "不合格项目", example="硫含量"),
        Column("report_no", "report no", "检验报告编号", example="XMZJ-YP-2017-0001"),
        Column(
            "supplier",
            "supplier",
            "供货单位",
            aliases=("供应商",),
            example="河南某石油销售有限公司",
            note_zh="溯源追踪不合格油品供应者（任务25(3)）",
            note_en="whom the station bought it from: the trace of task 25(3)",
        ),
    ),
    lifecycle=LIFECYCLE,
    rules=(
        Rule("failed_sample", "抽检不合格", "failed sample", CLAUSE_25_2, _failed_sample),
        Rule(
            "supplier_trace",
            "溯源供应者",
            "traced to the supplier",
            CLAUSE_25_3,
            _supplier_trace,
            group=lambda record: f"supplier:{record.supplier}",
        ),
    ),
    indicators=(Indicator(SAMPLING_TARGET, _sampling_share),),
    sample=_sample,
    list_fields=("station_key", "product", "sampled_on", "result"),
    filter_fields=("product", "result"),
    # After the stations it samples (task 25 too): the demo loads the stations first.
    order=26,
    admit=_admit,
    panels=_panels,
    register_rules=(
        RegisterRule(
            MONTH_RULE_KEY,
            "月抽测比例不足",
            "monthly sampling share short",
            CLAUSE_25_2,
            _short_months,
        ),
    ),
    notes=(
        (
            "每月抽测比例按月判定，不以后续月份平均（计划目标 fuel_sampling_ratio，10%）。",
            "The monthly share is judged per month, never averaged (the plan's "
            "fuel_sampling_ratio, 10 %).",
        ),
    ),
)
