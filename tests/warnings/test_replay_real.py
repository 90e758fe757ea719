"""Replay over the real Zhengzhou 2019 CNEMC data (issue 7 "done when")."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lantian.cli import app
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.timeutil import CHINA_TZ
from lantian.warnings.forecast import Perfect, Persistence, daily_skill
from lantian.warnings.replay import CitySeries, load_city, replay
from lantian.warnings.rules import load_rules

PLAN = DEFAULT_PLAN_DIR
FIRST = datetime(2019, 1, 1, 1, tzinfo=CHINA_TZ)
LAST = datetime(2019, 2, 1, 0, tzinfo=CHINA_TZ)


@pytest.fixture(scope="module")
def january(shared_dir: Path) -> CitySeries:
    return load_city(shared_dir / "data" / "cnemc", "郑州", date(2019, 1, 1), date(2019, 1, 31))


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2019, 1, day, hour, tzinfo=CHINA_TZ)


def test_city_series_uses_the_eight_city_stations_not_the_background_site(
    january: CitySeries,
) -> None:
    assert january.stations == tuple(f"13{n}A" for n in range(16, 24))  # 1324A is 对照点
    # The rolling value at 24:00 is the natural day's AQI; 2019-01-04 was heavily polluted
    # (PROVENANCE: station AQI up to 417), 2019-01-06 was not.
    assert january.rolling_aqi[january.index_of(at(5))] > 300
    assert 0 < january.rolling_aqi[january.index_of(at(7))] < 150


def test_perfect_replay_finds_the_january_2019_episodes(january: CitySeries) -> None:
    rules = load_rules(PLAN)
    result = replay(january, Perfect(january.rolling_aqi), rules, FIRST, LAST)

    def covering(start: datetime, end: datetime) -> list[int]:
        return [
            e.max_rank
            for e in result.episodes
            if e.start <= start and (e.end is None or e.end >= end)
        ]

    # 2019-01-02..05 and 2019-01-12..14 (data/PROVENANCE.md §1.1): each inside one warning
    assert covering(at(3), at(5, 18)) and max(covering(at(3), at(5, 18))) >= 2
    assert covering(at(12), at(15)) and max(covering(at(12), at(15))) >= 2
    first = next(e for e in result.episodes if e.start <= at(3))
    assert first.peak_rolling_aqi is not None and first.peak_rolling_aqi > 300
    assert first.issue.rule.startswith("level.") and first.issue.reasons
    # with the observed future as forecast every heavy day falls inside a warning, and every
    # warning is issued before its first heavy hour (the rules look ahead)
    assert result.summary.heavy_days >= 8
    assert result.summary.heavy_days_warned == result.summary.heavy_days
    for episode in result.episodes:
        assert episode.issue.episode_start is None or episode.issue.episode_start > episode.start


def test_persistence_skill_matches_a_hand_count(january: CitySeries) -> None:
    rolling, times = january.rolling_aqi, january.times
    start, stop = january.index_of(FIRST), january.index_of(LAST) + 1
    skill = daily_skill(Persistence(rolling), rolling, times, 200, 24, start, stop)
    hits = misses = false = quiet = 0
    for day in range(2, 32):
        issued = january.index_of(at(day))  # 00:00 of the day = 24:00 of the day before
        if rolling[issued] < 0 or issued + 24 >= stop:
            continue
        warned, event = rolling[issued] > 200, rolling[issued + 24] > 200
        hits += warned and event
        misses += event and not warned
        false += warned and not event
        quiet += not warned and not event
    assert (skill.hits, skill.misses, skill.false_alarms, skill.correct_negatives) == (
        hits,
        misses,
        false,
        quiet,
    )
    assert skill.hits + skill.misses >= 8  # January 2019 had heavy days to forecast
    assert 0 < skill.hit_rate < 1  # type: ignore[operator]
    assert Persistence(rolling).name == "persistence"


def test_cli_replay_prints_episodes_summary_and_skill(shared_dir: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "warn",
            "replay",
            "--from",
            "2019-01-01",
            "--to",
            "2019-01-31",
            "--forecast",
            "perfect",
            "--data",
            str(shared_dir / "data" / "cnemc"),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "黄色预警" in result.output and "2019-01-01" in result.output
    assert "小结 / summary" in result.output
    assert "persistence" in result.output and "命中率" in result.output


def test_cli_replay_refuses_an_unknown_forecast(shared_dir: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "warn",
            "replay",
            "--from",
            "2019-01-01",
            "--to",
            "2019-01-03",
            "--forecast",
            "crystal-ball",
            "--data",
            str(shared_dir / "data" / "cnemc"),
        ],
    )
    assert result.exit_code != 0
    assert "perfect, persistence, seasonal" in str(result.exception)


def test_replay_with_a_forecast_file(january: CitySeries, tmp_path: Path) -> None:
    """A forecaster that issued the true values daily at 20:00 for 72 h, as a CSV of 1-h rows."""
    lines = ["area,issued_at,valid_start,valid_end,aqi,primary_pollutant,source"]
    for i, moment in enumerate(january.times):
        if moment.hour != 20 or moment.month != 1:
            continue
        for k in range(1, 73):
            if i + k >= len(january.times):
                break
            value = int(january.rolling_aqi[i + k])
            start = (moment + (k - 1) * (january.times[1] - january.times[0])).isoformat()
            end = january.times[i + k].isoformat()
            aqi = str(value) if value >= 0 else ""
            lines.append(f"郑州,{moment.isoformat()},{start},{end},{aqi},PM2.5,test-oracle")
    path = tmp_path / "oracle.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from lantian.warnings.cli import forecaster_for

    forecaster = forecaster_for(str(path), january)
    result = replay(january, forecaster, load_rules(PLAN), FIRST, LAST)
    assert result.forecaster == "oracle.csv"
    starts = [e.start for e in result.episodes]
    assert any(s <= at(3) for s in starts) and any(at(9) <= s <= at(12) for s in starts)
    assert result.summary.heavy_days_warned >= result.summary.heavy_days - 1
