"""The web application: health check, home page, OpenAPI and packaged static files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lantian.config import Settings
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.ingest.station_list import StationRecord
from lantian.monitoring.models import Measurement, Station
from lantian.monitoring.service import upsert_stations
from lantian.web.app import create_app


def client_for(engine: Engine, tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path), engine))


def test_healthz_ok_on_a_migrated_database(db_engine: Engine, tmp_path: Path) -> None:
    response = client_for(db_engine, tmp_path).get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == db_engine.dialect.name
    assert body["schema_revision"] == body["schema_head"]


def test_healthz_503_on_an_empty_database(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    response = client_for(engine, tmp_path).get("/healthz")
    assert response.status_code == 503
    assert "lantian db upgrade" in response.json()["reason"]


def test_home_page_shows_what_is_loaded(db_engine: Engine, tmp_path: Path) -> None:
    client = client_for(db_engine, tmp_path)
    assert "暂无数据" in client.get("/").text
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        upsert_stations(
            session, [StationRecord("1316A", "烟厂", "郑州", 113.68, 34.76)], actor="test"
        )
        session.add(
            Measurement(
                station_id=session.scalars(select(Station.id)).one(),
                pollutant="pm2_5",
                period_end=datetime(2019, 1, 4, 16, tzinfo=UTC),
                value=273.0,
                source="manual",
                received_at=datetime.now(UTC),
            )
        )
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.text
    assert '<div class="value" id="station-count">1</div>' in response.text
    # 16:00 UTC is 24:00 China time: the hour-ending label of the last hour of 4 January.
    assert "2019年01月04日 24时" in response.text


def test_openapi_and_static_files_are_served_locally(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    client = client_for(engine, tmp_path)
    assert client.get("/api/docs").status_code == 200
    assert client.get("/api/openapi.json").json()["info"]["title"] == "lantian 蓝天"
    css = client.get("/static/lantian.css")
    assert css.status_code == 200 and "font-family" in css.text
    unmigrated = client.get("/")
    assert unmigrated.status_code == 503 and "lantian db upgrade" in unmigrated.text


def test_pages_reference_nothing_outside(db_engine: Engine, tmp_path: Path) -> None:
    page = client_for(db_engine, tmp_path).get("/").text
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
