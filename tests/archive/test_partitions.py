"""PostgreSQL monthly partitions: created ahead by the scheduled job, used by imports, moved out
of the default partition, and detached once the month is archived (a real PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from lantian.archive.parquet import export_month
from lantian.archive.partitions import detach_archived_before, list_partitions
from lantian.auth.models import AuditEntry
from lantian.config import Settings
from lantian.db.engine import session_factory
from lantian.monitoring.models import Measurement
from tests.archive.conftest import import_days

pytestmark = pytest.mark.db


@pytest.fixture
def db_backend() -> str:
    """Partitions exist in PostgreSQL only: this module runs on it alone."""
    return "postgresql"


def where_rows_are(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT tableoid::regclass::text, count(*) FROM measurements GROUP BY 1")
        ).all()
    return {name: count for name, count in rows}


def partition_names(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {p.name for p in list_partitions(connection)}


def test_the_job_creates_this_month_and_the_months_ahead_once(
    db_engine: Engine, tmp_path: Path
) -> None:
    from lantian.archive.jobs import ensure_partitions_job
    from lantian.scheduler.registry import JobContext

    now = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    settings = Settings(data_dir=tmp_path, partition_months_ahead=2)
    context = JobContext(session_factory(db_engine), settings, now, None, "system:job:x")
    summary = ensure_partitions_job(context)
    expected = {
        f"{table}_p{month}"
        for table in ("measurements", "raw_frames")
        for month in ("2026_12", "2027_01", "2027_02")
    }
    assert expected <= partition_names(db_engine)
    assert "created 6 partitions" in summary
    # Idempotent: asked again (by hand), nothing new.
    with db_engine.begin() as connection:
        from lantian.archive.partitions import ensure_partitions

        assert ensure_partitions(connection, now, 2) == []
    assert "already in place" in ensure_partitions_job(context)


def test_rows_land_in_their_month_and_wait_in_default_until_it_exists(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    from lantian.archive.partitions import ensure_partitions

    with db_engine.begin() as connection:
        ensure_partitions(connection, datetime(2019, 1, 10, tzinfo=UTC), 1)  # Jan, Feb 2019
    import_days(db_engine, shared_dir, tmp_path / "uploads", ["20190102", "20190220", "20190703"])
    placed = where_rows_are(db_engine)
    assert set(placed) == {
        "partitions.measurements_p2019_01",
        "partitions.measurements_p2019_02",
        "partitions.measurements_default",  # July has no partition yet
    }
    with session_factory(db_engine)() as session:
        total = session.scalar(select(func.count()).select_from(Measurement))
    assert sum(placed.values()) == total
    # The next run of the job finds July waiting and gives it its month.
    with db_engine.begin() as connection:
        created = ensure_partitions(connection, datetime(2019, 1, 10, tzinfo=UTC), 1)
    assert "measurements_p2019_07" in created
    moved = where_rows_are(db_engine)
    assert "partitions.measurements_default" not in moved
    assert moved["partitions.measurements_p2019_07"] == placed["partitions.measurements_default"]


def test_the_hour_ending_at_midnight_on_the_first_belongs_to_the_month_before(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    from lantian.archive.partitions import ensure_partitions

    with db_engine.begin() as connection:
        ensure_partitions(connection, datetime(2016, 12, 10, tzinfo=UTC), 1)  # Dec 2016, Jan 2017
    # The 2017-01-01 file: hour 0 is the value ending at 00:00 on 1 January (2016's last hour).
    import_days(db_engine, shared_dir, tmp_path / "uploads", ["20170101"])
    with db_engine.connect() as connection:
        december = (
            connection.execute(
                text("SELECT DISTINCT period_end FROM partitions.measurements_p2016_12 ORDER BY 1")
            )
            .scalars()
            .all()
        )
    assert december == [datetime(2016, 12, 31, 16, 0, tzinfo=UTC)]  # 2017-01-01 00:00 +08


def test_only_archived_months_are_detached(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    from lantian.archive.partitions import ensure_partitions

    with db_engine.begin() as connection:
        ensure_partitions(connection, datetime(2019, 1, 10, tzinfo=UTC), 1)
    import_days(db_engine, shared_dir, tmp_path / "uploads", ["20190102", "20190220"])
    archive = tmp_path / "archive"
    before = where_rows_are(db_engine)
    with db_engine.connect() as connection:
        exported = export_month(connection, archive, date(2019, 1, 1))  # January only
    assert exported == before["partitions.measurements_p2019_01"]
    with db_engine.begin() as connection:
        detached, kept = detach_archived_before(connection, archive, date(2019, 3, 1))
    assert [d.month for d in detached] == [date(2019, 1, 1)]
    assert detached[0].tables == [
        "partitions.measurements_p2019_01",
        "partitions.raw_frames_p2019_01",
    ]
    assert len(kept) == 1 and kept[0].startswith("2019-02")  # February was never archived
    after = where_rows_are(db_engine)
    assert "partitions.measurements_p2019_01" not in after
    assert after["partitions.measurements_p2019_02"] == before["partitions.measurements_p2019_02"]
    with db_engine.connect() as connection:
        # Detached, not dropped: the month's rows are still in the database, out of the live table.
        kept_rows = connection.scalar(text("SELECT count(*) FROM partitions.measurements_p2019_01"))
    assert kept_rows == exported


def test_detach_from_the_command_line_is_audited(
    db_engine: Engine,
    db_url: str,
    shared_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from lantian.cli import app
    from lantian.config import get_settings

    import_days(db_engine, shared_dir, tmp_path / "uploads", ["20190102"])
    monkeypatch.setenv("LANTIAN_DATABASE_URL", db_url)
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        ensured = runner.invoke(app, ["archive", "partitions", "--ensure"])
        assert ensured.exit_code == 0, ensured.output
        assert "measurements_p2019_01" in ensured.output
        exported = runner.invoke(app, ["archive", "export", "--month", "2019-01"])
        assert exported.exit_code == 0, exported.output
        detached = runner.invoke(
            app,
            ["archive", "detach", "--before", "2019-02", "--by", "ops", "--reason", "retention"],
        )
        assert detached.exit_code == 0, detached.output
        assert "2019-01" in detached.output
    finally:
        get_settings.cache_clear()
    with session_factory(db_engine)() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "archive.detach")
        ).one()
    assert (entry.actor, entry.entity_id, entry.reason) == ("ops", "2019-01", "retention")
    assert "partitions.measurements_p2019_01" not in where_rows_are(db_engine)
