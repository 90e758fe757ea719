"""`lantian penalties …`: the enforcement actions' monthly statistics from the command line
(``stats --month YYYY-MM [--xlsx FILE]``). The actions themselves are a register:
``lantian sources import enforcement_action FILE`` and the other ``sources`` commands."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from lantian import clock
from lantian.config import get_settings
from lantian.db_cli import current_sessions
from lantian.errors import ServiceError
from lantian.penalties import statistics
from lantian.plan import plan_in_force
from lantian.sources.cli import AS_OPTION, _fail, _principal
from lantian.sources.kinds.enforcement_actions import ACTION_TYPES

penalties_app = typer.Typer(help="行政处罚 / enforcement actions.", no_args_is_help=True)
console = Console()


@penalties_app.command("stats")
def stats(
    month: str | None = typer.Option(None, help="YYYY-MM (default: this month, China time)"),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="also write the Excel file here"),
    as_user: str | None = AS_OPTION,
) -> None:
    """月度统计 / The month's actions per issuing unit and per township (types, fines, days)."""
    try:
        first = statistics.parse_month(month) if month else clock.today().replace(day=1)
        with current_sessions()() as session:
            result = statistics.monthly_statistics(
                session,
                _principal(session, as_user),
                first,
                plan=plan_in_force(get_settings()),
            )
    except ServiceError as error:
        raise _fail(error) from None
    for title, groups in (
        ("按单位 by unit", result.by_unit),
        ("按乡镇 by township", result.by_township),
    ):
        table = Table(title=f"{first:%Y-%m} {title}")
        for header in statistics.headers("名称 name"):
            table.add_column(header)
        for group in (*groups, result.total):
            table.add_row(
                group.name,
                group.code,
                str(group.actions),
                *(str(group.by_type[key]) for key in ACTION_TYPES),
                f"{group.fines_total:,.2f}",
                str(group.daily_fine_days),
            )
        console.print(table)
    if xlsx is not None:
        xlsx.write_bytes(statistics.statistics_workbook(result))
        console.print(f"[green]✓[/green] {xlsx}")
