"""The suite's PostgreSQL databases (tests/support/pg_databases.py): a database a test used comes
back to the next test as a clean copy of the template — no rows, the sequences where the
template has them — and a database whose schema a test changed is dropped, never handed on."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.pool import NullPool

from lantian.db import migrate
from lantian.db.audited import acting_as
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.monitoring.models import Station
from tests.support.pg_databases import DatabasePool


def _station(code: str) -> Station:
    return Station(code=code, name=f"测试站 {code}", city="郑州")


def test_a_used_database_comes_back_empty_with_its_sequences_reset(
    postgres_pool: DatabasePool,
) -> None:
    name = postgres_pool.take()
    url = postgres_pool.url(name)
    engine = create_db_engine(url)
    sessions = session_factory(engine)
    with transaction(sessions) as session, acting_as(session, "pool-test", action="add"):
        session.add_all([_station("9001A"), _station("9002A")])
    with transaction(sessions) as session:
        first_ids = sorted(session.scalars(select(Station.id)))
    # A connection the test leaves open, in a transaction, must not keep the rows alive.
    lingering = engine.connect()
    lingering.execute(text("SELECT 1 FROM stations"))
    reused_before = postgres_pool.reused
    postgres_pool.give_back(name)
    assert postgres_pool.reused == reused_before + 1
    again = postgres_pool.take()
    assert again == name  # the emptied database is handed on
    engine.dispose()
    engine = create_db_engine(postgres_pool.url(again))
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        assert session.scalars(select(Station)).all() == []
        assert session.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 0
    with transaction(sessions) as session, acting_as(session, "pool-test", action="add"):
        session.add_all([_station("9001A"), _station("9002A")])
    with transaction(sessions) as session:
        # The ids a fresh copy of the template would give: the sequences were reset.
        assert sorted(session.scalars(select(Station.id))) == first_ids
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
    postgres_pool.give_back(again)


def test_a_database_whose_schema_changed_is_dropped(postgres_pool: DatabasePool) -> None:
    name = postgres_pool.take()
    engine = create_db_engine(postgres_pool.url(name))
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE stations ADD COLUMN left_behind integer"))
    engine.dispose()
    dropped_before = postgres_pool.dropped
    postgres_pool.give_back(name)
    assert postgres_pool.dropped == dropped_before + 1
    assert name not in postgres_pool.clean
    admin = create_engine(postgres_pool.admin_url, poolclass=NullPool)
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar_one()
    admin.dispose()
    assert exists == 0
    fresh = postgres_pool.take()
    engine = create_db_engine(postgres_pool.url(fresh))
    columns = {column["name"] for column in inspect(engine).get_columns("stations")}
    engine.dispose()
    assert "left_behind" not in columns
    postgres_pool.give_back(fresh)
