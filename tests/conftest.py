"""Shared fixtures: the shared data folder, and database engines for SQLite and a real PostgreSQL.

A test that takes the ``db_engine`` fixture runs once per backend. The PostgreSQL server is started
by the suite itself (tests/support/postgres.py); if it cannot be started the PostgreSQL tests fail —
they never skip. ``LANTIAN_TEST_POSTGRES_URL`` points the suite at an existing server instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from lantian.db import migrate
from lantian.db.engine import create_db_engine
from tests.support.postgres import running_postgres

REPO_ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("sqlite", "postgresql")
TEMPLATE_DB = "lantian_template"


def shared_path() -> Path:
    return Path(os.environ.get("LANTIAN_SHARED", REPO_ROOT.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared real data; missing is a failure, never a skip (CI has it beside the clone)."""
    path = shared_path()
    assert (path / "data").is_dir(), f"shared data folder not found at {path} (set LANTIAN_SHARED)"
    return path


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    external = os.environ.get("LANTIAN_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    with running_postgres() as server:
        yield server.url()


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> str:
    """A database migrated to head once; each test gets a fresh copy of it."""
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}"))
        connection.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
    admin.dispose()
    url = make_url(postgres_admin_url).set(database=TEMPLATE_DB).render_as_string(False)
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty, migrated database of the test's backend, thrown away afterwards."""
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    template_url: str = request.getfixturevalue("postgres_template")
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
    try:
        yield make_url(template_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


# --- report how many tests ran on each backend -------------------------------------------------
_backend_counts: dict[str, dict[str, int]] = {b: {"passed": 0, "failed": 0} for b in BACKENDS}


def _backend_of(nodeid: str) -> str | None:
    params = nodeid.rpartition("[")[2].rstrip("]").split("-") if "[" in nodeid else []
    return next((backend for backend in BACKENDS if backend in params), None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    backend = _backend_of(report.nodeid)
    if backend is None:
        return
    if report.when == "call" and report.passed:
        _backend_counts[backend]["passed"] += 1
    elif report.failed:
        _backend_counts[backend]["failed"] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("database backends")
    for backend, counts in _backend_counts.items():
        terminalreporter.write_line(
            f"{backend}: {counts['passed']} database tests passed, {counts['failed']} failed"
        )
