"""The effect of the measures net of weather, from the stored measurements and weather.

:func:`normalise_stored` builds the city's daily series of a pollutant — station daily means of
the valid hours in force (reviews applied, background stations left out, HJ 663-2013), averaged
over the stations — with the city's daily weather (the mean over the weather sites), over the
compared periods and a margin of record around them, and runs the normalisation of
:mod:`lantian.weather.normalise`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.config import Settings
from lantian.errors import Invalid
from lantian.monitoring.publication import values_in_force
from lantian.monitoring.quality import load_span
from lantian.plan import Plan
from lantian.timeutil import CHINA_TZ
from lantian.timeutil import year_before as day_a_year_before
from lantian.weather.daily import city_daily_series, city_weather
from lantian.weather.models import WeatherObservation
from lantian.weather.normalise import (
    WEATHER_VARIABLES,
    ModelSettings,
    Normalisation,
    Period,
    WeatherSeries,
    normalise,
)

#: How people name the pollutants → our code.
POLLUTANT_NAMES = {
    "pm2.5": "pm2_5",
    "pm25": "pm2_5",
    "pm2_5": "pm2_5",
    "pm10": "pm10",
    "so2": "so2",
    "no2": "no2",
    "co": "co",
    "o3": "o3",
}
POLLUTANT_LABELS = {
    "pm2_5": "PM2.5",
    "pm10": "PM10",
    "so2": "SO2",
    "no2": "NO2",
    "co": "CO",
    "o3": "O3",
}


@dataclass(frozen=True)
class DaySpan:
    """Inclusive natural days."""

    first: date
    last: date

    def as_period(self) -> Period:
        return Period(np.datetime64(self.first, "D"), np.datetime64(self.last, "D"))

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def pollutant_code(name: str) -> str:
    code = POLLUTANT_NAMES.get(name.strip().lower())
    if code is None:
        raise Invalid(
            f"未知污染物 {name!r}（可用：PM2.5、PM10、SO2、NO2、CO、O3）/ unknown pollutant",
            field="pollutant",
        )
    return code


def parse_span(text: str, field: str) -> DaySpan:
    """``2015-10-01..2016-03-31`` (inclusive)."""
    try:
        first_text, last_text = text.split("..")
        span = DaySpan(
            date.fromisoformat(first_text.strip()), date.fromisoformat(last_text.strip())
        )
    except ValueError:
        raise Invalid(
            f"时段应写作 2015-10-01..2016-03-31 / a period is written 2015-10-01..2016-03-31: "
            f"{text!r}",
            field=field,
        ) from None
    if span.last < span.first:
        raise Invalid("时段结束早于开始 / the period ends before it starts", field=field)
    return span


def year_before(span: DaySpan) -> DaySpan:
    """The same days one year earlier (29 February → 28 February)."""
    return DaySpan(day_a_year_before(span.first), day_a_year_before(span.last))


def campaign_span(plan: Plan) -> DaySpan | None:
    """The plan's campaign period (``periods.campaign`` of plan.yaml), if it has one."""
    meta = plan.plan
    period = meta.periods.get("campaign") if meta is not None else None
    if period is None or period.start is None or period.end is None:
        return None
    return DaySpan(period.start, period.end)


def model_settings(settings: Settings) -> ModelSettings:
    return ModelSettings(
        trees=settings.weather_trees,
        samples=settings.weather_samples,
        seeds=tuple(range(1, settings.weather_seeds + 1)),
        window_days=settings.weather_window_days,
    )


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(UTC)


def stored_series(session: Session, pollutant: str, first: date, last: date) -> WeatherSeries:
    """The city's daily series of ``pollutant`` and weather for the days ``first … last``."""
    start, end = _utc(first), _utc(last + timedelta(days=1))
    grid = load_span(session, start, end)
    city = [s for s, station in enumerate(grid.stations) if not station.is_background]
    if not grid.hours or not city:
        raise Invalid("该时段没有监测数据 / no measurements in the period")
    values = values_in_force(session, grid)[pollutant][:, city]
    # Hour-ending labels (UTC) → the local hour beginning, whose date is the HJ 663 natural day.
    local = np.array(
        [
            (hour.astimezone(CHINA_TZ) - timedelta(hours=1)).replace(tzinfo=None)
            for hour in grid.hours
        ],
        dtype="datetime64[h]",
    )
    index = {hour: i for i, hour in enumerate(local.tolist())}
    sites = list(
        session.scalars(
            select(WeatherObservation.site)
            .where(WeatherObservation.observed_at >= start, WeatherObservation.observed_at < end)
            .group_by(WeatherObservation.site)
            .order_by(WeatherObservation.site)
        )
    )
    site_weather = np.full((len(local), max(1, len(sites)), len(WEATHER_VARIABLES)), np.nan)
    site_index = {site: i for i, site in enumerate(sites)}
    rows = session.execute(
        select(
            WeatherObservation.site,
            WeatherObservation.observed_at,
            *(getattr(WeatherObservation, name) for name in WEATHER_VARIABLES),
        ).where(WeatherObservation.observed_at >= start, WeatherObservation.observed_at < end)
    )
    for site, observed_at, *readings in rows:
        moment = observed_at.astimezone(CHINA_TZ).replace(tzinfo=None, minute=0, second=0)
        t = index.get(moment)
        if t is not None:
            site_weather[t, site_index[site]] = [np.nan if v is None else v for v in readings]
    return city_daily_series(local, values, city_weather(site_weather))


