"""Use cases of accounts: add, list, disable, passwords, sign-in with throttling, API tokens.

Every change goes to the audit log in the same transaction (:func:`lantian.auth.audit.record`),
with who, what, before and after — never a password, a hash or a token secret. Functions take the
caller's session and never commit: the caller's transaction decides (``db.engine.transaction``).
Functions that depend on the time take ``now`` so that throttling can be tested without waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from lantian.auth import audit, passwords
from lantian.auth.models import ROLES, SCOPED_ROLES, ApiToken, User
from lantian.auth.permissions import Principal
from lantian.auth.sessions import InvalidSession, SessionSigner, is_current
from lantian.db.audited import acting_as
from lantian.db.base import utc_now
from lantian.errors import Conflict, InputError, NotFound
from lantian.timeutil import to_china

#: Consecutive failed sign-ins after which an account is locked, and for how long.
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)

log = logging.getLogger(__name__)

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_PREFIX = "lt"  # noqa: S105 — the public prefix of API tokens (lt_…), not a secret


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _check_role_and_scope(role: str, scope: str | None) -> None:
    if role not in ROLES:
        raise InputError(
            f"未知角色 {role!r}，可选：{', '.join(ROLES)} / unknown role {role!r}; "
            f"choose one of {', '.join(ROLES)}"
        )
    if role in SCOPED_ROLES and not scope:
        raise InputError(
            f"{role} 账户必须指定范围（{SCOPED_ROLES[role]}）/ "
            f"a {role} account needs its scope: the {SCOPED_ROLES[role]} (--scope)"
        )
    if role not in SCOPED_ROLES and scope:
        raise InputError(
            f"{role} 账户不按范围限制，不能指定范围 / a {role} account is not scoped; "
            "leave the scope out"
        )


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise NotFound(f"用户 {username} 不存在 / no user {username}")
    return user


def check_new_account(
    username: str, role: str, scope: str | None, display_name: str | None
) -> tuple[str, str | None, str]:
    """Validate an account's name, role, scope and display name before anything else is asked.

    Returns the normalised username, scope and display name.
    """
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise InputError(
            f"用户名 {username!r} 无效：2–64 个小写字母、数字、点、横线或下划线，以字母或数字开头 / "
            "invalid username: 2–64 lower-case letters, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    scope = scope.strip() if scope and scope.strip() else None
    _check_role_and_scope(role, scope)
    shown_name = (display_name or "").strip() or name
    # Checked here so that both backends refuse alike (SQLite would store longer text).
    if len(shown_name) > 100 or (scope and len(scope) > 32):
        raise InputError(
            "显示名最多 100 个字符，范围代码最多 32 个字符 / "
            "the display name has at most 100 characters, the scope code at most 32"
        )
    return name, scope, shown_name


def add_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str,
    actor: str,
    scope: str | None = None,
    display_name: str | None = None,
    must_change_password: bool = False,
    now: datetime | None = None,
) -> User:
    """Create an account after checking its name, role, scope and password."""
    moment = now or utc_now()
    name, scope, shown_name = check_new_account(username, role, scope, display_name)
    passwords.check_policy(password, name)
    audit.lock_chain(session)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"用户 {name} 已存在 / user {name} already exists", field="username")
    user = User(
        username=name,
        display_name=shown_name,
        role=role,
        scope=scope,
        password_hash=passwords.hash_password(password),
        active=True,
        must_change_password=must_change_password,
        failed_logins=0,
        password_changed_at=moment,
        session_version=1,
        created_at=moment,
    )
    with acting_as(session, actor, at=moment):
        session.add(user)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def set_active(
    session: Session,
    username: str,
    active: bool,
    *,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> User:
    """Disable or enable an account; disabling also ends its sessions."""
    audit.lock_chain(session)
    user = get_user(session, username)
    if user.active == active:
        return user  # nothing changed, nothing to record
    action = "user.enable" if active else "user.disable"
    with acting_as(session, actor, action=action, reason=reason, at=now):
        user.active = active
        if not active:
            user.session_version += 1
    return user


def change_password(
    session: Session,
    username: str,
    old_password: str,
    new_password: str,
    *,
    now: datetime | None = None,
) -> User:
    """A person changes their own password: the old one is required; other sessions end."""
    moment = now or utc_now()
    audit.lock_chain(session)
    user = get_user(session, username)
    if not passwords.verify_password(user.password_hash, old_password):
        raise InputError("原密码不正确 / the current password is wrong", field="current_password")
    passwords.check_policy(new_password, user.username)
    if passwords.verify_password(user.password_hash, new_password):
        raise InputError(
            "新密码不能与原密码相同 / the new password must differ from the current one"
        )
    before = {
        "password_changed_at": user.password_changed_at,
        "must_change_password": user.must_change_password,
    }
    _store_password(user, new_password, moment, must_change=False)
    audit.record(
        session,
        user.username,
        "user.password_change",
        "user",
        user.username,
        before,
        {"password_changed_at": moment, "must_change_password": False},
        at=moment,
    )
    return user


def reset_password(
    session: Session,
    username: str,
    *,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> str:
    """An administrator's reset: a random temporary password, to be changed at next sign-in.

    Returns the temporary password — the only time it exists in clear; show it once. The reset
    also unlocks the account and ends its sessions.
    """
    moment = now or utc_now()
    audit.lock_chain(session)
    user = get_user(session, username)
    temporary = passwords.temporary_password()
    before = {
        "password_changed_at": user.password_changed_at,
        "must_change_password": user.must_change_password,
        "locked_until": user.locked_until,
    }
    _store_password(user, temporary, moment, must_change=True)
    user.failed_logins, user.locked_until = 0, None
    audit.record(
        session,
        actor,
        "user.password_reset",
        "user",
        user.username,
        before,
        {"password_changed_at": moment, "must_change_password": True, "locked_until": None},
        reason,
        at=moment,
    )
    return temporary


def unlock(
    session: Session,
    username: str,
    *,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> User:
    """An administrator ends an account's lock and its count of failed sign-ins at once (the
    person remembered the password, or the failures were not theirs). Audited as
    ``user.unlock`` with the lock before; an account neither locked nor counting is left alone.
    """
    moment = now or utc_now()
    audit.lock_chain(session)
    user = get_user(session, username)
    locked = user.locked_until is not None and user.locked_until > moment
    if not locked and not user.failed_logins:
        return user  # nothing changed, nothing to record
    before = {"locked_until": user.locked_until, "failed_logins": user.failed_logins}
    user.failed_logins, user.locked_until = 0, None
    session.flush()
    audit.record(
        session,
        actor,
        "user.unlock",
        "user",
        user.username,
        before,
        {"locked_until": None, "failed_logins": 0},
        reason,
        at=moment,
    )
    return user


def _store_password(user: User, password: str, moment: datetime, *, must_change: bool) -> None:
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = moment
    user.must_change_password = must_change
    # Every session signed in with the old password ends (a stolen cookie dies with it).
    user.session_version += 1
    user.session_version += 1  # every session opened with the old password ends


# --- signing in ---------------------------------------------------------------------------------


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"  # unknown user or wrong password: told apart to nobody
    LOCKED = "locked"
    DISABLED = "disabled"


#: What the sign-in page tells the person for each outcome. An unknown name, a wrong password
#: and a locked account read alike — one message naming the latest moment any lock of the name
#: ends, computed from the attempt's time only (docs/accounts-and-audit.md, "登录限制"): a lock's
#: real end, or a time that differs for names that exist, would tell an attacker which exist.
LOGIN_MESSAGES = {
    LoginOutcome.OK: "",
    LoginOutcome.BAD_CREDENTIALS: (
        "用户名或密码不正确。同一账户连续 {failures} 次失败将暂时锁定 {minutes} 分钟，"
        "锁定期间密码正确也不能登录；若已锁定，最迟于 {unlock} 解锁 / "
        "wrong username or password. After {failures} failures in a row an account is locked "
        "for {minutes} minutes, and even the right password is refused; if it is locked, it "
        "unlocks at the latest at {unlock}"
    ),
    LoginOutcome.DISABLED: "账户已停用，请联系管理员 / the account is disabled; ask an administrator",
}
LOGIN_MESSAGES[LoginOutcome.LOCKED] = LOGIN_MESSAGES[LoginOutcome.BAD_CREDENTIALS]


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime | None = None
    #: when the attempt was made (the unlock time in the message is counted from it)
    attempted_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is LoginOutcome.OK

    @property
    def must_change_password(self) -> bool:
        return self.user is not None and self.user.must_change_password

    @property
    def message(self) -> str:
        """What the person is told; the same words for every failed attempt made in one minute."""
        moment = self.attempted_at or utc_now()
        # Rounded up to the minute: a lock that began before this attempt ends before it.
        latest = to_china(moment + LOCK_DURATION + timedelta(seconds=59))
        return LOGIN_MESSAGES[self.outcome].format(
            failures=MAX_FAILED_LOGINS,
            minutes=int(LOCK_DURATION.total_seconds() // 60),
            unlock=f"{latest:%H:%M}",
        )


def authenticate(session: Session, username: str, password: str, now: datetime) -> LoginResult:
    """Check a sign-in, counting failures: five in a row lock the account for fifteen minutes.

    The attempt is counted *before* the password is checked, by one atomic ``UPDATE`` (a success
    then resets the count): parallel guesses cannot slip between reading and writing the count,
    and a guess whose transaction fails midway has still been counted. Every path verifies one
    argon2 hash, so that the answer takes as long for an unknown user as for a wrong password. A
    locked account is refused even with the right password (otherwise the lock would not slow
    guessing); attempts during the lock neither count nor extend it.

    Sign-in failures and locks are security events, not changes a person makes: they go to the
    application log and show on the account (``lantian users list``), not to the audit log.
    """
    name = normalise_username(username)
    not_locked = or_(User.locked_until.is_(None), User.locked_until <= now)
    session.execute(
        update(User)
        .where(User.username == name, not_locked)
        .values(failed_logins=User.failed_logins + 1),
        execution_options={"synchronize_session": False},
    )
    user = session.scalar(
        select(User).where(User.username == name).execution_options(populate_existing=True)
    )
    if user is None:
        passwords.burn_verification_time(password)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS, attempted_at=now)
    if user.locked_until is not None and user.locked_until > now:
        passwords.burn_verification_time(password)
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until, attempted_at=now)
    if not passwords.verify_password(user.password_hash, password):
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCK_DURATION
            user.failed_logins = 0  # after the lock, another full series of attempts
            log.warning(
                "account %s locked until %s after %d failed sign-ins",
                user.username,
                user.locked_until.isoformat(),
                MAX_FAILED_LOGINS,
            )
            session.flush()
            return LoginResult(
                LoginOutcome.LOCKED, locked_until=user.locked_until, attempted_at=now
            )
        return LoginResult(LoginOutcome.BAD_CREDENTIALS, attempted_at=now)
    user.failed_logins, user.locked_until = 0, None
    if passwords.needs_rehash(user.password_hash):
        # Parameters were raised since this hash was made: store the stronger one now that the
        # password is known. Not an audited change: the password stays the same.
        user.password_hash = passwords.hash_password(password)
    session.flush()
    if not user.active:
        return LoginResult(LoginOutcome.DISABLED, attempted_at=now)
    return LoginResult(LoginOutcome.OK, user)


def logout(session: Session, user_id: int) -> None:
    """End every session of the account (the session version moves on)."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_version += 1
        session.flush()


