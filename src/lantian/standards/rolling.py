"""Rolling 24-hour AQI: the daily AQI of any continuous 24 hours (seed task 40, spec §4.1).

Since 2017 the warning grading indicator "daily AQI" may be the mean of *any* continuous 24 hours,
crossing natural days (seed task 40: "按连续24小时（可跨自然日）均值计算"). The value labelled hour X
is the daily AQI (HJ 633-2012 §5.1.2, seven indicators) of the 24 hourly labels X-23 .. X:

* SO2, NO2, CO, PM10, PM2.5: 24-point moving means ending at X (GB 3095-2012 Table 4 validity);
* O3 1-h: the maximum hourly O3 of the 24 hours;
* O3 8-h: the maximum of the 8-h moving means labelled X-16 .. X, the 17 windows lying wholly
  inside the 24 hours (the same windows a natural day uses, spec §2.3), valid with >= 14 of them
  unless the maximum exceeds the limit (HJ 663-2013, UNCONFIRMED wording, as the daily kernel).

At X = 24:00 of a day the value equals that natural day's daily AQI. Pure and vectorised along
axis 0 (hours on a regular grid); other axes (stations, areas) are carried.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import numpy.typing as npt

from lantian.standards.aqi import AqiResult, AqiStandard, daily_aqi_fixed
from lantian.standards.options import (
    DEFAULT_AQI_OPTIONS,
    DEFAULT_VALIDITY_OPTIONS,
    AqiOptions,
    StandardChoice,
    ValidityOptions,
)
from lantian.standards.rounding import MISSING
from lantian.standards.validity import o3_8h_moving, rolling_24h_average, rolling_max

ROLLING_HOURS = 24
"""Length of the grading window (seed task 40)."""

O3_WINDOWS_IN_DAY = 17
"""8-h windows wholly inside 24 hours (labels X-16 .. X), as for a natural day (spec §2.3)."""

MEAN_INDICATORS = ("SO2", "NO2", "CO", "PM10", "PM25")


def rolling_24h_inputs(
    hourly_fixed: Mapping[str, npt.ArrayLike],
    options: ValidityOptions = DEFAULT_VALIDITY_OPTIONS,
) -> dict[str, npt.NDArray[np.int64]]:
    """The seven daily-report statistics of the 24 hours ending at each hour (fixed point).

    ``hourly_fixed`` keys: ``SO2, NO2, CO, O3, PM10, PM25`` hourly values (CO in 0.1 mg/m³,
    MISSING = -1) on a regular hourly grid along axis 0. Returns the keys of
    :func:`lantian.standards.aqi.daily_aqi_fixed`: 24-h means, ``O3_1H`` and ``O3_8H``.
    """
    out: dict[str, npt.NDArray[np.int64]] = {}
    for key in MEAN_INDICATORS:
        if key in hourly_fixed:
            out[key] = rolling_24h_average(hourly_fixed[key], options).value
    if "O3" in hourly_fixed:
        o3 = np.asarray(hourly_fixed["O3"], dtype=np.int64)
        out["O3_1H"] = rolling_max(o3, ROLLING_HOURS, options.rolling_min_points)[0]
        eight = o3_8h_moving(o3, options).value
        peak, count = rolling_max(eight, O3_WINDOWS_IN_DAY, 1)
        enough = count >= options.o3_mda8_min_windows
        exceeds = options.o3_mda8_exceedance_exception & (peak > options.o3_8h_limit_fixed)
        out["O3_8H"] = np.where(enough | exceeds, peak, MISSING).astype(np.int64)
    return out


def rolling_24h_aqi_fixed(
    hourly_fixed: Mapping[str, npt.ArrayLike],
    standard: StandardChoice | AqiStandard = "hj633-2012",
    options: AqiOptions = DEFAULT_AQI_OPTIONS,
    validity: ValidityOptions = DEFAULT_VALIDITY_OPTIONS,
    on: date | None = None,
) -> AqiResult:
    """Rolling 24-hour AQI per hour (seed task 40; HJ 633-2012 §5.1.2 indicators and rules).

    Vectorised: the whole series at once. See the module docstring for the window definitions.
    """
    return daily_aqi_fixed(rolling_24h_inputs(hourly_fixed, validity), standard, options, on)


__all__ = ["ROLLING_HOURS", "rolling_24h_aqi_fixed", "rolling_24h_inputs"]
