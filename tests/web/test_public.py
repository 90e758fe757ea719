"""The public real-time page and station pages, on real CNEMC data, against the published AQI."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.config import Settings
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring import review
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.web.app import create_app

DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"


def published(shared_dir: Path, hour: str, kind: str) -> dict[str, str]:
    lines = (shared_dir / DAY_FILE).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    for line in lines[1:]:
        cells = line.split(",")
        if cells[:3] == ["20190220", hour, kind]:
            return dict(zip(header[3:], cells[3:], strict=False))
    raise AssertionError("row not found")


@pytest.fixture
def db_engine(
    prepared_database: Callable[[str, Callable[[str, Path], None]], str], shared_dir: Path
) -> Iterator[Engine]:
    """The test's own copy of a database the Zhengzhou stations' day was imported into once per
    backend (every test reads the same day; importing it took seconds per test and backend)."""

    def fill(url: str, data_dir: Path) -> None:
        engine = create_db_engine(url)
        try:
            stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
            import_cnemc_file(session_factory(engine), shared_dir / DAY_FILE, data_dir, stations)
        finally:
            engine.dispose()

    engine = create_db_engine(prepared_database("public_zhengzhou_day", fill))
    yield engine
    engine.dispose()


@pytest.fixture
def client(db_engine: Engine, tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path), db_engine))


def test_public_page_shows_the_published_aqi_of_the_newest_hour(
    client: TestClient, shared_dir: Path
) -> None:
    page = client.get("/")
    assert page.status_code == 200
    # The truncated file's newest complete hour is 06:00 of 2019-02-20.
    assert "2019年02月20日 06时" in page.text
    aqi = published(shared_dir, "6", "AQI")
    rows = re.findall(
        r'data-station="(\w+)">.*?<td class="aqi"><span class="badge"[^>]*>(\d+)</span>',
        page.text,
        flags=re.S,
    )
    shown = dict(rows)
    zhengzhou = [code for code in aqi if code.startswith("13") and "1316A" <= code <= "1324A"]
    compared = [code for code in zhengzhou if aqi[code] and code in shown]
    assert len(compared) >= 7
    for code in compared:
        assert shown[code] == aqi[code], code
    # Sorted worst first, with the worst station's health advice on top.
    values = [int(v) for _, v in rows]
    assert values == sorted(values, reverse=True)
    assert "未审核" in page.text and "http" not in page.text.split("<body>")[1].replace(
        "http://www.w3.org", ""
    )


def test_audited_month_is_marked(client: TestClient, db_engine: Engine) -> None:
    with transaction(session_factory(db_engine)) as session:
        review.audit_month(session, "1316A", date(2019, 2, 1), "李站长")
    row = re.search(r'data-station="1316A">(.*?)</tr>', client.get("/").text, flags=re.S)
    assert row and "已审核" in row.group(1)


def test_station_page_and_missing_station(client: TestClient) -> None:
    page = client.get("/stations/1316A")
    assert page.status_code == 200
    assert "烟厂" in page.text and "echarts.min.js" in page.text
    data = re.search(
        r'<script id="station-json" type="application/json">(.*?)</script>', page.text, flags=re.S
    )
    assert data and '"year": 2019' in data.group(1)
    missing = client.get("/stations/NOPE")
    # The page's language only (Chinese by default; issue 14).
    assert missing.status_code == 404 and "站点 NOPE 不存在" in missing.text
    assert "no station NOPE" not in missing.text
    api_missing = client.get("/api/v1/nothing-here")
    assert api_missing.json()["error"]["code"] == "not_found"


def test_public_api_matches_the_page(client: TestClient, shared_dir: Path) -> None:
    rows = client.get("/api/v1/public/realtime").json()
    aqi = published(shared_dir, "6", "AQI")
    by_code = {row["code"]: row for row in rows}
    assert by_code["1316A"]["hour_end"] == "2019-02-19T22:00:00Z"
    assert str(by_code["1316A"]["aqi"]) == aqi["1316A"]
    assert by_code["1316A"]["status"] == "provisional"
    assert by_code["1316A"]["level"]["colour"].startswith("#")
