"""The platform run "as of" an instant (LANTIAN_AS_OF): the header says so, nothing measured after
the instant is published, old data carry a banner, and the campaign's counts, the overview and the
to-do list are reckoned at the same day."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.auth.service import add_user
from lantian.campaign import service as campaign
from lantian.campaign.demo import load_sample_progress
from lantian.config import Settings
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.areas import assign_station_areas, read_boundaries
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.overview import service as overview
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.timeutil import CHINA_TZ
from lantian.web.app import create_app

PASSWORD = "灰霾退散-2017-blue"
DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"
#: The real day (2019-02-20) placed on 2018-01-22, inside the plan's campaign, as the demo does.
SHIFT = date(2018, 1, 22) - date(2019, 2, 20)
MICUN = Principal("micun", "township", "410183101")


def load(db_engine: Engine, shared_dir: Path, data_dir: Path) -> None:
    sessions = session_factory(db_engine)
    stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
    import_cnemc_file(sessions, shared_dir / DAY_FILE, data_dir, stations, shift=SHIFT)
    load_sample_progress(sessions, DEFAULT_PLAN_DIR, data_dir)
    with transaction(sessions) as session:
        assign_station_areas(session, read_boundaries(), actor="test")
        for name, role, scope in (
            ("office", "campaign_office", None),
            ("micun", "township", "410183101"),
        ):
            add_user(
                session, username=name, role=role, scope=scope, password=PASSWORD, actor="test"
            )


@pytest.fixture
def loaded(
    prepared_database: Callable[[str, Callable[[str, Path], None]], str], shared_dir: Path
) -> Iterator[Engine]:
    """The test's own copy of a database the day, the plan's sample progress and the accounts
    were loaded into once per backend (both tests read the same)."""

    def fill(url: str, data_dir: Path) -> None:
        engine = create_db_engine(url)
        try:
            load(engine, shared_dir, data_dir)
        finally:
            engine.dispose()

    engine = create_db_engine(prepared_database("as_of_day", fill))
    yield engine
    engine.dispose()


def _client(engine: Engine, tmp_path: Path, as_of: str) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path, as_of=as_of), engine))  # type: ignore[arg-type]


def _sign_in(client: TestClient, username: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', page.text)
    landing = re.search(r'name="next" value="([^"]*)"', page.text)
    assert token and landing
    answer = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf": token.group(1),
            "next": landing.group(1),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return answer.headers["location"]


def test_as_of_is_shown_and_nothing_after_it_is_published(loaded: Engine, tmp_path: Path) -> None:
    # The file ends with hour 06 of its day: as of 05:30 the newest published hour is 05时.
    early = _client(loaded, tmp_path, "2018-01-22T05:30").get("/").text
    assert re.search(r'id="as-of"[^>]*>截至 2018年01月22日 05:3\d<', early)
    assert re.search(r'id="data-time">2018年01月22日 05时<', early)
    assert 'id="stale-data"' not in early
    page = _client(loaded, tmp_path, "2018-01-22T07:30").get("/").text
    assert re.search(r'id="data-time">2018年01月22日 06时<', page)
    assert 'id="stale-data"' not in page
    # A day later the same data are too old to call real-time.
    later = _client(loaded, tmp_path, "2018-01-23T10:00").get("/").text
    assert re.search(
        r'id="stale-data"[^>]*>\s*非实时数据：最新监测时间为 2018年01月22日 06时，距今 1 天', later
    )
    # Without an as-of the header shows no instant (the real clock is now).
    real = TestClient(create_app(Settings(data_dir=tmp_path), loaded)).get("/").text
    assert 'id="as-of"' not in real and 'id="stale-data"' in real


def test_campaign_counts_overview_and_to_do_share_one_day(loaded: Engine, tmp_path: Path) -> None:
    client = _client(loaded, tmp_path, "2018-01-22T10:00")
    assert _sign_in(client, "office") == "/start"
    assert client.get("/start", follow_redirects=False).headers["location"] == "/overview"
    office = client.get("/office").text
    assert "截至 2018-01-22" in office and "截至 2018-03-31" not in office
    sessions = session_factory(loaded)
    with (
        clock.use(clock.FrozenClock(datetime(2018, 1, 22, 10, tzinfo=CHINA_TZ))),
        sessions() as session,
    ):
        context = campaign.require_plan(session)
        day = campaign.judged_day(context, clock.today())
        assert day == date(2018, 1, 22)
        escalations = campaign.escalations(session, context, day)
        built = overview.build_overview(
            session, context, Principal("office", "campaign_office"), day, None
        )
        _seen, owed = campaign.reports_owed(session, context, MICUN, day)
        todo = overview.todo_list(session, context, MICUN, day, clock.now(), None)
    assert built.escalations == len(escalations) > 0
    page = client.get("/overview").text
    assert re.search(
        rf'<a href="/campaign/escalations\?as_of=2018-01-22">{len(escalations)}</a>', page
    )
    # The township's to-do list owes exactly what the dashboard tile counts.
    assert len(todo.of("report_owed")) == owed > 0
    assert all(item.overdue and item.due and item.due < day for item in todo.of("report_owed"))
    township = _client(loaded, tmp_path, "2018-01-22T10:00")
    assert _sign_in(township, "micun") == "/start"
    assert township.get("/start", follow_redirects=False).headers["location"] == "/office"
    listed = township.get("/todo").text
    assert listed.count('class="overdue"') >= owed
    assert township.get("/overview").status_code == 403
