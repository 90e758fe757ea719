"""The monthly record of the township assessment: every day the job looks whether the last month
is over and its progress reports are due (三(二): the 2nd of the next month, shifted to a working
day), and records its ranking once; after that the published month never changes. Idempotent: a
recorded month is left alone."""

from __future__ import annotations

from lantian.assessment import service
from lantian.campaign.service import current_plan
from lantian.db.engine import transaction
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import DailyAt
from lantian.timeutil import to_china


def record_last_month(context: JobContext) -> str:
    """``lantian assessment rank --record``, for the month before the run's day, when due."""
    today = to_china(context.now).date()
    month = service.last_complete_month(today)
    with transaction(context.sessions) as session:
        plan = current_plan(session)
        if plan is None:
            return "未导入计划 / no plan loaded"
        if plan.report_due(month) >= today:
            return (
                f"{month:%Y-%m} 进展报告 {plan.report_due(month)} 到期后再排名 / ranking "
                f"{month:%Y-%m} after its reports are due"
            )
        if service.recorded_assessment(session, plan, month) is not None:
            return f"{month:%Y-%m} 已公布 / already recorded"
        result = service.record_assessment(session, plan, month, context.actor)
    return (
        f"{month:%Y-%m} 乡镇考核排名已公布，{len(result.ranked)} 个乡镇参与排名 / "
        f"{month:%Y-%m} ranking recorded, {len(result.ranked)} townships ranked"
    )


register(
    Job(
        name="assessment.record",
        schedule=DailyAt(9, 0),
        run=record_last_month,
        description_zh="每月（上月进展报告到期后）公布上月乡镇考核排名，公布后不再改变"
        "（lantian assessment rank --record）",
        description_en="Monthly (once last month's progress reports are due): record last "
        "month's township ranking, which then never changes (lantian assessment rank --record)",
    )
)
