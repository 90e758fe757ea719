"""Bulk writes that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import sqlite

#: On PostgreSQL, a load of at least this many new rows refreshes the table's planner statistics.
ANALYZE_AFTER_ROWS = 10_000


def insert_ignoring_conflicts(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
) -> int:
    """Insert ``rows``, keeping the existing row wherever the unique key already exists.

    Returns how many rows were inserted. Used where data must never be overwritten and a re-sent
    or re-imported value must not be stored twice. On PostgreSQL the rows travel by ``COPY`` into
    a temporary table and move over with one ``INSERT … ON CONFLICT DO NOTHING`` — an order of
    magnitude faster than parameterised inserts for the hundreds of thousands of values of an
    import.
    """
    if not rows:
        return 0
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return _copy_then_insert(connection, table, rows, conflict_columns)
    if dialect != "sqlite":  # pragma: no cover - lantian supports these two backends only
        raise NotImplementedError(f"no idempotent insert for {dialect}")
    statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    # RETURNING makes the count exact and lets SQLAlchemy batch rows into multi-row INSERTs.
    key = next(iter(table.primary_key.columns))
    return len(connection.execute(statement.returning(key), list(rows)).all())


def _unchanged(value: Any) -> Any:
    return value


def _copy_then_insert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
) -> int:
    columns = list(rows[0])
    # Bind processors (e.g. UTC normalisation of timestamps) apply as for an ordinary insert.
    processors = {
        name: table.c[name].type.bind_processor(connection.dialect) or _unchanged
        for name in columns
    }
    staging = f"staging_{uuid.uuid4().hex[:12]}"
    quoted = ", ".join(f'"{name}"' for name in columns)
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "  # noqa: S608 — staging is a generated identifier, columns and table come from the SQLAlchemy model and are quoted
            f'SELECT {quoted} FROM "{table.name}" WITH NO DATA'
        )
        with cursor.copy(f"COPY {staging} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([processors[name](row[name]) for name in columns])
        conflict = ", ".join(f'"{name}"' for name in conflict_columns)
        cursor.execute(
            f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM {staging} '  # noqa: S608 — table, columns and staging come from the model / are generated, all quoted; values go through COPY
            f"ON CONFLICT ({conflict}) DO NOTHING"
        )
        inserted = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
        if inserted >= ANALYZE_AFTER_ROWS:
            # The planner's statistics lag a bulk load until autovacuum comes round; a query in
            # between planned on an "empty" table can take minutes instead of milliseconds (a
            # national day into a fresh database did exactly that). PostgreSQL's advice after a
            # bulk load is ANALYZE; inside the transaction it counts the rows just inserted.
            cursor.execute(f'ANALYZE "{table.name}"')
    return int(inserted)
