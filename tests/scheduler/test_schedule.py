"""When a job is due: daily in China time, every so often, and retries with back-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lantian.scheduler.schedule import DailyAt, Every, backoff_delay, next_due
from lantian.timeutil import CHINA_TZ


def china(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=CHINA_TZ)  # type: ignore[misc]


def test_daily_at_a_china_time() -> None:
    nightly = DailyAt(2, 30)
    # 09:00 in Beijing: the next 02:30 is tomorrow's, which is 18:30 UTC today.
    assert nightly.next_after(china(2026, 12, 1, 9, 0)) == datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
    # 01:00 in Beijing is still the evening before in UTC: the slot is the same China day.
    assert nightly.next_after(datetime(2026, 12, 1, 17, 0, tzinfo=UTC)) == china(2026, 12, 2, 2, 30)
    # A run started at the slot itself is that day's run: the next is a day later.
    assert nightly.next_after(china(2026, 12, 2, 2, 30)) == china(2026, 12, 3, 2, 30)
    # Across the year's end, in China time.
    assert DailyAt(17, 30).next_after(china(2026, 12, 31, 18, 0)) == china(2027, 1, 1, 17, 30)


def test_every_interval_counts_from_the_previous_start() -> None:
    hourly = Every(timedelta(hours=1))
    start = datetime(2026, 12, 1, 8, 5, 13, tzinfo=UTC)
    assert hourly.next_after(start) == start + timedelta(hours=1)
    assert hourly.text() == ("每 1 小时", "every 1 h")
    assert Every(timedelta(minutes=15)).text() == ("每 15 分钟", "every 15 min")


def test_impossible_schedules_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        DailyAt(24, 0)
    with pytest.raises(ValueError):
        Every(timedelta(0))
    with pytest.raises(ValueError, match="timezone"):
        DailyAt(2).next_after(datetime(2026, 12, 1, 9))


def test_a_job_never_run_is_due_at_once() -> None:
    due = next_due(
        DailyAt(2, 30), last_start=None, last_failed_at=None, consecutive_failures=0,
        max_attempts=3, retry_after=timedelta(minutes=2),
    )  # fmt: skip
    assert due is None


def test_failures_are_retried_with_back_off_then_wait_for_the_regular_time() -> None:
    hourly = Every(timedelta(hours=1))
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    failed = start + timedelta(seconds=10)
    assert [backoff_delay(timedelta(minutes=2), n) for n in (1, 2, 3)] == [
        timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8),
    ]  # fmt: skip

    def due(failures: int) -> datetime | None:
        return next_due(
            hourly, last_start=start, last_failed_at=failed, consecutive_failures=failures,
            max_attempts=3, retry_after=timedelta(minutes=2),
        )  # fmt: skip

    assert due(1) == failed + timedelta(minutes=2)
    assert due(2) == failed + timedelta(minutes=4)
    assert due(3) == start + timedelta(hours=1)  # attempts used up: the next regular run
    # A retry never waits past the regular time.
    long_wait = next_due(
        hourly, last_start=start, last_failed_at=failed, consecutive_failures=2,
        max_attempts=5, retry_after=timedelta(hours=1),
    )  # fmt: skip
    assert long_wait == start + timedelta(hours=1)
