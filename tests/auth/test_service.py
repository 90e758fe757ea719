"""Accounts: add and validate, disable, passwords, sign-in throttling, sessions and API tokens."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import audit, passwords, service
from lantian.auth.models import ApiToken, AuditEntry, User
from lantian.auth.permissions import Principal
from lantian.auth.service import LoginOutcome
from lantian.auth.sessions import SessionSigner
from lantian.db.engine import transaction
from lantian.errors import Conflict, InputError

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
PASSWORD = "新密蓝天-2017冬"
ADMIN = "cli:root"


def add(sessions: sessionmaker[Session], username: str = "zhangsan", **kwargs: object) -> None:
    options: dict[str, object] = {"role": "campaign_office", "password": PASSWORD, "actor": ADMIN}
    options.update(kwargs)
    with transaction(sessions) as session:
        service.add_user(session, username=username, now=NOW, **options)  # type: ignore[arg-type]


def login(
    sessions: sessionmaker[Session], password: str, when: datetime, username: str = "zhangsan"
) -> service.LoginResult:
    with transaction(sessions) as session:
        return service.authenticate(session, username, password, when)


#: Security events of signing in, audited since issue 20 beside the changes these tests check.
SIGN_IN_EVENTS = ("user.sign_in", "user.sign_in_failed", "user.lock", "user.sign_out")


def audit_entries(
    sessions: sessionmaker[Session], *, sign_in_events: bool = False
) -> list[AuditEntry]:
    """The audit log in order: the changes, and the sign-in events if asked for."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if not sign_in_events:
        query = query.where(AuditEntry.action.not_in(SIGN_IN_EVENTS))
    with sessions() as session:
        return list(session.scalars(query))


def test_add_user_is_audited_without_the_password(sessions: sessionmaker[Session]) -> None:
    add(sessions, "ZhangSan", display_name="张三（攻坚办）")
    with sessions() as session:
        user = service.get_user(session, "zhangsan")
    assert user.username == "zhangsan" and user.display_name == "张三（攻坚办）"
    assert user.password_hash.startswith("$argon2id$") and user.active
    (entry,) = audit_entries(sessions)
    assert (entry.actor, entry.action, entry.entity_type, entry.entity_id) == (
        ADMIN,
        "user.add",
        "user",
        "zhangsan",
    )
    assert entry.before is None and entry.after["role"] == "campaign_office"
    stored = json.dumps([entry.before, entry.after], ensure_ascii=False)
    assert PASSWORD not in stored and "argon2" not in stored


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"role": "superuser"}, "未知角色"),
        ({"role": "township"}, "needs its scope"),
        ({"role": "unit", "scope": "  "}, "needs its scope"),
        ({"role": "leader", "scope": "410183100"}, "not scoped"),
        ({"password": "123456789012"}, "all digits"),
        ({"password": "zhangsan"}, "at least 10"),
        ({"username": "张三"}, "invalid username"),
        ({"username": "a"}, "invalid username"),
        ({"display_name": "长" * 101}, "100"),
        ({"role": "unit", "scope": "X" * 33}, "32"),
    ],
)
def test_add_user_refuses(
    sessions: sessionmaker[Session], options: dict[str, object], message: str
) -> None:
    options = dict(options)  # the parameters are shared by both backends' runs
    username = str(options.pop("username", "zhangsan"))
    with pytest.raises(InputError, match=message):
        add(sessions, username, **options)
    assert audit_entries(sessions) == []


def test_usernames_are_unique_whatever_their_case(sessions: sessionmaker[Session]) -> None:
    add(sessions, "zhangsan")
    with pytest.raises(Conflict, match="already exists"):
        add(sessions, "ZHANGSAN")


def test_scoped_accounts_keep_their_scope(sessions: sessionmaker[Session]) -> None:
    add(sessions, "quliang", role="township", scope="410183100")
    with sessions() as session:
        user = service.get_user(session, "quliang")
    assert Principal.of(user) == Principal("quliang", "township", "410183100")


def test_disable_and_enable(sessions: sessionmaker[Session]) -> None:
    add(sessions)
    with transaction(sessions) as session:
        service.set_active(session, "zhangsan", False, actor="admin", reason="调离 / transferred")
    assert login(sessions, PASSWORD, NOW).outcome is LoginOutcome.DISABLED
    assert login(sessions, "wrong password", NOW).outcome is LoginOutcome.BAD_CREDENTIALS
    with transaction(sessions) as session:
        service.set_active(session, "zhangsan", False, actor="admin")  # no change, no entry
        service.set_active(session, "zhangsan", True, actor="admin")
    assert login(sessions, PASSWORD, NOW).ok
    actions = [(e.action, e.before, e.after, e.reason) for e in audit_entries(sessions)[1:]]
    assert actions == [
        ("user.disable", {"active": True}, {"active": False}, "调离 / transferred"),
        ("user.enable", {"active": False}, {"active": True}, None),
    ]


