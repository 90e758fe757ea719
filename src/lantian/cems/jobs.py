"""The CEMS judgement as a scheduled job: every 5 minutes, so an exceedance opens its case within
minutes of the hourly upload (task 21: 即超即罚)."""

from __future__ import annotations

from datetime import timedelta

from lantian.cems.judge import judge
from lantian.db.engine import transaction
from lantian.plan import plan_in_force
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import Every
from lantian.timeutil import to_china


def judge_stacks(context: JobContext) -> str:
    """``lantian cems judge``: idempotent (an episode already judged opens nothing)."""
    with transaction(context.sessions) as session:
        found = judge(
            session,
            plan_in_force(context.settings),
            context.settings,
            today=to_china(context.now).date(),
        )
    return found.text()


register(
    Job(
        name="cems.judge",
        schedule=Every(timedelta(minutes=5)),
        run=judge_stacks,
        description_zh="每 5 分钟判定排气筒自动监控小时数据：超标即开案件（即超即罚），按月挂牌督办"
        "（lantian cems judge）",
        description_en="Every 5 minutes: judge the stacks' hourly CEMS data; an exceedance opens a "
        "case at once, listed supervision per township and month (lantian cems judge)",
    )
)
