"""CNEMC files into measurements: real files, idempotent re-import, overlap, all-or-nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from lantian.db.engine import session_factory
from lantian.errors import InputError, NotFound
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring import cnemc_import
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.models import ImportBatch, Measurement, Station

CST = timezone(timedelta(hours=8))
TRUNCATED_DAY = "data/cnemc/national_daily/china_sites_20190220.csv"


@pytest.fixture(scope="module")
def references() -> list:
    return list(read_station_list(BUNDLED_STATION_LIST))


def count(engine: Engine, model: type) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_truncated_national_file_imports_what_it_has(
    db_engine: Engine, shared_dir: Path, tmp_path: Path, references: list
) -> None:
    sessions = session_factory(db_engine)
    result = import_cnemc_file(sessions, shared_dir / TRUNCATED_DAY, tmp_path, references)
    assert not result.already_imported and result.unknown_stations == ()
    assert result.values_added == result.values_in_file == count(db_engine, Measurement)
    assert any("truncated_row" in note for note in result.notes)
    assert any("hours 8-23 absent" in note for note in result.notes)
    with sessions() as session:
        # 1316A (烟厂), 2019-02-20 hour 1: the cell of the file's PM2.5 row for that hour.
        station = session.scalars(select(Station).where(Station.code == "1316A")).one()
        assert station.name == "烟厂" and station.city == "郑州"
        value = session.scalar(
            select(Measurement.value).where(
                Measurement.station_id == station.id,
                Measurement.pollutant == "pm2_5",
                Measurement.period_end == datetime(2019, 2, 20, 1, tzinfo=CST),
            )
        )
    assert value == expected_cell(shared_dir / TRUNCATED_DAY, "20190220", "1", "PM2.5", "1316A")
    kept = tmp_path / session_factory(db_engine)().scalars(select(ImportBatch.stored_path)).one()
    assert kept.read_bytes() == (shared_dir / TRUNCATED_DAY).read_bytes()
    if db_engine.dialect.name == "postgresql":
        # The load refreshed the planner's statistics (lantian.db.bulk): the planner knows the
        # table is no longer empty, so the next query is not planned for zero rows.
        with db_engine.connect() as connection:
            estimated = connection.scalar(
                text(
                    "SELECT sum(reltuples) FROM pg_class WHERE relkind = 'r' AND oid IN "
                    "(SELECT 'measurements'::regclass UNION "
                    "SELECT inhrelid FROM pg_inherits WHERE inhparent = 'measurements'::regclass)"
                )
            )
        assert estimated >= 0.9 * result.values_added


def expected_cell(path: Path, day: str, hour: str, kind: str, station: str) -> float:
    lines = path.read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index(station)
    for line in lines[1:]:
        cells = line.split(",")
        if cells[:3] == [day, hour, kind]:
            return float(cells[column])
    raise AssertionError("cell not in file")


def test_reimport_is_idempotent_and_overlap_adds_only_new_values(
    db_engine: Engine, shared_dir: Path, tmp_path: Path, references: list
) -> None:
    sessions = session_factory(db_engine)
    first = import_cnemc_file(sessions, shared_dir / TRUNCATED_DAY, tmp_path, references)
    again = import_cnemc_file(sessions, shared_dir / TRUNCATED_DAY, tmp_path, references)
    assert again.already_imported and again.batch_id == first.batch_id
    assert count(db_engine, Measurement) == first.values_added
    # The Zhengzhou extract holds the same nine stations on the same day: those values are kept
    # as first received, and only the rest of the extract is added.
    zhengzhou = (
        shared_dir / "data/cnemc/zhengzhou_extract/zhengzhou_sites_2019-01-01_2019-08-31.csv"
    )
    extract = import_cnemc_file(sessions, zhengzhou, tmp_path, references)
    with sessions() as session:
        zz_ids = select(Station.id).where(Station.city == "郑州")
        overlap = session.scalar(
            select(func.count())
            .select_from(Measurement)
            .where(Measurement.batch_id == first.batch_id, Measurement.station_id.in_(zz_ids))
        )
    assert extract.values_already_stored == overlap > 0
    assert count(db_engine, Measurement) == first.values_added + extract.values_added


def test_failed_import_leaves_nothing_behind(
    db_engine: Engine,
    shared_dir: Path,
    tmp_path: Path,
    references: list,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = {"n": 0}
    real_insert = cnemc_import.insert_ignoring_conflicts

    def failing_insert(*args: object, **kwargs: object) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_insert(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cnemc_import, "insert_ignoring_conflicts", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        import_cnemc_file(
            session_factory(db_engine), shared_dir / TRUNCATED_DAY, tmp_path, references
        )
    assert count(db_engine, Measurement) == 0
    assert count(db_engine, ImportBatch) == 0
    assert count(db_engine, Station) == 0
    monkeypatch.undo()
    retry = import_cnemc_file(
        session_factory(db_engine), shared_dir / TRUNCATED_DAY, tmp_path, references
    )
    assert retry.values_added > 0


def test_not_a_cnemc_file_is_refused_clearly(db_engine: Engine, tmp_path: Path) -> None:
    bogus = tmp_path / "stations.csv"
    bogus.write_text("监测点编码,监测点名称\n1001A,x\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"stations\.csv: 不是 CNEMC 站点文件 / not a CNEMC station file"
    ):
        import_cnemc_file(session_factory(db_engine), bogus, tmp_path)
    with pytest.raises(NotFound, match="no such file"):
        import_cnemc_file(session_factory(db_engine), tmp_path / "absent.csv", tmp_path)
    # The refused file is kept as it came, and its refusal recorded; nothing else is.
    with session_factory(db_engine)() as session:
        batches = list(session.scalars(select(ImportBatch)))
    assert [(b.filename, b.status, b.rows_loaded) for b in batches] == [
        ("stations.csv", "rejected", 0)
    ]
    assert "not a CNEMC station file" in (batches[0].message or "")
    assert (tmp_path / (batches[0].stored_path or "")).read_bytes() == bogus.read_bytes()


def test_times_are_hour_ending_in_china_time(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    sessions = session_factory(db_engine)
    import_cnemc_file(sessions, shared_dir / TRUNCATED_DAY, tmp_path)
    with sessions() as session:
        earliest = session.scalar(select(func.min(Measurement.period_end)))
    # Hour 0 of the 2019-02-20 file is 24:00 of 2019-02-19, i.e. 2019-02-19 16:00 UTC.
    assert earliest == datetime(2019, 2, 19, 16, tzinfo=UTC)
