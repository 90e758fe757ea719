"""Reduction ratios of an emergency reduction list and the check against the plan's targets.

Spec/standards.md §4.4: the reduction at level L is R_{p,L} = Σ_i e_{i,p} × r_{i,p,L}, its ratio
R_{p,L} / E_p against the whole-city daily emission E_p of the inventory year; the list complies
when every ratio meets its target (seed task 41(3)), with SO2 and NOx traded against each other
when the plan allows it. Measures are cumulative from blue to red, so each entry's fraction at a
level may not be below its fraction at the level beneath.

Every requirement is one linear inequality Σ_p coefficient_p × R_p ≥ bound: the checker evaluates
it on a list, the optimiser (:mod:`lantian.emissions.optimiser`) uses the same rows as constraints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from lantian.emissions.targets import (
    POLLUTANTS,
    Level,
    Pollutant,
    ReductionTargets,
    TradeForm,
)
from lantian.errors import InputError
from lantian.plan import LevelKey

#: Relative tolerance of a comparison: a ratio computed as exactly 10 % in decimal arithmetic is
#: 0.1 ± one rounding unit in binary, and a list must not fail a target by a rounding error.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Requirement:
    """One target as a linear inequality over the level's reductions (t/d)."""

    level: Level
    pollutants: tuple[Pollutant, ...]
    coefficients: Mapping[Pollutant, float]
    bound: float
    #: Converts Σ coefficient × R into the ratio shown to people (ratio, ratio sum or pooled ratio).
    ratio_scale: float
    kind: str  # "single", "trade_sum", "trade_pooled", "trade_floor"
    #: The level's short name in the plan's scheme (``黄色 yellow``), for messages.
    level_label: str = ""

    @property
    def required_ratio(self) -> float:
        return self.bound * self.ratio_scale

    def value(self, reductions: Mapping[Pollutant, float]) -> float:
        return sum(c * reductions.get(p, 0.0) for p, c in self.coefficients.items())

    def describe(self) -> str:
        names = " + ".join(p.label for p in self.pollutants)
        if self.kind == "trade_sum":
            return f"{names} 减排比例之和 / sum of ratios"
        if self.kind == "trade_pooled":
            return f"{names} 合计减排比例 / pooled ratio"
        if self.kind == "trade_floor":
            return f"{names} 调剂下限 / trading floor"
        return f"{names} 减排比例 / reduction ratio"


@dataclass(frozen=True)
class Shortfall:
    """By how much a list misses one requirement at one level."""

    requirement: Requirement
    achieved_ratio: float
    #: Missing ratio, in the requirement's own measure (a fraction: 0.012 = 1.2 percentage points).
    missing_ratio: float
    #: Tonnes per day of each pollutant that would, alone, close the gap.
    missing_tonnes: Mapping[Pollutant, float]

    @property
    def level(self) -> Level:
        return self.requirement.level

    @property
    def pollutants(self) -> tuple[Pollutant, ...]:
        return self.requirement.pollutants

    def message(self) -> str:
        tonnes = " 或 / or ".join(
            f"{amount:.3f} t/d {p.label}" for p, amount in self.missing_tonnes.items()
        )
        return (
            f"{self.requirement.level_label or self.level}: {self.requirement.describe()} "
            f"{self.achieved_ratio:.2%} < {self.requirement.required_ratio:.2%}，"
            f"差 / short by {self.missing_ratio * 100:.2f} 个百分点 / points ({tonnes})"
        )


@dataclass(frozen=True)
class NotCumulative:
    """An entry whose measure at a level is weaker than at the level beneath (spec §4.4)."""

    key: str
    level: Level
    pollutant: Pollutant
    fraction: float
    fraction_below: float


@dataclass(frozen=True)
class CheckResult:
    reductions: Mapping[Level, Mapping[Pollutant, float]]
    ratios: Mapping[Level, Mapping[Pollutant, float]]
    shortfalls: tuple[Shortfall, ...]
    not_cumulative: tuple[NotCumulative, ...] = field(default=())

    @property
    def passes(self) -> bool:
        return not self.shortfalls and not self.not_cumulative

    def shortfalls_at(self, level: Level) -> tuple[Shortfall, ...]:
        return tuple(s for s in self.shortfalls if s.level == level)


@dataclass(frozen=True)
class ListEntry:
    """One enterprise (or site) of a list: normal daily emissions and the fraction cut per level.

    ``fractions[level][pollutant]`` is the share of the normal daily emission that the measures in
    force at ``level`` remove (cumulative: it includes the measures of lower levels).
    """

    key: str
    daily: Mapping[Pollutant, float]
    fractions: Mapping[Level, Mapping[Pollutant, float]]


def _checked_baseline(baseline: Mapping[Pollutant, float], pollutant: Pollutant) -> float:
    total = baseline.get(pollutant, 0.0)
    if not total > 0:
        raise InputError(
            f"全社会 {pollutant.label} 排放量为 {total}：无法计算减排比例 / the whole-city "
            f"{pollutant.label} emission is {total}: no reduction ratio can be computed"
        )
    return total


