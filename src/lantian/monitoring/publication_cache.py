"""The public real-time figures, computed once per state of the data (issue 19, "pages under load").

The public page, a station's page, the public API and the office dashboard each rebuild the same
figures of :mod:`lantian.monitoring.publication` (a grid of the network's last three days, its
reviews, the HJ 633-2012 kernels) on every request. Under a hundred concurrent readers that is the
whole cost of the page. Here each figure is kept in memory, keyed on

* the **data version**: one cheap query per request of the newest ids of what the figures are
  made from — measurements (an import or an HJ 212 packet adds rows), review versions (a
  reviewer's decision or correction is a new row), month audits (provisional → audited), the
  audit log (every change of a station is audited) — and the newest measured instant up to the
  clock's now (a stored hour becomes visible when the clock reaches it), and the clock's day in
  China (the yearly calendar ends yesterday);
* on PostgreSQL, the write transactions that were in progress when a figure was computed: a
  transaction that took lower ids than the newest committed one (two writers at once) may commit
  later without moving any newest id, so a figure computed while it was running is used only as
  long as it still runs (``pg_current_snapshot()``).

Nothing is shared between server processes and no writer has to tell anyone: every process reads
the version itself, so a figure older than the newest stored hour is never served, whichever
process stored it. The cache is bounded (least recently used out) and thread-safe; one thread
computes a missing figure while the others asking for it wait for that result.

Only for sessions that read: the version is read once per session (the page's request) and a
session that writes would see its own uncommitted rows. ``LANTIAN_PUBLICATION_CACHE=0`` switches it
off (a baseline for ``bench/web_bench.py --load``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lantian import clock
from lantian.auth.models import AuditEntry
from lantian.monitoring import publication, ranking
from lantian.monitoring import service as monitoring
from lantian.monitoring.models import Measurement, MeasurementReview, StationMonthAudit
from lantian.monitoring.quality import DEFAULT_RATE_TARGET, Coverage, transmission_rates
from lantian.monitoring.ranking import AreaRank

T = TypeVar("T")
#: Figures kept at most (per process): a few network-wide ones and a few per station page.
MAX_ENTRIES = 512
_VERSION_KEY = "lantian.publication_cache.version"


@dataclass(frozen=True)
class DataVersion:
    """What the public figures depend on, read in one query (see the module's docstring)."""

    #: Which database (a process normally serves one; the tests use many).
    database: str
    measurement: int | None
    review: int | None
    month_audit: int | None
    month_audits: int
    audit: int | None
    newest_visible: datetime | None
    day: date
    #: PostgreSQL: the ids of the write transactions in progress (empty on SQLite, which has one
    #: writer at a time that takes its ids in order).
    in_progress: frozenset[int]

    @property
    def key(self) -> tuple[Hashable, ...]:
        return (
            self.database,
            self.measurement,
            self.review,
            self.month_audit,
            self.month_audits,
            self.audit,
            self.newest_visible,
            self.day,
        )


def enabled() -> bool:
    switch = os.environ.get("LANTIAN_PUBLICATION_CACHE", "1").strip().lower()
    return switch not in {"0", "off", "no", "false"}


def data_version(session: Session) -> DataVersion:
    """The data version of ``session``'s database, read once per session."""
    known: DataVersion | None = session.info.get(_VERSION_KEY)
    if known is not None:
        return known
    now = clock.now()
    row = session.execute(
        select(
            select(func.max(Measurement.id)).scalar_subquery(),
            select(func.max(MeasurementReview.id)).scalar_subquery(),
            select(func.max(StationMonthAudit.id)).scalar_subquery(),
            select(func.count(StationMonthAudit.id)).scalar_subquery(),
            select(func.max(AuditEntry.id)).scalar_subquery(),
            select(func.max(Measurement.period_end))
            .where(Measurement.period_end <= now)
            .scalar_subquery(),
        )
    ).one()
    in_progress: frozenset[int] = frozenset()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        snapshot = session.scalar(text("SELECT pg_current_snapshot()::text")) or "0:0:"
        listed = snapshot.split(":")[2]
        in_progress = frozenset(int(xid) for xid in listed.split(",") if xid)
    measurement, review, month_audit, month_audits, audit, newest_visible = row
    version = DataVersion(
        bind.engine.url.render_as_string(hide_password=True),
        measurement,
        review,
        month_audit,
        month_audits or 0,
        audit,
        newest_visible,
        clock.today(),
        in_progress,
    )
    session.info[_VERSION_KEY] = version
    return version


@dataclass
class _Entry:
    value: object
    in_progress: frozenset[int]


class PublicationCache:
    """Figures by (name, arguments, data version); bounded, least recently used out."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Hashable, ...], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple[Hashable, ...], threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _lookup(self, key: tuple[Hashable, ...], version: DataVersion) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            # A writer that was running when the figure was computed has finished since: its
            # rows may be committed now under ids below the newest (see the module docstring).
            if not entry.in_progress <= version.in_progress:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def get(
        self, session: Session, name: str, arguments: tuple[Hashable, ...], compute: Callable[[], T]
    ) -> T:
        """``compute()``'s figure for the data ``session`` sees, from memory when it was made
        from the same data."""
        if not enabled():
            return compute()
        version = data_version(session)
        key = (name, arguments, version.key)
        entry = self._lookup(key, version)
        if entry is None:
            with self._lock:
                computing = self._computing.setdefault(key, threading.Lock())
            with computing:  # one thread computes, the others wait for its figure
                try:
                    entry = self._lookup(key, version)
                    if entry is None:
                        entry = _Entry(compute(), version.in_progress)
                        with self._lock:
                            self.misses += 1
                            self._entries[key] = entry
                            while len(self._entries) > self.max_entries:
                                self._entries.popitem(last=False)
                finally:
                    with self._lock:
                        self._computing.pop(key, None)
        return entry.value  # type: ignore[return-value]


def etag(session: Session) -> str | None:
    """An HTTP entity tag naming the data version ``session`` sees (with the writers then in
    progress, so that one committing later changes it); ``None`` when the cache is off."""
    if not enabled():
        return None
    version = data_version(session)
    state = repr((version.key, sorted(version.in_progress))).encode()
    return '"' + hashlib.sha256(state).hexdigest()[:32] + '"'


#: The process's cache.
CACHE = PublicationCache()


def realtime_snapshot(session: Session) -> list[publication.StationNow]:
    """:func:`publication.realtime_snapshot` at the network's newest hour (a copy of the list)."""
    rows = CACHE.get(
        session, "realtime_snapshot", (), lambda: publication.realtime_snapshot(session)
    )
    return list(rows)


def newest_hour(session: Session) -> datetime | None:
    return CACHE.get(session, "newest_hour", (), lambda: publication.newest_hour(session))


def freshness(session: Session, stale_after: timedelta) -> publication.Freshness:
    """:func:`publication.freshness` with the newest hour from the cache (the age is the clock's)."""
    return publication.Freshness(newest_hour(session), clock.now(), stale_after)


def overview(session: Session) -> monitoring.MonitoringOverview:
    """:func:`lantian.monitoring.service.overview` (counts every measurement: slow on a big table)."""
    return CACHE.get(session, "overview", (), lambda: monitoring.overview(session))


def city_hourly_aqi(session: Session) -> list[publication.CityHour]:
    return list(
        CACHE.get(session, "city_hourly_aqi", (), lambda: publication.city_hourly_aqi(session))
    )


def station_hourly_aqi(session: Session, code: str) -> list[publication.HourlyAqi]:
    return list(
        CACHE.get(
            session,
            "station_hourly_aqi",
            (code,),
            lambda: publication.station_hourly_aqi(session, code),
        )
    )


def station_daily_aqi(session: Session, code: str, year: int) -> list[publication.DailyAqi]:
    return list(
        CACHE.get(
            session,
            "station_daily_aqi",
            (code, year),
            lambda: publication.station_daily_aqi(session, code, year),
        )
    )


def month_transmission_rates(session: Session, first: date, last: date) -> list[Coverage]:
    """The dashboard's upload rates of every station over ``first … last`` (monthly, the default
    target): :func:`lantian.monitoring.quality.transmission_rates`, made from the same rows."""
    return list(
        CACHE.get(
            session,
            "month_transmission_rates",
            (first, last),
            lambda: transmission_rates(session, first, last, "month", None, DEFAULT_RATE_TARGET),
        )
    )


def area_ranking(session: Session, first: date, last: date) -> list[AreaRank]:
    """The dashboard's township ranking (:func:`lantian.monitoring.ranking.area_ranking`)."""
    return list(
        CACHE.get(
            session,
            "area_ranking",
            (first, last),
            lambda: ranking.area_ranking(session, first, last),
        )
    )
