"""Signed session tokens (tamper, expiry, revocation) and CSRF tokens bound to a session."""

from __future__ import annotations

import pytest

from lantian.auth.sessions import (
    InvalidSession,
    SessionSigner,
    cookie_attributes,
    csrf_token,
    is_current,
    verify_csrf,
)

KEY = "k" * 48
OTHER_KEY = "o" * 48


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_400_000.0

    def __call__(self) -> float:
        return self.now


def test_issue_and_read() -> None:
    signer = SessionSigner(KEY)
    claims = signer.read(signer.issue(7, 3))
    assert (claims.user_id, claims.session_version) == (7, 3)
    assert len(claims.session_id) >= 20
    assert signer.read(signer.issue(7, 3)).session_id != claims.session_id


@pytest.mark.parametrize("position", [0, 10, -1, -5])
def test_a_tampered_token_is_refused(position: int) -> None:
    signer = SessionSigner(KEY)
    token = signer.issue(7, 3)
    changed = token[position].swapcase() if token[position].isalpha() else "A"
    forged = token[:position] + changed + (token[position + 1 :] if position != -1 else "")
    assert forged != token
    with pytest.raises(InvalidSession):
        signer.read(forged)


def test_another_installations_token_is_refused() -> None:
    with pytest.raises(InvalidSession, match="not genuine"):
        SessionSigner(KEY).read(SessionSigner(OTHER_KEY).issue(7, 3))


def test_a_token_naming_another_user_cannot_be_made() -> None:
    """The payload is readable (signed, not encrypted) but changing it breaks the signature."""
    import base64
    import json

    signer = SessionSigner(KEY)
    token = signer.issue(7, 3)
    payload, rest = token.split(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data[0] = 1  # the administrator's id
    other = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=")
    with pytest.raises(InvalidSession):
        signer.read(other.decode() + "." + rest)


def test_an_expired_token_is_refused() -> None:
    clock = Clock()
    signer = SessionSigner(KEY, max_age_s=3600, clock=clock)
    token = signer.issue(7, 3)
    clock.now += 3599
    assert signer.read(token).user_id == 7
    clock.now += 2
    with pytest.raises(InvalidSession, match="expired"):
        signer.read(token)


def test_revocation_by_session_version() -> None:
    signer = SessionSigner(KEY)
    claims = signer.read(signer.issue(7, 3))
    assert is_current(claims, user_active=True, user_session_version=3)
    assert not is_current(claims, user_active=True, user_session_version=4)  # logged out
    assert not is_current(claims, user_active=False, user_session_version=3)  # disabled


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="32"):
        SessionSigner("secret")


def test_csrf_token_is_bound_to_its_session() -> None:
    signer = SessionSigner(KEY)
    mine = signer.read(signer.issue(7, 3)).session_id
    theirs = signer.read(signer.issue(8, 1)).session_id
    token = csrf_token(KEY, mine)
    assert verify_csrf(KEY, mine, token)
    assert not verify_csrf(KEY, theirs, token)  # wrong session
    assert not verify_csrf(OTHER_KEY, mine, token)  # another installation
    assert not verify_csrf(KEY, mine, token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert not verify_csrf(KEY, mine, None)
    assert not verify_csrf(KEY, mine, "")


def test_cookie_attributes() -> None:
    assert cookie_attributes(https=True, max_age_s=60) == {
        "max_age": 60,
        "path": "/",
        "httponly": True,
        "samesite": "lax",
        "secure": True,
    }
    assert cookie_attributes(https=False)["secure"] is False
