"""When a job is due: every so often, or daily at a China-time hour and minute. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from lantian.timeutil import CHINA_TZ


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class Every:
    """Every ``interval`` after the previous run started."""

    interval: timedelta

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError("the interval must be positive")

    def next_after(self, previous_start: datetime) -> datetime:
        _aware(previous_start, "previous_start")
        return previous_start + self.interval

    def text(self) -> tuple[str, str]:
        seconds = int(self.interval.total_seconds())
        if seconds % 3600 == 0:
            hours = seconds // 3600
            return (f"每 {hours} 小时", f"every {hours} h")
        return (f"每 {seconds // 60} 分钟", f"every {seconds // 60} min")


@dataclass(frozen=True)
class DailyAt:
    """Once a day at ``hour``:``minute`` China time (UTC+8, no daylight saving)."""

    hour: int
    minute: int = 0

    def __post_init__(self) -> None:
        time(self.hour, self.minute)  # raises on an impossible time of day

    def next_after(self, previous_start: datetime) -> datetime:
        """The first time of day strictly after ``previous_start`` (in China time)."""
        _aware(previous_start, "previous_start")
        local = previous_start.astimezone(CHINA_TZ)
        slot = local.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        if slot <= local:
            slot += timedelta(days=1)
        return slot.astimezone(UTC)

    def text(self) -> tuple[str, str]:
        at = f"{self.hour:02d}:{self.minute:02d}"
        return (f"每天 {at}（北京时间）", f"daily at {at} China time")


Schedule = Every | DailyAt


def backoff_delay(base: timedelta, failures: int) -> timedelta:
    """The wait before retry number ``failures``: ``base``, then doubling (1×, 2×, 4×, …)."""
    if failures < 1:
        raise ValueError("a retry follows at least one failure")
    factor: int = 2 ** (failures - 1)
    return base * factor


def next_due(
    schedule: Schedule,
    *,
    last_start: datetime | None,
    last_failed_at: datetime | None,
    consecutive_failures: int,
    max_attempts: int,
    retry_after: timedelta,
) -> datetime | None:
    """When the job is next due; ``None`` when it never ran (then it is due at once).

    After a failure the job is retried with back-off until ``max_attempts`` runs in a row have
    failed; after that it waits for its next regular time (and is retried again then).
    """
    if last_start is None:
        return None
    regular = schedule.next_after(last_start)
    if last_failed_at is not None and 0 < consecutive_failures < max_attempts:
        return min(regular, last_failed_at + backoff_delay(retry_after, consecutive_failures))
    return regular
