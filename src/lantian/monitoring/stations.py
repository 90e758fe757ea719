"""Registering a monitoring station (登记监测点位): the one write path of the station registry.

Every face — the office page, ``POST /api/v1/monitoring/stations``, ``lantian stations add`` and
each row of ``lantian import stations`` — parses its input into :class:`StationInput` and calls
:func:`register_station`, which checks the permission table, the area code against the plan's and
the boundaries' areas, and the code against the stations already registered, then writes the
station; its audit entry is written by the session hook (:mod:`lantian.db.audited`). So the four faces produce the same audit entry and, for the same bad
input, the same error of the taxonomy (:mod:`lantian.errors`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.auth.permissions import Action, Principal, can, resource
from lantian.db.audited import acting_as
from lantian.errors import Conflict, Invalid, NotAllowed, NotFound, ServiceError
from lantian.monitoring.areas import area_names, read_boundaries
from lantian.monitoring.models import POLLUTANTS, Measurement, Station
from lantian.monitoring.registry import read_station_registry
from lantian.plan import Plan

#: The audit action of a registration (the same from every face).
AUDIT_ACTION = "station.register"


class StationInput(BaseModel):
    """A station as a person or a file gives it; unknown keys and wrong types are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=32, description="监测点编码, e.g. XM-T100")
    name: str = Field(min_length=1, max_length=100)
    city: str = Field(min_length=1, max_length=50)
    tier: Literal["national", "provincial", "township", "micro"]
    area_code: str | None = Field(None, description="乡镇/街道 code of the plan or boundaries")
    longitude: float | None = Field(None, ge=-180.0, le=180.0)
    latitude: float | None = Field(None, ge=-90.0, le=90.0)
    status: Literal["planned", "operating", "retired"] = "operating"
    pollutants: list[str] = Field(default_factory=lambda: list(POLLUTANTS))
    reporting_interval_s: int = Field(3600, gt=0)

    @field_validator("area_code", "longitude", "latitude", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # An empty form field or CSV cell means "not given".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("pollutants", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.split() or list(POLLUTANTS)
        return value

    @field_validator("pollutants")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in POLLUTANTS]
        if unknown:
            raise ValueError(f"unknown pollutant(s) {', '.join(unknown)}")
        return value


def parse_station(data: Mapping[str, Any]) -> StationInput:
    """A form's or a command line's fields as a :class:`StationInput`; the first problem is an
    :class:`~lantian.errors.Invalid` naming its field."""
    try:
        return StationInput.model_validate(dict(data))
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in item['loc']) or 'station'}: {item['msg']}"
            for item in error.errors()
        ]
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise Invalid(
            f"站点信息有误 / invalid station: {'; '.join(problems)}",
            field=field,
            problems=problems,
        ) from None


def known_areas(plan: Plan | None) -> dict[str, str]:
    """The area codes a station may name: the plan's ``areas.csv`` and the bundled boundaries."""
    return area_names(plan, read_boundaries())


def register_station(
    session: Session, who: Principal, station: StationInput, areas: Mapping[str, str]
) -> Station:
    """Register a new station (audited). Raises :class:`NotAllowed` unless ``who`` may write
    stations, :class:`Invalid` for an area code not in ``areas``, :class:`Conflict` for a code
    already registered."""
    if not can(who, Action.WRITE, resource("station")):
        raise NotAllowed(
            f"{who.username or '公众'}无权登记监测站点 / {who.username or 'the public'} may not "
            "register stations"
        )
    if station.area_code is not None and station.area_code not in areas:
        raise Invalid(
            f"area_code {station.area_code}: 未知辖区代码 / unknown area code {station.area_code}",
            field="area_code",
        )
    if session.scalar(select(Station.id).where(Station.code == station.code)) is not None:
        raise Conflict(
            f"code {station.code}: 站点编码已登记 / station code {station.code} is already "
            "registered",
            field="code",
        )
    row = Station(is_background=False, active=station.status != "retired", **station.model_dump())
    # The session hook writes the entry (the new row's columns), the same from every face.
    with acting_as(session, who.username or "?", action=AUDIT_ACTION):
        session.add(row)
    return row


def import_stations(
    session: Session, who: Principal, path: Path, areas: Mapping[str, str]
) -> list[Station]:
    """Register every station of a registry file (``stations.csv`` columns), all or nothing: the
    file is checked as a whole first, then each row goes through :func:`register_station`; a
    refused row raises that row's error unchanged (same class, same message), its ``problems``
    naming file and row, and the caller's transaction writes nothing."""
    entries = read_station_registry(path)
    registered = []
    for row_number, entry in enumerate(entries, start=1):
        try:
            station = parse_station(entry.__dict__)
            registered.append(register_station(session, who, station, areas))
        except ServiceError as error:
            error.problems = (f"{path.name} 第{row_number}行 row {row_number}: {error.message}",)
            raise
    return registered


def registered_stations(session: Session) -> list[Station]:
    """Every registered station, by code (what the office's station page lists)."""
    return list(session.scalars(select(Station).order_by(Station.code)))


def get_station(session: Session, code: str) -> Station:
    """The station registered under ``code``; :class:`NotFound` if there is none."""
    station = session.scalar(select(Station).where(Station.code == code))
    if station is None:
        raise NotFound(f"站点 {code} 不存在 / no station {code}")
    return station


def station_codes_in_area(session: Session, area_code: str) -> list[str]:
    """The codes of the stations placed in an area, in order."""
    return list(
        session.scalars(
            select(Station.code).where(Station.area_code == area_code).order_by(Station.code)
        )
    )


def stations_page(session: Session, limit: int, offset: int) -> tuple[list[Station], int]:
    """One page of the registry, by code, and how many stations there are in all."""
    total = session.scalar(select(func.count()).select_from(Station)) or 0
    rows = session.scalars(select(Station).order_by(Station.code).limit(limit).offset(offset))
    return list(rows), total


def measurements_page(
    session: Session,
    station: str,
    start: datetime,
    end: datetime,
    pollutant: str | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Measurement, str]], int]:
    """Raw values of one station whose period ends in (start, end], oldest first, with the
    station's code; and how many there are in all."""
    query = (
        select(Measurement, Station.code)
        .join(Station)
        .where(
            Station.code == station, Measurement.period_end > start, Measurement.period_end <= end
        )
    )
    if pollutant:
        query = query.where(Measurement.pollutant == pollutant)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Measurement.period_end, Measurement.id).limit(limit).offset(offset)
    ).all()
    return [(m, code) for m, code in rows], total
