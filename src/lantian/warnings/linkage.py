"""Regional linkage: contiguous townships at orange or above -> city-wide warning (seed task 42).

Seed task 42 / spec §4.2: "when several contiguous townships are forecast to reach the orange level
or above, the city issues the corresponding warning and starts the regional linkage mechanism".
Township adjacency comes from the plan's ``adjacency.csv`` (pairs of 9-digit area codes); "several"
is the setting ``linkage.min_townships``. Pure.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lantian.errors import InputError
from lantian.plan import ADJACENCY_FILE, Plan, PlanError, Problem
from lantian.plan.reading import read_csv_rows
from lantian.plan.schema import AdjacencyRow
from lantian.warnings.engine import Reason, assess
from lantian.warnings.rules import WarningRules

AREA_CODE = re.compile(r"\d{9}")


@dataclass(frozen=True)
class Adjacency:
    """Undirected township adjacency: area code -> its neighbours; names for messages."""

    neighbours: Mapping[str, frozenset[str]]
    names: Mapping[str, str]

    def name(self, code: str) -> str:
        return self.names.get(code, code)


def parse_adjacency(text: str, where: str = ADJACENCY_FILE) -> Adjacency:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not {"area_a", "area_b"} <= set(reader.fieldnames or []):
        raise InputError(f"{where}: 第1行须有 area_a, area_b 列 / line 1 needs area_a, area_b")
    links: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for line, row in enumerate(reader, start=2):
        a, b = (row.get("area_a") or "").strip(), (row.get("area_b") or "").strip()
        for code in (a, b):
            if not AREA_CODE.fullmatch(code):
                raise InputError(
                    f"{where}:{line}: 区划代码 {code!r} 应为9位数字 / an area code must be 9 digits"
                )
        if a == b:
            raise InputError(
                f"{where}:{line}: 乡镇不能与自身相邻 / a township cannot border itself"
            )
        links.setdefault(a, set()).add(b)
        links.setdefault(b, set()).add(a)
        for code, key in ((a, "name_a"), (b, "name_b")):
            if row.get(key):
                names[code] = row[key].strip()
    return Adjacency({k: frozenset(v) for k, v in links.items()}, names)


def adjacency_from_rows(rows: Iterable[AdjacencyRow]) -> Adjacency:
    """The adjacency of checked ``adjacency.csv`` rows."""
    links: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for row in rows:
        links.setdefault(row.area_a, set()).add(row.area_b)
        links.setdefault(row.area_b, set()).add(row.area_a)
        for code, name in ((row.area_a, row.name_a), (row.area_b, row.name_b)):
            if name:
                names[code] = name
    return Adjacency({k: frozenset(v) for k, v in links.items()}, names)


def plan_adjacency(plan: Plan) -> Adjacency:
    """The township adjacency of a loaded plan (empty when the plan has no ``adjacency.csv``)."""
    return adjacency_from_rows(plan.adjacency)


def load_adjacency(plan: Path) -> Adjacency:
    """An adjacency file on its own (a folder means ``<folder>/adjacency.csv``)."""
    file = plan / ADJACENCY_FILE if plan.is_dir() else plan
    if not file.is_file():
        raise InputError(f"{file}: 找不到乡镇相邻关系文件 / adjacency file not found")
    problems: list[Problem] = []
    rows = read_csv_rows(file, AdjacencyRow, problems, name=str(file))
    if problems:
        raise PlanError(file, problems)
    return adjacency_from_rows(rows)


def groups(areas: Iterable[str], adjacency: Adjacency) -> list[list[str]]:
    """Connected groups of ``areas`` (contiguous through areas of the same set), largest first."""
    pending = set(areas)
    found: list[list[str]] = []
    while pending:
        start = min(pending)
        group, stack = [], [start]
        pending.discard(start)
        while stack:
            code = stack.pop()
            group.append(code)
            for other in adjacency.neighbours.get(code, frozenset()):
                if other in pending:
                    pending.discard(other)
                    stack.append(other)
        found.append(sorted(group))
    found.sort(key=lambda g: (-len(g), g))
    return found


@dataclass(frozen=True)
class LinkageProposal:
    """Propose the city-wide warning at ``rank`` because ``group`` is contiguous and that high."""

    rank: int
    group: tuple[str, ...]
    reason: Reason


def regional_linkage(
    township_ranks: Mapping[str, int], adjacency: Adjacency, rules: WarningRules
) -> LinkageProposal | None:
    """The highest level at which >= ``min_townships`` contiguous townships are forecast.

    Only levels at or above ``linkage.min_level`` count. Levels are tried from the strictest down;
    a township forecast at red also counts toward an orange group.
    """
    floor = rules.level_by_key(rules.linkage_min_level).rank
    for level in rules.levels:  # strictest first
        if level.rank < floor:
            break
        high = [code for code, rank in township_ranks.items() if rank >= level.rank]
        for group in groups(high, adjacency):
            if len(group) >= rules.linkage_min_townships:
                names = "、".join(adjacency.name(c) for c in group)
                return LinkageProposal(
                    level.rank,
                    tuple(group),
                    Reason(
                        "linkage.contiguous",
                        f"{len(group)}个相邻乡镇（{names}）预报达到{level.name_zh}及以上，"
                        f"不少于{rules.linkage_min_townships}个，建议全市启动{level.name_zh}并启动区域联动",
                        f"{len(group)} contiguous townships ({', '.join(group)}) are forecast at "
                        f"{level.name_en} or above (at least {rules.linkage_min_townships}): propose "
                        f"the city-wide {level.name_en} and regional linkage",
                    ),
                )
    return None


def township_ranks(
    forecasts: Mapping[str, Sequence[int | None]], rules: WarningRules, now: datetime
) -> dict[str, int]:
    """The level each township's own forecast (rolling-24-h AQI, hours after ``now``) meets."""
    ranks: dict[str, int] = {}
    for area, values in forecasts.items():
        result = assess(now, [], values, rules)
        ranks[area] = result.proposed_rank
    return ranks
