"""Did the emergency and heating-season measures happen? (seed tasks 37–39 and 41)

For a warning episode and each enterprise of the reduction list in force, on each day the warning
covered the enterprise's township all day (:func:`lantian.execution.rules.whole_warning_days`):

* the production check — electricity use (or the reported production share) against the baseline
  of the non-warning days before the episode: did output drop by the measure's share (the list's
  ``output_cut`` at that level, task 41(2)) and by what the staggered rules require of each line
  during warnings (tasks 37–38)? It is :func:`lantian.emissions.staggered.production_compliance`.
* the transport check — no freight in or out on warning days except what safe operation needs,
  the freight cut at the levels the plan names, ≥ 80 % of the own fleet 国IV or better in the
  heating season (task 39): :func:`lantian.emissions.staggered.transport_compliance`.

A breach opens one inspection case per enterprise, episode and check (``execution.production``,
``execution.transport``, ``execution.fleet``; subject ``<credit code>:episode-<id>``) for the
task's lead unit (工信委), each breaching day an occurrence of it
(:func:`lantian.supervision.service.open_case` deduplicates). The episode's page shows the same
computation read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.emissions import service as emissions
from lantian.emissions.models import Enterprise, ReductionMeasure
from lantian.emissions.staggered import (
    CalendarDay,
    TransportDay,
    Violation,
    calendar,
    plan_staggered,
    production_compliance,
    transport_compliance,
)
from lantian.execution.models import CHINA4_PLUS, FleetVehicle, GateMovement, LineDay
from lantian.execution.rules import (
    WHOLE,
    Change,
    LineReading,
    actual_cuts,
    baselines,
    day_bounds,
    touched_days,
    whole_warning_days,
)
from lantian.plan import Plan
from lantian.timeutil import CHINA_TZ
from lantian.warnings import service as warnings

#: Non-warning days before an episode whose use makes the baseline (a fortnight of normal work).
BASELINE_DAYS = 14
#: Fewest normal days with a reading for a baseline to count.
MIN_BASELINE_DAYS = 3
#: Days the daily job looks back (the power company's readings arrive a day or more late).
LOOKBACK_DAYS = 7

STATUSES = ("breached", "complied", "no_data", "not_required")
STATUS_LABELS = {
    "breached": ("未落实", "breached"),
    "complied": ("已落实", "complied"),
    "no_data": ("无数据", "no data"),
    "not_required": ("无要求", "not required"),
}
#: The case rule of each check; the task whose lead unit gets the case.
CHECK_TASKS = {"production": "41(2)", "transport": "39", "fleet": "39"}


@dataclass
class CheckOutcome:
    """One check of one enterprise over the episode's judged days."""

    check: str  # production | transport
    status: str = "not_required"
    days_checked: int = 0
    days_without_data: int = 0
    violations: list[Violation] = field(default_factory=list)
    note: str = ""


@dataclass
class EnterpriseCompliance:
    credit_code: str
    name: str
    area_code: str
    measure: str
    warning_days: dict[date, str]
    production: CheckOutcome
    transport: CheckOutcome
    case_ids: list[int] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = {self.production.status, self.transport.status}
        for status in STATUSES:
            if status in statuses:
                return status
        return "not_required"


@dataclass
class EpisodeCompliance:
    episode_id: int
    started_at: datetime
    lifted_at: datetime | None
    max_level: str
    list_id: int | None
    list_name: str
    rows: list[EnterpriseCompliance]
    cases_opened: int = 0

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


def _changes(session: Session, first: datetime, last: datetime) -> list[Change]:
    """Every warning decision of the episodes in force at some moment of ``first .. last``."""
    found = []
    for episode in warnings.episodes_between(session, first, last):
        for decision in episode.decisions:
            found.append(
                Change(decision.effective_at, decision.to_level, frozenset(decision.areas or ()))
            )
    return sorted(found, key=lambda c: c.at)


def _episode_changes(episode_id: int, session: Session) -> list[Change]:
    episode = warnings.get_episode(session, episode_id)
    return sorted(
        (Change(d.effective_at, d.to_level, frozenset(d.areas or ())) for d in episode.decisions),
        key=lambda c: c.at,
    )


