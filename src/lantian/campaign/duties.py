"""Every duty of the plan as items each responsible unit or area submits (issue 18, "duties").

Where the items come from (plan data, nothing typed):

* the one-off and recurring submissions of plan.yaml ``reporting.duties`` (三(二) and the tasks'
  own texts: the specific work plans and the five lists by 9-30, the > 45 m stack list by 10-18,
  the staggered plans and the livelihood load filing by 9-20, the weekly machinery patrol report,
  the monthly dust fall, …);
* the tasks' ``kind: recurring`` deadlines of tasks.yaml (daily enforcement checks of task 23(2),
  the monthly checks of testing agencies, the weekly city cleanups, …) that no reporting duty
  already covers.

Who owes an item: a duty tied to a task is owed by whoever owes that task's monthly report (its
lead units and its responsible areas, :meth:`PlanContext.expected_reporters`); a duty of "各乡镇
政府、街道办事处和市有关单位" without a task by every township, subdistrict and the scenic area and
every unit leading a task. Periods: a one-off duty has one, due on its date; a recurring one has
one per day, week (Monday–Sunday) or month of the campaign period from the duty's first date,
due on the next working day after it (a month: the plan's monthly due day, like the progress
reports). The unit submits (text and a file kept in :class:`lantian.files.FileStore`), the
office accepts or returns with a reason, and the daily job ``campaign.duties`` marks the items
past due with nothing submitted as overdue (audited); they are listed for escalation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth import audit
from lantian.auth.permissions import Action, Principal, can, resource
from lantian.campaign import rules
from lantian.campaign.models import DutyItem
from lantian.campaign.service import EvidenceUpload, PlanContext, store_evidence
from lantian.db.base import utc_now
from lantian.errors import Conflict, InputError, NotAllowed, NotFound

#: Area kinds of "各乡镇政府、街道办事处" (and the scenic area's 管委, which the seed lists with them).
_DUTY_AREA_KINDS = ("township", "subdistrict", "scenic_area")
FREQUENCIES = ("day", "week", "month")
#: The states an item is shown in (``open`` and a computed ``overdue`` need no row;
#: ``recorded``: the register that keeps what the duty asks holds the report).
ITEM_STATES = ("open", "overdue", "submitted", "returned", "accepted", "recorded")
_SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)

#: Registers that already record what a duty asks: shown beside its items (not duplicated).
REGISTER_LINKS: dict[str, tuple[str, str]] = {
    "non_road_machinery_weekly": ("/sources/machinery_patrols/weeks", "非道路移动机械巡查周报"),
    "elevated_sources_list": ("/sources/stacks", "高架源（排气筒）台账"),
    "fugitive_emission_list": ("/sources/fugitive", "无组织排放治理台账"),
    "five_lists": ("/sources/scattered_enterprise", "“散乱污”企业台账"),
    "dust_fall_monthly": ("/sources/dust_fall_sample", "降尘监测台账"),
}


@dataclass(frozen=True)
class RegisterReport:
    """A report a register holds for a duty's item: when it came in and where to see it."""

    submitted_on: date
    href: str


def _machinery_patrol_reports(session: Session) -> dict[tuple[str, date], RegisterReport]:
    """Task 24's weekly patrol reports as the machinery register holds them (reporter, Monday)."""
    from lantian.sources.kinds.machinery_patrols import MachineryPatrol, monday_of

    rows = session.execute(
        select(MachineryPatrol.id, MachineryPatrol.reporter, MachineryPatrol.week,
               MachineryPatrol.submitted_on)
    ).all()  # fmt: skip
    return {
        (row.reporter, monday_of(row.week)): RegisterReport(
            row.submitted_on, f"/sources/machinery_patrols/{row.id}"
        )
        for row in rows
    }


#: Duties whose reports a register already keeps: the item takes its state from the register
#: (``recorded``), so nobody reports the same thing twice.
REGISTER_REPORTS = {"non_road_machinery_weekly": _machinery_patrol_reports}


@dataclass(frozen=True)
class DutySpec:
    """One duty of the plan: what, to whom, when (a date, or every day/week/month)."""

    key: str
    what: str
    source: str
    task_ref: str | None
    every: str | None
    due: date | None
    first: date
    last: date
    to: str

    @property
    def recurring(self) -> bool:
        return self.every is not None

    @property
    def register(self) -> tuple[str, str] | None:
        return REGISTER_LINKS.get(self.key)


