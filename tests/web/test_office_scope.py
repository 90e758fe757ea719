"""The office dashboard's township ranking and the area pages, scoped to a township's own area."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.areas import assign_station_areas, read_boundaries
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.web.app import create_app

PASSWORD = "灰霾退散-2017-blue"
DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"
JINSHUI, ERQI = "410105", "410103"


def load(db_engine: Engine, shared_dir: Path, data_dir: Path) -> None:
    sessions = session_factory(db_engine)
    stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
    import_cnemc_file(sessions, shared_dir / DAY_FILE, data_dir, stations)
    with transaction(sessions) as session:
        assign_station_areas(session, read_boundaries(), actor="test")
        for name, role, scope in (
            ("jinshui", "township", JINSHUI),
            ("office", "campaign_office", None),
        ):
            add_user(
                session, username=name, role=role, scope=scope, password=PASSWORD, actor="test"
            )


@pytest.fixture
def db_engine(
    prepared_database: Callable[[str, Callable[[str, Path], None]], str], shared_dir: Path
) -> Iterator[Engine]:
    """The test's own copy of a database the day, the areas and the accounts were loaded into
    once per backend (every test reads the same data)."""

    def fill(url: str, data_dir: Path) -> None:
        engine = create_db_engine(url)
        try:
            load(engine, shared_dir, data_dir)
        finally:
            engine.dispose()

    engine = create_db_engine(prepared_database("office_scope_day", fill))
    yield engine
    engine.dispose()


@pytest.fixture
def client(db_engine: Engine, tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path), db_engine))


def sign_in(client: TestClient, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert token
    answer = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf": token.group(1),
            "next": "/office",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_township_sees_its_own_area_and_is_refused_another(client: TestClient) -> None:
    sign_in(client, "jinshui")
    office = client.get("/office")
    assert office.status_code == 200
    # The ranking lists the districts with stations; the account's own area is marked.
    assert re.search(rf'<tr data-area="{JINSHUI}" class="mine">', office.text)
    assert f'data-area="{ERQI}"' in office.text
    own = client.get(f"/office/areas/{JINSHUI}")
    assert own.status_code == 200
    assert "金水区" in own.text and "烟厂" in own.text  # 1316A lies in 金水区
    other = client.get(f"/office/areas/{ERQI}")
    assert other.status_code == 403
    assert "410103" in other.text and "河医大" not in other.text


def test_office_sees_every_area(client: TestClient) -> None:
    sign_in(client, "office")
    for code in (JINSHUI, ERQI):
        page = client.get(f"/office/areas/{code}")
        assert page.status_code == 200
    assert client.get("/office/areas/999999").status_code == 404


def test_english_switch(client: TestClient) -> None:
    assert "实时发布" in client.get("/").text
    switched = client.get("/lang/en?next=/stations/1316A", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/stations/1316A"
    page = client.get("/")
    assert '<html lang="en">' in page.text and "Real-time air quality" in page.text
    assert "空气质量实时发布" not in page.text
    client.get("/lang/zh")
    assert '<html lang="zh-CN">' in client.get("/").text
    # Only local targets: the switch is no open redirect (it falls back to the landing page,
    # /start, which sends each account on to its overview or dashboard).
    assert (
        client.get("/lang/en?next=//evil.example", follow_redirects=False).headers["location"]
        == "/start"
    )
