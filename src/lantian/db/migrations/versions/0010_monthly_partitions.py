"""archive: measurements and raw frames partitioned by month in PostgreSQL (issue 19)

PostgreSQL: ``measurements`` (on ``period_end``) and ``raw_frames`` (on ``received_at``) become
declaratively range-partitioned tables, one partition per China-time month
(``partitions.measurements_p2019_01``, in a schema of their own so that the application schema
stays the models') and a default partition for months not created yet; the primary key includes
the partition key, as PostgreSQL requires. A measurement's month is the month of its averaging
period: the value ending at midnight on the 1st belongs to the month before (HJ 663-2013 natural
days), so the bounds of ``measurements`` lie 1 µs after midnight, China time. The rows are copied over, the id sequences
kept. The job ``partitions.ensure`` creates the months ahead (:mod:`lantian.archive.partitions`).

Both backends: the foreign keys *into* these tables (measurement_reviews.measurement_id,
received_packets.raw_frame_id) are dropped: PostgreSQL cannot reference a partitioned table by
``id`` alone, and a referenced month could never be detached. The services check the reference
(a review of a missing measurement is refused). SQLite keeps plain tables otherwise.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The schema of the partitions (created by this migration and by lantian.archive.partitions).
SCHEMA = "partitions"

#: How far after China-time midnight a month starts, per table.
BOUND_OFFSET = {"measurements": "1 microsecond", "raw_frames": "0 seconds"}

#: (table, partition key, indexes other than the primary key, foreign keys out of the table)
_TABLES = (
    (
        "measurements",
        "period_end",
        [
            "ALTER TABLE {t} ADD CONSTRAINT uq_measurements_natural_key UNIQUE "
            "(station_id, pollutant, averaging, period_end, source)",
            "CREATE INDEX ix_measurements_period_end ON {t} (period_end)",
        ],
        [
            "ALTER TABLE {t} ADD CONSTRAINT fk_measurements_batch_id_import_batches "
            "FOREIGN KEY (batch_id) REFERENCES import_batches (id)",
            "ALTER TABLE {t} ADD CONSTRAINT fk_measurements_station_id_stations "
            "FOREIGN KEY (station_id) REFERENCES stations (id) ON DELETE RESTRICT",
        ],
    ),
    (
        "raw_frames",
        "received_at",
        [
            "CREATE INDEX ix_raw_frames_received_at ON {t} (received_at)",
            "CREATE INDEX ix_raw_frames_device_id ON {t} (device_id)",
        ],
        [
            "ALTER TABLE {t} ADD CONSTRAINT fk_raw_frames_device_id_devices "
            "FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE RESTRICT",
        ],
    ),
)

#: The foreign keys into the partitioned tables: (table, constraint, column, target).
_INCOMING = (
    ("measurement_reviews", "fk_measurement_reviews_measurement_id_measurements", "measurement_id",
     "measurements"),
    ("received_packets", "fk_received_packets_raw_frame_id_raw_frames", "raw_frame_id",
     "raw_frames"),
)  # fmt: skip


def _index_names(statements: list[str]) -> list[str]:
    """The names of the indexes (and unique constraints) the statements create."""
    return [
        statement.split(" ON ")[0].split()[-1]
        if statement.startswith("CREATE")
        else statement.split(" CONSTRAINT ")[1].split()[0]
        for statement in statements
    ]


def upgrade() -> None:
    for table, constraint, _column, _target in _INCOMING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(constraint, type_="foreignkey")
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, key, indexes, foreign_keys in _TABLES:
        offset = BOUND_OFFSET[table]
        old = f"{table}_unpartitioned"
        sequence = op.get_bind().scalar(sa.text(f"SELECT pg_get_serial_sequence('{table}', 'id')"))
        op.execute(f"ALTER TABLE {table} RENAME TO {old}")
        # Index names are schema-wide: the old table's give way to the new table's.
        for name in [f"pk_{table}", *_index_names(indexes)]:
            op.execute(f"ALTER INDEX {name} RENAME TO {name}_old")
        op.execute(
            f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            f"INCLUDING COMMENTS) PARTITION BY RANGE ({key})"
        )
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id, {key})")
        for statement in indexes + foreign_keys:
            op.execute(statement.format(t=table))
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        op.execute(f"CREATE TABLE {SCHEMA}.{table}_default PARTITION OF {table} DEFAULT")
        # One partition for every China-time month that holds rows, before the rows arrive.
        months = op.get_bind().execute(
            sa.text(
                f"SELECT DISTINCT date_trunc('month', ({key} - interval '{offset}') "  # noqa: S608 — the migration's own table names and constants, no input
                f"AT TIME ZONE 'Asia/Shanghai')::date FROM {old} ORDER BY 1"
            )
        )
        for (first_day,) in months:
            name = f"{SCHEMA}.{table}_p{first_day:%Y_%m}"
            next_month = (
                first_day.replace(year=first_day.year + 1, month=1)
                if first_day.month == 12
                else first_day.replace(month=first_day.month + 1)
            )
            op.execute(
                f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM "
                f"('{first_day:%Y-%m-%d} 00:00:00+08'::timestamptz + interval '{offset}') TO "
                f"('{next_month:%Y-%m-%d} 00:00:00+08'::timestamptz + interval '{offset}')"
            )
        op.execute(f"INSERT INTO {table} SELECT * FROM {old}")  # noqa: S608 — the migration's own table names, no input
        op.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
        op.execute(f"DROP TABLE {old}")
        op.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _key, indexes, foreign_keys in _TABLES:
            partitioned = f"{table}_partitioned"
            sequence = op.get_bind().scalar(
                sa.text(f"SELECT pg_get_serial_sequence('{table}', 'id')")
            )
            op.execute(f"ALTER TABLE {table} RENAME TO {partitioned}")
            for name in [f"pk_{table}", *_index_names(indexes)]:
                op.execute(f"ALTER INDEX {name} RENAME TO {name}_old")
            op.execute(
                f"CREATE TABLE {table} (LIKE {partitioned} INCLUDING DEFAULTS "
                "INCLUDING CONSTRAINTS INCLUDING COMMENTS)"
            )
            op.execute(f"INSERT INTO {table} SELECT * FROM {partitioned}")  # noqa: S608 — the migration's own table names, no input
            op.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
            # Drops the attached partitions; months detached for retention stay as they are.
            op.execute(f"DROP TABLE {partitioned}")
            op.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id)")
            for statement in indexes + foreign_keys:
                op.execute(statement.format(t=table))
    for table, constraint, column, target in _INCOMING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(constraint, target, [column], ["id"], ondelete="RESTRICT")
