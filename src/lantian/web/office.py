"""The office dashboard (sign-in required): city AQI now and over 24 hours, station and township
ranking, upload rates against the plan's 90 % line; and each area's own page, which a township
account may open for its own area only."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from lantian.auth.permissions import Action, Principal, can, resource
from lantian.errors import NotFound
from lantian.monitoring import publication, publication_cache
from lantian.monitoring.quality import DEFAULT_RATE_TARGET, shared_grids, transmission_rates
from lantian.monitoring.ranking import AreaRank, area_ranking
from lantian.monitoring.stations import get_station, station_codes_in_area
from lantian.overview.service import ranked_plan_areas
from lantian.standards.aqi import level_info
from lantian.timeutil import CHINA_TZ
from lantian.web.access import Forbidden, require_account
from lantian.web.clock_notice import freshness_context
from lantian.web.formatting import area_names_of
from lantian.web.plan_state import current_plan
from lantian.web.rendering import render
from lantian.web.tiles import dashboard_tiles
from lantian.web.warning_pages import warning_context

router = APIRouter(include_in_schema=False)


def _month_so_far(newest_day: date) -> tuple[date, date]:
    return newest_day.replace(day=1), newest_day


@router.get("/office", response_class=HTMLResponse)
def dashboard(request: Request, who: Principal = Depends(require_account)) -> HTMLResponse:
    # The month's rates and ranking read the same measurements: once (shared_grids).
    with request.app.state.sessions() as session, shared_grids(session):
        newest = publication_cache.newest_hour(session)
        rates: list[Any] = []
        ranking: list[AreaRank] = []
        month: tuple[date, date] | None = None
        if newest is not None:
            month = _month_so_far(newest.astimezone(CHINA_TZ).date())
            rates = publication_cache.month_transmission_rates(session, *month)
            ranking = publication_cache.area_ranking(session, *month)
        # After the month: the last hours are cut from its grid when it holds them.
        city = publication_cache.city_hourly_aqi(session)
        stations = publication_cache.realtime_snapshot(session)
        tiles = dashboard_tiles(session, who)
        fresh = freshness_context(request, session, cached=True)
    plan = current_plan(request)
    plan_areas = {row.code for row in plan.areas}
    now = next((hour for hour in reversed(city) if hour.aqi is not None), None)
    context: dict[str, Any] = {
        "city_now": now,
        "city_level": level_info(_level(now.aqi)) if now and now.aqi is not None else None,
        "stations": [row for row in stations if row.aqi is not None],
        "rates": rates,
        "ranking": ranking,
        # No township of the plan ranked (the demo's data are Zhengzhou's): the page says so.
        "ranks_plan_areas": ranked_plan_areas(ranking, plan_areas),
        "plan_city": plan.plan.city if plan.plan else "",
        "tiles": tiles,
        **fresh,
        **warning_context(request),
        "area_names": area_names_of(request),
        "month": month,
        "own_area": who.scope if who.role == "township" else None,
        "target": DEFAULT_RATE_TARGET,
        "trend": {
            "hours": [h.hour_end.astimezone(CHINA_TZ).strftime("%d日%H时") for h in city],
            "aqi": [h.aqi for h in city],
        },
    }
    response: HTMLResponse = render(request, "office.html", context)
    return response


@router.get("/office/areas/{code}", response_class=HTMLResponse)
def area_page(
    request: Request, code: str, who: Principal = Depends(require_account)
) -> HTMLResponse:
    """An area's own page: its stations now, their upload rates and its place in the ranking.

    Upload and validity figures are working data of the area, not published: a township account
    sees its own area only (permission ``read`` on ``measurement`` within its area).
    """
    if not can(who, Action.READ, resource("measurement", area=code)):
        raise Forbidden(f"无权查看辖区 {code} 的数据 / you may not see the data of area {code}")
    with request.app.state.sessions() as session, shared_grids(session):
        codes = station_codes_in_area(session, code)
        if not codes and code not in area_names_of(request):
            raise NotFound(f"辖区 {code} 不存在 / no area {code}")
        newest = publication.newest_hour(session)
        rates: list[Any] = []
        rank: AreaRank | None = None
        ranked = 0
        month: tuple[date, date] | None = None
        if newest is not None and codes:
            month = _month_so_far(newest.astimezone(CHINA_TZ).date())
            # The ranking first: the area's rates and hours now are cut from its month's grid.
            ranking = area_ranking(session, *month)
            rates = transmission_rates(session, *month, "month", codes, DEFAULT_RATE_TARGET)
            ranked = sum(1 for row in ranking if row.rank is not None)
            rank = next((row for row in ranking if row.area_code == code), None)
        now = [row for row in publication_cache.realtime_snapshot(session) if row.code in codes]
        # Stations placed in the area but not reporting (planned, or no data yet) are listed too.
        reporting = {row.code for row in now}
        waiting = [get_station(session, c) for c in codes if c not in reporting]
        fresh = freshness_context(request, session)
    context = {
        **fresh,
        "code": code,
        "name": area_names_of(request).get(code, code),
        "stations": now,
        "waiting": waiting,
        "rates": rates,
        "rank": rank,
        "ranked": ranked,
        "month": month,
        "target": DEFAULT_RATE_TARGET,
    }
    response: HTMLResponse = render(request, "area.html", context)
    return response


def _level(aqi: int) -> int:
    for level in range(1, 7):
        top = level_info(level).aqi_max
        if top is None or aqi <= top:
            return level
    return 6
