"""Data validity and averaging per GB 3095-2012 Table 4 and HJ 663-2013 (spec §2.2-2.3).

Conventions (spec §2.3, data/PROVENANCE.md §1.5):

* Hour-ending labels: the value labelled h is the mean of [h-1, h). A natural day D consists of
  the values labelled D 01:00 ... D+1 00:00 ("24:00"); in CNEMC files that is hours 1..23 of D
  plus hour 0 of the next file.
* Inputs are fixed-point integer arrays (value x 10**decimals) on a *regular hourly grid* along
  axis 0, with MISSING (-1) where no valid value exists; other axes (stations...) are carried.
* Every average is returned with its count of valid values (openair style) and its validity.
  Sums are exact int64; a mean is rounded per GB/T 8170 (half to even) only at the end.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lantian.standards.options import DEFAULT_VALIDITY_OPTIONS, ValidityOptions
from lantian.standards.rounding import MISSING, round_half_even_div

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

O3_WINDOW_HOURS = 8
"""O3 moving-average window (GB 3095-2012 §3, "8小时平均")."""

MDA8_FIRST_LABEL = 8
"""First 8-h window of a natural day ends at 08:00 (windows 08..24, 17 in all; spec §2.3)."""


@dataclass(frozen=True, eq=False)
class Average:
    """An average with its exact parts: ``total / count`` (fixed point), rounded ``value``.

    ``value`` is the GB/T 8170 rounded mean in the same fixed point as the input, MISSING where
    ``valid`` is false. ``count`` is the number of valid inputs that went into it.
    """

    total: IntArray
    count: IntArray
    value: IntArray
    valid: BoolArray

    def exact(self) -> npt.NDArray[np.float64]:
        """Unrounded mean as float for display/diagnostics only (NaN where count is 0)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.total / np.maximum(self.count, 1), np.nan)


def _average(total: IntArray, count: IntArray, min_count: int) -> Average:
    valid = count >= max(min_count, 1)
    value = np.where(valid, round_half_even_div(total, count), MISSING).astype(np.int64)
    return Average(total=total, count=count, value=value, valid=valid)


def rolling_average(fixed: npt.ArrayLike, window: int, min_count: int) -> Average:
    """Moving mean of the last ``window`` points ending at each point (inclusive), along axis 0.

    Point i averages the valid values among i-window+1 .. i (fewer at the start of the series).
    Used for the 24-h moving means of the real-time report (HJ 633-2012 §5.1.3) and the O3 8-h
    moving mean (GB 3095-2012 Table 4: >= 6 of 8 hours; spec §2.3).
    """
    x = np.asarray(fixed, dtype=np.int64)
    ok = x >= 0
    values = np.where(ok, x, 0)
    zeros = np.zeros((1, *x.shape[1:]), dtype=np.int64)
    csum = np.concatenate([zeros, np.cumsum(values, axis=0)])
    ccount = np.concatenate([zeros, np.cumsum(ok, axis=0, dtype=np.int64)])
    n = x.shape[0]
    end = np.arange(1, n + 1)
    start = np.maximum(end - window, 0)
    total = csum[end] - csum[start]
    count = ccount[end] - ccount[start]
    return _average(total, count, min_count)


def rolling_max(fixed: npt.ArrayLike, window: int, min_count: int = 1) -> tuple[IntArray, IntArray]:
    """Maximum of the last ``window`` valid points ending at each point, with its count (axis 0).

    E.g. the O3 1-h maximum of the last 24 hours published with the real-time report (CNEMC
    ``O3_24h``, data/PROVENANCE.md §1.5). MISSING where fewer than ``min_count`` valid points.
    """
    x = np.asarray(fixed, dtype=np.int64)
    pad = np.full((window - 1, *x.shape[1:]), MISSING, dtype=np.int64)
    padded = np.concatenate([pad, x])
    windows = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)
    peak = windows.max(axis=-1)
    count = (windows >= 0).sum(axis=-1, dtype=np.int64)
    return np.where(count >= max(min_count, 1), peak, MISSING).astype(np.int64), count


def rolling_24h_average(
    fixed: npt.ArrayLike, options: ValidityOptions = DEFAULT_VALIDITY_OPTIONS
) -> Average:
    """24-point moving mean ending at each hour, crossing midnight (HJ 633-2012 §5.1.3).

    Valid with >= ``options.rolling_min_points`` points (GB 3095-2012 Table 4 gives 20 for a
    24-h mean; set 1 to reproduce CNEMC's published ``*_24h`` columns).
    """
    return rolling_average(fixed, 24, options.rolling_min_points)


