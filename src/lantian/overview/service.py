"""The overview (一张图 for a leader and the office) and the personal to-do list.

Everything here is read from the owning packages' services and reckoned at one day, the campaign's
day of the one clock (:func:`lantian.campaign.service.campaign_day`). Every figure carries the
address of the list it summarises, so that a page shows the number as a link to its rows:

* the plan's targets and how far each is (方案 一、总体目标 and the annex's quantified targets,
  rolled up by :func:`lantian.campaign.service.target_progress`);
* the city's good (AQI ≤ 100) and heavy-pollution (AQI > 200) days of the campaign so far
  (HJ 633-2012 levels; city values by 点位平均, HJ 663-2013);
* the warning in force with the areas its decision names;
* late tasks by lead unit (deadlines missed) and reports owed by unit and township (方案 三、
  保障措施（二）: monthly progress by the 2nd);
* inspection cases open, overdue and closed by responsible unit (边督边改);
* the townships at the bottom of the month's ranking — or, where no township of the plan has data,
  the areas that do, said as such.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.permissions import Action, Principal, can, resource
from lantian.campaign import service as campaign
from lantian.campaign.models import ProgressReport
from lantian.monitoring import publication
from lantian.monitoring.quality import shared_grids
from lantian.monitoring.ranking import AreaRank, area_ranking
from lantian.supervision import duty
from lantian.supervision import rules as case_rules
from lantian.supervision import service as cases
from lantian.supervision.groups import InspectionSupportPlan
from lantian.timeutil import CHINA_TZ
from lantian.warnings.service import ActiveWarning

#: How many townships the overview names at the bottom of the ranking.
BOTTOM = 3
#: Case steps that ask the account to act (a progress note or listing is optional work).
ACTION_EVENTS = (
    case_rules.CaseEvent.FORWARD,
    case_rules.CaseEvent.ACCEPT,
    case_rules.CaseEvent.REPORT,
    case_rules.CaseEvent.CLOSE,
)
#: Review states of a progress report still waiting for the office.
AWAITING_OFFICE = ("submitted", "lead_accepted")


def _href(path: str, **query: Any) -> str:
    params = {k: v for k, v in query.items() if v not in (None, "", False)}
    return f"{path}?{urlencode(params)}" if params else path


#: Whose landing page after sign-in is the overview (the others land on the office dashboard).
LANDS_ON_OVERVIEW = frozenset({"administrator", "campaign_office", "leader"})


def landing_page(who: Principal) -> str:
    """Where sign-in lands when no page was asked for."""
    return "/overview" if who.role in LANDS_ON_OVERVIEW and may_see_overview(who) else "/office"


def may_see_overview(who: Principal) -> bool:
    """The overview is for those who read the whole campaign: leaders and the office (the
    accounts that may read every progress report)."""
    return (
        not who.is_public
        and who.role not in ("unit", "township")
        and can(who, Action.READ, resource("progress_report"))
    )


# --- the overview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetLine:
    key: str
    indicator: str
    comparator: str
    value: float
    unit: str
    overall: bool
    actual: float | None
    met: bool | None
    progress: float | None
    overdue: bool
    href: str


@dataclass(frozen=True)
class DaysSummary:
    """The city's daily AQI over the campaign so far."""

    first: date
    last: date | None  # the last whole day counted (None: no day yet)
    measured: int
    good: int
    heavy: int
    good_href: str
    heavy_href: str
    measured_href: str


@dataclass(frozen=True)
class LateRow:
    """A unit or township with tasks late: deadlines missed (lead units) and reports owed."""

    kind: str  # "unit" or "area"
    code: str
    name: str
    missed_tasks: int
    owed_reports: int
    href: str
    missed_href: str


@dataclass(frozen=True)
class CaseRow:
    unit_code: str
    name: str
    open: int
    overdue: int
    closed: int
    href: str
    overdue_href: str
    closed_href: str


