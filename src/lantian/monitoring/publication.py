"""What the public real-time publication shows (HJ 633-2012 §5.1.3 real-time report, Table 4).

For each operating station: its newest hour, the six 1-hour concentrations, the 24-hour moving
means of PM2.5 and PM10, the sub-indices, AQI, level, category, colour, primary pollutants and
health advice, and whether the month is still provisional or already audited. Values a reviewer
invalidated are left out; corrected values are used. The arithmetic is :mod:`lantian.standards`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.monitoring.models import POLLUTANTS, Measurement, Station
from lantian.monitoring.quality import HourlyGrid, load_span, shared_result
from lantian.monitoring.review import audited_months, month_of
from lantian.monitoring.review_state import validity_overrides
from lantian.standards.aqi import (
    MISSING,
    AqiResult,
    LevelInfo,
    daily_aqi_fixed,
    level_info,
)
from lantian.standards.aqi import realtime_aqi_fixed as realtime_kernel
from lantian.standards.assessment import station_mean
from lantian.standards.options import StandardChoice
from lantian.standards.rounding import quantize
from lantian.standards.validity import (
    daily_average,
    daily_max,
    o3_daily_max_8h,
    rolling_24h_average,
)
from lantian.timeutil import CHINA_TZ

#: lantian pollutant code → the indicator key of the standards kernels.
INDICATOR = {"so2": "SO2", "no2": "NO2", "co": "CO", "o3": "O3", "pm10": "PM10", "pm2_5": "PM25"}
DECIMALS = {"co": 1}
#: How far back the page looks for a station's newest hour before calling it silent.
LOOKBACK_HOURS = 48


@dataclass(frozen=True)
class StationNow:
    code: str
    name: str
    city: str
    tier: str
    longitude: float | None
    latitude: float | None
    hour_end: datetime | None
    concentrations: dict[str, float | None]
    pm2_5_24h: float | None
    pm10_24h: float | None
    iaqi: dict[str, int | None]
    aqi: int | None
    level: LevelInfo | None
    primary: list[str]
    audited: bool


@dataclass(frozen=True)
class HourlyAqi:
    hour_end: datetime
    aqi: int | None
    primary: list[str]


@dataclass(frozen=True)
class DailyAqi:
    day: date
    aqi: int | None
    level: int
    primary: list[str]


def values_in_force(session: Session, grid: HourlyGrid) -> dict[str, np.ndarray]:
    """The grid's values after reviews: invalidated ones missing, corrected ones replaced."""
    overrides = validity_overrides(session, grid)
    result = {}
    for pollutant in POLLUTANTS:
        has_review, valid, corrected = overrides[pollutant]
        values = np.where(has_review, np.where(valid, corrected, np.nan), grid.values[pollutant])
        result[pollutant] = values
    return result


