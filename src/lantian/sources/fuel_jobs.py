"""The fuel-sampling job (task 25(2): 每月抽测比例不少于10%): every finished month whose share of
stations sampled is under the plan's floor opens its own case for 市工商质监局, judged per month and
never averaged away by a later month (:func:`lantian.sources.kinds.fuel_samples.open_sampling_cases`).
Daily, so a month is judged the night after it ends; idempotent."""

from __future__ import annotations

from lantian.db.engine import transaction
from lantian.plan import plan_in_force
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import DailyAt
from lantian.sources.kinds.fuel_samples import open_sampling_cases
from lantian.timeutil import to_china


def judge_fuel_sampling(context: JobContext) -> str:
    """``lantian sources fuel-sampling``: the months short of the floor, each with its case."""
    day = to_china(context.now).date()
    with transaction(context.sessions) as session:
        short = open_sampling_cases(session, day, plan_in_force())
    months = "、".join(f"{m.month:%Y-%m}" for m in short) or "无 none"
    return f"抽测比例不足的月份 / months under the floor: {months}"


register(
    Job(
        name="fuel.sampling",
        schedule=DailyAt(0, 40),
        run=judge_fuel_sampling,
        description_zh="每日按月判定油品和车用尿素抽测比例（不少于10%），不足的月份开立督查案件",
        description_en="Daily: judge each finished month's share of fuel stations sampled "
        "(≥ 10 %, task 25(2)); a month short of it opens a case",
    )
)
