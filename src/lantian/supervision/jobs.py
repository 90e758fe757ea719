"""Supervision's scheduled jobs: case escalation, and the daily reports' summary after 17:00."""

from __future__ import annotations

from datetime import timedelta

from lantian.db.engine import transaction
from lantian.plans import plan_dir
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import DailyAt, Every
from lantian.supervision import duty, service
from lantian.supervision.groups import read_plan
from lantian.supervision.roster import local_date


def escalate_cases(context: JobContext) -> str:
    """Flag overdue cases and list the late ones (``lantian cases escalate``); idempotent."""
    with transaction(context.sessions) as session:
        report = service.run_escalation(session, context.now)
    return (
        f"逾期标记 {len(report.flagged)}，挂牌督办 {len(report.listed)}，解除逾期 "
        f"{len(report.cleared)}，挂牌后仍逾期 {len(report.listed_and_overdue)} / flagged "
        f"{len(report.flagged)}, listed {len(report.listed)}, cleared {len(report.cleared)}, "
        f"listed and overdue {len(report.listed_and_overdue)}"
    )


def summarise_daily_reports(context: JobContext) -> str:
    """Today's summary of the groups' daily reports (``lantian duty summary``): who reported,
    who was late, who is missing. It reads only, so running it again changes nothing."""
    plan = read_plan(plan_dir(context.settings))
    day = local_date(context.now, plan.utc_offset_hours)
    with context.sessions() as session:
        summary = duty.day_summary(session, plan, day, context.now)
    reported = sum(1 for _, status in summary.sections if status.report is not None)
    missing = "、".join(summary.missing) or "无"
    late = "、".join(summary.late) or "无"
    return (
        f"{day} 日报 {reported}/{len(summary.sections)} 组已报；迟报：{late}；未报：{missing} / "
        f"{day}: {reported} of {len(summary.sections)} groups reported, {len(summary.late)} late, "
        f"{len(summary.missing)} missing"
    )


register(
    Job(
        name="cases.escalate",
        schedule=Every(timedelta(hours=1)),
        run=escalate_cases,
        description_zh="督查案件逾期标记与自动挂牌督办（lantian cases escalate）",
        description_en="Flag overdue inspection cases and list the late ones (lantian cases escalate)",
    )
)
register(
    Job(
        name="duty.daily-summary",
        schedule=DailyAt(17, 30),
        run=summarise_daily_reports,
        description_zh="17:00 截止后汇总各专项工作组日报，列出迟报、未报（lantian duty summary）",
        description_en="After the 17:00 deadline, summarise the groups' daily reports: late and "
        "missing ones (lantian duty summary)",
    )
)
