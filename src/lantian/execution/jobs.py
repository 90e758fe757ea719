"""The execution checks' daily job (seed tasks 37–39, 41): every warning episode in force during
the last days is checked against what enterprises did; breaches open or join their cases. The
power company's readings of a day arrive the next morning, hence the hour and the look-back."""

from __future__ import annotations

from lantian.db.engine import transaction
from lantian.execution import service
from lantian.plan import plan_in_force
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import DailyAt
from lantian.timeutil import to_china


def check_execution(context: JobContext) -> str:
    """``lantian execution check``: idempotent (a breaching day seen again adds nothing)."""
    day = to_china(context.now).date()
    plan = plan_in_force(context.settings)
    with transaction(context.sessions) as session:
        results = service.check_recent(session, plan, today=day)
    s = service.summary(results)
    return (
        f"预警过程 {s['episodes']} 个，企业 {s['enterprises']} 家次，未落实 {s['breached']} 家次，"
        f"新开案件 {s['cases_opened']} 件 / {s['episodes']} episodes, {s['enterprises']} "
        f"enterprise checks, {s['breached']} breached, {s['cases_opened']} cases opened"
    )


register(
    Job(
        name="execution.check",
        schedule=DailyAt(10, 0),
        run=check_execution,
        description_zh="每天核查预警期间清单企业是否按要求停产限产、错峰运输，未落实的开立督查案件"
        "（lantian execution check）",
        description_en="Daily: check that the listed enterprises cut production and freight on "
        "warning days; a breach opens an inspection case (lantian execution check)",
    )
)
