"""`lantian assessment rank --month YYYY-MM [--xlsx FILE] [--record]`: the monthly township
ranking (recorded if the month was recorded, else computed live and provisional)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from lantian.assessment import service
from lantian.auth.cli import cli_actor
from lantian.campaign.service import require_plan
from lantian.cli import report_error
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions
from lantian.errors import ServiceError

assessment_app = typer.Typer(
    help="乡镇考核 / the monthly township assessment.", no_args_is_help=True
)
console = Console()


def _shown(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@assessment_app.command("rank")
def rank(
    month: str | None = typer.Option(None, help="YYYY-MM (default: last month, China time)"),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="also write the Excel file here"),
    record: bool = typer.Option(False, "--record", help="record (publish) the month's ranking"),
    actor: str | None = typer.Option(None, "--as", help="audit log actor (default: cli:<user>)"),
) -> None:
    """月度排名 / The month's township ranking: components, scores, total and rank."""
    try:
        first = service.parse_month(month) if month else service.last_complete_month()
        with transaction(current_sessions()) as session:
            context = require_plan(session)
            if record:
                result = service.record_assessment(session, context, first, cli_actor(actor))
            else:
                result = service.assessment_for(session, context, first)
            data = service.assessment_workbook(result, context) if xlsx else None
            names = {code: context.reporter_name("area", code) for code in context.areas}
    except ServiceError as error:
        raise typer.Exit(report_error(error)) from None
    state = (
        f"已公布 recorded {result.recorded_at:%Y-%m-%d %H:%M}"
        if result.recorded_at
        else "暂定 provisional"
    )
    table = Table(title=f"乡镇考核 township assessment {first:%Y-%m} ({state})")
    table.add_column("名次 rank")
    table.add_column("乡镇 township")
    for c in result.components:
        table.add_column(f"{c.label_zh} ({c.weight:g})")
    table.add_column("总分 total")
    for row in result.rows:
        table.add_row(
            "—" if row.rank is None else str(row.rank),
            names.get(row.area_code, row.area_code),
            *(
                f"{_shown(row.values.get(c.key), 2)} → {_shown(row.scores.get(c.key))}"
                for c in result.components
            ),
            _shown(row.total, 2),
        )
    console.print(table)
    if xlsx is not None and data is not None:
        xlsx.write_bytes(data)
        console.print(f"[green]✓[/green] {xlsx}")
