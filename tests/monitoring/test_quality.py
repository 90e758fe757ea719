"""Upload and valid-transmission rates, checked against counts taken from the real file itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.config import Settings
from lantian.db.engine import session_factory
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.quality import RateRow, SourceRateRow, transmission_rates
from lantian.web.app import create_app

DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"
SIX = ("SO2", "NO2", "PM10", "PM2.5", "CO", "O3")


def hours_from_file(path: Path, station: str) -> tuple[set[int], set[int]]:
    """Hours (1..23 of 2019-02-20) with any / all six pollutants for ``station``, read directly."""
    lines = path.read_text(encoding="utf-8").splitlines()
    col = lines[0].split(",").index(station)
    present: dict[int, set[str]] = {}
    for line in lines[1:]:
        cells = line.split(",")
        if len(cells) > col and cells[2] in SIX and cells[col].strip() and cells[1] != "0":
            present.setdefault(int(cells[1]), set()).add(cells[2])
    return set(present), {h for h, kinds in present.items() if len(kinds) == 6}


def test_rates_match_the_file(db_engine: Engine, shared_dir: Path, tmp_path: Path) -> None:
    sessions = session_factory(db_engine)
    import_cnemc_file(
        sessions, shared_dir / DAY_FILE, tmp_path, read_station_list(BUNDLED_STATION_LIST)
    )
    with sessions() as session:
        rows = transmission_rates(
            session, date(2019, 2, 20), date(2019, 2, 20), "day", ["1316A", "1001A", "1324A"]
        )
    assert [r.station_code for r in rows] == ["1001A", "1316A", "1324A"]
    for row in rows:
        received, complete = hours_from_file(shared_dir / DAY_FILE, row.station_code)
        assert row.expected_hours == 24
        assert row.received_hours == len(received)
        assert row.valid_hours <= len(complete)
        assert not row.meets_target  # the truncated file ends at hour 7: far below 90 %


def test_api_rates_and_error_shape(db_engine: Engine, shared_dir: Path, tmp_path: Path) -> None:
    import_cnemc_file(
        session_factory(db_engine),
        shared_dir / DAY_FILE,
        tmp_path,
        read_station_list(BUNDLED_STATION_LIST),
    )
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    response = client.get(
        "/api/v1/monitoring/transmission-rates",
        params={
            "start": "2019-02-01",
            "end": "2019-02-28",
            "period": "month",
            "station": ["1316A"],
        },
    )
    assert response.status_code == 200
    (row,) = response.json()
    assert row["period_start"] == "2019-02-01" and row["expected_hours"] == 28 * 24
    assert row["upload_rate"] == round(row["received_hours"] / (28 * 24), 4)
    backwards = client.get(
        "/api/v1/monitoring/transmission-rates", params={"start": "2019-02-02", "end": "2019-02-01"}
    )
    assert backwards.status_code == 422
    assert "end is before start" in backwards.json()["error"]["message"]
    bad_period = client.get(
        "/api/v1/monitoring/transmission-rates",
        params={"start": "2019-02-01", "end": "2019-02-02", "period": "week"},
    )
    assert bad_period.status_code == 422
    assert bad_period.json()["error"]["details"][0]["where"] == "query.period"
    stations = client.get("/api/v1/monitoring/stations", params={"limit": 1000}).json()["items"]
    assert {"code": "1324A", "name": "岗李水库(对照点)"}.items() <= next(
        s for s in stations if s["code"] == "1324A"
    ).items()


def test_api_lists_page_through_stations_and_measurements(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    import_cnemc_file(
        session_factory(db_engine),
        shared_dir / DAY_FILE,
        tmp_path,
        read_station_list(BUNDLED_STATION_LIST),
    )
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    first = client.get("/api/v1/monitoring/stations", params={"limit": 500}).json()
    assert first["total"] == 1605 and len(first["items"]) == 500 and first["next_offset"] == 500
    last = client.get("/api/v1/monitoring/stations", params={"limit": 500, "offset": 1500}).json()
    assert len(last["items"]) == 105 and last["next_offset"] is None
    codes = [s["code"] for s in first["items"]] + [s["code"] for s in last["items"]]
    assert codes == sorted(codes)
    params = {
        "station": "1316A",
        "pollutant": "pm2_5",
        "start": "2019-02-20T00:00:00+08:00",
        "end": "2019-02-20T23:00:00+08:00",
        "limit": 4,
    }
    page = client.get("/api/v1/monitoring/measurements", params=params).json()
    in_file = [
        float(value)
        for hour in range(1, 24)
        if (value := published_cell(shared_dir, str(hour), "PM2.5", "1316A"))
    ]
    assert page["total"] == len(in_file) > 4
    assert [m["value"] for m in page["items"]] == in_file[:4]
    rest = client.get("/api/v1/monitoring/measurements", params={**params, "offset": 4}).json()
    times = [m["period_end"] for m in page["items"] + rest["items"]]
    assert times == sorted(times) and len(set(times)) == page["total"]
    naive = client.get(
        "/api/v1/monitoring/measurements", params={**params, "start": "2019-02-20T00:00:00"}
    )
    assert naive.status_code == 422 and "time zone" in naive.json()["error"]["message"]
    too_many = client.get("/api/v1/monitoring/stations", params={"limit": 5000})
    assert (
        too_many.status_code == 422
        and too_many.json()["error"]["details"][0]["where"] == "query.limit"
    )


def published_cell(shared_dir: Path, hour: str, kind: str, station: str) -> str:
    lines = (shared_dir / DAY_FILE).read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index(station)
    for line in lines[1:]:
        cells = line.split(",")
        if cells[:3] == ["20190220", hour, kind]:
            return cells[column]
    return ""  # the hour's row is not in the (truncated) file


def test_the_90_percent_line_judges_each_kind_on_its_own_rate() -> None:
    """Seed task 1 puts a station's 90 % on the upload rate (上传率); task 33 a stack's on the
    valid-transmission rate (数据传输有效率). Every hour received, few valid: the station meets
    its line, the stack does not."""
    counts = {"period_start": date(2019, 2, 20), "expected_hours": 24, "received_hours": 23,
              "valid_hours": 12, "target": 0.9}  # fmt: skip
    station = RateRow(station_code="1316A", station_name="示例站", **counts)
    assert station.upload_rate == pytest.approx(23 / 24) and station.valid_rate == 0.5
    assert station.meets_target
    stack = SourceRateRow(mn="MN1", source_code="S1", name="示例排口", **counts)
    assert not stack.meets_target
    short = RateRow(station_code="1316A", station_name="示例站", **{**counts, "received_hours": 21})
    assert not short.meets_target  # 21/24 = 87.5 % < 90 %
