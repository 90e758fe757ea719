"""Review of measurements: automatic QC versions, a person's decisions, and monthly sign-off.

Raw values are never overwritten (:class:`~lantian.monitoring.models.Measurement` is append-only).
Every change of a value's standing is a new :class:`~lantian.monitoring.models.MeasurementReview`
version with who, when and why; the newest version is in force. A station's month becomes
*audited* with a :class:`~lantian.monitoring.models.StationMonthAudit` sign-off, after which its
values can no longer be re-reviewed without reopening the month (HJ 633-2012 §5.1.5: real-time
data are provisional and are confirmed in the first ten days of the next month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.auth import audit
from lantian.db.audited import system_actor
from lantian.errors import Conflict, InputError, NotFound
from lantian.monitoring.models import (
    Measurement,
    MeasurementReview,
    Station,
    StationMonthAudit,
)
from lantian.monitoring.quality import load_grid, qc_flags
from lantian.monitoring.review_state import latest_reviews
from lantian.monitoring.rules import DEFAULT_QC_OPTIONS, INVALIDATING, QcOptions
from lantian.timeutil import CHINA_TZ

SYSTEM_QC = system_actor("qc")


@dataclass(frozen=True)
class QcRunResult:
    values_checked: int
    values_flagged: int
    versions_added: int


def month_of(period_end: datetime) -> date:
    """The China-time month an hour-ending value belongs to (24:00 belongs to the day before)."""
    return (period_end - timedelta(hours=1)).astimezone(CHINA_TZ).date().replace(day=1)


def _sign_off(session: Session, station_id: int, month: date) -> StationMonthAudit | None:
    return session.scalar(
        select(StationMonthAudit).where(
            StationMonthAudit.station_id == station_id, StationMonthAudit.month == month
        )
    )


def _require_open_month(session: Session, measurement: Measurement) -> None:
    month = month_of(measurement.period_end)
    sign_off = _sign_off(session, measurement.station_id, month)
    if sign_off is not None:
        raise Conflict(
            f"{month:%Y-%m} 的数据已于 {sign_off.audited_at:%Y-%m-%d} 由 {sign_off.audited_by} 审核确认，"
            f"不能再修改 / the month {month:%Y-%m} was audited by {sign_off.audited_by}; "
            "reopen it before changing its values"
        )


def _next_version(session: Session, measurement_id: int) -> int:
    current = session.scalar(
        select(func.max(MeasurementReview.version)).where(
            MeasurementReview.measurement_id == measurement_id
        )
    )
    return (current or 0) + 1


def review_measurement(
    session: Session,
    measurement_id: int,
    *,
    valid: bool,
    reviewer: str,
    reason: str,
    corrected_value: float | None = None,
) -> MeasurementReview:
    """Record a person's decision on one value as a new version (the raw value stays as it is)."""
    if not reviewer.strip() or not reason.strip():
        raise InputError("审核必须写明审核人和理由 / a review needs a reviewer and a reason")
    audit.lock_chain(session)
    measurement = session.get(Measurement, measurement_id)
    if measurement is None:
        raise NotFound(f"监测数据 {measurement_id} 不存在 / no measurement {measurement_id}")
    if corrected_value is not None and corrected_value < 0:
        raise InputError(f"更正值 {corrected_value} 为负 / corrected value is negative")
    _require_open_month(session, measurement)
    previous = latest_reviews(session, [measurement_id]).get(measurement_id)
    review = MeasurementReview(
        measurement_id=measurement_id,
        version=_next_version(session, measurement_id),
        valid=valid,
        value=measurement.value if corrected_value is None else corrected_value,
        qc_flags=list(previous.qc_flags) if previous else [],
        reviewer=reviewer,
        reason=reason,
        created_at=clock.now(),
    )
    session.add(review)
    session.flush()
    audit.record(
        session,
        reviewer,
        "measurement.review",
        "measurement",
        measurement_id,
        _standing(previous, measurement),
        _standing(review, measurement),
        reason,
    )
    return review


