"""Open-pit mines (露天矿山综合整治, plan task 35).

Task 35: "(1) 严格露天矿山新上建设项目核准。(2) 严格露天矿山新上建设项目环境影响评价报告审批。
(3) 对违反资源环境法律法规、规划，污染环境、破坏生态、乱采滥挖的露天矿山，2017年9月底前依法予以关闭。
(4) 对污染治理不规范、排放不达标的露天矿山，依法责令停产整治，按照“一矿一策”制定整治方案，整治完成并经
相关部门组织验收合格后方可恢复生产，未通过验收的一律不得恢复生产，对拒不停产或擅自恢复生产的依法强制
关闭。(5) 对责任主体灭失的露天矿山，各乡镇政府、街道办事处要加强修复绿化，减尘抑尘。露天矿山综合整治有关
情况要及时在媒体公开。"

One entry is one mine: its approvals (采矿许可证, 环评批复), the way the plan deals with it
(``category``: approvals in order, closure, stop-and-rectify, or restoration of an orphan mine),
its one-mine-one-plan (一矿一策整治方案) and the media disclosure of its restoration.

Lifecycle::

    registered ──verify (采矿许可 + 环评 on file)──► approved
    registered / approved ──stop (责令停产整治)──► stopped ──file_plan (一矿一策)──► plan_filed
    plan_filed ──accept (验收合格, checks with evidence)──► accepted ──restart──► restarted
    plan_filed ──reject (验收不合格)──► stopped
    registered / stopped / plan_filed ──close (停采、拆除、断电, each with a photo)──► closed
    closed (or an orphan mine) ──restore (修复绿化, a photo)──► restored ──disclose (媒体公开)──► disclosed
    approved / restarted / closed / restored / disclosed ──reopen (found producing)──► stopped
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.plan import plan_in_force
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord, SourceCheck
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    Indicator,
    IndicatorValue,
    RegisterKind,
    Rule,
    SampleContext,
    overdue_rule,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

CATEGORIES = {
    "compliant": "手续齐全",
    "close": "依法关闭",
    "rectify": "停产整治",
    "orphan": "责任主体灭失",
}
Category = Literal["compliant", "close", "rectify", "orphan"]
CLAUSE_APPROVAL = (
    "任务35(1)(2)：严格露天矿山新上建设项目核准；严格露天矿山新上建设项目环境影响评价报告审批"
)
CLAUSE_CLOSE = (
    "任务35(3)：对违反资源环境法律法规、规划，污染环境、破坏生态、乱采滥挖的露天矿山，"
    "2017年9月底前依法予以关闭"
)
CLAUSE_RECTIFY = (
    "任务35(4)：依法责令停产整治，按照“一矿一策”制定整治方案，整治完成并经相关部门组织验收合格后"
    "方可恢复生产，未通过验收的一律不得恢复生产"
)
CLAUSE_FORCED = "任务35(4)：对拒不停产或擅自恢复生产的依法强制关闭"
CLAUSE_RESTORE = (
    "任务35(5)：对责任主体灭失的露天矿山，各乡镇政府、街道办事处要加强修复绿化，减尘抑尘"
)
CLAUSE_DISCLOSE = "任务35(5)：露天矿山综合整治有关情况要及时在媒体公开"
CLAUSE_ACCOUNTABILITY = "四、（四）强化督导：对大气污染防治不作为、慢作为，甚至失职失责等问题 … 对相关责任人实施严肃问责"


class OpenPitMine(RegisterRecord):
    __tablename__ = "src_open_pit_mines"
    __audit_type__ = "open_pit_mine"

    category: Mapped[str] = mapped_column(String(10), index=True)
    mineral: Mapped[str | None] = mapped_column(String(50))
    #: 采矿权人 / the operator (None for an orphan mine: 责任主体灭失).
    operator: Mapped[str | None] = mapped_column(String(200))
    #: 采矿许可证号 (task 35(1)).
    mining_license: Mapped[str | None] = mapped_column(String(64))
    #: 环评批复文号 (task 35(2)).
    eia_approval: Mapped[str | None] = mapped_column(String(100))
    #: 一矿一策整治方案 (its title or document number, task 35(4)).
    rectification_plan: Mapped[str | None] = mapped_column(String(200))
    #: Where the restoration was made public (媒体公开: the medium and link, task 35(5)).
    disclosure: Mapped[str | None] = mapped_column(String(300))
    disclosed_on: Mapped[date | None] = mapped_column(Date)


class MineRow(RegisterRow):
    category: Category
    mineral: str | None = Field(default=None, max_length=50)
    operator: str | None = Field(default=None, max_length=200)
    mining_license: str | None = Field(default=None, max_length=64)
    eia_approval: str | None = Field(default=None, max_length=100)
    rectification_plan: str | None = Field(default=None, max_length=200)
    disclosure: str | None = Field(default=None, max_length=300)
    disclosed_on: date | None = None


#: The closure's checks (依法予以关闭): each a pass with a photo before the mine is closed.
CLOSURE = (
    ChecklistItem("mining_stopped", "停止开采", "mining stopped", CLAUSE_CLOSE, True),
    ChecklistItem(
        "equipment_removed", "拆除开采设备", "mining equipment removed", CLAUSE_CLOSE, True
    ),
    ChecklistItem("power_cut", "断电", "power cut", CLAUSE_CLOSE, True),
)
#: The acceptance of a one-mine-one-plan rectification (验收合格): each with its evidence.
RECTIFIED = (
    ChecklistItem(
        "dust_controlled",
        "抑尘设施到位（喷淋、覆盖、硬化）",
        "dust controls in place",
        CLAUSE_RECTIFY,
        True,
    ),
    ChecklistItem(
        "emissions_compliant",
        "排放达标（监测报告）",
        "emissions compliant (report)",
        CLAUSE_RECTIFY,
        True,
    ),
)
GREENED = ChecklistItem("greened", "修复绿化完成", "restored and greened", CLAUSE_RESTORE, True)
#: A revisit's question: is the mine idle (a fail: found producing).
IDLE = ChecklistItem("not_producing", "未开采生产", "not producing", CLAUSE_FORCED)
CHECKLIST = (*CLOSURE, *RECTIFIED, GREENED, IDLE)

#: The states in which the mine is closed for good (task 35(3)).
CLOSED_FOR_GOOD = frozenset({"closed", "restored", "disclosed"})
#: The states in which the mine may not produce before an accepted rectification (task 35(4)).
AWAITING_ACCEPTANCE = frozenset({"stopped", "plan_filed"})


def _approvals_on_file(facts: Facts) -> list[Unmet]:
    record: Any = facts.record
    unmet: list[Unmet] = []
    if record.category != "compliant":
        unmet.append(("只有手续齐全的矿山核验在产", "only a mine with its approvals is verified"))
    if not record.mining_license:
        unmet.append(("缺少采矿许可证号", "the mining licence is missing"))
    if not record.eia_approval:
        unmet.append(("缺少环评批复文号", "the environmental assessment approval is missing"))
    return unmet


def _plan_on_file(facts: Facts) -> list[Unmet]:
    if not getattr(facts.record, "rectification_plan", None):
        return [("未填写“一矿一策”整治方案", "the one-mine-one-plan is not on file")]
    return []


def _rectified(facts: Facts) -> list[Unmet]:
    return [*_plan_on_file(facts), *unproven(facts, RECTIFIED)]


def _closure_holds(facts: Facts) -> list[Unmet]:
    return unproven(facts, CLOSURE)


def _restoration_holds(facts: Facts) -> list[Unmet]:
    record: Any = facts.record
    unmet: list[Unmet] = []
    if record.state == "registered" and record.category != "orphan":
        unmet.append(
            (
                "只有责任主体灭失的矿山可直接修复，其他矿山应先关闭",
                "only an orphan mine is restored without a closure first",
            )
        )
    return [*unmet, *unproven(facts, (GREENED,))]


def _disclosure_holds(facts: Facts) -> list[Unmet]:
    record: Any = facts.record
    if not record.disclosure or record.disclosed_on is None:
        return [
            (
                "未填写媒体公开的媒体和日期",
                "the medium and date of the public disclosure are not filled in",
            )
        ]
    if record.disclosed_on > facts.today:
        return [("公开日期在将来", "the disclosure date is in the future")]
    return []


LIFECYCLE = Lifecycle(
    states=(
        State("registered", "登记在册", "registered"),
        State("approved", "手续齐全在产", "approved and producing", closed=True),
        State("stopped", "停产整治", "stopped for rectification"),
        State("plan_filed", "一矿一策已制定", "one-mine-one-plan filed"),
        State("accepted", "验收合格", "rectification accepted"),
        State("restarted", "验收后恢复生产", "restarted after acceptance", closed=True),
        State("closed", "已关闭", "closed", closed=True),
        State("restored", "修复绿化完成", "restored"),
        State("disclosed", "已媒体公开", "restoration disclosed", closed=True),
    ),
    initial="registered",
    transitions=(
        step(
            "verify",
            ("核验手续", "verify approvals"),
            {"registered"},
            "approved",
            KEEPERS,
            CLAUSE_APPROVAL,
            guard=_approvals_on_file,
        ),
        step(
            "stop",
            ("责令停产整治", "order stop and rectification"),
            {"registered", "approved"},
            "stopped",
            KEEPERS | VERIFIERS,
            CLAUSE_RECTIFY,
        ),
        step(
            "file_plan",
            ("制定一矿一策", "file the one-mine-one-plan"),
            {"stopped"},
            "plan_filed",
            KEEPERS,
            CLAUSE_RECTIFY,
            guard=_plan_on_file,
        ),
        step(
            "accept",
            ("验收合格", "accept the rectification"),
            {"plan_filed"},
            "accepted",
            VERIFIERS,
            CLAUSE_RECTIFY,
            guard=_rectified,
            note_required=True,
        ),
        step(
            "reject",
            ("验收不合格", "reject the rectification"),
            {"plan_filed"},
            "stopped",
            VERIFIERS,
            CLAUSE_RECTIFY,
            note_required=True,
        ),
        step(
            "restart",
            ("恢复生产", "restart"),
            {"accepted"},
            "restarted",
            KEEPERS,
            CLAUSE_RECTIFY,
        ),
        step(
            "close",
            ("依法关闭", "close"),
            {"registered", "stopped", "plan_filed"},
            "closed",
            KEEPERS,
            CLAUSE_CLOSE,
            guard=_closure_holds,
        ),
        step(
            "restore",
            ("修复绿化", "restore"),
            {"registered", "closed"},
            "restored",
            KEEPERS,
            CLAUSE_RESTORE,
            guard=_restoration_holds,
        ),
        step(
            "disclose",
            ("媒体公开", "disclose"),
            {"restored"},
            "disclosed",
            KEEPERS,
            CLAUSE_DISCLOSE,
            guard=_disclosure_holds,
        ),
        step(
            "reopen",
            ("发现开采，重新整治", "found producing: reopen"),
            {"approved", "restarted", "closed", "restored", "disclosed"},
            "stopped",
            VERIFIERS | OFFICE_ROLES,
            CLAUSE_FORCED,
            note_required=True,
        ),
    ),
)


def _found_producing_since(facts: Facts) -> SourceCheck | None:
    """The newest check since the entry reached its state that found the mine producing."""
    record = facts.record
    for check in facts.checks:
        if check.checked_at < record.state_since:
            return None
        entry = (check.items or {}).get(IDLE.key)
        if entry is not None:
            return check if entry["result"] == "fail" else None
    return None


def _producing_after_closure(facts: Facts) -> Breach | None:
    """A closed mine found producing again: the closure was not enforced (问责)."""
    record = facts.record
    if record.state not in CLOSED_FOR_GOOD:
        return None
    found = _found_producing_since(facts)
    if found is None:
        return None
    return Breach(
        title=f"已关闭露天矿山恢复开采：{record.name}",
        description=f"{found.checked_at:%Y-%m-%d} 核查发现已关闭的露天矿山 {record.key} 恢复开采，应依法"
        "强制关闭并追究责任 / a closed mine was found producing again",
        observed_at=found.checked_at,
        severity="major",
        accountability=True,
    )


def _producing_unaccepted(facts: Facts) -> Breach | None:
    """A mine stopped for rectification found producing before its acceptance (擅自恢复生产)."""
    record = facts.record
    if record.state not in AWAITING_ACCEPTANCE:
        return None
    found = _found_producing_since(facts)
    if found is None:
        return None
    return Breach(
        title=f"露天矿山未经验收擅自恢复生产：{record.name}",
        description=f"{found.checked_at:%Y-%m-%d} 核查发现停产整治的露天矿山 {record.key} 未经验收即生产；"
        "未通过验收的一律不得恢复生产，擅自恢复生产的依法强制关闭 / a mine stopped for "
        "rectification was found producing before its acceptance",
        observed_at=found.checked_at,
        severity="major",
    )


def _closed_share(session: Session) -> IndicatorValue:
    """Task 35(3): of the mines to be closed, the share closed (in each township too)."""
    model = OpenPitMine
    rows = session.execute(
        select(model.area_code, model.state).where(model.category == "close")
    ).all()
    total = Counter(area for area, _ in rows)
    done = Counter(area for area, state in rows if state in CLOSED_FOR_GOOD)
    closed = sum(done.values())
    names = plan_in_force().area_names()
    return IndicatorValue(
        "illegal_open_pit_mines_closed_share",
        round(100.0 * closed / len(rows), 1) if rows else None,
        len(rows),
        f"列入关闭的露天矿山 {len(rows)} 座，已关闭 {closed} 座",
        f"{closed} of the {len(rows)} mines listed for closure closed",
        tuple(
            (f"{names.get(area, area)} {area}", round(100.0 * done[area] / n, 1))
            for area, n in sorted(total.items())
        ),
    )


def _producing_unaccepted_count(session: Session) -> IndicatorValue:
    """Task 35(4): mines awaiting acceptance whose newest revisit found them producing."""
    model = OpenPitMine
    waiting = {
        record_id: (area, since)
        for record_id, area, since in session.execute(
            select(model.id, model.area_code, model.state_since).where(
                model.state.in_(AWAITING_ACCEPTANCE)
            )
        )
    }
    newest: dict[int, SourceCheck] = {}
    if waiting:
        for check in session.scalars(
            select(SourceCheck)
            .where(SourceCheck.kind == KIND_KEY, SourceCheck.record_id.in_(list(waiting)))
            .order_by(SourceCheck.checked_at, SourceCheck.id)
        ):
            if IDLE.key in (check.items or {}) and check.checked_at >= waiting[check.record_id][1]:
                newest[check.record_id] = check
    producing = Counter(
        waiting[record_id][0]
        for record_id, check in newest.items()
        if check.items[IDLE.key]["result"] == "fail"
    )
    count = sum(producing.values())
    return IndicatorValue(
        "open_pit_mines_producing_unaccepted",
        float(count),
        len(waiting),
        f"停产整治待验收 {len(waiting)} 座中，最近核查发现生产 {count} 座",
        f"{count} of the {len(waiting)} mines awaiting acceptance found producing at their last check",
        tuple((area, float(n)) for area, n in sorted(producing.items())),
    )


def _disclosed_share(session: Session) -> IndicatorValue:
    """Task 35(5): of the mines restored, the share whose restoration was made public."""
    model = OpenPitMine
    rows = session.execute(
        select(model.category, model.state).where(model.state.in_(("restored", "disclosed")))
    ).all()
    disclosed = sum(1 for _, state in rows if state == "disclosed")
    return IndicatorValue(
        "open_pit_mine_restoration_disclosed_share",
        round(100.0 * disclosed / len(rows), 1) if rows else None,
        len(rows),
        f"修复绿化完成 {len(rows)} 座，已媒体公开 {disclosed} 座",
        f"{disclosed} of the {len(rows)} restored mines disclosed",
        tuple(
            (
                f"{zh} {key}",
                float(sum(1 for c, s in rows if c == key and s == "disclosed")),
            )
            for key, zh in CATEGORIES.items()
            if any(c == key for c, _ in rows)
        ),
    )


#: The townships of Xinmi's hills where the open-pit quarries are (limestone, clay, sandstone).
MINERALS = ("石灰岩", "建筑用砂岩", "耐火黏土", "铝土矿", "白云岩", "建筑石料")


def _sample(context: SampleContext) -> list[MineRow]:
    """A township's mine list of August 2017: mostly quarries to close or to rectify."""
    rng = context.rng
    # The towns and the scenic area in the hills (not the sub-districts or the industrial cluster).
    hills = (
        {a.code for a in context.plan.areas if a.kind in ("township", "scenic_area")}
        if context.plan is not None
        else {code for code, _ in context.areas if not code[-3:].startswith("0")}
    )
    areas = [a for a in context.areas if a[0] in hills] or list(context.areas)
    rows: list[MineRow] = []
    for number in range(1, 29):
        code, area_name = rng.choice(areas)
        category: Category = rng.choices(
            ("close", "rectify", "compliant", "orphan"), (10, 8, 5, 5)
        )[0]
        mineral = rng.choice(MINERALS)
        licensed = category in ("compliant", "rectify")
        rows.append(
            MineRow(
                key=f"LTKS-{code[-3:]}-{number:03d}",
                name=f"{area_name}示例{mineral}露天矿{number:02d}",
                area_code=code,
                unit_code={"close": "gtj", "rectify": "hbj", "compliant": "gtj"}.get(
                    category, "gtj"
                ),
                address=f"新密市{area_name}示例村",
                longitude=round(113.2 + rng.random() * 0.3, 5),
                latitude=round(34.42 + rng.random() * 0.18, 5),
                deadline=date(2017, 9, 30) if category == "close" else None,
                note="示例数据 / sample",
                category=category,
                mineral=mineral,
                operator=None
                if category == "orphan"
                else f"新密市示例{mineral}开采有限公司{number:02d}",
                mining_license=f"C4101832009{number:06d}" if licensed else None,
                eia_approval=f"新环审〔2016〕{number}号" if licensed else None,
                rectification_plan=f"{area_name}示例矿山一矿一策整治方案{number:02d}"
                if category == "rectify" and rng.random() < 0.6
                else None,
                disclosure="新密市人民政府网 xinmi.gov.cn 露天矿山综合整治公示"
                if category == "orphan" and rng.random() < 0.5
                else None,
                disclosed_on=date(2017, 10, 20) if category == "orphan" else None,
            )
        )
    return rows


