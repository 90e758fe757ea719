"""Running jobs: what is due, the lease that keeps two processes from running a job at once, and
the record of every run.

A run takes four short transactions of its own — take the lease, record the start, (the job's
own), record the end and free the lease — so that a failing job's rollback never loses the
record of its failure, and a crashed process's lease lapses at its expiry.
"""

from __future__ import annotations

import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Executable

from lantian.config import Settings
from lantian.db.engine import transaction
from lantian.errors import InputError
from lantian.logs import get_logger
from lantian.scheduler.models import JobLease, JobRun
from lantian.scheduler.registry import Job, JobContext, all_jobs
from lantian.scheduler.schedule import next_due

log = get_logger("lantian.scheduler")

#: The actor of a run the scheduler starts because it was due.
SCHEDULER_ACTOR = "system:scheduler"


def _now() -> datetime:
    """The scheduler's one clock (the platform's injectable clock replaces it at merge)."""
    return datetime.now(UTC)


def process_holder() -> str:
    """A name for this process that no other process shares: host, pid and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobBusy(InputError):
    """Another process holds the job's lease: it is running there now."""


# --- the lease ---------------------------------------------------------------------------------


def take_lease(
    sessions: sessionmaker[Session], name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take the job's lease if it is free or expired: one atomic UPDATE … WHERE, so of two
    processes asking at once exactly one gets it (on SQLite the writers queue; on PostgreSQL the
    second UPDATE re-reads the row the first one changed and matches nothing)."""
    with sessions() as session:
        exists = session.get(JobLease, name) is not None
    if not exists:
        # Written first thing in its transaction, so that SQLite takes the write lock at once
        # (a read first would hold a snapshot another writer could make stale).
        with transaction(sessions) as session:
            session.execute(_insert_if_missing(session, name))
    with transaction(sessions) as session:
        taken = session.execute(
            update(JobLease)
            .where(
                JobLease.job_name == name,
                (JobLease.expires_at.is_(None)) | (JobLease.expires_at <= now),
            )
            .values(holder=holder, expires_at=now + ttl)
            .execution_options(synchronize_session=False)
        )
        return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def _insert_if_missing(session: Session, name: str) -> Executable:
    """INSERT … ON CONFLICT DO NOTHING: two processes creating the row at once both succeed."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(JobLease).values(job_name=name).on_conflict_do_nothing()
    return sqlite_insert(JobLease).values(job_name=name).on_conflict_do_nothing()


def release_lease(sessions: sessionmaker[Session], name: str, holder: str) -> None:
    """Free the lease if this process still holds it."""
    with transaction(sessions) as session:
        session.execute(
            update(JobLease)
            .where(JobLease.job_name == name, JobLease.holder == holder)
            .values(holder=None, expires_at=None)
            .execution_options(synchronize_session=False)
        )


# --- what is due -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobState:
    """A job as the runs table tells it: its last run, failures in a row, and when it is due."""

    job: Job
    last_run: JobRun | None
    last_success: datetime | None
    consecutive_failures: int
    failures_total: int
    #: None: never ran, due at once.
    due_at: datetime | None
    #: A process holds the job's lease (it is running there), until when.
    leased_until: datetime | None

    def is_due(self, now: datetime) -> bool:
        return self.due_at is None or self.due_at <= now

    def running(self, now: datetime) -> bool:
        return self.leased_until is not None and self.leased_until > now


def job_state(session: Session, job: Job) -> JobState:
    """The job's state from its finished runs (a run a crashed process left "running" is
    ignored: its lease lapses and the job is due again)."""
    finished = list(
        session.scalars(
            select(JobRun)
            .where(JobRun.job_name == job.name, JobRun.finished_at.is_not(None))
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(max(job.max_attempts, 1))
        )
    )
    last = finished[0] if finished else None
    consecutive = 0
    for run in finished:
        if run.outcome != "failed":
            break
        consecutive += 1
    last_success = session.scalar(
        select(func.max(JobRun.started_at)).where(
            JobRun.job_name == job.name, JobRun.outcome == "succeeded"
        )
    )
    failures_total = (
        session.scalar(
            select(func.count())
            .select_from(JobRun)
            .where(JobRun.job_name == job.name, JobRun.outcome == "failed")
        )
        or 0
    )
    due_at = next_due(
        job.schedule,
        last_start=last.started_at if last else None,
        last_failed_at=last.finished_at if last and last.outcome == "failed" else None,
        consecutive_failures=consecutive,
        max_attempts=job.max_attempts,
        retry_after=job.retry_after,
    )
    lease = session.get(JobLease, job.name)
    leased_until = lease.expires_at if lease is not None and lease.holder else None
    return JobState(job, last, last_success, consecutive, failures_total, due_at, leased_until)


def _record_start(
    sessions: sessionmaker[Session],
    job: Job,
    now: datetime,
    attempt: int,
    cause: str,
    by: str,
    holder: str,
) -> int:
    with transaction(sessions) as session:
        run = JobRun(
            job_name=job.name, started_at=now, outcome="running", attempt=attempt,
            cause=cause, triggered_by=by[:100], holder=holder[:120],
        )  # fmt: skip
        session.add(run)
        session.flush()
        return run.id


def _record_end(
    sessions: sessionmaker[Session],
    run_id: int,
    finished: datetime,
    *,
    summary: str | None = None,
    error: str | None = None,
) -> JobRun:
    with transaction(sessions) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                finished_at=finished,
                outcome="failed" if error is not None else "succeeded",
                summary=summary,
                error=error,
            )
            .execution_options(synchronize_session=False)
        )
        return session.get_one(JobRun, run_id)


