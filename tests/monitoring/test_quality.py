"""Upload and valid-transmission rates, checked against counts taken from the real file itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.config import Settings
from lantian.db.engine import session_factory
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.quality import transmission_rates
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
    stations = client.get("/api/v1/monitoring/stations").json()
    assert {"code": "1324A", "name": "岗李水库(对照点)"}.items() <= next(
        s for s in stations if s["code"] == "1324A"
    ).items()