def _standing(review: MeasurementReview | None, measurement: Measurement) -> dict[str, object]:
    """A value's standing for the audit log: the raw value, or the review version in force."""
    if review is None:
        return {"version": 0, "valid": True, "value": measurement.value, "qc_flags": []}
    return {
        "version": review.version,
        "valid": review.valid,
        "value": review.value,
        "qc_flags": list(review.qc_flags),
    }


def run_automatic_qc(
    session: Session,
    first_day: date,
    last_day: date,
    station_codes: list[str] | None = None,
    options: QcOptions = DEFAULT_QC_OPTIONS,
) -> QcRunResult:
    """Flag suspect values of the span; each newly flagged value gets a ``system:qc`` version.

    Values a person has already reviewed keep the person's decision; values whose flags did not
    change get no new version, so running QC again is idempotent.
    """
    grid = load_grid(session, first_day, last_day, station_codes)
    if not grid.stations:
        return QcRunResult(0, 0, 0)
    flags = qc_flags(grid, options)
    flagged: list[tuple[int, float, list[str]]] = []
    for measurement_id, (pollutant, t, s) in grid.keys.items():
        names = sorted(flag.value for flag, mask in flags[pollutant].items() if bool(mask[t, s]))
        if names:
            flagged.append((measurement_id, grid.raw_values[measurement_id], names))
    existing = latest_reviews(session, [m for m, _, _ in flagged])
    audited = audited_months(session, [station.id for station in grid.stations])
    added = 0
    now = clock.now()
    for measurement_id, value, names in flagged:
        previous = existing.get(measurement_id)
        if previous is not None and (previous.reviewer != SYSTEM_QC or previous.qc_flags == names):
            continue  # a person decided, or nothing changed
        _pollutant, t, s = grid.keys[measurement_id]
        if (grid.stations[s].id, month_of(grid.hours[t])) in audited:
            continue
        session.add(
            MeasurementReview(
                measurement_id=measurement_id,
                version=(previous.version + 1) if previous else 1,
                valid=not any(name in INVALIDATING for name in names),
                value=value,
                qc_flags=names,
                reviewer=SYSTEM_QC,
                reason="自动质控 / automatic QC: " + ", ".join(names),
                created_at=now,
            )
        )
        added += 1
    session.flush()
    return QcRunResult(len(grid.keys), len(flagged), added)


def audited_months(session: Session, station_ids: list[int]) -> set[tuple[int, date]]:
    """(station id, month) of every signed-off month of the stations."""
    rows = session.execute(
        select(StationMonthAudit.station_id, StationMonthAudit.month).where(
            StationMonthAudit.station_id.in_(station_ids)
        )
    )
    return {(station_id, month) for station_id, month in rows}


def audit_month(
    session: Session, station_code: str, month: date, auditor: str, note: str | None = None
) -> StationMonthAudit:
    """Sign off a station's month: its values move from provisional to audited."""
    if not auditor.strip():
        raise InputError("审核确认必须写明审核人 / an audit needs the auditor's name")
    audit.lock_chain(session)
    station = session.scalar(select(Station).where(Station.code == station_code))
    if station is None:
        raise NotFound(f"站点 {station_code} 不存在 / no station {station_code}")
    first = month.replace(day=1)
    if first >= clock.now(CHINA_TZ).date().replace(day=1):
        raise Conflict(
            f"{first:%Y-%m} 尚未结束，不能审核确认 / the month {first:%Y-%m} has not ended yet"
        )
    exists = _sign_off(session, station.id, first)
    if exists is not None:
        raise Conflict(
            f"{station_code} {first:%Y-%m} 已审核 / already audited by {exists.audited_by}"
        )
    sign_off = StationMonthAudit(
        station_id=station.id,
        month=first,
        audited_by=auditor,
        audited_at=clock.now(),
        note=note,
    )
    session.add(sign_off)
    session.flush()
    audit.record(
        session,
        auditor,
        "station_month.audit",
        "station_month",
        f"{station_code}/{first:%Y-%m}",
        {"status": "provisional"},
        {"status": "audited", "note": note},
        note,
    )
    return sign_off