@dataclass(frozen=True)
class RankingSummary:
    """The bottom of the month's ranking, and whether it ranks the plan's own townships."""

    first: date | None
    last: date | None
    bottom: list[AreaRank]
    ranked: int
    #: True: the rows are townships of the plan; False: no township of the plan has data, and the
    #: rows are the areas whose stations do (the demo ranks Zhengzhou's districts).
    of_plan: bool
    plan_areas_without_data: int


@dataclass(frozen=True)
class Overview:
    day: date
    targets: list[TargetLine]
    days: DaysSummary | None
    warning: ActiveWarning | None
    late: list[LateRow]
    cases: list[CaseRow]
    ranking: RankingSummary
    #: Everything up for escalation (the dashboard tile's figure): reports missing or late,
    #: deadlines missed, targets past due.
    escalations: int
    escalations_href: str

    @property
    def targets_met(self) -> int:
        return sum(1 for t in self.targets if t.met is True)

    @property
    def targets_overdue(self) -> int:
        return sum(1 for t in self.targets if t.overdue)


def _period(context: campaign.PlanContext, key: str) -> tuple[date | None, date | None]:
    found = context.periods.get(key, {})

    def as_date(value: Any) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(str(value))

    return as_date(found.get("start")), as_date(found.get("end"))


def targets(session: Session, context: campaign.PlanContext, day: date) -> list[TargetLine]:
    """Every target of the plan with its roll-up as of ``day``."""
    return [
        TargetLine(
            key=p.target.key,
            indicator=p.target.indicator,
            comparator=p.target.comparator,
            value=p.target.value,
            unit=p.target.unit,
            overall=p.target.defined_in == "overall",
            actual=p.rollup.actual,
            met=p.rollup.met,
            progress=p.rollup.progress,
            overdue=p.overdue,
            href=_href("/campaign/targets", as_of=day.isoformat()),
        )
        for p in campaign.target_progress(session, context, day)
    ]


def campaign_days(session: Session, context: campaign.PlanContext, day: date) -> DaysSummary | None:
    """Good and heavy-pollution days of the city over the campaign up to the day before ``day``."""
    start, end = _period(context, "campaign")
    if start is None:
        return None
    last = min(end or day, day - timedelta(days=1))
    daily = publication.city_daily_aqi(session, start, last) if last >= start else []
    rated = [d for d in daily if d.aqi is not None]

    def days_href(kind: str) -> str:
        return _href("/overview/days", kind=kind)

    return DaysSummary(
        first=start,
        last=rated[-1].day if rated else None,
        measured=len(rated),
        good=sum(1 for d in rated if d.level <= 2),
        heavy=sum(1 for d in rated if d.level >= 5),
        good_href=days_href("good"),
        heavy_href=days_href("heavy"),
        measured_href=days_href("all"),
    )


def late_by_reporter(
    session: Session,
    context: campaign.PlanContext,
    day: date,
    views: list[campaign.TaskView] | None = None,
) -> list[LateRow]:
    """Lead units with deadlines missed and units and townships owing monthly reports, worst
    first (one pass over the task views, the same rule as the escalation list)."""
    months = [m for m in context.reporting_months() if context.report_due(m) < day]
    missed: Counter[tuple[str, str]] = Counter()
    owed: Counter[tuple[str, str]] = Counter()
    for view in views if views is not None else campaign.task_views(session, context, day):
        if view.missed:
            for unit in view.task.lead_units:
                missed[("unit", unit)] += 1
        have = {(r.reporter_kind, r.reporter_code, r.period_month) for r in view.reports}
        for kind, code in context.expected_reporters(view.task):
            owed[(kind, code)] += sum(1 for m in months if (kind, code, m) not in have)
    rows = []
    for kind, code in set(missed) | {k for k, n in owed.items() if n}:
        filter_name = "unit" if kind == "unit" else "area"
        rows.append(
            LateRow(
                kind=kind,
                code=code,
                name=context.reporter_name(kind, code),
                missed_tasks=missed[(kind, code)],
                owed_reports=owed[(kind, code)],
                href=_href("/campaign/tasks", **{filter_name: code, "as_of": day.isoformat()}),
                missed_href=_href(
                    "/campaign/tasks",
                    **{filter_name: code, "status": "overdue", "as_of": day.isoformat()},
                ),
            )
        )
    return sorted(rows, key=lambda r: (-(r.missed_tasks + r.owed_reports), r.kind, r.code))


