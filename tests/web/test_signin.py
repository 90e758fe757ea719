"""Signing in and out through the pages: CSRF on every form, throttling, scoped office access."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.auth.service import add_user
from lantian.auth.sessions import COOKIE_NAME
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.web.app import create_app

PASSWORD = "灰霾退散-2017-blue"
DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"


@pytest.fixture
def client(db_engine: Engine, tmp_path: Path) -> TestClient:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        add_user(
            session,
            username="office",
            role="campaign_office",
            password=PASSWORD,
            actor="test",
            display_name="攻坚办",
        )
    return TestClient(create_app(Settings(data_dir=tmp_path), db_engine))


def form_token(page: str, name: str = "csrf") -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, "the form carries no token"
    return found.group(1)


def sign_in(client: TestClient, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": "office",
            "password": password,
            "csrf": form_token(page.text),
            "next": "/office",
        },
        follow_redirects=False,
    )


def test_office_needs_an_account_and_shows_the_city(
    client: TestClient, db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
    import_cnemc_file(session_factory(db_engine), shared_dir / DAY_FILE, tmp_path, stations)
    anonymous = client.get("/office", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/office"
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/office"
    cookie = response.headers["set-cookie"]
    assert COOKIE_NAME in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    office = client.get("/office")
    assert office.status_code == 200
    assert 'id="city-aqi"' in office.text and "2019年02月20日 06时" in office.text
    assert "office" in office.text and "退出" in office.text


def test_forms_without_their_csrf_token_are_refused(client: TestClient) -> None:
    client.get("/login")
    refused = client.post(
        "/login", data={"username": "office", "password": PASSWORD}, follow_redirects=False
    )
    assert refused.status_code == 403 and "表单已过期" in refused.text
    assert COOKIE_NAME not in refused.headers.get("set-cookie", "")
    sign_in(client)
    no_token = client.post("/logout", data={}, follow_redirects=False)
    assert no_token.status_code == 403
    assert client.get("/office", follow_redirects=False).status_code == 200  # still signed in
    token = form_token(client.get("/office").text)
    out = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303


def test_wrong_passwords_are_throttled(client: TestClient) -> None:
    for _ in range(4):
        wrong = sign_in(client, "not-the-password")
        assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text
    locked = sign_in(client, "not-the-password")
    assert "暂时锁定" in locked.text
    right_but_locked = sign_in(client)
    assert right_but_locked.status_code == 401 and "暂时锁定" in right_but_locked.text


def test_a_stolen_cookie_dies_with_sign_out(client: TestClient) -> None:
    cookie = sign_in(client).headers["set-cookie"]
    value = re.search(rf"{COOKIE_NAME}=([^;]+)", cookie)
    assert value
    token = form_token(client.get("/office").text)
    client.post("/logout", data={"csrf": token}, follow_redirects=False)
    thief = TestClient(client.app)
    thief.cookies.set(COOKIE_NAME, value.group(1))
    assert thief.get("/office", follow_redirects=False).status_code == 303