KIND_KEY = "open_pit_mine"

KIND = RegisterKind(
    key=KIND_KEY,
    zh="露天矿山",
    en="open-pit mine",
    tasks=("35(1)", "35(2)", "35(3)", "35(4)", "35(5)"),
    model=OpenPitMine,
    row=MineRow,
    columns=columns(
        Column(
            "category",
            "category",
            "整治类别",
            choices=CATEGORIES,
            example="依法关闭 close",
            width=14,
        ),
        Column("mineral", "mineral", "矿种", example="石灰岩", width=12),
        Column("operator", "operator", "采矿权人", example="某矿业有限公司"),
        Column("mining_license", "mining license", "采矿许可证号", example="C4101832009000001"),
        Column("eia_approval", "EIA approval", "环评批复文号", example="新环审〔2016〕1号"),
        Column(
            "rectification_plan",
            "rectification plan",
            "一矿一策整治方案",
            example="某矿一矿一策整治方案",
            width=24,
        ),
        Column("disclosure", "disclosure", "媒体公开（媒体及链接）", example="新密市人民政府网"),
        Column("disclosed_on", "disclosed on", "公开日期", example="2017-10-20", width=12),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_CLOSE,
            title=lambda record: f"违法违规露天矿山逾期未关闭：{record.name}",
            label=("逾期未关闭", "not closed by the deadline"),
            done=CLOSED_FOR_GOOD,
            applies=lambda record: record.category == "close",
            severity="major",
        ),
        Rule(
            "producing_after_closure",
            "关闭后恢复开采",
            "producing after closure",
            f"{CLAUSE_CLOSE}；{CLAUSE_ACCOUNTABILITY}",
            _producing_after_closure,
        ),
        Rule(
            "producing_unaccepted",
            "未经验收擅自恢复生产",
            "producing before acceptance",
            CLAUSE_FORCED,
            _producing_unaccepted,
        ),
    ),
    indicators=(
        Indicator("illegal_open_pit_mines_closed_share", _closed_share),
        Indicator("open_pit_mines_producing_unaccepted", _producing_unaccepted_count),
        Indicator("open_pit_mine_restoration_disclosed_share", _disclosed_share),
    ),
    sample=_sample,
    list_fields=("category", "mineral", "mining_license"),
    filter_fields=("category",),
    order=35,
)
