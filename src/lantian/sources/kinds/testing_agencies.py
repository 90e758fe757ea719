"""Motor-vehicle emission testing agencies (排放检验机构, plan task 23(3)) and the quality bureau's
monthly spot checks of them.

Task 23(3): "对于弄虚作假出具虚假排放检验报告的排放检验机构，市环保部门依法顶格处罚；情节严重的，由市质监
部门报请省、郑州市质监部门取消其排放检验资质；质监部门要加强对检验机构的日常监管，对检验机构的抽查比例每月
不少于20%".

* Each spot check (抽查) is a field check of the agency's entry; the quality bureau (市工商质监局) is a
  cooperating unit and records it on any agency.
* A check finding a false test report opens a case for the environment bureau (the entry's unit is
  always 市环保局, the lead unit of 23(3)).
* The share of agencies checked is judged per month (:func:`monthly_shares`): every month below the
  plan's target (``inspection_agency_check_ratio``, 20 %) opens one case for the quality bureau, a
  later good month notwithstanding; the targets page shows the worst month with every month behind it.
* Each agency's page ranks the agencies most often named by exceeding vehicles' tracing
  (:mod:`lantian.sources.kinds.vehicle_tests`) and lists the exceeding vehicles naming it.

Lifecycle::

    licensed ──suspend──► suspended ──reinstate──► licensed
    licensed / suspended ──revoke (取消资质, office)──► revoked
    licensed / suspended ──close (停业注销)──► closed
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import Integer, String, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian import clock
from lantian.plan import Plan
from lantian.sources.kinds.vehicle_tests import SAMPLE_AGENCIES, VehicleTest
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, Lifecycle, State
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord, SourceCheck
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
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
from lantian.timeutil import CHINA_TZ

KIND_KEY = "testing_agency"
TARGET_KEY = "inspection_agency_check_ratio"
#: Task 23(3)'s figure, used only when the plan in force states none.
DEFAULT_SHARE = 20.0
ENVIRONMENT_BUREAU = "hbj"
QUALITY_BUREAU = "gszjj"
CLAUSE_CHECKS = "任务23(3)：质监部门要加强对检验机构的日常监管，对检验机构的抽查比例每月不少于20%"
CLAUSE_FALSE = (
    "任务23(3)：对于弄虚作假出具虚假排放检验报告的排放检验机构，市环保部门依法顶格处罚；情节严重的，由市质监"
    "部门报请省、郑州市质监部门取消其排放检验资质"
)


class TestingAgency(RegisterRecord):
    __tablename__ = "src_testing_agencies"
    __audit_type__ = "testing_agency"

    licence: Mapped[str] = mapped_column(String(64))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    lanes: Mapped[int | None] = mapped_column(Integer)
    contact: Mapped[str | None] = mapped_column(String(100))


class TestingAgencyRow(RegisterRow):
    licence: str = Field(min_length=4, max_length=64)
    credit_code: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    lanes: int | None = Field(default=None, ge=0, le=50)
    contact: str | None = Field(default=None, max_length=100)


def complete(row: Any, plan: Plan) -> TestingAgencyRow:
    """The entry is the environment bureau's (the lead unit of 23(3), which punishes a false
    report), whatever a file says."""
    assert isinstance(row, TestingAgencyRow)
    return row.model_copy(update={"unit_code": ENVIRONMENT_BUREAU})


# --- checklist, lifecycle, rules ---------------------------------------------------------------

GENUINE = ChecklistItem(
    "reports_genuine", "检验报告真实（无弄虚作假）", "test reports genuine", CLAUSE_FALSE
)
EQUIPMENT = ChecklistItem(
    "equipment_valid", "检测设备检定校准有效", "equipment calibrated", CLAUSE_CHECKS
)
METHOD = ChecklistItem(
    "method_followed",
    "按标准方法检测、数据实时上传",
    "standard method, data uploaded",
    CLAUSE_CHECKS,
)
CHECKLIST = (GENUINE, EQUIPMENT, METHOD)

LIFECYCLE = Lifecycle(
    states=(
        State("licensed", "持证检验", "licensed"),
        State("suspended", "停业整顿", "suspended"),
        State("revoked", "取消资质", "licence revoked", closed=True),
        State("closed", "停业注销", "closed down", closed=True),
    ),
    initial="licensed",
    transitions=(
        step(
            "suspend",
            ("责令停业整顿", "suspend"),
            {"licensed"},
            "suspended",
            KEEPERS,
            CLAUSE_FALSE,
            note_required=True,
        ),
        step(
            "reinstate",
            ("整顿后恢复检验", "reinstate"),
            {"suspended"},
            "licensed",
            KEEPERS,
            CLAUSE_CHECKS,
            note_required=True,
        ),
        step(
            "revoke",
            ("取消排放检验资质", "revoke the licence"),
            {"licensed", "suspended"},
            "revoked",
            OFFICE_ROLES,
            CLAUSE_FALSE,
            note_required=True,
        ),
        step(
            "close",
            ("停业注销", "close down"),
            {"licensed", "suspended"},
            "closed",
            KEEPERS,
            CLAUSE_CHECKS,
            note_required=True,
        ),
    ),
)


def _false_report(facts: Facts) -> Breach | None:
    """A spot check found a false test report: a case for the environment bureau (顶格处罚)."""
    record = facts.record
    for check in facts.checks:
        entry = (check.items or {}).get(GENUINE.key)
        if entry is None:
            continue
        if entry["result"] != "fail":
            return None
        return Breach(
            title=f"排放检验机构出具虚假检验报告：{record.name}",
            description=f"{check.checked_at.astimezone(CHINA_TZ):%Y-%m-%d} 抽查发现 {record.name}"
            f"（资质 {getattr(record, 'licence', '-')}）弄虚作假出具虚假排放检验报告，由市环保部门依法顶格"
            f"处罚 / a spot check found a false test report. {entry.get('note') or ''}",
            observed_at=check.checked_at,
            severity="major",
        )
    return None


# --- the monthly share of agencies checked -----------------------------------------------------


@dataclass(frozen=True)
class MonthShare:
    """One month's spot checks: agencies registered in it, agencies checked, the share in %."""

    month: str
    agencies: int
    checked: int
    #: The month has ended (the current month is shown, but judged only once it is over).
    complete: bool

    @property
    def share(self) -> float | None:
        return None if self.agencies == 0 else round(100 * self.checked / self.agencies, 1)


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=CHINA_TZ)


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def monthly_shares(session: Session, today: date | None = None) -> list[MonthShare]:
    """Every month from the register's first agency through the current one (China time): the
    agencies registered and not yet revoked or closed during it, and how many had a spot check.

    Each month stands alone (task 23(3) "每月不少于20%"): nothing is averaged across months."""
    day = today or clock.today()
    agencies = session.execute(
        select(
            TestingAgency.id,
            TestingAgency.created_at,
            TestingAgency.state,
            TestingAgency.state_since,
        )
    ).all()
    if not agencies:
        return []
    checks = session.execute(
        select(SourceCheck.record_id, SourceCheck.checked_at).where(SourceCheck.kind == KIND_KEY)
    ).all()
    first = min(created for _, created, _, _ in agencies).astimezone(CHINA_TZ)
    year, month = first.year, first.month
    shares = []
    while (year, month) <= (day.year, day.month):
        start = _month_start(year, month)
        end = _month_start(*_next(year, month))
        active = {
            agency_id
            for agency_id, created, state, since in agencies
            if created < end and not (state in LIFECYCLE.closed_states and since < start)
        }
        checked = {
            record_id
            for record_id, checked_at in checks
            if record_id in active and start <= checked_at < end
        }
        shares.append(
            MonthShare(f"{year}-{month:02d}", len(active), len(checked), end.date() <= day)
        )
        year, month = _next(year, month)
    return shares


