"""Validity, averaging (GB 3095-2012 Table 4, HJ 663-2013) and assessment kernels."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantian.standards.assessment import (
    composite_index,
    day_counts,
    exceedance_multiple,
    exceedance_rate,
    percentile,
    percentile_fixed,
    station_mean,
)
from lantian.standards.options import ValidityOptions
from lantian.standards.rounding import quantize, rescale, round_half_even_div
from lantian.standards.validity import (
    annual_valid,
    daily_average,
    daily_max,
    monthly_average,
    monthly_min_days,
    o3_8h_moving,
    o3_daily_max_8h,
    rolling_24h_average,
)


def test_daily_mean_needs_20_hours_and_carries_its_count() -> None:
    hours = np.full((24, 2), 50, dtype=np.int64)
    hours[:4, 0] = -1  # 20 valid hours -> valid
    hours[:5, 1] = -1  # 19 valid hours -> invalid
    result = daily_average(hours)
    assert result.count.tolist() == [[20, 19]]
    assert result.valid.tolist() == [[True, False]]
    assert result.value.tolist() == [[50, -1]]


def test_daily_mean_rounds_half_to_even_exactly() -> None:
    hours = np.array([74] * 12 + [75] * 12)[:, None]  # mean 74.5 -> 74 (GB/T 8170)
    assert int(daily_average(hours).value[0, 0]) == 74
    hours = np.array([75] * 12 + [76] * 12)[:, None]  # 75.5 -> 76
    assert int(daily_average(hours).value[0, 0]) == 76


def test_rolling_24h_crosses_midnight_and_counts() -> None:
    series = np.arange(48, dtype=np.int64)[:, None]
    result = rolling_24h_average(series, ValidityOptions(rolling_min_points=20))
    # point 30 averages 7..30 -> 18.5 -> 18 (half to even)
    assert int(result.value[30, 0]) == 18 and int(result.count[30, 0]) == 24
    assert int(result.count[10, 0]) == 11 and int(result.value[10, 0]) == -1


def test_o3_8h_needs_6_of_8() -> None:
    series = np.array([100, 100, -1, -1, 100, 100, 100, 100, -1, 100])[:, None]
    result = o3_8h_moving(series)
    assert int(result.count[7, 0]) == 6 and bool(result.valid[7, 0])
    assert int(result.count[9, 0]) == 5 and not bool(result.valid[9, 0])
    series2 = np.array([100, -1, -1, -1, 100, 100, 100, 100])[:, None]
    assert not bool(o3_8h_moving(series2).valid[7, 0])


def test_mda8_exceedance_exception() -> None:
    hours = np.full(24, -1, dtype=np.int64)
    hours[10:20] = 200  # only 5 valid windows, but the max exceeds 160 -> still valid
    result = o3_daily_max_8h(hours[:, None])
    assert int(result.valid_windows[0, 0]) < 14
    assert bool(result.valid[0, 0]) and int(result.value[0, 0]) == 200
    strict = o3_daily_max_8h(hours[:, None], ValidityOptions(o3_mda8_exceedance_exception=False))
    assert not bool(strict.valid[0, 0])


def test_daily_max_and_monthly_annual_validity() -> None:
    peak, count = daily_max(np.array([1, 5, 3] + [-1] * 21)[:, None])
    assert int(peak[0, 0]) == 5 and int(count[0, 0]) == 3
    assert monthly_min_days(2018, 2) == 25 and monthly_min_days(2017, 12) == 27
    days = np.array([40] * 26 + [-1] * 5)
    assert not bool(monthly_average(days, 2017, 12).valid)
    assert bool(monthly_average(np.array([40] * 25), 2018, 2).valid)
    full = np.array([27] * 12)
    assert bool(annual_valid(full, 2017))  # 324 days exactly
    short = full.copy()
    short[1] = 24
    assert not bool(annual_valid(short, 2017))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-1, 2000), min_size=1, max_size=50), st.integers(1, 99))
def test_percentile_fixed_is_exact(values: list[int], p: int) -> None:
    out = int(percentile_fixed(np.array(values)[:, None], p)[0])
    valid = sorted(v for v in values if v >= 0)
    if not valid:
        assert out == -1
        return
    n = len(valid)
    k = 1 + Fraction((n - 1) * p, 100)
    s = int(k)
    exact = Fraction(valid[-1]) if s >= n else valid[s - 1] + (valid[s] - valid[s - 1]) * (k - s)
    expected = round(exact)  # Python rounds Fractions half to even, as GB/T 8170
    assert out == expected
    assert percentile([float(v) for v in valid], p) == pytest.approx(float(exact))


def test_city_value_is_mean_of_stations_then_aqi() -> None:
    stations = np.array([[100, 51, -1]])
    city = station_mean(stations)
    assert int(city.count[0]) == 2 and int(city.value[0]) == 76  # 75.5 -> 76


def test_day_counts_and_exceedance() -> None:
    counts = day_counts([50, 100, 101, 201, 301, -1])
    assert (counts.valid_days, counts.good_days, counts.exceedance_days) == (5, 2, 3)
    assert (counts.heavy_days, counts.severe_days) == (2, 1)
    assert counts.good_ratio == Fraction(2, 5)
    assert exceedance_multiple(115, 75) == Fraction(40, 75)
    assert exceedance_rate([80, 70, -1, 76], 75) == Fraction(2, 3)


def test_composite_index() -> None:
    index = composite_index(
        {"SO2": 30, "NO2": 40, "PM10": 140, "PM25": 70, "CO": "2.0", "O3_8H": 160}
    )
    assert index.total == Fraction(1, 2) + 1 + 2 + 2 + Fraction(1, 2) + 1
    assert index.primary in {"PM10", "PM25"}
    with pytest.raises(ValueError):
        composite_index({"SO2": 1})


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**12), 10**12), st.integers(1, 10**6))
def test_round_half_even_div_matches_fraction_rounding(num: int, den: int) -> None:
    assert int(round_half_even_div(num, den)) == round(Fraction(num, den))


def test_quantize_reads_floats_as_decimals() -> None:
    assert quantize([1.015, 1.025, 0.145, np.nan, -2.0], 2).tolist() == [102, 102, 14, -1, -1]
    assert rescale([1234, 1235, 1245, -1], 1, 0).tolist() == [123, 124, 124, -1]


def _naive_mean(values: list[int]) -> Fraction | None:
    valid = [v for v in values if v >= 0]
    return Fraction(sum(valid), len(valid)) if valid else None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-1, 999), min_size=1, max_size=80))
def test_rolling_average_equals_naive_fraction_mean(values: list[int]) -> None:
    result = rolling_24h_average(np.array(values)[:, None], ValidityOptions(rolling_min_points=1))
    moving = o3_8h_moving(np.array(values)[:, None], ValidityOptions(o3_8h_min_hours=1))
    for i in range(len(values)):
        for width, got in ((24, result), (8, moving)):
            expected = _naive_mean(values[max(0, i - width + 1) : i + 1])
            assert int(got.count[i, 0]) == sum(
                v >= 0 for v in values[max(0, i - width + 1) : i + 1]
            )
            assert int(got.value[i, 0]) == (-1 if expected is None else round(expected))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.just(-1), st.integers(0, 900)), min_size=24, max_size=24))
def test_mda8_equals_naive_reference(hours: list[int]) -> None:
    result = o3_daily_max_8h(np.array(hours)[:, None])
    means = []
    for end in range(8, 25):  # window labels 08..24 -> hour indices end-8 .. end-1
        window = hours[end - 8 : end]
        valid = [v for v in window if v >= 0]
        if len(valid) >= 6:
            means.append(Fraction(sum(valid), len(valid)))
    assert int(result.valid_windows[0, 0]) == len(means)
    if not means:
        assert int(result.value[0, 0]) == -1
        return
    best = max(means)
    assert int(result.rounded[0, 0]) == round(best)
    assert bool(result.valid[0, 0]) == (len(means) >= 14 or best > 160)
