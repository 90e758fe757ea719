"""`lantian import …`: bring monitoring files into the database."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lantian.auth.permissions import Principal
from lantian.config import get_settings
from lantian.db.engine import create_db_engine, session_factory
from lantian.db_cli import require_current_schema
from lantian.errors import InputError, ServiceError
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.quality import DEFAULT_RATE_TARGET, transmission_rates

if TYPE_CHECKING:
    from lantian.plan import Plan

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
    from lantian.auth.cli import cli_actor

    settings = get_settings()
    engine = create_db_engine(settings.effective_database_url)
    require_current_schema(engine)
    sessions = session_factory(engine)
    references = list(read_station_list(stations))
    data_dir = settings.ensure_data_dir()
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
                data_dir,
                references,
                partial(progress.advance, values_task),
                actor=cli_actor(None),
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


@import_app.command("hourly")
def import_hourly(
    files: list[Path] = typer.Argument(..., help="CSV or .xlsx files in the template"),
    sheet: str | None = typer.Option(None, help="worksheet of the .xlsx files (default: first)"),
) -> None:
    """导入站点小时数据 CSV/Excel 文件（模板见 docs/import-template.md）/ Import station hourly
    data from CSV or Excel files in the template (all-or-nothing per file, idempotent)."""
    from lantian.monitoring.spreadsheet_import import SpreadsheetRejected, import_hourly_file
    from lantian.tabular import XLSX_SUFFIXES

    settings = get_settings()
    engine = create_db_engine(settings.effective_database_url)
    require_current_schema(engine)
    sessions = session_factory(engine)
    data_dir = settings.ensure_data_dir()
    refused = 0
    for path in files:
        try:
            # --sheet names a worksheet of the Excel files; CSV files given beside them have none.
            in_sheet = sheet if path.suffix.lower() in XLSX_SUFFIXES else None
            result = import_hourly_file(sessions, path, data_dir, in_sheet)
        except SpreadsheetRejected as rejection:
            refused += 1
            console.print(
                f"[red]✗[/red] {path.name}: 拒绝导入，{len(rejection.problems)} 个问题，"
                f"未写入任何数据 / refused, {len(rejection.problems)} problems, nothing written"
            )
            table = Table(
                "文件 file", "工作表 sheet", "行 row", "列 column", "值 value", "原因 reason"
            )
            for problem in rejection.problems:
                table.add_row(
                    problem.file,
                    problem.sheet or "",
                    str(problem.row),
                    problem.column,
                    problem.value,
                    problem.reason,
                )
            console.print(table)
            continue
        except ServiceError as error:
            # Any refusal of one file (bad content, gone, changed while read): the next file.
            refused += 1
            console.print(f"[red]✗[/red] {error}")
            continue
        if result.already_imported:
            console.print(f"= {path.name}: 已导入 already imported (batch {result.batch_id})")
            continue
        console.print(
            f"[green]✓[/green] {path.name}: +{result.values_added:,} 条新值 new values, "
            f"{result.values_already_stored:,} 已存在 already stored"
        )
        if result.values_overlapping_other_sources:
            console.print(
                f"    {result.values_overlapping_other_sources:,} 个小时其他来源已先报送，以先到者为准 "
                "/ hours another source delivered first; the first received stays in force"
            )
        for note in result.notes:
            console.print(f"    [yellow]注意 note[/yellow] {note}")
    engine.dispose()
    if refused:
        raise typer.Exit(1)


@import_app.command("template")
def import_template(
    out: Path = typer.Option(..., "--out", help="FILE.xlsx or FILE.csv to write"),
) -> None:
    """生成站点小时数据导入模板 / Write the empty import template for station hourly data."""
    from lantian.monitoring.spreadsheet_import import write_template

    write_template(out)
    console.print(f"[green]✓[/green] 模板已写入 template written: {out}")


stations_app = typer.Typer(
    help="监测站点登记 / the station registry (add one station).", no_args_is_help=True
)


def _station_writer(by: str | None) -> tuple[Principal, Plan]:
    """Who writes from the command line (an administrator, named by --by) and the plan in force."""
    from lantian.auth.cli import cli_actor
    from lantian.plan import plan_in_force

    return Principal(cli_actor(by), "administrator"), plan_in_force(get_settings())


@stations_app.command("add")
def stations_add(
    code: str = typer.Argument(..., help="station code, e.g. XM-T100"),
    name: str = typer.Option(..., "--name", help="监测点名称"),
    city: str = typer.Option(..., "--city", help="城市"),
    tier: str = typer.Option(..., "--tier", help="national / provincial / township / micro"),
    area_code: str = typer.Option("", "--area-code", help="乡镇/街道 code of the plan"),
    longitude: str = typer.Option("", "--longitude"),
    latitude: str = typer.Option("", "--latitude"),
    status: str = typer.Option("operating", "--status", help="planned / operating / retired"),
    pollutants: str = typer.Option("", "--pollutants", help="space-separated (default: all six)"),
    interval: int = typer.Option(3600, "--interval", help="seconds between values"),
    by: str | None = typer.Option(None, "--by", help="who acts (default cli:<OS user>)"),
) -> None:
    """登记一个监测站点（审计）/ Register one station (audited)."""
    from lantian.db.engine import transaction
    from lantian.monitoring.stations import known_areas, parse_station, register_station

    station = parse_station(
        {
            "code": code,
            "name": name,
            "city": city,
            "tier": tier,
            "area_code": area_code,
            "longitude": longitude,
            "latitude": latitude,
            "status": status,
            "pollutants": pollutants,
            "reporting_interval_s": interval,
        }
    )
    who, plan = _station_writer(by)
    engine = create_db_engine(get_settings().effective_database_url)
    require_current_schema(engine)
    with transaction(session_factory(engine)) as session:
        register_station(session, who, station, known_areas(plan))
    engine.dispose()
    console.print(f"[green]✓[/green] 已登记站点 station registered: {station.code}")


@import_app.command("stations")
def import_stations_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="stations.csv"),
    by: str | None = typer.Option(None, "--by", help="who acts (default cli:<OS user>)"),
) -> None:
    """导入站点登记表（全部或全不）/ Register the stations of a registry file (all or nothing)."""
    from lantian.db.engine import transaction
    from lantian.monitoring.stations import import_stations, known_areas

    who, plan = _station_writer(by)
    engine = create_db_engine(get_settings().effective_database_url)
    require_current_schema(engine)
    with transaction(session_factory(engine)) as session:
        added = import_stations(session, who, path, known_areas(plan))
    engine.dispose()
    console.print(f"[green]✓[/green] {path.name}: 已登记 {len(added)} 个站点 / stations registered")
