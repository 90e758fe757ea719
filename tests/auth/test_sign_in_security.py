"""Issue 20, sign-in and sessions: every sign-in event in the audit log, sessions that end on a
role change or an administrator's word, and the per-address throttle's back-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import audit, passwords, service, throttle
from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.auth.service import LoginOutcome
from lantian.auth.sessions import SessionSigner
from lantian.db.engine import transaction
from lantian.errors import InputError

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
PASSWORD = "新密蓝天-2017冬"


def add(sessions: sessionmaker[Session], username: str, **kwargs: object) -> None:
    options: dict[str, object] = {
        "role": "campaign_office",
        "password": PASSWORD,
        "actor": "cli:root",
    }
    options.update(kwargs)
    with transaction(sessions) as session:
        service.add_user(session, username=username, now=NOW, **options)  # type: ignore[arg-type]


def login(
    sessions: sessionmaker[Session], username: str, password: str, when: datetime
) -> service.LoginResult:
    with transaction(sessions) as session:
        return service.authenticate(session, username, password, when, "198.51.100.7")


def entries(sessions: sessionmaker[Session], first: int = 0) -> list[tuple[str, str, str, object]]:
    with sessions() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > first).order_by(AuditEntry.id)
        )
        return [(e.action, e.actor, e.entity_id, e.after) for e in rows]


def test_every_sign_in_event_is_in_the_chained_audit_log(sessions: sessionmaker[Session]) -> None:
    add(sessions, "zhangsan")
    start = len(entries(sessions))
    assert login(sessions, "zhangsan", PASSWORD, NOW).ok
    assert login(sessions, "nobody", "whatever-it-is", NOW).outcome is LoginOutcome.BAD_CREDENTIALS
    for _ in range(service.MAX_FAILED_LOGINS):
        login(sessions, "zhangsan", "wrong password!", NOW)
    during = login(sessions, "zhangsan", PASSWORD, NOW + timedelta(minutes=1))
    assert during.outcome is LoginOutcome.LOCKED
    with transaction(sessions) as session:
        service.unlock(
            session, "zhangsan", actor="root", reason="本人确认", now=NOW + timedelta(minutes=2)
        )
        user = service.get_user(session, "zhangsan")
        service.logout(session, user.id, address="198.51.100.7", now=NOW)
    got = entries(sessions, start)
    address = {"address": "198.51.100.7"}
    assert got[0] == ("user.sign_in", "zhangsan", "zhangsan", address)
    assert got[1] == (
        "user.sign_in_failed", "address:198.51.100.7", "nobody",
        {**address, "outcome": "bad_credentials"},
    )  # fmt: skip
    failures = [g for g in got if g[0] == "user.sign_in_failed" and g[2] == "zhangsan"]
    assert [f[3]["outcome"] for f in failures] == [  # type: ignore[index]
        "bad_credentials", "bad_credentials", "bad_credentials", "bad_credentials", "locked",
        "locked",
    ]  # fmt: skip
    (lock,) = [g for g in got if g[0] == "user.lock"]  # once, when it began
    assert lock[1:3] == ("system:sign-in", "zhangsan")
    assert [g[0] for g in got[-2:]] == ["user.unlock", "user.sign_out"]
    with sessions() as session:
        assert audit.verify(session).intact


def test_a_role_or_scope_change_ends_the_sessions_opened_before(
    sessions: sessionmaker[Session],
) -> None:
    add(sessions, "quliang", role="township", scope="410183100")
    signer = SessionSigner("s" * 40)
    result = login(sessions, "quliang", PASSWORD, NOW)
    assert result.user is not None
    before = service.start_session(signer, result.user)

    def who(token: str) -> Principal | None:
        with sessions() as session:
            return service.principal_of_session(session, signer, token)

    assert who(before) == Principal("quliang", "township", "410183100")
    with transaction(sessions) as session:
        service.set_role(session, "quliang", "township", "410183101", actor="root", reason="调岗")
    assert who(before) is None  # a session of the old scope cannot act in the new one
    with transaction(sessions) as session:
        after = service.start_session(signer, service.get_user(session, "quliang"))
    assert who(after) == Principal("quliang", "township", "410183101")
    with transaction(sessions) as session:
        service.set_role(session, "quliang", "leader", None, actor="root")
    assert who(after) is None
    with pytest.raises(InputError, match="scope"), transaction(sessions) as session:
        service.set_role(session, "quliang", "unit", None, actor="root")
    changes = [g for g in entries(sessions) if g[0] == "user.role_change"]
    assert [(c[1], c[2], c[3]) for c in changes] == [
        ("root", "quliang", {"scope": "410183101"}),
        ("root", "quliang", {"role": "leader", "scope": None}),
    ]


def test_an_administrator_ends_every_session_of_an_account(
    sessions: sessionmaker[Session],
) -> None:
    add(sessions, "zhangsan")
    signer = SessionSigner("s" * 40)
    tokens = []
    for _ in range(2):  # a desktop and a phone
        result = login(sessions, "zhangsan", PASSWORD, NOW)
        assert result.user is not None
        tokens.append(service.start_session(signer, result.user))
    with transaction(sessions) as session:
        service.end_sessions(session, "zhangsan", actor="root", reason="手机遗失")
    with sessions() as session:
        assert all(service.principal_of_session(session, signer, t) is None for t in tokens)
    (ended,) = [g for g in entries(sessions) if g[0] == "user.sessions_end"]
    assert ended[1:3] == ("root", "zhangsan")


def test_the_address_throttle_backs_off_and_forgets() -> None:
    limiter = throttle.AddressThrottle()
    address = throttle.address_key("203.0.113.9")
    now = NOW
    blocks = []
    for _ in range(3):
        for _ in range(throttle.MAX_FAILURES - 1):
            assert limiter.failed(address, now) is None
        block = limiter.failed(address, now)
        assert block is not None and limiter.blocked_until(address, now) == block.until
        blocks.append(block.until - now)
        now = block.until  # the block ends by itself
        assert limiter.blocked_until(address, now) is None
    assert blocks == [timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)]
    # Other addresses are not touched; a day without blocks starts the back-off anew.
    assert limiter.blocked_until(throttle.address_key("203.0.113.10"), NOW) is None
    later = now + throttle.STRIKE_MEMORY + timedelta(minutes=1)
    for _ in range(throttle.MAX_FAILURES - 1):
        limiter.failed(address, later)
    again = limiter.failed(address, later)
    assert again is not None and again.until - later == throttle.FIRST_BLOCK
    # A success ends a run of failures; failures an hour apart are not a run.
    limiter.succeeded(address)
    spaced = later + timedelta(hours=1)
    for step in range(throttle.MAX_FAILURES + 2):
        assert (
            limiter.failed(
                address, spaced + step * (throttle.FAILURE_MEMORY + timedelta(seconds=1))
            )
            is None
        )


def test_the_longest_block_is_a_day_and_ipv6_counts_by_its_network() -> None:
    limiter = throttle.AddressThrottle()
    now = NOW
    lengths = []
    for _ in range(8):
        block = None
        for _ in range(throttle.MAX_FAILURES):
            block = limiter.failed("a", now)
        assert block is not None
        lengths.append(block.until - now)
        now = block.until
    assert lengths[-1] == lengths[-2] == throttle.LONGEST_BLOCK
    assert throttle.address_key("2001:db8:1:2:aaaa::1") == throttle.address_key("2001:db8:1:2::9")
    assert throttle.address_key("2001:db8:1:3::1") != throttle.address_key("2001:db8:1:2::1")
    assert throttle.address_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert throttle.address_key(None) == "unknown"
    # The host itself (a reverse proxy passing no visitor's address) is never blocked.
    for loopback in ("127.0.0.1", "::1"):
        key = throttle.address_key(loopback)
        assert not throttle.throttled(key)
        assert all(limiter.failed(key, NOW) is None for _ in range(3 * throttle.MAX_FAILURES))
        assert limiter.blocked_until(key, NOW) is None


@pytest.mark.parametrize(
    ("password", "username", "message"),
    [
        ("qwertyuiop", "zhangsan", "最常见的密码"),
        ("WoAiNi1314", "zhangsan", "most common passwords"),
        ("zhangsan2024", "zhangsan", "用户名加几个字符"),
    ],
)
def test_policy_refuses_common_passwords_and_the_name_with_a_suffix(
    password: str, username: str, message: str
) -> None:
    with pytest.raises(InputError, match=message) as refused:
        passwords.check_policy(password, username)
    assert " / " in str(refused.value)  # Chinese / English


def test_the_common_password_list_is_committed_and_every_entry_is_refused() -> None:
    listed = passwords.common_passwords()
    assert len(listed) >= 50 and "1qaz2wsx3edc" in listed
    for entry in listed:
        with pytest.raises(InputError):
            passwords.check_policy(entry, "zhangsan")
    passwords.check_policy("zhangsan-新密市城关镇", "zhangsan")  # the name inside a long phrase