# --- the scheduler -----------------------------------------------------------------------------


class Scheduler:
    """Runs the registered jobs of one process against one database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        jobs: Sequence[Job] | None = None,
        holder: str | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.jobs = {job.name: job for job in (all_jobs() if jobs is None else jobs)}
        self.holder = holder or process_holder()

    def job(self, name: str) -> Job:
        found = self.jobs.get(name)
        if found is None:
            known = ", ".join(sorted(self.jobs))
            raise InputError(f"没有任务 {name!r}，可选 {known} / no job {name!r}")
        return found

    def states(self) -> list[JobState]:
        with self.sessions() as session:
            return [job_state(session, job) for job in self.jobs.values()]

    def run_due(self) -> list[JobRun]:
        """Run every job that is due now (each under its lease); return the runs made."""
        done = []
        for name in list(self.jobs):
            run = self._run(self.jobs[name], cause="schedule", by=SCHEDULER_ACTOR, only_if_due=True)
            if run is not None:
                done.append(run)
        return done

    def run_now(self, name: str, by: str) -> JobRun:
        """Run a job at once for a person (page or CLI), due or not; refused while it runs
        elsewhere."""
        run = self._run(self.job(name), cause="manual", by=by, only_if_due=False)
        if run is None:
            raise JobBusy(
                f"任务 {name} 正在另一进程中运行，请稍后再试 / job {name} is running in another "
                "process; try again later"
            )
        return run

    def _run(self, job: Job, *, cause: str, by: str, only_if_due: bool) -> JobRun | None:
        now = self.clock()
        if only_if_due:
            with self.sessions() as session:
                if not job_state(session, job).is_due(now):
                    return None
        if not take_lease(self.sessions, job.name, self.holder, now, job.lease):
            return None
        try:
            # Under the lease, ask again: another process may have run it just before.
            with self.sessions() as session:
                state = job_state(session, job)
            if only_if_due and not state.is_due(now):
                return None
            return self._execute(job, state, now, cause, by)
        finally:
            release_lease(self.sessions, job.name, self.holder)

    def _execute(self, job: Job, state: JobState, now: datetime, cause: str, by: str) -> JobRun:
        attempt = state.consecutive_failures + 1 if cause == "schedule" else 1
        run_id = _record_start(self.sessions, job, now, attempt, cause, by, self.holder)
        context = JobContext(self.sessions, self.settings, now, state.last_success, job.actor)
        log.info("job_started", job=job.name, run=run_id, cause=cause, by=by, attempt=attempt)
        try:
            summary = job.run(context)
        except Exception as error:
            detail = "".join(traceback.format_exception_only(error)).strip()
            log.error(
                "job_failed", job=job.name, run=run_id, error=detail,
                traceback=traceback.format_exc(), attempt=attempt,
            )  # fmt: skip
            return _record_end(self.sessions, run_id, self.clock(), error=detail[:4000])
        except BaseException:
            # Ctrl-C or a shutdown in the middle of a run: record it before leaving.
            _record_end(self.sessions, run_id, self.clock(), error="中断 / interrupted")
            raise
        log.info("job_succeeded", job=job.name, run=run_id, summary=summary)
        return _record_end(self.sessions, run_id, self.clock(), summary=summary)

    # --- the loop ---------------------------------------------------------------------------

    def run_forever(
        self, stop: threading.Event, tick: float = 30.0, initial_delay: float = 0.0
    ) -> None:
        """Run due jobs every ``tick`` seconds until ``stop`` is set; a failing pass (say, the
        database briefly unreachable) is logged and the next pass tries again."""
        log.info("scheduler_started", holder=self.holder, jobs=sorted(self.jobs))
        stop.wait(initial_delay)
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:
                log.error("scheduler_pass_failed", traceback=traceback.format_exc())
            stop.wait(tick)
        log.info("scheduler_stopped", holder=self.holder)


class BackgroundScheduler:
    """The scheduler in a daemon thread beside the web server (``lantian serve``)."""

    def __init__(self, scheduler: Scheduler, tick: float = 30.0) -> None:
        self.scheduler = scheduler
        self.stop_event = threading.Event()
        # The first pass waits one tick: the web server comes up first.
        self.thread = threading.Thread(
            target=scheduler.run_forever, args=(self.stop_event, tick, tick),
            name="lantian-scheduler", daemon=True,
        )  # fmt: skip

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the running job, waiting at most ``timeout`` seconds: a job still running
        then ends with the process (its transaction rolls back, its lease lapses, and the run is
        due again in the next process)."""
        self.stop_event.set()
        self.thread.join(timeout)
