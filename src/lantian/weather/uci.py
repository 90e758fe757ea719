"""The UCI Beijing multi-site air-quality files (Zhang et al. 2017, Proc. R. Soc. A 473:
20170457; UCI ML repository "Beijing Multi-Site Air-Quality Data"): one CSV per station with
hourly SO2, NO2, PM10, PM2.5, CO (µg/m³), O3 and TEMP, PRES, DEWP, RAIN, wd, WSPM.

Read here for the offline normalisation of ``lantian weather normalise --uci-file``: the
pollutant and the weather straight from the files, without a database. The weather importer
(:mod:`lantian.weather.imports`) takes the same files into the platform.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from lantian.errors import Invalid
from lantian.weather.daily import city_daily_series, city_weather
from lantian.weather.normalise import COMPASS_DEGREES, WeatherSeries, relative_humidity

#: Our pollutant code → the UCI column.
UCI_POLLUTANTS = {
    "pm2_5": "PM2.5",
    "pm10": "PM10",
    "so2": "SO2",
    "no2": "NO2",
    "co": "CO",
    "o3": "O3",
}

_NUMBERS = (*UCI_POLLUTANTS.values(), "TEMP", "PRES", "DEWP", "RAIN", "WSPM")


def read_uci_series(
    paths: Sequence[Path], pollutant: str, *, hourly: bool = False
) -> WeatherSeries:
    """The city's daily series of ``pollutant`` from UCI station files (the mean of stations,
    each station's day needing 20 hours; the weather the mean of the stations' weather).
    ``hourly``: the hourly series instead (the mean of the stations measured that hour)."""
    if pollutant not in UCI_POLLUTANTS:
        raise Invalid(f"未知污染物 {pollutant} / unknown pollutant {pollutant}")
    frames = []
    for path in paths:
        frame = pl.read_csv(
            path,
            null_values=["NA"],
            schema_overrides={name: pl.Float64 for name in _NUMBERS},
        )
        frames.append(frame)
    hours = None
    values, weathers = [], []
    for frame in frames:
        stamps = (
            frame.select(pl.datetime("year", "month", "day", "hour").alias("t"))["t"]
            .to_numpy()
            .astype("datetime64[h]")
        )
        if hours is None:
            hours = stamps
        elif not np.array_equal(hours, stamps):
            raise Invalid("各站文件的小时不一致 / the station files do not cover the same hours")
        values.append(frame[UCI_POLLUTANTS[pollutant]].cast(pl.Float64).to_numpy())
        temperature = frame["TEMP"].cast(pl.Float64).to_numpy()
        dewpoint = frame["DEWP"].cast(pl.Float64).to_numpy()
        direction = np.array(
            [COMPASS_DEGREES.get(text, np.nan) if text else np.nan for text in frame["wd"]],
            dtype=np.float64,
        )
        weathers.append(
            np.column_stack(
                [
                    temperature,
                    relative_humidity(temperature, dewpoint),
                    frame["PRES"].cast(pl.Float64).to_numpy(),
                    frame["WSPM"].cast(pl.Float64).to_numpy(),
                    direction,
                    frame["RAIN"].cast(pl.Float64).to_numpy(),
                ]
            )
        )
    assert hours is not None
    if hourly:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an hour no station measured
            city = np.nanmean(np.column_stack(values), axis=1)
        weather = city_weather(np.stack(weathers, axis=1))
        return WeatherSeries(hours, np.asarray(city, dtype=np.float64), weather, "hour")
    return city_daily_series(
        hours, np.column_stack(values), city_weather(np.stack(weathers, axis=1))
    )
