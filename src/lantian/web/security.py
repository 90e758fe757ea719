"""Security headers and cookie flags on every response, and the sign-in throttle's state.

:func:`install` is the one call in :func:`lantian.web.app.create_app`. The middleware is plain
ASGI (it sees every response, the static files' and the error pages' too) and adds:

* ``Content-Security-Policy`` (:data:`CONTENT_SECURITY_POLICY`): everything from this host only,
  no inline script and no ``eval`` — the pages keep their scripts in ``/static`` and their data in
  ``<script type="application/json">`` blocks, which a browser never executes. Styles may be
  inline (``style="…"`` attributes on a few elements, and ECharts and Swagger UI set styles from
  script); images may be ``data:``/``blob:`` URLs (ECharts' "save as image"). The vendored
  ECharts needs no ``'unsafe-eval'``: its one ``new Function`` runs only when a browser has no
  ``JSON.parse``. The one page this application does not render itself, Swagger UI's
  ``/api/docs``, starts with an inline script of FastAPI's; it is allowed by its SHA-256 hash,
  computed from the page as served, on that page only;
* ``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``: no other site can frame a page and
  trick a click on it;
* ``X-Content-Type-Options: nosniff``: an uploaded file served as ``text/plain`` is never run as
  a script or a page;
* ``Referrer-Policy: same-origin``: links out of the platform do not carry its addresses (which
  name cases, areas and people);
* ``Cross-Origin-Opener-Policy: same-origin`` and a ``Permissions-Policy`` that turns off the
  microphone for every page and leaves the camera and geolocation to this site's own pages only:
  a field check records where it was made (``navigator.geolocation``) and takes its photos with
  the camera, and no framed or foreign page may ask for either.

Every ``Set-Cookie`` gets ``HttpOnly``, a ``SameSite`` (``Lax`` unless it says ``Strict``) and,
when the request came over HTTPS, ``Secure`` — whichever part of the application set it (the
session, the sign-in form's token, the language choice, the flash messages). On plain HTTP
(``make run`` on 127.0.0.1) ``Secure`` is left off, because a browser would drop the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lantian.auth.throttle import AddressThrottle

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(self)",
}

#: The page whose inline script is FastAPI's (Swagger UI's start-up), allowed by its hash.
SWAGGER_PAGE = "/api/docs"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def script_hashes(html: bytes) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for the inline scripts of a page."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def policy_for(extra_scripts: list[str] | None = None) -> str:
    if not extra_scripts:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", "script-src 'self' " + " ".join(extra_scripts)
    )


def harden_cookie(value: str, *, https: bool) -> str:
    """A ``Set-Cookie`` value with ``HttpOnly``, ``SameSite`` and (over HTTPS) ``Secure``."""
    attributes = {part.strip().split("=", 1)[0].lower() for part in value.split(";")[1:]}
    if "httponly" not in attributes:
        value += "; HttpOnly"
    if "samesite" not in attributes:
        value += "; SameSite=lax"
    if https and "secure" not in attributes:
        value += "; Secure"
    return value


class SecurityHeaders:
    """The ASGI middleware adding the headers and cookie flags above to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        if scope.get("path") == SWAGGER_PAGE:
            await self._swagger_page(scope, receive, send, https)
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                _harden(message, https, CONTENT_SECURITY_POLICY)
            await send(message)

        await self.app(scope, receive, send_hardened)

    async def _swagger_page(self, scope: Scope, receive: Receive, send: Send, https: bool) -> None:
        """Hold the (small) page until its body is complete, to hash its inline script."""
        start: Message | None = None
        body = bytearray()

        async def collect(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                _harden(start, https, policy_for(script_hashes(bytes(body))))
                await send(start)
                await send({"type": "http.response.body", "body": bytes(body)})
                return
            await send(message)

        await self.app(scope, receive, collect)


def _harden(message: Message, https: bool, policy: str) -> None:
    headers = MutableHeaders(scope=message)
    headers["Content-Security-Policy"] = policy
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    cookies = headers.getlist("set-cookie")
    if cookies:
        del headers["set-cookie"]
        for cookie in cookies:
            headers.append("set-cookie", harden_cookie(cookie, https=https))


def install(app: FastAPI) -> None:
    """Add the headers middleware and the sign-in throttle to the application."""
    app.state.sign_in_throttle = AddressThrottle()
    app.add_middleware(SecurityHeaders)
