"""One clock, "as of", the overview and the to-do list, in a browser at desktop and phone width.

A second server runs "as of" an instant inside the Xinmi plan's campaign (Settings.as_of, as the
demo does): the plan with its sample reports, the sample inspection cases dated relative to that
instant, and one real CNEMC day placed on that day (as the demo places its data). The suite's own
server (conftest) runs on the real clock over 2019 data: its pages must say the data are old.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page

from lantian.auth import passwords
from lantian.auth.service import add_user
from lantian.campaign.demo import load_sample_progress
from lantian.config import Settings
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.areas import assign_station_areas, read_boundaries
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.supervision.demo import load_sample_supervision
from lantian.timeutil import CHINA_TZ
from lantian.web.app import create_app
from tests.browser.conftest import (
    DAY_FILE,
    PASSWORD,
    LiveServer,
    _free_port,
    screenshot,
    sign_in,
)
from tests.support.hashing import FAST_HASHER

#: The instant the second server runs as of: the demo's day (lantian.demo.DEMO_AS_OF), an hour
#: after the last hour of the one day of data the server holds (it ends with hour 06).
AS_OF = datetime(2018, 1, 22, 7, 30, tzinfo=CHINA_TZ)
#: The real day file (2019-02-20) placed on the as-of day, as the demo places its data.
SHIFT = date(2018, 1, 22) - date(2019, 2, 20)
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def as_of_server(
    shared_dir: Path, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("as-of-server")
    database = folder / "lantian.sqlite3"
    shutil.copyfile(sqlite_template, database)
    engine = create_db_engine(f"sqlite:///{database}")
    sessions = session_factory(engine)
    stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
    import_cnemc_file(sessions, shared_dir / DAY_FILE, folder, stations, shift=SHIFT)
    load_sample_progress(sessions, DEFAULT_PLAN_DIR, folder)
    load_sample_supervision(sessions, DEFAULT_PLAN_DIR, folder, AS_OF)
    with passwords.using_hasher(FAST_HASHER):
        with transaction(sessions) as session:
            assign_station_areas(session, read_boundaries(), actor="test")
            for username, role, scope in (
                ("office", "campaign_office", None),
                ("micun", "township", "410183101"),  # 米村镇, the demo's township
            ):
                add_user(
                    session, username=username, role=role, scope=scope, password=PASSWORD,
                    actor="test",
                )  # fmt: skip
        port = _free_port()
        app = create_app(Settings(data_dir=folder, as_of=AS_OF), engine)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the as-of test server did not start", pytrace=False)
            time.sleep(0.05)
        yield LiveServer(f"http://127.0.0.1:{port}", shared_dir)
        server.should_exit = True
        thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(params=list(VIEWPORTS))
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    width, height = VIEWPORTS[request.param]
    context: BrowserContext = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN"
    )
    page = context.new_page()
    # The overview reads every report of the plan once per state of the data; on a busy test
    # machine that first read may take longer than Playwright's default 30 s.
    page.set_default_timeout(90_000)
    yield request.param, page
    context.close()


def _number(text: str) -> int:
    found = re.search(r"\d+", text)
    assert found, text
    return int(found.group())


def test_days_overdue_are_counted_from_the_one_clock(
    sized: tuple[str, Page], as_of_server: LiveServer
) -> None:
    width, page = sized
    base = as_of_server.url
    sign_in(page, base, "office")
    page.goto(f"{base}/office")
    # The dashboard's escalation tile is reckoned at the as-of day, not at the plan's last day.
    assert "2018-01-22" in page.locator("#task-escalations").inner_text()
    page.goto(f"{base}/campaign/tasks?status=overdue")
    links = page.locator("table.data tbody tr td:first-child a")
    assert links.count() >= 1
    links.first.click()
    page.wait_for_load_state("networkidle")
    flags = page.locator(".flag.missed")
    assert flags.count() >= 1
    for text in flags.all_inner_texts():
        days = _number(text)
        due = date.fromisoformat(re.search(r"\d{4}-\d{2}-\d{2}", text).group())  # type: ignore[union-attr]
        # "逾期 N 天" counts from the as-of day: never thousands of days on the server's date.
        assert days == (AS_OF.date() - due).days, text
        assert 0 < days < 200, text
    screenshot(page, f"overdue-days-{width}")


def test_old_data_carry_a_stale_banner_and_fresh_data_none(
    sized: tuple[str, Page], live_server: LiveServer, as_of_server: LiveServer
) -> None:
    width, page = sized
    # The suite's server runs on the real clock over a day of 2019: nothing there is real-time.
    page.goto(live_server.url + "/")
    banner = page.locator("#stale-data")
    assert banner.is_visible()
    assert "2019年02月20日" in banner.inner_text() and "天" in banner.inner_text()
    page.goto(live_server.url + "/stations/1316A")
    assert page.locator("#stale-data").is_visible()
    screenshot(page, f"stale-banner-{width}", full_page=False)
    # As of 07:30 on the day the data end (hour 06), the newest hour is fresh: no banner.
    page.goto(as_of_server.url + "/")
    assert page.locator("#stale-data").count() == 0
    assert "2018年01月22日 06时" in page.locator("#data-time").inner_text()


def test_the_as_of_instant_is_shown_in_the_header(
    sized: tuple[str, Page], live_server: LiveServer, as_of_server: LiveServer
) -> None:
    width, page = sized
    viewport_width = VIEWPORTS[width][0]
    for path in ("/", "/login"):
        page.goto(as_of_server.url + path)
        shown = page.locator("header #as-of")
        assert shown.is_visible()
        assert "2018年01月22日 07:3" in shown.inner_text()
        box = shown.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport_width
    sign_in(page, as_of_server.url, "micun")
    assert "2018年01月22日" in page.locator("header #as-of").inner_text()
    screenshot(page, f"as-of-header-{width}", full_page=False)
    # On the real clock there is no "as of" to show.
    page.goto(live_server.url + "/")
    assert page.locator("#as-of").count() == 0


def test_overview_figures_link_to_their_lists(
    sized: tuple[str, Page], as_of_server: LiveServer
) -> None:
    width, page = sized
    base = as_of_server.url
    sign_in(page, base, "office")
    # Signing in with no page asked for lands the office on the overview.
    assert page.url == f"{base}/overview"
    assert "2018-01-22" in page.locator("#overview-day").inner_text()
    screenshot(page, f"overview-{width}")
    for tile, kind in (("#good-days", "good"), ("#heavy-days", "heavy")):
        page.goto(f"{base}/overview")
        figure = page.locator(f"{tile} .value a")
        count = int(figure.inner_text())
        figure.click()
        page.wait_for_load_state("networkidle")
        assert page.url == f"{base}/overview/days?kind={kind}"
        assert page.locator("#days tbody tr[data-day]").count() == count
    # Cases by unit: the open, overdue and closed figures open the case board filtered alike.
    page.goto(f"{base}/overview")
    cells = page.locator(
        "#overview-cases tbody tr[data-unit]:not([data-unit='-']) td:not(:first-child) a"
    )
    figures = [
        (int(cells.nth(i).inner_text()), cells.nth(i).get_attribute("href") or "")
        for i in range(cells.count())
    ]
    checked = 0
    for figure, href in figures:
        assert href.startswith("/cases?unit="), href
        page.goto(base + href)
        listed = page.locator("#cases tbody tr:not(:has(td[colspan]))").count()
        assert listed == figure, (href, figure, listed)
        checked += 1
    page.goto(f"{base}/overview")
    assert checked >= 6
    # Late tasks: a township's reports owed open the task list of that township.
    late = page.locator("#overview-late tbody tr[data-reporter^='area:'] td:nth-child(3) a").first
    href = late.get_attribute("href")
    assert href and "area=41018" in href
    late.click()
    page.wait_for_load_state("networkidle")
    assert "/campaign/tasks?" in page.url and page.locator("table.data tbody tr").count() >= 1
    # The targets figure opens the targets page as of the same day.
    page.goto(f"{base}/overview")
    page.locator("#targets-met .value a").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{base}/campaign/targets?as_of=2018-01-22"


def test_the_to_do_list_shows_a_township_its_owed_reports(
    sized: tuple[str, Page], as_of_server: LiveServer
) -> None:
    width, page = sized
    base = as_of_server.url
    sign_in(page, base, "micun")
    assert page.url == f"{base}/office"  # a township lands on the dashboard
    owed_on_tile = _number(page.locator("#my-tasks").inner_text().split("欠报月报")[1])
    page.goto(f"{base}/todo")
    owed = page.locator("#todo-report_owed li")
    # The same rule as the dashboard tile: every monthly report due before the day and not sent.
    assert owed.count() == owed_on_tile > 0
    assert page.locator("#todo-report_due li").count() == 1
    screenshot(page, f"todo-township-{width}")
    first = owed.first
    month = re.search(r"\d{4}-\d{2}", first.inner_text())
    assert month
    first.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert "/campaign/report?" in page.url
    assert page.locator("select[name=month] option:checked").get_attribute("value") == month.group()
