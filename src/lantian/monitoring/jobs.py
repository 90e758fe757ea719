"""Monitoring's scheduled job: automatic QC over the hours received since its last run."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.db.engine import transaction
from lantian.monitoring import review
from lantian.monitoring.models import Measurement
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import Every
from lantian.timeutil import CHINA_TZ

#: How far back the first run looks (older data: ``lantian review qc --from --to`` by hand).
FIRST_RUN_LOOKBACK = timedelta(days=2)


def days_received_since(session: Session, since: datetime) -> tuple[date, date] | None:
    """The first and last China-time day of the hourly values received at or after ``since``,
    one day earlier at the start: the QC rules judge an hour against the hours before it."""
    first, last = session.execute(
        select(func.min(Measurement.period_end), func.max(Measurement.period_end)).where(
            Measurement.received_at >= since, Measurement.averaging == "1h"
        )
    ).one()
    if first is None or last is None:
        return None
    return _day_of_hour(first) - timedelta(days=1), _day_of_hour(last)


def _day_of_hour(period_end: datetime) -> date:
    """The China-time day an hourly value belongs to (the hour labelled 00:00 ends the day
    before)."""
    return (period_end - timedelta(seconds=1)).astimezone(CHINA_TZ).date()


def qc_new_hours(context: JobContext) -> str:
    """Run the automatic QC rules (``lantian review qc``) over the days that received values since
    the last successful run. QC is idempotent: a value whose flags did not change gets no new
    version, and a person's decision is never overridden."""
    # Receipt times are the world's (the receiver stamps the real time, lantian.clock.real_now);
    # the job's cursor is the platform's, so under an "as of" clock it is converted first —
    # otherwise every value received would count as new at every run.
    since = clock.real_time_of(context.last_success or context.now - FIRST_RUN_LOOKBACK)
    with transaction(context.sessions) as session:
        span = days_received_since(session, since)
        if span is None:
            return "没有新数据 / no new values"
        result = review.run_automatic_qc(session, span[0], span[1])
    return (
        f"{span[0]}–{span[1]} 检查 {result.values_checked} 条，标记 {result.values_flagged}，新版本 "
        f"{result.versions_added} / checked {result.values_checked}, flagged "
        f"{result.values_flagged}, new versions {result.versions_added}"
    )


register(
    Job(
        name="monitoring.qc",
        schedule=Every(timedelta(hours=1)),
        run=qc_new_hours,
        description_zh="对新收到的小时数据运行自动质控（lantian review qc）",
        description_en="Run the automatic QC rules over newly received hourly values "
        "(lantian review qc)",
    )
)
