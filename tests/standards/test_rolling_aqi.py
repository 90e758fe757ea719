"""Rolling 24-hour AQI (seed task 40): at 24:00 it equals the natural day's daily AQI."""

from __future__ import annotations

import numpy as np

from lantian.standards.aqi import daily_aqi_fixed
from lantian.standards.rolling import rolling_24h_aqi_fixed
from lantian.standards.rounding import MISSING
from lantian.standards.validity import daily_average, daily_max, o3_daily_max_8h


def _hourly(rng: np.random.Generator, hours: int, stations: int) -> dict[str, np.ndarray]:
    scale = {"SO2": 60, "NO2": 90, "CO": 30, "O3": 260, "PM10": 400, "PM25": 320}
    data = {
        k: rng.integers(1, v, size=(hours, stations)).astype(np.int64) for k, v in scale.items()
    }
    for values in data.values():
        values[rng.random(values.shape) < 0.08] = MISSING
    return data


def test_rolling_value_at_midnight_is_the_daily_aqi() -> None:
    rng = np.random.default_rng(7)
    hourly = _hourly(rng, 24 * 5, 3)
    rolling = rolling_24h_aqi_fixed(hourly)
    daily_inputs = {k: daily_average(hourly[k]).value for k in ("SO2", "NO2", "CO", "PM10", "PM25")}
    daily_inputs["O3_1H"] = daily_max(hourly["O3"], 20)[0]
    daily_inputs["O3_8H"] = o3_daily_max_8h(hourly["O3"]).value
    daily = daily_aqi_fixed(daily_inputs)
    at_midnight = rolling.aqi[23::24]
    assert at_midnight.shape == daily.aqi.shape
    np.testing.assert_array_equal(at_midnight, daily.aqi)


def test_rolling_aqi_crosses_midnight_and_counts_valid_hours() -> None:
    pm25 = np.full((48, 1), 50, dtype=np.int64)
    pm25[30:40] = 300  # ten hours of 300 in the second day
    rolling = rolling_24h_aqi_fixed({"PM25": pm25})
    # window ending at hour index 39 holds 14 h of 50 and 10 h of 300 -> mean 154.17 -> 154
    # PM2.5 IAQI(154) = 200 + (300-200) x (154-150)/(250-150) = 204 (ceil)
    assert int(rolling.aqi[39, 0]) == 204
    pm25[:5] = MISSING
    assert int(rolling_24h_aqi_fixed({"PM25": pm25}).aqi[18, 0]) == MISSING  # 19 valid < 20
