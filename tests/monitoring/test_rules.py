"""Automatic QC rules on hand-made series and on the real Zhengzhou data."""

from __future__ import annotations

import numpy as np

from lantian.monitoring import rules

NAN = np.nan


def column(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)[:, None]


def test_negative_and_over_range() -> None:
    values = column(-1, 0, 5, 1001, NAN)
    assert rules.negative(values)[:, 0].tolist() == [True, False, False, False, False]
    assert rules.over_range(values, 1000)[:, 0].tolist() == [False, False, False, True, False]


def test_stuck_runs_need_the_full_length_and_break_on_gaps() -> None:
    values = column(40, 40, 40, 40, 41, 50, 50, NAN, 50, 50)
    flagged = rules.stuck(values, run_hours=4, floor=5)[:, 0].tolist()
    assert flagged == [True, True, True, True, False, False, False, False, False, False]
    assert not rules.stuck(column(2, 2, 2, 2, 2), run_hours=4, floor=5).any()


def test_spike_is_an_isolated_peak() -> None:
    values = column(30, 35, 400, 32, 30, 300, 310, 40)
    flagged = rules.spike(values, factor=3, min_jump=100)[:, 0].tolist()
    assert flagged == [False, False, True, False, False, False, False, False]


def test_pm25_above_pm10_and_instrument_flags() -> None:
    assert rules.pm25_above_pm10(column(80, 81, NAN), column(80, 80, 90), 0)[:, 0].tolist() == [
        False,
        True,
        False,
    ]
    flags = np.array([["N"], ["T"], ["M"], ["D"], ["B"], [""]])
    assert rules.instrument_invalid(flags)[:, 0].tolist() == [False, False, True, True, True, False]


def test_works_across_stations_at_once() -> None:
    grid = np.array([[10, 10], [10, 20], [10, 30], [10, 40]], dtype=np.float64)
    flagged = rules.stuck(grid, run_hours=4, floor=5)
    assert flagged[:, 0].all() and not flagged[:, 1].any()
