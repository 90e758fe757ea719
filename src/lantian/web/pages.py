"""Server-rendered pages (Chinese first, English second)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lantian import __version__
from lantian.monitoring import service as monitoring

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    with request.app.state.sessions() as session:
        overview = monitoring.overview(session)
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "home.html", {"overview": overview, "version": __version__}
    )
    return response
