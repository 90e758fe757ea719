"""Warning level rules as plan data, and the grading of an AQI series (seed task 40, spec §4.1).

The rules live in the plan's ``warning_rules.toml`` (read and checked by :mod:`lantian.plan`);
:func:`plan_rules` turns the plan's scheme into a frozen :class:`WarningRules`, :func:`load_rules`
a rules file given on its own. Grading is pure: it takes an hourly series of rolling-24-hour AQI
values (``None`` = missing) and says which level the plan's clauses give, with the numbers that
decided it (days above 200, days above 300, the peak) so that every proposal can explain itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from lantian.errors import InputError
from lantian.plan import WARNING_RULES_FILE, LevelScheme, Plan, WarningLevel, load_file
from lantian.plan.schema import WarningRulesFile

RULES_FILE = WARNING_RULES_FILE
HOURS_PER_DAY = 24

DayCounting = Literal["disjoint_windows", "full_days"]
MergeLevel = Literal["stricter_of_parts", "combined_days"]


@dataclass(frozen=True)
class Clause:
    """One sufficient condition of a level; every field given must hold (spec §4.1 table)."""

    heavy_days: int = 0
    severe_days: int = 0
    peak: bool = False

    def describe(self, rules: WarningRules) -> tuple[str, str]:
        parts_zh: list[str] = []
        parts_en: list[str] = []
        t = rules
        if self.heavy_days:
            parts_zh.append(f"AQI>{t.heavy_aqi}持续{self.heavy_days}天及以上")
            parts_en.append(f"AQI > {t.heavy_aqi} for {self.heavy_days} day(s) or more")
        if self.severe_days:
            kind_zh = "连续" if t.severe_days_consecutive else "累计"
            kind_en = "consecutive" if t.severe_days_consecutive else "in all"
            parts_zh.append(f"AQI>{t.severe_aqi}{kind_zh}{self.severe_days}天及以上")
            parts_en.append(f"AQI > {t.severe_aqi} on {self.severe_days} day(s) ({kind_en})")
        if self.peak:
            sign = "≥" if t.peak_inclusive else ">"
            parts_zh.append(f"AQI{sign}{t.peak_aqi}")
            parts_en.append(f"AQI {sign} {t.peak_aqi}")
        return "且".join(parts_zh), " and ".join(parts_en)


@dataclass(frozen=True, kw_only=True)
class Level(WarningLevel):
    """A level of the plan's scheme (:class:`lantian.plan.WarningLevel`: key, rank, names, colour)
    with what grading and notices need: its clauses and response."""

    response_zh: str
    clauses: tuple[Clause, ...]
    reduction_zh: str = ""

    @property
    def short_zh(self) -> str:
        """``黄色`` for ``黄色预警``."""
        return self.name_zh.removesuffix("预警")


@dataclass(frozen=True)
class WarningRules:
    """The settings of one plan's warning scheme (see the TOML file for each one's source)."""

    name: str
    title_zh: str
    title_en: str
    levels: tuple[Level, ...]  # strictest first
    heavy_aqi: int = 200
    severe_aqi: int = 300
    peak_aqi: int = 500
    peak_inclusive: bool = True
    day_counting: DayCounting = "disjoint_windows"
    severe_days_consecutive: bool = True
    severe_inside_heavy_run: bool = True
    clean_aqi: int = 150
    clean_hours: int = 36
    clean_hours_inclusive: bool = True
    allow_downgrade: bool = True
    merge_level: MergeLevel = "stricter_of_parts"
    early_start_enabled: bool = True
    early_observed_aqi: int = 200
    early_horizon_hours: int = 12
    early_improved_aqi: int = 200
    early_observed_basis: Literal["rolling_24h", "hourly"] = "rolling_24h"
    early_count_observed_days: bool = True
    bridge_missing_hours: int = 3
    max_issue_lead_hours: int = 36
    linkage_min_townships: int = 3
    linkage_min_level: str = "orange"
    city_zh: str = ""
    city_code: str = ""
    observed_city: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def level(self, rank: int) -> Level | None:
        """The level of a rank (0 = no warning -> ``None``)."""
        for level in self.levels:
            if level.rank == rank:
                return level
        return None

    def level_by_key(self, key: str) -> Level:
        for level in self.levels:
            if level.key == key:
                return level
        known = ", ".join(x.key for x in self.levels)
        raise InputError(f"未知预警级别 {key!r}（可用：{known}）/ unknown warning level {key!r}")

    @property
    def scheme(self) -> LevelScheme:
        """The levels as the one scheme every package uses, lowest first."""
        ordered = sorted(self.levels, key=lambda level: level.rank)
        return LevelScheme(levels=tuple(ordered), top_rank=ordered[-1].rank)

    @property
    def lowest_rank(self) -> int:
        return min(level.rank for level in self.levels)

    @property
    def min_clean_hours(self) -> int:
        """Hourly values at or below ``clean_aqi`` needed to lift (36, or 37 when strict)."""
        return self.clean_hours if self.clean_hours_inclusive else self.clean_hours + 1

    def name_of(self, rank: int, lang: Literal["zh", "en"] = "zh") -> str:
        level = self.level(rank)
        if level is None:
            return "无预警" if lang == "zh" else "no warning"
        return level.name_zh if lang == "zh" else level.name_en


def _get(data: dict[str, Any], section: str, key: str, default: Any) -> Any:
    return data.get(section, {}).get(key, default)


def parse_rules(data: dict[str, Any], where: str = "warning_rules") -> WarningRules:
    """Build :class:`WarningRules` from the parsed TOML (checked, with bilingual errors)."""
    levels: list[Level] = []
    for i, raw in enumerate(data.get("levels", [])):
        try:
            clauses = tuple(
                Clause(
                    heavy_days=int(c.get("heavy_days", 0)),
                    severe_days=int(c.get("severe_days", 0)),
                    peak=bool(c.get("peak", False)),
                )
                for c in raw["clauses"]
            )
            levels.append(
                Level(
                    key=str(raw["key"]),
                    rank=int(raw["rank"]),
                    name_zh=str(raw["name_zh"]),
                    name_en=str(raw["name_en"]),
                    response_zh=str(raw.get("response_zh", "")),
                    colour=str(raw.get("colour", "")),
                    clauses=clauses,
                    reduction_zh=str(raw.get("reduction_zh", "")),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{where}: 第{i + 1}个级别定义不完整（{exc}）/ level #{i + 1} is incomplete ({exc})"
            ) from exc
    if not levels:
        raise InputError(f"{where}: 未定义任何预警级别 / no warning levels defined")
    ranks = [lv.rank for lv in levels]
    if len(set(ranks)) != len(ranks) or min(ranks) < 1:
        raise InputError(
            f"{where}: 级别序号须为互不相同的正整数 / level ranks must be distinct >= 1"
        )
    levels.sort(key=lambda lv: -lv.rank)
    method = _get(data, "day_counting", "method", "disjoint_windows")
    if method not in ("disjoint_windows", "full_days"):
        raise InputError(f"{where}: day_counting.method={method!r} 无效 / invalid")
    merge = _get(data, "merging", "level", "stricter_of_parts")
    if merge not in ("stricter_of_parts", "combined_days"):
        raise InputError(f"{where}: merging.level={merge!r} 无效 / invalid")
    basis = _get(data, "early_start", "observed_basis", "rolling_24h")
    if basis not in ("rolling_24h", "hourly"):
        raise InputError(f"{where}: early_start.observed_basis={basis!r} 无效 / invalid")
    scheme = data.get("scheme", {})
    rules = WarningRules(
        name=str(scheme.get("name", where)),
        title_zh=str(scheme.get("title_zh", "")),
        title_en=str(scheme.get("title_en", "")),
        source=str(scheme.get("source", "")),
        city_zh=str(scheme.get("city_zh", "")),
        city_code=str(scheme.get("city_code", "")),
        observed_city=str(scheme.get("observed_city", "")),
        levels=tuple(levels),
        heavy_aqi=int(_get(data, "thresholds", "heavy_aqi", 200)),
        severe_aqi=int(_get(data, "thresholds", "severe_aqi", 300)),
        peak_aqi=int(_get(data, "thresholds", "peak_aqi", 500)),
        peak_inclusive=bool(_get(data, "thresholds", "peak_inclusive", True)),
        day_counting=method,
        severe_days_consecutive=bool(_get(data, "day_counting", "severe_days_consecutive", True)),
        severe_inside_heavy_run=bool(_get(data, "day_counting", "severe_inside_heavy_run", True)),
        clean_aqi=int(_get(data, "lifting", "clean_aqi", 150)),
        clean_hours=int(_get(data, "lifting", "clean_hours", 36)),
        clean_hours_inclusive=bool(_get(data, "lifting", "clean_hours_inclusive", True)),
        allow_downgrade=bool(_get(data, "lifting", "allow_downgrade", True)),
        merge_level=merge,
        early_start_enabled=bool(_get(data, "early_start", "enabled", True)),
        early_observed_aqi=int(_get(data, "early_start", "observed_aqi", 200)),
        early_horizon_hours=int(_get(data, "early_start", "horizon_hours", 12)),
        early_improved_aqi=int(_get(data, "early_start", "improved_aqi", 200)),
        early_observed_basis=basis,
        early_count_observed_days=bool(_get(data, "early_start", "count_observed_days", True)),
        bridge_missing_hours=int(_get(data, "forecast", "bridge_missing_hours", 3)),
        max_issue_lead_hours=int(_get(data, "forecast", "max_issue_lead_hours", 36)),
        linkage_min_townships=int(_get(data, "linkage", "min_townships", 3)),
        linkage_min_level=str(_get(data, "linkage", "min_level", "orange")),
    )
    rules.level_by_key(rules.linkage_min_level)  # checks the key exists
    return rules


def rules_from_file(model: WarningRulesFile, where: str = RULES_FILE) -> WarningRules:
    """:class:`WarningRules` from a checked rules file."""
    return parse_rules(model.model_dump(), where)


def load_rules(path: Path) -> WarningRules:
    """Read a rules file on its own (a folder means ``<folder>/warning_rules.toml``)."""
    file = path / RULES_FILE if path.is_dir() else path
    if not file.is_file():
        raise InputError(f"{file}: 找不到预警规则文件 / warning rules file not found")
    return rules_from_file(load_file(file, WarningRulesFile), str(file))


@lru_cache(maxsize=8)
def plan_rules(plan: Plan) -> WarningRules:
    """The warning scheme of a loaded plan (the one definition of its warning levels)."""
    if plan.warning_rules is None:
        raise InputError(f"{plan.folder}: 计划没有预警规则 / the plan has no warning rules")
    return rules_from_file(plan.warning_rules, str(plan.folder / RULES_FILE))


# --- grading ------------------------------------------------------------------------------------

Series = Sequence[int | None]


def runs(mask: Sequence[bool]) -> list[tuple[int, int]]:
    """(start, length) of every run of True values."""
    found: list[tuple[int, int]] = []
    start: int | None = None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            found.append((start, i - start))
            start = None
    if start is not None:
        found.append((start, len(mask) - start))
    return found


def days_of(hours: int, rules: WarningRules) -> int:
    """Days an hourly run is worth (``day_counting.method``, spec §4.1).

    24-h block forecasts are expanded to 24 equal hourly values (:func:`expand_blocks`), so a block
    counts one day under both methods.
    """
    if hours <= 0:
        return 0
    if rules.day_counting == "disjoint_windows":
        return -(-hours // HOURS_PER_DAY)
    return max(1, hours // HOURS_PER_DAY)


@dataclass(frozen=True)
class Grade:
    """The level a stretch of the series meets, with the numbers that decided it."""

    rank: int
    clause: Clause | None
    heavy_days: int
    severe_days: int
    severe_consecutive_days: int
    peak: int | None
    heavy_hours: int
    start: int | None  # index of the first hour above heavy_aqi
    end: int | None  # index one past the last hour above heavy_aqi

    def clause_holds(self, clause: Clause, rules: WarningRules) -> bool:
        severe = self.severe_consecutive_days if rules.severe_days_consecutive else self.severe_days
        if clause.heavy_days and self.heavy_days < clause.heavy_days:
            return False
        if clause.severe_days and severe < clause.severe_days:
            return False
        return not (clause.peak and not reaches_peak(self.peak, rules))


NO_GRADE = Grade(0, None, 0, 0, 0, None, 0, None, None)


def reaches_peak(value: int | None, rules: WarningRules) -> bool:
    if value is None:
        return False
    return value >= rules.peak_aqi if rules.peak_inclusive else value > rules.peak_aqi


def grade_stretch(values: Series, rules: WarningRules) -> Grade:
    """Grade one stretch (an episode, merged or not) of a rolling-24-h AQI series (spec §4.1).

    Days above 200 come from the longest run above ``heavy_aqi`` in the stretch (with merged parts,
    from the parts counted together only under ``merge_level = "combined_days"``, which the caller
    does by passing a stretch whose gaps it has already bridged); days above 300 from the runs above
    ``severe_aqi`` inside that run (or anywhere in the stretch when ``severe_inside_heavy_run`` is
    false). ``None`` values break runs (bridge short gaps first, see :func:`bridge_missing`).
    """
    heavy = runs([v is not None and v > rules.heavy_aqi for v in values])
    if not heavy:
        return NO_GRADE
    best = NO_GRADE
    for start, length in heavy:
        scope = values[start : start + length] if rules.severe_inside_heavy_run else values
        severe = runs([v is not None and v > rules.severe_aqi for v in scope])
        severe_days = sum(days_of(n, rules) for _, n in severe)
        severe_consecutive = max((days_of(n, rules) for _, n in severe), default=0)
        stretch_peak = max(v for v in values[start : start + length] if v is not None)
        grade = Grade(
            0,
            None,
            days_of(length, rules),
            severe_days,
            severe_consecutive,
            stretch_peak,
            length,
            start,
            start + length,
        )
        rank, clause = _level_of(grade, rules)
        grade = Grade(rank, clause, *_fields_after_rank(grade))
        if (grade.rank, grade.heavy_days, grade.peak or 0) > (
            best.rank,
            best.heavy_days,
            best.peak or 0,
        ):
            best = grade
    return best


def _fields_after_rank(g: Grade) -> tuple[Any, ...]:
    return (
        g.heavy_days,
        g.severe_days,
        g.severe_consecutive_days,
        g.peak,
        g.heavy_hours,
        g.start,
        g.end,
    )


def _level_of(grade: Grade, rules: WarningRules) -> tuple[int, Clause | None]:
    for level in rules.levels:  # strictest first
        for clause in level.clauses:
            if grade.clause_holds(clause, rules):
                return level.rank, clause
    return 0, None


def expand_blocks(blocks: Series) -> list[int | None]:
    """A forecast of consecutive 24-h blocks as hourly values (each block's AQI for its 24 hours)."""
    return [value for value in blocks for _ in range(HOURS_PER_DAY)]


def bridge_missing(values: Series, max_gap: int) -> list[int | None]:
    """Fill gaps of at most ``max_gap`` missing hours with the higher neighbour (strict, 从严).

    The higher neighbour keeps a heavy run going and keeps a gap from counting as clean, so a
    short hole in a forecast can neither shorten a warning nor bring a lifting forward. Gaps at the
    ends and longer gaps stay missing.
    """
    out = list(values)
    for start, length in runs([v is None for v in values]):
        if length > max_gap or start == 0 or start + length == len(values):
            continue
        before, after = values[start - 1], values[start + length]
        assert before is not None and after is not None
        fill = max(before, after)
        for i in range(start, start + length):
            out[i] = fill
    return out


__all__ = [
    "RULES_FILE",
    "Clause",
    "Grade",
    "Level",
    "WarningRules",
    "bridge_missing",
    "days_of",
    "expand_blocks",
    "grade_stretch",
    "load_rules",
    "parse_rules",
    "plan_rules",
    "rules_from_file",
    "runs",
]
