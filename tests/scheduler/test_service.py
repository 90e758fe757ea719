"""Runs are recorded, failures retried with back-off, and two schedulers never run a job at once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from lantian.config import Settings
from lantian.db.engine import create_db_engine, session_factory
from lantian.scheduler.models import JobLease, JobRun
from lantian.scheduler.registry import Job, JobContext
from lantian.scheduler.schedule import Every
from lantian.scheduler.service import JobBusy, Scheduler, release_lease, take_lease
from tests.scheduler.conftest import Clock

pytestmark = pytest.mark.db

HOURLY = Every(timedelta(hours=1))


def runs(sessions: sessionmaker[Session], name: str) -> list[JobRun]:
    with sessions() as session:
        return list(
            session.scalars(select(JobRun).where(JobRun.job_name == name).order_by(JobRun.id))
        )


def test_a_run_is_recorded_with_its_result_and_the_next_is_due_an_interval_later(
    sessions: sessionmaker[Session], clock: Clock, tmp_path
) -> None:
    seen: list[JobContext] = []

    def count(context: JobContext) -> str:
        seen.append(context)
        return f"第 {len(seen)} 次 / run {len(seen)}"

    job = Job("test.count", HOURLY, count, "计数", "count")
    scheduler = Scheduler(sessions, Settings(data_dir=tmp_path), [job], clock=clock)
    first = scheduler.run_due()
    assert [r.summary for r in first] == ["第 1 次 / run 1"]
    assert seen[0].now == clock.now and seen[0].last_success is None
    assert seen[0].actor == "system:job:test.count"
    assert scheduler.run_due() == []  # not due again at the same moment
    clock.advance(timedelta(minutes=59))
    assert scheduler.run_due() == []
    clock.advance(timedelta(minutes=1))
    assert [r.summary for r in scheduler.run_due()] == ["第 2 次 / run 2"]
    assert seen[1].last_success == clock.now - timedelta(hours=1)
    stored = runs(sessions, "test.count")
    assert [(r.outcome, r.cause, r.triggered_by, r.attempt) for r in stored] == [
        ("succeeded", "schedule", "system:scheduler", 1),
        ("succeeded", "schedule", "system:scheduler", 1),
    ]
    assert stored[0].started_at == clock.now - timedelta(hours=1)
    assert stored[0].finished_at is not None and stored[0].error is None
    [state] = scheduler.states()
    assert state.due_at == clock.now + timedelta(hours=1)
    assert state.failures_total == 0 and not state.running(clock.now)


def test_a_failing_job_is_logged_and_retried_with_back_off(
    sessions: sessionmaker[Session], clock: Clock, tmp_path
) -> None:
    outcomes = iter([RuntimeError("数据库暂不可用 / boom"), RuntimeError("again"), None])

    def flaky(_context: JobContext) -> str:
        error = next(outcomes)
        if error is not None:
            raise error
        return "好了 / fine"

    job = Job("test.flaky", HOURLY, flaky, "不稳", "flaky", retry_after=timedelta(minutes=2))
    scheduler = Scheduler(sessions, Settings(data_dir=tmp_path), [job], clock=clock)
    with capture_logs() as logs:
        [failed] = scheduler.run_due()
    assert failed.outcome == "failed" and "boom" in (failed.error or "")
    assert any(e["event"] == "job_failed" and e["job"] == "test.flaky" for e in logs)
    clock.advance(timedelta(minutes=1))
    assert scheduler.run_due() == []  # waits for the back-off
    clock.advance(timedelta(minutes=1))
    [second] = scheduler.run_due()
    assert second.outcome == "failed" and second.attempt == 2
    clock.advance(timedelta(minutes=3))
    assert scheduler.run_due() == []  # the back-off doubled: 4 minutes
    clock.advance(timedelta(minutes=1))
    [third] = scheduler.run_due()
    assert third.outcome == "succeeded" and third.attempt == 3 and third.summary == "好了 / fine"
    [state] = scheduler.states()
    assert state.failures_total == 2 and state.consecutive_failures == 0
    assert state.due_at == third.started_at + timedelta(hours=1)


def test_retries_are_bounded(sessions: sessionmaker[Session], clock: Clock, tmp_path) -> None:
    def broken(_context: JobContext) -> str:
        raise ValueError("always")

    job = Job("test.broken", HOURLY, broken, "坏", "broken", max_attempts=2)
    scheduler = Scheduler(sessions, Settings(data_dir=tmp_path), [job], clock=clock)
    start = clock.now
    assert len(scheduler.run_due()) == 1
    clock.advance(timedelta(minutes=2))
    assert len(scheduler.run_due()) == 1
    for _ in range(10):  # two failures in a row: no retry before the regular time
        clock.advance(timedelta(minutes=5))
        assert scheduler.run_due() == []
    clock.now = start + timedelta(hours=1) + timedelta(minutes=2)
    assert [r.attempt for r in scheduler.run_due()] == [3]
    assert [r.outcome for r in runs(sessions, "test.broken")] == ["failed"] * 3


def test_the_lease_is_taken_atomically_and_lapses(
    db_url: str, sessions: sessionmaker[Session], clock: Clock
) -> None:
    engines = [create_db_engine(db_url) for _ in range(6)]
    try:
        barrier = threading.Barrier(len(engines))
        won: list[bool] = []

        def contend(index: int) -> None:
            factory = session_factory(engines[index])
            barrier.wait()
            won.append(
                take_lease(factory, "test.lease", f"p{index}", clock.now, timedelta(minutes=5))
            )

        threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(engines))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(won) == [False] * (len(engines) - 1) + [True]
    finally:
        for engine in engines:
            engine.dispose()
    with sessions() as session:
        lease = session.get_one(JobLease, "test.lease")
        holder = lease.holder
    assert holder is not None
    later = clock.now + timedelta(minutes=4)
    assert not take_lease(sessions, "test.lease", "other", later, timedelta(minutes=5))
    release_lease(sessions, "test.lease", "other")  # not the holder's: nothing happens
    assert not take_lease(sessions, "test.lease", "other", later, timedelta(minutes=5))
    # A crashed holder never releases: its lease lapses at expiry.
    expired = clock.now + timedelta(minutes=5)
    assert take_lease(sessions, "test.lease", "other", expired, timedelta(minutes=5))
    release_lease(sessions, "test.lease", "other")
    assert take_lease(sessions, "test.lease", "third", expired, timedelta(minutes=5))


def test_two_schedulers_on_one_database_never_run_a_job_twice_at_once(
    db_url: str, clock: Clock, tmp_path
) -> None:
    active = 0
    most = 0
    guard = threading.Lock()

    def slow(_context: JobContext) -> str:
        nonlocal active, most
        with guard:
            active += 1
            most = max(most, active)
        time.sleep(0.4)
        with guard:
            active -= 1
        return "done"

    job = Job("test.slow", HOURLY, slow, "慢", "slow")
    engines = [create_db_engine(db_url), create_db_engine(db_url)]
    try:
        schedulers = [
            Scheduler(session_factory(e), Settings(data_dir=tmp_path), [job], clock=clock)
            for e in engines
        ]
        assert schedulers[0].holder != schedulers[1].holder
        for _round in range(3):
            barrier = threading.Barrier(2)

            def tick(scheduler: Scheduler, barrier: threading.Barrier) -> None:
                barrier.wait()
                scheduler.run_due()

            threads = [threading.Thread(target=tick, args=(s, barrier)) for s in schedulers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            clock.advance(timedelta(hours=1))
        assert most == 1
        with session_factory(engines[0])() as session:
            count = session.scalar(
                select(func.count()).select_from(JobRun).where(JobRun.job_name == "test.slow")
            )
        assert count == 3  # one run per hour, never two
    finally:
        for engine in engines:
            engine.dispose()


def test_run_now_is_refused_while_another_process_runs_the_job(
    sessions: sessionmaker[Session], clock: Clock, tmp_path
) -> None:
    job = Job("test.manual", HOURLY, lambda _c: "ok", "手动", "manual")
    scheduler = Scheduler(sessions, Settings(data_dir=tmp_path), [job], clock=clock)
    assert take_lease(sessions, "test.manual", "elsewhere", clock.now, timedelta(minutes=5))
    [state] = scheduler.states()
    assert state.running(clock.now)
    with pytest.raises(JobBusy):
        scheduler.run_now("test.manual", "admin")
    assert scheduler.run_due() == []  # the scheduled run waits too
    release_lease(sessions, "test.manual", "elsewhere")
    run = scheduler.run_now("test.manual", "admin")
    assert (run.cause, run.triggered_by, run.summary) == ("manual", "admin", "ok")