def _measure_for(
    measures: Sequence[ReductionMeasure], level: str, ranks: dict[str, int]
) -> ReductionMeasure | None:
    """The measure at ``level``, else the one of the nearest lower level (a higher level never asks
    less: the list's measures are cumulative)."""
    rank = ranks.get(level, 0)
    candidates = [m for m in measures if ranks.get(m.level, 0) <= rank]
    return max(candidates, key=lambda m: ranks.get(m.level, 0)) if candidates else None


def _production(
    enterprise: Enterprise,
    measures: Sequence[ReductionMeasure],
    days: dict[date, str],
    normal_days: set[date],
    plan: Plan,
    session: Session,
    ranks: dict[str, int],
    list_id: int,
) -> CheckOutcome:
    outcome = CheckOutcome("production")
    if not days:
        return outcome
    staggered = plan_staggered(plan)
    warning_only = replace(
        staggered, rules=tuple(r for r in staggered.rules if r.period == "warning")
    )
    facts = emissions.facts_of(enterprise)
    calendar_days = calendar(replace(facts, orders=()), warning_only, min(days), max(days), days)
    required_days: list[CalendarDay] = []
    for entry in calendar_days:
        if entry.day not in days:
            continue
        required = dict(entry.required)
        rules = dict(entry.rules)
        measure = _measure_for(measures, days[entry.day], ranks)
        if measure is not None and measure.output_cut > 0:
            required[WHOLE] = measure.output_cut
            rules[WHOLE] = (f"清单{list_id}:{measure.level}:{measure.kind}",)
        if required:
            required_days.append(replace(entry, required=required, rules=rules))
    if not required_days:
        return outcome
    first = min(normal_days | set(days))
    readings = [
        LineReading(row.day, row.line, row.kwh, row.output_share)
        for row in session.scalars(
            select(LineDay).where(
                LineDay.enterprise_id == enterprise.id,
                LineDay.day >= first,
                LineDay.day <= max(days),
            )
        )
    ]
    baseline_days = {r.day for r in readings if r.day in normal_days and r.kwh is not None}
    baseline = baselines(readings, normal_days) if len(baseline_days) >= MIN_BASELINE_DAYS else {}
    cuts = actual_cuts(readings, set(days), baseline)
    judged: list[CalendarDay] = []
    for entry in required_days:
        have = cuts.get(entry.day, {})
        known = {subject: cut for subject, cut in entry.required.items() if subject in have}
        if not known:
            outcome.days_without_data += 1
            continue
        judged.append(replace(entry, required=known, rules={k: entry.rules[k] for k in known}))
    outcome.days_checked = len(judged)
    if not judged:
        outcome.status = "no_data"
        outcome.note = (
            "预警前正常生产日的用电量读数不足 / too few readings on the normal days before"
            if not baseline and readings
            else "预警日没有用电量或负荷数据 / no kWh or production share on the warning days"
        )
        return outcome
    outcome.violations = production_compliance(judged, cuts)
    outcome.status = "breached" if outcome.violations else "complied"
    return outcome


