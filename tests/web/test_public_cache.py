"""The publication cache (lantian.monitoring.publication_cache; issue 19, "pages under load") never
serves an hour older than the newest stored one: after an import of new hours, after a reviewer's
correction, and on PostgreSQL after a writer that took lower ids commits late. On real CNEMC days
of the Zhengzhou stations, on SQLite and PostgreSQL (the ``db_engine`` fixture runs both)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, StationRecord, read_station_list
from lantian.monitoring import publication_cache, review
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.models import Measurement, Station
from lantian.timeutil import CHINA_TZ
from lantian.web.app import create_app

DAILY = "data/cnemc/national_daily"
#: A day cut at 06:00 China time (newest hour 2019-02-19T22:00Z), then two whole later days.
FIRST_DAY = f"{DAILY}/china_sites_20190220.csv"
NEXT_DAY = f"{DAILY}/china_sites_20190225.csv"
DAY_AFTER = f"{DAILY}/china_sites_20190226.csv"


@pytest.fixture
def zhengzhou() -> list[StationRecord]:
    return [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]


@pytest.fixture
def client(db_engine: Engine, tmp_path: Path) -> TestClient:
    publication_cache.CACHE.clear()
    return TestClient(create_app(Settings(data_dir=tmp_path), db_engine))


def newest_stored(db_engine: Engine) -> datetime:
    with session_factory(db_engine)() as session:
        newest = session.scalar(select(func.max(Measurement.period_end)))
    assert newest is not None
    return newest.astimezone(UTC)


def api_hours(client: TestClient) -> dict[str, str]:
    response = client.get("/api/v1/public/realtime")
    assert response.status_code == 200
    return {row["code"]: row["hour_end"] for row in response.json() if row["hour_end"]}


def page_hour(client: TestClient) -> str:
    found = re.search(r"(\d{4}年\d{2}月\d{2}日 \d{2}时)", client.get("/").text)
    assert found
    return found.group(1)


def station_last_hour(client: TestClient, code: str) -> str:
    """The last hour of the station page's chart of the last seven days."""
    page = client.get(f"/stations/{code}").text
    data = re.search(
        r'<script id="station-json" type="application/json">(.*?)</script>', page, re.S
    )
    assert data
    hours: list[str] = json.loads(data.group(1))["hours"]
    return hours[-1]


def china(moment: datetime, layout: str) -> str:
    return moment.astimezone(CHINA_TZ).strftime(layout)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_new_hours_are_served_after_an_import(
    db_engine: Engine, client: TestClient, shared_dir: Path, tmp_path: Path, zhengzhou: list
) -> None:
    sessions = session_factory(db_engine)
    import_cnemc_file(sessions, shared_dir / FIRST_DAY, tmp_path, zhengzhou)
    first = newest_stored(db_engine)
    assert max(api_hours(client).values()) == iso(first) == "2019-02-19T22:00:00Z"
    assert page_hour(client) == "2019年02月20日 06时"
    hits = publication_cache.CACHE.hits
    assert max(api_hours(client).values()) == iso(first)
    page_hour(client)
    assert publication_cache.CACHE.hits > hits  # served from memory while nothing changed

    import_cnemc_file(sessions, shared_dir / NEXT_DAY, tmp_path, zhengzhou)
    second = newest_stored(db_engine)
    assert second > first
    assert max(api_hours(client).values()) == iso(second)
    assert page_hour(client) == china(second, "%Y年%m月%d日 %H时") == "2019年02月25日 23时"
    assert station_last_hour(client, "1316A") == china(second, "%m-%d %H时")

    import_cnemc_file(sessions, shared_dir / DAY_AFTER, tmp_path, zhengzhou)
    third = newest_stored(db_engine)
    assert third > second and max(api_hours(client).values()) == iso(third)
    assert page_hour(client) == china(third, "%Y年%m月%d日 %H时")
    assert station_last_hour(client, "1316A") == china(third, "%m-%d %H时")


