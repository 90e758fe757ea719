"""The warning tile for the public page and the office dashboard (issue 7), and the notice of each
decision: preview before sending, print, Word and PDF, recipients and deliveries (issue 14).

``/warnings/tile`` answers the tile as an HTML fragment (no login: the public page shows it). A page
can also render it server-side: add ``**warning_context(request)`` to the page's context and
``{% include "_warning_tile.html" %}`` inside its ``<section class="tiles">``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from lantian.auth.permissions import Principal
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.warnings.documents import notice_docx, notice_parts, notice_pdf
from lantian.warnings.models import WarningDecisionRow
from lantian.warnings.notify import NotifySettings, recipients
from lantian.warnings.service import (
    active_warning,
    decision_deliveries,
    describe_areas,
    get_decision,
    preview_decision,
)
from lantian.web.access import require_account, require_csrf
from lantian.web.api.warnings import plan_rules
from lantian.web.plan_state import current_plan
from lantian.web.rendering import render

router = APIRouter(include_in_schema=False)


def area_names(request: Request) -> dict[str, str]:
    """Township code → name of the plan the platform runs on (the areas a warning can cover)."""
    return current_plan(request).area_names()


def areas_describer(request: Request) -> Callable[[Sequence[str]], str]:
    """For templates: a decision's areas in the notice's words (「全市」 or the townships' names)."""
    names = area_names(request)
    return lambda areas: describe_areas(areas, names)


def warning_context(request: Request) -> dict[str, Any]:
    """``{"warning": ActiveWarning | None}`` for the city of the plan, its areas named."""
    rules = plan_rules(request)
    with request.app.state.sessions() as session:
        warning = active_warning(session, rules, rules.city_code, area_names(request))
    return {"warning": warning}


@router.get("/warnings/tile", response_class=HTMLResponse)
def warning_tile(request: Request) -> HTMLResponse:
    response: HTMLResponse = render(request, "_warning_tile.html", warning_context(request))
    return response


def notify_settings(request: Request) -> NotifySettings:
    return getattr(request.app.state, "notify_settings", None) or NotifySettings()


def _notice_context(request: Request, decision: WarningDecisionRow) -> dict[str, Any]:
    return {
        "decision": decision,
        "notice": notice_parts(decision.notice_text),
        "areas_text": describe_areas(decision.areas, area_names(request)),
        "area_list": [area_names(request).get(code, code) for code in sorted(decision.areas)],
        "recipients": recipients(notify_settings(request)),
    }


@router.get("/office/warnings/decisions/{decision_id}", response_class=HTMLResponse)
def decision_notice_page(
    request: Request, decision_id: int, who: Principal = Depends(require_account)
) -> HTMLResponse:
    """The notice of a recorded decision: its text (printable), downloads, recipients and the
    result of each delivery, with the reason when there was none."""
    with request.app.state.sessions() as session:
        decision = get_decision(session, decision_id)
        deliveries = decision_deliveries(session, decision_id)
        context = _notice_context(request, decision)
    context.update({"deliveries": deliveries, "preview": False, "form": None})
    response: HTMLResponse = render(request, "warning_notice.html", context)
    return response


def _download(decision: WarningDecisionRow, body: bytes, suffix: str, media: str) -> Response:
    title = notice_parts(decision.notice_text).title or "预警通知"
    name = f"{title}-{decision.id}.{suffix}"
    ascii_name = f"warning-notice-{decision.id}.{suffix}"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/office/warnings/decisions/{decision_id}/notice.docx")
def decision_notice_docx(
    request: Request, decision_id: int, who: Principal = Depends(require_account)
) -> Response:
    with request.app.state.sessions() as session:
        decision = get_decision(session, decision_id)
    media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return _download(decision, notice_docx(decision.notice_text), "docx", media)


@router.get("/office/warnings/decisions/{decision_id}/notice.pdf")
def decision_notice_pdf(
    request: Request, decision_id: int, who: Principal = Depends(require_account)
) -> Response:
    with request.app.state.sessions() as session:
        decision = get_decision(session, decision_id)
    return _download(decision, notice_pdf(decision.notice_text), "pdf", "application/pdf")


class WarningsPreviewForm(BaseModel):
    """The decision form's fields (the same as ``warnings_decide``'s), to preview its notice."""

    action: str
    level: str = ""
    areas: list[str] = Field(default_factory=list)
    reason: str = ""
    follow_proposal: str = ""
    follow_linkage: str = ""


@router.post(
    "/office/warnings/preview",
    dependencies=[Depends(require_csrf)],
    response_class=HTMLResponse,
)
def warnings_preview(
    request: Request,
    form: Annotated[WarningsPreviewForm, Form()],
    who: Principal = Depends(require_account),
) -> HTMLResponse:
    """The notice the decision form would send, before anything is recorded or sent; the page
    offers to record and send it as previewed, or to go back and change the decision."""
    rules = plan_rules(request)
    try:
        draft = preview_decision(
            request.app.state.sessions,
            who,
            rules,
            action=form.action,
            scope=rules.city_code,
            areas=form.areas,
            reason=form.reason,
            level=form.level or None,
            area_names=area_names(request),
        )
    except (Invalid, NotAllowed, Conflict) as exc:
        refused: HTMLResponse = render(
            request,
            "warning_notice.html",
            {"error": exc.message, "preview": True, "decision": None, "form": form},
            exc.http_status,
        )
        return refused
    context = _notice_context(request, draft)
    context.update({"deliveries": [], "preview": True, "form": form})
    response: HTMLResponse = render(request, "warning_notice.html", context)
    return response