def _transport(
    enterprise: Enterprise,
    measures: Sequence[ReductionMeasure],
    days: dict[date, str],
    normal_days: set[date],
    plan: Plan,
    session: Session,
) -> CheckOutcome:
    outcome = CheckOutcome("transport")
    if not days:
        return outcome
    staggered = plan_staggered(plan)
    fleet = list(
        session.scalars(
            select(FleetVehicle).where(
                FleetVehicle.enterprise_id == enterprise.id, FleetVehicle.sealed.is_(False)
            )
        )
    )
    first = min(normal_days | set(days))
    start, _ = day_bounds(first)
    _, end = day_bounds(max(days))
    movements = list(
        session.scalars(
            select(GateMovement).where(
                GateMovement.enterprise_id == enterprise.id,
                GateMovement.passed_at >= start,
                GateMovement.passed_at < end,
            )
        )
    )
    required = (
        enterprise.key_transport
        or any(m.kind == "stop_transport" for m in measures)
        or bool(movements)
        or bool(fleet)
    )
    if not required:
        return outcome
    per_day: dict[date, list[GateMovement]] = {}
    for movement in movements:
        per_day.setdefault(movement.passed_at.astimezone(CHINA_TZ).date(), []).append(movement)
    if movements:
        covered_from, covered_to = min(per_day), max(per_day)
    else:
        covered_from, covered_to = date.max, date.min
    judged = [d for d in sorted(days) if covered_from <= d <= covered_to]
    outcome.days_without_data = len(days) - len(judged)
    normal = [d for d in normal_days if covered_from <= d <= covered_to]
    normal_tonnes = (
        sum(sum(m.tonnes or 0.0 for m in per_day.get(d, [])) for d in normal) / len(normal)
        if normal
        else 0.0
    )
    log = [
        TransportDay(
            day,
            len(per_day.get(day, [])),
            sum(1 for m in per_day.get(day, []) if m.safety),
            sum(m.tonnes or 0.0 for m in per_day.get(day, [])),
        )
        for day in (judged or sorted(days))
    ]
    if not judged:
        # No gate records cover the days: only the fleet can be judged.
        log = [TransportDay(day, 0, 0, 0.0) for day in sorted(days)]
        normal_tonnes = 0.0
    if not judged and not fleet:
        outcome.status = "no_data"
        outcome.note = "没有覆盖预警日的门禁记录 / no gate records cover the warning days"
        return outcome
    outcome.days_checked = len(judged)
    outcome.violations = transport_compliance(
        staggered,
        len(fleet),
        sum(1 for v in fleet if v.standard in CHINA4_PLUS),
        normal_tonnes,
        log,
        days,
    )
    if not judged:
        outcome.violations = [v for v in outcome.violations if v.subject == "fleet"]
    outcome.status = "breached" if outcome.violations else "complied"
    return outcome


def _lead_unit(plan: Plan, task: str) -> str | None:
    """The first lead unit of the plan's task ``task`` (a ref: ``39``, ``41(2)``)."""
    for entry in plan.tasks():
        if entry.ref == task and entry.lead_units:
            return entry.lead_units[0]
    return None


def _open_cases(
    session: Session,
    plan: Plan,
    episode_id: int,
    enterprise: Enterprise,
    row: EnterpriseCompliance,
    sample: bool,
) -> int:
    from lantian.supervision.service import CaseDraft, open_case

    opened = 0
    groups: dict[str, list[Violation]] = {}
    for violation in row.production.violations:
        groups.setdefault("production", []).append(violation)
    for violation in row.transport.violations:
        check = "fleet" if violation.subject == "fleet" else "transport"
        groups.setdefault(check, []).append(violation)
    titles = {
        "production": "预警期间未按减排清单停产限产 / did not cut production during a warning",
        "transport": "预警期间未落实错峰运输 / freight not stopped during a warning",
        "fleet": "自有车队国四及以上比例不足80% / own fleet below 80 % 国IV+",
    }
    clauses = {
        "production": "任务37–38错峰生产；任务41(2)工业企业“一厂一策”停产限产",
        "transport": "任务39：重污染天气预警期间重点用车企业不进出厂区（保安全除外）",
        "fleet": "任务39：采暖季国四及以上车辆比例不低于80%",
    }
    for check, violations in groups.items():
        lines = "\n".join(v.message() for v in violations)
        draft = CaseDraft(
            source="rule",
            title=f"{enterprise.name}：{titles[check]}"[:200],
            description=(
                f"企业 {enterprise.name}，统一社会信用代码 {enterprise.credit_code}；预警过程 "
                f"#{episode_id}，{row.measure}\n{lines}\n\n依据 / clause: {clauses[check]}"
            ),
            area_code=enterprise.area_code,
            site=enterprise.name[:200],
            severity="serious",
            unit_code=_lead_unit(plan, CHECK_TASKS[check]),
            is_sample=sample,
        )
        for violation in violations:
            result = open_case(
                session,
                rule=f"execution.{check}",
                subject=f"{enterprise.credit_code}:episode-{episode_id}",
                draft=draft,
                observed_at=day_bounds(violation.day)[0],
                details={
                    "enterprise": enterprise.credit_code,
                    "episode": episode_id,
                    "check": check,
                    "subject": violation.subject,
                    "required": violation.required,
                    "actual": violation.actual,
                    "rule": violation.rule,
                },
            )
            opened += int(result.created)
            if result.case_id not in row.case_ids:
                row.case_ids.append(result.case_id)
    return opened


