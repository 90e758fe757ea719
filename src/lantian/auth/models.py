"""Tables of accounts and the audit log: users, API tokens, the hash-chained log and its anchor.

* ``users`` — local accounts: role, scope (unit or area code), argon2id password hash, throttling
  state, and a session version that invalidates every signed session cookie when it changes;
* ``api_tokens`` — secrets for machine clients; only a SHA-256 of the secret is stored, with a
  short public prefix to find the row;
* ``audit_log`` — append-only record of every change a person makes, each entry chained to the
  one before by its hash (see :mod:`lantian.auth.audit` for the exact canonical form);
* ``audit_anchor`` — one row holding the chain's head (last id and hash, entry count), written in
  the same transaction as each entry, so that deleting the newest entries is detected too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.db.audited import Audited
from lantian.db.base import Base, CreatedAtMixin, UtcDateTime

#: Roles of stored accounts (the anonymous public is not stored: it is whoever is not signed in).
ROLES = (
    "administrator",
    "campaign_office",
    "unit",
    "township",
    "inspector",
    "leader",
    "device",
)

#: Roles whose accounts see and change only what belongs to one unit or one area, and what their
#: scope code names.
SCOPED_ROLES = {"unit": "unit code", "township": "area code"}

_BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class User(Audited, CreatedAtMixin, Base):
    """A person's (or a machine client's) local account.

    Audited: additions and changes are logged by the session hook, without the password hash and
    without the counters that signing in moves (failed logins, lock, session version).
    """

    __tablename__ = "users"
    __audit_type__ = "user"
    __audit_ignore__ = frozenset(
        {"id", "password_hash", "failed_logins", "locked_until", "session_version",
         "password_changed_at", "created_at"}
    )  # fmt: skip

    def audit_key(self, session: Session) -> str:
        return self.username

    __table_args__ = (
        CheckConstraint(
            "role IN ('administrator', 'campaign_office', 'unit', 'township', 'inspector', "
            "'leader', 'device')",
            name="role_known",
        ),
        # A scoped account without its scope would see nothing or, worse, be mistaken for unscoped.
        CheckConstraint(
            "role NOT IN ('unit', 'township') OR scope IS NOT NULL", name="scope_required"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, comment="lower case, login name")
    display_name: Mapped[str] = mapped_column(String(100), comment="显示名, e.g. 张三 (环保局)")
    role: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str | None] = mapped_column(
        String(32), comment="unit code (unit role) or area code (township role)"
    )
    password_hash: Mapped[str] = mapped_column(String(255), comment="argon2id, PHC string format")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(
        Integer, default=0, comment="consecutive failed logins since the last success or lock"
    )
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    session_version: Mapped[int] = mapped_column(
        Integer, default=1, comment="bumped on logout and password change: older sessions die"
    )


class ApiToken(Audited, CreatedAtMixin, Base):
    """A secret a machine client presents instead of a password (``lt_<prefix>_<secret>``).

    Audited by its public prefix; the secret's digest and the last use are never logged.
    """

    __tablename__ = "api_tokens"
    __audit_type__ = "api_token"
    __audit_verbs__: ClassVar[Mapping[str, str]] = {
        "add": "token.create",
        "update": "token.update",
        "remove": "token.remove",
    }
    __audit_ignore__ = frozenset({"id", "secret_sha256", "last_used_at", "created_at"})

    def audit_key(self, session: Session) -> str:
        return self.prefix

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100), comment="what the token is for")
    prefix: Mapped[str] = mapped_column(String(16), unique=True, comment="public part, for lookup")
    secret_sha256: Mapped[str] = mapped_column(String(64), comment="hex SHA-256 of the whole token")
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    """One change made by a person (or by lantian itself, actor ``system:…``), hash-chained.

    Ids are assigned by :func:`lantian.auth.audit.record` (1, 2, 3, … with no gaps) rather than by
    a sequence, because the id is part of the hashed content and a gap is itself evidence.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), comment="when (UTC)")
    actor: Mapped[str] = mapped_column(String(100), comment="username, cli:<os user> or system:…")
    action: Mapped[str] = mapped_column(String(64), comment="e.g. user.add, token.revoke")
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[Any | None] = mapped_column(JSON, comment="state before the change")
    after: Mapped[Any | None] = mapped_column(JSON, comment="state after the change")
    reason: Mapped[str | None] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(64), comment="hash of the entry before")
    hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256, hex")


class AuditAnchor(Base):
    """The head of the audit chain, rewritten with every entry (a single row, id 1)."""

    __tablename__ = "audit_anchor"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    head_id: Mapped[int] = mapped_column(_BIG_ID, comment="id of the newest entry")
    head_hash: Mapped[str] = mapped_column(String(64), comment="hash of the newest entry")
    entries: Mapped[int] = mapped_column(_BIG_ID, comment="number of entries written")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