def test_change_own_password(sessions: sessionmaker[Session]) -> None:
    add(sessions)
    later = NOW + timedelta(days=30)
    with transaction(sessions) as session, pytest.raises(InputError, match="current password"):
        service.change_password(session, "zhangsan", "not it at all", "另一个很长的密码-2018")
    with transaction(sessions) as session, pytest.raises(InputError, match="differ"):
        service.change_password(session, "zhangsan", PASSWORD, PASSWORD)
    with transaction(sessions) as session, pytest.raises(InputError, match="10"):
        service.change_password(session, "zhangsan", PASSWORD, "short")
    with transaction(sessions) as session:
        service.change_password(session, "zhangsan", PASSWORD, "另一个很长的密码-2018", now=later)
    assert not login(sessions, PASSWORD, later).ok
    assert login(sessions, "另一个很长的密码-2018", later).ok
    entry = audit_entries(sessions)[-1]
    assert (entry.actor, entry.action) == ("zhangsan", "user.password_change")
    assert entry.after == {
        "password_changed_at": "2026-12-29T08:00:00.000000Z",
        "must_change_password": False,
    }


def test_admin_reset_gives_a_temporary_password_to_change(sessions: sessionmaker[Session]) -> None:
    add(sessions)
    for _ in range(service.MAX_FAILED_LOGINS):
        login(sessions, "wrong password!", NOW)
    with transaction(sessions) as session:
        temporary = service.reset_password(session, "zhangsan", actor="admin", reason="忘记密码")
    passwords.check_policy(temporary, "zhangsan")
    result = login(sessions, temporary, NOW)  # the reset also lifts the lock
    assert result.ok and result.must_change_password
    assert not login(sessions, PASSWORD, NOW).ok
    entry = audit_entries(sessions)[-1]
    assert (entry.actor, entry.action, entry.reason) == ("admin", "user.password_reset", "忘记密码")
    assert temporary not in json.dumps(entry.after) and entry.after["must_change_password"] is True
    with transaction(sessions) as session:
        service.change_password(session, "zhangsan", temporary, "自己选的新密码-2018")
    assert not login(sessions, "自己选的新密码-2018", NOW).must_change_password


def test_five_failures_lock_for_fifteen_minutes(sessions: sessionmaker[Session]) -> None:
    add(sessions)
    for attempt in range(4):
        result = login(sessions, "wrong password!", NOW + timedelta(seconds=attempt))
        assert result.outcome is LoginOutcome.BAD_CREDENTIALS
    fifth = login(sessions, "wrong password!", NOW + timedelta(seconds=4))
    assert fifth.outcome is LoginOutcome.LOCKED
    locked_until = NOW + timedelta(seconds=4) + service.LOCK_DURATION
    assert fifth.locked_until == locked_until
    # Locked: even the right password is refused, and trying again does not extend the lock.
    during = login(sessions, PASSWORD, locked_until - timedelta(seconds=1))
    assert during.outcome is LoginOutcome.LOCKED and during.locked_until == locked_until
    assert "锁定" in during.message and "locked" in during.message
    # After the lock: the right password works and the count starts again.
    assert login(sessions, PASSWORD, locked_until).ok
    with sessions() as session:
        user = service.get_user(session, "zhangsan")
        assert (user.failed_logins, user.locked_until) == (0, None)


def test_a_success_resets_the_count(sessions: sessionmaker[Session]) -> None:
    add(sessions)
    for _ in range(4):
        login(sessions, "wrong password!", NOW)
    assert login(sessions, PASSWORD, NOW).ok
    for _ in range(4):
        assert login(sessions, "wrong password!", NOW).outcome is LoginOutcome.BAD_CREDENTIALS


def test_lock_expires_into_a_new_series(sessions: sessionmaker[Session]) -> None:
    add(sessions)
    for _ in range(5):
        login(sessions, "wrong password!", NOW)
    after_lock = NOW + service.LOCK_DURATION + timedelta(seconds=1)
    for _ in range(4):
        assert (
            login(sessions, "wrong password!", after_lock).outcome is LoginOutcome.BAD_CREDENTIALS
        )
    assert login(sessions, "wrong password!", after_lock).outcome is LoginOutcome.LOCKED


def test_parallel_guesses_are_all_counted(sessions: sessionmaker[Session]) -> None:
    add(sessions)
    barrier = threading.Barrier(8)
    outcomes: list[LoginOutcome] = []

    def guess() -> None:
        barrier.wait()
        outcomes.append(login(sessions, "wrong password!", NOW).outcome)

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 8
    # Exactly the fifth counted guess locks; the ones after it meet the lock.
    assert outcomes.count(LoginOutcome.BAD_CREDENTIALS) == 4
    assert login(sessions, PASSWORD, NOW).outcome is LoginOutcome.LOCKED


