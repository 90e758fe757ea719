"""The jobs the scheduler knows: each owning package registers its own in ``<package>/jobs.py``.

A job is a name, a schedule, a function and a description in Chinese and English. The function
takes a :class:`JobContext` and returns a one-line result summary (Chinese, then English); it
raises to fail the run. Jobs must be idempotent: a run repeated (after a retry, or on demand)
changes nothing the first run already changed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from lantian.config import Settings
from lantian.scheduler.schedule import Schedule

#: The packages that register jobs (their ``jobs`` module is imported by :func:`all_jobs`).
JOB_MODULES = (
    "lantian.supervision.jobs",
    "lantian.campaign.jobs",
    "lantian.warnings.jobs",
    "lantian.monitoring.jobs",
    "lantian.auth.jobs",
    "lantian.archive.jobs",
    "lantian.sources.jobs",
    "lantian.execution.jobs",
    "lantian.cems.jobs",
    "lantian.assessment.jobs",
    "lantian.briefings.jobs",
)

#: Who the scheduler acts as in the audit log when a job changes something.
SYSTEM_ACTOR_PREFIX = "system:job:"


@dataclass(frozen=True)
class JobContext:
    """What a job run gets: the database, the settings, the run's clock and its actor."""

    sessions: sessionmaker[Session]
    settings: Settings
    now: datetime
    #: When the previous successful run started (None: never succeeded), for "what is new since".
    last_success: datetime | None
    #: The named system actor a job writes in the audit log: ``system:job:<name>``.
    actor: str


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Schedule
    run: Callable[[JobContext], str]
    description_zh: str
    description_en: str
    #: Runs in a row that may fail before the job waits for its next regular time.
    max_attempts: int = 3
    #: First wait before a retry; it doubles with every further failure.
    retry_after: timedelta = timedelta(minutes=2)
    #: How long a run may hold the job's lease; a crashed process's lease lapses after it.
    lease: timedelta = timedelta(minutes=30)

    @property
    def actor(self) -> str:
        return f"{SYSTEM_ACTOR_PREFIX}{self.name}"


_JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    """Add ``job`` to the registry (a second job of the same name is a mistake)."""
    existing = _JOBS.get(job.name)
    if existing is not None and existing != job:
        raise ValueError(f"job {job.name!r} is registered twice")
    _JOBS[job.name] = job
    return job


def all_jobs() -> list[Job]:
    """Every registered job, in name order (importing the owning packages' job modules)."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    return [_JOBS[name] for name in sorted(_JOBS)]


def get_job(name: str) -> Job | None:
    return next((job for job in all_jobs() if job.name == name), None)
