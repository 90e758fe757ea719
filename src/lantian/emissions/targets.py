"""Reduction targets per warning level as plan data (seed task 41(3); spec/standards.md §4.3).

The targets are the plan's, not the code's: the plan's ``reduction_targets.toml`` (read by :mod:`lantian.plan`) holds the
ratios per level and pollutant, the SO2/NOx trading rule and the settings the seed leaves open
(every one the spec marks [UNCONFIRMED] is a setting here, with the seed's reading as default).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from lantian.errors import InputError
from lantian.plan import (
    REDUCTION_TARGETS_FILE,
    WARNING_RULES_FILE,
    LevelKey,
    LevelScheme,
    Plan,
    load_file,
)
from lantian.plan.schema import ReductionTargetsFile, WarningRulesFile

TARGETS_FILE = REDUCTION_TARGETS_FILE


class Pollutant(StrEnum):
    """The four pollutants of the reduction ratios (seed task 41(3))."""

    SO2 = "so2"
    NOX = "nox"
    PM = "pm"
    VOCS = "vocs"

    @property
    def label(self) -> str:
        return _POLLUTANT_LABELS[self]


_POLLUTANT_LABELS = {
    Pollutant.SO2: "SO₂",
    Pollutant.NOX: "NOx",
    Pollutant.PM: "颗粒物 PM",
    Pollutant.VOCS: "VOCs",
}

POLLUTANTS: tuple[Pollutant, ...] = tuple(Pollutant)


#: A warning level, named by its key; the levels themselves (order, names, colours) are the
#: plan's warning scheme (:class:`lantian.plan.LevelScheme`), carried on :class:`ReductionTargets`.
Level = LevelKey


class TradeForm(StrEnum):
    """How the SO2 + NOx sum is taken when the two may be traded (spec §4.4)."""

    #: ratio_SO2 + ratio_NOx ≥ target_SO2 + target_NOx — the seed's "二者减排比例之和".
    RATIO_SUM = "ratio_sum"
    #: R_SO2 + R_NOx ≥ target_SO2·E_SO2 + target_NOx·E_NOx — spec §4.4's pooled form [UNCONFIRMED].
    POOLED_TONNES = "pooled_tonnes"


@dataclass(frozen=True)
class Trade:
    """The SO2/NOx trading rule: off, or on with its form and the floor each ratio keeps."""

    enabled: bool = True
    form: TradeForm = TradeForm.RATIO_SUM
    floor: float = 0.0


@dataclass(frozen=True)
class OptimiserSettings:
    """What the seed leaves open for choosing measures; every value is a plan setting."""

    limit_step: float = 0.10
    exempt_grade_a: bool = False
    #: Days a year at each level (a level not named counts one day).
    days_per_level: Mapping[Level, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ReductionTargets:
    """Required reduction ratio per level and pollutant (a missing pollutant has no target)."""

    ratios: Mapping[Level, Mapping[Pollutant, float]]
    #: The plan's warning levels, lowest first: every list, check and optimisation runs over them.
    levels: LevelScheme
    trade: Trade = Trade()
    optimiser: OptimiserSettings = OptimiserSettings()
    plan: str = ""
    source: str = ""
    inventory_year: int | None = None

    def target(self, level: Level, pollutant: Pollutant) -> float | None:
        return self.ratios.get(level, {}).get(pollutant)

    def trades_at(self, level: Level) -> bool:
        """Whether SO2 and NOx are traded at ``level`` (both must have a target there)."""
        return (
            self.trade.enabled
            and self.target(level, Pollutant.SO2) is not None
            and self.target(level, Pollutant.NOX) is not None
        )


def _fraction(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{where}: 应为 0 到 1 之间的小数 / must be a number between 0 and 1")
    if not 0.0 <= float(value) <= 1.0:
        raise InputError(
            f"{where}: {value} 不在 0 到 1 之间（比例写作小数，5% 写 0.05） / "
            f"{value} is not between 0 and 1 (ratios are fractions: write 5 % as 0.05)"
        )
    return float(value)


def parse_targets(
    data: Mapping[str, Any], levels: LevelScheme, where: str = TARGETS_FILE
) -> ReductionTargets:
    """Targets from the parsed TOML document, over the plan's warning ``levels``; every wrong
    value is named with its key."""
    tables = data.get("levels")
    if not isinstance(tables, Mapping) or not tables:
        raise InputError(f"{where}: 缺少 [levels.*] 表 / missing the [levels.*] tables")
    ratios: dict[Level, dict[Pollutant, float]] = {}
    for level_key, table in tables.items():
        if level_key not in levels:
            raise InputError(
                f"{where}: levels.{level_key}: 未知预警级别（不在计划的预警方案中） / unknown "
                f"warning level, not in the plan's warning scheme (one of {', '.join(levels.keys)})"
            )
        level = level_key
        if not isinstance(table, Mapping):
            raise InputError(f"{where}: levels.{level_key} 应为表 / must be a table")
        ratios[level] = {}
        for pollutant_key, value in table.items():
            try:
                pollutant = Pollutant(pollutant_key)
            except ValueError:
                raise InputError(
                    f"{where}: levels.{level_key}.{pollutant_key}: 未知污染物 / unknown "
                    f"pollutant (one of {', '.join(POLLUTANTS)})"
                ) from None
            ratios[level][pollutant] = _fraction(
                value, f"{where}: levels.{level_key}.{pollutant_key}"
            )
    trade_table = data.get("so2_nox_trade", {})
    try:
        form = TradeForm(trade_table.get("form", TradeForm.RATIO_SUM))
    except ValueError:
        raise InputError(
            f"{where}: so2_nox_trade.form: 应为 {' 或 '.join(TradeForm)} / must be one of "
            f"{', '.join(TradeForm)}"
        ) from None
    trade = Trade(
        enabled=bool(trade_table.get("enabled", True)),
        form=form,
        floor=_fraction(trade_table.get("floor", 0.0), f"{where}: so2_nox_trade.floor"),
    )
    opt_table = data.get("optimiser", {})
    step = _fraction(opt_table.get("limit_step", 0.10), f"{where}: optimiser.limit_step")
    if step <= 0:
        raise InputError(f"{where}: optimiser.limit_step 须大于 0 / must be above 0")
    days = dict.fromkeys(levels.keys, 1.0)
    for level_key, value in opt_table.get("days_per_level", {}).items():
        if level_key not in levels:
            raise InputError(
                f"{where}: optimiser.days_per_level.{level_key}: 未知预警级别 / unknown level, "
                f"not in the plan's warning scheme (one of {', '.join(levels.keys)})"
            )
        level = level_key
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InputError(
                f"{where}: optimiser.days_per_level.{level_key}: 应为非负数 / must be ≥ 0"
            )
        days[level] = float(value)
    year = data.get("inventory_year")
    return ReductionTargets(
        ratios=ratios,
        levels=levels,
        trade=trade,
        optimiser=OptimiserSettings(
            limit_step=step,
            exempt_grade_a=bool(opt_table.get("exempt_grade_a", False)),
            days_per_level=days,
        ),
        plan=str(data.get("plan", "")),
        source=str(data.get("source", "")),
        inventory_year=int(year) if isinstance(year, int) else None,
    )


def load_targets(plan_folder: Path) -> ReductionTargets:
    """Read ``reduction_targets.toml`` of a plan folder on its own, over the levels of the
    folder's ``warning_rules.toml``."""
    path = plan_folder / TARGETS_FILE
    if not path.is_file():
        raise InputError(f"{path}: 找不到减排目标文件 / reduction targets file not found")
    return parse_targets(
        load_file(path, ReductionTargetsFile).model_dump(), folder_levels(plan_folder), str(path)
    )


def folder_levels(plan_folder: Path) -> LevelScheme:
    """The warning levels of a plan folder's ``warning_rules.toml`` read on its own."""
    rules = plan_folder / WARNING_RULES_FILE
    if not rules.is_file():
        raise InputError(f"{rules}: 找不到预警规则文件 / warning rules file not found")
    return LevelScheme.from_rules(load_file(rules, WarningRulesFile))


@lru_cache(maxsize=8)
def plan_targets(plan: Plan) -> ReductionTargets:
    """The reduction targets of a loaded plan."""
    if plan.reduction_targets is None:
        raise InputError(f"{plan.folder}: 计划没有减排目标 / the plan has no reduction targets")
    return parse_targets(
        plan.reduction_targets.model_dump(), plan.levels, str(plan.folder / TARGETS_FILE)
    )
