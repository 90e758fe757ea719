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


def login_error(response: httpx.Response) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', response.text, re.S)
    assert found, "the sign-in page shows no error"
    return found.group(1)


def sign_in_as(client: TestClient, username: str, password: str) -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": form_token(page.text)},
        follow_redirects=False,
    )


def test_a_locked_account_reads_as_an_unknown_name_with_the_time_a_lock_ends(
    client: TestClient, db_engine: Engine
) -> None:
    """Issue 14: the lock must not tell an attacker the account exists, and must tell the person
    when it ends; an administrator can end it at once (audited)."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from lantian import clock
    from lantian.auth.models import AuditEntry

    with transaction(session_factory(db_engine)) as session:
        add_user(session, username="root", role="administrator", password=PASSWORD, actor="test")
    frozen = clock.FrozenClock(datetime(2026, 12, 3, 3, 20, 30, tzinfo=UTC))  # 11:20:30 in China
    with clock.use(frozen, process_wide=True):
        for _ in range(5):
            sign_in(client, "not-the-password")
        locked = sign_in(client)  # the right password, during the lock
        unknown = sign_in_as(client, "nobody-here", "not-the-password")
        wrong = sign_in_as(client, "root", "not-the-password")
        assert locked.status_code == unknown.status_code == wrong.status_code == 401
        assert login_error(locked) == login_error(unknown) == login_error(wrong)
        assert "最迟于 11:36 解锁" in login_error(locked)  # 11:20:30 + 15 min, to the minute
        assert " / " not in login_error(locked)  # the page's language only
        english = TestClient(client.app)
        english.cookies.set("lantian_lang", "en")
        in_english = login_error(sign_in_as(english, "nobody-here", "x"))
        assert "at the latest at 11:36" in in_english and "用户名" not in in_english
        admin = TestClient(client.app)
        assert sign_in_as(admin, "root", PASSWORD).status_code == 303
        users = admin.get("/admin/users").text
        assert 'data-unlock="office"' in users and 'data-unlock="root"' not in users
        done = admin.post(
            "/admin/users/office/unlock",
            data={"csrf": form_token(users), "reason": "forgot the keyboard layout"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert "已解锁" in admin.get("/admin/users").text
        assert sign_in(client).status_code == 303
    with session_factory(db_engine)() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.unlock")).one()
        assert (entry.actor, entry.entity_id) == ("root", "office")
        assert entry.reason == "forgot the keyboard layout"
        assert entry.before["locked_until"] and entry.after == {
            "locked_until": None,
            "failed_logins": 0,
        }
