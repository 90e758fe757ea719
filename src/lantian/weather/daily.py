"""From hourly station values and hourly weather to the city's daily series the model learns.

The pollutant's day follows HJ 663-2013: a station's daily mean needs at least 20 valid hours
(GB 3095-2012 §7, the validity minimum of a 24-hour mean), the city's value is the mean of the
stations that have one. The weather's day is the mean of its observed hours (at least 20),
wind direction as a vector mean and precipitation as the day's total.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

from lantian.weather.normalise import WEATHER_VARIABLES, WeatherSeries, mean_direction

#: Hours a daily mean needs (GB 3095-2012 §7: 24-hour means of PM2.5, PM10, SO2, NO2, CO).
MIN_HOURS = 20
_DIRECTION = WEATHER_VARIABLES.index("wind_direction")
_PRECIPITATION = WEATHER_VARIABLES.index("precipitation")


def _by_day(
    hours: NDArray[np.datetime64],
) -> tuple[NDArray[np.datetime64], NDArray[np.intp]]:
    """The days of the span (every one, gaps included) and each hour's day index."""
    days = hours.astype("datetime64[D]")
    first, last = days.min(), days.max()
    all_days = np.arange(first, last + np.timedelta64(1, "D"), dtype="datetime64[D]")
    return all_days, (days - first).astype(np.intp)


def _daily_mean(
    index: NDArray[np.intp], n: int, values: NDArray[np.float64]
) -> NDArray[np.float64]:
    valid = ~np.isnan(values)
    counts = np.bincount(index[valid], minlength=n)
    sums = np.bincount(index[valid], weights=values[valid], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return np.where(counts >= MIN_HOURS, means, np.nan)


def city_daily_series(
    hours: NDArray[np.datetime64],
    station_values: NDArray[np.float64],
    weather: NDArray[np.float64],
) -> WeatherSeries:
    """The daily series of the city from hourly values.

    ``hours`` are the local (China time) hour beginnings, ``datetime64[h]``; ``station_values``
    is ``(hours, stations)`` of one pollutant (NaN = missing or invalid); ``weather`` is
    ``(hours, 6)`` of the city's weather (already averaged over its weather sites).
    """
    days, index = _by_day(hours)
    n = len(days)
    station_daily = np.column_stack(
        [_daily_mean(index, n, station_values[:, s]) for s in range(station_values.shape[1])]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a day without any station: NaN
        city = np.nanmean(station_daily, axis=1)
    daily_weather = np.full((n, len(WEATHER_VARIABLES)), np.nan)
    for column in range(len(WEATHER_VARIABLES)):
        values = weather[:, column]
        if column == _DIRECTION:
            valid = ~np.isnan(values)
            counts = np.bincount(index[valid], minlength=n)
            radians = np.deg2rad(values[valid])
            east = np.bincount(index[valid], weights=np.sin(radians), minlength=n)
            north = np.bincount(index[valid], weights=np.cos(radians), minlength=n)
            direction = np.rad2deg(np.arctan2(east, north)) % 360.0
            daily_weather[:, column] = np.where(counts >= MIN_HOURS, direction, np.nan)
        elif column == _PRECIPITATION:
            daily_weather[:, column] = _daily_mean(index, n, values) * 24.0
        else:
            daily_weather[:, column] = _daily_mean(index, n, values)
    return WeatherSeries(days, np.asarray(city, dtype=np.float64), daily_weather, "day")


def city_weather(site_weather: NDArray[np.float64]) -> NDArray[np.float64]:
    """The city's hourly weather from several sites ``(hours, sites, 6)``: the mean of the sites
    that observed (wind direction as a vector mean)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an hour without any site: NaN
        result = np.nanmean(site_weather, axis=1)
    result[:, _DIRECTION] = mean_direction(site_weather[:, :, _DIRECTION], axis=1)
    return np.asarray(result, dtype=np.float64)
