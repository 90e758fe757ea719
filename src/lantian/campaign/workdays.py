"""Chinese working days: weekends and official holidays off, make-up working days (调休) on.

The State Council publishes each year's holidays, moving some weekend days to working days so that
holidays join up (国办发明电〔2016〕14号 for 2017, 〔2017〕12号 for 2018). The plan folder carries
them as ``calendar.csv``; this module only applies them. Used where a deadline falls on a day off
(三(二): monthly progress due by the 2nd — 2017-10-02 is in the National Day holiday) and where a
deadline counts working days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    """Days off beyond weekends (``holidays``) and weekend days that are worked (``workdays``)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    @classmethod
    def from_days(cls, days: Iterable[tuple[date, str]]) -> WorkCalendar:
        """From (date, kind) pairs, kind ``holiday`` or ``workday`` (calendar.csv)."""
        holidays, workdays = set(), set()
        for day, kind in days:
            if kind == "holiday":
                holidays.add(day)
            elif kind == "workday":
                workdays.add(day)
            else:
                raise ValueError(f"unknown calendar kind {kind!r}")
        overlap = holidays & workdays
        if overlap:
            raise ValueError(f"days both holiday and workday: {sorted(overlap)}")
        return cls(frozenset(holidays), frozenset(workdays))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def on_or_after(self, day: date) -> date:
        """``day`` if it is a working day, else the next working day."""
        while not self.is_working_day(day):
            day += _DAY
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``count`` ≥ 0; 0 gives ``on_or_after``)."""
        if count < 0:
            raise ValueError("count must be >= 0")
        if count == 0:
            return self.on_or_after(day)
        while count:
            day += _DAY
            if self.is_working_day(day):
                count -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days ``end`` lies after ``start``.

        Negative when ``end`` is before ``start``.
        """
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += _DAY
            if self.is_working_day(day):
                count += 1
        return count
