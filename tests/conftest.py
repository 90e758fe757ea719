"""Shared fixtures of every test folder, and the markers every test gets automatically.

* The shared real data: ``shared_dir`` (laid out like ``../shared``), ``cnemc_dir``, ``spec_text``
  — the subset committed under ``tests/shared/`` (tests/support/shared_data.py); ``../shared``
  itself is not needed.
* Databases: a test that takes ``db_engine`` (or ``db_url``) runs once per backend, SQLite and a
  real PostgreSQL. The PostgreSQL server is started by the suite itself, once per process (one
  per pytest-xdist worker; tests/support/postgres.py); if it cannot be started the PostgreSQL
  tests fail — they never skip. ``LANTIAN_TEST_POSTGRES_URL`` points the suite at an existing
  server instead (each worker then keeps its own template database there).
* Data loaded once per backend and process, a copy per test: ``demo`` (the demo as ``lantian
  demo`` loaded it; its tests are scheduled together, GROUPED_MODULES) and
  ``prepared_database(key, load)`` (a database ``load`` filled the first time a test asked).
* ``sessions`` (a session factory on ``db_engine``), cheap password hashes for every test, and
  ``lantian`` (the command line run in process against the test's database).
* Markers, from what a test uses rather than by hand (``pytest_collection_modifyitems``):
  ``db`` for every test of the database fixtures, ``e2e`` and ``browser`` for the tests of
  ``tests/browser`` (and any test driving a page), ``slow`` for the long runs over the whole real
  data (SLOW_MODULES). A new test folder gets them without doing anything.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import Result
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lantian.auth import passwords
from lantian.config import get_settings
from lantian.db import migrate
from lantian.db.engine import create_db_engine, session_factory
from lantian.standards.hj212 import FrameSplitter
from tests.support.demo_database import (
    DemoCopy,
    LoadedDemo,
    copy_demo,
    drop_postgres_demo,
    load_postgres_demo,
    load_sqlite_demo,
)
from tests.support.hashing import FAST_HASHER
from tests.support.pg_databases import DatabasePool, describe_template
from tests.support.postgres import running_postgres
from tests.support.prepared_database import Loader, PreparedDatabases
from tests.support.shared_data import shared_root

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTS_DIR = REPO_ROOT / "tests"
BACKENDS = ("sqlite", "postgresql")

#: A test that uses any of these fixtures (directly or through another fixture) is a ``db`` test.
DB_FIXTURES = frozenset(
    {
        "db_backend",
        "db_url",
        "db_engine",
        "sqlite_template",
        "postgres_template",
        "postgres_pool",
        "postgres_admin_url",
    }
)
#: A test that uses any of these drives a real browser: ``e2e`` and ``browser``.
BROWSER_FIXTURES = frozenset({"browser", "page", "live_server", "playwright_driver"})
#: The long conformance runs over every file of the real data (minutes, not seconds).
SLOW_MODULES = frozenset(
    {
        "tests/ingest/test_cnemc_conformance.py",
        "tests/standards/test_hj212_batch.py",
        "tests/standards/test_hj212_fast_path.py",
        "tests/standards/test_hj212_real_data.py",
    }
)


def pytest_configure(config: pytest.Config) -> None:
    """A pytest-xdist worker starts with COLUMNS=80; the command line's Rich consoles are made when
    ``lantian.cli`` is imported (collection, after this hook) and would keep that width for good,
    cutting the tables the CLI tests read. Without it they follow the COLUMNS a test sets."""
    if "PYTEST_XDIST_WORKER" in os.environ:
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker in markers_of(item):
            if item.get_closest_marker(marker) is None:
                item.add_marker(marker)
    if "PYTEST_XDIST_WORKER" in os.environ and config.getoption("dist", "no") == "loadfile":
        items[:] = longest_files_first(items)


# --- the order and the units of work under pytest-xdist (make test: -n 2 --dist loadfile) -------
#: Files whose tests are each long and independent of one another (each walk files its own
#: entry): every test is a unit of work of its own, so that both workers walk them, each against
#: its own live server. Every other file is one unit, as ``--dist loadfile`` makes it: its tests
#: run in order on one worker and its module fixtures are made once.
SPLIT_MODULES = frozenset({"tests/browser/test_source_walks.py", "tests/web/test_api_fuzz.py"})
#: Files whose tests share a costly session fixture: each group is one unit of work, so that the
#: fixture is made on one worker only. "demo": the demo loaded once per backend by ``lantian
#: demo`` (tests/support/demo_database.py; one to two minutes per backend).
GROUPED_MODULES = {
    "tests/test_cli.py": "demo",
    "tests/monitoring/test_stations.py": "demo",
    "tests/sources/test_demo.py": "demo",
    "tests/briefings/test_briefings.py": "demo",
}


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile``, but with SPLIT_MODULES cut into single tests, the files of a group of
    GROUPED_MODULES kept together, and the units handed out in the order the workers collected
    them (longest first: ``longest_files_first``) rather than by their number of tests — a file
    of few long tests (the browser walks) started last kept one worker busy for minutes while the
    other idled."""
    if config.getoption("dist", "no") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SplitLoadFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of_work(nodeid)

    config.option.loadscopereorder = False
    return SplitLoadFileScheduling(config, log)  # type: ignore[arg-type]


