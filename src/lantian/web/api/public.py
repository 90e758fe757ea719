"""`/api/v1/public`: what the public real-time page shows, as JSON (no login, as the plan requires)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, TypeAdapter

from lantian.monitoring import publication_cache
from lantian.monitoring.publication import StationNow
from lantian.web.formatting import pollutant_label

router = APIRouter(prefix="/api/v1/public", tags=["public 公众发布"])


class LevelOut(BaseModel):
    level: int
    category_zh: str
    category_en: str
    colour: str = Field(description="HJ 633-2012 Table 2 colour, #RRGGBB")
    health_effect_zh: str
    health_effect_en: str
    advice_zh: str
    advice_en: str


class StationNowOut(BaseModel):
    """One station's newest hour (HJ 633-2012 Table 4 real-time report)."""

    code: str
    name: str
    city: str
    longitude: float | None
    latitude: float | None
    hour_end: datetime | None = Field(description="end of the hour, e.g. 16:00 = 15:00–16:00")
    concentrations: dict[str, float | None] = Field(description="1-h values, µg/m³ (CO mg/m³)")
    pm2_5_24h: float | None
    pm10_24h: float | None
    iaqi: dict[str, int | None]
    aqi: int | None
    primary: list[str]
    level: LevelOut | None
    status: str = Field(description="provisional (实时) or audited (已审核)")


def _station_now(row: StationNow) -> StationNowOut:
    return StationNowOut(
        code=row.code,
        name=row.name,
        city=row.city,
        longitude=row.longitude,
        latitude=row.latitude,
        hour_end=row.hour_end,
        concentrations=row.concentrations,
        pm2_5_24h=row.pm2_5_24h,
        pm10_24h=row.pm10_24h,
        iaqi=row.iaqi,
        aqi=row.aqi,
        primary=[pollutant_label(p) for p in row.primary],
        level=LevelOut(
            level=row.level.level,
            category_zh=row.level.category_zh,
            category_en=row.level.category_en,
            colour=row.level.hex,
            health_effect_zh=row.level.health_effect_zh,
            health_effect_en=row.level.health_effect_en,
            advice_zh=row.level.advice_zh,
            advice_en=row.level.advice_en,
        )
        if row.level
        else None,
        status="audited" if row.audited else "provisional",
    )


_REALTIME_JSON = TypeAdapter(list[StationNowOut])


@router.get("/realtime", response_model=list[StationNowOut], summary="实时发布 / real-time AQI")
def realtime(request: Request) -> Response:
    """The JSON is made once per state of the data (:mod:`lantian.monitoring.publication_cache`);
    its ETag names that state, so a client that sends it back (If-None-Match) gets 304 until a new
    hour or a review changes it."""
    with request.app.state.sessions() as session:
        tag = publication_cache.etag(session)
        if tag is not None and tag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers={"ETag": tag})
        body = publication_cache.CACHE.get(
            session,
            "api.public.realtime",
            (),
            lambda: _REALTIME_JSON.dump_json(
                [_station_now(row) for row in publication_cache.realtime_snapshot(session)]
            ),
        )
    headers = {"ETag": tag} if tag is not None else {}
    return Response(body, media_type="application/json", headers=headers)
