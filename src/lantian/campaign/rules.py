"""The campaign's pure rules: report due dates, lateness, target roll-up, task status, overdue.

No database and no clock: the service passes in what it read and the date it asks about.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from lantian.campaign.workdays import WorkCalendar
from lantian.timeutil import to_china


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def report_due(
    period_month: date, due_day: int, calendar: WorkCalendar, shift_to_working_day: bool
) -> date:
    """When the report on ``period_month`` is due: the ``due_day`` of the next month (三(二)).

    With ``shift_to_working_day`` a due day that is not a working day moves to the next working
    day (the report on September 2017, due 2017-10-02 in the National Day holiday, is due
    2017-10-09).
    """
    due = next_month(first_of_month(period_month)).replace(day=due_day)
    return calendar.on_or_after(due) if shift_to_working_day else due


def reporting_months(first_due: date, last_due: date) -> list[date]:
    """The months reported on: each due date's previous month, first to last."""
    months, month = [], previous_month(first_of_month(first_due))
    last = previous_month(first_of_month(last_due))
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def local_date(moment: datetime) -> date:
    """The date in China (UTC+8) of an instant: deadlines are local dates."""
    return to_china(moment).date()


def days_late(submitted_at: datetime, due: date) -> int:
    """Calendar days after the due date that the report came in (0 when on time)."""
    return max(0, (local_date(submitted_at) - due).days)


def compare(actual: float, comparator: str, value: float) -> bool:
    if comparator == ">=":
        return actual >= value
    if comparator == "<=":
        return actual <= value
    if comparator == ">":
        return actual > value
    if comparator == "<":
        return actual < value
    if comparator == "=":
        return actual == value
    raise ValueError(f"unknown comparator {comparator!r}")


@dataclass(frozen=True)
class ReportedValue:
    """One number a report gave for a target: who, for which month, what."""

    reporter: str
    period_month: date
    value: float


@dataclass(frozen=True)
class RollUp:
    """Where a target stands: the rolled-up value, whether it meets the target, and the basis."""

    actual: float | None
    met: bool | None
    reporters: int
    values: int
    #: For ``>=``/``>`` targets the share reached (actual ÷ value), capped at 1; else None.
    progress: float | None
    #: ``floor`` only: how many reported values (reporter × month) are on the wrong side.
    failing: int = 0


def roll_up(
    measure: str, comparator: str, target_value: float, values: Iterable[ReportedValue]
) -> RollUp:
    """Roll reported values up into one figure for a target.

    * ``cumulative`` — reports give what was done in their month: the sum of every value
      (e.g. households converted, task 10 / annex: 23,400);
    * ``level`` — reports give the current level: each reporter's latest value, then the mean over
      reporters (e.g. mean dust fall of the areas, task 33: < 9 t/(km²·month));
    * ``floor`` — a line every item and every month must clear on its own (task 10: "确保完成
      ‘双替代’的村庄全部满足80%以上的替代率"; task 22(3): "每月抽测比例不少于10%"): each value of
      each reporter and month is judged, the figure shown is the worst of them, and one value on
      the wrong side of the line fails the target however good the average is.
    """
    listed = list(values)
    if not listed:
        return RollUp(None, None, 0, 0, None)
    reporters = {v.reporter for v in listed}
    if measure == "cumulative":
        # fsum: correctly rounded, so the total does not depend on the order reports arrive in.
        actual = math.fsum(v.value for v in listed)
    elif measure == "level":
        latest: dict[str, ReportedValue] = {}
        for value in sorted(listed, key=lambda v: v.period_month):
            latest[value.reporter] = value
        actual = math.fsum(v.value for v in latest.values()) / len(latest)
    elif measure == "floor":
        failing = [v for v in listed if not compare(v.value, comparator, target_value)]
        # The worst value: the lowest under a ">=" line, the highest under a "<=" line.
        lower_is_worse = comparator in (">=", ">")
        actual = (min if lower_is_worse else max)(v.value for v in listed)
        progress = None
        if lower_is_worse and target_value > 0:
            progress = min(1.0, max(0.0, actual / target_value))
        return RollUp(actual, not failing, len(reporters), len(listed), progress, len(failing))
    else:
        raise ValueError(f"unknown measure {measure!r}")
    progress = None
    if comparator in (">=", ">") and target_value > 0:
        progress = min(1.0, max(0.0, actual / target_value))
    return RollUp(
        actual, compare(actual, comparator, target_value), len(reporters), len(listed), progress
    )


def computed_rollup(comparator: str, target_value: float, actual: float, records: int) -> RollUp:
    """Where a target stands when a register computes it: its value, no reporters, the register's
    entries counted as the values behind it."""
    progress = None
    if comparator in (">=", ">") and target_value > 0:
        progress = min(1.0, max(0.0, actual / target_value))
    return RollUp(actual, compare(actual, comparator, target_value), 0, records, progress)


@dataclass(frozen=True)
class ReportState:
    """What the status rule needs of a report."""

    reporter_is_lead: bool
    period_month: date
    status: str
    review_state: str


def task_status(reports: Sequence[ReportState]) -> str:
    """A task's status from its reports.

    ``completed`` when the latest report of a lead unit says completed and the office accepted it;
    ``behind`` when any reporter's latest report says behind; ``in_progress`` when anything was
    reported; else ``not_started``. Returned reports do not count.
    """
    counted = [r for r in reports if r.review_state != "returned"]
    if not counted:
        return "not_started"
    lead = [r for r in counted if r.reporter_is_lead]
    if lead:
        latest_lead = max(lead, key=lambda r: r.period_month)
        if latest_lead.status == "completed" and latest_lead.review_state == "accepted":
            return "completed"
    newest_month = max(r.period_month for r in counted)
    if any(r.status == "behind" and r.period_month == newest_month for r in counted):
        return "behind"
    return "in_progress"


@dataclass(frozen=True)
class MissedDeadline:
    task_ref: str
    due: date
    what: str
    days_over: int


def missed_deadlines(
    task_ref: str, deadlines: Iterable[dict[str, object]], status: str, as_of: date
) -> list[MissedDeadline]:
    """The task's ``by`` deadlines that have passed while the task is not completed."""
    if status == "completed":
        return []
    missed = []
    for deadline in deadlines:
        if deadline.get("kind") != "by" or deadline.get("date") is None:
            continue
        due = deadline["date"]
        due = date.fromisoformat(due) if isinstance(due, str) else due
        if not isinstance(due, date):
            continue
        if due < as_of:
            missed.append(
                MissedDeadline(task_ref, due, str(deadline.get("what", "")), (as_of - due).days)
            )
    return missed
