"""The warning tile for the public page and the office dashboard (issue 7).

``/warnings/tile`` answers the tile as an HTML fragment (no login: the public page shows it). A page
can also render it server-side: add ``**warning_context(request)`` to the page's context and
``{% include "_warning_tile.html" %}`` inside its ``<section class="tiles">``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lantian.warnings.service import active_warning
from lantian.web.api.warnings import plan_rules
from lantian.web.rendering import render

router = APIRouter(include_in_schema=False)


def warning_context(request: Request) -> dict[str, Any]:
    """``{"warning": ActiveWarning | None}`` for the city of the plan."""
    rules = plan_rules(request)
    with request.app.state.sessions() as session:
        return {"warning": active_warning(session, rules, rules.city_code)}


@router.get("/warnings/tile", response_class=HTMLResponse)
def warning_tile(request: Request) -> HTMLResponse:
    response: HTMLResponse = render(request, "_warning_tile.html", warning_context(request))
    return response
