"""Property tests of the lifecycle engine (issue 7 "done when"), against a reference grader.

The reference is the spec §4.1 pseudo-code written out directly over one run of days.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from lantian.plan import DEFAULT_PLAN_DIR
from lantian.timeutil import CHINA_TZ
from lantian.warnings.engine import Action, assess
from lantian.warnings.rules import WarningRules, bridge_missing, load_rules

PLAN = DEFAULT_PLAN_DIR
RULES = load_rules(PLAN)
THREE_LEVEL = load_rules(PLAN / "warning_rules_three_level.toml")
STRICT_LIFT = dataclasses.replace(RULES, clean_hours_inclusive=False)
NOW = datetime(2019, 1, 10, 8, tzinfo=CHINA_TZ)
VALUES = [None, 40, 120, 150, 151, 180, 200, 201, 240, 300, 301, 360, 499, 500]

chunks = st.lists(st.tuples(st.sampled_from(VALUES), st.integers(1, 40)), max_size=10)


def expand(pairs: list[tuple[int | None, int]]) -> list[int | None]:
    return [value for value, n in pairs for _ in range(n)]


def ceil_days(hours: int) -> int:
    return -(-hours // 24)


def reference_level(run: list[int]) -> int:
    """Spec §4.1 algorithm over one heavy run (hourly rolling values all > 200)."""
    run200 = ceil_days(len(run))
    longest300 = 0
    n300 = 0
    current = 0
    for value in [*run, 0]:
        if value > 300:
            current += 1
        else:
            if current:
                n300 += ceil_days(current)
                longest300 = max(longest300, ceil_days(current))
            current = 0
    if max(run) >= 500 or (run200 >= 4 and longest300 >= 2):
        return 4
    if run200 >= 3 and n300 >= 1:
        return 3
    if run200 >= 2:
        return 2
    return 1


def heavy_runs(values: list[int | None]) -> list[list[int]]:
    out: list[list[int]] = []
    current: list[int] = []
    for value in [*values, None]:
        if value is not None and value > 200:
            current.append(value)
        elif current:
            out.append(current)
            current = []
    return out


@settings(max_examples=400, deadline=None)
@given(chunks, chunks, st.integers(0, 4), st.sampled_from([RULES, STRICT_LIFT, THREE_LEVEL]))
def test_never_lifts_while_a_forecast_hour_in_the_next_36_is_above_150(
    observed_pairs: list[tuple[int | None, int]],
    forecast_pairs: list[tuple[int | None, int]],
    active: int,
    rules: WarningRules,
) -> None:
    observed, forecast = expand(observed_pairs), expand(forecast_pairs)
    result = assess(NOW, observed, forecast, rules, active_rank=active)
    if result.proposal is not None and result.proposal.action == Action.LIFT:
        assert len(forecast) >= rules.min_clean_hours
        assert all(v is None or v <= 150 for v in forecast[: rules.min_clean_hours])


@settings(max_examples=400, deadline=None)
@given(chunks, chunks, st.integers(0, 4), st.sampled_from([RULES, THREE_LEVEL]))
def test_upward_changes_are_always_justified_by_their_rule(
    observed_pairs: list[tuple[int | None, int]],
    forecast_pairs: list[tuple[int | None, int]],
    active: int,
    rules: WarningRules,
) -> None:
    observed, forecast = expand(observed_pairs), expand(forecast_pairs)
    result = assess(NOW, observed, forecast, rules, active_rank=active)
    proposal = result.proposal
    if proposal is None or proposal.to_rank <= proposal.from_rank:
        return
    assert proposal.action in (Action.ISSUE, Action.UPGRADE)
    bridged = bridge_missing(forecast, rules.bridge_missing_hours)
    if proposal.rule == "early_start":
        assert observed and observed[-1] is not None and observed[-1] > 200
        assert all(v is None or v > 200 for v in bridged[:12])
        trail: list[int | None] = []
        for value in reversed(observed):
            if value is None or value <= 200:
                break
            trail.insert(0, value)
        best = max((reference_level(r) for r in heavy_runs(trail + bridged)), default=0)
        assert proposal.to_rank <= max(best, rules.lowest_rank)
        return
    # a level rule: the run it cites is a maximal heavy run of the forecast meeting that level
    grade = proposal.grade
    assert proposal.rule == f"level.{rules.name_of(proposal.to_rank, 'en').split()[0]}"
    assert grade.start is not None and grade.end is not None
    run = bridged[grade.start : grade.end]
    assert all(v is not None and v > 200 for v in run)
    before = bridged[grade.start - 1] if grade.start > 0 else None
    after = bridged[grade.end] if grade.end < len(bridged) else None
    assert not (before is not None and before > 200)
    assert not (after is not None and after > 200)
    assert reference_level([v for v in run if v is not None]) >= proposal.to_rank
