"""`lantian results …`: the campaign's results computed from the platform's data (issue 18).

``targets [--as-of YYYY-MM-DD] [--series]`` — the plan's two headline targets (PM2.5 and
heavy-pollution days against the same period a year before) from the stored measurements.
"""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from lantian import clock
from lantian.campaign import service
from lantian.db_cli import current_sessions
from lantian.errors import ServiceError
from lantian.results.headline import HEAVY_TARGET, figures, headline_of

results_app = typer.Typer(help="攻坚成效 / the campaign's results.", no_args_is_help=True)
console = Console()


def _shown(value: float | int | None) -> str:
    return "—" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))


@results_app.command("targets")
def targets(
    as_of: datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d"], help="date to judge by (default: today)"
    ),
    series: bool = typer.Option(False, "--series", help="also print the daily series"),
) -> None:
    """总体目标 / PM2.5 and heavy-pollution days against the same period a year before."""
    day = as_of.date() if as_of else clock.today()
    try:
        with current_sessions()() as session:
            context = service.require_plan(session)
            result = headline_of(session, context.periods, day)
    except ServiceError as error:
        Console(stderr=True).print(f"[red]错误 / error:[/red] {error.message}")
        raise typer.Exit(1) from None
    required = next((t.value for t in context.targets if t.key == HEAVY_TARGET), None)
    f = figures(result, required)
    console.print(
        f"攻坚期 campaign {result.period_first}…{result.period_last}；上年同期 year before "
        f"{result.baseline_first}…{result.baseline_last}；截至 as of {day}"
        + (f"，计入 counted through {f['through']}" if f["through"] else "，尚未开始 not begun")
    )
    table = Table(
        "",
        "本期至今 to date",
        "上年同期 same days before",
        "降幅 decrease %",
        "预计全期 projected",
        "预计降幅 projected decrease %",
    )
    table.add_row(
        "PM2.5 µg/m³",
        _shown(f["pm25_mean"]),
        _shown(f["pm25_mean_before"]),
        _shown(f["pm25_reduction"]),
        _shown(f["projected_pm25_mean"]),
        _shown(f["projected_pm25_reduction"]),
    )
    table.add_row(
        "重污染天数 heavy days (AQI>200)",
        _shown(f["heavy_days"]),
        _shown(f["heavy_days_before"]),
        _shown(f["heavy_reduction"]),
        _shown(f["projected_heavy_days"]),
        _shown(f["projected_heavy_reduction"]),
    )
    table.add_row(
        "PM2.5 缺测天数 days missing",
        _shown(f["missing_pm25_days"]),
        _shown(f["missing_pm25_days_before"]),
        "",
        "",
        "",
    )
    console.print(table)
    if f["heavy_days_allowed"] is not None:
        console.print(
            f"全期重污染天数上限 ceiling for the period {f['heavy_days_ceiling']}（上年 the year "
            f"before {f['heavy_days_before_whole']}，降 {required:g}%）；剩余允许 still allowed "
            f"{max(f['heavy_days_allowed'], 0)}"
            + (
                f"（已超出 already {-f['heavy_days_allowed']} too many）"
                if f["heavy_days_allowed"] < 0
                else ""
            )
        )
    if series:
        daily = Table("日期 day", "PM2.5", "AQI", "站 stations", "上年 day before", "PM2.5", "AQI")
        for current, before in result.series:
            daily.add_row(
                str(current.day) if current else "…",
                _shown(current.pm2_5) if current else "",
                _shown(current.aqi) if current else "",
                f"{current.stations_with_pm2_5}/{current.stations}" if current else "",
                str(before.day),
                _shown(before.pm2_5),
                _shown(before.aqi),
            )
        console.print(daily)
