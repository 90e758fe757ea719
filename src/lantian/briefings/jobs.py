"""The briefings' scheduled job: each morning, the previous week's briefing (from Monday) and the
previous month's (from the 1st) are made once and kept, so that the leaders find them on
``/briefings`` without anyone pressing a button. The scheduler runs jobs daily or every so often;
a daily run that makes only what is missing is the weekly-on-Monday and monthly-on-the-1st run,
caught up the next morning when a Monday run failed."""

from __future__ import annotations

from pathlib import Path

from lantian.briefings import service
from lantian.briefings.figures import KINDS, previous_period
from lantian.campaign import service as campaign
from lantian.db.engine import transaction
from lantian.files import FileStore
from lantian.plan import plan_in_force
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import DailyAt
from lantian.timeutil import CHINA_TZ


def make_due_briefings(context: JobContext) -> str:
    """Make the last whole week's and month's briefings that are not yet kept (idempotent)."""
    today = context.now.astimezone(CHINA_TZ).date()
    plan = plan_in_force(context.settings)
    store = FileStore(Path(context.settings.ensure_data_dir()))
    made: list[str] = []
    with context.sessions() as session:
        if campaign.current_plan(session) is None:
            return "尚未导入计划，不生成简报 / no plan loaded: no briefing to make"
    for kind in KINDS:
        first, _ = previous_period(kind, today)
        with transaction(context.sessions) as session:
            if service.find_briefing(session, kind, first) is not None:
                continue
            row = service.make_briefing(
                session,
                store,
                plan,
                service.BriefingRequest(kind=kind, day=first),
                context.actor,
                issued_on=today,
            )
            made.append(row.document_number)
    if not made:
        return f"{today} 上周、上月简报均已生成 / last week's and month's briefings already kept"
    return f"已生成 {'、'.join(made)} / made {len(made)} briefing(s)"


register(
    Job(
        name="briefings.make",
        schedule=DailyAt(7, 30),
        run=make_due_briefings,
        description_zh="每天早上生成尚未生成的上周周报和上月月报（周一出周报、每月1日出月报）",
        description_en="Each morning, make last week's and last month's briefings if not yet made "
        "(the weekly on Monday, the monthly on the 1st)",
    )
)
