"""Reduction ratios and the target check against hand-computed cases (seed 41(3), spec §4.3–4.4)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantian.emissions.rules import ListEntry, check_list, check_reductions
from lantian.emissions.targets import (
    Pollutant,
    Trade,
    TradeForm,
    load_targets,
    parse_targets,
)
from lantian.errors import InputError
from lantian.plan import DEFAULT_PLAN_DIR, default_plan

PLAN = DEFAULT_PLAN_DIR
SO2, NOX, PM, VOCS = Pollutant.SO2, Pollutant.NOX, Pollutant.PM, Pollutant.VOCS
#: The plan's warning levels, lowest first (warning_rules.toml defines them).
LEVELS = default_plan().levels.keys
BLUE, YELLOW, ORANGE, RED = LEVELS

#: Whole-city daily emissions, t/d.
BASELINE = {SO2: 100.0, NOX: 200.0, PM: 50.0, VOCS: 40.0}


@pytest.fixture(scope="module")
def targets():
    return load_targets(PLAN)


def test_plan_file_holds_the_seed_ratios(targets) -> None:
    assert targets.ratios[BLUE] == {PM: 0.05, VOCS: 0.05}
    assert targets.ratios[YELLOW] == {SO2: 0.10, NOX: 0.10, PM: 0.10, VOCS: 0.10}
    assert targets.ratios[ORANGE] == {SO2: 0.20, NOX: 0.20, PM: 0.20, VOCS: 0.15}
    assert targets.ratios[RED] == {SO2: 0.30, NOX: 0.30, PM: 0.30, VOCS: 0.20}
    assert targets.trade == Trade(enabled=True, form=TradeForm.RATIO_SUM, floor=0.0)
    assert not targets.trades_at(BLUE) and targets.trades_at(YELLOW)


def _list() -> list[ListEntry]:
    """A power plant (A) and a chemical works (B).

    Hand-computed reductions (t/d) and ratios:
      blue   — B limit 10 %: PM 0.5 (1 %), VOCs 2 (5 %, exactly the target)
      yellow — A limit 35 %: SO2 3.5 (3.5 %), NOx 35 (17.5 %), PM 3.5; B limit 30 %: PM 1.5, VOCs 6
               → SO2 + NOx = 21 % ≥ 20 %, PM 5 = 10 %, VOCs 6 = 15 %
      orange — as yellow: SO2 + NOx 21 % < 40 %, PM 10 % < 20 %, VOCs 15 % = 15 %
      red    — both stop: SO2 10 %, NOx 50 % (sum 60 %), PM 15 = 30 %, VOCs 20 = 50 %
    """
    plant = ListEntry(
        "A",
        {SO2: 10.0, NOX: 100.0, PM: 10.0, VOCS: 0.0},
        {
            BLUE: {},
            YELLOW: dict.fromkeys((SO2, NOX, PM), 0.35),
            ORANGE: dict.fromkeys((SO2, NOX, PM), 0.35),
            RED: dict.fromkeys((SO2, NOX, PM), 1.0),
        },
    )
    works = ListEntry(
        "B",
        {PM: 5.0, VOCS: 20.0},
        {
            BLUE: dict.fromkeys((PM, VOCS), 0.1),
            YELLOW: dict.fromkeys((PM, VOCS), 0.3),
            ORANGE: dict.fromkeys((PM, VOCS), 0.3),
            RED: dict.fromkeys((PM, VOCS), 1.0),
        },
    )
    return [plant, works]


def test_hand_computed_list(targets) -> None:
    result = check_list(_list(), BASELINE, targets)
    assert result.ratios[YELLOW][SO2] == pytest.approx(0.035)
    assert result.ratios[YELLOW][NOX] == pytest.approx(0.175)
    assert result.ratios[RED][VOCS] == pytest.approx(0.5)
    by_level = {
        (s.level, s.pollutants): (s.missing_ratio, dict(s.missing_tonnes))
        for s in result.shortfalls
    }
    assert set(by_level) == {(BLUE, (PM,)), (ORANGE, (SO2, NOX)), (ORANGE, (PM,))}
    ratio, tonnes = by_level[(BLUE, (PM,))]
    assert ratio == pytest.approx(0.04) and tonnes == {PM: pytest.approx(2.0)}
    # Orange: SO2 + NOx 21 % of the required 40 %: 19 points, i.e. 19 t SO2 or 38 t NOx alone.
    ratio, tonnes = by_level[(ORANGE, (SO2, NOX))]
    assert ratio == pytest.approx(0.19)
    assert tonnes == {SO2: pytest.approx(19.0), NOX: pytest.approx(38.0)}
    ratio, tonnes = by_level[(ORANGE, (PM,))]
    assert ratio == pytest.approx(0.10) and tonnes == {PM: pytest.approx(5.0)}
    assert not result.passes
    assert "差 / short by 4.00" in result.shortfalls_at(BLUE)[0].message()


def test_yellow_passes_only_through_the_so2_nox_trade(targets) -> None:
    with_trade = check_list(_list(), BASELINE, targets)
    assert with_trade.shortfalls_at(YELLOW) == ()
    without = check_list(_list(), BASELINE, replace(targets, trade=Trade(enabled=False)))
    (short,) = without.shortfalls_at(YELLOW)
    # SO2 alone: 3.5 % against 10 %: 6.5 points = 6.5 t/d; NOx (17.5 %) passes on its own.
    assert short.pollutants == (SO2,)
    assert short.missing_ratio == pytest.approx(0.065)
    assert short.missing_tonnes == {SO2: pytest.approx(6.5)}


def test_trade_forms_differ(targets) -> None:
    """SO2 15 t (15 %) + NOx 10 t (5 %): the ratios sum to 20 % but the tonnes pool to 25 < 30."""
    reductions = {YELLOW: {SO2: 15.0, NOX: 10.0, PM: 5.0, VOCS: 4.0}}
    ratio_sum = check_reductions(reductions, BASELINE, targets)
    assert ratio_sum.shortfalls_at(YELLOW) == ()
    pooled = replace(targets, trade=Trade(form=TradeForm.POOLED_TONNES))
    (short,) = check_reductions(reductions, BASELINE, pooled).shortfalls_at(YELLOW)
    assert short.missing_tonnes == {SO2: pytest.approx(5.0), NOX: pytest.approx(5.0)}
    assert short.achieved_ratio == pytest.approx(25 / 300)
    assert short.requirement.required_ratio == pytest.approx(30 / 300)


def test_trade_floor(targets) -> None:
    """A floor of 5 %: SO2 at 2 % fails it although the sum (2 % + 18 %) passes."""
    reductions = {YELLOW: {SO2: 2.0, NOX: 36.0, PM: 5.0, VOCS: 4.0}}
    floored = replace(targets, trade=Trade(floor=0.05))
    (short,) = check_reductions(reductions, BASELINE, floored).shortfalls_at(YELLOW)
    assert short.requirement.kind == "trade_floor" and short.pollutants == (SO2,)
    assert short.missing_tonnes == {SO2: pytest.approx(3.0)}


def test_measures_must_be_cumulative(targets) -> None:
    weaker = ListEntry("C", {PM: 1.0}, {YELLOW: {PM: 0.5}, ORANGE: {PM: 0.2}, RED: {PM: 0.2}})
    result = check_list([*_list(), weaker], BASELINE, targets)
    (found,) = result.not_cumulative
    assert (found.key, found.level, found.fraction, found.fraction_below) == ("C", ORANGE, 0.2, 0.5)


def test_zero_baseline_is_refused(targets) -> None:
    with pytest.raises(InputError, match="whole-city VOCs emission is 0"):
        check_reductions({}, {**BASELINE, VOCS: 0.0}, targets)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"levels": {"purple": {"pm": 0.1}}}, "unknown warning level"),
        ({"levels": {"blue": {"co": 0.1}}}, "unknown pollutant"),
        ({"levels": {"blue": {"pm": 5}}}, "write 5 % as 0.05"),
        ({"levels": {"blue": {"pm": 0.05}}, "so2_nox_trade": {"form": "x"}}, "must be one of"),
        ({}, "missing the"),
    ],
)
def test_bad_plan_data_is_named(document, message) -> None:
    with pytest.raises(InputError, match=message):
        parse_targets(document, default_plan().levels)


fractions = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(st.lists(st.tuples(fractions, fractions, fractions, fractions), min_size=4, max_size=4))
def test_more_reduction_never_adds_a_shortfall(cuts) -> None:
    """Monotonicity: adding reductions at a level never creates a shortfall there."""
    targets = load_targets(PLAN)
    base = {
        level: {p: BASELINE[p] * f for p, f in zip((SO2, NOX, PM, VOCS), cut, strict=True)}
        for level, cut in zip(LEVELS, cuts, strict=True)
    }
    more = {level: {p: v + 1.0 for p, v in values.items()} for level, values in base.items()}
    before = {
        (s.level, s.requirement.kind, s.pollutants)
        for s in check_reductions(base, BASELINE, targets).shortfalls
    }
    after = {
        (s.level, s.requirement.kind, s.pollutants)
        for s in check_reductions(more, BASELINE, targets).shortfalls
    }
    assert after <= before


def test_level_order() -> None:
    levels = default_plan().levels
    assert [level.rank for level in levels] == [1, 2, 3, 4]
    assert LEVELS == ("blue", "yellow", "orange", "red")
    assert levels.get("red").key == RED
    with pytest.raises(InputError, match="unknown warning level"):
        levels.get("purple")
