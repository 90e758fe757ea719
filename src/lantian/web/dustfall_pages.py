"""The monthly dust-fall report (降尘月报, task 1: "每月向省、郑州市环境监测站报送降尘量"): every
site's sample of the month with its GB/T 15265 dust fall and QC remark, each township's value judged
on its own against task 33's limit, and the same report as the .xlsx sent to the monitoring
stations. Read from :mod:`lantian.dustfall.service`.

Every signed-in account reads the whole report: the townships' values are what task 33 assesses
them on, published to all of them as the plan's rankings are. Mounted before the registers'
generic pages: its path lies under the samples' register.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.dustfall import method, service
from lantian.errors import ServiceError
from lantian.plan import plan_in_force
from lantian.sources.kinds import dust_fall_samples
from lantian.sources.kinds.dust_fall_sites import site_count
from lantian.web import i18n
from lantian.web.access import MACHINE_ROLES, require_account
from lantian.web.plan_state import current_plan
from lantian.web.rendering import render
from lantian.web.tiles import Tile, register_tile

router = APIRouter(include_in_schema=False)
PATH = "/sources/dust_fall_sample/report"


def _report(request: Request, month: date) -> service.MonthlyReport:
    with request.app.state.sessions() as session:
        return service.monthly_report(session, current_plan(request), month)


@router.get(PATH, response_class=HTMLResponse)
def report_page(
    request: Request, month: str | None = None, _who: Principal = Depends(require_account)
) -> Response:
    """The month's report: townships judged one by one, then every site's line."""
    error = None
    try:
        first = service.report_month(month, clock.today())
    except ServiceError as refused:
        error = i18n.request_localize(request, refused.message)
        first = service.report_month(None, clock.today())
    report = _report(request, first)
    context: dict[str, Any] = {
        "month": f"{first:%Y-%m}",
        "report": report,
        "error": error,
        "xlsx_url": f"{PATH}.xlsx?month={first:%Y-%m}",
        "clause": dust_fall_samples.CLAUSE_33,
        "clause_report": dust_fall_samples.CLAUSE_QC,
        "days": method.EXPOSURE_DAYS,
    }
    return render(request, "dust_fall_report.html", context, 422 if error else 200)


@router.get(f"{PATH}.xlsx")
def report_download(
    request: Request, month: str | None = None, _who: Principal = Depends(require_account)
) -> Response:
    """The report as the .xlsx the province's and Zhengzhou's monitoring stations receive."""
    first = service.report_month(month, clock.today())
    data = service.report_workbook(_report(request, first))
    name = f"降尘监测月报-{first:%Y-%m}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="dust-fall-{first:%Y-%m}.xlsx"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )


@register_tile
def dust_fall_tile(session: Session, who: Principal) -> Tile | None:
    """The office page's tile: last month's townships above task 33's limit, each judged on its
    own (the report behind it); none while the register holds no site."""
    if who.role in MACHINE_ROLES or who.is_public or site_count(session) == 0:
        return None
    month = service.report_month(None, clock.today())
    report = service.monthly_report(session, plan_in_force(), month)
    over = report.over
    names = "、".join(f"{t.area_name} {t.month.value:g}" for t in over if t.month.value)
    missing = sum(1 for t in report.townships if t.month.value is None)
    return Tile(
        key="dust-fall-month",
        label_zh=f"{month.month}月降尘超标乡镇",
        label_en=f"Townships above the dust-fall limit, {month:%Y-%m}",
        value=str(len(over)),
        detail_zh=(names or "无超标乡镇") + (f"；{missing} 个乡镇无有效样品" if missing else ""),
        detail_en=(names or "none above the limit")
        + (f"; {missing} townships without a valid sample" if missing else ""),
        href=f"{PATH}?month={month:%Y-%m}",
        tone="alert" if over else ("warn" if missing else "good"),
    )
