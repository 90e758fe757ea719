"""`/api/v1/monitoring`: stations and data-quality figures."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import InputError
from lantian.monitoring.quality import (
    DEFAULT_RATE_TARGET,
    Coverage,
    source_transmission_rates,
    transmission_rates,
)
from lantian.monitoring.stations import (
    StationInput,
    known_areas,
    measurements_page,
    register_station,
    stations_page,
)
from lantian.web.access import require_api_writer
from lantian.web.api.pagination import Limit, Offset, Page
from lantian.web.plan_state import current_plan

router = APIRouter(prefix="/api/v1/monitoring", tags=["monitoring 监测"])
MAX_SPAN_DAYS = 400
#: The days a report may name. A day near the calendar's ends has China midnights that no UTC
#: instant can hold (0001-01-01 00:00+08:00): it raised OverflowError, a server error the API
#: fuzzing found (tests/web/test_api_fuzz_findings.py). No monitoring data is that old or new.
FIRST_REPORT_DAY = date(1900, 1, 1)
LAST_REPORT_DAY = date(2999, 12, 31)


class StationOut(BaseModel):
    code: str
    name: str
    city: str
    tier: str
    status: str
    area_code: str | None
    longitude: float | None
    latitude: float | None
    is_background: bool
    pollutants: list[str]
    reporting_interval_s: int


class MeasurementOut(BaseModel):
    """One value as received (raw; reviews do not change it)."""

    id: int
    station: str
    pollutant: str
    averaging: str
    period_end: datetime = Field(description="end of the averaging period (UTC)")
    value: float
    flag: str
    source: str


class CoverageOut(BaseModel):
    """Coverage of one period: expected / received / valid hours and the rates."""

    period_start: date
    expected_hours: int
    received_hours: int
    valid_hours: int
    upload_rate: float = Field(description="上传率 received ÷ expected")
    valid_rate: float = Field(description="数据传输有效率 valid ÷ expected")
    meets_target: bool = Field(
        description="the judged rate at or above the target (plan: 90 %): a station's upload rate "
        "(seed task 1), a stack's valid-transmission rate (task 33)"
    )


class RateOut(CoverageOut):
    station_code: str
    station_name: str


class SourceRateOut(CoverageOut):
    mn: str
    source_code: str
    name: str


def _coverage(row: Coverage) -> dict[str, object]:
    """A coverage row's fields for the API, rates rounded to four decimals."""
    return {
        **{f.name: getattr(row, f.name) for f in fields(row) if f.name != "target"},
        "upload_rate": round(row.upload_rate, 4),
        "valid_rate": round(row.valid_rate, 4),
        "meets_target": row.meets_target,
    }


# The query parameters the two transmission-rate reports share.
FirstDay = Annotated[date, Query(description="first day (China time)")]
LastDay = Annotated[date, Query(description="last day, inclusive")]
RatePeriod = Literal["day", "month"]
RateTarget = Annotated[float, Query(ge=0, le=1)]


def _check_span(start: date, end: date) -> None:
    for day in (start, end):
        if not FIRST_REPORT_DAY <= day <= LAST_REPORT_DAY:
            raise InputError(
                f"日期 {day} 超出 {FIRST_REPORT_DAY}–{LAST_REPORT_DAY} / day {day} lies outside "
                f"{FIRST_REPORT_DAY} to {LAST_REPORT_DAY}"
            )
    if end < start:
        raise InputError(f"end {end} 早于 start {start} / end is before start")
    if (end - start).days >= MAX_SPAN_DAYS:
        raise InputError(f"时间跨度超过 {MAX_SPAN_DAYS} 天 / span longer than {MAX_SPAN_DAYS} days")


@router.get("/stations", response_model=Page[StationOut], summary="监测站点 / stations")
def list_stations(request: Request, limit: Limit = 100, offset: Offset = 0) -> Page[StationOut]:
    with request.app.state.sessions() as session:
        stations, total = stations_page(session, limit, offset)
        items = [StationOut.model_validate(s, from_attributes=True) for s in stations]
    return Page[StationOut].of(items, total, limit, offset)


def station_areas(request: Request) -> dict[str, str]:
    """The area codes a station may name (the plan's and the boundaries'), read once per app."""
    cached: dict[str, str] | None = getattr(request.app.state, "station_areas", None)
    if cached is None:
        cached = known_areas(current_plan(request))
        request.app.state.station_areas = cached
    return cached


@router.post(
    "/stations", response_model=StationOut, status_code=201, summary="登记站点 / register a station"
)
def post_station(
    request: Request, body: StationInput, who: Principal = Depends(require_api_writer)
) -> StationOut:
    """Register a new station (audited): 409 for a code already registered, 422 for an unknown
    area code, 403 unless the account may write stations."""
    with transaction(request.app.state.sessions) as session:
        row = register_station(session, who, body, station_areas(request))
        return StationOut.model_validate(row, from_attributes=True)


@router.get(
    "/measurements", response_model=Page[MeasurementOut], summary="监测数据 / raw measurements"
)
def list_measurements(
    request: Request,
    station: str = Query(description="station code"),
    start: datetime = Query(description="period ends after this instant (ISO 8601 with zone)"),
    end: datetime = Query(description="period ends at or before this instant"),
    pollutant: str | None = Query(default=None, description="so2, no2, pm10, pm2_5, co, o3, …"),
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[MeasurementOut]:
    if start.tzinfo is None or end.tzinfo is None:
        raise InputError(
            "start/end 需要时区，例如 +08:00 / start and end need a time zone, e.g. +08:00"
        )
    _check_span(start.date(), end.date())
    with request.app.state.sessions() as session:
        rows, total = measurements_page(session, station, start, end, pollutant, limit, offset)
    items = [
        MeasurementOut(
            id=m.id,
            station=code,
            pollutant=m.pollutant,
            averaging=m.averaging,
            period_end=m.period_end,
            value=m.value,
            flag=m.flag,
            source=m.source,
        )
        for m, code in rows
    ]
    return Page[MeasurementOut].of(items, total, limit, offset)


@router.get(
    "/transmission-rates",
    response_model=list[RateOut],
    summary="上传率与数据传输有效率 / upload and valid-transmission rates",
)
def get_transmission_rates(
    request: Request,
    start: FirstDay,
    end: LastDay,
    period: RatePeriod = "day",
    station: list[str] | None = Query(default=None, description="station codes (default: all)"),
    target: RateTarget = DEFAULT_RATE_TARGET,
) -> list[RateOut]:
    _check_span(start, end)
    with request.app.state.sessions() as session:
        rows = transmission_rates(session, start, end, period, station, target)
    return [RateOut.model_validate(_coverage(row)) for row in rows]


@router.get(
    "/source-transmission-rates",
    response_model=list[SourceRateOut],
    summary="污染源上传率与数据传输有效率 / stack upload and valid-transmission rates",
)
def get_source_transmission_rates(
    request: Request,
    start: FirstDay,
    end: LastDay,
    period: RatePeriod = "day",
    target: RateTarget = DEFAULT_RATE_TARGET,
) -> list[SourceRateOut]:
    _check_span(start, end)
    with request.app.state.sessions() as session:
        rows = source_transmission_rates(session, start, end, period, target)
    return [SourceRateOut.model_validate(_coverage(row)) for row in rows]