def start_session(signer: SessionSigner, user: User) -> str:
    """The session cookie's value after a successful :func:`authenticate`."""
    return signer.issue(user.id, user.session_version)


def principal_of_session(
    session: Session, signer: SessionSigner, token: str | None
) -> Principal | None:
    """The signed-in principal of a session cookie, or ``None`` (the request is anonymous)."""
    if not token:
        return None
    try:
        claims = signer.read(token)
    except InvalidSession:
        return None
    user = session.get(User, claims.user_id)
    if user is None or not is_current(
        claims, user_active=user.active, user_session_version=user.session_version
    ):
        return None
    return Principal.of(user)


# --- API tokens --------------------------------------------------------------------------------


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session, username: str, name: str, *, actor: str, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new API token for ``username``: ``lt_<prefix>_<secret>``, returned once in clear.

    The secret carries 256 random bits, so one SHA-256 (not a slow password hash) is enough: no
    dictionary can guess it. Only that digest is stored; the prefix finds the row.
    """
    moment = now or utc_now()
    if not name.strip():
        raise InputError("令牌需要名称（用途）/ a token needs a name saying what it is for")
    audit.lock_chain(session)
    user = get_user(session, username)
    if not user.active:
        raise Conflict(f"用户 {user.username} 已停用 / user {user.username} is disabled")
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=prefix,
        secret_sha256=_token_digest(token),
        created_at=moment,
    )
    with acting_as(session, actor, at=moment):
        session.add(row)
    return row, token


def list_tokens(session: Session, username: str | None = None) -> list[tuple[ApiToken, str]]:
    """Tokens (newest first) with their owner's username."""
    query = select(ApiToken, User.username).join(User, ApiToken.user_id == User.id)
    if username:
        query = query.where(User.username == normalise_username(username))
    rows = session.execute(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return [(token, owner) for token, owner in rows]


def revoke_token(
    session: Session,
    prefix: str,
    *,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> ApiToken:
    moment = now or utc_now()
    audit.lock_chain(session)
    row = session.scalar(select(ApiToken).where(ApiToken.prefix == prefix.strip()))
    if row is None:
        raise NotFound(f"令牌 {prefix} 不存在 / no token {prefix}", field="prefix")
    if row.revoked_at is not None:
        return row
    with acting_as(session, actor, action="token.revoke", reason=reason, at=moment):
        row.revoked_at = moment
    return row


def authenticate_token(session: Session, token: str, now: datetime) -> Principal | None:
    """The principal an API token stands for, or ``None`` if unknown, revoked or its user disabled."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.prefix == parts[1]))
    # Compare digests in constant time: the prefix is public, the rest must not leak by timing.
    if row is None or not hmac.compare_digest(row.secret_sha256, _token_digest(token.strip())):
        return None
    if row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = now
    session.flush()
    return Principal.of(user)
