"""The one render helper of the pages, and flash messages carried in the session.

A page answers with :func:`render` (the template, its context, a status); a form post that
redirects says what happened with :func:`flash`, which the next page shows once — the message rides
in the signed session cookie (Starlette's ``SessionMiddleware``), never in the URL.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Request
from fastapi.responses import HTMLResponse

FLASH_KEY = "flash"
FlashKind = Literal["ok", "error"]


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """The page ``template`` with ``context`` (and what every page knows: who, CSRF, language,
    flashes — added by the app's context processor)."""
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status
    )
    return response


def flash(request: Request, message: str, kind: FlashKind = "ok") -> None:
    """Keep ``message`` for the next page this browser opens."""
    if "session" not in request.scope:  # an app without the session middleware (never in ours)
        return
    request.session.setdefault(FLASH_KEY, []).append({"kind": kind, "message": message})


def take_flashes(request: Request) -> list[dict[str, str]]:
    """The messages kept for this page, removed from the session (each is shown once)."""
    if "session" not in request.scope:
        return []
    found: list[dict[str, str]] = request.session.pop(FLASH_KEY, [])
    return found
