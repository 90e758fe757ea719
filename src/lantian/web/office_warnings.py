"""The office's warning page (sign-in required): the engine's proposal and the decision form.

The engine proposes with its reasons; the person decides (issue, upgrade, downgrade, lift) with a
reason of their own; the decision is role-checked and audited by the service, and its notice is
sent by e-mail and webhook after it is committed (issue 7, seed task 40).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from lantian import __version__
from lantian.auth.permissions import Principal, can, resource
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed, NotFound
from lantian.files import upload_read_limit
from lantian.language import gettext
from lantian.warnings.linkage import plan_adjacency
from lantian.warnings.notify import NotifySettings
from lantian.warnings.regional import LinkageOutlook, adoption, linkage_snapshot, regional_outlook
from lantian.warnings.service import (
    active_warning,
    assess_now,
    decide_and_notify,
    import_forecasts,
    list_decisions,
    proposal_snapshot,
)
from lantian.web.access import require_account, require_csrf
from lantian.web.api.warnings import plan_rules
from lantian.web.plan_state import current_plan
from lantian.web.rendering import BLANK_FORM, FilledForm, filled_form, flash, render
from lantian.web.warning_pages import area_names, areas_describer

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    who: Principal,
    error: str = "",
    status: int = 200,
    filled: FilledForm = BLANK_FORM,
    adopt: str = "",
) -> HTMLResponse:
    rules = plan_rules(request)
    adjacency = plan_adjacency(current_plan(request))
    townships = sorted(adjacency.names.items())
    live = None
    live_error = ""
    with request.app.state.sessions() as session:
        warning = active_warning(session, rules, rules.city_code, area_names(request))
        decisions = list_decisions(session, 20, 0)
        linkage = _linkage(request, session)
        try:
            live = assess_now(session, rules, rules.observed_city or "", scope=rules.city_code)
        except (Invalid, NotFound) as exc:
            # No stations or no data yet: the page says so instead of the live assessment.
            live_error = str(exc)
    if adopt == "linkage" and filled is BLANK_FORM:
        # The regional linkage's proposal put into the decision form: the office reads it, may
        # preview the notice, and records it through the one decision path (seed task 42).
        fields = adoption(linkage, rules)
        if fields is None:
            error = error or gettext("The regional linkage proposes no change to adopt.")
        else:
            fields["follow_linkage"] = "1"
            filled = FilledForm(
                values={
                    name: tuple(value) if isinstance(value, list) else (str(value),)
                    for name, value in fields.items()
                }
            )
    context: dict[str, Any] = {
        "version": __version__,
        "linkage": linkage,
        "rules": rules,
        "warning": warning,
        "live": live,
        "live_error": live_error,
        "decisions": decisions,
        "describe_areas": areas_describer(request),
        "townships": townships,
        "can_write": can(who, "write", resource("warning", areas=[c for c, _ in townships])),
        "error": error,
        "filled": filled,
    }
    response: HTMLResponse = render(request, "office_warnings.html", context, status)
    return response


def _linkage(request: Request, session: Session) -> LinkageOutlook:
    """The regional linkage from the township forecasts stored, as of the clock (seed task 42)."""
    plan = current_plan(request)
    return regional_outlook(session, plan_rules(request), plan_adjacency(plan), plan.area_names())


@router.get("/office/warnings", response_class=HTMLResponse)
def warnings_page(
    request: Request, who: Principal = Depends(require_account), adopt: str = ""
) -> HTMLResponse:
    """The warning page; ``?adopt=linkage`` fills the decision form with the regional linkage's
    proposal (nothing is recorded until the office records the decision)."""
    return _page(request, who, adopt=adopt)


class WarningsDecideForm(BaseModel):
    """The fields of the form posted to ``warnings_decide`` (the CSRF token is checked apart)."""

    action: str
    level: str = ""
    areas: list[str] = Field(default_factory=list)
    reason: str = ""
    follow_proposal: str = ""
    follow_linkage: str = ""


@router.post("/office/warnings/decide", dependencies=[Depends(require_csrf)], response_model=None)
def warnings_decide(
    request: Request,
    form: Annotated[WarningsDecideForm, Form()],
    who: Principal = Depends(require_account),
) -> Response:
    rules = plan_rules(request)
    try:
        snapshot = None
        if form.follow_linkage:
            # The linkage proposal as it stands when the decision is recorded, kept with it.
            with request.app.state.sessions() as session:
                snapshot = linkage_snapshot(_linkage(request, session))
        elif form.follow_proposal:
            with request.app.state.sessions() as session:
                live = assess_now(session, rules, rules.observed_city or "", scope=rules.city_code)
            if live.assessment.proposal is not None:
                snapshot = proposal_snapshot(live.assessment.proposal)
        row, sent = decide_and_notify(
            request.app.state.sessions,
            who,
            rules,
            getattr(request.app.state, "notify_settings", None) or NotifySettings(),
            action=form.action,
            scope=rules.city_code,
            areas=form.areas,
            reason=form.reason,
            level=form.level or None,
            proposal=snapshot,
            area_names=area_names(request),
        )
    except (Invalid, NotAllowed, Conflict) as exc:
        # The page again, with the refusal and the status of its kind (422, 403, or 409 when a
        # warning is already in force or none is to change).
        if isinstance(exc, NotAllowed):
            return _page(request, who, error=exc.message, status=exc.http_status)
        # The decision form again as typed, the problem beside its field.
        filled = filled_form(request, form.model_dump(), exc, WarningsDecideForm.model_fields)
        return _page(request, who, status=exc.http_status, filled=filled)
    failed = sum(1 for s in sent if not s.ok)
    note = gettext("Decision #%(id)s recorded; notices: %(sent)s, failed: %(failed)s") % {
        "id": row.id,
        "sent": len(sent),
        "failed": failed,
    }
    if not sent:
        # Say why nothing went out (issue 14: "通知 0" alone explains nothing).
        note += " — " + gettext(
            "no recipient is configured (LANTIAN_WARNING_MAIL_TO, LANTIAN_WARNING_WEBHOOK_URLS)"
        )
    flash(request, note, "error" if failed or not sent else "ok")
    # The recorded notice, its recipients and each delivery's result.
    return RedirectResponse(f"/office/warnings/decisions/{row.id}", status_code=303)


@router.post(
    "/office/warnings/forecasts", dependencies=[Depends(require_csrf)], response_model=None
)
async def warnings_forecasts(
    request: Request,
    file: UploadFile,
    who: Principal = Depends(require_account),
) -> Response:
    try:
        text = (await file.read(upload_read_limit())).decode("utf-8")
        with transaction(request.app.state.sessions) as session:
            result = import_forecasts(session, who, text, file.filename or "forecast.csv")
    except UnicodeDecodeError:
        return _page(request, who, error="预报文件须为UTF-8 / the file must be UTF-8", status=422)
    except (Invalid, NotAllowed) as exc:
        return _page(request, who, error=exc.message, status=exc.http_status)
    note = (
        f"预报已导入 forecasts imported: +{result.new_issues} 新增 new, +{result.revisions} 修订 "
        f"revisions, {result.unchanged} 未变 unchanged"
    )
    flash(request, note)
    return RedirectResponse("/office/warnings", status_code=303)
