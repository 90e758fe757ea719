"""Issue 20, sign-in and sessions through the pages: the address throttle beside the account lock,
locks that survive a restart, session rotation, signing out everywhere, cookie flags and the
security headers of every kind of response, each event in the audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lantian import clock
from lantian.auth import throttle
from lantian.auth.models import AuditEntry
from lantian.auth.service import LOCK_DURATION, MAX_FAILED_LOGINS, add_user
from lantian.auth.sessions import COOKIE_NAME
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.web.app import create_app
from lantian.web.security import script_hashes

PASSWORD = "灰霾退散-2017-blue"
ATTACKER = ("203.0.113.9", 40000)
OWNER = ("198.51.100.20", 40000)
START = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)


@pytest.fixture
def app(db_engine: Engine, tmp_path: Path) -> FastAPI:
    with transaction(session_factory(db_engine)) as session:
        for name, role in (("office", "campaign_office"), ("root", "administrator")):
            add_user(session, username=name, role=role, password=PASSWORD, actor="test")
        add_user(
            session, username="quliang", role="township", scope="410183100",
            password=PASSWORD, actor="test",
        )  # fmt: skip
    return create_app(Settings(data_dir=tmp_path), db_engine)


def form_token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found, "the form carries no token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": form_token(page.text)},
        follow_redirects=False,
    )


def session_cookie(response: httpx.Response) -> str:
    found = re.search(rf"{COOKIE_NAME}=([^;]+)", response.headers.get("set-cookie", ""))
    assert found, "no session cookie was set"
    return found.group(1)


def signed_in(app: FastAPI, token: str) -> bool:
    probe = TestClient(app)
    probe.cookies.set(COOKIE_NAME, token)
    return probe.get("/office", follow_redirects=False).status_code == 200


def actions(db_engine: Engine) -> list[tuple[str, str, str]]:
    with session_factory(db_engine)() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.action, e.actor, e.entity_id) for e in rows]


def test_an_attacker_cannot_keep_a_known_account_locked(app: FastAPI, db_engine: Engine) -> None:
    """Five guesses lock the account for fifteen minutes; the attacker's address is refused
    (429, no password checked) after ten, for ever longer; the owner signs in from their own
    address once the lock has ended by itself."""
    frozen = clock.FrozenClock(START)
    attacker, owner = TestClient(app, client=ATTACKER), TestClient(app, client=OWNER)
    with clock.use(frozen, process_wide=True):
        answers = [sign_in(attacker, "office", "guess-number-x").status_code for _ in range(10)]
        assert answers == [401] * 10
        assert sign_in(owner, "office").status_code == 401  # locked: even the right password
        blocked = sign_in(attacker, "office", "guess-number-y")
        assert blocked.status_code == 429 and "此地址登录失败次数过多" in blocked.text
        assert int(blocked.headers["retry-after"]) == 30 * 60 + 1
        frozen.advance(LOCK_DURATION)  # the lock ends by itself…
        assert sign_in(attacker, "office", "guess-number-z").status_code == 429  # …not the block
        assert sign_in(owner, "office").status_code == 303  # the right password works again
        frozen.advance(timedelta(minutes=15))  # the block ends: the next one lasts twice as long
        for _ in range(throttle.MAX_FAILURES):
            sign_in(attacker, "office", "guess-number-w")
        again = sign_in(attacker, "office", "guess-number-v")
        assert again.status_code == 429 and int(again.headers["retry-after"]) == 60 * 60 + 1
    log = actions(db_engine)
    blocks = [entry for entry in log if entry[0] == "sign_in.address_block"]
    assert blocks == [("sign_in.address_block", "system:sign-in", ATTACKER[0])] * 2
    assert ("user.lock", "system:sign-in", "office") in log
    assert ("user.sign_in", "office", "office") in log
    assert ("user.sign_in_failed", f"address:{ATTACKER[0]}", "office") in log


def test_a_lock_survives_a_restart_and_ends_by_itself(
    app: FastAPI, db_engine: Engine, tmp_path: Path
) -> None:
    frozen = clock.FrozenClock(START)
    with clock.use(frozen, process_wide=True):
        first = TestClient(app)
        for _ in range(MAX_FAILED_LOGINS):
            sign_in(first, "office", "not-the-password")
        restarted = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
        refused = sign_in(restarted, "office")
        assert refused.status_code == 401 and "暂时锁定" in refused.text
        frozen.advance(LOCK_DURATION)
        assert sign_in(restarted, "office").status_code == 303


def test_signing_in_ends_the_session_the_browser_had(app: FastAPI) -> None:
    """Session fixation: no session id from before a sign-in is valid after it."""
    client = TestClient(app)
    before = session_cookie(sign_in(client, "office"))
    after = session_cookie(sign_in_over(client, "office"))
    assert before != after
    assert not signed_in(app, before) and signed_in(app, after)
    planted = TestClient(app)  # someone plants their own session in a shared browser
    own = session_cookie(sign_in(TestClient(app), "quliang"))
    planted.cookies.set(COOKIE_NAME, own)
    victim = session_cookie(sign_in_over(planted, "office"))
    assert signed_in(app, victim) and not signed_in(app, own)


def sign_in_over(client: TestClient, username: str) -> httpx.Response:
    """Sign in on a browser that already holds a session (the form is open to it by URL)."""
    token = client.cookies.get(COOKIE_NAME)
    client.cookies.delete(COOKIE_NAME)
    page = client.get("/login")
    if token:
        client.cookies.set(COOKIE_NAME, token)
    return client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": form_token(page.text)},
        follow_redirects=False,
    )


def test_sign_out_everywhere_and_what_else_ends_sessions(app: FastAPI, db_engine: Engine) -> None:
    desktop, phone = TestClient(app), TestClient(app)
    sign_in(desktop, "office")
    phone_token = session_cookie(sign_in(phone, "office"))
    assert signed_in(app, phone_token)
    desktop.post("/logout", data={"csrf": form_token(desktop.get("/office").text)})
    assert not signed_in(app, phone_token)  # signing out ends every session of the account
    # A password change ends the others and keeps the browser it was made in.
    sign_in(desktop, "office")
    phone_token = session_cookie(sign_in(phone, "office"))
    changed = desktop.post(
        "/account/password",
        data={
            "csrf": form_token(desktop.get("/account").text),
            "current_password": PASSWORD,
            "new_password": "新的密码-攻坚办-2026",
            "repeat_password": "新的密码-攻坚办-2026",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert not signed_in(app, phone_token)
    assert desktop.get("/office", follow_redirects=False).status_code == 200
    # An administrator ends a person's sessions, or changes their scope: the sessions end.
    township = session_cookie(sign_in(TestClient(app), "quliang"))
    admin = TestClient(app)
    sign_in(admin, "root")
    users = admin.get("/admin/users").text
    assert 'data-end-sessions="quliang"' in users and 'data-set-role="root"' not in users
    ended = admin.post(
        "/admin/users/quliang/sessions",
        data={"csrf": form_token(users), "reason": "手机遗失"},
        follow_redirects=False,
    )
    assert ended.status_code == 303 and "quliang" in admin.get("/admin/users").text
    assert not signed_in(app, township)
    township = session_cookie(sign_in(TestClient(app), "quliang"))
    moved = admin.post(
        "/admin/users/quliang/role",
        data={"csrf": form_token(users), "role": "township", "scope": "410183101"},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and not signed_in(app, township)
    own = admin.post("/admin/users/root/role", data={"csrf": form_token(users), "role": "leader"})
    assert own.status_code == 422
    log = actions(db_engine)
    assert log.count(("user.sign_out", "office", "office")) == 1
    assert ("user.password_change", "office", "office") in log
    assert ("user.sessions_end", "root", "quliang") in log
    assert ("user.role_change", "root", "quliang") in log


def test_every_cookie_is_http_only_same_site_and_secure_over_https(app: FastAPI) -> None:
    client = TestClient(app, base_url="https://testserver")
    cookies = list(client.get("/login").headers.get_list("set-cookie"))
    signing_in = sign_in(client, "root")
    assert signing_in.status_code == 303
    cookies += signing_in.headers.get_list("set-cookie")
    cookies += client.get("/lang/en?next=/", follow_redirects=False).headers.get_list("set-cookie")
    users = client.get("/admin/users").text
    unlocked = client.post(  # the flash message's cookie
        "/admin/users/office/sessions", data={"csrf": form_token(users)}, follow_redirects=False
    )
    cookies += unlocked.headers.get_list("set-cookie")
    names = {cookie.split("=", 1)[0] for cookie in cookies}
    assert {COOKIE_NAME, "lantian_login_csrf", "lantian_lang", "lantian_flash"} <= names
    for cookie in cookies:
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite", "secure"} <= flags, cookie
    plain = TestClient(app).get("/login").headers["set-cookie"]
    assert "HttpOnly" in plain and "Secure" not in plain  # a browser would drop it on http


def test_every_kind_of_response_carries_the_security_headers(app: FastAPI) -> None:
    client = TestClient(app)
    responses = {
        "page": client.get("/"),
        "sign-in": client.get("/login"),
        "redirect": client.get("/office", follow_redirects=False),
        "not found": client.get("/no-such-page"),
        "static": client.get("/static/lantian.css"),
        "api": client.get("/api/openapi.json"),
        "api error": client.get("/api/v1/no-such-thing"),
    }
    for kind, response in responses.items():
        headers = response.headers
        policy = headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, kind
        script_src = re.search(r"script-src ([^;]*)", policy)
        assert script_src and script_src.group(1) == "'self'", kind
        assert headers["x-frame-options"] == "DENY", kind
        assert headers["x-content-type-options"] == "nosniff", kind
        assert headers["referrer-policy"] == "same-origin", kind
    docs = client.get("/api/docs")
    hashes = script_hashes(docs.content)
    assert len(hashes) == 1  # Swagger UI's start-up, allowed by its hash on that page only
    assert f"script-src 'self' {hashes[0]};" in docs.headers["content-security-policy"]
    assert "unsafe-inline" not in re.search(  # type: ignore[union-attr]
        r"script-src ([^;]*)", docs.headers["content-security-policy"]
    ).group(1)


def test_no_template_carries_an_inline_script_or_handler() -> None:
    """The policy runs no inline script: data rides in ``<script type="application/json">``
    blocks (never executed), code in /static; an ``onclick="…"`` would be silently dead."""
    templates = Path(__file__).resolve().parents[2] / "src" / "lantian" / "web" / "templates"
    offending = []
    for template in sorted(templates.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offending.append(f"{template.name}: {tag}")
        offending += [f"{template.name}: {h}" for h in re.findall(r"\son[a-z]+\s*=", text)]
        offending += [f"{template.name}: {u}" for u in re.findall(r"javascript:", text)]
    assert offending == []