def requirements(
    level: Level, baseline: Mapping[Pollutant, float], targets: ReductionTargets
) -> list[Requirement]:
    """The requirements at ``level`` as linear rows (seed task 41(3), spec §4.3–4.4)."""
    rows: list[Requirement] = []
    trades = targets.trades_at(level)
    for pollutant in POLLUTANTS:
        target = targets.target(level, pollutant)
        if target is None or (trades and pollutant in (Pollutant.SO2, Pollutant.NOX)):
            continue
        total = _checked_baseline(baseline, pollutant)
        rows.append(
            Requirement(level, (pollutant,), {pollutant: 1.0}, target * total, 1 / total, "single")
        )
    if trades:
        so2, nox = Pollutant.SO2, Pollutant.NOX
        e_so2, e_nox = _checked_baseline(baseline, so2), _checked_baseline(baseline, nox)
        t_so2, t_nox = targets.target(level, so2) or 0.0, targets.target(level, nox) or 0.0
        pair = (so2, nox)
        if targets.trade.form is TradeForm.RATIO_SUM:
            rows.append(
                Requirement(
                    level, pair, {so2: 1 / e_so2, nox: 1 / e_nox}, t_so2 + t_nox, 1.0, "trade_sum"
                )
            )
        else:
            rows.append(
                Requirement(
                    level,
                    pair,
                    {so2: 1.0, nox: 1.0},
                    t_so2 * e_so2 + t_nox * e_nox,
                    1 / (e_so2 + e_nox),
                    "trade_pooled",
                )
            )
        if targets.trade.floor > 0:
            for pollutant, total in ((so2, e_so2), (nox, e_nox)):
                rows.append(
                    Requirement(
                        level,
                        (pollutant,),
                        {pollutant: 1.0},
                        targets.trade.floor * total,
                        1 / total,
                        "trade_floor",
                    )
                )
    label = targets.levels.get(level).label
    return [replace(row, level_label=label) for row in rows]


def level_reductions(
    entries: Iterable[ListEntry], levels: Sequence[LevelKey]
) -> dict[Level, dict[Pollutant, float]]:
    """R_{p,L} = Σ_i e_{i,p} × r_{i,p,L} (spec §4.4), in t/d, at each of the plan's ``levels``."""
    totals = {level: dict.fromkeys(POLLUTANTS, 0.0) for level in levels}
    for entry in entries:
        for level, by_pollutant in entry.fractions.items():
            for pollutant, fraction in by_pollutant.items():
                totals[level][pollutant] += entry.daily.get(pollutant, 0.0) * fraction
    return totals


def cumulative_violations(
    entries: Iterable[ListEntry], levels: Sequence[LevelKey]
) -> list[NotCumulative]:
    """Entries whose cut at a level is smaller than at the level beneath (``levels`` lowest first)."""
    found: list[NotCumulative] = []
    for entry in entries:
        for lower, upper in pairwise(levels):
            for pollutant in POLLUTANTS:
                below = entry.fractions.get(lower, {}).get(pollutant, 0.0)
                here = entry.fractions.get(upper, {}).get(pollutant, 0.0)
                if here < below - TOLERANCE:
                    found.append(NotCumulative(entry.key, upper, pollutant, here, below))
    return found


def check_reductions(
    reductions: Mapping[Level, Mapping[Pollutant, float]],
    baseline: Mapping[Pollutant, float],
    targets: ReductionTargets,
) -> CheckResult:
    """Compare reductions per level (t/d) with the targets and say what is missing where."""
    ratios = {
        level: {
            p: reductions.get(level, {}).get(p, 0.0) / baseline[p]
            for p in POLLUTANTS
            if baseline.get(p, 0.0) > 0
        }
        for level in targets.levels.keys
    }
    shortfalls: list[Shortfall] = []
    for level in targets.levels.keys:
        achieved = reductions.get(level, {})
        for row in requirements(level, baseline, targets):
            value = row.value(achieved)
            missing = row.bound - value
            if missing > TOLERANCE * max(1.0, abs(row.bound)):
                shortfalls.append(
                    Shortfall(
                        requirement=row,
                        achieved_ratio=value * row.ratio_scale,
                        missing_ratio=missing * row.ratio_scale,
                        missing_tonnes={p: missing / c for p, c in row.coefficients.items()},
                    )
                )
    return CheckResult(reductions=reductions, ratios=ratios, shortfalls=tuple(shortfalls))


def check_list(
    entries: Iterable[ListEntry],
    baseline: Mapping[Pollutant, float],
    targets: ReductionTargets,
    other_reductions: Mapping[Level, Mapping[Pollutant, float]] | None = None,
) -> CheckResult:
    """Check a whole list; ``other_reductions`` adds measures outside the list (traffic, sites…)."""
    entries = list(entries)
    totals = level_reductions(entries, targets.levels.keys)
    for level, by_pollutant in (other_reductions or {}).items():
        for pollutant, amount in by_pollutant.items():
            totals[level][pollutant] += amount
    result = check_reductions(totals, baseline, targets)
    return CheckResult(
        reductions=result.reductions,
        ratios=result.ratios,
        shortfalls=result.shortfalls,
        not_cumulative=tuple(cumulative_violations(entries, targets.levels.keys)),
    )
