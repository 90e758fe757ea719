"""Tables of the scheduler: one row per run of a job, one lease row per job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, UtcDateTime

#: What became of a run: still running, done, or failed (its error kept).
RUN_OUTCOMES = ("running", "succeeded", "failed")
#: Why it ran: it was due, or a person asked for it (page or CLI).
RUN_CAUSES = ("schedule", "manual")


class JobRun(Base):
    """One run of a scheduled job: when it started and ended, and its result or error."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("outcome IN ('running', 'succeeded', 'failed')", name="outcome_known"),
        CheckConstraint("cause IN ('schedule', 'manual')", name="cause_known"),
        Index("ix_job_runs_job_name_started_at", "job_name", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_name: Mapped[str] = mapped_column(String(80), comment="registered job name")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(12), comment="running, succeeded, failed")
    attempt: Mapped[int] = mapped_column(
        Integer, comment="1 for a regular run, 2… for the retries after failures"
    )
    cause: Mapped[str] = mapped_column(String(12), comment="schedule or manual")
    triggered_by: Mapped[str] = mapped_column(
        String(100), comment="system actor, or the person who asked for the run"
    )
    holder: Mapped[str] = mapped_column(String(120), comment="process that ran it (host:pid:id)")
    summary: Mapped[str | None] = mapped_column(Text, comment="result summary of a succeeded run")
    error: Mapped[str | None] = mapped_column(Text, comment="error of a failed run")


class JobLease(Base):
    """Who may run a job now: taken by an atomic UPDATE … WHERE the lease expired, so two
    platform processes (serve and worker, or two servers) never run the same job at once."""

    __tablename__ = "job_leases"

    job_name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120), comment="process holding the lease")
    expires_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), comment="free once past (a crashed holder's lease lapses)"
    )
