"""The overview (leaders and the office), its day lists, the personal to-do list, and the landing
page after sign-in. The figures come from :mod:`lantian.overview.service`; these routes render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.campaign import service as campaign
from lantian.errors import InputError, NotAllowed
from lantian.overview import service
from lantian.standards.aqi import level_info
from lantian.supervision.groups import inspection_plan
from lantian.web.access import require_account
from lantian.web.campaign_pages import campaign_today
from lantian.web.formatting import area_names_of
from lantian.web.plan_state import current_plan
from lantian.web.rendering import render
from lantian.web.warning_pages import warning_context

router = APIRouter(include_in_schema=False)
DAY_KINDS = ("good", "heavy", "all")


def _require_overview(who: Principal) -> None:
    if not service.may_see_overview(who):
        raise NotAllowed("总览页供市领导和攻坚办使用 / the overview is for leaders and the office")


@router.get("/start")
def landing(who: Principal = Depends(require_account)) -> Response:
    """Where sign-in lands when no page was asked for: the overview for leaders and the office,
    the dashboard for everyone else."""
    return RedirectResponse(service.landing_page(who), status_code=303)


@router.get("/overview", response_class=HTMLResponse)
def overview_page(request: Request, who: Principal = Depends(require_account)) -> Response:
    _require_overview(who)
    warning = warning_context(request)["warning"]
    with request.app.state.sessions() as session:
        context = campaign.current_plan(session)
        if context is None:
            return render(request, "campaign_noplan.html", {})
        day = campaign_today(request)
        overview = service.overview_for(session, context, who, day, warning)
    page: dict[str, Any] = {
        "overview": overview,
        "warning": warning,
        "area_names": area_names_of(request),
        "levels": {n: level_info(n) for n in range(1, 7)},
    }
    return render(request, "overview.html", page)


@router.get("/overview/days", response_class=HTMLResponse)
def overview_days(
    request: Request, kind: str = "all", who: Principal = Depends(require_account)
) -> Response:
    """The campaign's days behind the overview's good-day and heavy-day figures."""
    _require_overview(who)
    if kind not in DAY_KINDS:
        raise InputError(f"kind={kind}: 应为 good、heavy 或 all / use good, heavy or all")
    with request.app.state.sessions() as session:
        context = campaign.current_plan(session)
        if context is None:
            return render(request, "campaign_noplan.html", {})
        day = campaign_today(request)
        rows = service.days_list(session, context, day, kind)
    return render(
        request,
        "overview_days.html",
        {"rows": rows, "kind": kind, "day": day, "levels": {n: level_info(n) for n in range(1, 7)}},
    )


@router.get("/todo", response_class=HTMLResponse)
def todo_page(request: Request, who: Principal = Depends(require_account)) -> Response:
    """What the signed-in account has to do: reports owed, reports to review, cases to act on,
    daily reports not yet in."""
    support = inspection_plan(current_plan(request))
    with request.app.state.sessions() as session:
        context = campaign.current_plan(session)
        day = campaign_today(request)
        todo = service.todo_list(session, context, who, day, clock.now(), support)
    return render(request, "todo.html", {"todo": todo})
