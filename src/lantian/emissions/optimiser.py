"""Least-cost nested reduction list: a mixed-integer program solved with HiGHS, and a greedy baseline.

Seed task 41(2)–(3): each industrial enterprise gets "one plan per factory" (一厂一策), measures per
warning level that together meet the whole-city reduction ratios. Measures are cumulative from
blue to red (spec §4.4), so the list is *nested*: an enterprise's measure at a level contains its
measure at the level beneath.

Model. Each enterprise offers a chain of candidate measures, weakest first, each containing the one
before (limit 30 % → limit 50 % → stop); step k of enterprise i adds Δreduction_{i,k,p} (t/d) and
Δcost_{i,k} (lost output per day). Binary y_{L,i,k} = 1 when enterprise i is at step k or beyond
at level L:

    minimise   Σ_L days_L × Σ_{i,k} Δcost_{i,k} · y_{L,i,k}
    subject to y_{L,i,k} ≤ y_{L,i,k-1}            (a step needs the steps before it)
               y_{L,i,k} ≤ y_{L+1,i,k}            (nested: what is on at L stays on above L)
               Σ_p a_p Σ_{i,k} Δreduction_{i,k,p} · y_{L,i,k} ≥ b − Σ_p a_p · other_{L,p}
                                                   (every requirement row of :mod:`.rules`)

``days_L`` weighs a level by how often it is expected (plan setting, default 1 each). Exempt
enterprises (livelihood loads, grade A where the plan allows) only offer measures their exemption
admits; limits are admitted only in the plan's steps and above the industry's minimum limit.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import highspy
import numpy as np

from lantian.emissions.rules import CheckResult, Requirement, check_reductions, requirements
from lantian.emissions.targets import POLLUTANTS, Level, Pollutant, ReductionTargets
from lantian.errors import InputError

#: Reductions and fractions closer than this are equal (binary rounding of decimal inputs).
_EPS = 1e-9


class MeasureKind(StrEnum):
    """What a measure does (the government list's 措施类型)."""

    LIMIT = "limit"  # 限产 x %
    STOP_LINE = "stop_line"  # 停产生产线
    STOP_PROCESS = "stop_process"  # 停止工序
    STOP = "stop"  # 全厂停产
    STOP_TRANSPORT = "stop_transport"  # 停止重型车辆运输
    OTHER = "other"


@dataclass(frozen=True)
class Candidate:
    """A candidate measure, cumulative: it contains every weaker candidate of its enterprise."""

    code: str
    description: str
    kind: MeasureKind
    #: Reduction per pollutant in t/d against normal daily emissions.
    reductions: Mapping[Pollutant, float]
    #: Lost output value (or configured cost) per day the measure is in force.
    cost: float
    #: Share of normal production stopped (1 = whole plant stopped); limits are chosen in steps.
    output_cut: float


#: Limits offered to the optimiser when a plan names none (share of output), before the industry's
#: minimum limit and the plan's limit step filter them.
DEFAULT_LIMITS = (0.3, 0.6)


def standard_candidates(
    daily: Mapping[Pollutant, float],
    output_value: float,
    limits: Sequence[float] = DEFAULT_LIMITS,
    *,
    pm_bonus: float = 0.0,
    stop_premium: float = 1.0,
) -> tuple[Candidate, ...]:
    """Limits at the given shares of output, then a full stop; cost = lost output value per day.

    ``pm_bonus`` adds the fugitive dust that stopping heavy trucks removes with a limit (seed
    task 39); ``stop_premium`` the extra cost of a cold restart after a full stop.
    """
    chain: list[Candidate] = []
    for share in sorted(limits):
        reductions = {p: daily.get(p, 0.0) * share for p in POLLUTANTS}
        reductions[Pollutant.PM] = daily.get(Pollutant.PM, 0.0) * min(1.0, share + pm_bonus)
        chain.append(
            Candidate(
                code=f"limit-{round(share * 100)}",
                description=f"限产 {share:.0%} / limit output by {share:.0%}",
                kind=MeasureKind.LIMIT,
                reductions=reductions,
                cost=output_value * share,
                output_cut=share,
            )
        )
    chain.append(
        Candidate(
            code="stop",
            description="全厂停产 / whole plant stopped",
            kind=MeasureKind.STOP,
            reductions=dict(daily),
            cost=output_value * stop_premium,
            output_cut=1.0,
        )
    )
    return tuple(chain)


@dataclass(frozen=True)
class EnterpriseOptions:
    key: str
    candidates: tuple[Candidate, ...]
    grade: str | None = None
    #: Largest share of production that may be stopped: 1 − the approved load of a livelihood duty
    #: (heating, co-processing of waste; seed task 37).
    max_output_cut: float = 1.0
    #: Smallest admissible limit for the industry (e.g. carbon: ≥ 50 %, seed task 38).
    min_limit: float = 0.0
    exempt: bool = False


def admissible(options: EnterpriseOptions, targets: ReductionTargets) -> tuple[Candidate, ...]:
    """The candidates the plan admits for an enterprise, weakest first (checked to be a chain)."""
    settings = targets.optimiser
    if options.exempt or (settings.exempt_grade_a and (options.grade or "").upper() == "A"):
        return ()
    kept: list[Candidate] = []
    for candidate in options.candidates:
        if candidate.output_cut > options.max_output_cut + _EPS:
            continue
        if candidate.kind is MeasureKind.LIMIT:
            steps = candidate.output_cut / settings.limit_step
            if abs(steps - round(steps)) > 1e-6 or candidate.output_cut < options.min_limit - _EPS:
                continue
        kept.append(candidate)
    for weaker, stronger in itertools.pairwise(kept):
        for pollutant in POLLUTANTS:
            below = weaker.reductions.get(pollutant, 0.0)
            if stronger.reductions.get(pollutant, 0.0) < below - _EPS:
                raise InputError(
                    f"企业 {options.key}: 措施 {stronger.code} 的 {pollutant.label} 减排量小于较弱的 "
                    f"{weaker.code}，措施应逐级包含 / enterprise {options.key}: measure "
                    f"{stronger.code} cuts less {pollutant.label} than the weaker {weaker.code}; "
                    "candidates must be listed weakest first, each containing the one before"
                )
    return tuple(kept)


@dataclass(frozen=True)
class Problem:
    enterprises: Sequence[EnterpriseOptions]
    baseline: Mapping[Pollutant, float]
    targets: ReductionTargets
    #: Reductions outside the enterprise list (traffic, construction sites …), t/d per level.
    other_reductions: Mapping[Level, Mapping[Pollutant, float]] = field(default_factory=dict)

    @property
    def levels(self) -> tuple[Level, ...]:
        """The plan's warning levels, lowest first: one column of the nested list each."""
        return self.targets.levels.keys


@dataclass(frozen=True)
class Solution:
    """A nested list: each enterprise's step per level (0 = no measure) and what it achieves."""

    method: str  # "mip", "greedy" or "brute_force"
    #: "optimal" (proven), "within_gap" (proven within the requested gap), "feasible" (stopped
    #: at the time limit with a list meeting every target) or "infeasible" (no list can).
    status: str
    #: Per enterprise key, its step per level in the plan's level order: 0 none, k = k-th admissible candidate.
    steps: Mapping[str, tuple[int, ...]]
    measures: Mapping[str, tuple[Candidate | None, ...]]
    cost_per_level: Mapping[Level, float]
    weighted_cost: float
    check: CheckResult
    seconds: float
    #: Relative optimality gap (primal − bound) / |primal|; 0 when proven optimal; None for greedy.
    gap: float | None = None
    bound: float | None = None

    @property
    def feasible(self) -> bool:
        return self.status != "infeasible"


@dataclass
class _Flat:
    """The admissible steps of all enterprises, flattened: one row per (enterprise, step)."""

    keys: list[str]
    chains: list[tuple[Candidate, ...]]
    owner: np.ndarray  # enterprise index of each step
    step: np.ndarray  # 1-based step number within its enterprise
    delta_reduction: np.ndarray  # (n_steps, n_pollutants)
    delta_cost: np.ndarray  # (n_steps,)


def _flatten(problem: Problem) -> _Flat:
    keys, chains, owner, step, dred, dcost = [], [], [], [], [], []
    for index, options in enumerate(problem.enterprises):
        chain = admissible(options, problem.targets)
        keys.append(options.key)
        chains.append(chain)
        previous_red = np.zeros(len(POLLUTANTS))
        previous_cost = 0.0
        for number, candidate in enumerate(chain, start=1):
            red = np.array([candidate.reductions.get(p, 0.0) for p in POLLUTANTS])
            owner.append(index)
            step.append(number)
            dred.append(red - previous_red)
            dcost.append(candidate.cost - previous_cost)
            previous_red, previous_cost = red, candidate.cost
    return _Flat(
        keys=keys,
        chains=chains,
        owner=np.array(owner, dtype=np.int64),
        step=np.array(step, dtype=np.int64),
        delta_reduction=np.array(dred, dtype=float).reshape(-1, len(POLLUTANTS)),
        delta_cost=np.array(dcost, dtype=float),
    )


def _evaluate(
    problem: Problem, flat: _Flat, steps: np.ndarray, method: str, status: str, seconds: float
) -> Solution:
    """Totals, cost and check of a step matrix (enterprises × levels)."""
    reductions: dict[Level, dict[Pollutant, float]] = {}
    costs: dict[Level, float] = {}
    measures: dict[str, tuple[Candidate | None, ...]] = {}
    for index, key in enumerate(flat.keys):
        chain = flat.chains[index]
        measures[key] = tuple(chain[s - 1] if s > 0 else None for s in steps[index])
    for column, level in enumerate(problem.levels):
        totals = dict.fromkeys(POLLUTANTS, 0.0)
        cost = 0.0
        for key in flat.keys:
            candidate = measures[key][column]
            if candidate is not None:
                cost += candidate.cost
                for pollutant, amount in candidate.reductions.items():
                    totals[pollutant] += amount
        for pollutant, amount in problem.other_reductions.get(level, {}).items():
            totals[pollutant] += amount
        reductions[level] = totals
        costs[level] = cost
    days = problem.targets.optimiser.days_per_level
    weighted = sum(days.get(level, 1.0) * costs[level] for level in problem.levels)
    return Solution(
        method=method,
        status=status,
        steps={key: tuple(int(s) for s in steps[i]) for i, key in enumerate(flat.keys)},
        measures=measures,
        cost_per_level=costs,
        weighted_cost=weighted,
        check=check_reductions(reductions, problem.baseline, problem.targets),
        seconds=seconds,
    )


def _strongest(flat: _Flat, n_levels: int) -> np.ndarray:
    return np.array([[len(chain)] * n_levels for chain in flat.chains], dtype=np.int64).reshape(
        -1, n_levels
    )


def solve_mip(
    problem: Problem, *, relative_gap: float = 0.005, time_limit: float = 25.0
) -> Solution:
    """The least-cost nested list (HiGHS branch and cut), with its proven optimality gap."""
    started = time.perf_counter()
    flat = _flatten(problem)
    strongest = _strongest(flat, len(problem.levels))
    everything = _evaluate(problem, flat, strongest, "mip", "infeasible", 0.0)
    if everything.check.shortfalls:
        # Even every admissible measure at its strongest misses a target: say by how much.
        return _with_time(everything, started)
    n_steps = len(flat.step)
    n_levels = len(problem.levels)
    days = problem.targets.optimiser.days_per_level
    n_vars = n_levels * n_steps
    costs = np.concatenate([days.get(level, 1.0) * flat.delta_cost for level in problem.levels])

    highs = _quiet_highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", relative_gap)
    highs.setOptionValue("time_limit", float(time_limit))
    # HiGHS presolve finds nothing to remove in this model but its probing of the ~2·n implication
    # rows takes minutes at 5,000 enterprises (measured: 33 s without reaching the root LP);
    # without presolve the root LP solves in under a second and is nearly integral.
    highs.setOptionValue("presolve", "off")
    highs.addCols(
        n_vars,
        costs,
        np.zeros(n_vars),
        np.ones(n_vars),
        0,
        np.zeros(n_vars, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0),
    )
    highs.changeColsIntegrality(
        n_vars,
        np.arange(n_vars, dtype=np.int32),
        np.full(n_vars, highspy.HighsVarType.kInteger),
    )

    # Two-entry rows "y_a − y_b ≤ 0": chain (step k needs k−1) and nesting (level L needs L+1).
    steps_after_first = np.flatnonzero(flat.step > 1)
    pairs_a, pairs_b = [], []
    for level_index in range(n_levels):
        offset = level_index * n_steps
        pairs_a.append(offset + steps_after_first)
        pairs_b.append(offset + steps_after_first - 1)
    for level_index in range(n_levels - 1):
        offset = level_index * n_steps
        pairs_a.append(offset + np.arange(n_steps))
        pairs_b.append(offset + n_steps + np.arange(n_steps))
    first = np.concatenate(pairs_a) if pairs_a else np.zeros(0, dtype=np.int64)
    second = np.concatenate(pairs_b) if pairs_b else np.zeros(0, dtype=np.int64)
    n_pairs = len(first)
    if n_pairs:
        indices = np.empty(2 * n_pairs, dtype=np.int32)
        indices[0::2], indices[1::2] = first, second
        values = np.tile(np.array([1.0, -1.0]), n_pairs)
        highs.addRows(
            n_pairs,
            np.full(n_pairs, -highspy.kHighsInf),
            np.zeros(n_pairs),
            2 * n_pairs,
            np.arange(0, 2 * n_pairs, 2, dtype=np.int32),
            indices,
            values,
        )

    # Requirement rows, one per target (and trade) per level.
    for level_index, level in enumerate(problem.levels):
        other = problem.other_reductions.get(level, {})
        for row in requirements(level, problem.baseline, problem.targets):
            weights = np.array([row.coefficients.get(p, 0.0) for p in POLLUTANTS])
            coefficients = flat.delta_reduction @ weights
            nonzero = np.flatnonzero(np.abs(coefficients) > 0)
            bound = row.bound - row.value(other)
            highs.addRow(
                float(bound),
                highspy.kHighsInf,
                len(nonzero),
                (level_index * n_steps + nonzero).astype(np.int32),
                coefficients[nonzero],
            )

    # The greedy list is feasible: as the starting incumbent it guarantees an answer at any limit.
    greedy = solve_greedy(problem)
    if greedy.feasible:
        start = np.zeros((n_levels, n_steps))
        for level_index in range(n_levels):
            chosen = np.array([greedy.steps[key][level_index] for key in flat.keys])
            start[level_index] = flat.step <= chosen[flat.owner]
        incumbent = highspy.HighsSolution()
        incumbent.col_value = start.ravel().tolist()
        incumbent.value_valid = True
        highs.setSolution(incumbent)
    highs.run()
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return _with_time(everything, started)
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        raise RuntimeError(
            f"HiGHS 未找到可行解 / HiGHS found no feasible solution: "
            f"{highs.modelStatusToString(model_status)}"
        )
    values = np.asarray(highs.getSolution().col_value).reshape(n_levels, n_steps)
    on = values > 0.5
    steps = np.zeros((len(flat.keys), n_levels), dtype=np.int64)
    for level_index in range(n_levels):
        np.add.at(steps[:, level_index], flat.owner, on[level_index].astype(np.int64))
    bound = float(info.mip_dual_bound)
    primal = float(info.objective_function_value)
    gap = 0.0 if primal == 0 else max(0.0, (primal - bound) / abs(primal))
    # HiGHS calls a solution optimal once the gap is within the requested tolerance; say which.
    if model_status == highspy.HighsModelStatus.kOptimal:
        status = "optimal" if gap <= 1e-6 else "within_gap"
    else:
        status = "feasible"
    solution = _evaluate(problem, flat, steps, "mip", status, 0.0)
    return _with_time(Solution(**{**solution.__dict__, "gap": gap, "bound": bound}), started)


def _with_time(solution: Solution, started: float) -> Solution:
    return Solution(**{**solution.__dict__, "seconds": time.perf_counter() - started})


def _unmet(rows: Sequence[Requirement], totals: Mapping[Pollutant, float]) -> list[Requirement]:
    return [r for r in rows if r.value(totals) < r.bound - 1e-9 * max(1.0, abs(r.bound))]


def solve_greedy(problem: Problem) -> Solution:
    """Office practice as a baseline: largest emitters first, one step at a time, level by level.

    At each level (from blue, keeping the level beneath) the enterprises are ranked by their share of
    the whole-city emissions of the pollutants still short; passes down the ranking raise each one
    step until every requirement is met or no enterprise can be raised.
    """
    started = time.perf_counter()
    flat = _flatten(problem)
    n = len(flat.keys)
    chains = flat.chains
    daily_share = np.zeros((n, len(POLLUTANTS)))
    for index, chain in enumerate(chains):
        if chain:
            strongest = chain[-1].reductions
            for column, pollutant in enumerate(POLLUTANTS):
                total = problem.baseline.get(pollutant, 0.0)
                if total > 0:
                    daily_share[index, column] = strongest.get(pollutant, 0.0) / total
    steps = np.zeros((n, len(problem.levels)), dtype=np.int64)
    current = np.zeros(n, dtype=np.int64)
    feasible = True
    for column, level in enumerate(problem.levels):
        rows = requirements(level, problem.baseline, problem.targets)
        totals = dict(problem.other_reductions.get(level, {}))
        for index in range(n):
            if current[index]:
                for pollutant, amount in chains[index][current[index] - 1].reductions.items():
                    totals[pollutant] = totals.get(pollutant, 0.0) + amount
        short = _unmet(rows, totals)
        while short:
            short_pollutants = {p for r in short for p in r.pollutants}
            mask = np.array([p in short_pollutants for p in POLLUTANTS])
            size = daily_share[:, mask].sum(axis=1)
            order = [i for i in np.argsort(-size, kind="stable") if size[i] > 0]
            raised = False
            for index in order:
                chain = chains[index]
                if current[index] >= len(chain):
                    continue
                before = chain[current[index] - 1].reductions if current[index] else {}
                current[index] += 1
                after = chain[current[index] - 1].reductions
                for pollutant in POLLUTANTS:
                    delta = after.get(pollutant, 0.0) - before.get(pollutant, 0.0)
                    totals[pollutant] = totals.get(pollutant, 0.0) + delta
                raised = True
                short = _unmet(rows, totals)
                if not short:
                    break
            if not raised:
                feasible = False
                break
        steps[:, column] = current
    solution = _evaluate(
        problem, flat, steps, "greedy", "feasible" if feasible else "infeasible", 0.0
    )
    return _with_time(solution, started)


def solve_cost_greedy(problem: Problem) -> Solution:
    """A cost-aware heuristic baseline: at each level, repeatedly take the next step with the
    lowest cost per unit of remaining shortfall it closes (gains capped at each requirement's
    remaining gap), until every requirement is met. Shows how much of the MIP's advantage a smart
    rule of thumb recovers."""
    started = time.perf_counter()
    flat = _flatten(problem)
    n = len(flat.keys)
    lengths = np.array([len(chain) for chain in flat.chains], dtype=np.int64)
    deepest = int(lengths.max(initial=0))
    reductions = np.zeros((n, deepest + 1, len(POLLUTANTS)))
    costs = np.zeros((n, deepest + 1))
    for index, chain in enumerate(flat.chains):
        for number, candidate in enumerate(chain, start=1):
            reductions[index, number] = [candidate.reductions.get(p, 0.0) for p in POLLUTANTS]
            costs[index, number] = candidate.cost
    rows_index = np.arange(n)
    current = np.zeros(n, dtype=np.int64)
    steps = np.zeros((n, len(problem.levels)), dtype=np.int64)
    feasible = True
    for column, level in enumerate(problem.levels):
        rows = requirements(level, problem.baseline, problem.targets)
        other = problem.other_reductions.get(level, {})
        totals = np.array([other.get(p, 0.0) for p in POLLUTANTS]) + reductions[
            rows_index, current
        ].sum(axis=0)
        if rows:
            matrix = np.array([[r.coefficients.get(p, 0.0) for p in POLLUTANTS] for r in rows])
            bounds = np.array([r.bound for r in rows])
            tolerance = 1e-9 * np.maximum(1.0, np.abs(bounds))
            while True:
                remaining = bounds - matrix @ totals
                short = remaining > tolerance
                if not short.any():
                    break
                following = np.minimum(current + 1, lengths)
                movable = following > current
                delta = reductions[rows_index, following] - reductions[rows_index, current]
                extra = costs[rows_index, following] - costs[rows_index, current]
                closes = (delta @ matrix[short].T) / remaining[short]
                gain = np.minimum(closes, 1.0).sum(axis=1)
                score = np.where(movable & (gain > 1e-12), extra / np.maximum(gain, 1e-12), np.inf)
                best = int(np.argmin(score))
                if not np.isfinite(score[best]):
                    feasible = False
                    break
                current[best] += 1
                totals = totals + delta[best]
        steps[:, column] = current
    solution = _evaluate(
        problem, flat, steps, "cost_greedy", "feasible" if feasible else "infeasible", 0.0
    )
    return _with_time(solution, started)


def brute_force(problem: Problem) -> Solution:
    """Every nested assignment, for tests on small instances (exponential: ≤ 4 enterprises)."""
    started = time.perf_counter()
    flat = _flatten(problem)
    days = problem.targets.optimiser.days_per_level
    rows = {
        level: requirements(level, problem.baseline, problem.targets) for level in problem.levels
    }
    # Per enterprise, each non-decreasing step sequence with its weighted cost and reductions.
    options_per_enterprise = []
    for chain in flat.chains:
        choices = []
        for sequence in itertools.combinations_with_replacement(
            range(len(chain) + 1), len(problem.levels)
        ):
            cost = sum(
                days.get(level, 1.0) * (chain[s - 1].cost if s else 0.0)
                for level, s in zip(problem.levels, sequence, strict=True)
            )
            cuts = [
                np.array([chain[s - 1].reductions.get(p, 0.0) if s else 0.0 for p in POLLUTANTS])
                for s in sequence
            ]
            choices.append((sequence, cost, cuts))
        options_per_enterprise.append(choices)
    other = [
        np.array([problem.other_reductions.get(level, {}).get(p, 0.0) for p in POLLUTANTS])
        for level in problem.levels
    ]
    best_cost, best_steps = math.inf, None
    for combination in itertools.product(*options_per_enterprise):
        cost = sum(choice[1] for choice in combination)
        if cost >= best_cost:
            continue
        feasible = True
        for level_index, level in enumerate(problem.levels):
            totals_vector = other[level_index] + sum(
                choice[2][level_index] for choice in combination
            )
            totals = dict(zip(POLLUTANTS, totals_vector.tolist(), strict=True))
            if _unmet(rows[level], totals):
                feasible = False
                break
        if feasible:
            best_cost = cost
            best_steps = np.array([choice[0] for choice in combination], dtype=np.int64)
    if best_steps is None:
        strongest = _evaluate(
            problem, flat, _strongest(flat, len(problem.levels)), "brute_force", "infeasible", 0.0
        )
        return _with_time(strongest, started)
    best = _evaluate(
        problem, flat, best_steps.reshape(-1, len(problem.levels)), "brute_force", "optimal", 0.0
    )
    return _with_time(best, started)


def _quiet_highs() -> Any:
    """A HiGHS instance without its start-up banner on the terminal.

    The C++ constructor prints the banner to file descriptor 1 before any option can be set
    (``output_flag`` only silences what follows), which would land in `lantian demo`'s and the
    CLI's output and in JSON printed to a pipe. Standard output is pointed at /dev/null for the
    construction only.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 1)
            highs = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return highs
