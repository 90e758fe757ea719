"""The office dashboard (sign-in required): city AQI now and over 24 hours, station ranking,
upload rates against the plan's 90 % line."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from lantian import __version__
from lantian.auth.permissions import Principal
from lantian.monitoring import publication
from lantian.monitoring.quality import DEFAULT_RATE_TARGET, transmission_rates
from lantian.standards.aqi import level_info
from lantian.timeutil import CHINA_TZ
from lantian.web.access import require_account

router = APIRouter(include_in_schema=False)


@router.get("/office", response_class=HTMLResponse)
def dashboard(request: Request, who: Principal = Depends(require_account)) -> HTMLResponse:
    with request.app.state.sessions() as session:
        city = publication.city_hourly_aqi(session)
        stations = publication.realtime_snapshot(session)
        newest = publication.newest_hour(session)
        rates = []
        if newest is not None:
            last_day = (newest.astimezone(CHINA_TZ)).date()
            rates = transmission_rates(
                session, last_day.replace(day=1), last_day, "month", None, DEFAULT_RATE_TARGET
            )
    now = next((hour for hour in reversed(city) if hour.aqi is not None), None)
    context: dict[str, Any] = {
        "version": __version__,
        "who": who,
        "city_now": now,
        "city_level": level_info(_level(now.aqi)) if now and now.aqi is not None else None,
        "stations": [row for row in stations if row.aqi is not None],
        "rates": rates,
        "target": DEFAULT_RATE_TARGET,
        "trend": {
            "hours": [h.hour_end.astimezone(CHINA_TZ).strftime("%d日%H时") for h in city],
            "aqi": [h.aqi for h in city],
        },
    }
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "office.html", context
    )
    return response


def _level(aqi: int) -> int:
    for level in range(1, 7):
        top = level_info(level).aqi_max
        if top is None or aqi <= top:
            return level
    return 6