@dataclass(frozen=True)
class ItemView:
    """An item as the pages show it: expected by the plan, with its row once there is one."""

    duty: DutySpec
    reporter_kind: str
    reporter_code: str
    reporter_name: str
    period_start: date
    due: date
    #: open (not yet due), overdue, submitted, accepted or returned.
    state: str
    row: DutyItem | None
    days_over: int
    #: The register's report when a register keeps what the duty asks.
    register_report: RegisterReport | None = None

    @property
    def late(self) -> int:
        """Days after the due date that it was submitted (0 when on time or not submitted)."""
        if self.register_report is not None:
            return max(0, (self.register_report.submitted_on - self.due).days)
        if self.row is None or self.row.submitted_at is None:
            return 0
        return rules.days_late(self.row.submitted_at, self.due)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _task_key(ref: str, every: str) -> str:
    return "task_" + re.sub(r"\W+", "_", ref).strip("_") + f"_{every}"


def plan_duties(context: PlanContext) -> list[DutySpec]:
    """The plan's duties: plan.yaml ``reporting.duties`` and the tasks' recurring deadlines."""
    periods = context.periods
    campaign = periods.get("campaign", {})
    start = _day(campaign.get("start")) or date(2017, 10, 1)
    end = _day(campaign.get("end")) or start
    document = context.plan.document["plan"]
    found: list[DutySpec] = []
    covered: set[tuple[str, str]] = set()
    for duty in document.get("reporting", {}).get("duties", []):
        due = _day(duty.get("due"))
        every = duty.get("every")
        task_ref = duty.get("task")
        to = duty.get("to_text") or context.reporter_name("unit", duty.get("to") or "")
        if every and task_ref:
            covered.add((str(task_ref), str(every)))
        found.append(
            DutySpec(
                key=str(duty["key"]),
                what=str(duty["what"]),
                source=str(duty.get("source", "")),
                task_ref=str(task_ref) if task_ref else None,
                every=str(every) if every else None,
                due=due,
                first=due or start,
                last=due or end,
                to=to,
            )
        )
    for task in context.tasks:
        for deadline in task.deadlines:
            every = deadline.get("every")
            if deadline.get("kind") != "recurring" or every not in FREQUENCIES:
                continue
            if (task.ref, every) in covered or (str(task.number), every) in covered:
                continue
            covered.add((task.ref, every))
            found.append(
                DutySpec(
                    key=_task_key(task.ref, every),
                    what=str(deadline.get("what", "")),
                    source=str(deadline.get("source", "")),
                    task_ref=task.ref,
                    every=every,
                    due=None,
                    first=max(start, _day(deadline.get("date")) or start),
                    last=end,
                    to="、".join(context.reporter_name("unit", u) for u in task.lead_units),
                )
            )
    return found


def duty_of(context: PlanContext, key: str) -> DutySpec:
    for duty in plan_duties(context):
        if duty.key == key:
            return duty
    raise NotFound(f"没有报送事项 {key} / no duty {key!r}")


def _task_of(context: PlanContext, ref: str) -> Any:
    for task in context.tasks:
        if task.ref == ref:
            return task
    # A duty may name a task with items by its number ("37" while the plan has 37 whole, or "41"):
    return next((t for t in context.tasks if str(t.number) == ref.split("(")[0]), None)


def reporters(context: PlanContext, duty: DutySpec) -> list[tuple[str, str]]:
    """Who owes the duty (see the module docstring)."""
    if duty.task_ref:
        task = _task_of(context, duty.task_ref)
        if task is not None:
            return context.expected_reporters(task)
    leading = {code for task in context.tasks for code in task.lead_units}
    units = [("unit", code) for code in context.units if code in leading]
    areas = [
        ("area", code) for code, area in context.areas.items() if area.kind in _DUTY_AREA_KINDS
    ]
    return units + areas


def periods(context: PlanContext, duty: DutySpec, until: date) -> list[tuple[date, date]]:
    """(period start, due) of each period of ``duty`` begun by ``until`` (a one-off: always)."""
    if duty.due is not None:
        return [(duty.due, duty.due)]
    found = []
    calendar = context.calendar
    if duty.every == "day":
        day = duty.first
        while day <= min(duty.last, until):
            found.append((day, calendar.on_or_after(day + timedelta(days=1))))
            day += timedelta(days=1)
    elif duty.every == "week":
        # Weeks run Monday to Sunday from the first Monday of the duty (as the machinery
        # register counts the campaign's weeks).
        week = duty.first + timedelta(days=(7 - duty.first.weekday()) % 7)
        while week <= min(duty.last, until):
            found.append((week, calendar.on_or_after(week + timedelta(days=7))))
            week += timedelta(days=7)
    else:
        month = rules.first_of_month(duty.first)
        while month <= min(duty.last, until):
            found.append((month, context.report_due(month)))
            month = rules.next_month(month)
    return found


