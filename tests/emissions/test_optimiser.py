"""The least-cost nested list: MIP optimum equals the brute-force optimum on small instances."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantian.emissions.optimiser import (
    Candidate,
    EnterpriseOptions,
    MeasureKind,
    Problem,
    admissible,
    brute_force,
    solve_cost_greedy,
    solve_greedy,
    solve_mip,
)
from lantian.emissions.synthetic import generate_city
from lantian.emissions.targets import (
    OptimiserSettings,
    Pollutant,
    load_targets,
)
from lantian.errors import InputError
from lantian.plan import DEFAULT_PLAN_DIR

PLAN = DEFAULT_PLAN_DIR
SO2, NOX, PM, VOCS = Pollutant.SO2, Pollutant.NOX, Pollutant.PM, Pollutant.VOCS


@pytest.fixture(scope="module")
def targets():
    return load_targets(PLAN)


def _nested(solution) -> bool:
    return all(list(steps) == sorted(steps) for steps in solution.steps.values())


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8])
def test_mip_equals_brute_force(targets, seed) -> None:
    # Without livelihood duties a three-plant city can always reach the red targets by stopping.
    city = generate_city(3, seed=seed, livelihood_share=0.0)
    problem = Problem(city.options, city.baseline, targets, city.other_reductions)
    exact = brute_force(problem)
    mip = solve_mip(problem, relative_gap=0.0)
    assert exact.feasible and mip.feasible
    assert mip.weighted_cost == pytest.approx(exact.weighted_cost, rel=1e-9)
    assert mip.status == "optimal" and mip.gap == pytest.approx(0.0, abs=1e-9)
    assert not mip.check.shortfalls and _nested(mip)
    for heuristic in (solve_greedy(problem), solve_cost_greedy(problem)):
        assert heuristic.feasible and not heuristic.check.shortfalls and _nested(heuristic)
        assert heuristic.weighted_cost >= exact.weighted_cost - 1e-9


def test_hand_built_instance(targets) -> None:
    """Two plants, city SO2 10, NOx 10, PM 10, VOCs 10 t/d; each plant emits 5 of each.

    Plant X: limit 20 % costs 1, stop costs 10; plant Y: limit 20 % costs 3, stop costs 4.
    Blue needs PM, VOCs ≥ 0.5 t (5 %): X's limit (1 t, cost 1).
    Yellow needs 10 % (1 t) of each (SO2 + NOx ≥ 20 %): X's limit again (1 t each).
    Orange needs 20 % (2 t) of PM, SO2 + NOx 4 t: X limit + Y limit = 2 t each (cost 4) is
    cheaper than X limit + Y stop (5) — but red needs 30 % (3 t): X limit + Y stop
    (1 + 5 = 6 t, cost 5) beats X stop (10). Total 1 + 1 + 4 + 5 = 11.
    """

    def plant(key: str, limit_cost: float, stop_cost: float) -> EnterpriseOptions:
        daily = dict.fromkeys((SO2, NOX, PM, VOCS), 5.0)
        return EnterpriseOptions(
            key,
            (
                Candidate(
                    "limit-20", "", MeasureKind.LIMIT, {p: 1.0 for p in daily}, limit_cost, 0.2
                ),
                Candidate("stop", "", MeasureKind.STOP, daily, stop_cost, 1.0),
            ),
        )

    settings = replace(targets.optimiser, limit_step=0.1)
    problem = Problem(
        [plant("X", 1.0, 10.0), plant("Y", 3.0, 4.0)],
        dict.fromkeys((SO2, NOX, PM, VOCS), 10.0),
        replace(targets, optimiser=settings),
    )
    mip = solve_mip(problem, relative_gap=0.0)
    assert mip.weighted_cost == pytest.approx(11.0)
    assert mip.steps == {"X": (1, 1, 1, 1), "Y": (0, 0, 1, 2)}
    assert [mip.cost_per_level[level] for level in targets.levels.keys] == pytest.approx(
        [1, 1, 4, 5]
    )
    assert brute_force(problem).weighted_cost == pytest.approx(11.0)
    # Largest emitters first: a tie, broken by order, raises X first: it ends at X stop.
    greedy = solve_greedy(problem)
    assert greedy.weighted_cost > mip.weighted_cost


def test_exemptions_and_limit_steps(targets) -> None:
    daily = {SO2: 1.0, NOX: 1.0, PM: 1.0, VOCS: 1.0}
    chain = (
        Candidate("limit-25", "", MeasureKind.LIMIT, {p: 0.25 for p in daily}, 1, 0.25),
        Candidate("limit-30", "", MeasureKind.LIMIT, {p: 0.3 for p in daily}, 1, 0.3),
        Candidate("limit-60", "", MeasureKind.LIMIT, {p: 0.6 for p in daily}, 2, 0.6),
        Candidate("stop", "", MeasureKind.STOP, daily, 3, 1.0),
    )
    plain = EnterpriseOptions("P", chain)
    # 25 % is not a 10 % step; 30 % is.
    assert [c.code for c in admissible(plain, targets)] == ["limit-30", "limit-60", "stop"]
    carbon = replace(plain, min_limit=0.5)
    assert [c.code for c in admissible(carbon, targets)] == ["limit-60", "stop"]
    heating = replace(plain, max_output_cut=0.5)  # livelihood duty at an approved load of 50 %
    assert [c.code for c in admissible(heating, targets)] == ["limit-30"]
    grade_a = replace(plain, grade="A")
    assert len(admissible(grade_a, targets)) == 3
    exempting = replace(targets, optimiser=OptimiserSettings(exempt_grade_a=True))
    assert admissible(grade_a, exempting) == ()


def test_candidates_must_form_a_chain(targets) -> None:
    broken = EnterpriseOptions(
        "Q",
        (
            Candidate("limit-50", "", MeasureKind.LIMIT, {PM: 0.5, VOCS: 0.5}, 1, 0.5),
            Candidate("trucks", "", MeasureKind.STOP_TRANSPORT, {PM: 0.2}, 1, 0.0),
        ),
    )
    with pytest.raises(InputError, match="trucks cuts less 颗粒物 PM than the weaker limit-50"):
        admissible(broken, targets)


def test_infeasible_says_what_is_missing(targets) -> None:
    """The three plants emit 0.75 % / 0.55 % / 0.55 % / 0.6 % of the city's SO2 / NOx / PM / VOCs
    (the generator's industry shares divided by 100): stopping them all at red leaves PM short by
    30 − 0.55 points, VOCs by 20 − 0.6, and SO2 + NOx by 60 − (0.75 + 0.55)."""
    city = generate_city(3, seed=1, livelihood_share=0.0)
    city_total = {p: v * 100 for p, v in city.baseline.items()}
    problem = Problem(city.options, city_total, targets)
    for solution in (solve_mip(problem), solve_greedy(problem), solve_cost_greedy(problem)):
        assert solution.status == "infeasible"
        missing = {s.pollutants: s.missing_ratio for s in solution.check.shortfalls_at("red")}
        assert missing == {
            (PM,): pytest.approx(0.30 - 0.0055),
            (VOCS,): pytest.approx(0.20 - 0.006),
            (SO2, NOX): pytest.approx(0.60 - 0.0075 - 0.0055),
        }


def test_larger_instance_meets_targets_and_beats_greedy(targets) -> None:
    city = generate_city(300, seed=11)
    problem = Problem(city.options, city.baseline, targets, city.other_reductions)
    mip = solve_mip(problem, relative_gap=0.01)
    greedy = solve_greedy(problem)
    assert mip.status in ("optimal", "within_gap") and mip.gap is not None and mip.gap <= 0.01
    assert not mip.check.shortfalls and not greedy.check.shortfalls
    assert _nested(mip) and _nested(greedy)
    assert mip.weighted_cost < greedy.weighted_cost
    cost_greedy = solve_cost_greedy(problem)
    assert not cost_greedy.check.shortfalls and _nested(cost_greedy)
    # The MIP's proven bound: no heuristic can beat it.
    assert cost_greedy.weighted_cost >= mip.bound - 1e-6
    assert mip.bound is not None and mip.bound <= mip.weighted_cost + 1e-6


@settings(max_examples=8, deadline=None)
@given(st.integers(min_value=2, max_value=30), st.integers(min_value=0, max_value=10_000))
def test_any_city_mip_meets_targets_nested_and_beats_heuristics(count: int, seed: int) -> None:
    targets = load_targets(PLAN)
    city = generate_city(count, seed=seed)
    problem = Problem(city.options, city.baseline, targets, city.other_reductions)
    # Within a 0.1 % gap of the optimum, which no heuristic can undercut.
    mip = solve_mip(problem, relative_gap=1e-3)
    heuristics = (solve_greedy(problem), solve_cost_greedy(problem))
    if not mip.feasible:
        assert all(not h.feasible for h in heuristics)
        return
    assert not mip.check.shortfalls and _nested(mip)
    for heuristic in heuristics:
        if heuristic.feasible:
            assert mip.weighted_cost <= heuristic.weighted_cost * (1 + 1e-3) + 1e-9
