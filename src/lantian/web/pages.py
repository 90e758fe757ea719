"""Server-rendered pages (Chinese first, English second)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lantian import __version__
from lantian.monitoring import publication, publication_cache
from lantian.monitoring.quality import shared_grids
from lantian.monitoring.stations import get_station
from lantian.standards.aqi import level_info
from lantian.timeutil import CHINA_TZ
from lantian.web.clock_notice import freshness_context
from lantian.web.rendering import render
from lantian.web.warning_pages import warning_context

router = APIRouter(include_in_schema=False)
LEVELS = [level_info(level) for level in range(1, 7)]


def _render(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    response: HTMLResponse = render(
        request, template, {"version": __version__, "levels": LEVELS, **context}
    )
    return response


@router.get("/", response_class=HTMLResponse)
def public_realtime(request: Request) -> HTMLResponse:
    """公众实时发布页 (no login, as the plan requires): every station's newest hour."""
    with request.app.state.sessions() as session:
        overview = publication_cache.overview(session)
        rows = publication_cache.realtime_snapshot(session)
        fresh = freshness_context(request, session, cached=True)
    with_aqi = [row for row in rows if row.aqi is not None]
    points = [
        {
            "name": row.name,
            "lon": row.longitude,
            "lat": row.latitude,
            "aqi": row.aqi,
            "category": row.level.category_zh if row.level else "",
            "colour": row.level.hex if row.level else "#bbbbbb",
        }
        for row in rows
        if row.longitude is not None and row.latitude is not None
    ]
    return _render(
        request,
        "public.html",
        {
            "overview": overview,
            "rows": rows,
            "newest": max((row.hour_end for row in rows if row.hour_end), default=None),
            "worst": with_aqi[0] if with_aqi else None,
            "map_points": points,
            **fresh,
            **warning_context(request),
        },
    )


@router.get("/stations/{code}", response_class=HTMLResponse)
def station_page(request: Request, code: str) -> HTMLResponse:
    """A station: its newest hour, the last 7 days hourly, and the year's daily-AQI calendar."""
    with request.app.state.sessions() as session, shared_grids(session):
        station = get_station(session, code)
        now = next(
            (r for r in publication_cache.realtime_snapshot(session) if r.code == code), None
        )
        year = (
            now.hour_end.astimezone(CHINA_TZ).year
            if now and now.hour_end
            else publication.china_now().year
        )
        # The year first: the last week's hours are cut from its grid (shared_grids).
        daily = publication_cache.station_daily_aqi(session, code, year)
        hourly = publication_cache.station_hourly_aqi(session, code)
        fresh = freshness_context(request, session, cached=True)
    chart_data = {
        "year": year,
        "hours": [h.hour_end.astimezone(CHINA_TZ).strftime("%m-%d %H时") for h in hourly],
        "hourly_aqi": [h.aqi for h in hourly],
        "daily": [[d.day.isoformat(), d.aqi] for d in daily if d.aqi is not None],
        "levels": [
            {"max": level.aqi_max, "colour": level.hex, "name": level.category_zh}
            for level in LEVELS
        ],
    }
    return _render(
        request,
        "station.html",
        {"station": station, "now": now, "year": year, "chart_data": chart_data, **fresh},
    )