def test_the_public_api_answers_304_until_the_data_change(
    db_engine: Engine, client: TestClient, shared_dir: Path, tmp_path: Path, zhengzhou: list
) -> None:
    sessions = session_factory(db_engine)
    import_cnemc_file(sessions, shared_dir / FIRST_DAY, tmp_path, zhengzhou)
    first = client.get("/api/v1/public/realtime")
    tag = first.headers["etag"]
    again = client.get("/api/v1/public/realtime", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["etag"] == tag
    import_cnemc_file(sessions, shared_dir / NEXT_DAY, tmp_path, zhengzhou)
    after = client.get("/api/v1/public/realtime", headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert max(row["hour_end"] for row in after.json() if row["hour_end"]) == iso(
        newest_stored(db_engine)
    )


def test_a_reviewers_correction_is_served(
    db_engine: Engine, client: TestClient, shared_dir: Path, tmp_path: Path, zhengzhou: list
) -> None:
    sessions = session_factory(db_engine)
    import_cnemc_file(sessions, shared_dir / FIRST_DAY, tmp_path, zhengzhou)
    before = {row["code"]: row for row in client.get("/api/v1/public/realtime").json()}
    assert before["1316A"]["aqi"] is not None and before["1316A"]["aqi"] < 400
    client.get("/")  # the page's figures are in memory too
    with transaction(sessions) as session:
        pm25 = newest_pm25(session, "1316A")
        # A value in force of 400 µg/m³ PM2.5 makes the hour's AQI at least 400 (HJ 633 Table 1).
        review.review_measurement(
            session,
            pm25.id,
            valid=True,
            reviewer="李审核",
            reason="校准后更正 / corrected after calibration",
            corrected_value=400.0,
        )
    after = {row["code"]: row for row in client.get("/api/v1/public/realtime").json()}
    assert after["1316A"]["concentrations"]["pm2_5"] == 400.0
    assert after["1316A"]["aqi"] >= 400
    row = re.search(r'data-station="1316A">(.*?)</tr>', client.get("/").text, flags=re.S)
    assert row and str(after["1316A"]["aqi"]) in row.group(1)

    with transaction(sessions) as session:
        review.review_measurement(
            session,
            newest_pm25(session, "1316A").id,
            valid=False,
            reviewer="李审核",
            reason="仪器故障 / instrument fault",
        )
    invalidated = {row["code"]: row for row in client.get("/api/v1/public/realtime").json()}
    assert invalidated["1316A"]["concentrations"]["pm2_5"] is None


def newest_pm25(session: Session, code: str) -> Measurement:
    measurement = session.scalars(
        select(Measurement)
        .join(Station)
        .where(Station.code == code, Measurement.pollutant == "pm2_5")
        .order_by(Measurement.period_end.desc())
        .limit(1)
    ).one()
    return measurement


def test_a_writer_committing_lower_ids_late_is_seen(
    db_engine: Engine, shared_dir: Path, tmp_path: Path, zhengzhou: list
) -> None:
    """Two writers at once: the first takes its ids, the second takes higher ones and commits
    first; a figure computed then must not outlive the first writer's commit. On PostgreSQL the
    newest id does not move when the first commits (SQLite has one writer at a time, in order)."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: ids are committed in the order taken")
    publication_cache.CACHE.clear()
    sessions = session_factory(db_engine)
    import_cnemc_file(sessions, shared_dir / FIRST_DAY, tmp_path, zhengzhou)
    first = newest_stored(db_engine)
    with transaction(sessions) as session:
        # The newest hour's PM2.5 of 1316A has not arrived yet (a gap the late writer fills).
        session.delete(newest_pm25(session, "1316A"))
    late = sessions()
    station_id = late.scalar(select(Station.id).where(Station.code == "1316A"))
    late.add(hour_row(station_id, first, "pm2_5", 400.0, source="hj212"))
    late.flush()  # the late writer's id is taken, not committed
    with transaction(sessions) as session:
        other = session.scalar(select(Station.id).where(Station.code == "1317A"))
        session.add(hour_row(other, first, "pm2_5", 75.0, source="manual"))
    with sessions() as session:
        now = {row.code: row for row in publication_cache.realtime_snapshot(session)}
    assert now["1316A"].hour_end == first and now["1316A"].concentrations["pm2_5"] is None
    late.commit()
    late.close()
    with sessions() as session:
        now = {row.code: row for row in publication_cache.realtime_snapshot(session)}
    assert now["1316A"].concentrations["pm2_5"] == 400.0


def hour_row(
    station_id: int | None, end: datetime, pollutant: str, value: float, source: str = "cnemc"
) -> Measurement:
    assert station_id is not None
    return Measurement(
        station_id=station_id,
        pollutant=pollutant,
        averaging="1h",
        period_end=end,
        value=value,
        flag="N",
        source=source,
        received_at=end,
    )


def test_the_cache_is_bounded(db_engine: Engine) -> None:
    cache = publication_cache.PublicationCache(max_entries=3)
    with session_factory(db_engine)() as session:
        for n in range(10):
            assert cache.get(session, "figure", (n,), lambda n=n: n * n) == n * n
        assert len(cache) == 3
        assert cache.get(session, "figure", (9,), lambda: -1) == 81  # kept: the newest three
        assert cache.get(session, "figure", (0,), lambda: -1) == -1  # evicted, computed again