# --- the review queue and the month's standing (the web face of `lantian review`) -------------


@dataclass(frozen=True)
class FlaggedValue:
    """A value the automatic QC flagged and no person has decided on yet."""

    measurement_id: int
    station_code: str
    station_name: str
    pollutant: str
    period_end: datetime
    raw_value: float
    flags: tuple[str, ...]
    valid: bool


def month_span(month: date) -> tuple[datetime, datetime]:
    """The hour-ending labels of a China-time month: (start, end] as aware instants."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=CHINA_TZ)
    end = datetime(following.year, following.month, 1, tzinfo=CHINA_TZ)
    return start, end


def _waiting(month: date, *columns: Any) -> Select[Any]:
    """``columns`` of the month's values whose review in force is the automatic QC's."""
    start, end = month_span(month)
    newest = (
        select(MeasurementReview.measurement_id, func.max(MeasurementReview.version).label("v"))
        .join(Measurement, Measurement.id == MeasurementReview.measurement_id)
        .where(Measurement.period_end > start, Measurement.period_end <= end)
        .group_by(MeasurementReview.measurement_id)
        .subquery()
    )
    return (
        select(*columns)
        .select_from(MeasurementReview)
        .join(
            newest,
            (MeasurementReview.measurement_id == newest.c.measurement_id)
            & (MeasurementReview.version == newest.c.v),
        )
        .join(Measurement, Measurement.id == MeasurementReview.measurement_id)
        .join(Station, Station.id == Measurement.station_id)
        .where(MeasurementReview.reviewer == SYSTEM_QC)
    )


def review_queue(
    session: Session,
    month: date,
    *,
    station_code: str | None = None,
    limit: int = 200,
) -> tuple[list[FlaggedValue], int]:
    """The month's values whose standing in force is the automatic QC's (``system:qc``): flagged,
    waiting for a person's decision (:func:`review_measurement`); newest first, with the total."""
    query = _waiting(month, MeasurementReview, Measurement, Station)
    if station_code:
        query = query.where(Station.code == station_code)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Measurement.period_end.desc(), Station.code, Measurement.pollutant).limit(
            limit
        )
    )
    found = [
        FlaggedValue(
            measurement_id=measurement.id,
            station_code=station.code,
            station_name=station.name,
            pollutant=measurement.pollutant,
            period_end=measurement.period_end,
            raw_value=measurement.value,
            flags=tuple(review.qc_flags),
            valid=review.valid,
        )
        for review, measurement, station in rows
    ]
    return found, int(total)


@dataclass(frozen=True)
class MonthStanding:
    """A station's month: provisional (with the flags still waiting) or audited, by whom."""

    station_code: str
    station_name: str
    waiting: int
    audited_by: str | None
    audited_at: datetime | None


def month_standing(session: Session, month: date) -> list[MonthStanding]:
    """Every station holding values of ``month``, with its sign-off (:func:`audit_month`) and
    how many of its flagged values still wait for a person."""
    start, end = month_span(month)
    first = month.replace(day=1)
    has_values = (
        select(Measurement.id)
        .where(
            Measurement.station_id == Station.id,
            Measurement.period_end > start,
            Measurement.period_end <= end,
        )
        .exists()
    )
    stations = session.scalars(select(Station).where(has_values).order_by(Station.code)).all()
    counts = _waiting(first, Station.code, func.count()).group_by(Station.code)
    waiting: dict[str, int] = {code: int(count) for code, count in session.execute(counts)}
    sign_offs = {
        row.station_id: row
        for row in session.scalars(
            select(StationMonthAudit).where(StationMonthAudit.month == first)
        )
    }
    return [
        MonthStanding(
            station_code=station.code,
            station_name=station.name,
            waiting=waiting.get(station.code, 0),
            audited_by=sign_offs[station.id].audited_by if station.id in sign_offs else None,
            audited_at=sign_offs[station.id].audited_at if station.id in sign_offs else None,
        )
        for station in stations
    ]
