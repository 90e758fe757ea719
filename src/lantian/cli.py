"""The ``lantian`` command line: one Typer app, one command group per domain.

The CLI stays thin: it parses arguments, calls a service function and renders the answer with Rich.

Start-up is kept short: the domain command groups are listed in :data:`LAZY_COMMANDS` by name,
module and one-line help, and a group's module (with the web stack, the optimiser, the
spreadsheet or dataframe libraries it pulls in) is imported only when that group is invoked.
``lantian --help`` is built from the table; ``lantian version`` imports nothing of the platform.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import typer
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup

import lantian
from lantian.errors import ServiceError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from typer._click import Context  # the Click that Typer vendors: TyperGroup's signatures

    from lantian.config import Settings


@dataclass(frozen=True)
class LazyCommand:
    """A command or command group whose module is imported only when it is invoked."""

    name: str
    target: str
    """``module:attribute``; the attribute is a ``typer.Typer`` (a group) or a command function."""
    help: str
    """The one-line help shown by ``lantian --help`` (a test checks it equals the real one)."""

    def load(self) -> typer.core.TyperCommand | TyperGroup:
        module_name, attribute = self.target.split(":")
        obj = getattr(importlib.import_module(module_name), attribute)
        if isinstance(obj, typer.Typer):
            group = typer.main.get_group(obj)
            group.name = self.name
            return group
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(name=self.name)(obj)
        command = typer.main.get_command(single)
        assert isinstance(command, TyperCommand | TyperGroup)
        return command


# To add a command group: one row here (name, "module:typer_app_or_function", its one-line help).
LAZY_COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "aqi",
        "lantian.monitoring.aqi_cli:aqi_command",
        "计算 AQI / Compute HJ 633 AQI for CNEMC station files (one row per station-hour or -day).",
    ),
    LazyCommand("db", "lantian.db_cli:db_app", "数据库 / database schema and migrations."),
    LazyCommand("import", "lantian.monitoring.cli:import_app", "导入数据文件 / import data files."),
    LazyCommand(
        "monitoring", "lantian.monitoring.cli:monitoring_app", "监测数据 / monitoring data."
    ),
    LazyCommand(
        "review", "lantian.monitoring.review_cli:review_app", "数据审核 / data review and audit."
    ),
    LazyCommand(
        "hj212",
        "lantian.ingest.hj212_cli:hj212_app",
        "HJ 212 报文工具 / HJ 212 packet tools (HJ 212-2017, HJ/T 212-2005).",
    ),
    LazyCommand(
        "ingest",
        "lantian.ingest.receiver_cli:ingest_app",
        "数据接入 / data ingestion (HJ 212 receiver).",
    ),
    LazyCommand(
        "devices",
        "lantian.ingest.receiver_cli:devices_app",
        "数采仪登记 / HJ 212 device registry (MN, password, station).",
    ),
    LazyCommand("users", "lantian.auth.cli:users_app", "用户账户 / user accounts."),
    LazyCommand(
        "tokens", "lantian.auth.cli:tokens_app", "API 令牌 / API tokens for machine clients."
    ),
    LazyCommand("audit", "lantian.auth.cli:audit_app", "审计日志 / the audit log."),
    LazyCommand(
        "emissions",
        "lantian.emissions.cli:emissions_app",
        "排放清单与应急减排清单 / emission inventory and emergency reduction lists.",
    ),
    LazyCommand(
        "execution",
        "lantian.execution.cli:execution_app",
        "应急减排措施落实核查 / execution checks of the emergency measures (tasks 37–39, 41).",
    ),
    LazyCommand("cases", "lantian.supervision.cli:cases_app", "督查案件 / inspection cases."),
    LazyCommand(
        "cems", "lantian.cems.cli:cems_app", "排气筒自动监控 / stack CEMS judgement (task 21)."
    ),
    LazyCommand(
        "sources", "lantian.sources.cli:sources_app", "污染源台账 / source registers (台账)."
    ),
    LazyCommand(
        "penalties", "lantian.penalties.cli:penalties_app", "行政处罚 / enforcement actions."
    ),
    LazyCommand(
        "dustfall", "lantian.dustfall.cli:dustfall_app", "降尘监测 / dust fall (tasks 1, 33)."
    ),
    LazyCommand(
        "assessment",
        "lantian.assessment.cli:assessment_app",
        "乡镇考核 / the monthly township assessment.",
    ),
    LazyCommand(
        "briefing",
        "lantian.briefings.cli:briefing_app",
        "攻坚战工作周报、月报 / the campaign's weekly and monthly briefings.",
    ),
    LazyCommand(
        "duty", "lantian.supervision.cli:duty_app", "值班与日报 / duty roster and daily reports."
    ),
    LazyCommand(
        "warn", "lantian.warnings.cli:warn_app", "重污染天气预警 / heavy-pollution warnings"
    ),
    LazyCommand("plan", "lantian.campaign.cli:plan_app", "攻坚计划 / the campaign plan as data."),
    LazyCommand("results", "lantian.results.cli:results_app", "攻坚成效 / the campaign's results."),
    LazyCommand(
        "stations",
        "lantian.monitoring.cli:stations_app",
        "监测站点登记 / the station registry (add one station).",
    ),
    LazyCommand(
        "jobs",
        "lantian.scheduler.cli:jobs_app",
        "定时任务 / scheduled jobs (run by `lantian serve` or `lantian worker`)",
    ),
    LazyCommand(
        "archive",
        "lantian.archive.cli:archive_app",
        "归档 / the Parquet archive and the monthly partitions (PostgreSQL)",
    ),
    LazyCommand(
        "weather",
        "lantian.weather.cli:weather_app",
        "气象数据与气象归一化 / weather data and the effect of the measures net of weather.",
    ),
    LazyCommand(
        "worker",
        "lantian.scheduler.cli:worker",
        "定时任务进程 / Run the scheduler as a process of its own (Ctrl+C stops it).",
    ),
)


class LazyGroup(TyperGroup):
    """The root group: eager commands as usual, plus :data:`LAZY_COMMANDS` loaded on invocation.

    Listing and help see a stand-in carrying the name and one-line help; ``resolve_command``
    (the path that runs a command) imports the module and swaps the stand-in for the real one.
    """

    lazy: ClassVar[dict[str, LazyCommand]] = {entry.name: entry for entry in LAZY_COMMANDS}

    def list_commands(self, ctx: Context) -> list[str]:
        eager = super().list_commands(ctx)
        return eager + [name for name in self.lazy if name not in eager]

    def get_command(self, ctx: Context, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy:
            return TyperCommand(name=cmd_name, help=self.lazy[cmd_name].help)
        return command

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        if args and args[0] in self.lazy and args[0] not in self.commands:
            self.add_command(self.lazy[args[0]].load(), args[0])
        try:
            return super().resolve_command(ctx, args)
        except UsageError as error:
            # Typer suggests from the loaded commands only; the lazy ones are candidates too.
            matches = difflib.get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches and "Did you mean" not in error.message:
                suggestions = ", ".join(repr(match) for match in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {suggestions}?"
            raise


app = typer.Typer(
    name="lantian",
    help="蓝天 lantian — 大气污染防治攻坚平台 / air-pollution campaign platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)
console = Console()


@app.command()
def version() -> None:
    """打印版本 / Print the lantian version."""
    typer.echo(f"lantian {lantian.__version__}")


@app.command()
def config() -> None:
    """显示生效的配置（隐藏密钥）/ Show the effective settings, secrets hidden."""
    from rich.table import Table

    from lantian.config import get_settings

    table = Table("设置 setting", "值 value", title="lantian 配置 / settings")
    for name, value in get_settings().public_view().items():
        table.add_row(f"LANTIAN_{name.upper()}", str(value))
    console.print(table)


def _print_serving(engine: Engine, host: str, port: int) -> None:
    """Where the platform serves, where to start, and a warning while demo accounts are active."""
    console.print(
        f"[bold]蓝天 lantian {lantian.__version__}[/bold] 正在服务 / serving at "
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
    from lantian.config import as_of_in_force, get_settings
    from lantian.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    with as_of_in_force(settings) as as_of:
        if as_of is not None:
            console.print(
                f"[yellow]按设定时刻运行 / running as of[/yellow] {as_of.isoformat()} "
                "(LANTIAN_AS_OF) — 页面顶部显示该时刻 / the pages show it in their header"
            )
        _serve(settings, host, port, hj212_port, no_hj212, no_scheduler)


def _serve(
    settings: Settings,
    host: str | None,
    port: int | None,
    hj212_port: int | None,
    no_hj212: bool,
    no_scheduler: bool,
) -> None:
    import uvicorn

    from lantian.db.engine import create_db_engine
    from lantian.db_cli import require_current_schema
    from lantian.web.app import create_app

    engine = create_db_engine(settings.effective_database_url)
    require_current_schema(engine)
    host = host or settings.host
    port = port or settings.port
    _print_serving(engine, host, port)
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
        from lantian.db.engine import session_factory
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
    from rich.progress import Progress

    from lantian.config import get_settings
    from lantian.db.engine import create_db_engine, session_factory
    from lantian.db_cli import require_current_schema
    from lantian.demo import DEMO_VALUES, demo_loaded, load_demo
    from lantian.plan import plan_dir

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
            settings.ensure_data_dir(),
            lambda n: progress.advance(task, n),
            plan_dir(settings),
        )
    for step in report.steps:
        console.print(f"[green]✓[/green] {step}")
    from lantian.demo import DEMO_AS_OF

    console.print(
        f"演示数据按 {DEMO_AS_OF:%Y-%m-%d %H:%M} 编排 / the demo runs as of {DEMO_AS_OF.isoformat()}: "
        f"LANTIAN_AS_OF={DEMO_AS_OF.isoformat()} lantian serve (make run 已设置 / make run sets it)"
    )
    engine.dispose()


def report_error(error: ServiceError) -> int:
    """The one mapping of the error taxonomy to the command line: the message on stderr, the
    exit code from the class (Invalid 1, NotFound 3, NotAllowed 4, Conflict 5), never from the text.
    """
    Console(stderr=True).print(f"[red]错误 / error:[/red] {escape(error.message)}")
    return error.exit_code


def run(args: list[str]) -> int:
    """Run one command line and return its exit code; a refusal ends with its message, not a
    traceback."""
    try:
        app(prog_name="lantian", args=args, standalone_mode=True)
    except SystemExit as finished:
        code = finished.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ServiceError as error:
        return report_error(error)
    return 0


def main() -> None:
    """Console entry point."""
    raise SystemExit(run(sys.argv[1:]))
