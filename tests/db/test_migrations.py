"""Migrations run on both backends, go down and up again, and match the models exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text

from lantian.db import migrate
from lantian.db.audited import acting_as
from lantian.db.engine import session_factory, transaction
from lantian.db.models import Base
from lantian.monitoring.models import Measurement, Station


def test_database_is_at_head(db_engine: Engine) -> None:
    assert migrate.current_revision(db_engine) == migrate.head_revision()
    tables = set(inspect(db_engine).get_table_names())
    assert {"stations", "measurements", "import_batches", "alembic_version"} <= tables


def test_models_match_migrations(db_engine: Engine) -> None:
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_downgrade_to_base_and_upgrade_again(db_engine: Engine) -> None:
    migrate.downgrade(db_engine, "base")
    assert migrate.current_revision(db_engine) is None
    assert "stations" not in inspect(db_engine).get_table_names()
    migrate.upgrade(db_engine)
    assert migrate.current_revision(db_engine) == migrate.head_revision()


def test_timestamps_come_back_aware_and_equal(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    china = timezone(timedelta(hours=8))
    moment = datetime(2019, 1, 4, 16, 0, tzinfo=china)
    with transaction(sessions) as session:
        station = Station(code="T001", name="测试", city="新密", tier="township")
        with acting_as(session, "test"):
            session.add(station)
        session.add(
            Measurement(
                station_id=station.id,
                pollutant="pm2_5",
                period_end=moment,
                value=273.0,
                source="manual",
                received_at=datetime.now(UTC),
            )
        )
    with sessions() as session:
        stored = session.scalars(select(Measurement.period_end)).one()
    assert stored == moment
    assert stored.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    with pytest.raises(Exception, match="naive datetime"), transaction(sessions) as session:
        station = Station(code="T002", name="测试", city="新密", tier="township")
        with acting_as(session, "test"):
            session.add(station)
        session.add(
            Measurement(
                station_id=station.id,
                pollutant="so2",
                period_end=datetime(2019, 1, 1),
                value=1.0,
                source="manual",
                received_at=datetime.now(UTC),
            )
        )
        session.flush()
    with sessions() as session:
        assert session.scalars(select(Station)).all() == []


def test_station_tier_is_checked(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    with (
        pytest.raises(Exception, match=r"(?i)check"),
        transaction(sessions) as session,
        acting_as(session, "test"),
    ):
        session.add(Station(code="T003", name="x", city="新密", tier="galactic"))


def test_0003_fills_the_registry_fields_of_existing_stations(db_engine: Engine) -> None:
    migrate.downgrade(db_engine, "0002")
    with db_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO stations (code, name, city, tier, is_background, active, created_at) "
                "VALUES ('1316A', '烟厂', '郑州', 'national', false, true, :now)"
            ),
            {"now": datetime(2019, 1, 1, tzinfo=UTC).replace(tzinfo=None)},
        )
        # A row that references the station: SQLite's table copy must not break it.
        connection.execute(
            text(
                "INSERT INTO measurements (station_id, pollutant, averaging, period_end, value, "
                "flag, source, received_at) SELECT id, 'pm2_5', '1h', :now, 88, 'N', 'cnemc', :now "
                "FROM stations"
            ),
            {"now": datetime(2019, 1, 1, tzinfo=UTC).replace(tzinfo=None)},
        )
    migrate.upgrade(db_engine)
    with session_factory(db_engine)() as session:
        station = session.scalars(select(Station)).one()
    assert station.status == "operating"
    assert station.pollutants == ["so2", "no2", "pm10", "pm2_5", "co", "o3"]
    assert station.reporting_interval_s == 3600
    with session_factory(db_engine)() as session:
        assert session.scalars(select(Measurement.value)).one() == 88


def test_a_failing_migration_leaves_no_half_schema(
    db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DDL is transactional on both backends: a migration that fails midway leaves nothing."""
    from alembic.operations import Operations

    migrate.downgrade(db_engine, "0002")
    real_alter = Operations.batch_alter_table

    def failing_alter(self: Operations, table_name: str, *args: object, **kwargs: object) -> object:
        if table_name == "stations":
            raise RuntimeError("power cut")
        return real_alter(self, table_name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Operations, "batch_alter_table", failing_alter)
    with pytest.raises(RuntimeError, match="power cut"):
        migrate.upgrade(db_engine)
    monkeypatch.undo()
    assert migrate.current_revision(db_engine) == "0002"
    assert "station_month_audits" not in inspect(db_engine).get_table_names()
    migrate.upgrade(db_engine)
    assert migrate.current_revision(db_engine) == migrate.head_revision()
