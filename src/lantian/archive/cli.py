"""``lantian archive export|list|assess|partitions|detach``: the archive from the command line.

Polars, DuckDB and Dask load inside the commands that use them, never at ``lantian --help``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Engine

from lantian.config import get_settings

archive_app = typer.Typer(
    help="归档 / the Parquet archive and the monthly partitions (PostgreSQL)",
    no_args_is_help=True,
)
console = Console()

# As lantian.auth.cli's options; that module is imported only when `detach` runs.
BY_OPTION = typer.Option(None, "--by", help="on whose behalf (default: cli:<OS user>)")
REASON_OPTION = typer.Option(None, "--reason", help="why (kept in the audit log)")
OUT_OPTION = typer.Option(None, "--out", help="archive folder (default LANTIAN_ARCHIVE_DIR)")


def _root(out: Path | None) -> Path:
    return out if out is not None else get_settings().effective_archive_dir


def _engine() -> Engine:
    from lantian.db.engine import create_db_engine
    from lantian.db_cli import require_current_schema

    engine = create_db_engine(get_settings().effective_database_url)
    require_current_schema(engine)
    return engine


@archive_app.command("export")
def export(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (default: every month)"),
    out: Path | None = OUT_OPTION,
) -> None:
    """导出 Parquet / Write months of measurements to the archive (one file per month and group)."""
    from lantian.archive.parquet import export_month, months_with_data
    from lantian.archive.partitions import parse_month

    root = _root(out)
    engine = _engine()
    with engine.connect() as connection:
        months = [parse_month(month)] if month else months_with_data(connection)
        total = 0
        for each in months:
            rows = export_month(connection, root, each)
            total += rows
            if rows:
                console.print(f"{each:%Y-%m}: {rows} 行 / rows")
    engine.dispose()
    console.print(f"已归档 {total} 行到 {root} / archived {total} rows to {root}")


@archive_app.command("list")
def list_archive(out: Path | None = OUT_OPTION) -> None:
    """列出已归档月份 / The archived months, their rows and files."""
    from lantian.archive.parquet import archived_months

    root = _root(out)
    table = Table("月份 month", "行 rows", "文件 files", "导出 exported (UTC)", title=str(root))
    for entry in archived_months(root):
        table.add_row(f"{entry.month:%Y-%m}", str(entry.rows), str(entry.files), entry.exported_at)
    console.print(table)


@archive_app.command("assess")
def assess_command(
    out: Path | None = OUT_OPTION,
    year: list[int] = typer.Option([], "--year", help="years to assess (default: all)"),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler, e.g. tcp://host:8786 (default: this process)"
    ),
    output: Path | None = typer.Option(
        None, "--output", help="write the station-year table here (.parquet or .csv)"
    ),
) -> None:
    """HJ 663 年评价 / Station-year assessment over the archive, here or on a Dask cluster."""
    from lantian.archive.assess import assess

    result = assess(_root(out), year or None, scheduler)
    if output is not None:
        if output.suffix == ".csv":
            result.write_csv(output)
        else:
            result.write_parquet(output)
        console.print(f"{result.height} 个站年 / station-years → {output}")
        return
    table = Table(
        "站 station", "年 year", "PM2.5", "O3_8H p90", "优良天 good", "综合指数 composite"
    )
    for row in result.head(50).iter_rows(named=True):
        table.add_row(
            row["station"], str(row["year"]), str(row["PM25"]), str(row["O3_8H"]),
            str(row["good_days"]), str(row["composite"]),
        )  # fmt: skip
    console.print(table)
    console.print(f"{result.height} 个站年 / station-years (--output FILE for all)")


@archive_app.command("partitions")
def partitions(
    ensure: bool = typer.Option(False, "--ensure", help="create the months ahead now"),
) -> None:
    """分区 / PostgreSQL monthly partitions and their rows (--ensure: run partitions.ensure)."""
    from lantian.archive.partitions import ensure_partitions, is_partitioned, list_partitions
    from lantian.db.base import utc_now

    engine = _engine()
    with engine.begin() as connection:
        if not is_partitioned(connection):
            console.print("SQLite：无分区 / no partitions (plain tables)")
            return
        if ensure:
            created = ensure_partitions(
                connection, utc_now(), get_settings().partition_months_ahead
            )
            console.print(f"新建 / created: {', '.join(created) or '—'}")
        table = Table("表 table", "分区 partition", "月份 month", "行 rows")
        for p in list_partitions(connection):
            table.add_row(
                p.table, p.name, f"{p.month:%Y-%m}" if p.month else "default", str(p.rows)
            )
    console.print(table)
    engine.dispose()


@archive_app.command("detach")
def detach(
    before: str = typer.Option(..., "--before", help="YYYY-MM: detach the months before it"),
    out: Path | None = OUT_OPTION,
    by: str | None = BY_OPTION,
    reason: str | None = REASON_OPTION,
) -> None:
    """分离已归档月份 / Detach archived months before YYYY-MM from the live tables (PostgreSQL)."""
    from lantian.archive.partitions import detach_archived_before, parse_month
    from lantian.auth import audit
    from lantian.auth.cli import cli_actor
    from lantian.db.engine import session_factory, transaction

    engine = _engine()
    cutoff = parse_month(before)
    with transaction(session_factory(engine)) as session:
        detached, kept = detach_archived_before(session.connection(), _root(out), cutoff)
        for entry in detached:
            audit.record(
                session, cli_actor(by), "archive.detach", "partition", f"{entry.month:%Y-%m}",
                {"attached": entry.tables}, {"detached": entry.tables}, reason,
            )  # fmt: skip
    for entry in detached:
        console.print(f"[green]✓[/green] {entry.month:%Y-%m}: {', '.join(entry.tables)}")
    for line in kept:
        console.print(f"[yellow]保留 kept[/yellow] {line}")
    if not detached and not kept:
        console.print("没有可分离的月份 / nothing to detach")
    engine.dispose()
