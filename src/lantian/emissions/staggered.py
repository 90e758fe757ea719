"""Staggered production (错峰生产, seed tasks 37–38) and staggered transport (错峰运输, task 39).

The rules are plan data (the plan's ``staggered.toml``, read by :mod:`lantian.plan`): by industry, process and condition
(fuel, special emission limits, provincial approval), each says what a line must do during the
heating season or during warnings. From them come an enterprise's calendar (the cut required of
each line each day) and a compliance check of what it actually did. Livelihood duties cap the
required cut of task 37's rules at 1 − the approved maximum load (task 37: "保民生任务的，要根据承担
任务量核定最大允许生产负荷，…报市人民政府备案"); task 38's stops yield only to the provincial
government's approval ("应报省级人民政府批准"), never to that city filing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from lantian.emissions.targets import Level, folder_levels
from lantian.errors import InputError
from lantian.plan import STAGGERED_FILE, LevelScheme, Plan, load_file
from lantian.plan.schema import StaggeredFile

PERIODS = ("heating_season", "warning")
_EPS = 1e-9


@dataclass(frozen=True)
class Rule:
    id: str
    task: int
    text: str
    industries: frozenset[str]
    period: str  # heating_season or warning
    action: str  # stop or limit
    limit: float = 1.0
    processes: frozenset[str] = frozenset()
    exempt_fuels: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: A line meeting the special emission limits is limited by this share instead of stopped.
    special_limits_limit: float | None = None
    approval_exempts: bool = False

    @property
    def required_cut(self) -> float:
        return 1.0 if self.action == "stop" else self.limit


@dataclass(frozen=True)
class TransportRules:
    min_share_china4_plus: float = 0.8
    no_movements_during_warning: bool = True
    freight_cut_levels: frozenset[Level] = frozenset({"orange", "red"})
    freight_cut: float = 0.5


@dataclass(frozen=True)
class StaggeredPlan:
    season_start: tuple[int, int]  # (month, day)
    season_end: tuple[int, int]
    rules: tuple[Rule, ...]
    transport: TransportRules = TransportRules()
    livelihood_caps: bool = True
    #: The tasks whose rules the livelihood load caps (plan data; task 37 in the seed).
    livelihood_tasks: frozenset[int] = frozenset({37})

    def capped_by_livelihood(self, task: int) -> bool:
        return self.livelihood_caps and task in self.livelihood_tasks

    def in_heating_season(self, day: date) -> bool:
        key = (day.month, day.day)
        if self.season_start <= self.season_end:
            return self.season_start <= key <= self.season_end
        return key >= self.season_start or key <= self.season_end

    def min_limits(self) -> dict[str, float]:
        """Smallest admissible limit per industry for the optimiser (e.g. carbon ≥ 50 %)."""
        limits: dict[str, float] = {}
        for rule in self.rules:
            share = rule.special_limits_limit or (rule.limit if rule.action == "limit" else None)
            if share is None:
                continue
            for industry in rule.industries:
                limits[industry] = max(limits.get(industry, 0.0), share)
        return limits


def _month_day(value: Any, where: str) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in str(value).split("-"))
        date(2001, month, day)
    except ValueError:
        raise InputError(f"{where}: 应为 MM-DD，实为 {value!r} / must be MM-DD") from None
    return month, day


def _share(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InputError(f"{where}: 应为 0–1 之间的比例，实为 {value!r} / must be a share 0–1")
    return float(value)


def parse_staggered(
    data: Mapping[str, Any], where: str = STAGGERED_FILE, levels: LevelScheme | None = None
) -> StaggeredPlan:
    season = data.get("heating_season", {})
    rules = []
    for index, table in enumerate(data.get("rules", []), start=1):
        here = f"{where}: rules[{index}] ({table.get('id', '?')})"
        period = table.get("period")
        action = table.get("action")
        if period not in PERIODS:
            raise InputError(
                f"{here}: period 应为 {' / '.join(PERIODS)} / unknown period {period!r}"
            )
        if action not in ("stop", "limit"):
            raise InputError(f"{here}: action 应为 stop 或 limit / unknown action {action!r}")
        special = table.get("special_limits_limit")
        rules.append(
            Rule(
                id=str(table.get("id", index)),
                task=int(table.get("task", 0)),
                text=str(table.get("text", "")),
                industries=frozenset(table.get("industries", [])),
                period=period,
                action=action,
                limit=_share(table.get("limit", 1.0), f"{here}.limit"),
                processes=frozenset(table.get("processes", [])),
                exempt_fuels={k: frozenset(v) for k, v in table.get("exempt_fuels", {}).items()},
                special_limits_limit=None
                if special is None
                else _share(special, f"{here}.special_limits_limit"),
                approval_exempts=bool(table.get("approval_exempts", False)),
            )
        )
    transport = data.get("transport", {})
    cut_levels = frozenset(str(v) for v in transport.get("freight_cut_levels", ["orange", "red"]))
    for key in sorted(cut_levels):
        if levels is not None and key not in levels:
            raise InputError(
                f"{where}: transport.freight_cut_levels: {key!r} 不是计划预警方案的级别 / not a "
                f"level of the plan's warning scheme (one of {', '.join(levels.keys)})"
            )
    return StaggeredPlan(
        season_start=_month_day(season.get("start", "11-15"), f"{where}: heating_season.start"),
        season_end=_month_day(season.get("end", "03-15"), f"{where}: heating_season.end"),
        rules=tuple(rules),
        transport=TransportRules(
            min_share_china4_plus=_share(
                transport.get("min_share_china4_plus", 0.8), f"{where}: transport.min_share"
            ),
            no_movements_during_warning=bool(transport.get("no_movements_during_warning", True)),
            freight_cut_levels=cut_levels,
            freight_cut=_share(
                transport.get("freight_cut", 0.5), f"{where}: transport.freight_cut"
            ),
        ),
        livelihood_caps=bool(data.get("livelihood", {}).get("caps_required_cut", True)),
        livelihood_tasks=frozenset(
            int(task) for task in data.get("livelihood", {}).get("tasks", [37])
        ),
    )


def load_staggered(plan_folder: Path) -> StaggeredPlan:
    """Read ``staggered.toml`` of a plan folder on its own."""
    path = plan_folder / STAGGERED_FILE
    if not path.is_file():
        raise InputError(f"{path}: 找不到错峰生产规则 / staggered rules not found")
    return parse_staggered(
        load_file(path, StaggeredFile).model_dump(), str(path), folder_levels(plan_folder)
    )


@lru_cache(maxsize=8)
def plan_staggered(plan: Plan) -> StaggeredPlan:
    """The staggered-production rules of a loaded plan."""
    if plan.staggered is None:
        raise InputError(f"{plan.folder}: 计划没有错峰生产规则 / the plan has no staggered rules")
    return parse_staggered(
        plan.staggered.model_dump(), str(plan.folder / STAGGERED_FILE), plan.levels
    )


# ---------------------------------------------------------------- production


@dataclass(frozen=True)
class LineFacts:
    name: str
    process: str | None = None
    fuel: str | None = None
    meets_special_limits: bool = False


@dataclass(frozen=True)
class OrderFacts:
    """A staggered-production order of the office (tasks 19–20: a firm not compliant by 10-31 is
    put on the winter staggered-production list): the ordered lines stop in the heating season
    between ``first`` and ``last``."""

    task: int
    reason: str
    source: str
    first: date
    last: date
    #: The ordered lines; empty: every line.
    lines: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EnterpriseFacts:
    key: str
    industry: str
    lines: tuple[LineFacts, ...]
    #: Approved maximum load of a livelihood duty (share of normal output), if any.
    livelihood_max_load: float | None = None
    #: Production approved by the provincial government despite a stop (task 38).
    approved_exception: bool = False
    #: The office's staggered-production orders in force or to come (tasks 19–20).
    orders: tuple[OrderFacts, ...] = ()


@dataclass(frozen=True)
class Obligation:
    """What one rule requires of one line: the least share of output cut in its period."""

    rule: Rule
    line: str
    period: str
    required_cut: float
    note: str
    #: The days it binds (an order's from–until); None: every heating season or warning.
    first: date | None = None
    last: date | None = None

    def binds(self, day: date) -> bool:
        return (self.first is None or self.first <= day) and (self.last is None or day <= self.last)

    def describe(self) -> str:
        what = "停产" if self.required_cut >= 1 - _EPS else f"限产 {self.required_cut:.0%} 以上"
        when = "采暖季" if self.period == "heating_season" else "重污染天气预警期间"
        if self.first is not None and self.last is not None:
            when = f"{self.first}至{self.last}{when}"
        return f"{self.line}：{when}{what}（任务{self.rule.task}：{self.rule.text}）{self.note}"


def obligations(enterprise: EnterpriseFacts, plan: StaggeredPlan) -> list[Obligation]:
    """Every line's obligations under the plan's rules (tasks 37–38)."""
    found: list[Obligation] = []
    for rule in plan.rules:
        if enterprise.industry not in rule.industries:
            continue
        for line in enterprise.lines:
            if rule.processes and line.process not in rule.processes:
                continue
            exempt_fuels = rule.exempt_fuels.get(enterprise.industry, frozenset())
            if line.fuel is not None and line.fuel in exempt_fuels:
                continue
            if rule.approval_exempts and enterprise.approved_exception:
                continue
            cut, note = rule.required_cut, ""
            if rule.special_limits_limit is not None and line.meets_special_limits:
                cut, note = rule.special_limits_limit, "（达到特别排放限值）"
            if plan.capped_by_livelihood(rule.task) and enterprise.livelihood_max_load is not None:
                cap = 1.0 - enterprise.livelihood_max_load
                if cut > cap + _EPS:
                    cut = cap
                    note += f"（保民生，核定最大负荷 {enterprise.livelihood_max_load:.0%}）"
            found.append(Obligation(rule, line.name, rule.period, cut, note))
    for number, order in enumerate(enterprise.orders, start=1):
        rule = Rule(
            id=f"order-{number}",
            task=order.task,
            text=f"错峰生产令：{order.reason}",
            industries=frozenset({enterprise.industry}),
            period="heating_season",
            action="stop",
        )
        for line in enterprise.lines:
            if order.lines and line.name not in order.lines:
                continue
            cut, note = 1.0, f"（来源 {order.source}）"
            if plan.capped_by_livelihood(order.task) and enterprise.livelihood_max_load is not None:
                cap = 1.0 - enterprise.livelihood_max_load
                if cut > cap + _EPS:
                    cut = cap
                    note += f"（保民生，核定最大负荷 {enterprise.livelihood_max_load:.0%}）"
            found.append(
                Obligation(rule, line.name, "heating_season", cut, note, order.first, order.last)
            )
    return found


@dataclass(frozen=True)
class CalendarDay:
    day: date
    heating_season: bool
    warning: Level | None
    #: Required share of output cut per line (lines without an obligation are absent).
    required: Mapping[str, float]
    rules: Mapping[str, tuple[str, ...]]


def calendar(
    enterprise: EnterpriseFacts,
    plan: StaggeredPlan,
    first: date,
    last: date,
    warnings: Mapping[date, Level] | None = None,
) -> list[CalendarDay]:
    """The enterprise's calendar: per day, the cut each line must make and under which rules."""
    if last < first:
        raise InputError(f"结束日 {last} 早于开始日 {first} / the end precedes the start")
    duties = obligations(enterprise, plan)
    days = []
    day = first
    while day <= last:
        heating = plan.in_heating_season(day)
        level = (warnings or {}).get(day)
        required: dict[str, float] = {}
        rules: dict[str, list[str]] = {}
        for duty in duties:
            active = duty.binds(day) and (
                (duty.period == "heating_season" and heating)
                or (duty.period == "warning" and level is not None)
            )
            if active:
                required[duty.line] = max(required.get(duty.line, 0.0), duty.required_cut)
                rules.setdefault(duty.line, []).append(duty.rule.id)
        days.append(
            CalendarDay(day, heating, level, required, {k: tuple(v) for k, v in rules.items()})
        )
        day += timedelta(days=1)
    return days


