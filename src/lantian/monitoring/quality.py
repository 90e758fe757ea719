"""Data quality of stations: automatic QC flags, upload rates and valid-transmission rates.

Upload rate (上传率) = received station-hours ÷ expected station-hours; valid-transmission rate
(数据传输有效率) = valid station-hours ÷ expected. A station-hour is *received* when any of the six
pollutants arrived, and *valid* when all six arrived and none is invalidated by a QC rule or its
instrument flag (:mod:`lantian.monitoring.rules`). Hours are hour-ending: the day D holds the hours
labelled D 01:00 … D+1 00:00 (China time), as the 24-hour mean of HJ 663 does. The plan's line is 90 %
on a different rate for each kind: an air-quality station is judged on its **upload rate** (seed task
1: "所有站点原始监测数据实时上传中国环境监测总站，上传率达到90%以上"), a stack's monitoring device on its
**valid-transmission rate** (task 33: "加强自动监控设施运营维护，数据传输有效率达到 90%").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Literal, TypeVar, cast

import numpy as np
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.monitoring.models import POLLUTANTS, Measurement, Station
from lantian.monitoring.review_state import validity_overrides
from lantian.monitoring.rules import (
    DEFAULT_QC_OPTIONS,
    INVALIDATING,
    QcFlag,
    QcOptions,
    check_pollutant,
    instrument_invalid,
    pm25_above_pm10,
)
from lantian.timeutil import CHINA_TZ

Period = Literal["day", "month"]
#: The plan's upload-rate and valid-transmission-rate line (seed tasks 1 and 33).
DEFAULT_RATE_TARGET = 0.90


@dataclass(frozen=True)
class HourlyGrid:
    """Measurements of a span on a regular hourly grid: ``values[p][t, s]`` (NaN = none)."""

    stations: list[Station]
    hours: list[datetime]  # hour-ending labels, UTC, regular
    values: dict[str, np.ndarray]
    flags: dict[str, np.ndarray]
    #: measurement id → (pollutant, time index, station index) of every value in the grid
    keys: dict[int, tuple[str, int, int]]
    #: measurement id → its own raw value (a cell shows the first received of several sources)
    raw_values: dict[int, float]


@dataclass(frozen=True, kw_only=True)
class Coverage:
    """Expected, received and valid hours of one period, and the rates they give."""

    period_start: date
    expected_hours: int
    received_hours: int
    valid_hours: int
    target: float

    @property
    def upload_rate(self) -> float:
        return self.received_hours / self.expected_hours if self.expected_hours else 0.0

    @property
    def valid_rate(self) -> float:
        return self.valid_hours / self.expected_hours if self.expected_hours else 0.0

    #: Which rate the plan's line judges: ``"upload"`` or ``"valid"`` (see the module docstring).
    judged_rate: ClassVar[Literal["upload", "valid"]] = "upload"

    @property
    def judged_value(self) -> float:
        return self.upload_rate if self.judged_rate == "upload" else self.valid_rate

    @property
    def meets_target(self) -> bool:
        return self.judged_value >= self.target


@dataclass(frozen=True, kw_only=True)
class RateRow(Coverage):
    """Coverage of one station in one period, judged on its upload rate (seed task 1)."""

    judged_rate: ClassVar[Literal["upload", "valid"]] = "upload"

    station_code: str
    station_name: str


def day_span(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """Hour-ending labels (exclusive start, inclusive end) covering whole China-time days."""
    start = datetime.combine(first_day, time(0), CHINA_TZ)
    end = datetime.combine(last_day + timedelta(days=1), time(0), CHINA_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


def load_grid(
    session: Session, first_day: date, last_day: date, station_codes: list[str] | None = None
) -> HourlyGrid:
    """The six pollutants' hourly values of the given days (any source, first received wins)."""
    start, end = day_span(first_day, last_day)
    return load_span(session, start, end, station_codes)


#: ``session.info`` key of the grids a read-only page shares (see :func:`shared_grids`).
_SHARED_GRIDS = "lantian.monitoring.shared_grids"
#: ``session.info`` key of the results computed from them that the block shares (see
#: :func:`shared_result`).
_SHARED_RESULTS = "lantian.monitoring.shared_results"
_Result = TypeVar("_Result")


