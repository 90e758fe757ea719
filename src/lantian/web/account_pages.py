"""Sign-in and sign-out pages (CSRF-protected forms, throttled sign-in, secure cookies)."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from lantian import __version__, clock
from lantian.auth import service as accounts
from lantian.auth.sessions import (
    COOKIE_NAME,
    InvalidSession,
    SessionClaims,
    cookie_attributes,
)
from lantian.auth.throttle import AddressThrottle, address_key
from lantian.db.engine import transaction
from lantian.timeutil import to_china
from lantian.web import i18n
from lantian.web.access import (
    LOGIN_CSRF_COOKIE,
    new_login_csrf,
    principal,
    require_csrf,
    safe_next,
    signer,
)
from lantian.web.rendering import render

router = APIRouter(include_in_schema=False)


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(
    request: Request, next_path: str, message: str = "", status_code: int = 200
) -> HTMLResponse:
    token = new_login_csrf()
    context: dict[str, Any] = {
        "version": __version__,
        "next": next_path,
        "message": i18n.localize(message, i18n.language_of(request)),
        "login_csrf": token,
    }
    response: HTMLResponse = render(request, "login.html", context, status_code)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=_https(request),
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    if not principal(request).is_public:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


class LoginForm(BaseModel):
    """The sign-in form; its ``csrf`` is the double-submit token of the login cookie (there is no
    session yet for :func:`~lantian.web.access.require_csrf` to check against)."""

    username: str = ""
    password: str = ""
    csrf: str = ""
    next: str = "/office"


def client_address(request: Request) -> str:
    """The address the sign-in throttle counts (see :mod:`lantian.auth.throttle`)."""
    return address_key(request.client.host if request.client else None)


def _throttle(request: Request) -> AddressThrottle:
    found: AddressThrottle = request.app.state.sign_in_throttle
    return found


def _previous_session(request: Request) -> SessionClaims | None:
    """The claims of a genuine session cookie the sign-in request carries, if any."""
    token = request.cookies.get(COOKIE_NAME)
    try:
        return signer(request).read(token) if token else None
    except InvalidSession:
        return None


@router.post("/login", response_class=HTMLResponse)
def login_submit(request: Request, form: Annotated[LoginForm, Form()]) -> Response:
    """Sign in: the address throttle first (429 while it refuses the address, no password is
    checked), then the account's check and lock; a success opens a new session and ends the one
    the browser had before (no session survives a sign-in: session fixation)."""
    username, password, next = form.username, form.password, form.next
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, form.csrf):
        return _login_page(
            request,
            safe_next(next),
            "表单已过期，请重新提交 / the form has expired; please submit it again",
            403,
        )
    address, now = client_address(request), clock.now()
    blocked_until = _throttle(request).blocked_until(address, now)
    if blocked_until is not None:
        refused = _login_page(request, safe_next(next), _blocked_message(blocked_until), 429)
        refused.headers["Retry-After"] = str(int((blocked_until - now).total_seconds()) + 1)
        return refused
    previous = _previous_session(request)
    with transaction(request.app.state.sessions) as session:
        result = accounts.authenticate(session, username, password, now, address)
        token = None
        if result.ok and result.user:
            if previous is not None:
                accounts.end_previous_session(session, previous, address=address, now=now)
                session.refresh(result.user)
            token = accounts.start_session(signer(request), result.user)
            _throttle(request).succeeded(address)
        else:
            block = _throttle(request).failed(address, now)
            if block is not None:
                accounts.record_address_block(session, address, block.until, block.strikes, now)
    if token is None:
        return _login_page(request, safe_next(next), result.message, 401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(COOKIE_NAME, token, **cookie_attributes(https=_https(request)))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _blocked_message(until: datetime) -> str:
    return (
        f"此地址登录失败次数过多，请于 {to_china(until):%H:%M} 后再试 / too many failed sign-ins "
        f"from this address; try again after {to_china(until):%H:%M}"
    )


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    """Sign out: every session of the account ends (its session version moves on)."""
    token = request.cookies.get(COOKIE_NAME)
    who = principal(request)
    if token and not who.is_public:
        claims = signer(request).read(token)
        with transaction(request.app.state.sessions) as session:
            accounts.logout(session, claims.user_id, address=client_address(request))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response