@dataclass(frozen=True)
class Violation:
    day: date
    subject: str  # a line, or "fleet" / "transport"
    required: float
    actual: float
    rule: str

    def message(self) -> str:
        if self.subject == "transport":
            return (
                f"{self.day} 预警期间非保安全车辆进出 {self.actual:.0f} 车次 / {self.actual:.0f} "
                f"truck movements not needed for safety during a warning ({self.rule})"
            )
        return (
            f"{self.day} {self.subject}: 要求 {self.required:.0%}，实际 {self.actual:.0%} "
            f"({self.rule}) / required {self.required:.0%}, actual {self.actual:.0%}"
        )


def production_compliance(
    days: Sequence[CalendarDay], actual_cut: Mapping[date, Mapping[str, float]]
) -> list[Violation]:
    """Days on which a line cut less output than its calendar requires.

    ``actual_cut[day][line]`` is the share of normal output not produced (1 = stopped); a day or
    line missing from it counts as running normally (cut 0).
    """
    violations = []
    for entry in days:
        for line, required in entry.required.items():
            actual = actual_cut.get(entry.day, {}).get(line, 0.0)
            if actual < required - _EPS:
                violations.append(
                    Violation(entry.day, line, required, actual, "+".join(entry.rules[line]))
                )
    return violations


