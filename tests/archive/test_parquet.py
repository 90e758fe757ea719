"""The Parquet archive: the database's rows, cell for cell, read back by Polars and DuckDB."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, select

from lantian.archive.parquet import archive_glob, archived_months, export_month
from lantian.monitoring.models import Measurement, Station
from tests.archive.conftest import import_days

pytestmark = pytest.mark.db


def database_rows(engine: Engine) -> pl.DataFrame:
    query = (
        select(
            Measurement.id, Station.code, Measurement.pollutant, Measurement.period_end,
            Measurement.value, Measurement.flag, Measurement.source,
        )
        .join(Station)
        .order_by(Measurement.id)
    )  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "id": pl.Int64, "station": pl.String, "pollutant": pl.String,
            "period_end": pl.Datetime("us", "UTC"), "value": pl.Float64, "flag": pl.String,
            "source": pl.String,
        },
        orient="row",
    )  # fmt: skip


def test_export_equals_the_database_and_reads_back_with_polars_and_duckdb(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    import_days(db_engine, shared_dir, tmp_path / "uploads", ["20190102", "20190220"])
    root = tmp_path / "archive"
    with db_engine.connect() as connection:
        january = export_month(connection, root, date(2019, 1, 1))
        february = export_month(connection, root, date(2019, 2, 1))
        assert export_month(connection, root, date(2019, 3, 1)) == 0
    expected = database_rows(db_engine)
    assert january + february == expected.height
    assert [(m.month, m.rows, m.files) for m in archived_months(root)] == [
        (date(2019, 1, 1), january, 2),
        (date(2019, 2, 1), february, 2),
    ]
    assert (
        root / "measurements" / "year=2019" / "month=01" / "group=gas" / "part-0.parquet"
    ).is_file()

    scanned = pl.scan_parquet(archive_glob(root), hive_partitioning=True).collect()
    assert set(scanned["group"].unique()) == {"gas", "particulate"}
    assert set(scanned.filter(pl.col("group") == "particulate")["pollutant"].unique()) == {
        "pm10", "pm2_5",
    }  # fmt: skip
    assert scanned.filter(pl.col("month") == 2)["period_end"].min() is not None
    assert_frame_equal(scanned.select(expected.columns).sort("id"), expected)

    by_duckdb = duckdb.sql(
        f'SELECT year, CAST(month AS INTEGER), "group", count(*) AS n, sum(value) AS total '
        f"FROM read_parquet('{archive_glob(root)}', hive_partitioning = true) "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    by_polars = (
        expected.with_columns(
            pl.when(pl.col("pollutant").is_in(["pm10", "pm2_5"]))
            .then(pl.lit("particulate"))
            .otherwise(pl.lit("gas"))
            .alias("group"),
            pl.col("period_end").dt.convert_time_zone("Asia/Shanghai").dt.month().alias("m"),
        )
        .group_by("m", "group")
        .agg(pl.len(), pl.col("value").sum())
        .sort("m", "group")
    )
    assert [(r[1], r[2], r[3]) for r in by_duckdb] == [
        (m, g, n) for m, g, n, _ in by_polars.iter_rows()
    ]
    assert [r[4] for r in by_duckdb] == pytest.approx([t for *_, t in by_polars.iter_rows()])


def test_a_month_exported_again_is_rewritten_whole(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    import_days(db_engine, shared_dir, tmp_path / "uploads", ["20190102"])
    root = tmp_path / "archive"
    with db_engine.connect() as connection:
        first = export_month(connection, root, date(2019, 1, 1))
    import_days(db_engine, shared_dir, tmp_path / "uploads", ["20190103"])
    with db_engine.connect() as connection:
        second = export_month(connection, root, date(2019, 1, 1))
    assert second > first
    assert pl.scan_parquet(archive_glob(root)).select(pl.len()).collect().item() == second
    assert [m.rows for m in archived_months(root)] == [second]
