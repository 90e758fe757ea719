"""Use cases of the monitoring domain that other packages and the faces call."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.db.audited import acting_as
from lantian.ingest.station_list import StationRecord
from lantian.monitoring.models import Measurement, Station


@dataclass(frozen=True)
class MonitoringOverview:
    """What the platform holds: station and measurement counts and the newest data time."""

    stations: int
    measurements: int
    latest_period_end: datetime | None
    planned_stations: int = 0


def overview(session: Session) -> MonitoringOverview:
    rows = session.execute(select(Station.status, func.count()).group_by(Station.status))
    by_status = {status: count for status, count in rows}
    stations = by_status.get("operating", 0)
    measurements = session.scalar(select(func.count()).select_from(Measurement)) or 0
    latest = session.scalar(select(func.max(Measurement.period_end)))
    return MonitoringOverview(stations, measurements, latest, by_status.get("planned", 0))


@dataclass(frozen=True)
class StationUpsertResult:
    added: int
    updated: int
    unchanged: int


def upsert_stations(
    session: Session, records: Iterable[StationRecord], *, actor: str
) -> StationUpsertResult:
    """Add new stations and bring changed names, cities and coordinates up to date, by code.

    Audited (``station.add`` / ``station.update``) as ``actor``: the importing person, or the
    system job (:func:`lantian.db.audited.system_actor`) that reads a station list.
    """
    with acting_as(session, actor):
        return _upsert_stations(session, records)


def _upsert_stations(session: Session, records: Iterable[StationRecord]) -> StationUpsertResult:
    existing = {station.code: station for station in session.scalars(select(Station))}
    added = updated = unchanged = 0
    for record in records:
        station = existing.get(record.code)
        if station is None:
            station = Station(
                code=record.code,
                name=record.name,
                city=record.city,
                longitude=record.longitude,
                latitude=record.latitude,
                tier="national",
                is_background="对照点" in record.name,
                active=True,
            )
            session.add(station)
            existing[record.code] = station
            added += 1
            continue
        fresh = (record.name, record.city, record.longitude, record.latitude)
        if (station.name, station.city, station.longitude, station.latitude) == fresh:
            unchanged += 1
            continue
        station.name, station.city, station.longitude, station.latitude = fresh
        updated += 1
    session.flush()
    return StationUpsertResult(added, updated, unchanged)