@contextmanager
def shared_grids(session: Session) -> Iterator[None]:
    """Within the block, :func:`load_span` reads each span of ``session`` once.

    A page that shows a month's upload rates and the month's area ranking (the office
    dashboard, an area's page) needs the same measurements twice; this keeps the first grid
    and answers a later read of a span and stations it holds by cutting it (the last hours
    from the month, a station's week from its year). Only for reading: a block that writes
    measurements must not use it.

    Within the block, :func:`shared_result` also keeps what is computed from the grids (the
    city's daily series, which the overview's targets, its escalations and its days all read).
    """
    owner = _SHARED_GRIDS not in session.info
    if owner:
        session.info[_SHARED_GRIDS] = {}
        session.info[_SHARED_RESULTS] = {}
    try:
        yield
    finally:
        if owner:
            session.info.pop(_SHARED_GRIDS, None)
            session.info.pop(_SHARED_RESULTS, None)


def shared_result(
    session: Session, key: tuple[object, ...], compute: Callable[[], _Result]
) -> _Result:
    """``compute()``, computed once per ``key`` within a :func:`shared_grids` block (every time
    outside one). For results of the measurements only, which the block does not change."""
    results: dict[tuple[object, ...], Any] | None = session.info.get(_SHARED_RESULTS)
    if results is None:
        return compute()
    if key not in results:
        results[key] = compute()
    return cast(_Result, results[key])


def _cut(
    grid: HourlyGrid, start: datetime, end: datetime, station_codes: tuple[str, ...]
) -> HourlyGrid:
    """The part of ``grid`` (over a span holding ``start…end``, of the stations asked for or
    more) labelled in ``(start, end]`` at ``station_codes`` (all of the grid's when empty)."""
    first = int((start - (grid.hours[0] - timedelta(hours=1))) / timedelta(hours=1))
    rows = slice(first, first + int((end - start) / timedelta(hours=1)))
    wanted = set(station_codes)
    columns = [s for s, station in enumerate(grid.stations) if not wanted or station.code in wanted]
    new_column = {old: new for new, old in enumerate(columns)}
    keys = {
        measurement_id: (pollutant, t - first, new_column[s])
        for measurement_id, (pollutant, t, s) in grid.keys.items()
        if s in new_column and rows.start <= t < rows.stop
    }
    return HourlyGrid(
        stations=[grid.stations[s] for s in columns],
        hours=grid.hours[rows],
        values={p: grid.values[p][rows][:, columns] for p in grid.values},
        flags={p: grid.flags[p][rows][:, columns] for p in grid.flags},
        keys=keys,
        raw_values={m: grid.raw_values[m] for m in keys},
    )


def load_span(
    session: Session, start: datetime, end: datetime, station_codes: list[str] | None = None
) -> HourlyGrid:
    """The six pollutants' hourly values labelled after ``start`` up to and including ``end``."""
    shared: dict[tuple[datetime, datetime, tuple[str, ...]], HourlyGrid] | None = session.info.get(
        _SHARED_GRIDS
    )
    if shared is None:
        return _read_span(session, start, end, station_codes)
    codes = tuple(sorted(station_codes or ()))
    if (start, end, codes) not in shared:
        # A grid already read over a span holding this one, of every station or of these,
        # answers it.
        holding = next(
            (
                grid
                for (first, last, of), grid in shared.items()
                if (not of or (codes and set(codes) <= set(of)))
                and grid.hours
                and first <= start
                and end <= last
            ),
            None,
        )
        shared[(start, end, codes)] = (
            _cut(holding, start, end, codes)
            if holding is not None
            else _read_span(session, start, end, station_codes)
        )
    return shared[(start, end, codes)]


