"""``lantian jobs list|run NAME`` and ``lantian worker``: the scheduler from the command line."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer
from rich.console import Console
from rich.table import Table

from lantian.auth.cli import BY_OPTION, cli_actor
from lantian.config import as_of_in_force, get_settings
from lantian.db.engine import create_db_engine, session_factory
from lantian.db_cli import require_current_schema
from lantian.scheduler.service import Scheduler
from lantian.timeutil import to_china

jobs_app = typer.Typer(
    help="定时任务 / scheduled jobs (run by `lantian serve` or `lantian worker`)",
    no_args_is_help=True,
)
console = Console()


def _scheduler() -> Scheduler:
    settings = get_settings()
    engine = create_db_engine(settings.effective_database_url)
    require_current_schema(engine)
    return Scheduler(session_factory(engine), settings)


@jobs_app.command("list")
def list_jobs() -> None:
    """列出定时任务 / Every job: schedule, last run and its result, next run, failures."""
    table = Table(
        "任务 job", "周期 schedule", "上次运行 last run", "结果 outcome", "下次 next",
        "失败 failures", title="定时任务 / scheduled jobs",
    )  # fmt: skip
    results = []
    for state in _scheduler().states():
        job, last = state.job, state.last_run
        when = f"{to_china(last.started_at):%Y-%m-%d %H:%M}" if last else "—"
        outcome = "—" if last is None else f"[{'red' if last.error else 'green'}]{last.outcome}[/]"
        due = f"{to_china(state.due_at):%Y-%m-%d %H:%M}" if state.due_at else "立即 now"
        table.add_row(
            job.name, job.schedule.text()[0], when, outcome, due, str(state.failures_total)
        )
        results.append(f"[bold]{job.name}[/bold] {job.description_zh}")
        if last is not None:
            results.append(f"  {last.error or last.summary or ''}")
    console.print(table)
    for line in results:
        console.print(line)


@jobs_app.command("run")
def run_job(name: str = typer.Argument(..., help="job name (see `lantian jobs list`)"),
            by: str | None = BY_OPTION) -> None:  # fmt: skip
    """立即运行一个任务 / Run one job now (recorded like a scheduled run)."""
    run = _scheduler().run_now(name, cli_actor(by))
    if run.error is not None:
        console.print(f"[red]失败 / failed[/red] {name}: {run.error}")
        raise typer.Exit(1)
    console.print(f"[green]✓[/green] {name}: {run.summary}")


def worker(
    once: bool = typer.Option(False, "--once", help="run the due jobs once and exit"),
    tick: float | None = typer.Option(
        None, "--tick", min=0.1, help="seconds between looks for due jobs (LANTIAN_SCHEDULER_TICK)"
    ),
) -> None:
    """定时任务进程 / Run the scheduler as a process of its own (Ctrl+C stops it)."""
    from lantian.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    # LANTIAN_AS_OF: the jobs come due on the chosen instant's clock, as in `lantian serve`.
    with as_of_in_force(settings):
        scheduler = _scheduler()
        if once:
            runs = scheduler.run_due()
            for run in runs:
                mark = "[red]✗[/red]" if run.error else "[green]✓[/green]"
                console.print(f"{mark} {run.job_name}: {run.error or run.summary}")
            console.print(f"{len(runs)} 个任务已运行 / job(s) run")
            return
        stop = threading.Event()

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        # SIGTERM (a service manager) stops as cleanly as Ctrl+C: the running job finishes first.
        signal.signal(signal.SIGTERM, _stop)
        console.print(
            f"定时任务运行中 / scheduler running ({len(scheduler.jobs)} jobs); 按 Ctrl+C 停止 / "
            "press Ctrl+C to stop"
        )
        try:
            scheduler.run_forever(stop, tick or settings.scheduler_tick)
        except KeyboardInterrupt:
            stop.set()
        console.print("定时任务已停止 / scheduler stopped")
