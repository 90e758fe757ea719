"""The demo, loaded once per backend and test process, as a user loads it: ``lantian demo``.

Loading the demo is the costliest thing the suite does (a minute on SQLite, two on PostgreSQL on a
busy machine: the real hourly data, three months of reporting history, every register walked to
the demo's day). Three tests need it — the command line's own run (tests/test_cli.py), the
demo's idempotence (tests/monitoring/test_stations.py) and the registers' coherence on the demo's
day (tests/sources/test_demo.py) — and each used to load it itself, twice per backend for some.
Now ``lantian demo`` runs once per backend in its own process (what ``make run`` does), its output
is kept for the tests that read it, and each test works on its own copy of the loaded database and
data folder (:func:`copy_demo`), so that what one test writes no other test sees.

The tests that use it are scheduled as one unit of work on one worker (tests/conftest.py,
``GROUPED_MODULES``), so that the demo is loaded once per backend in the whole run.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.support.cli import run_lantian

#: The SQLite database ``lantian`` keeps in its data folder when no URL is set (config.py).
SQLITE_FILE = "lantian.sqlite3"
#: Wide enough that Rich never wraps a step of the demo's report (the registers' line is long).
UNWRAPPED_COLUMNS = "100000"
#: A hung load fails the tests instead of holding a worker for good.
DEMO_TIMEOUT_S = 900


@dataclass(frozen=True)
class LoadedDemo:
    """A database ``lantian demo`` loaded, never handed to a test itself (tests get copies)."""

    backend: str
    #: The loaded database; on PostgreSQL a database that serves as the copies' template.
    url: str
    #: The data folder the demo was loaded with (its kept uploads, the registers' photos).
    data_dir: Path
    #: ``lantian db upgrade`` twice on the fresh data folder before the demo (SQLite only: the
    #: PostgreSQL database is a copy of the suite's migrated template, as ``db_url`` gives).
    upgrades: tuple[subprocess.CompletedProcess[str], ...]
    #: ``lantian demo``: its exit code and the report it printed.
    demo: subprocess.CompletedProcess[str]

    @property
    def steps(self) -> list[str]:
        """The demo's report, one line per step, as ``load_demo`` returned it (``DemoReport``)."""
        return [
            line.removeprefix("✓ ")
            for line in self.demo.stdout.splitlines()
            if line.startswith("✓ ")
        ]

    def require_loaded(self) -> None:
        for upgrade in self.upgrades:
            assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
        assert self.demo.returncode == 0, self.demo.stdout + self.demo.stderr


def load_sqlite_demo(data_dir: Path) -> LoadedDemo:
    """A fresh data folder, ``lantian db upgrade`` (twice: the second finds nothing to do), then
    ``lantian demo`` — the README's sequence, into the default SQLite file of the folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrades = (run_lantian(["db", "upgrade"], data_dir), run_lantian(["db", "upgrade"], data_dir))
    demo = run_lantian(["demo"], data_dir, timeout=DEMO_TIMEOUT_S, COLUMNS=UNWRAPPED_COLUMNS)
    return LoadedDemo("sqlite", sqlite_url(data_dir), data_dir, upgrades, demo)


def load_postgres_demo(admin_url: str, template: str, name: str, data_dir: Path) -> LoadedDemo:
    """``lantian demo`` into ``name``, a new copy of the migrated ``template`` database."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(admin_url, f"CREATE DATABASE {name} TEMPLATE {template}")
    url = make_url(admin_url).set(database=name).render_as_string(False)
    demo = run_lantian(
        ["demo"],
        data_dir,
        timeout=DEMO_TIMEOUT_S,
        COLUMNS=UNWRAPPED_COLUMNS,
        LANTIAN_DATABASE_URL=url,
    )
    return LoadedDemo("postgresql", url, data_dir, (), demo)


def drop_postgres_demo(admin_url: str, loaded: LoadedDemo) -> None:
    _admin(admin_url, f"DROP DATABASE IF EXISTS {make_url(loaded.url).database} WITH (FORCE)")


@dataclass(frozen=True)
class DemoCopy:
    """A test's own copy of the loaded demo: database and data folder."""

    url: str
    data_dir: Path
    loaded: LoadedDemo


@contextmanager
def copy_demo(loaded: LoadedDemo, admin_url: str | None, target: Path) -> Iterator[DemoCopy]:
    """A copy of the loaded demo for one test, thrown away afterwards: the data folder copied to
    ``target`` (on SQLite with the database file in it), on PostgreSQL a new database made with
    the loaded one as its template."""
    loaded.require_loaded()
    shutil.copytree(loaded.data_dir, target)
    if loaded.backend == "sqlite":
        yield DemoCopy(sqlite_url(target), target, loaded)
        return
    assert admin_url is not None
    name = f"t_demo_{uuid.uuid4().hex[:12]}"
    _admin(admin_url, f"CREATE DATABASE {name} TEMPLATE {make_url(loaded.url).database}")
    try:
        yield DemoCopy(
            make_url(admin_url).set(database=name).render_as_string(False), target, loaded
        )
    finally:
        _admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / SQLITE_FILE).resolve()}"


def _admin(admin_url: str, statement: str) -> None:
    admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()