def cases_by_unit(session: Session, context: campaign.PlanContext, who: Principal) -> list[CaseRow]:
    """Inspection cases per responsible unit: open, overdue, closed (边督边改)."""
    rows = []
    for progress in cases.rectification_progress(session, who):
        code = progress.unit_code
        kind = "area" if code in context.areas else "unit"
        name = context.reporter_name(kind, code) if code != "-" else "—"
        rows.append(
            CaseRow(
                unit_code=code,
                name=name,
                open=progress.total - progress.closed,
                overdue=progress.overdue,
                closed=progress.closed,
                href=_href("/cases", unit=code if code != "-" else None, open="true"),
                overdue_href=_href("/cases", unit=code if code != "-" else None, overdue="true"),
                closed_href=_href("/cases", unit=code if code != "-" else None, state="closed"),
            )
        )
    return sorted(rows, key=lambda r: (-r.overdue, -r.open, r.unit_code))


def ranked_plan_areas(ranking: list[AreaRank], plan_areas: set[str] | dict[str, Any]) -> int:
    """How many of the plan's own areas (its townships) a ranking ranks: where none is, a page
    ranking other areas (the demo's Zhengzhou districts) has to say so."""
    return sum(1 for row in ranking if row.rank is not None and row.area_code in plan_areas)


def ranking_bottom(session: Session, context: campaign.PlanContext) -> RankingSummary:
    """The month so far (to the newest data day) ranked; the last :data:`BOTTOM` of the plan's
    townships, or of whatever areas have data when none of the plan's has."""
    newest = publication.newest_hour(session)
    if newest is None:
        return RankingSummary(None, None, [], 0, False, len(context.areas))
    last = (newest - timedelta(seconds=1)).astimezone(CHINA_TZ).date()
    first = last.replace(day=1)
    ranked = [row for row in area_ranking(session, first, last) if row.rank is not None]
    of_plan = [row for row in ranked if row.area_code in context.areas]
    shown = of_plan or ranked
    return RankingSummary(
        first=first,
        last=last,
        bottom=list(reversed(shown[-BOTTOM:])),
        ranked=len(shown),
        of_plan=bool(of_plan),
        plan_areas_without_data=len(context.areas) - len(of_plan),
    )


def build_overview(
    session: Session,
    context: campaign.PlanContext,
    who: Principal,
    day: date,
    warning: ActiveWarning | None,
) -> Overview:
    """The overview as of the campaign's ``day`` (``warning``: the warnings service's answer for
    the plan's city, passed in as the page got it)."""
    # Read-only: the targets and the escalations read the city's daily series once, and the
    # campaign's days cut theirs from the same grids (shared_grids).
    with shared_grids(session):
        return _build_overview(session, context, who, day, warning)


def _build_overview(
    session: Session,
    context: campaign.PlanContext,
    who: Principal,
    day: date,
    warning: ActiveWarning | None,
) -> Overview:
    # The task views are the costly part (every report of the plan): read them once.
    views = campaign.task_views(session, context, day)
    return Overview(
        day=day,
        targets=targets(session, context, day),
        days=campaign_days(session, context, day),
        warning=warning,
        late=late_by_reporter(session, context, day, views),
        cases=cases_by_unit(session, context, who),
        ranking=ranking_bottom(session, context),
        escalations=len(campaign.escalations(session, context, day, views)),
        escalations_href=_href("/campaign/escalations", as_of=day.isoformat()),
    )


#: Overviews already built, by what they depend on (see :func:`overview_for`); a few suffice.
_BUILT: OrderedDict[tuple[Any, ...], Overview] = OrderedDict()
_BUILT_KEEP = 16


