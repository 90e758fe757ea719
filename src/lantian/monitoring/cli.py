"""`lantian import …`: bring monitoring files into the database."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lantian.config import get_settings
from lantian.db.engine import create_db_engine, session_factory
from lantian.db_cli import require_current_schema
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.cnemc_import import import_cnemc_file

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
                lambda n, task=values_task: progress.advance(task, n),
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
