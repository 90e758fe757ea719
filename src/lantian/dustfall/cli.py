"""`lantian dustfall …`: the monthly dust-fall report (task 1) and each township's value judged
against task 33's limit, from the command line. The sites and samples themselves are registers:
``lantian sources import dust_fall_site FILE`` / ``dust_fall_sample FILE`` and the other
``sources`` commands."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from lantian import clock
from lantian.config import get_settings
from lantian.db_cli import current_sessions
from lantian.dustfall import service
from lantian.errors import ServiceError
from lantian.plan import plan_in_force
from lantian.sources.cli import _fail

dustfall_app = typer.Typer(help="降尘监测 / dust fall (tasks 1, 33).", no_args_is_help=True)
console = Console()


@dustfall_app.command("report")
def report(
    month: str | None = typer.Option(None, help="YYYY-MM (default: last month, China time)"),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="write the report's Excel file here"),
) -> None:
    """降尘月报 / The month's report: each township judged against the limit, every site's sample."""
    try:
        first = service.report_month(month, clock.today())
        with current_sessions()() as session:
            result = service.monthly_report(session, plan_in_force(get_settings()), first)
    except ServiceError as error:
        raise _fail(error) from None
    comparator, limit = result.limit if result.limit else ("<", float("nan"))
    table = Table(title=f"{result.city} {first:%Y-%m} 降尘量 dust fall t/(km²·month)")
    for header in ("乡镇 township", "代码 code", "有效 valid", "无效 invalid", "降尘量 value",
                   f"{comparator} {limit:g}"):  # fmt: skip
        table.add_column(header)
    for line in result.townships:
        verdict = {True: "达标 met", False: "[red]超标 above[/red]", None: "无有效样品 none"}
        table.add_row(
            line.area_name,
            line.area_code,
            str(line.month.valid),
            str(line.month.invalid),
            "–" if line.month.value is None else f"{line.month.value:.2f}",
            verdict[line.met],
        )
    console.print(table)
    if result.over:
        console.print(
            f"[red]超标 above the limit:[/red] {'、'.join(t.area_name for t in result.over)}"
        )
    if xlsx is not None:
        xlsx.write_bytes(service.report_workbook(result))
        console.print(f"[green]✓[/green] {xlsx}")
