"""`lantian cems …`: the CEMS judgement of task 21 from the command line."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from lantian import clock
from lantian.cems.judge import judge, monthly_rates, penalty_days, previous_month
from lantian.cli import report_error
from lantian.config import get_settings
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions
from lantian.errors import ServiceError
from lantian.plan import plan_in_force

cems_app = typer.Typer(
    help="排气筒自动监控 / stack CEMS judgement (task 21).", no_args_is_help=True
)
console = Console()


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@cems_app.command("judge")
def judge_command(
    since: str | None = typer.Option(None, help="first day judged (default: previous month's 1st)"),
    until: str | None = typer.Option(None, help="last day judged (default: today)"),
    outlet: list[str] = typer.Option([], help="only these outlet codes (repeatable)"),
) -> None:
    """判定小时数据并开案件 / Judge the stored hourly data, open exceedance and listed cases."""
    settings = get_settings()
    try:
        with transaction(current_sessions()) as session:
            found = judge(
                session,
                plan_in_force(settings),
                settings,
                since=_day(since),
                until=_day(until),
                outlets=outlet or None,
            )
    except ServiceError as error:
        raise typer.Exit(report_error(error)) from error
    console.print(found.text())


@cems_app.command("rates")
def rates_command(
    month: str | None = typer.Option(None, help="YYYY-MM (default: the previous month)"),
) -> None:
    """月度有效传输率 / Valid transmission rate of every outlet in a month (task 21: ≥ 90 %)."""
    first = date.fromisoformat(f"{month}-01") if month else previous_month(clock.today())
    with transaction(current_sessions()) as session:
        rows = monthly_rates(session, first)
    table = Table(title=f"{first:%Y-%m} 有效传输率 / valid transmission rate")
    for header in ("排放口 outlet", "MN", "应传 expected", "收到 received", "有效 valid", "%"):
        table.add_column(header)
    for row in rows:
        mark = "" if row.valid_rate >= 90 else " ✗"
        table.add_row(
            row.outlet,
            row.mn,
            str(row.expected_hours),
            str(row.received_hours),
            str(row.valid_hours),
            f"{row.valid_rate}{mark}",
        )
    console.print(table)


@cems_app.command("days")
def days_command(outlet: str | None = typer.Option(None, help="only this outlet")) -> None:
    """按日计罚天数 / Days each exceedance case has stayed unrectified (daily penalty)."""
    with transaction(current_sessions()) as session:
        rows = penalty_days(session, outlet)
    for row in rows:
        console.print(
            f"#{row.case_id} {row.state} {row.first_day}–{row.last_day} {row.days} 天 days  {row.title}"
        )
