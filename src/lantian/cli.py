"""The ``lantian`` command line: one Typer app, one command group per domain.

The CLI stays thin: it parses arguments, calls a service function and renders the answer with Rich.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from lantian import __version__
from lantian.config import get_settings
from lantian.db_cli import db_app, require_current_schema
from lantian.errors import InputError
from lantian.monitoring.cli import import_app, monitoring_app
from lantian.monitoring.review_cli import review_app
from lantian.plan import plan_dir

app = typer.Typer(
    name="lantian",
    help="蓝天 lantian — 大气污染防治攻坚平台 / air-pollution campaign platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(monitoring_app, name="monitoring")
app.add_typer(review_app, name="review")


@app.command()
def version() -> None:
    """打印版本 / Print the lantian version."""
    typer.echo(f"lantian {__version__}")


@app.command()
def config() -> None:
    """显示生效的配置（隐藏密钥）/ Show the effective settings, secrets hidden."""
    table = Table("设置 setting", "值 value", title="lantian 配置 / settings")
    for name, value in get_settings().public_view().items():
        table.add_row(f"LANTIAN_{name.upper()}", str(value))
    console.print(table)


@app.command()
def serve(
    host: str | None = typer.Option(None, help="listen address (default LANTIAN_HOST)"),
    port: int | None = typer.Option(None, help="HTTP port (default LANTIAN_PORT)"),
    hj212_port: int | None = typer.Option(
        None, "--hj212-port", help="HJ 212 receiver port (default LANTIAN_HJ212_PORT)"
    ),
    no_hj212: bool = typer.Option(False, "--no-hj212", help="do not start the HJ 212 receiver"),
    no_scheduler: bool = typer.Option(
        False, "--no-scheduler", help="do not run the scheduled jobs (run `lantian worker` instead)"
    ),
) -> None:
    """启动平台 / Serve the platform over HTTP, with the HJ 212 receiver and the scheduler."""
    import uvicorn

    from lantian.db.engine import create_db_engine
    from lantian.logs import configure_logging
    from lantian.web.app import create_app

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = create_db_engine(settings.effective_database_url)
    require_current_schema(engine)
    host = host or settings.host
    port = port or settings.port
    console.print(
        f"[bold]蓝天 lantian {__version__}[/bold] 正在服务 / serving at "
        f"[link]http://{host}:{port}/[/link]"
    )
    console.print(
        "公众实时发布页无需登录 / public pages need no login; "
        "API 文档 / API docs: "
        f"http://{host}:{port}/api/docs"
    )
    console.print(
        f"工作台 http://{host}:{port}/office 需要账户 / the office dashboard needs an account: "
        "lantian users add 用户名 --role campaign_office"
    )
    from lantian.db.engine import session_factory
    from lantian.demo.accounts import DEMO_PASSWORD, active_demo_accounts

    with session_factory(engine)() as session:
        demo_accounts = active_demo_accounts(session)
    if demo_accounts:
        console.print(
            f"[yellow]演示账户可用 / demo accounts active[/yellow] ({', '.join(demo_accounts)}; "
            f"密码 password {DEMO_PASSWORD}) — 生产环境请停用 / disable them in production: "
            "lantian users disable NAME"
        )
    receiver = None
    if settings.hj212_enabled and not no_hj212:
        from lantian.ingest.receiver_cli import start_receiver_process, stop_receiver_process

        receiver_host = settings.hj212_host or host
        receiver_port = hj212_port or settings.hj212_port
        # A process of its own: decoding packets never competes with web requests.
        receiver = start_receiver_process(
            settings.effective_database_url, receiver_host, receiver_port
        )
        console.print(
            f"HJ 212 数据接收 / HJ 212 receiver on {receiver_host}:{receiver_port} "
            "(--no-hj212 to disable)"
        )
    background = None
    if settings.scheduler_enabled and not no_scheduler:
        from lantian.scheduler.service import BackgroundScheduler, Scheduler

        # A thread beside the web server; the lease in the database keeps a `lantian worker` or
        # a second server from running the same job at the same time.
        background = BackgroundScheduler(
            Scheduler(session_factory(engine), settings), settings.scheduler_tick
        )
        background.start()
        console.print("定时任务已启动 / scheduler started (--no-scheduler to disable)")
    console.print("按 Ctrl+C 停止 / press Ctrl+C to stop")
    try:
        uvicorn.run(create_app(settings, engine), host=host, port=port, log_config=None)
    finally:
        if background is not None:
            background.stop()
        if receiver is not None:
            stop_receiver_process(receiver)


@app.command()
def demo(
    if_needed: bool = typer.Option(
        False, "--if-needed", help="do nothing when the demo data are already loaded"
    ),
) -> None:
    """加载演示数据 / Load the demo data (real CNEMC data shipped with lantian)."""
    from lantian.db.engine import create_db_engine, session_factory
    from lantian.demo import DEMO_VALUES, demo_loaded, load_demo

    settings = get_settings()
    engine = create_db_engine(settings.effective_database_url)
    require_current_schema(engine)
    sessions = session_factory(engine)
    if if_needed:
        with sessions() as session:
            if demo_loaded(session, plan_dir(settings)):
                console.print("演示数据已加载 / demo data already loaded")
                return
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("加载演示数据 loading demo data", total=DEMO_VALUES)
        report = load_demo(
            sessions,
            settings.ensure_data_dir() / "uploads",
            lambda n: progress.advance(task, n),
            plan_dir(settings),
        )
    for step in report.steps:
        console.print(f"[green]✓[/green] {step}")
    engine.dispose()


def main() -> None:
    """Console entry point: bad input ends with its message and exit code 1, not a traceback."""
    try:
        app(prog_name="lantian", args=sys.argv[1:], standalone_mode=True)
    except InputError as error:
        Console(stderr=True).print(f"[red]错误 / error:[/red] {error}")
        raise SystemExit(1) from None


# --- command groups of the domain packages (one line each) -------------------------------------
# (registered below; each domain keeps its commands in its own module)
from lantian.archive.cli import archive_app  # noqa: E402
from lantian.auth.cli import audit_app, tokens_app, users_app  # noqa: E402
from lantian.campaign.cli import plan_app  # noqa: E402
from lantian.emissions.cli import emissions_app  # noqa: E402
from lantian.ingest.hj212_cli import hj212_app  # noqa: E402
from lantian.ingest.receiver_cli import devices_app, ingest_app  # noqa: E402
from lantian.monitoring.aqi_cli import aqi_command  # noqa: E402
from lantian.scheduler.cli import jobs_app, worker  # noqa: E402
from lantian.supervision.cli import cases_app, duty_app  # noqa: E402
from lantian.warnings.cli import warn_app  # noqa: E402

app.add_typer(hj212_app, name="hj212")
app.add_typer(ingest_app, name="ingest")
app.add_typer(devices_app, name="devices")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")
app.add_typer(emissions_app, name="emissions")
app.command(name="aqi")(aqi_command)
app.add_typer(cases_app, name="cases")
app.add_typer(duty_app, name="duty")
app.add_typer(warn_app, name="warn")
app.add_typer(plan_app, name="plan")
app.add_typer(jobs_app, name="jobs")
app.command(name="worker")(worker)
app.add_typer(archive_app, name="archive")
