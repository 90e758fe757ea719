"""The monthly township assessment's page (乡镇考核, seed line 35 and task 33): the month's
ranking with each component's value and score, the total and the rank, the method published
beside it, and the same as Excel; the office tile names the bottom three of the last recorded
month. Every signed-in account sees every rank — the plan's rankings are published (通报) — and a
township finds its own row marked.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lantian import clock
from lantian.assessment import service
from lantian.assessment.components import DEFAULT_WEIGHTS
from lantian.auth.permissions import Principal
from lantian.campaign.service import PlanContext, current_plan, require_plan
from lantian.errors import ServiceError
from lantian.web import i18n
from lantian.web.access import MACHINE_ROLES, require_account
from lantian.web.rendering import render
from lantian.web.tiles import Tile, register_tile

router = APIRouter(include_in_schema=False)
PATH = "/assessment"


def _context(session: Session) -> PlanContext:
    return require_plan(session)


@router.get(PATH, response_class=HTMLResponse)
def assessment_page(
    request: Request, month: str | None = None, who: Principal = Depends(require_account)
) -> Response:
    """The month's ranking (default: last month), its components and the method."""
    error = None
    try:
        first = service.parse_month(month) if month else service.last_complete_month()
    except ServiceError as refused:
        error = i18n.request_localize(request, refused.message)
        first = service.last_complete_month()
    zh = i18n.language_of(request) == "zh"
    with request.app.state.sessions() as session:
        context = _context(session)
        result = service.assessment_for(session, context, first)
        names = {code: context.reporter_name("area", code) for code in context.areas}
    components = [
        {
            "key": c.key,
            "label": c.label_zh if zh else c.label_en,
            "weight": c.weight,
            "better": c.better,
            "unit": c.unit,
            "method": c.method_zh if zh else c.method_en,
        }
        for c in result.components
    ]
    page: dict[str, Any] = {
        "month": f"{first:%Y-%m}",
        "result": result,
        "components": components,
        "names": names,
        "own_area": who.scope if who.role == "township" else None,
        "method": service.METHOD_ZH if zh else service.METHOD_EN,
        "pending": sorted(set(DEFAULT_WEIGHTS) - {c.key for c in result.components}),
        "xlsx_url": f"{PATH}.xlsx?month={first:%Y-%m}",
        "error": error,
    }
    return render(request, "assessment.html", page, 422 if error else 200)


@router.get(PATH + ".xlsx")
def assessment_download(
    request: Request, month: str | None = None, who: Principal = Depends(require_account)
) -> Response:
    """The same ranking and method as an Excel file."""
    first = service.parse_month(month) if month else service.last_complete_month()
    with request.app.state.sessions() as session:
        context = _context(session)
        data = service.assessment_workbook(service.assessment_for(session, context, first), context)
    name = f"乡镇考核排名-{first:%Y-%m}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="assessment-{first:%Y-%m}.xlsx"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )


@register_tile
def assessment_tile(session: Session, who: Principal) -> Tile | None:
    """The office page's tile: the bottom three townships of the last recorded month (a recorded
    ranking only: computing one live on every dashboard view would read a month of data)."""
    if who.role in MACHINE_ROLES or who.is_public:
        return None
    context = current_plan(session)
    if context is None:
        return None
    month = service.latest_recorded_month(session, context)
    if month is None or month > clock.today():
        return None
    result = service.recorded_assessment(session, context, month)
    if result is None or not result.ranked:
        return None
    bottom = result.bottom(3)
    zh_names = "、".join(context.reporter_name("area", r.area_code) for r in bottom)
    return Tile(
        key="assessment-bottom",
        label_zh=f"乡镇考核排名后三位（{month:%Y-%m}）",
        label_en=f"Township assessment: bottom three ({month:%Y-%m})",
        value=zh_names,
        detail_zh=f"共 {len(result.ranked)} 个乡镇（街道）参与排名",
        detail_en=f"{len(result.ranked)} townships and sub-districts ranked",
        href=f"{PATH}?month={month:%Y-%m}",
        tone="warn",
    )
