"""The warnings API and tile: public active warning, token-authenticated writes, roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.auth import passwords
from lantian.auth.service import add_user, create_token
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.warnings.notify import NotifySettings
from lantian.web.app import create_app

pytestmark = pytest.mark.db
PASSWORD = "灰霾退散-2017-blue"
FORECAST = """area,issued_at,valid_start,valid_end,aqi,primary_pollutant,source
410183,2017-12-01T08:00+08:00,2017-12-01T08:00+08:00,2017-12-02T08:00+08:00,230,PM2.5,市监测站
"""


@pytest.fixture(autouse=True)
def fast_hashes() -> Iterator[None]:
    with passwords.using_hasher(
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    ):
        yield


@pytest.fixture
def setup(db_engine: Engine, tmp_path: Path) -> tuple[TestClient, str, str]:
    with transaction(session_factory(db_engine)) as session:
        add_user(session, username="office", role="campaign_office", password=PASSWORD, actor="t")
        add_user(session, username="boss", role="leader", password=PASSWORD, actor="t")
        _row, office_token = create_token(session, "office", "预警", actor="t")
        _row, leader_token = create_token(session, "boss", "只读", actor="t")
    app = create_app(Settings(data_dir=tmp_path), db_engine)
    app.state.notify_settings = NotifySettings()  # no receivers configured in this test
    return TestClient(app), office_token, leader_token


def test_public_sees_the_active_warning_and_the_tile(setup: tuple[TestClient, str, str]) -> None:
    client, office, _leader = setup
    quiet = client.get("/api/v1/warnings/active")
    assert quiet.status_code == 200
    assert quiet.json() == {"scope": "410183", "active": False, "warning": None}
    assert "无预警" in client.get("/warnings/tile").text

    issued = client.post(
        "/api/v1/warnings/decisions",
        headers={"Authorization": f"Bearer {office}"},
        json={
            "action": "issue",
            "level": "orange",
            "areas": ["410183100", "410183113"],
            "reason": "预报AQI>200持续3天且出现AQI>300",
            "effective_at": "2017-12-01T20:00:00+08:00",
        },
    )
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert (body["action"], body["to_level"], body["decided_by"]) == ("issue", "orange", "office")
    assert "启动Ⅱ级响应" in body["notice_text"] and body["deliveries"] == []

    active = client.get("/api/v1/warnings/active").json()
    assert active["active"] and active["warning"]["level"] == "orange"
    assert active["warning"]["colour"] == "#FF7E00"
    tile = client.get("/warnings/tile")
    assert tile.status_code == 200 and 'id="warning-tile"' in tile.text
    assert "橙色预警" in tile.text and "Ⅱ级响应" in tile.text and "12月01日 20时" in tile.text
    client.cookies.set("lantian_lang", "en")
    english = client.get("/warnings/tile")
    assert "orange alert" in english.text


def test_writes_need_a_writer(setup: tuple[TestClient, str, str]) -> None:
    client, office, leader = setup
    decision = {"action": "issue", "level": "blue", "areas": ["410183100"], "reason": "x"}
    assert client.post("/api/v1/warnings/decisions", json=decision).status_code == 401
    denied = client.post(
        "/api/v1/warnings/decisions", headers={"Authorization": f"Bearer {leader}"}, json=decision
    )
    assert denied.status_code == 403 and "may not write warnings" in denied.text
    bad = client.post(
        "/api/v1/warnings/decisions",
        headers={"Authorization": "Bearer lt_nope_nope"},
        json=decision,
    )
    assert bad.status_code == 401
    lift = client.post(
        "/api/v1/warnings/decisions",
        headers={"Authorization": f"Bearer {office}"},
        json={"action": "lift", "areas": ["410183100"], "reason": "x"},
    )
    assert lift.status_code == 422 and "no warning in force" in lift.text


def test_forecast_import_and_listing(setup: tuple[TestClient, str, str]) -> None:
    client, office, leader = setup
    stored = client.post(
        "/api/v1/warnings/forecasts?name=fc.csv",
        headers={"Authorization": f"Bearer {office}", "Content-Type": "text/csv"},
        content=FORECAST.encode(),
    )
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"new_issues": 1, "revisions": 0, "unchanged": 0, "values": 1}
    assert client.get("/api/v1/warnings/forecasts").status_code == 401  # public
    listing = client.get(
        "/api/v1/warnings/forecasts", headers={"Authorization": f"Bearer {leader}"}
    )
    # reading uses the browser session; a token-only client is the public here
    assert listing.status_code == 401
