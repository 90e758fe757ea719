"""Administrative enforcement actions (行政处罚/执法台账, plan safeguard 三 and task 21).

Safeguard 三（三）强化执法: "对各类环境违法行为实行“零容忍”，加大对违法责任主体的处罚力度 … 对查处的
环境违法“重管、重罚、重处” … 各监管部门要加强与检察、审判部门的协作，对涉嫌环境犯罪的，依法追究刑事
责任。" Task 21 (and 22): "即超即罚", "拒不改正的，依法实施按日计罚".

One entry is one decision (处罚决定), keyed by its decision number (the 文书号's code, the full
Chinese number beside it): whom it names (an enterprise of the emission inventory by its 统一社会信用
代码 where it is one, else a site, vehicle, station or fuel station by its own key), the township,
the issuing unit (the entry's unit), the legal basis, the type of action, the amounts and dates, the
inspection case it was taken from (``case_number``: the case's number on ``/cases/<n>``) and its
disclosure (公开: the date and the public summary). For a daily fine (按日计罚, 《大气污染防治法》第一百
二十三条) the days and the total are computed from the amount per day and the first and last day;
they are never typed.

Lifecycle::

    filed ──decide──► decided ──serve──► served ──execute──► executed ──close──► closed
    filed / decided ──withdraw (note)──► withdrawn
    decided / served / executed ──revoke (note)──► revoked

Only a decided action that is neither withdrawn nor revoked may be disclosed; the public list
(:mod:`lantian.penalties.disclosure`) shows only disclosed ones. The monthly statistics per unit and
township are :mod:`lantian.penalties.statistics`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise
from typing import Any, Literal, get_args

from pydantic import Field, model_validator
from sqlalchemy import Date, Float, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.emissions.models import Enterprise
from lantian.plan import Plan
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Facts,
    Panel,
    RegisterKind,
    SampleContext,
    overdue_rule,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

CLAUSE_ENFORCE = (
    "保障措施三（三）：对各类环境违法行为实行“零容忍”，加大对违法责任主体的处罚力度 … 对查处的环境违法"
    "“重管、重罚、重处”"
)
CLAUSE_CRIME = (
    "保障措施三（三）：各监管部门要加强与检察、审判部门的协作，对涉嫌环境犯罪的，依法追究刑事责任"
)
CLAUSE_DAILY = "任务21、22：即超即罚 … 拒不改正的，依法实施按日计罚"
CLAUSE_DISCLOSE = "保障措施三（一）：公开污染物排放情况，接受社会监督"

SUBJECT_KINDS = {
    "enterprise": "企业",
    "site": "工地",
    "vehicle": "车辆",
    "station": "监测站点",
    "fuel_station": "加油站",
    "other": "其他",
}
SubjectKind = Literal["enterprise", "site", "vehicle", "station", "fuel_station", "other"]
ACTION_TYPES = {
    "warning": "警告",
    "fine": "罚款",
    "daily_fine": "按日计罚",
    "stop_production": "责令停产整治",
    "seal": "查封扣押",
    "closure": "责令停业关闭",
    "police_referral": "移送公安",
    "prosecution_referral": "移送检察",
}
ActionType = Literal[
    "warning",
    "fine",
    "daily_fine",
    "stop_production",
    "seal",
    "closure",
    "police_referral",
    "prosecution_referral",
]
#: States in which an action stands (decided and not withdrawn or revoked): it may be disclosed
#: and it counts in the monthly statistics.
STANDING_STATES = frozenset({"decided", "served", "executed", "closed"})
CREDIT_CODE = r"^[0-9A-HJ-NPQRTUWXY]{18}$"


class EnforcementAction(RegisterRecord):
    __tablename__ = "src_enforcement_actions"
    __audit_type__ = "enforcement_action"

    #: The decision's full number as written on it (e.g. 新环罚决字〔2017〕12号); the key is its code.
    document_number: Mapped[str | None] = mapped_column(String(100))
    subject_kind: Mapped[str] = mapped_column(String(16), index=True)
    #: The subject's own key: a plate, a site's or station's register key, a credit code.
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True)
    #: 统一社会信用代码 where the subject is an enterprise of the emission inventory.
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    legal_basis: Mapped[str] = mapped_column(String(300))
    action_type: Mapped[str] = mapped_column(String(24), index=True)
    #: A fine's amount in yuan (a daily fine's one-off part, if any).
    fine_amount: Mapped[float | None] = mapped_column(Float)
    #: 按日计罚: yuan per day, the first and last day fined, the days and total computed.
    daily_amount: Mapped[float | None] = mapped_column(Float)
    daily_from: Mapped[date | None] = mapped_column(Date)
    daily_until: Mapped[date | None] = mapped_column(Date)
    daily_days: Mapped[int | None] = mapped_column(Integer)
    total_amount: Mapped[float | None] = mapped_column(Float)
    filed_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date, index=True)
    served_on: Mapped[date | None] = mapped_column(Date)
    executed_on: Mapped[date | None] = mapped_column(Date)
    #: The inspection case the action was taken from (its number, ``/cases/<n>``).
    case_number: Mapped[str | None] = mapped_column(String(20), index=True)
    disclosed_on: Mapped[date | None] = mapped_column(Date)
    public_summary: Mapped[str | None] = mapped_column(Text)


def daily_fine_days(first: date, last: date) -> int:
    """Days of a daily fine, both ends counted (《大气污染防治法》第一百二十三条: 按照原处罚数额按日连续
    处罚, from the day after the order to correct up to the day the correction is found)."""
    return (last - first).days + 1


class EnforcementRow(RegisterRow):
    document_number: str | None = Field(default=None, max_length=100)
    subject_kind: SubjectKind
    subject_key: str | None = Field(default=None, max_length=64)
    credit_code: str | None = Field(default=None, pattern=CREDIT_CODE)
    legal_basis: str = Field(min_length=1, max_length=300)
    action_type: ActionType
    fine_amount: float | None = Field(default=None, ge=0)
    daily_amount: float | None = Field(default=None, gt=0)
    daily_from: date | None = None
    daily_until: date | None = None
    #: Computed from the amount per day and the days: whatever a form or file says is replaced.
    daily_days: int | None = None
    total_amount: float | None = None
    filed_on: date | None = None
    decided_on: date | None = None
    served_on: date | None = None
    executed_on: date | None = None
    case_number: str | None = Field(default=None, max_length=20, pattern=r"^\d+$")
    disclosed_on: date | None = None
    public_summary: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _amounts_and_dates(self) -> EnforcementRow:
        if self.credit_code is not None and self.subject_kind != "enterprise":
            raise ValueError("只有企业填写统一社会信用代码 / only an enterprise has a credit code")
        if self.action_type == "fine" and self.fine_amount is None:
            raise ValueError("罚款须填写罚款金额 / a fine needs its amount")
        if self.action_type == "daily_fine":
            if self.daily_amount is None or self.daily_from is None or self.daily_until is None:
                raise ValueError(
                    "按日计罚须填写每日罚款额及计罚起止日期 / a daily fine needs the amount per "
                    "day and its first and last day"
                )
            if self.daily_until < self.daily_from:
                raise ValueError(
                    "计罚截止日期早于起始日期 / the last day fined is before the first"
                )
            self.daily_days = daily_fine_days(self.daily_from, self.daily_until)
        else:
            if self.daily_amount is not None or self.daily_from or self.daily_until:
                raise ValueError(
                    "只有按日计罚填写每日罚款额及起止日期 / only a daily fine has an amount per day"
                )
            self.daily_days = None
        daily_total = (self.daily_amount or 0.0) * (self.daily_days or 0)
        if self.fine_amount is None and not daily_total:
            self.total_amount = None
        else:
            self.total_amount = round((self.fine_amount or 0.0) + daily_total, 2)
        order = [
            ("filed_on", "立案日期", "filed"),
            ("decided_on", "决定日期", "decided"),
            ("served_on", "送达日期", "served"),
            ("executed_on", "执行日期", "executed"),
        ]
        known = [(name, zh, en, getattr(self, name)) for name, zh, en in order]
        known = [item for item in known if item[3] is not None]
        for (_, zh1, en1, d1), (_, zh2, en2, d2) in pairwise(known):
            if d2 < d1:
                raise ValueError(f"{zh2}早于{zh1} / the day {en2} is before the day {en1}")
        if self.disclosed_on is not None:
            if self.decided_on is None or self.disclosed_on < self.decided_on:
                raise ValueError("公开日期须在决定日期之后 / disclosure follows the decision")
            if not (self.public_summary or "").strip():
                raise ValueError("公开须填写公开摘要 / a disclosure needs its public summary")
        return self


def _dated(field_name: str, zh: str, en: str) -> Any:
    def guard(facts: Facts) -> list[Unmet]:
        if getattr(facts.record, field_name, None) is None:
            return [(f"未填写{zh}", f"the {en} is not filled in")]
        return []

    return guard


def _decision_holds(facts: Facts) -> list[Unmet]:
    unmet = list(_dated("decided_on", "决定日期", "decision date")(facts))
    record: Any = facts.record
    if record.decided_on is not None and record.decided_on > facts.today:
        unmet.append(("决定日期在将来", "the decision date is in the future"))
    return unmet


LIFECYCLE = Lifecycle(
    states=(
        State("filed", "已立案", "filed"),
        State("decided", "已作出决定", "decided"),
        State("served", "已送达", "served"),
        State("executed", "已执行", "executed"),
        State("closed", "已结案", "closed", closed=True),
        State("withdrawn", "已撤销立案", "withdrawn", closed=True),
        State("revoked", "决定已撤销", "revoked", closed=True),
    ),
    initial="filed",
    transitions=(
        step(
            "decide",
            ("作出处罚决定", "decide"),
            {"filed"},
            "decided",
            KEEPERS,
            CLAUSE_ENFORCE,
            guard=_decision_holds,
        ),
        step(
            "serve",
            ("送达", "serve"),
            {"decided"},
            "served",
            KEEPERS,
            CLAUSE_ENFORCE,
            guard=_dated("served_on", "送达日期", "service date"),
        ),
        step(
            "execute",
            ("执行到位", "executed"),
            {"served"},
            "executed",
            KEEPERS,
            CLAUSE_DAILY,
            guard=_dated("executed_on", "执行（缴款）日期", "execution date"),
        ),
        step("close", ("结案", "close"), {"executed"}, "closed", KEEPERS, CLAUSE_ENFORCE),
        step(
            "withdraw",
            ("撤销立案", "withdraw"),
            {"filed", "decided"},
            "withdrawn",
            KEEPERS,
            CLAUSE_ENFORCE,
            note_required=True,
        ),
        step(
            "revoke",
            ("撤销处罚决定", "revoke"),
            {"decided", "served", "executed"},
            "revoked",
            OFFICE_ROLES,
            CLAUSE_ENFORCE,
            note_required=True,
        ),
    ),
)


def _admit(session: Session, plan: Plan, row: Any) -> list[tuple[str, str]]:
    """A disclosure needs an action that stands: decided, neither withdrawn nor revoked."""
    if row.disclosed_on is None:
        return []
    state = session.scalar(select(EnforcementAction.state).where(EnforcementAction.key == row.key))
    if state in STANDING_STATES:
        return []
    return [
        (
            "disclosed_on",
            "只有已作出且未撤销的处罚决定可以公开 / only a decided action that is neither "
            "withdrawn nor revoked may be disclosed",
        )
    ]


def _panels(session: Session, record: RegisterRecord) -> Sequence[Panel]:
    """The inspection case the action was taken from, one click away."""
    from lantian.supervision.models import InspectionCase

    assert isinstance(record, EnforcementAction)
    if not record.case_number:
        return ()
    case = session.get(InspectionCase, int(record.case_number))
    rows: tuple[tuple[str, ...], ...] = (
        ((record.case_number, case.title, case.state),)
        if case is not None
        else ((record.case_number, "（案件不存在）", "—"),)
    )
    return (
        Panel(
            "source_case",
            "来源督查案件",
            "Inspection case it came from",
            (("案件编号", "case"), ("标题", "title"), ("状态", "state")),
            rows,
            (f"/cases/{record.case_number}" if case is not None else None,),
        ),
    )


SAMPLE_BASES = {
    "fine": "《中华人民共和国大气污染防治法》第九十九条",
    "daily_fine": "《中华人民共和国大气污染防治法》第一百二十三条",
    "stop_production": "《中华人民共和国大气污染防治法》第九十九条",
    "seal": "《中华人民共和国环境保护法》第二十五条",
    "warning": "《中华人民共和国大气污染防治法》第一百零八条",
    "closure": "《中华人民共和国大气污染防治法》第九十九条",
    "police_referral": "《行政主管部门移送适用行政拘留环境违法案件暂行办法》第五条",
    "prosecution_referral": "《中华人民共和国刑法》第三百三十八条",
}


def _sample(context: SampleContext) -> list[EnforcementRow]:
    """Decisions of the campaign's months against the demo inventory's firms (a few dozen, one in
    eight a daily fine, most disclosed a week after service)."""
    if context.session is None:
        return []
    rng = context.rng
    areas = dict(context.areas)
    firms = context.session.execute(
        select(Enterprise.credit_code, Enterprise.name, Enterprise.area_code)
        .where(Enterprise.sample.is_(True))
        .order_by(Enterprise.credit_code)
    ).all()
    firms = [firm for firm in firms if firm.area_code in areas]
    if not firms:
        return []
    types: tuple[ActionType, ...] = get_args(ActionType)
    rows = []
    for number in range(1, min(40, len(firms)) + 1):
        credit_code, name, area_code = rng.choice(firms)
        action_type = rng.choices(types, (2, 10, 3, 4, 2, 1, 1, 1))[0]
        filed = date(2017, 10, 1) + timedelta(days=rng.randint(0, 100))
        decided = filed + timedelta(days=rng.randint(3, 20))
        served = decided + timedelta(days=rng.randint(1, 5))
        fine = float(rng.choice((20000, 50000, 100000, 200000))) if action_type == "fine" else None
        daily = action_type == "daily_fine"
        first = served + timedelta(days=1) if daily else None
        disclosed = served + timedelta(days=7) if rng.random() < 0.8 else None
        type_zh = ACTION_TYPES[action_type]
        rows.append(
            EnforcementRow(
                key=f"XMHF-{decided.year}-{number:04d}",
                name=name,
                area_code=area_code,
                unit_code="hbj",
                deadline=served + timedelta(days=15),
                note="示例数据 / sample",
                document_number=f"新环罚决字〔{decided.year}〕{number}号",
                subject_kind="enterprise",
                subject_key=credit_code,
                credit_code=credit_code,
                legal_basis=SAMPLE_BASES[action_type],
                action_type=action_type,
                fine_amount=fine,
                daily_amount=float(rng.choice((10000, 20000))) if daily else None,
                daily_from=first,
                daily_until=first + timedelta(days=rng.randint(3, 20)) if first else None,
                filed_on=filed,
                decided_on=decided,
                served_on=served,
                disclosed_on=disclosed,
                public_summary=f"{name}大气环境违法，依法予以{type_zh}" if disclosed else None,
            )
        )
    return rows


KIND = RegisterKind(
    key="enforcement_action",
    zh="行政处罚",
    en="enforcement action",
    tasks=("21", "保障措施三"),
    model=EnforcementAction,
    row=EnforcementRow,
    columns=columns(
        Column("document_number", "document number", "文书号", example="新环罚决字〔2017〕12号"),
        Column(
            "subject_kind",
            "subject kind",
            "处罚对象类别",
            choices=SUBJECT_KINDS,
            example="企业 enterprise",
            width=12,
        ),
        Column("subject_key", "subject key", "对象编号", aliases=("车牌号", "对象代码"), width=18),
        Column(
            "credit_code",
            "credit code",
            "统一社会信用代码",
            example="91410183MA0000001X",
            note_zh="处罚对象为排放清单中的企业时填写",
            note_en="where the subject is an enterprise of the emission inventory",
            width=20,
        ),
        Column(
            "legal_basis",
            "legal basis",
            "法律依据",
            example="《中华人民共和国大气污染防治法》第九十九条",
            width=30,
        ),
        Column(
            "action_type",
            "action type",
            "处罚种类",
            choices=ACTION_TYPES,
            example="罚款 fine",
            width=14,
        ),
        Column("fine_amount", "fine (yuan)", "罚款金额（元）", example="100000", width=12),
        Column("daily_amount", "daily fine (yuan/day)", "按日计罚每日金额（元）", width=12),
        Column("daily_from", "daily fine from", "按日计罚起始日", width=12),
        Column("daily_until", "daily fine until", "按日计罚截止日", width=12),
        Column(
            "daily_days",
            "daily fine days",
            "按日计罚天数",
            note_zh="自动计算，填写无效",
            note_en="computed; what is typed is replaced",
            width=10,
        ),
        Column(
            "total_amount",
            "total (yuan)",
            "罚没合计（元）",
            note_zh="自动计算，填写无效",
            note_en="computed; what is typed is replaced",
            width=12,
        ),
        Column("filed_on", "filed on", "立案日期", example="2017-10-12", width=12),
        Column("decided_on", "decided on", "决定日期", width=12),
        Column("served_on", "served on", "送达日期", width=12),
        Column("executed_on", "executed on", "执行（缴款）日期", width=12),
        Column("case_number", "case number", "来源案件编号", width=10),
        Column("disclosed_on", "disclosed on", "公开日期", width=12),
        Column("public_summary", "public summary", "公开摘要", width=30),
    ),
    lifecycle=LIFECYCLE,
    rules=(
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_ENFORCE,
            title=lambda record: f"处罚决定逾期未执行：{record.name}",
            label=("逾期未执行", "not executed by the deadline"),
            done=frozenset({"executed", "closed", "withdrawn", "revoked"}),
        ),
    ),
    sample=_sample,
    list_fields=("action_type", "total_amount", "decided_on", "disclosed_on"),
    filter_fields=("action_type", "subject_kind"),
    order=90,
    notes=(
        (
            "按日计罚的天数与罚没合计由每日金额和起止日期计算（首尾两日都计），不需填写。",
            "A daily fine's days and the total are computed from the amount per day and its first "
            "and last day (both counted); they are not typed.",
        ),
        (
            "只有已作出且未撤销的处罚决定可以公开；公开后出现在公众网站的处罚公示中。",
            "Only a decided action neither withdrawn nor revoked may be disclosed; once disclosed "
            "it appears on the public site's list.",
        ),
    ),
    panels=_panels,
    pages=(
        ("/sources/enforcement_action/statistics", "月度统计", "monthly statistics"),
        ("/public/penalties", "处罚公示（公众）", "public disclosure list"),
    ),
    admit=_admit,
    enterprise_field="credit_code",
)
