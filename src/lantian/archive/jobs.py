"""The archive's scheduled job: PostgreSQL partitions for this month and the months ahead."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lantian.archive.partitions import ensure_partitions
from lantian.db.engine import transaction
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import DailyAt


def ensure_partitions_job(context: JobContext) -> str:
    """Create the monthly partitions from this month to ``partition_months_ahead`` months on
    (and for old months whose rows wait in the default partition). Idempotent; nothing to do
    on SQLite."""
    with transaction(context.sessions) as session:
        created = _ensure(session, context)
    if not created:
        return "分区已齐全 / partitions already in place"
    return f"新建分区 {len(created)} 个 / created {len(created)} partitions: {', '.join(created)}"


def _ensure(session: Session, context: JobContext) -> list[str]:
    return ensure_partitions(
        session.connection(), context.now, context.settings.partition_months_ahead
    )


register(
    Job(
        name="partitions.ensure",
        schedule=DailyAt(hour=1, minute=30),
        run=ensure_partitions_job,
        description_zh="PostgreSQL：预先创建本月及以后几个月的监测数据与原始报文分区",
        description_en="PostgreSQL: create the monthly partitions of measurements and raw frames "
        "for this month and the months ahead",
    )
)
