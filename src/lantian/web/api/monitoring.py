"""`/api/v1/monitoring`: stations and data-quality figures."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from lantian.errors import InputError
from lantian.monitoring.models import Station
from lantian.monitoring.quality import (
    DEFAULT_RATE_TARGET,
    Coverage,
    source_transmission_rates,
    transmission_rates,
)

router = APIRouter(prefix="/api/v1/monitoring", tags=["monitoring 监测"])
MAX_SPAN_DAYS = 400


class StationOut(BaseModel):
    code: str
    name: str
    city: str
    tier: str
    longitude: float | None
    latitude: float | None
    is_background: bool


class CoverageOut(BaseModel):
    """Coverage of one period: expected / received / valid hours and the rates."""

    period_start: date
    expected_hours: int
    received_hours: int
    valid_hours: int
    upload_rate: float = Field(description="上传率 received ÷ expected")
    valid_rate: float = Field(description="数据传输有效率 valid ÷ expected")
    meets_target: bool = Field(description="valid rate at or above the target (plan: 90 %)")


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


def _check_span(start: date, end: date) -> None:
    if end < start:
        raise InputError(f"end {end} 早于 start {start} / end is before start")
    if (end - start).days >= MAX_SPAN_DAYS:
        raise InputError(f"时间跨度超过 {MAX_SPAN_DAYS} 天 / span longer than {MAX_SPAN_DAYS} days")


@router.get("/stations", response_model=list[StationOut], summary="监测站点 / stations")
def list_stations(request: Request) -> list[StationOut]:
    with request.app.state.sessions() as session:
        stations = session.scalars(select(Station).order_by(Station.code))
        return [StationOut.model_validate(s, from_attributes=True) for s in stations]


@router.get(
    "/transmission-rates",
    response_model=list[RateOut],
    summary="上传率与数据传输有效率 / upload and valid-transmission rates",
)
def get_transmission_rates(
    request: Request,
    start: date = Query(description="first day (China time)"),
    end: date = Query(description="last day, inclusive"),
    period: Literal["day", "month"] = "day",
    station: list[str] | None = Query(default=None, description="station codes (default: all)"),
    target: float = Query(default=DEFAULT_RATE_TARGET, ge=0, le=1),
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
    start: date = Query(description="first day (China time)"),
    end: date = Query(description="last day, inclusive"),
    period: Literal["day", "month"] = "day",
    target: float = Query(default=DEFAULT_RATE_TARGET, ge=0, le=1),
) -> list[SourceRateOut]:
    _check_span(start, end)
    with request.app.state.sessions() as session:
        rows = source_transmission_rates(session, start, end, period, target)
    return [SourceRateOut.model_validate(_coverage(row)) for row in rows]