def unit_of_work(nodeid: str) -> str:
    """The unit of work a test belongs to: its own id (SPLIT_MODULES), its group
    (GROUPED_MODULES) or its file."""
    path = nodeid.split("::", 1)[0]
    if path in SPLIT_MODULES:
        return nodeid
    if path in GROUPED_MODULES:
        return f"group:{GROUPED_MODULES[path]}"
    return path


def relative_path(item: pytest.Item) -> str:
    try:
        return item.path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:  # a test file outside the repository
        return item.path.as_posix()


#: Files (and groups of GROUPED_MODULES) that cost far more than their markers say (the demo
#: loaded once per backend, the scheduler's worker processes, the national files), in seconds of
#: a whole file on an idle 2-core machine (a quarter of what the busy machine of issue 19's
#: measurement took; the demo group as measured for issue 17).
MEASURED_FILE_SECONDS = {
    "group:demo": 300.0,
    "tests/browser/test_source_walks.py": 190.0,
    "tests/web/test_api_fuzz.py": 150.0,  # two runs (one per backend) of about 75 s each
    "tests/scheduler/test_worker.py": 175.0,
    "tests/browser/test_forms.py": 115.0,
    "tests/standards/test_hj212_fast_path.py": 105.0,
    "tests/browser/test_polish.py": 100.0,
    "tests/browser/test_clock_pages.py": 100.0,
    "tests/web/test_campaign_pages.py": 95.0,
    "tests/web/test_source_pages.py": 90.0,
    "tests/ingest/test_receiver_values.py": 85.0,
    "tests/monitoring/test_cnemc_import.py": 75.0,
    "tests/monitoring/test_ranking.py": 50.0,
    # Issue 20's fault tests: mostly waiting on timeouts and restarts, not markers' guesses.
    "tests/ingest/test_fault_database_restart.py": 30.0,
    "tests/ingest/test_fault_flood.py": 30.0,
    "tests/ingest/test_fault_disk_full.py": 20.0,
    # 297 s together with -n 0 on a machine at load 15; about a third of it idle.
    "tests/hostile/test_hostile_tables.py": 45.0,
    "tests/hostile/test_hostile_evidence.py": 35.0,
    "tests/hostile/test_hostile_plans_and_exports.py": 30.0,
}


def estimated_seconds(item: pytest.Item) -> float:
    """A rough cost of one test from its markers (as measured for issue 19 on 2 cores): a
    browser test drives Chromium through several pages, a slow one reads the whole real data, a
    database test writes and reads a copy of the template."""
    if item.get_closest_marker("browser") is not None:
        return 12.0
    if item.get_closest_marker("slow") is not None:
        return 20.0
    if item.get_closest_marker("db") is not None:
        return 2.0
    return 0.3


