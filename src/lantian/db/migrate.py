"""Create or upgrade a database to the newest schema with Alembic (same code for SQLite and PostgreSQL)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` in one transaction."""
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config()
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)
        return
    # SQLite alters a table by copying and dropping it; with foreign keys enforced, dropping a
    # table that other rows reference fails. Enforcement is switched off for the migration (it
    # cannot change inside a transaction), and the references are checked before committing.
    with engine.connect() as connection:
        # Straight to the driver: through SQLAlchemy the PRAGMA would run inside a transaction.
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config, revision)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left broken references: {broken[:5]}")
        finally:
            driver.execute("PRAGMA foreign_keys=ON")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head_revision() -> str | None:
    """The newest migration this lantian ships, read once per process: the scripts are part of
    the installed package, and re-reading them cost /healthz about 50 ms of CPU per request."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def make_revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