def _rows(session: Session, context: PlanContext) -> dict[tuple[str, str, str, date], DutyItem]:
    rows = session.scalars(select(DutyItem).where(DutyItem.plan_id == context.plan.id))
    return {(r.duty_key, r.reporter_kind, r.reporter_code, r.period_start): r for r in rows}


def duty_board(
    session: Session,
    context: PlanContext,
    as_of: date,
    *,
    reporter: tuple[str, str] | None = None,
    duty_key: str | None = None,
) -> list[ItemView]:
    """Every item expected by ``as_of`` (a recurring duty's periods begun by then), with its
    state; ``reporter`` / ``duty_key`` narrow it to one unit or area / one duty."""
    have = _rows(session, context)
    found = []
    for duty in plan_duties(context):
        if duty_key is not None and duty.key != duty_key:
            continue
        owed = reporters(context, duty)
        if reporter is not None:
            owed = [r for r in owed if r == reporter]
        if not owed:
            continue
        lookup = REGISTER_REPORTS.get(duty.key)
        kept = lookup(session) if lookup is not None else {}
        for start, due in periods(context, duty, as_of):
            for kind, code in owed:
                row = have.get((duty.key, kind, code, start))
                in_register = kept.get((code, start))
                if in_register is not None:
                    state = "recorded"
                elif row is not None and row.state != "overdue":
                    state = row.state
                else:
                    state = "overdue" if due < as_of else "open"
                found.append(
                    ItemView(
                        duty,
                        kind,
                        code,
                        context.reporter_name(kind, code),
                        start,
                        due,
                        state,
                        row,
                        max(0, (as_of - due).days) if state in ("overdue", "returned") else 0,
                        in_register,
                    )
                )
    return found


@dataclass(frozen=True)
class DutySummary:
    """One duty's items counted by state (the office's table: duty × state)."""

    duty: DutySpec
    reporters: int
    counts: dict[str, int]


def summarise(items: Iterable[ItemView]) -> list[DutySummary]:
    by_duty: dict[str, tuple[DutySpec, set[tuple[str, str]], dict[str, int]]] = {}
    for item in items:
        _, owed, counts = by_duty.setdefault(item.duty.key, (item.duty, set(), {}))
        owed.add((item.reporter_kind, item.reporter_code))
        counts[item.state] = counts.get(item.state, 0) + 1
    return [DutySummary(d, len(o), c) for d, o, c in by_duty.values()]


def _snapshot(row: DutyItem) -> dict[str, Any]:
    return {
        "duty": row.duty_key,
        "reporter": f"{row.reporter_kind}:{row.reporter_code}",
        "period_start": row.period_start,
        "state": row.state,
        "text": row.text,
        "file": row.file_sha256,
        "review_comment": row.review_comment,
    }


def submit_duty(
    session: Session,
    context: PlanContext,
    who: Principal,
    *,
    duty_key: str,
    reporter_kind: str,
    reporter_code: str,
    period_start: date,
    text: str,
    upload: EvidenceUpload | None = None,
    data_dir: Path,
    now: datetime | None = None,
    is_sample: bool = False,
) -> DutyItem:
    """A unit or area submits (or, until accepted, corrects) one item of a duty."""
    duty = duty_of(context, duty_key)
    if (reporter_kind, reporter_code) not in reporters(context, duty):
        raise InputError(
            f"{context.reporter_name(reporter_kind, reporter_code)} 不承担“{duty.what}” / "
            f"{reporter_code} does not owe duty {duty.key}",
            field="reporter",
        )
    if duty.key in REGISTER_REPORTS:
        link = duty.register[0] if duty.register else "/sources"
        raise InputError(
            f"“{duty.what}”在台账中报送（{link}），不在此重复 / this duty is reported in its "
            f"register ({link}), not twice",
            field="item",
        )
    moment = now or utc_now()
    due_by_start = dict(periods(context, duty, max(rules.local_date(moment), period_start)))
    due = due_by_start.get(period_start)
    if due is None:
        raise InputError(
            f"{period_start} 不是“{duty.what}”的报送期 / not a period of duty {duty.key}",
            field="period",
        )
    if not text.strip():
        raise InputError("报送内容不能为空 / the text is empty", field="text")
    target = resource(
        "progress_report",
        units=[reporter_code] if reporter_kind == "unit" else [],
        areas=[reporter_code] if reporter_kind == "area" else [],
    )
    if not can(who, Action.WRITE, target):
        raise NotAllowed("无权为该单位报送 / you may not submit for this unit or area")
    audit.lock_chain(session)
    row = session.scalar(
        select(DutyItem).where(
            DutyItem.plan_id == context.plan.id,
            DutyItem.duty_key == duty.key,
            DutyItem.reporter_kind == reporter_kind,
            DutyItem.reporter_code == reporter_code,
            DutyItem.period_start == period_start,
        )
    )
    before = None
    if row is None:
        row = DutyItem(
            plan_id=context.plan.id,
            duty_key=duty.key,
            reporter_kind=reporter_kind,
            reporter_code=reporter_code,
            period_start=period_start,
            due_on=due,
            state="submitted",
        )
        session.add(row)
    else:
        if row.state == "accepted":
            raise Conflict("该事项已审核通过，不能修改 / the item was accepted and cannot change")
        before = _snapshot(row)
    row.state, row.text = "submitted", text.strip()
    row.submitted_at, row.submitted_by = moment, who.username or "?"
    row.is_sample = is_sample
    if upload is not None:
        kept = store_evidence(data_dir, upload)
        row.file_name = _SAFE_NAME.sub("_", Path(upload.filename).name)[:200] or "file"
        row.file_sha256, row.file_path, row.file_size = kept.sha256, kept.path, kept.size
    session.flush()
    late = rules.days_late(moment, due)
    audit.record(
        session,
        who.username or "?",
        "duty.submit" if before is None else "duty.resubmit",
        "duty_item",
        row.id,
        before,
        _snapshot(row),
        f"迟报 {late} 天 / {late} day(s) late" if late else None,
        at=moment,
    )
    return row