def normalise_stored(
    session: Session,
    pollutant: str,
    period: DaySpan,
    baseline: DaySpan,
    settings: ModelSettings,
    margin_days: int = 365,
) -> Normalisation:
    """The observed and weather-normalised change of ``pollutant`` over ``period`` against
    ``baseline`` from the stored measurements and weather (record from ``margin_days`` before
    the earlier period to as many after the later one, as far as it has begun)."""
    first = min(period.first, baseline.first) - timedelta(days=margin_days)
    last = min(max(period.last, baseline.last) + timedelta(days=margin_days), clock.today())
    measured = session.scalar(select(func.count()).select_from(WeatherObservation))
    if not measured:
        raise Invalid(
            "没有气象数据：请先导入（lantian weather import）/ no weather stored: import a station "
            "file first (lantian weather import)"
        )
    series = stored_series(session, pollutant, first, last)
    try:
        return normalise(series, period.as_period(), baseline.as_period(), settings)
    except ValueError as error:
        raise Invalid(str(error)) from None


@dataclass(frozen=True)
class StoredWeather:
    """What weather the platform holds: per site its hours and span."""

    site: str
    hours: int
    first: datetime
    last: datetime


def stored_weather(session: Session) -> list[StoredWeather]:
    rows = session.execute(
        select(
            WeatherObservation.site,
            func.count(),
            func.min(WeatherObservation.observed_at),
            func.max(WeatherObservation.observed_at),
        )
        .group_by(WeatherObservation.site)
        .order_by(WeatherObservation.site)
    )
    return [StoredWeather(site, int(n), first, last) for site, n, first, last in rows]


_CACHE: dict[tuple[object, ...], Normalisation] = {}
_CACHE_SIZE = 8


def _fingerprint(session: Session) -> tuple[object, ...]:
    """Changes whenever weather, measurements or their reviews change."""
    from lantian.monitoring.models import Measurement, MeasurementReview

    return (
        session.scalar(select(func.max(WeatherObservation.upload_id))),
        session.scalar(select(func.count()).select_from(WeatherObservation)),
        session.scalar(select(func.max(Measurement.id))),
        session.scalar(select(func.count()).select_from(Measurement)),
        session.scalar(select(func.max(MeasurementReview.id))),
    )


def normalise_cached(
    session: Session,
    pollutant: str,
    period: DaySpan,
    baseline: DaySpan,
    settings: ModelSettings,
    margin_days: int = 365,
) -> Normalisation:
    """:func:`normalise_stored`, kept per process while the data it read stay the same (the page
    shows the same figures again without growing the forests again)."""
    key = (pollutant, period, baseline, settings, margin_days, clock.today(), _fingerprint(session))
    found = _CACHE.get(key)
    if found is None:
        found = normalise_stored(session, pollutant, period, baseline, settings, margin_days)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = found
    return found


def chart_data(result: Normalisation) -> dict[str, object]:
    """The daily observed and normalised values of both periods, day by day from each start
    (day 1 of the baseline beside day 1 of the period), for the page's chart."""
    days = result.series.days
    observed = result.series.concentration

    def of(period: Period, values: np.ndarray) -> list[float | None]:
        chosen = values[period.holds(days)]
        return [None if np.isnan(v) else round(float(v), 1) for v in chosen]

    length = int((result.period.last - result.period.first).astype(int)) + 1
    return {
        "days": [
            str(d) for d in np.arange(result.period.first, result.period.last + 1).astype(str)
        ][:length],
        "observed_period": of(result.period, observed),
        "observed_baseline": of(result.baseline, observed),
        "normalised_period": of(result.period, result.normalised),
        "normalised_baseline": of(result.baseline, result.normalised),
    }
