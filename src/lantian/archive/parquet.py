"""The Parquet archive of measurements: one file per month and pollutant group, Hive-style.

Layout under the archive folder::

    measurements/year=2019/month=01/group=gas/part-0.parquet
    measurements/year=2019/month=01/group=particulate/part-0.parquet
    manifest.json        # months archived, rows per month, when

A month is the partition month of :mod:`lantian.archive.partitions` (the month of the averaging
period, China time). Files are written with Polars; Polars (``scan_parquet(...,
hive_partitioning=True)``), DuckDB (``read_parquet('…/**/*.parquet', hive_partitioning=true)``)
and Dask read them as they are. A month exported again is rewritten whole (the database is the
source; an archived month re-exported gives the same rows).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from lantian import clock
from lantian.archive.partitions import add_months, month_of
from lantian.monitoring.models import Measurement, Station
from lantian.timeutil import CHINA_TZ

if TYPE_CHECKING:
    import polars as pl

#: Pollutant groups: one file each per month (the assessment reads both; a query of particles
#: alone reads half the bytes).
GROUPS = {
    "gas": ("so2", "no2", "co", "o3"),
    "particulate": ("pm10", "pm2_5"),
}
MANIFEST = "manifest.json"
TABLE = "measurements"

#: Rows fetched from the database at a time while exporting (memory stays bounded).
FETCH_ROWS = 200_000


def month_range(month: date) -> tuple[datetime, datetime]:
    """The instants [start, end) of a measurements month: 1 µs after China-time midnight."""
    start = datetime(month.year, month.month, 1, tzinfo=CHINA_TZ) + timedelta(microseconds=1)
    following = add_months(month, 1)
    end = datetime(following.year, following.month, 1, tzinfo=CHINA_TZ) + timedelta(microseconds=1)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_folder(root: Path, month: date, group: str) -> Path:
    return root / TABLE / f"year={month.year}" / f"month={month.month:02d}" / f"group={group}"


@dataclass(frozen=True)
class ArchivedMonth:
    month: date
    rows: int
    files: int
    exported_at: str


def read_manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.exists():
        return {TABLE: {}}
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def archived_months(root: Path) -> list[ArchivedMonth]:
    """The months the manifest records, oldest first."""
    entries = read_manifest(root).get(TABLE, {})
    return [
        ArchivedMonth(
            datetime.strptime(key, "%Y-%m").date(), e["rows"], e["files"], e["exported_at"]
        )
        for key, e in sorted(entries.items())
    ]


def months_with_data(connection: Connection) -> list[date]:
    """Every measurements month between the first and the last stored value."""
    first, last = connection.execute(
        select(func.min(Measurement.period_end), func.max(Measurement.period_end))
    ).one()
    if first is None or last is None:
        return []
    months, month = [], month_of(_aware(first))
    end = month_of(_aware(last))
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def _aware(moment: datetime) -> datetime:
    # Raw SELECTs of SQLite give naive UTC; the UtcDateTime type gives aware values.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _month_rows(connection: Connection, month: date) -> Iterator[list[Any]]:
    start, end = month_range(month)
    query = (
        select(
            Measurement.id,
            Station.code.label("station"),
            Measurement.station_id,
            Measurement.pollutant,
            Measurement.averaging,
            Measurement.period_end,
            Measurement.value,
            Measurement.flag,
            Measurement.source,
            Measurement.batch_id,
            Measurement.received_at,
        )
        .join(Station, Station.id == Measurement.station_id)
        .where(Measurement.period_end >= start, Measurement.period_end < end)
        .order_by(Measurement.id)
        .execution_options(yield_per=FETCH_ROWS)
    )
    result = connection.execute(query)
    while chunk := result.fetchmany(FETCH_ROWS):
        yield [tuple(row) for row in chunk]


ARCHIVE_SCHEMA = {
    "id": "Int64",
    "station": "String",
    "station_id": "Int64",
    "pollutant": "String",
    "averaging": "String",
    "period_end": "Datetime",
    "value": "Float64",
    "flag": "String",
    "source": "String",
    "batch_id": "Int64",
    "received_at": "Datetime",
}


def _frame(rows: list[Any]) -> pl.DataFrame:
    import polars as pl

    types: dict[str, Any] = {
        "Int64": pl.Int64,
        "String": pl.String,
        "Float64": pl.Float64,
        "Datetime": pl.Datetime("us", "UTC"),
    }
    schema = {name: types[kind] for name, kind in ARCHIVE_SCHEMA.items()}
    return pl.DataFrame(rows, schema=schema, orient="row")


def export_month(connection: Connection, root: Path, month: date) -> int:
    """Write ``month`` of measurements into the archive; returns the rows written (0: nothing
    to archive, no file written). Files are written beside and renamed into place."""
    import polars as pl

    frames = [_frame(chunk) for chunk in _month_rows(connection, month)]
    if not frames:
        return 0
    data = pl.concat(frames).with_columns(
        pl.col("pollutant")
        .replace_strict({p: g for g, members in GROUPS.items() for p in members}, default="other")
        .alias("_group")
    )
    files = 0
    for (group,), part in data.sort("station", "pollutant", "period_end").group_by(
        "_group", maintain_order=True
    ):
        folder = month_folder(root, month, str(group))
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "part-0.parquet"
        temporary = folder / ".part-0.parquet.tmp"
        part.drop("_group").write_parquet(temporary, compression="zstd", statistics=True)
        os.replace(temporary, target)
        files += 1
    record_month(root, month, data.height, files)
    return data.height


def record_month(root: Path, month: date, rows: int, files: int) -> None:
    """Enter ``month`` in the manifest (rows and files written, when)."""
    manifest = read_manifest(root)
    manifest.setdefault(TABLE, {})[f"{month:%Y-%m}"] = {
        "rows": rows,
        "files": files,
        "exported_at": clock.now().isoformat(timespec="seconds"),
    }
    path = root / MANIFEST
    temporary = root / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
    os.replace(temporary, path)


def is_archived(root: Path, month: date, rows_in_database: int) -> bool:
    """Whether the archive holds ``month`` with exactly the rows the database holds for it."""
    entry = read_manifest(root).get(TABLE, {}).get(f"{month:%Y-%m}")
    return entry is not None and int(entry["rows"]) == rows_in_database


def archive_glob(root: Path) -> str:
    """The glob that reads the whole archive (Polars, DuckDB)."""
    return str(root / TABLE / "**" / "*.parquet")


def archive_files(root: Path, months: list[date] | None = None) -> dict[date, list[Path]]:
    """The Parquet files of each archived month (all months, or those given)."""
    found: dict[date, list[Path]] = {}
    for entry in archived_months(root):
        if months is not None and entry.month not in months:
            continue
        folder = root / TABLE / f"year={entry.month.year}" / f"month={entry.month.month:02d}"
        found[entry.month] = sorted(folder.glob("group=*/*.parquet"))
    return found