def review_duty(
    session: Session,
    who: Principal,
    item_id: int,
    decision: str,
    comment: str = "",
    now: datetime | None = None,
) -> DutyItem:
    """The office accepts a submitted item or returns it with a reason (like ``review_report``)."""
    if decision not in ("accept", "return"):
        raise InputError("审核结论无效 / the decision is accept or return", field="decision")
    if not can(who, Action.REVIEW, resource("progress_report")):
        raise NotAllowed("仅攻坚办可审核 / only the campaign office reviews duties")
    if decision == "return" and not comment.strip():
        raise InputError("退回须说明理由 / a returned item needs a reason", field="comment")
    audit.lock_chain(session)
    row = session.get(DutyItem, item_id)
    if row is None:
        raise NotFound(f"没有报送事项 {item_id} / no duty item {item_id}")
    if row.state != "submitted":
        raise Conflict(
            f"该事项状态为 {row.state}，不能审核 / a {row.state} item cannot be reviewed"
        )
    before = _snapshot(row)
    moment = now or utc_now()
    row.state = "accepted" if decision == "accept" else "returned"
    row.review_comment = comment.strip() or None
    row.reviewed_by, row.reviewed_at = who.username or "?", moment
    session.flush()
    audit.record(
        session, who.username or "?", "duty.review", "duty_item", row.id, before, _snapshot(row),
        comment.strip() or None, at=moment,
    )  # fmt: skip
    return row


def mark_overdue(
    session: Session, context: PlanContext, as_of: date, actor: str = "campaign.duties"
) -> int:
    """Record every item past due with nothing submitted as overdue (the daily job): one row and
    one audit entry each, once (an item already marked, submitted or reviewed is left alone)."""
    audit.lock_chain(session)
    marked = 0
    for item in duty_board(session, context, as_of):
        if item.state != "overdue" or item.row is not None:
            continue
        row = DutyItem(
            plan_id=context.plan.id,
            duty_key=item.duty.key,
            reporter_kind=item.reporter_kind,
            reporter_code=item.reporter_code,
            period_start=item.period_start,
            due_on=item.due,
            state="overdue",
            escalated_on=as_of,
        )
        session.add(row)
        session.flush()
        audit.record(session, actor, "duty.overdue", "duty_item", row.id, None, _snapshot(row),
                     f"逾期 {item.days_over} 天 / {item.days_over} day(s) overdue")  # fmt: skip
        marked += 1
    return marked


def overdue_by_reporter(items: Sequence[ItemView]) -> list[tuple[str, int, int]]:
    """(reporter name, overdue items, oldest days over) for escalation, most overdue first."""
    counts: dict[str, tuple[int, int]] = {}
    for item in items:
        if item.state in ("overdue", "returned") and item.days_over > 0:
            number, oldest = counts.get(item.reporter_name, (0, 0))
            counts[item.reporter_name] = (number + 1, max(oldest, item.days_over))
    return sorted(((n, c, d) for n, (c, d) in counts.items()), key=lambda r: (-r[1], -r[2]))
