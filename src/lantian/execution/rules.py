"""Pure rules of the execution checks (seed tasks 37–39, 41): which days a warning bound an
enterprise's township all day, and how far output fell against the baseline of non-warning days.

No database, no clock: the service hands in the decisions and the facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from lantian.timeutil import CHINA_TZ


@dataclass(frozen=True)
class Change:
    """A warning decision as it took effect: from ``at`` on, ``level`` (None: lifted) covers
    ``areas``."""

    at: datetime
    level: str | None
    areas: frozenset[str]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The natural day in China time (UTC+8) as [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=CHINA_TZ)
    return start, start + timedelta(days=1)


def _level_at(changes: Sequence[Change], area: str, at: datetime) -> str | None:
    current: str | None = None
    for change in changes:
        if change.at > at:
            break
        current = change.level if area in change.areas else None
    return current


def levels_during(changes: Sequence[Change], area: str, day: date) -> list[str | None]:
    """Every level that covered ``area`` at some moment of ``day`` (None: a moment uncovered).

    The level is constant between decisions, so the day's start and each decision taking effect
    within the day are all the moments there are."""
    ordered = sorted(changes, key=lambda c: c.at)
    start, end = day_bounds(day)
    moments = [start, *(c.at for c in ordered if start < c.at < end)]
    return [_level_at(ordered, area, moment) for moment in moments]


def whole_warning_days(
    changes: Sequence[Change], area: str, first: date, last: date, ranks: Mapping[str, int]
) -> dict[date, str]:
    """Days of ``first .. last`` on which a warning covered ``area`` all day, with the lowest level
    held that day (the measure in force the whole day).

    A daily meter reading cannot tell the hours of a day apart, so the day a warning is issued
    after midnight or lifted before the next midnight is not judged: its reading mixes hours with
    and without the measure. Task 41(2) asks for whole lines stopped or limited; a whole day is
    the unit the power company reports."""
    found: dict[date, str] = {}
    day = first
    while day <= last:
        held = levels_during(changes, area, day)
        if held and all(level is not None for level in held):
            found[day] = min((lv for lv in held if lv is not None), key=lambda k: ranks.get(k, 0))
        day += timedelta(days=1)
    return found


def touched_days(changes: Sequence[Change], area: str, first: date, last: date) -> set[date]:
    """Days of ``first .. last`` on which a warning covered ``area`` at some moment (left out of
    the baseline of normal days)."""
    found = set()
    day = first
    while day <= last:
        if any(level is not None for level in levels_during(changes, area, day)):
            found.add(day)
        day += timedelta(days=1)
    return found


@dataclass(frozen=True)
class LineReading:
    day: date
    line: str
    kwh: float | None
    output_share: float | None


#: The subject of the whole enterprise's cut (a measure of the reduction list is per enterprise).
WHOLE = "全厂"


def baselines(readings: Iterable[LineReading], normal_days: set[date]) -> dict[str, float]:
    """Mean daily kWh per line over the normal (non-warning) days that have a reading."""
    sums: dict[str, list[float]] = {}
    for reading in readings:
        if reading.day in normal_days and reading.kwh is not None:
            sums.setdefault(reading.line, []).append(reading.kwh)
    return {line: sum(values) / len(values) for line, values in sums.items() if values}


def actual_cuts(
    readings: Iterable[LineReading], days: set[date], baseline: Mapping[str, float]
) -> dict[date, dict[str, float]]:
    """Share of normal output not produced, per day and line and for the whole enterprise
    (:data:`WHOLE`): ``1 − production share`` where the share is reported, else ``1 − kWh /
    baseline kWh``; never below 0 (producing more than normal is no cut). A line without a
    reading that day, or with kWh but no baseline, is absent (no data)."""
    by_day: dict[date, dict[str, float]] = {}
    used: dict[date, float] = {}
    normal: dict[date, float] = {}
    shares: dict[date, list[float]] = {}
    for reading in readings:
        if reading.day not in days:
            continue
        cut: float | None = None
        if reading.output_share is not None:
            cut = 1.0 - reading.output_share
            shares.setdefault(reading.day, []).append(reading.output_share)
        base = baseline.get(reading.line)
        if reading.kwh is not None and base:
            if cut is None:
                cut = 1.0 - reading.kwh / base
            used[reading.day] = used.get(reading.day, 0.0) + reading.kwh
            normal[reading.day] = normal.get(reading.day, 0.0) + base
        if cut is not None:
            by_day.setdefault(reading.day, {})[reading.line] = max(0.0, cut)
    for day, cuts in by_day.items():
        if normal.get(day):
            cuts[WHOLE] = max(0.0, 1.0 - used[day] / normal[day])
        elif shares.get(day):
            cuts[WHOLE] = max(0.0, 1.0 - sum(shares[day]) / len(shares[day]))
    return by_day