def test_unknown_users_take_as_long_and_say_the_same(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    add(sessions)
    verified: list[str] = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: verified.append(p) or real(h, p))
    unknown = login(sessions, "some password", NOW, username="nobody")
    wrong = login(sessions, "some password", NOW)
    assert unknown.outcome is wrong.outcome is LoginOutcome.BAD_CREDENTIALS
    assert unknown.message == wrong.message
    assert verified == ["some password", "some password"]  # one argon2 verification each


def test_old_hashes_are_upgraded_at_sign_in(sessions: sessionmaker[Session]) -> None:
    from argon2 import PasswordHasher, Type

    weaker = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1, type=Type.ID)
    with passwords.using_hasher(weaker):
        add(sessions)
    assert login(sessions, PASSWORD, NOW).ok
    with sessions() as session:
        stored = service.get_user(session, "zhangsan").password_hash
    assert "m=1024" in stored and not passwords.needs_rehash(stored)
    assert len(audit_entries(sessions)) == 1  # the password did not change: nothing to audit


def test_session_cookie_revoked_by_logout_password_change_and_disable(
    sessions: sessionmaker[Session],
) -> None:
    add(sessions, "quliang", role="township", scope="410183100")
    signer = SessionSigner("s" * 40)

    def sign_in() -> str:
        result = login(sessions, PASSWORD, NOW, username="quliang")
        assert result.user is not None
        return service.start_session(signer, result.user)

    def who(token: str | None) -> Principal | None:
        with sessions() as session:
            return service.principal_of_session(session, signer, token)

    first = sign_in()
    assert who(first) == Principal("quliang", "township", "410183100")
    assert who(None) is None and who("garbage") is None
    with transaction(sessions) as session:
        principal_user = service.get_user(session, "quliang")
        service.logout(session, principal_user.id)
    assert who(first) is None
    second = sign_in()
    with transaction(sessions) as session:
        service.change_password(session, "quliang", PASSWORD, "改过的密码-曲梁镇-2018")
    assert who(second) is None
    with transaction(sessions) as session:
        third = service.start_session(signer, service.get_user(session, "quliang"))
        service.set_active(session, "quliang", False, actor="admin")
    assert who(third) is None


def test_api_tokens(sessions: sessionmaker[Session]) -> None:
    add(sessions, "logger-01", role="device")
    with transaction(sessions) as session:
        row, token = service.create_token(session, "logger-01", "烟厂站数采仪", actor="admin")
    assert token.startswith(f"lt_{row.prefix}_") and len(token) > 50
    with sessions() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert token not in stored.secret_sha256 and len(stored.secret_sha256) == 64
    later = NOW + timedelta(hours=1)
    with transaction(sessions) as session:
        assert service.authenticate_token(session, token, later) == Principal("logger-01", "device")
        assert service.authenticate_token(session, token[:-1] + "x", later) is None
        assert service.authenticate_token(session, "lt_nothing_here", later) is None
        assert service.authenticate_token(session, "Bearer junk", later) is None
    with sessions() as session:
        assert session.scalars(select(ApiToken.last_used_at)).one() == later
        ((listed, owner),) = service.list_tokens(session, "logger-01")
        assert owner == "logger-01" and listed.prefix == row.prefix
    with transaction(sessions) as session:
        service.revoke_token(session, row.prefix, actor="admin", reason="设备更换")
    with transaction(sessions) as session:
        assert service.authenticate_token(session, token, later) is None
    entries = audit_entries(sessions)
    assert [e.action for e in entries] == ["user.add", "token.create", "token.revoke"]
    assert all(token not in json.dumps([e.before, e.after]) for e in entries)


def test_tokens_of_disabled_users_stop_working(sessions: sessionmaker[Session]) -> None:
    add(sessions, "logger-01", role="device")
    with transaction(sessions) as session:
        _, token = service.create_token(session, "logger-01", "test", actor="admin")
        service.set_active(session, "logger-01", False, actor="admin")
    with transaction(sessions) as session:
        assert service.authenticate_token(session, token, NOW) is None
        with pytest.raises(Conflict, match="disabled"):
            service.create_token(session, "logger-01", "again", actor="admin")


def test_every_change_chains_and_verifies(sessions: sessionmaker[Session]) -> None:
    add(sessions)
    with transaction(sessions) as session:
        service.reset_password(session, "zhangsan", actor="admin")
        service.set_active(session, "zhangsan", False, actor="admin")
    with sessions() as session:
        result = audit.verify(session)
    assert result.intact and result.entries == 3


def test_users_are_listed_by_name(sessions: sessionmaker[Session]) -> None:
    add(sessions, "wangwu")
    add(sessions, "lisi", role="leader")
    with sessions() as session:
        assert [u.username for u in service.list_users(session)] == ["lisi", "wangwu"]
        assert session.scalars(select(User.role).where(User.username == "lisi")).one() == "leader"
