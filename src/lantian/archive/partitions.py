"""Monthly partitions of ``measurements`` and ``raw_frames`` in PostgreSQL (migration 0010).

A month of measurements is the month of the averaging period: a value ending at midnight on the
1st belongs to the month before (HJ 663-2013 natural days), so those bounds lie 1 µs after
China-time midnight. Partitions live in the schema ``partitions``. Rows of a month without a
partition wait in the default partition; creating the month moves them into it. SQLite keeps
plain tables: every function here answers "nothing to do" there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Connection, text

from lantian.timeutil import CHINA_TZ

SCHEMA = "partitions"
#: table -> (partition key, how far after China-time midnight its months start)
PARTITIONED = {
    "measurements": ("period_end", "1 microsecond"),
    "raw_frames": ("received_at", "0 seconds"),
}


@dataclass(frozen=True)
class Partition:
    table: str
    name: str
    month: date | None  # None: the default partition
    rows: int


def is_partitioned(connection: Connection) -> bool:
    """Whether ``measurements`` is a partitioned table (PostgreSQL at migration 0010 or later)."""
    if connection.dialect.name != "postgresql":
        return False
    kind = connection.scalar(
        text("SELECT relkind FROM pg_class WHERE oid = 'measurements'::regclass")
    )
    return bool(kind == "p")


def parse_month(value: str) -> date:
    """``YYYY-MM`` → the first day of that month (refuses anything else)."""
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        from lantian.errors import InputError

        raise InputError(
            f"月份应为 YYYY-MM：{value!r} / month must be YYYY-MM: {value!r}"
        ) from None


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_of(moment: datetime, table: str = "measurements") -> date:
    """The partition month of an instant of ``table``'s partition key."""
    from datetime import timedelta

    if PARTITIONED[table][1] != "0 seconds":
        moment = moment - timedelta(microseconds=1)
    local = moment.astimezone(CHINA_TZ)
    return date(local.year, local.month, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y_%m}"


def _bounds(table: str, month: date) -> tuple[str, str]:
    offset = PARTITIONED[table][1]
    following = add_months(month, 1)
    return (
        f"'{month:%Y-%m-%d} 00:00:00+08'::timestamptz + interval '{offset}'",
        f"'{following:%Y-%m-%d} 00:00:00+08'::timestamptz + interval '{offset}'",
    )


def list_partitions(connection: Connection) -> list[Partition]:
    """The attached partitions of both tables with their row counts (exact: count(*))."""
    if not is_partitioned(connection):
        return []
    found: list[Partition] = []
    for table in PARTITIONED:
        names = connection.scalars(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = CAST(:table AS regclass) ORDER BY c.relname"
            ),
            {"table": table},
        ).all()
        for name in names:
            rows = int(connection.scalar(text(f"SELECT count(*) FROM {SCHEMA}.{name}")) or 0)  # noqa: S608 — SCHEMA is a constant and name a partition name read from pg_inherits
            month = (
                None
                if name.endswith("_default")
                else datetime.strptime(name.rsplit("_p", 1)[1], "%Y_%m").date()
            )
            found.append(Partition(table, name, month, rows))
    return found


def ensure_month(connection: Connection, table: str, month: date) -> bool:
    """Create ``table``'s partition for ``month`` unless it exists; True when created.

    Rows of that month already waiting in the default partition are moved into it (PostgreSQL
    refuses to attach a range the default partition holds rows of).
    """
    name = partition_name(table, month)
    exists = connection.scalar(text(f"SELECT to_regclass('{SCHEMA}.{name}') IS NOT NULL"))
    if exists:
        return False
    key = PARTITIONED[table][0]
    low, high = _bounds(table, month)
    connection.execute(
        text(
            f"CREATE TABLE {SCHEMA}.{name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
    )
    default = f"{SCHEMA}.{table}_default"
    in_range = f"{key} >= {low} AND {key} < {high}"
    connection.execute(
        text(f"INSERT INTO {SCHEMA}.{name} SELECT * FROM {default} WHERE {in_range}")  # noqa: S608 — schema, table, key and bounds are the module's constants and computed dates, no input
    )
    connection.execute(text(f"DELETE FROM {default} WHERE {in_range}"))  # noqa: S608 — the default partition of a PARTITIONED table and computed dates, no input
    connection.execute(
        text(
            f"ALTER TABLE {table} ATTACH PARTITION {SCHEMA}.{name} FOR VALUES FROM ({low}) TO ({high})"
        )
    )
    return True


def ensure_partitions(connection: Connection, now: datetime, months_ahead: int) -> list[str]:
    """Partitions for this month and ``months_ahead`` months after it, and for every month that
    has rows waiting in the default partition (an import of old data). Idempotent."""
    if not is_partitioned(connection):
        return []
    created: list[str] = []
    for table, (key, offset) in PARTITIONED.items():
        current = month_of(now, table)
        months = {add_months(current, n) for n in range(months_ahead + 1)}
        waiting = connection.scalars(
            text(
                f"SELECT DISTINCT date_trunc('month', ({key} - interval '{offset}') "  # noqa: S608 — key, offset and table come from the module's PARTITIONED constants, no input
                f"AT TIME ZONE 'Asia/Shanghai')::date FROM {SCHEMA}.{table}_default"
            )
        ).all()
        months.update(waiting)
        for month in sorted(months):
            if ensure_month(connection, table, month):
                created.append(partition_name(table, month))
    return created


def detach_month(connection: Connection, table: str, month: date) -> str | None:
    """Detach ``table``'s partition of ``month``: it stays in the database as a table of its own
    (``partitions.<name>``, to drop or dump) and leaves the queries of the platform.
    None when there is no such partition. The caller checks the month is archived first."""
    if not is_partitioned(connection):
        return None
    name = partition_name(table, month)
    attached = connection.scalar(
        text(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = CAST(:table AS regclass) "
            "AND inhrelid = to_regclass(:name)"
        ),
        {"table": table, "name": f"{SCHEMA}.{name}"},
    )
    if not attached:
        return None
    connection.execute(text(f"ALTER TABLE {table} DETACH PARTITION {SCHEMA}.{name}"))
    return f"{SCHEMA}.{name}"


@dataclass(frozen=True)
class Detached:
    month: date
    tables: list[str]


def detach_archived_before(
    connection: Connection, archive_root: Path, before: date
) -> tuple[list[Detached], list[str]]:
    """Detach every month of ``measurements`` (and its ``raw_frames`` month) older than ``before``
    whose rows are all in the Parquet archive. Returns what was detached and, for months kept,
    why (not archived, or the archive holds a different number of rows)."""
    from lantian.archive.parquet import is_archived

    detached: list[Detached] = []
    kept: list[str] = []
    for partition in list_partitions(connection):
        if partition.table != "measurements" or partition.month is None:
            continue
        if partition.month >= before:
            continue
        if not is_archived(archive_root, partition.month, partition.rows):
            kept.append(
                f"{partition.month:%Y-%m}: 未归档或行数不符 ({partition.rows} 行) / not archived "
                f"or the archive holds other rows ({partition.rows} rows in the database)"
            )
            continue
        tables = [
            name
            for table in PARTITIONED
            if (name := detach_month(connection, table, partition.month)) is not None
        ]
        detached.append(Detached(partition.month, tables))
    return detached, kept