def overview_for(
    session: Session,
    context: campaign.PlanContext,
    who: Principal,
    day: date,
    warning: ActiveWarning | None,
) -> Overview:
    """:func:`build_overview`, built once per state of the data: every change to campaign data,
    cases or warnings is written to the audit log (``lantian.db.audited``), and measurements move
    the newest hour, so the newest audit entry, the newest hour, the day, the warning and the
    account's reach say when a built overview still holds."""
    key = (
        *campaign.data_state(session),
        context.plan.id,
        day,
        who.role,
        who.scope,
        publication.newest_hour(session),
        (warning.level, warning.updated, tuple(warning.areas)) if warning else None,
    )
    found = _BUILT.get(key)
    if found is None:
        found = build_overview(session, context, who, day, warning)
        _BUILT[key] = found
        while len(_BUILT) > _BUILT_KEEP:
            _BUILT.popitem(last=False)
    else:
        _BUILT.move_to_end(key)
    return found


@dataclass(frozen=True)
class DayRow:
    day: date
    aqi: int | None
    level: int
    primary: list[str]


def days_list(
    session: Session, context: campaign.PlanContext, day: date, kind: str
) -> list[DayRow]:
    """The campaign's days behind an overview figure: ``good``, ``heavy`` or ``all``."""
    start, end = _period(context, "campaign")
    if start is None:
        return []
    last = min(end or day, day - timedelta(days=1))
    daily = publication.city_daily_aqi(session, start, last) if last >= start else []
    chosen = [
        d
        for d in daily
        if d.aqi is not None
        and (
            kind == "all" or (kind == "good" and d.level <= 2) or (kind == "heavy" and d.level >= 5)
        )
    ]
    return [DayRow(d.day, d.aqi, d.level, d.primary) for d in chosen]


# --- the to-do list --------------------------------------------------------------------------


@dataclass(frozen=True)
class TodoItem:
    """One thing the account has to do, with where to do it."""

    kind: str  # "report_owed", "report_due", "review", "case", "daily_report"
    title: str
    detail: str
    href: str
    due: date | None
    overdue: bool
    count: int = 1


@dataclass(frozen=True)
class TodoList:
    day: date
    items: list[TodoItem]

    def of(self, kind: str) -> list[TodoItem]:
        return [item for item in self.items if item.kind == kind]

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)


def _reports_owed(
    session: Session, context: campaign.PlanContext, who: Principal, day: date
) -> list[TodoItem]:
    """A unit's or township's monthly reports: those due before ``day`` and not sent (overdue),
    and the next one falling due (方案 三（二）: each month by the 2nd)."""
    if who.role not in ("unit", "township") or not who.scope:
        return []
    kind = "unit" if who.role == "unit" else "area"
    months = context.reporting_months()
    past = [m for m in months if context.report_due(m) < day]
    upcoming = [m for m in months if context.report_due(m) >= day][:1]
    items = []
    falling_due: Counter[date] = Counter()
    views = campaign.visible_views(context, campaign.task_views(session, context, day), who)
    for view in views:
        if (kind, who.scope) not in context.expected_reporters(view.task):
            continue
        have = {
            r.period_month
            for r in view.reports
            if r.reporter_kind == kind and r.reporter_code == who.scope
        }
        for month in past:
            if month in have:
                continue
            items.append(
                TodoItem(
                    kind="report_owed",
                    title=f"{view.task.ref} {view.task.title}",
                    detail=f"{month:%Y-%m}",
                    href=_href("/campaign/report", task=view.task.ref, month=f"{month:%Y-%m}"),
                    due=context.report_due(month),
                    overdue=True,
                )
            )
        for month in upcoming:
            falling_due[month] += month not in have
    # The month falling due is one line: its tasks are reported together (the account's tasks page).
    for month, count in falling_due.items():
        if count:
            items.append(
                TodoItem(
                    kind="report_due",
                    title=f"{month:%Y-%m}",
                    detail=f"{month:%Y-%m}",
                    href="/campaign/my",
                    due=context.report_due(month),
                    overdue=False,
                    count=count,
                )
            )
    return sorted(items, key=lambda i: (i.due or day, i.title))