def required_share(plan: Plan) -> float:
    """The plan's monthly share (``inspection_agency_check_ratio``), 20 % when it states none."""
    for target, _, _ in plan.targets():
        if target.key == TARGET_KEY:
            return float(target.value)
    return DEFAULT_SHARE


def _months_below(session: Session, today: date, plan: Plan) -> Sequence[RegisterBreach]:
    """Every ended month whose share of agencies checked is below the plan's figure: one case per
    month for the quality bureau (a later good month does not undo it)."""
    floor = required_share(plan)
    real = session.scalar(select(func.count()).where(TestingAgency.is_sample.is_(False))) or 0
    found = []
    for month in monthly_shares(session, today):
        share = month.share
        if not month.complete or share is None or share >= floor:
            continue
        year, number = (int(part) for part in month.month.split("-"))
        last_day = _month_start(*_next(year, number)).date() - timedelta(days=1)
        found.append(
            RegisterBreach(
                f"month:{month.month}",
                Breach(
                    title=f"{month.month} 排放检验机构抽查比例 {share:g}%，低于 {floor:g}%",
                    description=f"{month.month} 抽查 {month.checked} 家 / 共 {month.agencies} 家"
                    f"（{share:g}%），每月应不少于 {floor:g}% / {month.checked} of "
                    f"{month.agencies} agencies checked in {month.month}, below {floor:g} %",
                    observed_at=end_of_day(last_day),
                    severity="serious",
                ),
                unit_code=QUALITY_BUREAU,
                is_sample=real == 0,
            )
        )
    return found


