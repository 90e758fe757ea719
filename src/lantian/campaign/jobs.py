"""The campaign's scheduled jobs: late and missing progress reports and missed deadlines; the
plan's duty items past due (marked overdue, once each)."""

from __future__ import annotations

from collections import Counter

from lantian.campaign import duties, service
from lantian.db.engine import transaction
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import DailyAt
from lantian.timeutil import CHINA_TZ

KIND_NAMES = {
    "missing_report": ("进展未报", "missing reports"),
    "late_report": ("进展迟报", "late reports"),
    "missed_deadline": ("逾期未完成", "missed deadlines"),
    "target_missed": ("目标未达", "targets missed"),
}


def list_escalations(context: JobContext) -> str:
    """What ``lantian plan escalations`` lists as of today (China time). Nothing is stored for
    it (the list is computed from the reports each time), so the run's summary is its record."""
    day = context.now.astimezone(CHINA_TZ).date()
    with context.sessions() as session:
        plan = service.current_plan(session)
        if plan is None:
            return "尚未导入计划，无事可查 / no plan loaded: nothing to check"
        found = service.escalations(session, plan, day)
    counts = Counter(item.kind for item in found)
    zh = "，".join(f"{KIND_NAMES.get(k, (k, k))[0]} {n}" for k, n in sorted(counts.items())) or "无"
    en = (
        ", ".join(f"{n} {KIND_NAMES.get(k, (k, k))[1]}" for k, n in sorted(counts.items()))
        or "none"
    )
    return f"{day} 待督办 {len(found)} 项：{zh} / {len(found)} item(s) to escalate: {en}"


register(
    Job(
        name="plan.escalations",
        schedule=DailyAt(8, 0),
        run=list_escalations,
        description_zh="每天查出迟报、未报的进展和逾期未完成的任务（lantian plan escalations）",
        description_en="Each morning, find late and missing progress reports and missed "
        "deadlines (lantian plan escalations)",
    )
)


def mark_overdue_duties(context: JobContext) -> str:
    """``lantian plan duties --mark``: every duty item past due with nothing submitted is recorded
    as overdue (one row and one audit entry each, once), as of today in China (the campaign's
    last day once the campaign is over)."""
    today = context.now.astimezone(CHINA_TZ).date()
    with transaction(context.sessions) as session:
        plan = service.current_plan(session)
        if plan is None:
            return "尚未导入计划，无事可查 / no plan loaded: nothing to check"
        day = service.judged_day(plan, today)
        marked = duties.mark_overdue(session, plan, day, context.actor)
        items = duties.duty_board(session, plan, day)
    overdue = sum(1 for item in items if item.state == "overdue")
    waiting = sum(1 for item in items if item.state == "submitted")
    return (
        f"{day} 新标记逾期 {marked} 项，逾期未报共 {overdue} 项，待审核 {waiting} 项 / {marked} "
        f"item(s) newly overdue, {overdue} overdue in all, {waiting} awaiting review"
    )


register(
    Job(
        name="campaign.duties",
        schedule=DailyAt(8, 10),
        run=mark_overdue_duties,
        description_zh="每天把逾期未报的报送事项（专项方案、清单、周报、月报等）标记为逾期并列入督办"
        "（lantian plan duties --mark）",
        description_en="Each morning, mark the plan's duty items past due with nothing submitted "
        "as overdue for escalation (lantian plan duties --mark)",
    )
)