def _read_span(
    session: Session, start: datetime, end: datetime, station_codes: list[str] | None
) -> HourlyGrid:
    station_query = (
        select(Station).where(Station.active, Station.status == "operating").order_by(Station.code)
    )
    if station_codes:
        station_query = station_query.where(Station.code.in_(station_codes))
    stations = list(session.scalars(station_query))
    n_hours = int((end - start) / timedelta(hours=1))
    hours = [start + timedelta(hours=h + 1) for h in range(n_hours)]
    values = {p: np.full((n_hours, len(stations)), np.nan) for p in POLLUTANTS}
    flags = {p: np.full((n_hours, len(stations)), "", dtype="<U2") for p in POLLUTANTS}
    keys: dict[int, tuple[str, int, int]] = {}
    raw_values: dict[int, float] = {}
    if not stations:
        return HourlyGrid(stations, hours, values, flags, keys, raw_values)
    column_of = {station.id: s for s, station in enumerate(stations)}
    rows = session.execute(
        select(
            Measurement.id,
            Measurement.station_id,
            Measurement.pollutant,
            Measurement.period_end,
            Measurement.value,
            Measurement.flag,
        )
        .where(
            Measurement.averaging == "1h",
            Measurement.period_end > start,
            Measurement.period_end <= end,
            Measurement.station_id.in_(list(column_of)),
            Measurement.pollutant.in_(POLLUTANTS),
        )
        .order_by(Measurement.id.desc())  # so that the first received is written last and wins
    ).all()
    for measurement_id, station_id, pollutant, period_end, value, flag in rows:
        t = int((period_end - start) / timedelta(hours=1)) - 1
        s = column_of[station_id]
        values[pollutant][t, s] = value
        flags[pollutant][t, s] = flag
        keys[measurement_id] = (pollutant, t, s)
        raw_values[measurement_id] = value
    return HourlyGrid(stations, hours, values, flags, keys, raw_values)


def qc_flags(
    grid: HourlyGrid, options: QcOptions = DEFAULT_QC_OPTIONS
) -> dict[str, dict[QcFlag, np.ndarray]]:
    """Every automatic QC flag per pollutant as (time, station) masks."""
    result: dict[str, dict[QcFlag, np.ndarray]] = {}
    for pollutant in POLLUTANTS:
        masks = check_pollutant(pollutant, grid.values[pollutant], options)
        masks[QcFlag.INSTRUMENT] = instrument_invalid(grid.flags[pollutant])
        result[pollutant] = masks
    pm_pair = pm25_above_pm10(
        grid.values["pm2_5"], grid.values["pm10"], options.pm25_above_pm10_tolerance
    )
    result["pm2_5"][QcFlag.PM25_ABOVE_PM10] = pm_pair
    result["pm10"][QcFlag.PM25_ABOVE_PM10] = pm_pair
    return result


