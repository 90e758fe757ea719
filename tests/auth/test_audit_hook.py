"""The session hook: every change of an audited model is logged, attributed, or refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import audit, passwords
from lantian.auth.models import AuditEntry, User
from lantian.db.audited import UnattributedChange, acting_as, system_actor
from lantian.db.engine import transaction

pytestmark = pytest.mark.db

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def new_user(name: str = "lisi") -> User:
    return User(
        username=name,
        display_name="李四",
        role="campaign_office",
        password_hash=passwords.hash_password("很长的一个密码-2026冬"),
        password_changed_at=NOW,
    )


def entries(sessions: sessionmaker[Session]) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_change_with_no_actor_is_refused_and_nothing_is_written(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(UnattributedChange, match="no actor"), transaction(sessions) as session:
        session.add(new_user())
        session.flush()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
    assert entries(sessions) == []


def test_add_change_remove_are_logged_with_the_changed_columns_only(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session, acting_as(session, "wang.admin", at=NOW):
        session.add(new_user())
    with transaction(sessions) as session:
        user = session.scalars(select(User)).one()
        with acting_as(session, "wang.admin", reason="调岗 / new post"):
            user.display_name = "李四（督查组）"
            user.failed_logins = 3  # a counter no person sets: never logged
        with acting_as(session, "wang.admin"):
            user.failed_logins = 4  # nothing but ignored columns: no entry at all
        with acting_as(session, system_actor("cleanup"), action="user.purge"):
            session.delete(user)
    added, changed, removed = entries(sessions)
    assert (added.actor, added.action, added.entity_type, added.entity_id) == (
        "wang.admin", "user.add", "user", "lisi"
    )  # fmt: skip
    assert added.after["role"] == "campaign_office" and added.before is None
    assert added.at == NOW
    assert (changed.action, changed.reason) == ("user.update", "调岗 / new post")
    assert changed.before == {"display_name": "李四"}
    assert changed.after == {"display_name": "李四（督查组）"}
    assert (removed.actor, removed.action, removed.after) == ("system:cleanup", "user.purge", None)
    assert removed.before["username"] == "lisi"
    stored = json.dumps([[e.before, e.after] for e in (added, changed, removed)])
    assert "argon2" not in stored and "failed_logins" not in stored
    with sessions() as session:
        assert audit.verify(session).intact


def test_hook_and_explicit_entries_share_one_chain(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        with acting_as(session, "a"):
            session.add(new_user("a1"))
            session.add(new_user("a2"))
        audit.record(session, "a", "briefing.send", "briefing", "2026-12-03", None, {"to": 3})
        with acting_as(session, "b"):
            session.add(new_user("b1"))
    assert [e.entity_id for e in entries(sessions)] == ["a1", "a2", "2026-12-03", "b1"]
    with sessions() as session:
        result = audit.verify(session)
    assert result.intact and result.entries == 4


def test_an_explicit_domain_entry_stands_for_its_change(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session, acting_as(session, "admin"):
        session.add(new_user())
    with transaction(sessions) as session:
        user = session.scalars(select(User)).one()
        user.must_change_password = True
        audit.record(session, "admin", "user.flag", "user", "lisi", None, {"flag": True})
        with acting_as(session, "admin"):
            user.display_name = "李四二"  # a later change in the same transaction is logged
    assert [e.action for e in entries(sessions)] == ["user.add", "user.flag", "user.update"]
