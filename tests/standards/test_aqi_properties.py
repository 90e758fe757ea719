"""Property tests of the AQI kernels against a slow exact reference (fractions), HJ 633."""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantian.standards.aqi import (
    HJ633_2012,
    HJ633_2026,
    AqiStandard,
    IaqiTable,
    daily_aqi_fixed,
    iaqi,
    iaqi_exact,
    iaqi_lookup,
    level_info,
    realtime_aqi_fixed,
    select_standard,
)
from lantian.standards.options import AqiOptions
from lantian.standards.rounding import quantize

STANDARDS = [HJ633_2012, HJ633_2026]
ITEMS = sorted(HJ633_2012.items)


def reference_iaqi(table: IaqiTable, c: Fraction, over_range: int = 500) -> int | None:
    """Slow reference: HJ 633-2012 §6.1 formula (1) on fractions, ceil per §6.2."""
    if c < 0:
        return None
    bps = table.breakpoints
    if c > bps[-1]:
        if table.above_top_rule == "cap":
            return over_range
        return table.above_top_iaqi if table.above_top_rule == "fixed" else None
    for i in range(1, len(bps)):
        if c <= bps[i]:
            lo, hi = bps[i - 1], bps[i]
            ilo, ihi = table.iaqi_points[i - 1], table.iaqi_points[i]
            return math.ceil(Fraction(ihi - ilo) / (hi - lo) * (c - lo) + ilo)
    raise AssertionError("unreachable")


@st.composite
def table_and_values(draw: st.DrawFn) -> tuple[IaqiTable, list[int], int]:
    standard = draw(st.sampled_from(STANDARDS))
    table = standard.items[draw(st.sampled_from(ITEMS))]
    top = int(table.breakpoints[-1] * 10**table.decimals)
    values = draw(st.lists(st.integers(-3, top + 50), min_size=1, max_size=60))
    return table, values, table.decimals


@settings(max_examples=300, deadline=None)
@given(table_and_values())
def test_lookup_and_exact_kernels_equal_the_fraction_reference(
    case: tuple[IaqiTable, list[int], int],
) -> None:
    table, values, decimals = case
    arr = np.array(values, dtype=np.int64)
    exact = iaqi_exact(table, arr, decimals)
    lookup = iaqi_lookup(table, arr)
    for v, e, lk in zip(values, exact, lookup, strict=True):
        ref = reference_iaqi(table, Fraction(v, 10**decimals))
        assert int(e) == (-1 if ref is None else ref)
        assert int(lk) == int(e)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(STANDARDS),
    st.sampled_from(ITEMS),
    st.lists(st.integers(0, 10**7), min_size=1, max_size=40),
)
def test_fine_resolution_kernel_equals_reference(
    standard: AqiStandard, item: str, raw: list[int]
) -> None:
    # round_before_iaqi=False: values kept to 4 extra decimals, still exact.
    table = standard.items[item]
    decimals = table.decimals + 4
    top = int(table.breakpoints[-1] * 10**decimals)
    values = [v % (top + 10**decimals) for v in raw]
    out = iaqi_exact(table, np.array(values, dtype=np.int64), decimals)
    for v, o in zip(values, out, strict=True):
        ref = reference_iaqi(table, Fraction(v, 10**decimals))
        assert int(o) == (-1 if ref is None else ref)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(STANDARDS), st.sampled_from(ITEMS))
