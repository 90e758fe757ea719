"""The pure rules of the execution checks: whole warning days and the cut against the baseline."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from lantian.execution.rules import (
    WHOLE,
    Change,
    LineReading,
    actual_cuts,
    baselines,
    touched_days,
    whole_warning_days,
)
from lantian.timeutil import CHINA_TZ

RANKS = {"blue": 1, "yellow": 2, "orange": 3, "red": 4}
A, B = "410183100", "410183101"


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2019, 1, day, hour, tzinfo=CHINA_TZ)


CHANGES = [
    Change(at(2, 20), "yellow", frozenset({A, B})),  # issued in the evening of the 2nd
    Change(at(4, 0), "orange", frozenset({A})),  # upgraded at midnight, only A now
    Change(at(5, 12), "yellow", frozenset({A})),
    Change(at(6, 9), None, frozenset({A})),  # lifted on the 6th
]


def test_only_whole_days_count_with_the_lowest_level_held() -> None:
    days = whole_warning_days(CHANGES, A, date(2019, 1, 1), date(2019, 1, 7), RANKS)
    assert days == {date(2019, 1, 3): "yellow", date(2019, 1, 4): "orange",
                    date(2019, 1, 5): "yellow"}  # fmt: skip
    # B left the warning when it was upgraded to orange for A alone.
    assert whole_warning_days(CHANGES, B, date(2019, 1, 1), date(2019, 1, 7), RANKS) == {
        date(2019, 1, 3): "yellow"
    }
    assert touched_days(CHANGES, B, date(2019, 1, 1), date(2019, 1, 7)) == {
        date(2019, 1, 2),
        date(2019, 1, 3),
    }


def test_cut_from_kwh_and_from_production_share() -> None:
    normal = {date(2018, 12, d) for d in range(20, 25)}
    readings = [
        *(LineReading(d, "1号窑", 40000.0, None) for d in normal),
        *(LineReading(d, "2号窑", 10000.0, None) for d in normal),
        LineReading(date(2019, 1, 3), "1号窑", 10000.0, None),
        LineReading(date(2019, 1, 3), "2号窑", 12000.0, None),  # ran harder: no cut, not < 0
        LineReading(date(2019, 1, 4), "1号窑", None, 0.25),  # reported share only
    ]
    base = baselines(readings, normal)
    assert base == {"1号窑": 40000.0, "2号窑": 10000.0}
    cuts = actual_cuts(readings, {date(2019, 1, 3), date(2019, 1, 4)}, base)
    assert cuts[date(2019, 1, 3)]["1号窑"] == pytest.approx(0.75)
    assert cuts[date(2019, 1, 3)]["2号窑"] == 0.0
    assert cuts[date(2019, 1, 3)][WHOLE] == pytest.approx(1 - 22000 / 50000)
    assert cuts[date(2019, 1, 4)] == {"1号窑": 0.75, WHOLE: 0.75}
    assert actual_cuts(readings, {date(2019, 1, 5)}, base) == {}  # no reading: no data