def _open_case_ids(session: Session, episode_id: int, credit_code: str) -> list[int]:
    """The open cases of an enterprise's breaches in an episode (for the read-only page)."""
    from lantian.supervision.service import open_case_id

    found = (
        open_case_id(
            session,
            source="rule",
            rule=f"execution.{check}",
            subject=f"{credit_code}:episode-{episode_id}",
        )
        for check in CHECK_TASKS
    )
    return [case_id for case_id in found if case_id is not None]


def check_episode(
    session: Session,
    episode_id: int,
    plan: Plan,
    *,
    open_cases: bool = False,
    today: date | None = None,
) -> EpisodeCompliance:
    """Compliance of every enterprise of the list in force during one warning episode.

    Only days that are over (before ``today``, China time) are judged. With ``open_cases`` each
    breach opens or joins its case (the job and the command); without, nothing is written (the
    episode's page)."""
    today = today or clock.today()
    episode = warnings.get_episode(session, episode_id)
    ranks = {level.key: level.rank for level in plan.levels}
    started = episode.started_at.astimezone(CHINA_TZ).date()
    ended = (episode.lifted_at or clock.now()).astimezone(CHINA_TZ).date()
    last = min(ended, today - timedelta(days=1))
    reduction = emissions.list_in_force(session)
    result = EpisodeCompliance(
        episode_id,
        episode.started_at,
        episode.lifted_at,
        episode.max_level,
        reduction.id if reduction else None,
        reduction.name if reduction else "",
        [],
    )
    if reduction is None:
        return result
    stored = emissions.get_list(session, reduction.id)
    by_enterprise: dict[int, list[ReductionMeasure]] = {}
    for measure in stored.measures:
        by_enterprise.setdefault(measure.enterprise_id, []).append(measure)
    own = _episode_changes(episode_id, session)
    baseline_first = started - timedelta(days=BASELINE_DAYS)
    every = _changes(session, day_bounds(baseline_first)[0], day_bounds(started)[0])
    for measures in by_enterprise.values():
        enterprise = measures[0].enterprise
        area = enterprise.area_code
        days = whole_warning_days(own, area, started, last, ranks) if last >= started else {}
        touched = touched_days(every, area, baseline_first, started - timedelta(days=1))
        normal = {baseline_first + timedelta(days=n) for n in range(BASELINE_DAYS)} - touched
        in_force = [f"{m.level}:{m.kind}" + (f" {m.output_cut:.0%}" if m.output_cut else "")
                    for m in sorted(measures, key=lambda m: ranks.get(m.level, 0))]  # fmt: skip
        row = EnterpriseCompliance(
            enterprise.credit_code,
            enterprise.name,
            area,
            "清单措施 " + "，".join(in_force),
            days,
            _production(enterprise, measures, days, normal, plan, session, ranks, stored.id),
            _transport(enterprise, measures, days, normal, plan, session),
        )
        if open_cases:
            result.cases_opened += _open_cases(
                session, plan, episode_id, enterprise, row, stored.sample or enterprise.sample
            )
        else:
            row.case_ids = _open_case_ids(session, episode_id, enterprise.credit_code)
        result.rows.append(row)
    result.rows.sort(key=lambda r: (STATUSES.index(r.status), r.area_code, r.credit_code))
    return result


def check_recent(
    session: Session, plan: Plan, *, days: int = LOOKBACK_DAYS, today: date | None = None
) -> list[EpisodeCompliance]:
    """The daily job: check (and open cases for) every episode in force at some moment of the
    last ``days`` days."""
    today = today or clock.today()
    first = day_bounds(today - timedelta(days=days))[0]
    last = day_bounds(today)[0]
    return [
        check_episode(session, episode.id, plan, open_cases=True, today=today)
        for episode in warnings.episodes_between(session, first, last)
    ]


def summary(results: Sequence[EpisodeCompliance]) -> dict[str, Any]:
    return {
        "episodes": len(results),
        "enterprises": sum(len(r.rows) for r in results),
        "breached": sum(r.count("breached") for r in results),
        "cases_opened": sum(r.cases_opened for r in results),
    }
