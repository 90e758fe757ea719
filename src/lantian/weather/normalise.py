"""Meteorological normalisation ("deweathering") of a pollutant series by random forest.

The method of Vu et al. 2019, "Assessing the impact of clean air action on air quality trends in
Beijing using a machine learning technique", ACP 19, 11303 (the rmweather approach of Grange et
al. 2018, ACP 18, 6223, with Vu et al.'s resampling window):

1. A random forest predicts the concentration from the time variables (trend as the date, day of
   year, weekday, hour of day when hourly) and the weather (temperature, relative humidity,
   pressure, wind speed, wind direction, precipitation).
2. The normalised value of a time is the mean prediction over ``samples`` new weather situations:
   the time variables are kept, the weather variables are drawn together (one observed weather
   situation of the record) from the times of the whole record whose day of year lies within
   ``window_days`` of that time (and at the same hour when hourly) — Vu et al.'s ±2 weeks of
   every year of the record. So the seasonal cycle of the weather stays; its year-to-year
   variation is averaged out, and what is left follows emissions.
3. A period is compared with the period a year before on the observed and on the normalised
   series; their difference is the part of the observed change due to weather. The model and the
   draws are repeated with ``seeds`` random seeds: the spread of the normalised change over seeds
   is its uncertainty (5–95 %); the observed change gets a day-bootstrap 5–95 % range.

Pure: arrays in, arrays out; no database, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

#: The weather variables, in the column order of :attr:`WeatherSeries.weather`.
WEATHER_VARIABLES: tuple[str, ...] = (
    "temperature",
    "humidity",
    "pressure",
    "wind_speed",
    "wind_direction",
    "precipitation",
)

Resolution = Literal["day", "hour"]


@dataclass(frozen=True)
class ModelSettings:
    """How the forest is grown and how often the weather is resampled (defaults as settings)."""

    trees: int = 200
    samples: int = 300
    """Weather situations drawn for every time (rmweather's ``n_samples``)."""
    seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    """Each seed grows its own forest and draws its own weather: the spread is the uncertainty."""
    window_days: int = 14
    """Weather is drawn from days within this many days of the same day of year (Vu et al.)."""
    min_samples_leaf: int = 5
    """Smallest leaf (ranger's / rmweather's ``min.node.size`` 5)."""
    max_features: float = 1 / 3
    """Share of the variables tried at each split (ranger's regression default is p/3)."""
    bootstrap_days: int = 1000
    """Day-bootstrap draws for the range of the observed change."""


@dataclass(frozen=True)
class Period:
    """An inclusive span of natural days (numpy ``datetime64[D]``)."""

    first: np.datetime64
    last: np.datetime64

    def holds(self, days: NDArray[np.datetime64]) -> NDArray[np.bool_]:
        return (days >= self.first) & (days <= self.last)


@dataclass(frozen=True)
class WeatherSeries:
    """A regular series of one pollutant with the weather of each time.

    ``times`` are ``datetime64[D]`` (daily) or ``datetime64[h]`` (hourly, local time);
    ``concentration`` is NaN where not measured; ``weather`` is ``(len(times), 6)`` in the order
    of :data:`WEATHER_VARIABLES`, NaN where not observed.
    """

    times: NDArray[np.datetime64]
    concentration: NDArray[np.float64]
    weather: NDArray[np.float64]
    resolution: Resolution = "day"

    def __post_init__(self) -> None:
        n = len(self.times)
        if self.concentration.shape != (n,) or self.weather.shape != (n, len(WEATHER_VARIABLES)):
            raise ValueError("times, concentration and weather must have the same length")

    @property
    def days(self) -> NDArray[np.datetime64]:
        return self.times.astype("datetime64[D]")


@dataclass(frozen=True)
class SeedRun:
    """One seed's forest and draws: the normalised series and its changes."""

    seed: int
    normalised: NDArray[np.float64]
    normalised_change_pct: float
    oob_r2: float


@dataclass(frozen=True)
class Normalisation:
    """The observed and weather-normalised change of a period against its baseline."""

    series: WeatherSeries
    period: Period
    baseline: Period
    settings: ModelSettings
    training_rows: int
    observed_period_mean: float
    observed_baseline_mean: float
    observed_change_pct: float
    observed_change_range: tuple[float, float]
    """5–95 % of the observed change over day-bootstrap draws (sampling uncertainty)."""
    normalised_period_mean: float
    normalised_baseline_mean: float
    normalised_change_pct: float
    """Median over seeds."""
    normalised_change_range: tuple[float, float]
    """5–95 % over seeds (model and resampling uncertainty)."""
    weather_part_pct: float
    """Observed minus normalised change, percentage points: what the weather did."""
    weather_part_range: tuple[float, float]
    runs: tuple[SeedRun, ...] = field(repr=False)
    normalised: NDArray[np.float64] = field(repr=False)
    """The normalised series, mean over seeds (NaN outside the compared periods)."""
    compared_days: int = 0

    @property
    def oob_r2(self) -> float:
        """Out-of-bag R² of the forests (mean over seeds): how much of the series they explain."""
        return float(np.mean([run.oob_r2 for run in self.runs]))


def relative_humidity(
    temperature_c: NDArray[np.float64], dewpoint_c: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Relative humidity (%) from air and dew-point temperature (°C), Magnus formula with the
    coefficients of Alduchov & Eskridge 1996 (a = 17.625, b = 243.04 °C), capped at 100 %."""
    a, b = 17.625, 243.04
    ratio = np.exp(a * dewpoint_c / (b + dewpoint_c) - a * temperature_c / (b + temperature_c))
    return np.asarray(np.minimum(100.0 * ratio, 100.0), dtype=np.float64)


_COMPASS = (
    "N",
    "NNE",
    "NE",
    "ENE",
    "E",
    "ESE",
    "SE",
    "SSE",
    "S",
    "SSW",
    "SW",
    "WSW",
    "W",
    "WNW",
    "NW",
    "NNW",
)
_COMPASS_ZH = (
    "北",
    "北东北",
    "东北",
    "东东北",
    "东",
    "东东南",
    "东南",
    "南东南",
    "南",
    "南西南",
    "西南",
    "西西南",
    "西",
    "西西北",
    "西北",
    "北西北",
)
#: Compass points (16, English letters or Chinese words) → degrees from north.
COMPASS_DEGREES: dict[str, float] = {
    **{name: 22.5 * i for i, name in enumerate(_COMPASS)},
    **{name: 22.5 * i for i, name in enumerate(_COMPASS_ZH)},
    "偏北": 0.0,
    "偏东": 90.0,
    "偏南": 180.0,
    "偏西": 270.0,
}


def mean_direction(degrees: NDArray[np.float64], axis: int = 0) -> NDArray[np.float64]:
    """The vector mean of directions (degrees from north), ignoring NaN; NaN where none."""
    radians = np.deg2rad(degrees)
    seen = ~np.isnan(radians)
    east = np.where(seen, np.sin(radians), 0.0).sum(axis=axis)
    north = np.where(seen, np.cos(radians), 0.0).sum(axis=axis)
    none = seen.sum(axis=axis) == 0
    east = np.where(none, np.nan, east)
    return np.asarray(np.rad2deg(np.arctan2(east, north)) % 360.0, dtype=np.float64)


def time_features(times: NDArray[np.datetime64], resolution: Resolution) -> NDArray[np.float64]:
    """Trend (days since 1970), day of year, weekday (Monday 0) and, hourly, hour of day."""
    days = times.astype("datetime64[D]")
    trend = (times.astype("datetime64[h]").astype(np.int64) / 24.0).astype(np.float64)
    year_start = days.astype("datetime64[Y]").astype("datetime64[D]")
    day_of_year = (days - year_start).astype(np.int64) + 1
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    columns = [trend, day_of_year.astype(np.float64), weekday.astype(np.float64)]
    if resolution == "hour":
        hour = (times.astype("datetime64[h]") - days).astype(np.int64)
        columns.append(hour.astype(np.float64))
    return np.column_stack(columns)


def _draw_pools(
    times: NDArray[np.datetime64], donors: NDArray[np.intp], resolution: Resolution, window: int
) -> dict[tuple[int, int], NDArray[np.intp]]:
    """For each (day of year, hour) the donor rows whose day of year is within ``window``."""
    features = time_features(times, resolution)
    day_of_year = features[:, 1].astype(np.int64)
    hour = features[:, 3].astype(np.int64) if resolution == "hour" else np.zeros(len(times), int)
    pools: dict[tuple[int, int], NDArray[np.intp]] = {}
    donor_doy = day_of_year[donors]
    donor_hour = hour[donors]
    for key_doy in range(1, 367):
        distance = np.abs(donor_doy - key_doy)
        near = np.minimum(distance, 366 - distance) <= window
        for key_hour in range(24 if resolution == "hour" else 1):
            pool = donors[near & (donor_hour == key_hour)]
            if len(pool) == 0:  # too short a record: the whole record of that hour
                pool = donors[donor_hour == key_hour]
            pools[(key_doy, key_hour)] = pool
    return pools


def _change(
    values: NDArray[np.float64], period: NDArray[np.bool_], base: NDArray[np.bool_]
) -> float:
    base_mean = float(np.mean(values[base]))
    return 100.0 * (float(np.mean(values[period])) - base_mean) / base_mean


def normalise(
    series: WeatherSeries, period: Period, baseline: Period, settings: ModelSettings
) -> Normalisation:
    """Grow the forests, normalise the series over ``period`` and ``baseline`` and compare them.

    Training rows: every time with a concentration and complete weather. Weather donors: every
    time with complete weather. The compared times are those of the two periods with an observed
    concentration (the same times on both series, so the changes are like for like).
    """
    from sklearn.ensemble import RandomForestRegressor  # heavy: imported when a model is grown

    if not settings.seeds:
        raise ValueError("at least one seed is needed")
    complete = ~np.isnan(series.weather).any(axis=1)
    measured = ~np.isnan(series.concentration)
    train = complete & measured
    days = series.days
    in_period = period.holds(days) & measured
    in_base = baseline.holds(days) & measured
    if train.sum() < 30 or not in_period.any() or not in_base.any():
        raise ValueError(
            "数据不足：需要两个时段的浓度和气象数据 / not enough data: both periods need "
            "concentrations, and the record needs weather"
        )
    time_x = time_features(series.times, series.resolution)
    x_all = np.column_stack([time_x, series.weather])
    donors = np.flatnonzero(complete)
    pools = _draw_pools(series.times, donors, series.resolution, settings.window_days)
    targets = np.flatnonzero(in_period | in_base)
    target_keys = list(
        zip(
            time_x[targets, 1].astype(int),
            time_x[targets, 3].astype(int) if series.resolution == "hour" else [0] * len(targets),
            strict=True,
        )
    )
    n_time = time_x.shape[1]
    runs: list[SeedRun] = []
    for seed in settings.seeds:
        rng = np.random.default_rng(seed)
        forest = RandomForestRegressor(
            n_estimators=settings.trees,
            min_samples_leaf=settings.min_samples_leaf,
            max_features=settings.max_features,
            oob_score=True,
            random_state=seed,
            n_jobs=1,
        )
        forest.fit(x_all[train], series.concentration[train])
        # For each target: ``samples`` donor rows from its (day of year, hour) pool.
        drawn = np.empty((len(targets), settings.samples), dtype=np.intp)
        for row, key in enumerate(target_keys):
            pool = pools[key]
            drawn[row] = pool[rng.integers(0, len(pool), settings.samples)]
        total = np.zeros(len(targets))
        chunk = max(1, 200_000 // max(1, len(targets)))
        for start in range(0, settings.samples, chunk):
            picks = drawn[:, start : start + chunk]  # (targets, k)
            k = picks.shape[1]
            x = np.empty((len(targets) * k, x_all.shape[1]))
            x[:, :n_time] = np.repeat(time_x[targets], k, axis=0)
            x[:, n_time:] = series.weather[picks.reshape(-1)]
            total += forest.predict(x).reshape(len(targets), k).sum(axis=1)
        normalised = np.full(len(series.times), np.nan)
        normalised[targets] = total / settings.samples
        runs.append(
            SeedRun(
                seed=seed,
                normalised=normalised,
                normalised_change_pct=_change(normalised, in_period, in_base),
                oob_r2=float(forest.oob_score_),
            )
        )
    return _summarise(
        series, period, baseline, settings, int(train.sum()), runs, in_period, in_base
    )


def _percentiles(values: Sequence[float] | NDArray[np.float64]) -> tuple[float, float]:
    low, high = np.percentile(np.asarray(values, dtype=np.float64), [5, 95])
    return float(low), float(high)


def _summarise(
    series: WeatherSeries,
    period: Period,
    baseline: Period,
    settings: ModelSettings,
    training_rows: int,
    runs: list[SeedRun],
    in_period: NDArray[np.bool_],
    in_base: NDArray[np.bool_],
) -> Normalisation:
    observed = series.concentration
    observed_change = _change(observed, in_period, in_base)
    # Day bootstrap of the observed change: the days of each period drawn with replacement.
    rng = np.random.default_rng(0)
    period_values, base_values = observed[in_period], observed[in_base]
    period_draws = rng.choice(period_values, (settings.bootstrap_days, len(period_values)))
    base_draws = rng.choice(base_values, (settings.bootstrap_days, len(base_values)))
    boot = 100.0 * (period_draws.mean(axis=1) / base_draws.mean(axis=1) - 1.0)
    normalised_changes = np.array([run.normalised_change_pct for run in runs])
    normalised_mean = np.mean(np.stack([run.normalised for run in runs]), axis=0)
    weather_parts = observed_change - normalised_changes
    return Normalisation(
        series=series,
        period=period,
        baseline=baseline,
        settings=settings,
        training_rows=training_rows,
        observed_period_mean=float(np.mean(period_values)),
        observed_baseline_mean=float(np.mean(base_values)),
        observed_change_pct=observed_change,
        observed_change_range=_percentiles(boot),
        normalised_period_mean=float(np.mean(normalised_mean[in_period])),
        normalised_baseline_mean=float(np.mean(normalised_mean[in_base])),
        normalised_change_pct=float(np.median(normalised_changes)),
        normalised_change_range=_percentiles(normalised_changes),
        weather_part_pct=float(np.median(weather_parts)),
        weather_part_range=_percentiles(weather_parts),
        runs=tuple(runs),
        normalised=normalised_mean,
        compared_days=int(in_period.sum() + in_base.sum()),
    )
