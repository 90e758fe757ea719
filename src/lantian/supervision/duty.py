"""Use cases of the 24-hour duty roster and the working groups' daily reports (seed, second document,
§二(一), §三(一) and §三(三)); the rules themselves are in :mod:`lantian.supervision.roster`.

The duty officers and the groups' reporters use office accounts (campaign_office); every change is
audited in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth import audit
from lantian.auth.permissions import Principal
from lantian.db.audited import acting_as
from lantian.errors import Conflict, InputError, NotFound
from lantian.supervision import roster
from lantian.supervision.groups import InspectionSupportPlan
from lantian.supervision.models import DutyShift, GroupDailyReport
from lantian.supervision.rules import OFFICE_ROLES, NotPermitted


def _require_office(principal: Principal, what: str) -> str:
    if principal.role not in OFFICE_ROLES or not principal.username:
        raise NotPermitted(
            f"{principal.role} 账户不能{what}（由攻坚办账户办理）/ a {principal.role} account "
            f"cannot do this: {what} is done with a campaign-office account"
        )
    return principal.username


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None:
        raise InputError(f"{name} 必须带时区 / {name} needs a time zone")


def add_shift(
    session: Session,
    principal: Principal,
    plan: InspectionSupportPlan,
    *,
    person: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    group_code: str | None = None,
    phone: str | None = None,
    is_sample: bool = False,
) -> DutyShift:
    """Put someone on duty from ``starts_at`` to ``ends_at`` (by default for the plan's duty group)."""
    actor = _require_office(principal, "排班")
    _aware(starts_at, "starts_at")
    _aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise InputError("值班结束时间须晚于开始时间 / a shift must end after it starts")
    if not person.strip():
        raise InputError("值班人员不能为空 / the shift needs the person on duty")
    group = plan.group(group_code or plan.duty_group)
    shift = DutyShift(
        group_code=group.code,
        person=person.strip(),
        phone=(phone or "").strip() or None,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
        created_at=now,
        is_sample=is_sample,
    )
    with acting_as(session, actor):
        session.add(shift)
    return shift


def hand_over(
    session: Session, principal: Principal, shift_id: int, note: str, now: datetime
) -> DutyShift:
    """Record the handover note of a shift (交接班记录): once, after the shift has begun."""
    actor = _require_office(principal, "交接班")
    audit.lock_chain(session)
    shift = session.get(DutyShift, shift_id)
    if shift is None:
        raise NotFound(f"班次 {shift_id} 不存在 / no shift {shift_id}")
    if not note.strip():
        raise InputError("交接班记录不能为空 / the handover note is empty")
    if now < shift.starts_at:
        raise Conflict("班次尚未开始，不能交班 / the shift has not begun: nothing to hand over")
    if shift.handover_note is not None:
        raise Conflict("该班次已交接 / this shift was already handed over")
    with acting_as(session, actor, action="duty_shift.hand_over"):
        shift.handover_note = note.strip()
        shift.handed_over_at, shift.handed_over_by = now, actor
    return shift


def shifts_between(session: Session, start: datetime, end: datetime) -> list[DutyShift]:
    return list(
        session.scalars(
            select(DutyShift)
            .where(DutyShift.ends_at > start, DutyShift.starts_at < end)
            .order_by(DutyShift.starts_at, DutyShift.id)
        )
    )


def roster_gaps(
    session: Session, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    shifts = shifts_between(session, start, end)
    return roster.roster_gaps((roster.Shift(s.starts_at, s.ends_at) for s in shifts), start, end)


#: The reason of the audit entry of a report submitted after its due time (the first submission
#: decides; a correction keeps its verdict).
LATE_REASON = "迟报 / submitted after the due time"


def submit_report(
    session: Session,
    principal: Principal,
    plan: InspectionSupportPlan,
    *,
    group_code: str,
    report_date: date,
    progress: str,
    tomorrow: str,
    now: datetime,
    is_sample: bool = False,
) -> tuple[GroupDailyReport, bool]:
    """A group's daily report (today's progress, tomorrow's plan); a second submission corrects it.

    Returns the row and whether it is late. Lateness is judged on the first submission, so a
    correction after 17:00 does not make an on-time report late, nor a late one on time.
    """
    actor = _require_office(principal, "报送日报")
    audit.lock_chain(session)
    if group_code not in plan.reporting_groups:
        raise InputError(
            f"{group_code!r} 不是须报日报的工作组 / {group_code!r} is not a reporting group "
            f"({', '.join(plan.reporting_groups)})"
        )
    if not progress.strip() or not tomorrow.strip():
        raise InputError(
            "日报须写明当日工作进展和次日工作安排 / the report needs today's progress and "
            "tomorrow's plan"
        )
    if report_date > roster.local_date(now, plan.utc_offset_hours):
        raise InputError("不能报送未来日期的日报 / cannot report on a day still to come")
    row = session.scalar(
        select(GroupDailyReport).where(
            GroupDailyReport.group_code == group_code, GroupDailyReport.report_date == report_date
        )
    )
    first_submitted = row.submitted_at if row is not None else now
    late = roster.is_late(first_submitted, report_date, plan.report_due, plan.utc_offset_hours)
    # The session hook logs the submission (daily_report.submit) or correction (.correct).
    with acting_as(session, actor, reason=LATE_REASON if late else None):
        if row is None:
            row = GroupDailyReport(
                group_code=group_code,
                report_date=report_date,
                submitted_at=now,
                submitted_by=actor,
                is_sample=is_sample,
            )
            session.add(row)
        row.progress, row.plan, row.updated_at = progress.strip(), tomorrow.strip(), now
    return row, late


def reports_on(session: Session, report_date: date) -> list[GroupDailyReport]:
    return list(
        session.scalars(
            select(GroupDailyReport)
            .where(GroupDailyReport.report_date == report_date)
            .order_by(GroupDailyReport.group_code)
        )
    )


def day_summary(
    session: Session, plan: InspectionSupportPlan, report_date: date, now: datetime
) -> roster.Summary:
    """The coordination group's summary of ``report_date`` as it stands at ``now`` (汇总)."""
    facts = [
        roster.ReportFacts(r.group_code, r.submitted_at, r.progress, r.plan)
        for r in reports_on(session, report_date)
    ]
    statuses = roster.day_status(
        plan.reporting_groups, facts, report_date, now, plan.report_due, plan.utc_offset_hours
    )
    return roster.assemble_summary(report_date, statuses, {g.code: g.name for g in plan.groups})