def longest_files_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The tests file by file, the costliest first (MEASURED_FILE_SECONDS, else
    ``estimated_seconds``), the files of a group of GROUPED_MODULES together at the group's cost
    (their sum), each file's tests in their written order. Every worker computes the same order,
    as xdist requires."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(relative_path(item), []).append(item)
    cost = {
        path: MEASURED_FILE_SECONDS.get(path, sum(estimated_seconds(item) for item in tests))
        for path, tests in files.items()
    }
    units: dict[str, list[str]] = {}
    for path in files:
        group = GROUPED_MODULES.get(path)
        units.setdefault(f"group:{group}" if group else path, []).append(path)
    unit_cost = {
        unit: MEASURED_FILE_SECONDS.get(unit, sum(cost[path] for path in paths))
        for unit, paths in units.items()
    }
    ordered = sorted(units, key=lambda unit: -unit_cost[unit])
    return [item for unit in ordered for path in units[unit] for item in files[path]]


def markers_of(item: pytest.Item) -> set[str]:
    """The markers a test must carry, from its fixtures and its file."""
    fixtures = set(getattr(item, "fixturenames", ()))
    relative = relative_path(item)
    markers = set()
    if fixtures & DB_FIXTURES:
        markers.add("db")
    if relative.startswith("tests/browser/") or fixtures & BROWSER_FIXTURES:
        markers |= {"e2e", "browser"}
    if relative in SLOW_MODULES:
        markers.add("slow")
    return markers


# --- the shared real data (committed subset) ----------------------------------------------------
@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """A folder laid out like ``../shared`` with the files the tests read (tests/shared/)."""
    return shared_root()


@pytest.fixture(scope="session")
def cnemc_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "cnemc"


@pytest.fixture(scope="session")
def spec_text(shared_dir: Path) -> str:
    return (shared_dir / "spec" / "standards.md").read_text("utf-8")


@pytest.fixture(scope="session")
def real_frames(shared_dir: Path) -> list[bytes]:
    """Every frame of both real HJ 212 captures (as the splitter cuts them) and of the catalogue."""
    hj212_dir = shared_dir / "data" / "hj212"
    frames: list[bytes] = []
    for path in sorted((hj212_dir / "captured").glob("*.h212")):
        splitter = FrameSplitter()
        frames += [f for f in splitter.feed(path.read_bytes()) if isinstance(f, bytes)]
    with (hj212_dir / "packets_catalog.jsonl").open(encoding="utf-8") as lines:
        frames += [json.loads(line)["packet"].encode("utf-8", "surrogateescape") for line in lines]
    assert len(frames) > 18_000
    return frames


# --- accounts and the command line --------------------------------------------------------------
@pytest.fixture(autouse=True)
def fast_password_hashes() -> Iterator[PasswordHasher]:
    """Cheap argon2 parameters in every test (tests/auth/test_passwords.py checks the real ones)."""
    with passwords.using_hasher(FAST_HASHER) as hasher:
        yield hasher


@pytest.fixture
def lantian(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Result]]:
    """Runs ``lantian ARGS…`` in process against the test's database and data folder."""
    monkeypatch.setenv("LANTIAN_DATABASE_URL", db_url)
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    runner = CliRunner()
    from lantian.cli import app  # imported late: see pytest_configure

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input)

    yield run
    get_settings.cache_clear()


# --- databases ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    external = os.environ.get("LANTIAN_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    with running_postgres() as server:
        yield server.url()


def worker_name() -> str:
    """This process's pytest-xdist worker (``main`` without xdist)."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def template_database() -> str:
    """The template's name: one per pytest-xdist worker, as the workers may share one server."""
    return f"lantian_template_{worker_name()}"


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> str:
    """A database migrated to head once; each test gets a fresh copy of it (``postgres_pool``)."""
    name = template_database()
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = make_url(postgres_admin_url).set(database=name).render_as_string(False)
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_pool(postgres_template: str, postgres_admin_url: str) -> Iterator[DatabasePool]:
    """This process's test databases: copies of the template, emptied and reused between tests
    (tests/support/pg_databases.py says when a copy is dropped instead)."""
    pool = DatabasePool(
        postgres_admin_url, describe_template(postgres_template, template_database())
    )
    yield pool
    pool.close()


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
    pool: DatabasePool = request.getfixturevalue("postgres_pool")
    name = pool.take()
    try:
        yield pool.url(name)
    finally:
        pool.give_back(name)


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    return session_factory(db_engine)


