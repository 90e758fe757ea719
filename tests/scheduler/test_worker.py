"""`lantian worker` as its own process: --once runs the due jobs and exits; the loop stops
cleanly on Ctrl+C (SIGINT) and on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lantian.db.engine import session_factory
from lantian.scheduler.models import JobRun
from lantian.scheduler.registry import all_jobs

pytestmark = pytest.mark.db


def environment(db_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LANTIAN_DATABASE_URL": db_url,
        "LANTIAN_DATA_DIR": str(data_dir),
        "LANTIAN_LOG_FORMAT": "json",
    }


def run_count(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(JobRun)) or 0


def test_worker_once_runs_the_due_jobs_and_exits(
    db_url: str, db_engine: Engine, tmp_path: Path
) -> None:
    # Both runs start at the same instant, far from any job's hour: on the real clock a daily job
    # (sources.evaluate at 00:30 China time) comes due between them when the test runs at 00:30.
    env = {**environment(db_url, tmp_path), "LANTIAN_AS_OF": "2018-01-22T10:00:00+08:00"}
    command = [sys.executable, "-m", "lantian", "worker", "--once"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{len(all_jobs())} 个任务已运行" in done.stdout
    assert run_count(db_engine) == len(all_jobs())
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "0 个任务已运行" in again.stdout  # nothing due any more
    assert run_count(db_engine) == len(all_jobs())


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_worker_loop_stops_cleanly(
    db_url: str, db_engine: Engine, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "lantian", "worker", "--tick", "0.2"],
        env=environment(db_url, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while run_count(db_engine) < len(all_jobs()) and time.monotonic() < deadline:
            assert worker.poll() is None, worker.communicate()
            time.sleep(0.2)
        assert run_count(db_engine) == len(all_jobs())
        worker.send_signal(stop_signal)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    assert "定时任务已停止 / scheduler stopped" in out
    with session_factory(db_engine)() as session:
        unfinished = session.scalar(
            select(func.count()).select_from(JobRun).where(JobRun.finished_at.is_(None))
        )
    assert unfinished == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_serve_runs_the_scheduler_beside_the_web_server_unless_disabled(
    db_url: str, db_engine: Engine, tmp_path: Path, enabled: bool
) -> None:
    import httpx

    from tests.support.postgres import free_port

    port = free_port()
    env = environment(db_url, tmp_path) | {
        "LANTIAN_SCHEDULER_TICK": "0.3",
        "LANTIAN_SCHEDULER_ENABLED": "true" if enabled else "false",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "lantian", "serve", "--port", str(port), "--no-hj212"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 240
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, log_path.read_text(encoding="utf-8")
                assert time.monotonic() < deadline
                time.sleep(0.2)
            if enabled:
                while run_count(db_engine) < len(all_jobs()) and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert run_count(db_engine) == len(all_jobs())
            else:
                time.sleep(2)  # many ticks: a disabled scheduler runs nothing
                assert run_count(db_engine) == 0
        finally:
            server.terminate()
            server.wait(timeout=60)
    output = log_path.read_text(encoding="utf-8")
    assert ("scheduler started" in output) is enabled


def test_jobs_list_and_run_from_the_command_line(
    db_url: str, db_engine: Engine, tmp_path: Path
) -> None:
    env = environment(db_url, tmp_path) | {"COLUMNS": "200"}

    def lantian(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lantian", *args], env=env, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip

    listed = lantian("jobs", "list")
    assert listed.returncode == 0, listed.stderr
    for job in all_jobs():
        assert job.name in listed.stdout
    ran = lantian("jobs", "run", "audit.verify", "--by", "ops")
    assert ran.returncode == 0 and "audit.verify" in ran.stdout and "chain intact" in ran.stdout
    with session_factory(db_engine)() as session:
        run = session.scalars(select(JobRun)).one()
    assert (run.job_name, run.cause, run.triggered_by) == ("audit.verify", "manual", "ops")
    unknown = lantian("jobs", "run", "no.such")
    assert unknown.returncode == 3 and "no.such" in unknown.stderr
    assert "Traceback" not in unknown.stderr
