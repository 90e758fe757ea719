"""The CEMS pages of task 21: the overview of every outlet (the month's valid transmission rate,
exceeding hours, unrectified cases with their daily-penalty days, the townships under listed
supervision) and one outlet's page (its judged hourly series as a chart and a table, its cases).
They only read: the judgement is :mod:`lantian.cems.judge` (job ``cems.judge``, ``lantian cems``).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.cems import judge
from lantian.errors import Invalid, NotAllowed, NotFound
from lantian.sources.kinds.stacks import LIMIT_SETS, SECTORS, Stack
from lantian.web import i18n
from lantian.web.access import require_account
from lantian.web.plan_state import current_plan
from lantian.web.rendering import render

router = APIRouter(include_in_schema=False)


def _scope(who: Principal) -> tuple[str | None, str | None]:
    """(area, unit) a township or a unit reads; the office, leaders and inspectors read all."""
    if who.role == "township":
        return who.scope, None
    if who.role == "unit":
        return None, who.scope
    return None, None


def _month(text: str | None) -> date:
    if not text:
        return clock.today().replace(day=1)
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError as error:
        raise Invalid(f"月份应为 YYYY-MM / the month must read YYYY-MM: {text!r}") from error


@router.get("/cems", response_class=HTMLResponse)
def overview_page(
    request: Request, month: str | None = None, who: Principal = Depends(require_account)
) -> Response:
    """Every outlet in scope with the month's figures, and the listed townships."""
    plan = current_plan(request)
    first = _month(month)
    area, unit = _scope(who)
    with request.app.state.sessions() as session:
        rows = judge.overview(session, plan, first, area=area, unit=unit)
        listed = [
            {"id": case.id, "title": case.title, "state": case.state, "area": case.area_code}
            for case in judge.listed_cases(session, area)
        ]
    names = plan.area_names()
    return render(
        request,
        "cems_overview.html",
        {
            "rows": rows,
            "listed": listed,
            "month": f"{first:%Y-%m}",
            "areas": names,
            "sectors": SECTORS,
            "limit_sets": LIMIT_SETS,
            "target": judge.RATE_TARGET,
            "below": sum(1 for r in rows if r.valid_rate is not None and r.valid_rate < 90),
            "exceeding": sum(1 for r in rows if r.exceeding_hours),
            "zh": i18n.language_of(request) == "zh",
        },
    )


@router.get("/cems/{outlet}", response_class=HTMLResponse)
def outlet_page(
    request: Request, outlet: str, who: Principal = Depends(require_account)
) -> Response:
    """One outlet: its judged hours (chart and table) and its exceedance cases with their days."""
    plan = current_plan(request)
    area, unit = _scope(who)
    with request.app.state.sessions() as session:
        stack = session.scalar(select(Stack).where(Stack.key == outlet))
        if stack is None:
            raise NotFound(f"没有排放口 {outlet} / no outlet {outlet}")
        if (area is not None and stack.area_code != area) or (
            unit is not None and stack.unit_code != unit
        ):
            raise NotAllowed(
                f"排放口 {outlet} 不在您的范围内 / outlet {outlet} is outside your scope"
            )
        chart = judge.series(session, plan, stack)
        panels = judge.stack_panels(session, stack)
        entry = {
            "id": stack.id,
            "key": stack.key,
            "name": stack.name,
            "area": plan.area_names().get(stack.area_code, stack.area_code),
            "sector": SECTORS.get(stack.sector, stack.sector),
            "limit_set": LIMIT_SETS.get(stack.limit_set, stack.limit_set),
            "height": stack.height_m,
            "mn": stack.device_mn,
            "credit_code": stack.credit_code,
        }
    return render(
        request,
        "cems_outlet.html",
        {
            "entry": entry,
            "chart": chart,
            "panels": panels,
            "zh": i18n.language_of(request) == "zh",
        },
    )
