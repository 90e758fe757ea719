"""Enforcement actions' pages beyond the register's generic ones (plan safeguard 三): the monthly
statistics per issuing unit and township (page and Excel), and the public disclosure list
(处罚公示, no login) linked from the public real-time page.

The statistics lie under the register's path and are linked from its list (the kind's ``pages``);
this router is mounted before the registers' generic pages.
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
from lantian.errors import ServiceError
from lantian.penalties import disclosure, statistics
from lantian.plan import plan_in_force
from lantian.sources.kinds.enforcement_actions import ACTION_TYPES
from lantian.web import i18n
from lantian.web.access import MACHINE_ROLES, require_account
from lantian.web.plan_state import current_plan
from lantian.web.rendering import render
from lantian.web.tiles import Tile, register_tile

router = APIRouter(include_in_schema=False)
STATISTICS_PATH = "/sources/enforcement_action/statistics"
PUBLIC_PATH = "/public/penalties"


def _month(text: str | None) -> date:
    if not text:
        return clock.today().replace(day=1)
    return statistics.parse_month(text)


def _statistics(request: Request, who: Principal, month: date) -> statistics.MonthlyStatistics:
    with request.app.state.sessions() as session:
        return statistics.monthly_statistics(session, who, month, plan=current_plan(request))


@router.get(STATISTICS_PATH, response_class=HTMLResponse)
def statistics_page(
    request: Request, month: str | None = None, who: Principal = Depends(require_account)
) -> Response:
    """The month's actions per unit and per township: counts by type, fines, daily-fine days."""
    error = None
    try:
        first = _month(month)
    except ServiceError as refused:
        error = i18n.request_localize(request, refused.message)
        first = clock.today().replace(day=1)
    result = _statistics(request, who, first)
    context: dict[str, Any] = {
        "month": f"{first:%Y-%m}",
        "statistics": result,
        "action_types": ACTION_TYPES,
        "error": error,
        "xlsx_url": f"{STATISTICS_PATH}.xlsx?month={first:%Y-%m}",
    }
    return render(request, "penalties_statistics.html", context, 422 if error else 200)


@router.get(f"{STATISTICS_PATH}.xlsx")
def statistics_download(
    request: Request, month: str | None = None, who: Principal = Depends(require_account)
) -> Response:
    """The same statistics as an Excel file (one sheet per unit, one per township)."""
    first = _month(month)
    data = statistics.statistics_workbook(_statistics(request, who, first))
    name = f"行政处罚月度统计-{first:%Y-%m}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="penalties-{first:%Y-%m}.xlsx"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )


@router.get(PUBLIC_PATH, response_class=HTMLResponse)
def public_penalties(request: Request) -> Response:
    """处罚公示: the disclosed enforcement actions, for everyone (no login)."""
    with request.app.state.sessions() as session:
        rows = disclosure.disclosed_actions(session)
    return render(request, "public_penalties.html", {"rows": rows})


@register_tile
def penalties_tile(session: Session, who: Principal) -> Tile | None:
    """The office page's tile: this month's enforcement actions the account may read, and their
    fines (the statistics page behind it)."""
    if who.role in MACHINE_ROLES or who.is_public:
        return None
    first = clock.today().replace(day=1)
    month = statistics.monthly_statistics(session, who, first, plan=plan_in_force())
    total = month.total
    return Tile(
        key="penalties-month",
        label_zh="本月行政处罚",
        label_en="Enforcement actions this month",
        value=str(total.actions),
        detail_zh=f"罚没 {total.fines_total:,.0f} 元，按日计罚 {total.daily_fine_days} 天",
        detail_en=f"fines {total.fines_total:,.0f} yuan, {total.daily_fine_days} daily-fine days",
        href=f"{STATISTICS_PATH}?month={first:%Y-%m}",
    )
