"""The CEMS kernel against the spec's vectors (spec/standards.md §5.7, §5.10 P12, §6.2, §6.4)."""

from __future__ import annotations

import numpy as np
import pytest

from lantian.standards.cems import (
    corrected_concentration,
    episodes,
    exceedance_ratio,
    judge_hours,
    valid_hours,
)


def test_corrected_concentration_reproduces_the_zs_values_of_packet_p12() -> None:
    # P12 (spec §5.10): SO2 28.5 → ZsRtd 31.2, NOx 40.1 → 43.9, PM 4.2 → 4.6 at O2 7.3 %,
    # i.e. a coal-fired power boiler's reference O2 of 6 % (spec §6.2 table).
    measured = np.array([28.5, 40.1, 4.2])
    corrected = corrected_concentration(measured, np.full(3, 7.3), 6.0)
    assert np.round(corrected, 1).tolist() == [31.2, 43.9, 4.6]


def test_o2_at_or_above_21_percent_makes_the_hour_invalid() -> None:
    corrected = corrected_concentration(
        np.array([10.0, 10.0, 10.0, 10.0]), np.array([20.0, 21.0, 21.65, np.nan]), 9.0
    )
    assert corrected[0] == pytest.approx(120.0)
    assert np.isnan(corrected[1:]).all()


def test_reference_o2_outside_air_is_refused() -> None:
    with pytest.raises(ValueError):
        corrected_concentration(np.array([1.0]), np.array([5.0]), 21.0)


def test_only_n_and_t_flags_count_and_a_missing_flag_is_normal() -> None:
    flags = ["N", "T", "M", "C", "F", "D", "B", "S", None, "n"]
    assert valid_hours(flags).tolist() == [
        True, True, False, False, False, False, False, False, True, True
    ]  # fmt: skip


def test_exceedance_ratio() -> None:
    assert exceedance_ratio(np.array([70.0, 35.0, 17.5]), 35.0).tolist() == [1.0, 0.0, -0.5]


def test_maintenance_hours_above_the_limit_are_not_exceedances() -> None:
    hours = np.arange(6, dtype=np.int64)
    judged = judge_hours(
        hours,
        np.array([500.0, 500.0, 20.0, 500.0, np.nan, 500.0]),
        ["M", "C", "N", "N", "N", "D"],
        limit=100.0,
    )
    assert judged.exceeding.tolist() == [False, False, False, True, False, False]
    assert judged.valid.tolist() == [False, False, True, True, False, False]
    assert judged.episode.tolist() == [-1, -1, -1, 0, -1, -1]


def test_episodes_split_after_the_compliant_gap_only() -> None:
    # hours:        0  1  2  3  4  5  6  7  9  10 11
    exceeding = np.array([1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1], dtype=bool)
    valid = np.array([1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1], dtype=bool)
    hours = np.array([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11], dtype=np.int64)
    one_hour_gap = episodes(hours, exceeding, valid, gap_hours=1)
    assert one_hour_gap.tolist() == [0, 0, -1, 1, -1, -1, 2, -1, -1, -1, 3]
    two_hour_gap = episodes(hours, exceeding, valid, gap_hours=2)
    # one compliant hour (2) does not split; two (4, 5) do; 7 and 9 are invalid, 10 compliant: 1.
    assert two_hour_gap.tolist() == [0, 0, -1, 0, -1, -1, 1, -1, -1, -1, 1]


def test_episodes_need_sorted_hours() -> None:
    with pytest.raises(ValueError):
        episodes(np.array([2, 1]), np.array([True, True]), np.array([True, True]))