# --- databases filled once per process and backend (tests/support/prepared_database.py) ---------
@pytest.fixture(scope="session")
def prepared_sqlite(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> PreparedDatabases:
    return PreparedDatabases(
        tmp_path_factory.mktemp("prepared-sqlite"), worker_name(), sqlite_template=sqlite_template
    )


@pytest.fixture(scope="session")
def prepared_postgresql(
    postgres_template: str, postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PreparedDatabases]:
    prepared = PreparedDatabases(
        tmp_path_factory.mktemp("prepared-postgresql"),
        worker_name(),
        postgres=(postgres_admin_url, template_database()),
    )
    yield prepared
    prepared.close()


@pytest.fixture
def prepared_database(
    db_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str, Loader], str]]:
    """``prepared_database(key, load)``: the URL of the test's own copy of a database of its
    backend that ``load(url, data_dir)`` filled once per process (the first test asking for
    ``key`` pays for it; the tests of a key read the same data)."""
    prepared: PreparedDatabases = request.getfixturevalue(f"prepared_{db_backend}")
    with ExitStack() as cleanup:

        def copy(key: str, load: Loader) -> str:
            return cleanup.enter_context(prepared.copy(key, load, tmp_path / f"{key}.sqlite3"))

        yield copy


# --- the demo, loaded once per backend (tests/support/demo_database.py) -------------------------
@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> LoadedDemo:
    """``lantian db upgrade`` and ``lantian demo`` run once in a fresh data folder (SQLite)."""
    return load_sqlite_demo(tmp_path_factory.mktemp("demo-sqlite") / "data")


@pytest.fixture(scope="session")
def postgres_demo(
    postgres_template: str, postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoadedDemo]:
    """``lantian demo`` run once into a copy of the migrated template (PostgreSQL)."""
    loaded = load_postgres_demo(
        postgres_admin_url,
        template_database(),
        f"lantian_demo_{worker_name()}",
        tmp_path_factory.mktemp("demo-postgresql") / "data",
    )
    yield loaded
    drop_postgres_demo(postgres_admin_url, loaded)


@pytest.fixture
def demo(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DemoCopy]:
    """The test's own copy of the loaded demo on its backend (database and data folder);
    ``demo.loaded`` is what ``lantian demo`` reported when it loaded it."""
    if db_backend == "sqlite":
        with copy_demo(request.getfixturevalue("sqlite_demo"), None, tmp_path / "demo") as copy:
            yield copy
        return
    loaded: LoadedDemo = request.getfixturevalue("postgres_demo")
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    with copy_demo(loaded, admin_url, tmp_path / "demo") as copy:
        yield copy


# --- report how many tests ran on each backend -------------------------------------------------
_backend_counts: dict[str, dict[str, int]] = {b: {"passed": 0, "failed": 0} for b in BACKENDS}


def _backend_of(nodeid: str) -> str | None:
    params = nodeid.rpartition("[")[2].rstrip("]").split("-") if "[" in nodeid else []
    return next((backend for backend in BACKENDS if backend in params), None)


#: The figures tests report (``record_property("figure", text)``, e.g. the API fuzzing's count of
#: cases and server errors), printed at the end of the run; xdist carries them from its workers.
_figures: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _figures.extend(str(value) for name, value in report.user_properties if name == "figure")
    backend = _backend_of(report.nodeid)
    if backend is None:
        return
    if report.when == "call" and report.passed:
        _backend_counts[backend]["passed"] += 1
    elif report.failed:
        _backend_counts[backend]["failed"] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _figures:
        terminalreporter.section("figures")
        for figure in _figures:
            terminalreporter.write_line(figure)
    terminalreporter.section("database backends")
    for backend, counts in _backend_counts.items():
        terminalreporter.write_line(
            f"{backend}: {counts['passed']} database tests passed, {counts['failed']} failed"
        )
