"""Who is asking: the session cookie read into a principal, and the CSRF token of its forms.

Sessions and CSRF tokens come from :mod:`lantian.auth.sessions`; this module only connects them to
requests. Pages that need an account redirect to the sign-in page; the public pages need none.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse

from lantian import clock
from lantian.auth.permissions import PUBLIC, Principal
from lantian.auth.service import authenticate_token, principal_of_session
from lantian.auth.sessions import (
    COOKIE_NAME,
    InvalidSession,
    SessionSigner,
    csrf_token,
    verify_csrf,
)
from lantian.errors import NotAllowed

#: The sign-in form has no session yet: its CSRF token is a random value in a cookie of its own
#: that the form must echo (double submit; the cookie is SameSite=Strict and HttpOnly).
LOGIN_CSRF_COOKIE = "lantian_login_csrf"


#: Accounts of machines, not people: they use the protocols, never the pages.
MACHINE_ROLES = frozenset({"device"})


class LoginRequired(Exception):
    """Raised by pages that need an account; the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class PasswordChangeRequired(Exception):
    """Raised by pages while the account must change its reset password; answered with a
    redirect to the password form."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


#: Raised by pages when the signed-in account may not see or do this; answered with 403 by the
#: one mapping of the error taxonomy (:mod:`lantian.web.app`).
Forbidden = NotAllowed


def signer(request: Request) -> SessionSigner:
    found: SessionSigner = request.app.state.session_signer
    return found


class InvalidToken(Exception):
    """An ``Authorization: Bearer`` header with a token that is unknown, revoked or expired."""


def principal(request: Request) -> Principal:
    """Who asks: a machine client's API token (``Authorization: Bearer lt_…``), else the
    signed-in account of the session cookie, else the anonymous public.

    A token that does not authenticate is an error (401), not a fall-back to the public: a
    client with a broken token must learn it, not silently get less data.
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    with request.app.state.sessions() as session:
        if scheme.lower() == "bearer":
            with session.begin():
                found = authenticate_token(session, credentials.strip(), clock.now())
            if found is None:
                raise InvalidToken()
        else:
            found = principal_of_session(session, signer(request), request.cookies.get(COOKIE_NAME))
    request.state.principal = found or PUBLIC
    return request.state.principal  # type: ignore[no-any-return]


def require_account(request: Request) -> Principal:
    """A page dependency: the signed-in principal, or a redirect to the sign-in page."""
    who = principal(request)
    if who.is_public:
        raise LoginRequired(request.url.path)
    if who.role in MACHINE_ROLES:
        raise Forbidden(
            "设备账户只用于报送 HJ 212 数据，不能使用工作页面 / a device account only submits "
            "HJ 212 data; it cannot use the office pages"
        )
    if who.must_change_password:
        raise PasswordChangeRequired(request.url.path)
    return who


def require_signed_in(request: Request) -> Principal:
    """Like :func:`require_account`, but lets an account that must change its password through
    (the password form itself)."""
    who = principal(request)
    if who.is_public:
        raise LoginRequired(request.url.path)
    if who.role in MACHINE_ROLES:
        raise Forbidden("设备账户不能使用工作页面 / a device account cannot use the pages")
    return who


def session_csrf(request: Request) -> str:
    """The CSRF token the forms of this session carry ('' for the public)."""
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        return ""
    try:
        claims = signer(request).read(token)
    except InvalidSession:
        return ""
    return csrf_token(request.app.state.secret_key, claims.session_id)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def login_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(next_path)}", status_code=303)


def safe_next(next_path: str | None) -> str:
    """Only local paths: an open redirect would let a link send people elsewhere after sign-in."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//"):
        return next_path
    # The landing page: the overview for leaders and the office, the dashboard for the others.
    return "/start"


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a signed-in form post whose CSRF token is missing or wrong (403)."""
    cookie = request.cookies.get(COOKIE_NAME)
    try:
        claims = signer(request).read(cookie) if cookie else None
    except InvalidSession:
        claims = None
    if claims is None or not verify_csrf(request.app.state.secret_key, claims.session_id, token):
        raise Forbidden(
            "缺少或错误的表单令牌，请刷新页面后重试 / missing or wrong form token (CSRF); reload the page and try again"
        )


def _is_bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


async def require_csrf(request: Request) -> None:
    """The one CSRF dependency of every write (``dependencies=[Depends(require_csrf)]``).

    A request with an API token needs none: no cookie rides along with it. The public has no
    session to abuse (the route's account dependency answers it). Any other request carries the
    session's token, in the ``X-CSRF-Token`` header (JSON clients) or the form field ``csrf``.
    """
    if _is_bearer(request) or principal(request).is_public:
        return
    token = request.headers.get("x-csrf-token")
    if token is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get("csrf")
        token = field if isinstance(field, str) else None
    check_csrf(request, token)


def require_api_account(request: Request, what: str = "use this API") -> Principal:
    """For JSON endpoints that are not public: a person's session or a machine client's token
    (401 otherwise); device accounts, which only submit HJ 212 data, are refused (403)."""
    who = principal(request)  # a bad token is a 401 already
    if who.is_public:
        raise HTTPException(401, f"需要登录或 API 令牌 / sign in or send an API token to {what}")
    if who.role in MACHINE_ROLES:
        raise NotAllowed("设备账户只报送 HJ 212 数据 / a device account only submits HJ 212 data")
    return who


def require_api_writer(request: Request, _csrf: None = Depends(require_csrf)) -> Principal:
    """For JSON endpoints that change things: the one CSRF check (:func:`require_csrf`, an API
    token needs none), then :func:`require_api_account`."""
    return require_api_account(request, "write")
