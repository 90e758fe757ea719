"""`lantian import …`: bring monitoring files into the database."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lantian.config import get_settings
from lantian.db.engine import create_db_engine, session_factory
from lantian.db_cli import require_current_schema
from lantian.errors import InputError
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.quality import DEFAULT_RATE_TARGET, transmission_rates

import_app = typer.Typer(help="导入数据文件 / import data files.", no_args_is_help=True)
console = Console()


@import_app.command("cnemc")
def import_cnemc(
    files: list[Path] = typer.Argument(..., help="china_sites_*.csv files (.gz accepted)"),
    stations: Path = typer.Option(
        BUNDLED_STATION_LIST, help="CNEMC station list used to register unknown station codes"
    ),
) -> None:
    """导入 CNEMC 站点小时数据 / Import CNEMC station hourly files (idempotent, all-or-nothing per file)."""
    settings = get_settings()
    engine = create_db_engine(settings.effective_database_url)
    require_current_schema(engine)
    sessions = session_factory(engine)
    references = list(read_station_list(stations))
    uploads = settings.ensure_data_dir() / "uploads"
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        files_task = progress.add_task("文件 files", total=len(files))
        for path in files:
            values_task = progress.add_task(f"  {path.name}", total=None)
            result = import_cnemc_file(
                sessions,
                path,
                uploads,
                references,
                partial(progress.advance, values_task),
            )
            progress.remove_task(values_task)
            progress.advance(files_task)
            if result.already_imported:
                progress.console.print(
                    f"= {path.name}: 已导入 already imported (batch {result.batch_id})"
                )
                continue
            progress.console.print(
                f"[green]✓[/green] {path.name}: +{result.values_added:,} 条新值 new values, "
                f"{result.values_already_stored:,} 已存在 already stored, "
                f"+{result.stations_added} 站点 stations"
            )
            for note in result.notes:
                progress.console.print(f"    [yellow]跳过/缺失 skipped[/yellow] {note}")
            if result.unknown_stations:
                progress.console.print(
                    f"    [yellow]站点表中没有 not in the station list:[/yellow] "
                    f"{', '.join(result.unknown_stations)}"
                )
    engine.dispose()


monitoring_app = typer.Typer(help="监测数据 / monitoring data.", no_args_is_help=True)


@monitoring_app.command("rates")
def rates(
    start: datetime = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="first day"),
    end: datetime = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="last day (inclusive)"),
    period: str = typer.Option("month", help="day or month"),
    station: list[str] | None = typer.Option(None, help="station code (repeatable)"),
    target: float = typer.Option(DEFAULT_RATE_TARGET, help="the plan's line"),
) -> None:
    """上传率与数据传输有效率 / Upload and valid-transmission rates per station."""
    if period not in ("day", "month"):
        raise InputError(f"--period {period!r}: 只能是 day 或 month / must be day or month")
    settings = get_settings()
    engine = create_db_engine(settings.effective_database_url)
    require_current_schema(engine)
    with session_factory(engine)() as session:
        rows = transmission_rates(
            session,
            start.date(),
            end.date(),
            "day" if period == "day" else "month",
            station,
            target,
        )
    table = Table(
        "站点 station",
        "名称 name",
        "时段 period",
        "应传 expected",
        "实传 received",
        "有效 valid",
        "上传率 upload",
        "有效率 valid",
        title=f"上传率 / transmission rates (目标 target {target:.0%})",
    )
    for row in rows:
        style = "" if row.meets_target else "red"
        table.add_row(
            row.station_code,
            row.station_name,
            row.period_start.isoformat(),
            str(row.expected_hours),
            str(row.received_hours),
            str(row.valid_hours),
            f"{row.upload_rate:.1%}",
            f"{row.valid_rate:.1%}",
            style=style,
        )
    console.print(table)
    engine.dispose()
