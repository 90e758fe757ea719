"""``lantian execution …``: did the emergency measures happen (seed tasks 37–39, 41)?

``template KIND [FILE]`` writes the empty template of a kind of facts (electricity, gate, fleet);
``import KIND FILE`` imports a filled one (all rows or none; every bad row listed; the upload
kept); ``check`` runs the checks of the warning episodes of the last days and opens the cases of
the breaches (what the daily job does), or of one episode with ``--episode``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from lantian.auth import service as accounts
from lantian.auth.cli import cli_actor
from lantian.auth.permissions import Principal
from lantian.cli import report_error
from lantian.config import get_settings
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions
from lantian.errors import Invalid, NotFound, ServiceError
from lantian.execution import service
from lantian.execution.imports import SPECS, import_facts
from lantian.files import FileStore
from lantian.plan import plan_in_force
from lantian.tabular import Rejected, template_bytes

execution_app = typer.Typer(
    help="应急减排措施落实核查 / execution checks of the emergency measures (tasks 37–39, 41).",
    no_args_is_help=True,
)
console = Console()


def _principal(session: Session, username: str | None) -> Principal:
    if username is None:
        return Principal(cli_actor(None), "administrator")
    return Principal.of(accounts.get_user(session, username))


def _fail(error: ServiceError) -> typer.Exit:
    if isinstance(error, Rejected):
        err = Console(stderr=True)
        err.print(f"[red]错误 / error:[/red] {escape(error.message.split(chr(10), 1)[0])}")
        for problem in error.problems:
            err.print(f"  {escape(str(problem))}")
        return typer.Exit(error.exit_code)
    return typer.Exit(report_error(error))


@execution_app.command("template")
def template(
    kind: str = typer.Argument(..., metavar="KIND", help="electricity | gate | fleet"),
    path: Path | None = typer.Argument(None, metavar="[FILE]", help=".xlsx (default) or .csv"),
) -> None:
    """空白模板 / Write the empty template of a kind of facts."""
    if kind not in SPECS:
        raise _fail(Invalid(f"未知数据类型 {kind!r} / unknown kind (electricity, gate, fleet)"))
    target = path or Path(f"execution-{kind}-template.xlsx")
    target.write_bytes(template_bytes(SPECS[kind], target.suffix.lower() or ".xlsx"))
    console.print(f"[green]✓[/green] {target}")


@execution_app.command("import")
def import_file(
    kind: str = typer.Argument(..., metavar="KIND", help="electricity | gate | fleet"),
    path: Path = typer.Argument(..., metavar="FILE"),
    as_user: str | None = typer.Option(None, "--as", help="act as this account"),
) -> None:
    """导入 / Import electricity use, gate records or a fleet: all rows or none."""
    try:
        if not path.is_file():
            raise NotFound(f"{path}: 文件不存在 / no such file")
        settings = get_settings()
        with transaction(current_sessions()) as session:
            result = import_facts(
                session,
                _principal(session, as_user),
                kind,
                path.read_bytes(),
                path.name,
                store=FileStore(settings.ensure_data_dir()),
            )
    except ServiceError as error:
        raise _fail(error) from None
    console.print(f"[green]✓[/green] {result.filename}: {result.rows} 行 rows ({result.kind})")


def print_episode(result: service.EpisodeCompliance) -> None:
    table = Table(
        "企业 enterprise",
        "乡镇 area",
        "预警日 days",
        "生产 production",
        "运输 transport",
        "案件 cases",
        title=f"预警过程 #{result.episode_id} / warning episode {result.episode_id} "
        f"（清单 list {result.list_name or '—'}）",
    )
    for row in result.rows:
        table.add_row(
            f"{row.name} {row.credit_code}",
            row.area_code,
            str(len(row.warning_days)),
            f"{service.STATUS_LABELS[row.production.status][0]} {row.production.status}",
            f"{service.STATUS_LABELS[row.transport.status][0]} {row.transport.status}",
            " ".join(f"#{c}" for c in row.case_ids),
        )
    console.print(table)


@execution_app.command("check")
def check(
    episode: int | None = typer.Option(None, "--episode", help="only this warning episode"),
    days: int = typer.Option(service.LOOKBACK_DAYS, "--days", help="episodes of the last N days"),
) -> None:
    """核查并立案 / Check the warning episodes of the last days (the daily job); open cases."""
    try:
        plan = plan_in_force(get_settings())
        with transaction(current_sessions()) as session:
            if episode is not None:
                results = [service.check_episode(session, episode, plan, open_cases=True)]
            else:
                results = service.check_recent(session, plan, days=days)
    except ServiceError as error:
        raise _fail(error) from None
    for result in results:
        print_episode(result)
    s = service.summary(results)
    console.print(
        f"预警过程 {s['episodes']} episodes, 未落实 {s['breached']} breached, "
        f"新开案件 {s['cases_opened']} cases opened"
    )