def _share_indicator(session: Session) -> IndicatorValue:
    months = monthly_shares(session)
    judged = [m for m in months if m.complete and m.share is not None]
    worst = min((m.share for m in judged if m.share is not None), default=None)
    agencies = session.scalar(select(func.count()).select_from(TestingAgency)) or 0
    return IndicatorValue(
        TARGET_KEY,
        worst,
        int(agencies),
        "各月抽查比例中最低的一个月（每月单独判定，不取平均）；明细为每月 已抽查/机构数",
        "the lowest month's share (each month judged alone, never averaged); detail: every month",
        tuple(
            (
                f"{m.month} {m.checked}/{m.agencies}{'' if m.complete else '（本月进行中）'}",
                m.share if m.share is not None else 0.0,
            )
            for m in months
        ),
    )


# --- the agency's page: tracing of exceeding vehicles ------------------------------------------

EXCEEDING = ("exceed", "black_smoke")


def _panels(session: Session, record: RegisterRecord) -> Sequence[Panel]:
    ranking = session.execute(
        select(VehicleTest.testing_agency, func.count())
        .where(VehicleTest.verdict.in_(EXCEEDING), VehicleTest.testing_agency.is_not(None))
        .group_by(VehicleTest.testing_agency)
        .order_by(func.count().desc(), VehicleTest.testing_agency)
        .limit(10)
    ).all()
    named = [str(name) for name, _ in ranking]
    pages = {
        key: agency_id
        for agency_id, agency_key, agency_name in session.execute(
            select(TestingAgency.id, TestingAgency.key, TestingAgency.name).where(
                or_(TestingAgency.name.in_(named), TestingAgency.key.in_(named))
            )
        )
        for key in (agency_key, agency_name)
    }
    vehicles = session.scalars(
        select(VehicleTest)
        .where(
            VehicleTest.verdict.in_(EXCEEDING),
            VehicleTest.testing_agency.in_([record.key, record.name]),
        )
        .order_by(VehicleTest.tested_at.desc())
        .limit(20)
    ).all()
    return (
        Panel(
            "most_named",
            "超标车辆溯源：被点名最多的排放检验机构",
            "agencies most often named by exceeding vehicles",
            (("排放检验机构", "testing agency"), ("超标车辆数", "exceeding vehicles")),
            tuple((str(name), str(count)) for name, count in ranking),
            tuple(
                f"/sources/{KIND_KEY}/{pages[str(name)]}" if str(name) in pages else None
                for name, _ in ranking
            ),
        ),
        Panel(
            "exceeding_vehicles",
            "本机构检验、路检遥感发现超标的车辆",
            "exceeding vehicles this agency tested",
            (
                ("车牌号码", "plate"),
                ("检测时间", "tested at"),
                ("结论", "verdict"),
                ("所属运输企业", "haulier"),
            ),
            tuple(
                (
                    v.plate,
                    f"{v.tested_at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}",
                    "冒黑烟" if v.verdict == "black_smoke" else "超标",
                    v.haulier or "-",
                )
                for v in vehicles
            ),
            tuple(f"/sources/vehicle_test/{v.id}" for v in vehicles),
        ),
    )


# --- sample ------------------------------------------------------------------------------------


def _sample(context: SampleContext) -> list[TestingAgencyRow]:
    rng = context.rng
    areas = [code for code, _ in context.areas] or ["410183100"]
    return [
        TestingAgencyRow(
            key=f"JYJG-{number:03d}",
            name=name,
            area_code=rng.choice(areas),
            unit_code=ENVIRONMENT_BUREAU,
            address="新密市" + rng.choice(("青屏大街", "嵩山大道", "西大街", "开阳路")),
            note="示例数据 / sample",
            licence=f"{rng.randint(150000, 179999)}12{rng.randint(1000, 9999)}",
            lanes=rng.randint(2, 6),
            contact=f"{rng.choice('王李张刘陈')}经理",
        )
        for number, name in enumerate(SAMPLE_AGENCIES, start=1)
    ]


KIND = RegisterKind(
    key=KIND_KEY,
    zh="排放检验机构",
    en="emission testing agency",
    tasks=("23(3)",),
    model=TestingAgency,
    row=TestingAgencyRow,
    columns=columns(
        Column(
            "licence",
            "licence",
            "检验检测机构资质认定证书编号",
            aliases=("资质证书编号",),
            example="161612345678",
        ),
        Column("credit_code", "credit code", "统一社会信用代码", example=""),
        Column("lanes", "test lanes", "检测线数", example="4"),
        Column("contact", "contact", "联系人", example="王经理 13800000000"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(Rule("false_report", "虚假检验报告", "false test report", CLAUSE_FALSE, _false_report),),
    register_rules=(
        RegisterRule(
            "monthly_checks",
            "每月抽查比例不足",
            "too few agencies checked in a month",
            CLAUSE_CHECKS,
            _months_below,
        ),
    ),
    indicators=(Indicator(TARGET_KEY, _share_indicator),),
    sample=_sample,
    list_fields=("licence", "lanes"),
    order=23,
    cooperating={QUALITY_BUREAU: frozenset(item.key for item in CHECKLIST)},
    complete=complete,
    panels=_panels,
)