def _reviews(session: Session, context: campaign.PlanContext, who: Principal) -> list[TodoItem]:
    """Progress reports waiting for this account's review: the office's (every report submitted or
    accepted by its lead unit), or a lead unit's (reports on its tasks by others)."""
    office = can(who, Action.REVIEW, resource("progress_report"))
    lead_unit = who.role == "unit" and who.scope
    if not office and not lead_unit:
        return []
    tasks = {t.id: t for t in context.tasks}
    states = AWAITING_OFFICE if office else ("submitted",)
    waiting: Counter[int] = Counter()
    oldest: dict[int, datetime] = {}
    for report in session.scalars(
        select(ProgressReport).where(
            ProgressReport.task_id.in_(list(tasks)), ProgressReport.review_state.in_(states)
        )
    ):
        task = tasks[report.task_id]
        if not office:
            if who.scope not in task.lead_units:
                continue
            if report.reporter_kind == "unit" and report.reporter_code == who.scope:
                continue
        waiting[task.id] += 1
        moment = report.submitted_at
        oldest[task.id] = min(oldest.get(task.id, moment), moment)
    return [
        TodoItem(
            kind="review",
            title=f"{tasks[task_id].ref} {tasks[task_id].title}",
            detail=str(count),
            href=f"/campaign/tasks/{quote(tasks[task_id].ref)}",
            due=None,
            overdue=False,
            count=count,
        )
        for task_id, count in sorted(waiting.items(), key=lambda kv: oldest[kv[0]])
    ]


def _cases(session: Session, who: Principal, now: datetime) -> list[TodoItem]:
    """Open cases on which this account has a step to take (forward, accept, report, close)."""
    if who.role not in case_rules.CREATOR_ROLES | case_rules.SCOPED_ROLES:
        return []
    found, _total = cases.list_cases(session, who, limit=1000)
    items = []
    for case in found:
        if case.state == case_rules.CaseState.CLOSED.value:
            continue
        steps = [
            e for e in case_rules.available_events(who, cases.facts_of(case)) if e in ACTION_EVENTS
        ]
        if not steps:
            continue
        deadline = case.deadline.astimezone(CHINA_TZ).date() if case.deadline else None
        items.append(
            TodoItem(
                kind="case",
                title=case.title,
                detail=",".join(step.value for step in steps),
                href=f"/cases/{case.id}",
                due=deadline,
                overdue=case.overdue_since is not None,
            )
        )
    return sorted(items, key=lambda i: (not i.overdue, i.due or date.max, i.title))


def _daily_reports(
    session: Session, who: Principal, support: InspectionSupportPlan | None, now: datetime
) -> list[TodoItem]:
    """The office's daily reports of today not yet in (各专项工作组日报, due by 17:00)."""
    if support is None or who.role not in case_rules.OFFICE_ROLES:
        return []
    today = now.astimezone(CHINA_TZ).date()
    summary = duty.day_summary(session, support, today, now)
    return [
        TodoItem(
            kind="daily_report",
            title=name,
            detail=status.status,
            href=_href("/daily-reports", day=today.isoformat()),
            due=today,
            overdue=status.status == "missing",
        )
        for name, status in summary.sections
        if status.report is None
    ]


def todo_list(
    session: Session,
    context: campaign.PlanContext | None,
    who: Principal,
    day: date,
    now: datetime,
    support: InspectionSupportPlan | None,
) -> TodoList:
    """Everything ``who`` has to do as of ``day`` / ``now``: reports owed and falling due, reports
    to review, cases to act on, and the daily reports not yet in."""
    items: list[TodoItem] = []
    if context is not None:
        items += _reports_owed(session, context, who, day)
        items += _reviews(session, context, who)
    items += _cases(session, who, now)
    items += _daily_reports(session, who, support, now)
    return TodoList(day, items)
