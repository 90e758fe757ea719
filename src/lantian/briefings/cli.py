"""`lantian briefing …`: make a weekly or monthly briefing, list the issued ones."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from lantian.auth.cli import cli_actor
from lantian.briefings import service
from lantian.briefings.models import FORMATS
from lantian.cli import report_error
from lantian.config import get_settings
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions
from lantian.errors import Invalid, ServiceError
from lantian.files import FileStore
from lantian.plan import plan_in_force
from lantian.timeutil import CHINA_TZ

briefing_app = typer.Typer(
    help="攻坚战工作周报、月报 / the campaign's weekly and monthly briefings.", no_args_is_help=True
)
console = Console()


@briefing_app.command("make")
def make(
    kind: str = typer.Option("weekly", help="weekly | monthly"),
    week: str | None = typer.Option(None, help="a day of the week (YYYY-MM-DD), for weekly"),
    month: str | None = typer.Option(None, help="the month (YYYY-MM), for monthly"),
    out: Path | None = typer.Option(None, help="also write the .docx, .pdf and .xlsx here"),
    by: str | None = typer.Option(None, help="actor in the audit log (default cli:<OS user>)"),
    issued_on: str | None = typer.Option(
        None, help="the date printed as issued (YYYY-MM-DD; default: today, China time)"
    ),
) -> None:
    """生成简报 / Make the briefing of a week or month (Word, PDF, Excel), kept on the platform."""
    settings = get_settings()
    try:
        day = week if kind == "weekly" else month
        if not day:
            raise Invalid(
                "周报须给 --week，月报须给 --month / weekly needs --week, monthly --month",
                field="week" if kind == "weekly" else "month",
            )
        request = service.parse_request(kind, day)
        store = FileStore(Path(settings.ensure_data_dir()))
        with transaction(current_sessions()) as session:
            row = service.make_briefing(
                session,
                store,
                plan_in_force(settings),
                request,
                cli_actor(by),
                issued_on=service.parse_day(issued_on, "issued_on") if issued_on else None,
            )
            files = {fmt: service.briefing_file(session, store, row.id, fmt)[1] for fmt in FORMATS}
            name = {fmt: service.file_name(row, fmt) for fmt in FORMATS}
            shown = f"{row.title} {row.document_number}（{row.first_day} — {row.last_day}）"
    except ServiceError as error:
        raise typer.Exit(report_error(error)) from error
    console.print(f"已生成 / made: {shown}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for fmt, content in files.items():
            (out / name[fmt]).write_bytes(content)
            console.print(f"  {out / name[fmt]}")


@briefing_app.command("list")
def list_command() -> None:
    """已发简报 / The issued briefings, the newest first."""
    with current_sessions()() as session:
        rows = service.list_briefings(session)
        table = Table("id", "类型 kind", "时段 period", "文号 number", "生成 made", "by")
        for row in rows:
            table.add_row(
                str(row.id),
                row.kind,
                f"{row.first_day} — {row.last_day}",
                row.document_number,
                f"{row.generated_at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}",
                row.generated_by,
            )
    console.print(table)