# ---------------------------------------------------------------- transport (task 39)


@dataclass(frozen=True)
class TransportDay:
    day: date
    movements: int  # truck entries and exits
    safety_movements: int  # those needed for safe operation (exempt during warnings)
    freight_tonnes: float


def transport_compliance(
    plan: StaggeredPlan,
    fleet_total: int,
    fleet_china4_plus: int,
    normal_freight_tonnes: float,
    log: Iterable[TransportDay],
    warnings: Mapping[date, Level] | None = None,
) -> list[Violation]:
    """Task 39 for one key transport enterprise: fleet share, warning-day movements, freight cut."""
    rules = plan.transport
    violations: list[Violation] = []
    entries = sorted(log, key=lambda d: d.day)
    share = fleet_china4_plus / fleet_total if fleet_total else 1.0
    season_days = [e.day for e in entries if plan.in_heating_season(e.day)]
    if season_days and share < rules.min_share_china4_plus - _EPS:
        violations.append(
            Violation(
                season_days[0], "fleet", rules.min_share_china4_plus, share, "39-fleet-china4"
            )
        )
    for entry in entries:
        level = (warnings or {}).get(entry.day)
        if level is None:
            continue
        non_safety = entry.movements - entry.safety_movements
        if rules.no_movements_during_warning and non_safety > 0:
            violations.append(
                Violation(entry.day, "transport", 0.0, float(non_safety), "39-no-movements")
            )
        if level in rules.freight_cut_levels and normal_freight_tonnes > 0:
            cut = 1.0 - entry.freight_tonnes / normal_freight_tonnes
            if cut < rules.freight_cut - _EPS:
                violations.append(
                    Violation(entry.day, "freight", rules.freight_cut, cut, "39-freight")
                )
    return violations
