"""Browser tests: a real lantian server on a free local port, driven by the system's Chromium.

The server runs in a thread of the test process (uvicorn), on a SQLite copy of the migrated
template holding one real CNEMC day file. Chromium is Debian's (`make test` installs it when it
is missing and the run is root); Playwright drives it through ``executable_path`` and downloads
nothing. Without Chromium these tests fail: they never skip. Screenshots go to
``test-artifacts/browser/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import passwords
from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.areas import assign_station_areas, read_boundaries
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.web.app import create_app
from tests.support.hashing import FAST_HASHER

PASSWORD = "灰霾退散-2017-blue"
DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
#: Flags for a closed network: no background requests to Google's services (they would fail).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The demo's accounts in these tests: username → (role, scope).
ACCOUNTS = {
    "admin": ("administrator", None),
    "office": ("campaign_office", None),
    "jinshui": ("township", "410105"),  # 金水区: 1316A 烟厂, 1317A 郑纺机, 1318A 银行学校
    "chengguan": ("township", "410183100"),  # 新密市城关镇: the registers' walk (sources_walk.py)
    # The warning tests' own office account (test_pages resets "office"'s password).
    "warnings-office": ("campaign_office", None),
    "inspector": ("inspector", None),
    # The register walks' office and inspector (test_source_walks.py): steps only they may take.
    "walks-office": ("campaign_office", None),
    "walks-inspector": ("inspector", None),
    # The sector department reviewing the earth-order exemptions' walk (walks_earthworks.py).
    "walks-zjj": ("unit", "zjj"),
    # The construction site's browser test (test_construction.py): the stop, its lift, the blacklist.
    "dust-office": ("campaign_office", None),
    "dust-inspector": ("inspector", None),
    "lockme": ("leader", None),  # locked out by test_polish (no other test signs in with it)
    "briefing-office": ("campaign_office", None),  # test_briefings.py
}


def chromium_path() -> str:
    found = os.environ.get("LANTIAN_TEST_CHROMIUM") or next(
        filter(None, (shutil.which(name) for name in ("chromium", "chromium-browser"))), None
    )
    if not found:
        pytest.fail(
            "browser tests need Chromium: `apt-get install chromium` (make test does this as "
            "root) or set LANTIAN_TEST_CHROMIUM",
            pytrace=False,
        )
    return found


@dataclass(frozen=True)
class LiveServer:
    url: str
    shared_dir: Path
    #: The server's database, for a test preparing what its walk needs (``Walk.prepare``).
    sessions: sessionmaker[Session] | None = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(
    shared_dir: Path, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("browser-server")
    database = folder / "lantian.sqlite3"
    shutil.copyfile(sqlite_template, database)
    engine = create_db_engine(f"sqlite:///{database}")
    sessions = session_factory(engine)
    stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
    import_cnemc_file(sessions, shared_dir / DAY_FILE, folder, stations)
    with passwords.using_hasher(FAST_HASHER):
        with transaction(sessions) as session:
            assign_station_areas(session, read_boundaries(), actor="test")
            for username, (role, scope) in ACCOUNTS.items():
                add_user(
                    session,
                    username=username,
                    role=role,
                    scope=scope,
                    password=PASSWORD,
                    actor="test",
                )
        port = _free_port()
        app = create_app(Settings(data_dir=folder), engine)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the lantian test server did not start", pytrace=False)
            time.sleep(0.05)
        yield LiveServer(f"http://127.0.0.1:{port}", shared_dir, sessions)
        server.should_exit = True
        thread.join(timeout=10)
    engine.dispose()


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in the main
# thread while it is open, and every later test that calls asyncio.run() would fail.
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
    yield launched
    launched.close()


@dataclass
class Outside:
    """Requests a page tried to make to anything but the lantian server (there must be none)."""

    urls: list[str]


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    # A tablet-sized window: the pages must work there (the plan's township staff use tablets).
    made = browser.new_context(viewport={"width": 1024, "height": 1366}, locale="zh-CN")
    yield made
    made.close()


@pytest.fixture
def outside() -> Outside:
    return Outside([])


@pytest.fixture
def page(context: BrowserContext, live_server: LiveServer, outside: Outside) -> Page:
    opened = context.new_page()

    def guard(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        if request.url.startswith(live_server.url) or request.url.startswith("data:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.urls.append(request.url)
            route.abort()  # type: ignore[attr-defined]

    opened.route("**/*", guard)
    return opened


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