def fixed_values(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Values in force as fixed-point integers (x 10**decimals, MISSING = -1), GB/T 8170-rounded."""
    return {p: quantize(values[p], DECIMALS.get(p, 0)) for p in POLLUTANTS}


def _realtime(fixed: dict[str, np.ndarray]) -> tuple[AqiResult, dict[str, np.ndarray]]:
    """Real-time AQI per hour and station (with the 24-h moving means the kernels may use)."""
    moving = {p: rolling_24h_average(fixed[p]).value for p in ("so2", "pm10", "pm2_5")}
    inputs = {INDICATOR[p]: fixed[p] for p in POLLUTANTS}
    inputs |= {"SO2_24H": moving["so2"], "PM10_24H": moving["pm10"], "PM25_24H": moving["pm2_5"]}
    return realtime_kernel(inputs), moving


def newest_hour(session: Session) -> datetime | None:
    """The newest hour any operating station has reported, up to the clock's now.

    Nothing measured after the clock's instant counts: a platform run "as of" an instant
    (``LANTIAN_AS_OF``) publishes what it would have published then.
    """
    return session.scalar(
        select(func.max(Measurement.period_end))
        .join(Station)
        .where(
            Station.status == "operating",
            Measurement.averaging == "1h",
            Measurement.period_end <= clock.now(),
        )
    )


@dataclass(frozen=True)
class Freshness:
    """How old the newest published hour is, against the clock's now."""

    newest: datetime | None
    now: datetime
    stale_after: timedelta

    @property
    def age(self) -> timedelta | None:
        return None if self.newest is None else self.now - self.newest

    @property
    def stale(self) -> bool:
        """No data at all, or the newest hour older than ``stale_after``: "real-time" would lie."""
        return self.age is None or self.age > self.stale_after

    @property
    def age_hours(self) -> int | None:
        return None if self.age is None else int(self.age / timedelta(hours=1))

    @property
    def age_days(self) -> int | None:
        return None if self.age is None else self.age.days


def freshness(session: Session, stale_after: timedelta) -> Freshness:
    """The newest hour of the network and whether it is too old to call real-time."""
    return Freshness(newest_hour(session), clock.now(), stale_after)


def _as_number(fixed_value: int, pollutant: str) -> float | None:
    if fixed_value < 0:
        return None
    return float(fixed_value) / float(10 ** DECIMALS.get(pollutant, 0))


def realtime_snapshot(session: Session, at: datetime | None = None) -> list[StationNow]:
    """Every operating station's newest hour up to ``at`` (default: the network's newest hour)."""
    end = at or newest_hour(session)
    if end is None:
        return []
    # 24 hours more than the look-back, so that each station's 24-h moving mean is complete.
    grid = load_span(session, end - timedelta(hours=LOOKBACK_HOURS + 24), end)
    if not grid.stations:
        return []
    fixed = fixed_values(values_in_force(session, grid))
    result, moving = _realtime(fixed)
    present = np.logical_or.reduce([fixed[p] >= 0 for p in POLLUTANTS])
    audited = audited_months(session, [station.id for station in grid.stations])
    primary_labels = result.primary_labels()
    snapshot = []
    for s, station in enumerate(grid.stations):
        # The first 24 hours of the grid only feed the moving means of the hours after them.
        reported = np.nonzero(present[24:, s])[0]
        if reported.size == 0:
            snapshot.append(
                StationNow(
                    station.code,
                    station.name,
                    station.city,
                    station.tier,
                    station.longitude,
                    station.latitude,
                    None,
                    {},
                    None,
                    None,
                    {},
                    None,
                    None,
                    [],
                    False,
                )
            )
            continue
        t = int(reported[-1]) + 24
        aqi = int(result.aqi[t, s])
        index = t * len(grid.stations) + s
        snapshot.append(
            StationNow(
                code=station.code,
                name=station.name,
                city=station.city,
                tier=station.tier,
                longitude=station.longitude,
                latitude=station.latitude,
                hour_end=grid.hours[t],
                concentrations={p: _as_number(int(fixed[p][t, s]), p) for p in POLLUTANTS},
                pm2_5_24h=_as_number(int(moving["pm2_5"][t, s]), "pm2_5"),
                pm10_24h=_as_number(int(moving["pm10"][t, s]), "pm10"),
                iaqi={
                    p: (int(v) if (v := result.iaqi[INDICATOR[p]][t, s]) != MISSING else None)
                    for p in POLLUTANTS
                },
                aqi=aqi if aqi != MISSING else None,
                level=level_info(int(result.level[t, s])) if aqi != MISSING else None,
                primary=[x for x in primary_labels[index].split(",") if x],
                audited=(station.id, month_of(grid.hours[t])) in audited,
            )
        )
    return sorted(snapshot, key=lambda row: (row.aqi is None, -(row.aqi or 0), row.code))


def station_hourly_aqi(session: Session, code: str, days: int = 7) -> list[HourlyAqi]:
    """The station's real-time AQI for the last ``days`` days up to its newest hour."""
    end = session.scalar(
        select(func.max(Measurement.period_end))
        .join(Station)
        .where(Station.code == code, Measurement.period_end <= clock.now())
    )
    if end is None:
        return []
    grid = load_span(session, end - timedelta(days=days, hours=24), end, [code])
    if not grid.stations:
        return []
    result, _moving = _realtime(fixed_values(values_in_force(session, grid)))
    labels = result.primary_labels()
    return [
        HourlyAqi(
            hour,
            int(result.aqi[t, 0]) if result.aqi[t, 0] != MISSING else None,
            [x for x in labels[t].split(",") if x],
        )
        for t, hour in enumerate(grid.hours)
        if t >= 24
    ]


def station_daily_aqi(session: Session, code: str, year: int) -> list[DailyAqi]:
    """Daily AQI of every natural day of ``year`` (HJ 633-2012 §5.1.2, GB 3095 validity)."""
    start = datetime(year, 1, 1, tzinfo=CHINA_TZ).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA_TZ).astimezone(UTC)
    # Whole days up to the clock's today: later days have no data yet (an "as of" run sees none).
    today_start = datetime.combine(clock.today(), time(0), CHINA_TZ).astimezone(UTC)
    end = min(end, today_start)
    if end <= start:
        return []
    grid = load_span(session, start, end, [code])
    if not grid.stations:
        return []
    fixed = fixed_values(values_in_force(session, grid))
    stats = {
        INDICATOR[p]: daily_average(fixed[p]).value for p in ("so2", "no2", "co", "pm10", "pm2_5")
    }
    stats["O3_1H"] = daily_max(fixed["o3"], min_count=20)[0]
    stats["O3_8H"] = o3_daily_max_8h(fixed["o3"]).value
    result = daily_aqi_fixed(stats, on=date(year, 1, 1))
    labels = result.primary_labels()
    first = date(year, 1, 1)
    return [
        DailyAqi(
            first + timedelta(days=d),
            int(result.aqi[d, 0]) if result.aqi[d, 0] != MISSING else None,
            int(result.level[d, 0]),
            [x for x in labels[d].split(",") if x],
        )
        for d in range(result.aqi.shape[0])
    ]