def o3_8h_moving(
    fixed: npt.ArrayLike, options: ValidityOptions = DEFAULT_VALIDITY_OPTIONS
) -> Average:
    """O3 8-h moving mean labelled X = mean of labels X-7..X, >= 6 valid (GB 3095-2012 Table 4).

    Crosses midnight (spec §2.3, real-time "O3 8h moving").
    """
    return rolling_average(fixed, O3_WINDOW_HOURS, options.o3_8h_min_hours)


def daily_average(
    hourly_fixed: npt.ArrayLike, options: ValidityOptions = DEFAULT_VALIDITY_OPTIONS
) -> Average:
    """24-h means of natural days: axis 0 holds days x 24 hourly labels 01:00..24:00.

    Input shape (n_days * 24, ...). Valid with >= 20 hourly values (GB 3095-2012 Table 4).
    """
    x = np.asarray(hourly_fixed, dtype=np.int64)
    if x.shape[0] % 24:
        raise ValueError("daily_average needs whole days of 24 hourly values along axis 0")
    days = x.reshape(x.shape[0] // 24, 24, *x.shape[1:])
    ok = days >= 0
    total = np.where(ok, days, 0).sum(axis=1)
    count = ok.sum(axis=1, dtype=np.int64)
    return _average(total, count, options.daily_min_hours)


def daily_max(hourly_fixed: npt.ArrayLike, min_count: int = 1) -> tuple[IntArray, IntArray]:
    """Daily maximum of hourly values (e.g. O3 max 1-h, HJ 633-2012 §5.1.2) and its count.

    Input shape (n_days * 24, ...) with labels 01:00..24:00; returns (max, count), MISSING where
    fewer than ``min_count`` valid hours.
    """
    x = np.asarray(hourly_fixed, dtype=np.int64)
    days = x.reshape(x.shape[0] // 24, 24, *x.shape[1:])
    count = (days >= 0).sum(axis=1, dtype=np.int64)
    peak = days.max(axis=1)
    return np.where(count >= max(min_count, 1), peak, MISSING).astype(np.int64), count


@dataclass(frozen=True, eq=False)
class DailyMax8h:
    """Daily maximum 8-h O3 (日最大8小时平均) with its parts.

    ``windows`` are the 17 moving means (labels 08..24) per day; ``valid_windows`` their count of
    valid ones; ``rounded`` the GB/T 8170-rounded maximum of the valid windows; ``value`` the same
    but MISSING where the day is invalid; ``exact_max`` the unrounded maximum as float.
    """

    windows: Average
    valid_windows: IntArray
    rounded: IntArray
    value: IntArray
    valid: BoolArray
    exact_max: npt.NDArray[np.float64]


def o3_daily_max_8h(
    hourly_fixed: npt.ArrayLike,
    options: ValidityOptions = DEFAULT_VALIDITY_OPTIONS,
    limit_fixed: int | None = None,
) -> DailyMax8h:
    """Daily maximum 8-h O3 over the 17 windows labelled 08..24 of each natural day.

    Input shape (n_days * 24, ...), labels 01:00..24:00 of each day. Windows lie inside the day
    (spec §2.3, CORROBORATED). The day is valid with >= 14 valid windows (each >= 6 of 8 hours,
    GB 3095-2012 Table 4); with fewer it is still valid when the maximum exceeds the limit
    (``limit_fixed``, default the GB 3095-2012 Level-2 160 µg/m³) because missing data cannot
    undo an exceedance (HJ 663-2013, UNCONFIRMED wording; ``o3_mda8_exceedance_exception``).
    Exact: the maximum is taken over the rationals total/count (scaled to the common
    denominator 168 = lcm(6, 7, 8)) and rounded once.
    """
    x = np.asarray(hourly_fixed, dtype=np.int64)
    n_days = x.shape[0] // 24
    days = x.reshape(n_days, 24, *x.shape[1:])
    moving = [
        rolling_average(days[d], O3_WINDOW_HOURS, options.o3_8h_min_hours) for d in range(n_days)
    ]
    first = MDA8_FIRST_LABEL - 1
    total = np.stack([m.total[first:] for m in moving]) if moving else np.zeros((0, 17), np.int64)
    count = np.stack([m.count[first:] for m in moving]) if moving else np.zeros((0, 17), np.int64)
    windows = _average(total, count, options.o3_8h_min_hours)
    common = 168  # lcm(6, 7, 8): every valid window mean is an exact multiple of 1/168
    scaled = np.where(windows.valid, total * (common // np.maximum(count, 1)), -1)
    best = scaled.max(axis=1)
    valid_windows = windows.valid.sum(axis=1, dtype=np.int64)
    has_any = valid_windows > 0
    rounded = np.where(has_any, round_half_even_div(best, common), MISSING)
    limit = options.o3_8h_limit_fixed if limit_fixed is None else limit_fixed
    enough = valid_windows >= options.o3_mda8_min_windows
    exceeds = options.o3_mda8_exceedance_exception & has_any & (best > limit * common)
    valid = enough | exceeds
    value = np.where(valid, rounded, MISSING).astype(np.int64)
    exact = np.where(has_any, best / common, np.nan)
    return DailyMax8h(windows, valid_windows, rounded.astype(np.int64), value, valid, exact)


def period_average(daily_fixed: npt.ArrayLike, min_days: int) -> Average:
    """Mean of daily values along axis 0 with its count of valid days (GB 3095-2012 Table 4)."""
    x = np.asarray(daily_fixed, dtype=np.int64)
    ok = x >= 0
    total = np.where(ok, x, 0).sum(axis=0)
    count = ok.sum(axis=0, dtype=np.int64)
    return _average(total, count, min_days)


def monthly_min_days(
    year: int, month: int, options: ValidityOptions = DEFAULT_VALIDITY_OPTIONS
) -> int:
    """Minimum valid daily values of a month: 27, February 25 (GB 3095-2012 Table 4, spec §2.2)."""
    if not 1 <= month <= 12 or year < 1:
        raise ValueError("invalid month")
    return options.monthly_min_days_february if month == 2 else options.monthly_min_days


def monthly_average(
    daily_fixed: npt.ArrayLike,
    year: int,
    month: int,
    options: ValidityOptions = DEFAULT_VALIDITY_OPTIONS,
) -> Average:
    """Monthly mean of the daily values of one calendar month (spec §2.2; HJ 663-2013)."""
    x = np.asarray(daily_fixed, dtype=np.int64)
    if x.shape[0] > calendar.monthrange(year, month)[1]:
        raise ValueError("more daily values than days in the month")
    return period_average(x, monthly_min_days(year, month, options))


def annual_valid(
    daily_counts_per_month: npt.ArrayLike,
    year: int,
    options: ValidityOptions = DEFAULT_VALIDITY_OPTIONS,
) -> BoolArray:
    """Annual validity: >= 324 daily values and each month >= 27 (Feb >= 25); GB 3095-2012 T4.

    ``daily_counts_per_month`` has shape (12, ...): valid daily values per calendar month.
    """
    counts = np.asarray(daily_counts_per_month, dtype=np.int64)
    minimums = np.array([monthly_min_days(year, m, options) for m in range(1, 13)])
    minimums = minimums.reshape(12, *([1] * (counts.ndim - 1)))
    months_ok = (counts >= minimums).all(axis=0)
    total_ok = counts.sum(axis=0) >= options.annual_min_days
    return np.asarray(months_ok & total_ok, dtype=np.bool_)


def annual_average(
    daily_fixed_by_month: list[npt.ArrayLike],
    year: int,
    options: ValidityOptions = DEFAULT_VALIDITY_OPTIONS,
) -> Average:
    """Annual mean of the daily values (12 arrays, one per month); valid per :func:`annual_valid`."""
    if len(daily_fixed_by_month) != 12:
        raise ValueError("need 12 months of daily values")
    months = [np.asarray(m, dtype=np.int64) for m in daily_fixed_by_month]
    counts = np.stack([(m >= 0).sum(axis=0) for m in months])
    joined = np.concatenate(months, axis=0)
    ok = joined >= 0
    total = np.where(ok, joined, 0).sum(axis=0)
    count = ok.sum(axis=0, dtype=np.int64)
    averaged = _average(total, count, 1)
    valid = annual_valid(counts, year, options)
    value = np.where(valid, averaged.value, MISSING).astype(np.int64)
    return Average(total=total, count=count, value=value, valid=valid)