def valid_mask(
    grid: HourlyGrid, flags: dict[str, dict[QcFlag, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Per pollutant: present and not invalidated by any invalidating QC flag."""
    valid: dict[str, np.ndarray] = {}
    for pollutant in POLLUTANTS:
        ok = ~np.isnan(grid.values[pollutant])
        for flag, mask in flags[pollutant].items():
            if flag in INVALIDATING:
                ok &= ~mask
        valid[pollutant] = ok
    return valid


def transmission_rates(
    session: Session,
    first_day: date,
    last_day: date,
    period: Period = "day",
    station_codes: list[str] | None = None,
    target: float = DEFAULT_RATE_TARGET,
    options: QcOptions = DEFAULT_QC_OPTIONS,
) -> list[RateRow]:
    """Upload and valid-transmission rates per station and day or month."""
    grid = load_grid(session, first_day, last_day, station_codes)
    if not grid.stations:
        return []
    received = np.zeros(grid.values["so2"].shape, dtype=np.bool_)
    for pollutant in POLLUTANTS:
        received |= ~np.isnan(grid.values[pollutant])
    valid_by_pollutant = valid_mask(grid, qc_flags(grid, options))
    # A review in force (a person's decision or a recorded QC run) overrides the live QC rules.
    overrides = validity_overrides(session, grid)
    for pollutant in POLLUTANTS:
        has_review, review_valid, _value = overrides[pollutant]
        present = ~np.isnan(grid.values[pollutant])
        valid_by_pollutant[pollutant] = np.where(
            has_review, review_valid & present, valid_by_pollutant[pollutant]
        )
    valid = np.logical_and.reduce([valid_by_pollutant[p] for p in POLLUTANTS])
    # The China-time day an hour-ending label belongs to: the label minus one hour.
    days = [(hour - timedelta(hours=1)).astimezone(CHINA_TZ).date() for hour in grid.hours]
    keys = [day.replace(day=1) if period == "month" else day for day in days]
    frame = pl.DataFrame(
        {
            "period_start": np.repeat(np.array(keys, dtype="datetime64[D]"), len(grid.stations)),
            "station": np.tile(np.arange(len(grid.stations)), len(grid.hours)),
            "received": received.ravel(),
            "valid": valid.ravel(),
        }
    )
    summary = (
        frame.group_by("period_start", "station")
        .agg(
            pl.len().alias("expected"),
            pl.col("received").sum().alias("received"),
            pl.col("valid").sum().alias("valid"),
        )
        .sort("period_start", "station")
    )
    return [
        RateRow(
            station_code=grid.stations[row["station"]].code,
            station_name=grid.stations[row["station"]].name,
            period_start=row["period_start"],
            expected_hours=row["expected"],
            received_hours=row["received"],
            valid_hours=row["valid"],
            target=target,
        )
        for row in summary.iter_rows(named=True)
    ]


@dataclass(frozen=True, kw_only=True)
class SourceRateRow(Coverage):
    """Coverage of one pollution-source device (stack) in one period, from its hourly uploads,
    judged on its valid-transmission rate (seed task 33)."""

    judged_rate: ClassVar[Literal["upload", "valid"]] = "valid"

    mn: str
    source_code: str
    name: str


def source_transmission_rates(
    session: Session,
    first_day: date,
    last_day: date,
    period: Period = "day",
    target: float = DEFAULT_RATE_TARGET,
) -> list[SourceRateRow]:
    """Upload and valid-transmission rates of every active stack device, per day or month.

    A stack's hour is *received* when its hourly upload (HJ 212 CN 2061) arrived and *valid* when
    every value in it carries the normal flag N (HJ 212-2017 Table 8; an upload without flags
    counts as normal). The plan (seed task 33) asks for a valid-transmission rate of 90 %.
    """
    from lantian.monitoring.hj212_models import Device, DeviceMeasurement, ReceivedPacket

    start = datetime.combine(first_day, time(0), CHINA_TZ)
    end = datetime.combine(last_day + timedelta(days=1), time(0), CHINA_TZ)
    devices = list(
        session.scalars(
            select(Device)
            .where(Device.active, Device.source_code.is_not(None))
            .order_by(Device.source_code, Device.mn)
        )
    )
    if not devices:
        return []
    hourly = select(ReceivedPacket.id, ReceivedPacket.device_id, ReceivedPacket.data_time).where(
        ReceivedPacket.cn == "2061",
        ReceivedPacket.data_time >= start.astimezone(UTC),
        ReceivedPacket.data_time < end.astimezone(UTC),
        ReceivedPacket.device_id.in_([d.id for d in devices]),
    )
    packets = session.execute(hourly).all()
    abnormal = {
        packet_id
        for (packet_id,) in session.execute(
            select(DeviceMeasurement.packet_id)
            .where(
                DeviceMeasurement.packet_id.in_(hourly.with_only_columns(ReceivedPacket.id)),
                DeviceMeasurement.flag.is_not(None),
                DeviceMeasurement.flag != "N",
            )
            .distinct()
        )
    }
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]

    def key(day: date) -> date:
        return day.replace(day=1) if period == "month" else day

    expected: dict[date, int] = {}
    for day in days:
        expected[key(day)] = expected.get(key(day), 0) + 24
    received: dict[tuple[int, date], set[datetime]] = {}
    valid: dict[tuple[int, date], set[datetime]] = {}
    for packet_id, device_id, data_time in packets:
        # Hourly DataTime is the start of the hour (spec §5.2): the hour lies in that day.
        bucket = (device_id, key(data_time.astimezone(CHINA_TZ).date()))
        received.setdefault(bucket, set()).add(data_time)
        if packet_id not in abnormal:
            valid.setdefault(bucket, set()).add(data_time)
    return [
        SourceRateRow(
            mn=device.mn,
            source_code=device.source_code or "",
            name=device.name or "",
            period_start=period_start,
            expected_hours=hours,
            received_hours=len(received.get((device.id, period_start), ())),
            valid_hours=len(valid.get((device.id, period_start), ())),
            target=target,
        )
        for device in devices
        for period_start, hours in sorted(expected.items())
    ]