@dataclass(frozen=True)
class CityDailyValues:
    """The city's daily values of the natural days ``first …`` (one entry per day): the city mean of
    each indicator over the evaluation stations (fixed-point, ``MISSING`` where no station had a
    valid day), the daily AQI result, and how many stations had a valid PM2.5 day."""

    first: date
    means: dict[str, np.ndarray]
    result: AqiResult
    pm25_stations: np.ndarray
    stations: int

    @property
    def days(self) -> int:
        return int(self.result.aqi.shape[0])


def city_daily_values(
    session: Session, first: date, last: date, standard: StandardChoice = "hj633-2012"
) -> CityDailyValues | None:
    """The one computation of the city's daily series (HJ 663-2013 点位平均法): each evaluation
    station's daily values with the GB 3095-2012 validity counts (24-h means of ≥ 20 hours, O3
    8-h maximum), averaged over the stations that have one (background stations left out), then the
    daily AQI (HJ 633 §5.1.2; ``standard`` as :func:`lantian.standards.aqi.select_standard` takes
    it). ``None`` when the city has no evaluation station.

    Within a :func:`lantian.monitoring.quality.shared_grids` block it is computed once per span
    (the overview's targets and escalations and the briefing's figures read the same series)."""
    return shared_result(
        session,
        ("city_daily_values", first, last, standard),
        lambda: _city_daily_values(session, first, last, standard),
    )


def _city_daily_values(
    session: Session, first: date, last: date, standard: StandardChoice
) -> CityDailyValues | None:
    start = datetime.combine(first, time(0), CHINA_TZ).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), CHINA_TZ).astimezone(UTC)
    evaluation = _evaluation_station_codes(session)
    if not evaluation:
        return None
    # Only the stations with an hour in the span are read: a station without one adds nothing
    # to any mean, and a dense grid of every registered station over a campaign and the year
    # before (1,600 national stations × 8,760 hours) took 20 s to build for no value. A span
    # nobody reported in still needs one (empty) column to come out as missing days.
    grid = load_span(session, start, end, _reporting_codes(session, start, end) or evaluation[:1])
    city = list(range(len(grid.stations)))
    fixed = fixed_values(values_in_force(session, grid))
    daily = {p: daily_average(fixed[p]) for p in ("so2", "no2", "co", "pm10", "pm2_5")}
    stats = {INDICATOR[p]: average.value for p, average in daily.items()}
    stats["O3_1H"] = daily_max(fixed["o3"], min_count=20)[0]
    stats["O3_8H"] = o3_daily_max_8h(fixed["o3"]).value
    means = {key: station_mean(value[:, city]).value for key, value in stats.items()}
    result = daily_aqi_fixed({k: v[:, None] for k, v in means.items()}, standard=standard, on=first)
    pm25_stations = daily["pm2_5"].valid[:, city].sum(axis=1)
    return CityDailyValues(first, means, result, pm25_stations, len(evaluation))


