"""The one clock: what "now" and "today" mean for the business of lantian.

Every wall-clock reading of the platform (a report's day, a case's deadline, an import's
timestamp, an audit entry's time) comes from :func:`now` or :func:`today`, never from the host's
``date.today()`` or ``datetime.now()``: the host may run in any time zone, while the campaign's day
is the day in China (UTC+8, :data:`lantian.timeutil.CHINA_TZ`). Tests, and an "as of" setting,
replace the clock with :func:`use` (a :class:`FrozenClock` or any object with a ``now()``).

Timing of work (timeouts, durations) uses ``time.monotonic`` and is not the business of this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, tzinfo
from time import monotonic
from typing import Protocol

from lantian.timeutil import CHINA_TZ


class Clock(Protocol):
    """A source of the current instant (always timezone-aware)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The host's real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that shows one instant until moved (tests; "as of" runs)."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment!r}: a frozen clock needs a time zone")
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, by: timedelta) -> None:
        self.moment = self.moment + by


class AsOfClock:
    """A clock that starts at a chosen instant and runs on at the real pace ("as of" runs).

    The platform run "as of" 2018-02-20 10:00 sees that instant when it starts and a minute
    later a minute later: deadlines, lockouts and sessions still expire, scheduled jobs still come
    due, but every page, count and report is reckoned from the chosen instant
    (``LANTIAN_AS_OF``, :class:`lantian.config.Settings`).
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError(f"naive datetime {start!r}: an as-of clock needs a time zone")
        self.start = start
        self._started = monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=monotonic() - self._started)


SYSTEM = SystemClock()

#: The clock in force for this context (thread, task); the system clock unless :func:`use` set one.
_current: ContextVar[Clock] = ContextVar("lantian_clock", default=SYSTEM)
#: A process-wide override, seen by every thread (web workers run requests in a thread pool,
#: where a context variable set elsewhere is not visible).
_process_override: list[Clock] = []


def current() -> Clock:
    """The clock in force."""
    clock = _current.get()
    if clock is SYSTEM and _process_override:
        return _process_override[-1]
    return clock


def now(tz: tzinfo = UTC) -> datetime:
    """The current instant, aware, in ``tz`` (UTC unless asked; :data:`CHINA_TZ` for China time)."""
    moment = current().now()
    if moment.tzinfo is None:
        raise ValueError(f"the clock gave a naive datetime {moment!r}")
    return moment.astimezone(tz)


def now_china() -> datetime:
    """The current instant in China time (UTC+8)."""
    return now(CHINA_TZ)


def today() -> date:
    """Today's date in China (UTC+8), whatever the host's time zone."""
    return now(CHINA_TZ).date()


def real_now() -> datetime:
    """The instant in the world, for facts about it (when a packet was received): the host's time
    under an "as of" clock — which only moves what the platform reckons from — and the clock's own
    instant under any other (a frozen clock in tests, or the demo's loading, stands for the world's
    time too)."""
    if isinstance(current(), AsOfClock):
        return SYSTEM.now()
    return now()


def real_time_of(moment: datetime) -> datetime:
    """An instant of the platform's clock as the world's time (see :func:`real_now`): under an
    "as of" clock, which runs at the real pace, shifted by its constant offset; else unchanged.
    A judgement reading world times (receipt times) with a platform instant converts it first."""
    in_force = current()
    if isinstance(in_force, AsOfClock):
        return moment + (SYSTEM.now() - in_force.now())
    return moment


def is_system() -> bool:
    """True when the clock in force is the host's real time (no test clock, no as-of run)."""
    return current() is SYSTEM


@contextmanager
def use(clock: Clock, *, process_wide: bool = False) -> Iterator[Clock]:
    """Make ``clock`` the one in force inside the ``with`` block.

    ``process_wide`` also shows it to other threads (a web app under test serves requests in a
    thread pool); by default only this context (thread or task) sees it.
    """
    token = _current.set(clock)
    if process_wide:
        _process_override.append(clock)
    try:
        yield clock
    finally:
        _current.reset(token)
        if process_wide:
            _process_override.remove(clock)
