"""The station-year assessment over the archive: on a Dask LocalCluster it equals the
single-process result exactly, and its figures follow from the hourly values."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lantian.archive.assess import assess
from lantian.archive.parquet import archive_glob, export_month, months_with_data
from lantian.db import migrate
from lantian.db.engine import create_db_engine
from tests.archive.conftest import import_days

#: Real national days: the hour ending 2017-01-01 00:00 lies in 2016, so three years.
DAYS = ["20170101", "20190102", "20190103", "20190220", "20190703"]


@pytest.fixture(scope="module")
def archive(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("archive")
    engine = create_db_engine(f"sqlite:///{folder / 'db.sqlite3'}")
    migrate.upgrade(engine)
    import_days(engine, shared_dir, folder / "uploads", DAYS)
    root = folder / "archive"
    with engine.connect() as connection:
        for month in months_with_data(connection):
            export_month(connection, root, month)
    engine.dispose()
    yield root


def test_dask_local_cluster_equals_the_single_process_result(archive: Path) -> None:
    from distributed import Client, LocalCluster

    single = assess(archive)
    assert sorted(single["year"].unique().to_list()) == [2016, 2017, 2019]
    assert single.filter(pl.col("year") == 2019).height > 1500  # the national network
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        distributed = assess(archive, scheduler=client)
        # The same code by address, as on a real cluster (`--scheduler tcp://…`).
        by_address = assess(archive, years=[2019], scheduler=cluster.scheduler_address)
    assert_frame_equal(distributed, single)
    assert_frame_equal(by_address, single.filter(pl.col("year") == 2019))


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def test_the_annual_pm25_mean_follows_from_the_hours(archive: Path) -> None:
    """Recomputed with Decimal from the archived hours: a day counts with >= 20 hours; its mean
    and the mean of the days are rounded half to even (GB/T 8170)."""
    result = assess(archive, years=[2019])
    hours = (
        pl.scan_parquet(archive_glob(archive), hive_partitioning=True)
        .filter(pl.col("station") == "1001A", pl.col("pollutant") == "pm2_5")
        .select("period_end", "value")
        .collect()
        .with_columns(
            (pl.col("period_end") - pl.duration(hours=1))
            .dt.convert_time_zone("Asia/Shanghai")
            .dt.date()
            .alias("day")
        )
        .filter(pl.col("day").dt.year() == 2019)
    )
    daily = []
    for (_day,), group in hours.group_by("day"):
        values = [_round(Decimal(repr(v))) for v in group["value"] if v is not None]
        if len(values) >= 20:
            daily.append(_round(Decimal(sum(values)) / len(values)))
    row = result.filter(pl.col("station") == "1001A").row(0, named=True)
    assert row["PM25_days"] == len(daily) > 0
    assert row["PM25"] == _round(Decimal(sum(daily)) / len(daily))
    assert row["PM25_valid"] is False  # a handful of days is no valid year (GB 3095 Table 4)
    assert row["good_days"] + row["exceedance_days"] == row["aqi_days"]


def test_assess_from_the_command_line(archive: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lantian.cli import app

    target = tmp_path / "years.csv"
    outcome = CliRunner().invoke(
        app, ["archive", "assess", "--out", str(archive), "--year", "2019", "--output", str(target)]
    )
    assert outcome.exit_code == 0, outcome.output
    written = pl.read_csv(target)
    assert written.height == assess(archive, years=[2019]).height
    assert set(written["year"].unique()) == {2019}