def _evaluation_station_codes(session: Session) -> list[str]:
    """The city's evaluation stations: operating, active, not background (对照点), by code."""
    return list(
        session.scalars(
            select(Station.code)
            .where(Station.active, Station.status == "operating", ~Station.is_background)
            .order_by(Station.code)
        )
    )


def _reporting_codes(session: Session, start: datetime, end: datetime) -> list[str]:
    """Evaluation stations with at least one hourly value labelled after ``start`` up to ``end``."""
    reporting = (
        select(Measurement.station_id)
        .where(
            Measurement.averaging == "1h",
            Measurement.period_end > start,
            Measurement.period_end <= end,
        )
        .distinct()
    )
    return list(
        session.scalars(
            select(Station.code)
            .where(
                Station.id.in_(reporting),
                Station.active,
                Station.status == "operating",
                ~Station.is_background,
            )
            .order_by(Station.code)
        )
    )


def city_daily_aqi(session: Session, first: date, last: date) -> list[DailyAqi]:
    """The city's daily AQI of every natural day ``first … last`` that has begun and ended by the
    clock's today (:func:`city_daily_values`), from the day of the first measured hour on."""
    end = datetime.combine(min(last + timedelta(days=1), clock.today()), time(0), CHINA_TZ)
    end = end.astimezone(UTC)
    # Days before the first measured hour have no value: start the grid at that hour's day.
    earliest = session.scalar(
        select(func.min(Measurement.period_end)).where(
            Measurement.averaging == "1h",
            Measurement.period_end > datetime.combine(first, time(0), CHINA_TZ),
            Measurement.period_end <= end,
        )
    )
    if earliest is None:
        return []
    first = max(first, (earliest - timedelta(hours=1)).astimezone(CHINA_TZ).date())
    last = (end.astimezone(CHINA_TZ) - timedelta(days=1)).date()
    if last < first:
        return []
    city = city_daily_values(session, first, last)
    if city is None:
        return []
    result = city.result
    labels = result.primary_labels()
    return [
        DailyAqi(
            first + timedelta(days=d),
            int(result.aqi[d, 0]) if result.aqi[d, 0] != MISSING else None,
            int(result.level[d, 0]),
            [x for x in labels[d].split(",") if x],
        )
        for d in range(city.days)
    ]


def china_now() -> datetime:
    return clock.now().astimezone(CHINA_TZ)


@dataclass(frozen=True)
class CityHour:
    hour_end: datetime
    aqi: int | None
    primary: list[str]
    stations: int  # stations that had a valid PM2.5 value this hour


def city_hourly_aqi(session: Session, hours: int = 24) -> list[CityHour]:
    """The city's real-time AQI per hour: station means first, then AQI (HJ 663-2013 点位平均法).

    Background (对照点) stations are not city evaluation stations and are left out.
    """
    end = newest_hour(session)
    if end is None:
        return []
    grid = load_span(session, end - timedelta(hours=hours + 24), end)
    city = [s for s, station in enumerate(grid.stations) if not station.is_background]
    if not city:
        return []
    fixed = fixed_values(values_in_force(session, grid))
    means = {p: station_mean(fixed[p][:, city]).value[:, None] for p in POLLUTANTS}
    result, _moving = _realtime(means)
    labels = result.primary_labels()
    pm_counts = (fixed["pm2_5"][:, city] >= 0).sum(axis=1)
    return [
        CityHour(
            hour,
            int(result.aqi[t, 0]) if result.aqi[t, 0] != MISSING else None,
            [x for x in labels[t].split(",") if x],
            int(pm_counts[t]),
        )
        for t, hour in enumerate(grid.hours)
        if t >= 24
    ]
