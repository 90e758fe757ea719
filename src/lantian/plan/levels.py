"""The warning levels of a plan's scheme as one value type that every package uses.

``warning_rules.toml`` is the only definition of the warning levels (their keys, ranks, names and
colours). :class:`LevelScheme` is that definition read from the plan: the warnings engine grades
with it, and the emissions package (reduction targets, lists, the optimiser, the Excel export)
takes its levels from it, so a plan with a three-level scheme runs with three levels everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lantian.errors import InputError
from lantian.plan.schema import WarningRulesFile

#: A level as stored and named in plan files: its key (``"blue"``, ``"red"``…).
LevelKey = str

_ROMAN = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "Ⅵ", "Ⅶ", "Ⅷ", "Ⅸ", "Ⅹ")


@dataclass(frozen=True)
class WarningLevel:
    """One level of the plan's warning scheme (rank 1 is the lowest)."""

    key: LevelKey
    rank: int
    name_zh: str
    name_en: str
    colour: str = ""

    @property
    def label(self) -> str:
        """``黄色 yellow`` for ``黄色预警`` / ``Yellow warning``: the short bilingual name."""
        return f"{self.name_zh.removesuffix('预警')} {self.key}"


@dataclass(frozen=True)
class LevelScheme:
    """The levels of one warning scheme, lowest first."""

    levels: tuple[WarningLevel, ...]
    #: The highest rank of the scheme's family (the red level's rank), for the grade in Roman
    #: numerals (Ⅰ级 = the highest): a three-level scheme without blue keeps red at Ⅰ, yellow Ⅲ.
    top_rank: int = 0

    def __iter__(self) -> Iterator[WarningLevel]:
        return iter(self.levels)

    def __len__(self) -> int:
        return len(self.levels)

    @property
    def keys(self) -> tuple[LevelKey, ...]:
        return tuple(level.key for level in self.levels)

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def get(self, key: LevelKey) -> WarningLevel:
        """The level of ``key``; an :class:`InputError` naming the scheme's levels otherwise."""
        for level in self.levels:
            if level.key == key:
                return level
        known = ", ".join(self.keys)
        raise InputError(
            f"未知预警级别 {key!r}（本计划的级别：{known}）/ unknown warning level {key!r} "
            f"(the plan's levels: {known})"
        )

    def grade(self, key: LevelKey) -> str:
        """``Ⅳ级`` for blue in the four-level scheme: the level's grade, highest level Ⅰ."""
        number = max(self.top_rank, max(lv.rank for lv in self.levels)) - self.get(key).rank + 1
        return f"{_ROMAN[number - 1] if 0 < number <= len(_ROMAN) else number}级"

    @classmethod
    def from_rules(cls, rules: WarningRulesFile) -> LevelScheme:
        """The levels of a checked ``warning_rules.toml``."""
        ordered = sorted(rules.levels, key=lambda level: level.rank)
        return cls(
            levels=tuple(
                WarningLevel(
                    key=level.key,
                    rank=level.rank,
                    name_zh=level.name_zh,
                    name_en=level.name_en,
                    colour=level.colour,
                )
                for level in ordered
            ),
            top_rank=ordered[-1].rank,
        )
