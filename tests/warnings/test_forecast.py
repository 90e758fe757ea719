"""Forecast CSV, the newest version in force, baseline forecasters and skill (hand-built)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from lantian.errors import InputError
from lantian.tabular import Rejected
from lantian.timeutil import CHINA_TZ
from lantian.warnings.forecast import (
    FromIssues,
    Perfect,
    Persistence,
    SeasonalDiurnalPersistence,
    daily_skill,
    hourly_values,
    parse_forecast_csv,
)

HEADER = "area,issued_at,valid_start,valid_end,aqi,primary_pollutant,source\n"
T0 = datetime(2019, 1, 1, 0, tzinfo=CHINA_TZ)
H = timedelta(hours=1)


def test_blocks_and_hours_become_hourly_values() -> None:
    text = (
        HEADER
        + "郑州,2019-01-01T08:00,2019-01-01T08:00,2019-01-02T08:00,230,PM2.5,气象台\n"
        + "郑州,2019-01-01T08:00,2019-01-02T08:00,2019-01-02T09:00,,PM2.5,气象台\n"
        + "郑州,2019-01-01T08:00,2019-01-02T09:00,2019-01-02T10:00,180,PM2.5,气象台\n"
    )
    (issue,) = parse_forecast_csv(text)
    assert issue.issued_at == datetime(2019, 1, 1, 8, tzinfo=CHINA_TZ)  # no offset = Beijing time
    now = datetime(2019, 1, 1, 20, tzinfo=CHINA_TZ)
    values = hourly_values(issue, now, 16)
    # the block covers labels 09:00 .. 08:00 next day; from 21:00 that is 12 hours of 230
    assert values == [230] * 12 + [None, 180, None, None]


def test_newest_issued_version_is_used_at_each_hour() -> None:
    text = (
        HEADER
        + "410183,2019-01-01T08:00+08:00,2019-01-01T08:00+08:00,2019-01-02T08:00+08:00,230,,a\n"
        + "410183,2019-01-01T20:00+08:00,2019-01-01T20:00+08:00,2019-01-02T20:00+08:00,120,,a\n"
        + "410184,2019-01-01T09:00+08:00,2019-01-01T09:00+08:00,2019-01-02T09:00+08:00,400,,a\n"
    )
    issues = parse_forecast_csv(text)
    times = [T0 + H * i for i in range(48)]
    forecaster = FromIssues(issues, "410183", times)
    assert forecaster.forecast(7, 2) == [None, None]  # 07:00: nothing issued yet
    assert forecaster.forecast(10, 2) == [230, 230]  # the 08:00 version
    assert forecaster.forecast(21, 2) == [120, 120]  # the 20:00 version replaces it


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("410183,2019-01-01T08:00,2019-01-01T08:00,2019-01-01T10:00,230,,a", "", "1 or 24 hours"),
        ("410183,yesterday,2019-01-01T08:00,2019-01-01T09:00,230,,a", "issued_at", "is not an ISO time"),
        ("410183,2019-01-01T08:30,2019-01-01T08:00,2019-01-01T09:00,230,,a", "issued_at", "on the hour"),
        ("410183,2019-01-01T08:00,2019-01-01T08:00,2019-01-01T09:00,high,,a", "aqi", "not an integer"),
        ("410183,2019-01-01T08:00,2019-01-01T08:00,2019-01-01T09:00,1000,,a", "aqi", "outside 0…999"),
        (",2019-01-01T08:00,2019-01-01T08:00,2019-01-01T09:00,230,,a", "area", "must not be empty"),
    ],
)  # fmt: skip
def test_bad_rows_name_file_line_and_reason(row: str, column: str, message: str) -> None:
    with pytest.raises(Rejected, match=r"fc\.csv: 发现 1 个问题") as caught:
        parse_forecast_csv(HEADER + row + "\n", "fc.csv")
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("fc.csv", 2, column)
    assert message in problem.reason


def test_every_bad_row_is_named_and_missing_columns_are_named() -> None:
    rows = [
        "410183,yesterday,2019-01-01T08:00,2019-01-01T09:00,230,,a",
        "410183,2019-01-01T08:00,2019-01-01T08:00,2019-01-01T09:00,high,,a",
    ]
    with pytest.raises(Rejected) as caught:
        parse_forecast_csv(HEADER + "\n".join(rows) + "\n", "fc.csv")
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "issued_at"), (3, "aqi")]
    with pytest.raises(InputError, match="missing columns: issued_at, valid_start, valid_end"):
        parse_forecast_csv("area,aqi\n410183,200\n", "fc.csv")


def test_persistence_and_perfect() -> None:
    observed = np.array([100, 120, -1, 150, 210, 230], dtype=np.int64)
    assert Persistence(observed).forecast(2, 3) == [120, 120, 120]  # the last valid value
    assert Persistence(observed, max_age=0).forecast(2, 2) == [None, None]
    assert Perfect(observed).forecast(1, 6) == [None, 150, 210, 230, None, None]


def test_seasonal_diurnal_decays_toward_the_climatology() -> None:
    # 40 days: a diurnal cycle (100 at night, 140 by day) plus AR(1) anomalies with phi = 0.95
    rng = np.random.default_rng(3)
    times = [T0 + H * i for i in range(24 * 40)]
    base = np.array([140 if 10 <= t.hour < 18 else 100 for t in times], dtype=np.float64)
    anomaly = np.zeros(len(times))
    for i in range(1, len(times)):
        anomaly[i] = 0.95 * anomaly[i - 1] + rng.normal(0, 5)
    observed = np.maximum(np.round(base + anomaly), 0).astype(np.int64)
    now = 24 * 39 + 2  # 02:00 on the last day
    observed[now] = 300
    model = SeasonalDiurnalPersistence(observed, times)
    forecast = model.forecast(now, 48)
    values = [v for v in forecast if v is not None]
    assert len(values) == 48
    assert 230 < values[0] < 300  # most of the anomaly persists one hour ahead
    assert values[47] < values[0] - 100  # and decays over two days
    # day-time hours sit above the night hours once the anomaly has faded
    assert forecast[47 - 12] > forecast[47 - 24 + 0]  # 14:00 vs 02:00 of the next day
    # with no history the model is plain persistence
    short = SeasonalDiurnalPersistence(observed[:5], times[:5])
    assert short.forecast(4, 3) == [int(observed[4])] * 3


def test_daily_skill_counts_hits_misses_and_false_alarms() -> None:
    # days: observed daily AQI at 24:00 (index 24k-1 + 24 = next midnight)
    times = [T0 + H * i for i in range(24 * 5 + 1)]
    observed = np.full(len(times), 100, dtype=np.int64)
    for day, value in enumerate([250, 250, 100, 300, 100]):
        observed[24 * day + 24] = value  # the value labelled 24:00 of day `day`
    observed[0] = 100
    # persistence at 00:00 of day d uses the value of the day before
    skill = daily_skill(Persistence(observed), observed, times)
    # day0: 100 -> 250 miss; day1: 250 -> 250 hit; day2: 250 -> 100 false; day3: 100 -> 300 miss;
    # day4: 300 -> 100 false
    assert (skill.hits, skill.misses, skill.false_alarms, skill.correct_negatives) == (1, 2, 2, 0)
    assert skill.hit_rate == pytest.approx(1 / 3)
    assert skill.false_alarm_ratio == pytest.approx(2 / 3)
    assert skill.false_alarm_rate == pytest.approx(1.0)
