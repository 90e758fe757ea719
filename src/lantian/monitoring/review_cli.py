"""`lantian review …`: automatic QC, a person's decision on a value, and monthly sign-off."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console

from lantian.db.engine import transaction
from lantian.db_cli import current_sessions as _sessions
from lantian.monitoring import review

review_app = typer.Typer(help="数据审核 / data review and audit.", no_args_is_help=True)
console = Console()


@review_app.command("qc")
def qc(
    start: datetime = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="first day"),
    end: datetime = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="last day (inclusive)"),
    station: list[str] | None = typer.Option(None, help="station code (repeatable)"),
) -> None:
    """运行自动质控 / Run the automatic QC rules and record a version for each flagged value."""
    with transaction(_sessions()) as session:
        result = review.run_automatic_qc(session, start.date(), end.date(), station)
    console.print(
        f"检查 checked {result.values_checked:,} 条 values; 标记 flagged {result.values_flagged:,}; "
        f"新版本 new versions {result.versions_added:,}"
    )


@review_app.command("value")
def review_value(
    measurement_id: int = typer.Argument(..., help="measurement id"),
    valid: bool = typer.Option(..., "--valid/--invalid", help="valid for statistics or not"),
    by: str = typer.Option(..., "--by", help="reviewer"),
    reason: str = typer.Option(..., "--reason", help="why"),
    value: float | None = typer.Option(None, "--value", help="corrected value, if any"),
) -> None:
    """审核单条数据 / Record a person's decision on one value (the raw value is kept)."""
    with transaction(_sessions()) as session:
        record = review.review_measurement(
            session,
            measurement_id,
            valid=valid,
            reviewer=by,
            reason=reason,
            corrected_value=value,
        )
    console.print(
        f"[green]✓[/green] 第 {record.version} 版 version {record.version}: "
        f"{'有效 valid' if record.valid else '无效 invalid'}, {record.value}"
    )


@review_app.command("audit")
def audit(
    station: str = typer.Argument(..., help="station code"),
    month: datetime = typer.Argument(..., formats=["%Y-%m"], help="YYYY-MM"),
    by: str = typer.Option(..., "--by", help="auditor"),
    note: str | None = typer.Option(None, help="note"),
) -> None:
    """月度审核确认 / Sign off a station's month: provisional → audited."""
    with transaction(_sessions()) as session:
        record = review.audit_month(session, station, month.date(), by, note)
    console.print(f"[green]✓[/green] {station} {record.month:%Y-%m} 已审核 audited by {by}")
