"""Ambient air quality assessment per HJ 663-2013 (spec/standards.md §3).

Pure kernels over arrays: city values from station values, percentiles, day counts, exceedance
multiples and the composite index used to rank cities and townships. Fixed-point integer inputs
(value x 10**decimals, MISSING = -1) keep every statistic exact until its GB/T 8170 rounding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from lantian.standards.rounding import MISSING, round_half_even_div
from lantian.standards.validity import Average

IntArray = npt.NDArray[np.int64]

ANNUAL_PERCENTILES: Final = {"SO2": 98, "NO2": 98, "PM10": 95, "PM25": 95, "CO": 95, "O3_8H": 90}
"""Percentile of the daily values assessed per pollutant (HJ 663-2013 Table 1; spec §3.1)."""


def _gb3095() -> dict[str, Any]:
    text = resources.files("lantian.standards.tables").joinpath("gb3095_2012.json")
    data: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return data


GB3095_2012: Final = _gb3095()

COMPOSITE_LIMITS: Final[Mapping[str, Fraction]] = {
    "SO2": Fraction(GB3095_2012["limits_level2"]["SO2"]["annual"]),
    "NO2": Fraction(GB3095_2012["limits_level2"]["NO2"]["annual"]),
    "PM10": Fraction(GB3095_2012["limits_level2"]["PM10"]["annual"]),
    "PM25": Fraction(GB3095_2012["limits_level2"]["PM25"]["annual"]),
    "CO": Fraction(GB3095_2012["limits_level2"]["CO"]["24h"]),
    "O3_8H": Fraction(GB3095_2012["limits_level2"]["O3"]["8h"]),
}
"""S_i of the composite index: Level-2 annual limits (SO2, NO2, PM10, PM2.5), 24-h CO 4 mg/m³ and
8-h O3 160 µg/m³ (GB 3095-2012 Table 1; 城市环境空气质量排名技术规定 2014; spec §3.5)."""


def percentile(values: npt.ArrayLike, p: float) -> float:
    """HJ 663-2013 percentile of the valid values (NaN ignored): k = 1 + (n-1)p/100.

    m_p = X(s) + (X(s+1) - X(s)) x (k - s) with s = floor(k), X sorted ascending; X(n) if s = n
    (spec §3.2; equals NumPy's "linear" method). Returns NaN when there is no valid value.
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return float("nan")
    k = Fraction(1) + Fraction(n - 1) * Fraction(p) / 100
    s = int(k)
    if s >= n:
        return float(x[-1])
    low = Fraction(x[s - 1])
    high = Fraction(x[s])
    return float(low + (high - low) * (k - s))


def percentile_fixed(daily_fixed: npt.ArrayLike, p: int) -> IntArray:
    """Exact HJ 663-2013 percentile along axis 0 of fixed-point values, rounded per GB/T 8170.

    Integer arithmetic only: 100 k = 100 + (n-1) p, so the interpolation is
    (100 X(s) + (X(s+1) - X(s)) r) / 100 with r = (n-1) p mod 100 (spec §3.2, §0.2).
    MISSING values are excluded; MISSING where a column has no valid value.
    """
    x = np.asarray(daily_fixed, dtype=np.int64)
    ok = x >= 0
    n = ok.sum(axis=0)
    big = np.iinfo(np.int64).max
    ordered = np.sort(np.where(ok, x, big), axis=0)
    step = (np.maximum(n, 1) - 1) * p
    s = 1 + step // 100  # 1-based
    r = step % 100
    last = np.maximum(n - 1, 0)
    low_idx = np.minimum(s - 1, last)
    high_idx = np.minimum(s, last)
    low = np.take_along_axis(ordered, low_idx[None, ...], axis=0)[0]
    high = np.take_along_axis(ordered, high_idx[None, ...], axis=0)[0]
    # A column without valid values holds only the sentinel: zero it so nothing overflows.
    low, high = np.where(n > 0, low, 0), np.where(n > 0, high, 0)
    hundredfold = 100 * low + (high - low) * r
    return np.where(n > 0, round_half_even_div(hundredfold, 100), MISSING).astype(np.int64)


def station_mean(station_fixed: npt.ArrayLike, min_stations: int = 1) -> Average:
    """City (or township) concentration = arithmetic mean of its valid stations (last axis).

    HJ 663-2013 点位平均法, restated in HJ 633-2026 §4.2.2 (spec §3.3): the city's AQI is computed
    from these means, never by averaging station AQIs. ``min_stations`` (default 1) is the
    UNCONFIRMED minimum of valid stations. The value is rounded per GB/T 8170.
    """
    x = np.asarray(station_fixed, dtype=np.int64)
    ok = x >= 0
    total = np.where(ok, x, 0).sum(axis=-1)
    count = ok.sum(axis=-1, dtype=np.int64)
    valid = count >= max(min_stations, 1)
    value = np.where(valid, round_half_even_div(total, count), MISSING).astype(np.int64)
    return Average(total=total, count=count, value=value, valid=valid)


@dataclass(frozen=True)
class DayCounts:
    """Day statistics of a daily AQI series (HJ 663-2013; spec §3.4).

    good = AQI <= 100 (优良); exceedance = AQI > 100; heavy = AQI > 200 (重污染); severe = AQI > 300.
    Days with a missing AQI are excluded from ``valid_days`` and from every ratio.
    """

    valid_days: int
    good_days: int
    exceedance_days: int
    heavy_days: int
    severe_days: int

    @property
    def good_ratio(self) -> Fraction | None:
        """优良天数比例 = good days / valid days (exact; None without valid days)."""
        return Fraction(self.good_days, self.valid_days) if self.valid_days else None


def day_counts(daily_aqi: npt.ArrayLike) -> DayCounts:
    """Count good, exceedance, heavy and severe days of daily AQI values (-1 = missing)."""
    a = np.asarray(daily_aqi, dtype=np.int64).ravel()
    valid = a >= 0
    return DayCounts(
        valid_days=int(valid.sum()),
        good_days=int((valid & (a <= 100)).sum()),
        exceedance_days=int((a > 100).sum()),
        heavy_days=int((a > 200).sum()),
        severe_days=int((a > 300).sum()),
    )


def exceedance_multiple(
    concentration: Fraction | int | str, limit: Fraction | int | str
) -> Fraction:
    """超标倍数 = (C - S) / S, exact (HJ 663-2013; spec §3.4). Negative when C is below S."""
    c = Fraction(concentration)
    s = Fraction(limit)
    if s <= 0:
        raise ValueError("limit must be positive")
    return (c - s) / s


def exceedance_rate(values_fixed: npt.ArrayLike, limit_fixed: int) -> Fraction | None:
    """超标率 = values above the limit / valid values (spec §3.4); None without valid values."""
    x = np.asarray(values_fixed, dtype=np.int64).ravel()
    valid = x >= 0
    n = int(valid.sum())
    return Fraction(int((x > limit_fixed).sum()), n) if n else None


@dataclass(frozen=True)
class CompositeIndex:
    """综合指数 I_sum = sum of C_i / S_i over the six pollutants, with each term (spec §3.5)."""

    total: Fraction
    terms: Mapping[str, Fraction]
    primary: str


def composite_index(statistics: Mapping[str, Fraction | int | str]) -> CompositeIndex:
    """Composite index from period statistics (城市环境空气质量排名技术规定; spec §3.5).

    ``statistics``: period means of SO2, NO2, PM10, PM25 (µg/m³), the 95th percentile of daily
    CO (``CO``, mg/m³) and the 90th percentile of daily max 8-h O3 (``O3_8H``). Weights are 1
    (the 2018+ weights are not used for 2017-2018). The largest term names the primary pollutant.
    """
    missing = set(COMPOSITE_LIMITS) - set(statistics)
    if missing:
        raise ValueError(f"composite index needs all six pollutants, missing {sorted(missing)}")
    terms = {k: Fraction(statistics[k]) / s for k, s in COMPOSITE_LIMITS.items()}
    primary = max(terms, key=lambda k: terms[k])
    return CompositeIndex(total=sum(terms.values(), Fraction(0)), terms=terms, primary=primary)


def annual_attainment(
    annual_mean: Fraction | int | str,
    percentile_value: Fraction | int | str,
    annual_limit: Fraction | int | str,
    daily_limit: Fraction | int | str,
) -> bool:
    """A pollutant attains when both its annual mean and its percentile are within the limits.

    Percentiles compare with the 24-h / daily max 8-h limit (HJ 663-2013; spec §3.1).
    """
    return Fraction(annual_mean) <= Fraction(annual_limit) and Fraction(
        percentile_value
    ) <= Fraction(daily_limit)
