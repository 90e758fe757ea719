"""The warnings API and tile: public active warning, token-authenticated writes, roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

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
    assert lift.status_code == 409 and "no warning in force" in lift.text  # a state clash


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
    # A machine client reads with its token as a person reads with a session.
    assert listing.status_code == 200 and listing.json()["total"] >= 1


# --- the office page --------------------------------------------------------------------------


def _sign_in(client: TestClient, username: str) -> str:
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert token
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    office = client.get("/office/warnings")
    found = re.search(r'name="csrf" value="([^"]*)"', office.text)
    return found.group(1) if found else ""


def test_office_page_records_a_decision_with_csrf(setup: tuple[TestClient, str, str]) -> None:
    client, _office, _leader = setup
    assert client.get("/office/warnings", follow_redirects=False).status_code == 303  # sign in
    csrf = _sign_in(client, "office")
    page = client.get("/office/warnings")
    assert page.status_code == 200 and 'id="proposal"' in page.text
    assert "没有监测数据" in page.text  # no observations stored in this test
    assert 'value="410183401"' in page.text  # every township of the plan's adjacency
    form = {
        "action": "issue",
        "level": "yellow",
        "areas": ["410183100", "410183113"],
        "reason": "预报日AQI>200持续2天",
    }
    refused = client.post("/office/warnings/decide", data=form, follow_redirects=False)
    assert refused.status_code == 403 and "缺少或错误的表单令牌" in refused.text  # page's language
    done = client.post(
        "/office/warnings/decide", data={**form, "csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "决定已记录 #1" in shown.text and "黄色预警" in shown.text
    assert "预报日AQI&gt;200持续2天" in shown.text
    assert client.get("/api/v1/warnings/active").json()["warning"]["level"] == "yellow"
    wrong = client.post(
        "/office/warnings/decide",
        data={**form, "action": "upgrade", "level": "blue", "csrf": csrf},
        follow_redirects=False,
    )
    assert wrong.status_code == 422 and "升级须高于现行" in wrong.text  # the page's language only
    assert "must be above" not in wrong.text


def test_leader_sees_the_page_but_no_form(setup: tuple[TestClient, str, str]) -> None:
    client, _office, _leader = setup
    assert _sign_in(client, "boss")  # the sign-out form carries the token
    page = client.get("/office/warnings")
    assert page.status_code == 200 and "/office/warnings/decide" not in page.text


def test_office_page_imports_a_forecast_file(setup: tuple[TestClient, str, str]) -> None:
    client, _office, _leader = setup
    csrf = _sign_in(client, "office")
    files = {"file": ("fc.csv", FORECAST.encode(), "text/csv")}
    done = client.post(
        "/office/warnings/forecasts", data={"csrf": csrf}, files=files, follow_redirects=False
    )
    assert done.status_code == 303
    assert "+1 新增 new" in client.get(done.headers["location"]).text
    bad = {"file": ("bad.csv", b"area,aqi\n410183,1\n", "text/csv")}
    refused = client.post("/office/warnings/forecasts", data={"csrf": csrf}, files=bad)
    assert refused.status_code == 422 and "missing columns: issued_at" in refused.text


def test_office_page_shows_the_engine_proposal_on_real_data(
    setup: tuple[TestClient, str, str], db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    from tests.warnings.test_service import _import_first_week

    client, office, _leader = setup
    _import_first_week(db_engine, shared_dir, tmp_path)
    forecast = (
        "area,issued_at,valid_start,valid_end,aqi,primary_pollutant,source\n"
        "郑州,2019-01-07T17:00,2019-01-08T00:00,2019-01-09T00:00,260,PM2.5,市监测站\n"
        "郑州,2019-01-07T17:00,2019-01-09T00:00,2019-01-10T00:00,240,PM2.5,市监测站\n"
    )
    stored = client.post(
        "/api/v1/warnings/forecasts",
        headers={"Authorization": f"Bearer {office}", "Content-Type": "text/csv"},
        content=forecast.encode(),
    )
    assert stored.status_code == 200
    _sign_in(client, "office")
    page = client.get("/office/warnings")
    assert "2019年01月07日 23时" in page.text  # the newest stored hour
    assert "市监测站 2019-01-07 17:00" in page.text
    assert "建议发布：无预警 → 黄色预警" in page.text and "持续2天" in page.text
    assert "监测AQI已达213" in page.text  # the observed rolling AQI is already heavy
