"""The registers' nightly job: every rule of every kind on every entry (a deadline passing with
nothing done is found without anyone touching the entry; breaches open or join one case each)."""

from __future__ import annotations

from lantian.db.engine import transaction
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import DailyAt
from lantian.sources import service
from lantian.timeutil import to_china


def evaluate_registers(context: JobContext) -> str:
    """``lantian sources evaluate``: idempotent (a breach seen again adds nothing)."""
    day = to_china(context.now).date()
    with transaction(context.sessions) as session:
        found = service.evaluate_all(session, day)
    evaluated = sum(r.evaluated for r in found.values())
    breaches = sum(r.breaches for r in found.values())
    opened = sum(r.cases_opened for r in found.values())
    return (
        f"台账 {len(found)} 类 {evaluated} 条，问题 {breaches} 处，新开案件 {opened} 件 / "
        f"{evaluated} entries of {len(found)} registers, {breaches} breaches, {opened} cases opened"
    )


register(
    Job(
        name="sources.evaluate",
        schedule=DailyAt(0, 30),
        run=evaluate_registers,
        description_zh="每晚评估各类台账的规则：逾期未整治、死灰复燃等开立督查案件（lantian sources evaluate）",
        description_en="Nightly: evaluate every register's rules; breaches (overdue, relapsed "
        "firms, …) open inspection cases (lantian sources evaluate)",
    )
)
