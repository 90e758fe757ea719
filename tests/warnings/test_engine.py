"""Level rules and episode lifecycle on hand-built series (seed task 40, spec §4.1–4.2)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from lantian.errors import InputError
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.timeutil import CHINA_TZ
from lantian.warnings.engine import Action, assess
from lantian.warnings.rules import (
    WarningRules,
    bridge_missing,
    expand_blocks,
    grade_stretch,
    load_rules,
    parse_rules,
)

PLAN = DEFAULT_PLAN_DIR
NOW = datetime(2019, 1, 2, 20, tzinfo=CHINA_TZ)
BLUE, YELLOW, ORANGE, RED = 1, 2, 3, 4


@pytest.fixture(scope="module")
def rules() -> WarningRules:
    return load_rules(PLAN)


@pytest.fixture(scope="module")
def three() -> WarningRules:
    return load_rules(PLAN / "warning_rules_three_level.toml")


def h(n: int, value: int | None) -> list[int | None]:
    return [value] * n


# --- level rules ---------------------------------------------------------------------------------


def test_plan_file_has_four_levels_and_the_spec_settings(rules: WarningRules) -> None:
    assert [lv.key for lv in rules.levels] == ["red", "orange", "yellow", "blue"]
    assert (rules.heavy_aqi, rules.severe_aqi, rules.peak_aqi) == (200, 300, 500)
    assert (rules.clean_aqi, rules.clean_hours, rules.early_horizon_hours) == (150, 36, 12)


def test_one_hour_above_200_is_blue_and_200_itself_is_nothing(rules: WarningRules) -> None:
    assert grade_stretch([*h(5, 100), 201, *h(5, 100)], rules).rank == BLUE
    assert grade_stretch(h(30, 200), rules).rank == 0


def test_day_counting_disjoint_windows_vs_full_days(rules: WarningRules) -> None:
    # 24 rolling values > 200 hold one disjoint 24-h window; 25 hold two (ends t0 and t0+24).
    assert grade_stretch(h(24, 250), rules).rank == BLUE
    assert grade_stretch(h(25, 250), rules).rank == YELLOW
    full = dataclasses.replace(rules, day_counting="full_days")
    assert grade_stretch(h(25, 250), full).rank == BLUE
    assert grade_stretch(h(47, 250), full).rank == BLUE
    assert grade_stretch(h(48, 250), full).rank == YELLOW


def test_orange_needs_three_days_and_one_above_300(rules: WarningRules) -> None:
    three_days = h(72, 250)
    assert grade_stretch(three_days, rules).rank == YELLOW
    with_severe = [*h(30, 250), 301, *h(41, 250)]
    grade = grade_stretch(with_severe, rules)
    assert (grade.rank, grade.heavy_days, grade.severe_days, grade.peak) == (ORANGE, 3, 1, 301)
    # 300 itself is not "> 300"
    assert grade_stretch([*h(30, 250), 300, *h(41, 250)], rules).rank == YELLOW


def test_red_needs_four_days_and_two_consecutive_days_above_300(rules: WarningRules) -> None:
    consecutive = h(24, 250) + h(48, 320) + h(24, 250)
    assert grade_stretch(consecutive, rules).rank == RED
    # two separate severe days (one day of 250 between them): orange by default (consecutive)
    apart = h(24, 320) + h(24, 250) + h(24, 320) + h(24, 250)
    grade = grade_stretch(apart, rules)
    assert (grade.rank, grade.severe_days, grade.severe_consecutive_days) == (ORANGE, 2, 1)
    loose = dataclasses.replace(rules, severe_days_consecutive=False)
    assert grade_stretch(apart, loose).rank == RED
    # only three days above 200: orange even with two severe days
    assert grade_stretch(h(24, 250) + h(48, 320), rules).rank == ORANGE


def test_red_by_peak_500_inclusive_by_default(rules: WarningRules) -> None:
    assert grade_stretch([*h(3, 250), 500, *h(3, 250)], rules).rank == RED
    assert grade_stretch([*h(3, 250), 499, *h(3, 250)], rules).rank == BLUE
    strict = dataclasses.replace(rules, peak_inclusive=False)
    assert grade_stretch([*h(3, 250), 500, *h(3, 250)], strict).rank == BLUE


def test_a_red_day_inside_an_orange_run(rules: WarningRules) -> None:
    assert grade_stretch(expand_blocks([320, 250, 480, 250]), rules).rank == ORANGE
    blocks = expand_blocks([320, 250, 510, 250])
    grade = grade_stretch(blocks, rules)
    assert (grade.rank, grade.heavy_days, grade.peak) == (RED, 4, 510)
    assert grade.clause is not None and grade.clause.peak
    # the lifecycle: orange in force, the forecast now holds the red day -> upgrade with the reason
    result = assess(NOW, [260], blocks, rules, active_rank=ORANGE)
    assert result.proposal is not None
    assert (result.proposal.action, result.proposal.to_rank) == (Action.UPGRADE, RED)
    assert result.proposal.rule == "level.red"
    assert "510" in result.proposal.reasons[0].zh and "AQI ≥ 500" in result.proposal.reasons[0].en


def test_block_forecasts_count_one_day_per_block(rules: WarningRules) -> None:
    assert grade_stretch(expand_blocks([250, 250]), rules).rank == YELLOW
    assert grade_stretch(expand_blocks([250, 180, 250]), rules).rank == BLUE


def test_three_level_variant_has_no_blue(three: WarningRules) -> None:
    assert [lv.key for lv in three.levels] == ["red", "orange", "yellow"]
    assert grade_stretch(h(24, 250), three).rank == 0
    assert grade_stretch(h(48, 250), three).rank == YELLOW
    assert assess(NOW, [100], h(24, 250) + h(40, 100), three).proposal is None


def test_bad_rules_are_refused_with_a_bilingual_message() -> None:
    with pytest.raises(InputError, match="no warning levels"):
        parse_rules({"levels": []})
    with pytest.raises(InputError, match="invalid"):
        parse_rules(
            {
                "levels": [{"key": "x", "rank": 1, "name_zh": "x", "name_en": "x", "clauses": []}],
                "day_counting": {"method": "weekly"},
            },
        )


# --- lifecycle ------------------------------------------------------------------------------------


def test_issue_proposal_explains_rule_and_numbers(rules: WarningRules) -> None:
    forecast = h(6, 180) + h(50, 240) + h(40, 120)
    result = assess(NOW, [150], forecast, rules)
    proposal = result.proposal
    assert proposal is not None
    assert (proposal.action, proposal.from_rank, proposal.to_rank) == (Action.ISSUE, 0, YELLOW)
    assert proposal.episode_start == datetime(2019, 1, 3, 3, tzinfo=CHINA_TZ)
    zh, en = proposal.reasons[0].zh, proposal.reasons[0].en
    assert "持续3天" in zh and "50小时" in zh and "1月3日3时" in zh and "黄色预警" in zh
    assert "for 3 day(s)" in en and "yellow alert" in en
    assert "建议发布" in proposal.text(rules) and "proposed issue" in proposal.text(rules, "en")


def test_lift_at_exactly_36_clean_hours_inclusive_by_default(rules: WarningRules) -> None:
    forecast = h(36, 150) + h(10, 160)
    result = assess(NOW, [190], forecast, rules, active_rank=YELLOW)
    assert result.proposal is not None and result.proposal.action == Action.LIFT
    assert "36小时" in result.proposal.reasons[0].zh
    strict = dataclasses.replace(rules, clean_hours_inclusive=False)
    held = assess(NOW, [190], forecast, strict, active_rank=YELLOW)
    assert held.proposal is None and held.clean_lead_hours == 36
    assert assess(NOW, [190], h(37, 150), strict, active_rank=YELLOW).proposal is not None


def test_35_hour_gap_merges_two_episodes_at_the_stricter_level(rules: WarningRules) -> None:
    first = h(20, 240)  # alone: blue
    second = h(30, 250) + h(10, 320) + h(40, 250)  # alone: orange (80 h > 200, one > 300)
    merged = first + h(35, 120) + second + h(40, 100)
    result = assess(NOW, [150], merged, rules)
    assert result.proposal is not None and result.proposal.to_rank == ORANGE
    separated = first + h(36, 120) + second + h(40, 100)
    result = assess(NOW, [150], separated, rules)
    assert result.proposal is not None and result.proposal.to_rank == BLUE
    # with a warning in force, a 35-h clean gap is no reason to lift: hold, and say why
    held = assess(NOW, [150], h(35, 120) + second, rules, active_rank=ORANGE)
    assert held.proposal is None
    assert any(note.rule == "merge.hold" and "35小时" in note.zh for note in held.notes)


def test_combined_days_merging_counts_the_parts_together(rules: WarningRules) -> None:
    series = h(24, 250) + h(30, 120) + h(24, 250) + h(40, 100)
    assert assess(NOW, [100], series, rules).proposal.to_rank == BLUE  # type: ignore[union-attr]
    combined = dataclasses.replace(rules, merge_level="combined_days")
    assert assess(NOW, [100], series, combined).proposal.to_rank == YELLOW  # type: ignore[union-attr]


def test_missing_forecast_hours(rules: WarningRules) -> None:
    # a 3-h hole inside a heavy run is bridged: 49 h -> yellow by disjoint windows ...
    bridged = h(23, 250) + h(3, None) + h(23, 250)
    assert bridge_missing(bridged, 3)[23:26] == [250, 250, 250]
    assert assess(NOW, [100], bridged, rules).proposal.to_rank == YELLOW  # type: ignore[union-attr]
    # ... a 4-h hole is not: two blue runs of 23 h
    broken = h(23, 250) + h(4, None) + h(23, 250)
    result = assess(NOW, [100], broken, rules)
    assert result.proposal is not None and result.proposal.to_rank == BLUE
    assert any(n.rule == "forecast.missing" and "缺4小时" in n.zh for n in result.notes)
    # a long hole inside the clean stretch stops the lifting
    holed = h(20, 100) + h(6, None) + h(30, 100)
    held = assess(NOW, [190], holed, rules, active_rank=BLUE)
    assert held.proposal is None and held.clean_lead_hours == 20
    # a forecast shorter than 36 h cannot lift
    assert assess(NOW, [190], h(30, 50), rules, active_rank=BLUE).proposal is None


def test_early_start_counts_observed_heavy_hours(rules: WarningRules) -> None:
    observed = h(10, 150) + h(30, 260)
    forecast = h(12, 210) + h(40, 100)
    result = assess(NOW, observed, forecast, rules)
    assert result.early_start
    proposal = result.proposal
    assert proposal is not None and proposal.rule == "early_start"
    assert proposal.to_rank == YELLOW  # 30 observed + 12 forecast hours > 200 -> two days
    assert proposal.episode_start == datetime(2019, 1, 1, 15, tzinfo=CHINA_TZ)
    assert any("260" in r.zh and "12小时" in r.zh for r in proposal.reasons)


def test_early_start_not_when_the_forecast_shows_clear_improvement(rules: WarningRules) -> None:
    result = assess(NOW, h(30, 260), [230] * 5 + h(40, 190), rules)
    assert not result.early_start
    assert result.proposal is not None and result.proposal.to_rank == BLUE
    assert result.proposal.rule == "level.blue"


def test_early_start_raises_an_active_warning_and_missing_forecast_is_no_improvement(
    rules: WarningRules,
) -> None:
    result = assess(NOW, h(50, 260), h(12, None), rules, active_rank=BLUE)
    assert result.early_start and result.proposal is not None
    assert (result.proposal.action, result.proposal.to_rank) == (Action.UPGRADE, YELLOW)
    off = dataclasses.replace(rules, early_start_enabled=False)
    assert assess(NOW, h(50, 260), h(12, None), off, active_rank=BLUE).proposal is None


def test_downgrade_when_the_forecast_meets_only_a_lower_level(rules: WarningRules) -> None:
    result = assess(NOW, [190], h(30, 250) + h(10, 160), rules, active_rank=RED)
    assert result.proposal is not None
    assert (result.proposal.action, result.proposal.to_rank) == (Action.DOWNGRADE, YELLOW)
    no_down = dataclasses.replace(rules, allow_downgrade=False)
    assert assess(NOW, [190], h(30, 250) + h(10, 160), no_down, active_rank=RED).proposal is None


def test_no_issue_for_an_episode_beyond_the_lead_time(rules: WarningRules) -> None:
    result = assess(NOW, [100], h(50, 120) + h(30, 260), rules)
    assert result.proposal is None
    assert any(n.rule == "forecast.lead" for n in result.notes)