def test_iaqi_is_monotone_and_hits_every_breakpoint(standard: AqiStandard, item: str) -> None:
    table = standard.items[item]
    values = iaqi_lookup(table, np.arange(0, int(table.breakpoints[-1] * 10**table.decimals) + 1))
    assert (np.diff(values.astype(np.int64)) >= 0).all()
    for bp, point in zip(table.breakpoints, table.iaqi_points, strict=True):
        assert int(iaqi_lookup(table, np.array([int(bp * 10**table.decimals)]))[0]) == point


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(STANDARDS),
    st.lists(
        st.tuples(*[st.integers(-1, 1300) for _ in range(5)], st.integers(-1, 200)),
        min_size=1,
        max_size=30,
    ),
)
def test_aqi_is_the_max_sub_index_and_primary_are_the_ties(
    standard: AqiStandard, rows: list[tuple[int, ...]]
) -> None:
    cols = np.array(rows, dtype=np.int64).T
    conc = dict(zip(["SO2", "NO2", "O3", "PM10", "PM25", "CO"], cols, strict=True))
    result = realtime_aqi_fixed(conc, standard, AqiOptions(realtime_so2_substitute="none"))
    stacked = np.stack([result.iaqi[k] for k in result.indicators])
    assert (result.aqi == stacked.max(axis=0)).all()
    for i in range(len(rows)):
        a = int(result.aqi[i])
        primaries = result.indicators_in(int(result.primary_mask[i]))
        expected = [k for k in result.indicators if a > 50 and int(result.iaqi[k][i]) == a]
        assert primaries == expected
        if a >= 0:
            info = level_info(int(result.level[i]), standard)
            assert info.aqi_max is None or a <= info.aqi_max


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 3000, allow_nan=False), st.sampled_from(ITEMS))
def test_float_inputs_round_per_gbt8170_then_match_reference(x: float, item: str) -> None:
    table = HJ633_2012.items[item]
    rounded = Fraction(int(quantize([x], table.decimals)[0]), 10**table.decimals)
    ref = reference_iaqi(table, rounded)
    assert int(iaqi(item, [x])[0]) == (-1 if ref is None else ref)


def test_so2_and_o3_substitutions_of_each_version() -> None:
    high = {"SO2": np.array([900]), "SO2_24H": np.array([420]), "PM25": np.array([10])}
    r2012 = realtime_aqi_fixed(high, "hj633-2012")
    assert int(r2012.iaqi["SO2"][0]) == int(iaqi("SO2_24H", [420])[0]) == 142
    r2026 = realtime_aqi_fixed(high, "hj633-2026")
    assert int(r2026.iaqi["SO2"][0]) == 200
    none = realtime_aqi_fixed(high, "hj633-2012", AqiOptions(realtime_so2_substitute="none"))
    assert int(none.iaqi["SO2"][0]) == -1
    daily = {"O3_1H": np.array([820]), "O3_8H": np.array([805])}
    assert int(daily_aqi_fixed(daily, "hj633-2012").iaqi["O3_8H"][0]) == 310
    d2026 = daily_aqi_fixed(daily, "hj633-2026")
    assert int(d2026.iaqi["O3_8H"][0]) == 300
    assert d2026.indicators == ("SO2", "NO2", "PM10", "CO", "O3_8H", "PM25")


def test_2026_pm_breakpoints_and_date_selection() -> None:
    assert select_standard("auto", date(2026, 2, 28)) is HJ633_2012
    assert select_standard("auto", date(2026, 3, 1)) is HJ633_2026
    with pytest.raises(ValueError):
        select_standard("auto")
    assert int(iaqi("PM25_24H", [60], "hj633-2026")[0]) == 100
    assert int(iaqi("PM10_24H", [120], "hj633-2026")[0]) == 100
    assert int(iaqi("PM25_24H", [60], "hj633-2012")[0]) == 82
    assert not HJ633_2026.reports_exceedance_pollutants


def test_realtime_pm_basis_and_o3_8h_switches() -> None:
    conc = {
        "PM25": np.array([40]),
        "PM25_24H": np.array([150]),
        "O3": np.array([100]),
        "O3_8H": np.array([200]),
    }
    assert int(realtime_aqi_fixed(conc).aqi[0]) == 57
    moving = realtime_aqi_fixed(conc, options=AqiOptions(realtime_pm_basis="24h_moving"))
    assert int(moving.aqi[0]) == 200
    with_o3 = realtime_aqi_fixed(conc, options=AqiOptions(realtime_include_o3_8h=True))
    assert "O3_8H" in with_o3.indicators and int(with_o3.aqi[0]) == 137


def test_round_before_iaqi_switch() -> None:
    # 75.4 rounds to 75 (IAQI 100) by default; unrounded it is 100.5 -> 101.
    assert int(iaqi("PM25_24H", [75.4])[0]) == 100
    assert int(iaqi("PM25_24H", [75.4], options=AqiOptions(round_before_iaqi=False))[0]) == 101


def test_level_texts_are_bilingual_and_complete() -> None:
    for level in range(1, 7):
        info = level_info(level)
        assert info.category_zh and info.category_en and info.advice_zh and info.advice_en
        assert info.health_effect_zh and info.health_effect_en
    assert level_info(5).hex == "#99004C" and level_info(5).cmyk == (10, 100, 40, 30)
    with pytest.raises(ValueError):
        level_info(7)
