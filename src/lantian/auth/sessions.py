"""Signed session tokens and CSRF tokens — pure functions, no web framework.

A session token is what the session cookie holds: the user's id, the user's *session version* at
sign-in, and a random session id, signed and time-stamped with itsdangerous. Nothing else is kept
on the server; revocation works through the version: logging out or changing the password bumps
``users.session_version``, and every token carrying an older version is refused (so logging out
signs the account out of every browser — the price of keeping no session table).

The CSRF token of a form is an HMAC of the session id under a key derived from the secret key
(the "HMAC-based synchroniser token" of the OWASP CSRF cheat sheet): a page renders it into each
form, and the POST handler checks it against the session cookie of the request. A token from
another session, or a forged one, is refused; no server-side storage is needed.

Cookie attributes for the web layer (:func:`cookie_attributes`):

* ``HttpOnly`` — scripts cannot read the cookie, so an injected script cannot steal the session;
* ``SameSite=Lax`` — the browser does not send it with cross-site POSTs (a first line against
  CSRF; the token is the second) but does with top-level links into the platform;
* ``Secure`` when the platform is served over HTTPS — never sent in clear text; left off on plain
  HTTP (``make run`` on 127.0.0.1) because browsers would drop it;
* ``Path=/``, no ``Domain`` — the cookie goes to this host only;
* ``Max-Age`` equal to the token's maximum age; the signature's time stamp enforces it server-side
  too, whatever the browser keeps.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

#: Name of the session cookie.
COOKIE_NAME = "lantian_session"
#: A working day and a half: a session opened in the morning survives to the next day's lunch.
DEFAULT_MAX_AGE_S = 36 * 3600

_SESSION_SALT = "lantian.session"
_CSRF_KEY_LABEL = b"lantian.csrf"


class InvalidSession(Exception):
    """The token is forged, damaged, expired or revoked; the request is anonymous."""


@dataclass(frozen=True)
class SessionClaims:
    user_id: int
    session_version: int
    session_id: str  # random per sign-in; what CSRF tokens are bound to
    issued_at: float  # seconds since the epoch (from the signature's time stamp)


class _ClockedSigner(TimestampSigner):
    """itsdangerous' time-stamped signer with an injectable clock (tests need to age tokens)."""

    def __init__(self, *args: Any, clock: Callable[[], float] = time.time, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class SessionSigner:
    """Issues and reads session tokens signed with the installation's secret key."""

    def __init__(
        self,
        secret_key: str,
        *,
        max_age_s: int = DEFAULT_MAX_AGE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret_key) < 32:
            raise ValueError("the session secret key must have at least 32 characters")
        self.max_age_s = max_age_s
        self._serializer = URLSafeTimedSerializer(
            secret_key,
            salt=_SESSION_SALT,
            signer=_ClockedSigner,
            signer_kwargs={
                "clock": clock,
                "key_derivation": "hmac",
                "digest_method": hashlib.sha256,
            },
        )

    def issue(self, user_id: int, session_version: int) -> str:
        """A new token for a sign-in (a fresh session id each time)."""
        return self._serializer.dumps([user_id, session_version, secrets.token_urlsafe(18)])

    def read(self, token: str) -> SessionClaims:
        """The claims of a genuine, unexpired token; :class:`InvalidSession` otherwise.

        Whether the session was revoked needs the user's current version: :func:`is_current`.
        """
        try:
            payload, signed_at = self._serializer.loads(
                token, max_age=self.max_age_s, return_timestamp=True
            )
        except SignatureExpired as error:
            raise InvalidSession("session expired / 会话已过期") from error
        except BadSignature as error:
            raise InvalidSession("session token is not genuine / 会话凭据无效") from error
        match payload:
            case [int(user_id), int(version), str(session_id)]:
                return SessionClaims(user_id, version, session_id, signed_at.timestamp())
        raise InvalidSession("session token of an unknown shape")


def is_current(claims: SessionClaims, *, user_active: bool, user_session_version: int) -> bool:
    """Whether a genuine token still stands: the account is active and nothing revoked it since."""
    return user_active and claims.session_version == user_session_version


def _csrf_key(secret_key: str) -> bytes:
    # A key of its own, so that a CSRF token can never double as a session signature or vice versa.
    return hmac.new(secret_key.encode("utf-8"), _CSRF_KEY_LABEL, hashlib.sha256).digest()


def csrf_token(secret_key: str, session_id: str) -> str:
    """The token every form of this session carries (hex HMAC-SHA256 of the session id)."""
    return hmac.new(_csrf_key(secret_key), session_id.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_csrf(secret_key: str, session_id: str, token: str | None) -> bool:
    """Whether ``token`` is this session's CSRF token (constant-time comparison)."""
    if not token:
        return False
    return hmac.compare_digest(csrf_token(secret_key, session_id), token)


def cookie_attributes(*, https: bool, max_age_s: int = DEFAULT_MAX_AGE_S) -> dict[str, Any]:
    """Keyword arguments for Starlette's ``response.set_cookie(COOKIE_NAME, token, **…)``."""
    return {
        "max_age": max_age_s,
        "path": "/",
        "httponly": True,
        "samesite": "lax",
        "secure": https,
    }
