"""The one clock: China's day whatever the host's zone, a settable clock, and no host-local reading
of the wall clock left anywhere in ``src/``."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from lantian import clock
from lantian.db.base import utc_now
from lantian.timeutil import CHINA_TZ

SRC = Path(__file__).resolve().parents[1] / "src" / "lantian"

#: Wall-clock readings that bypass the one clock (the clock itself reads the host, once).
_HOST_CLOCK = re.compile(
    r"\bdate\.today\(\)|\bdatetime\.(now|utcnow|today)\(|\btime\.(time|localtime|gmtime)\(\)"
)
#: Where a host reading is meant: the clock itself. (The session cookie signer passes
#: ``time.time`` to itsdangerous, which checks its timestamps against the real time.)
_ALLOWED = {SRC / "clock.py"}


def test_no_host_clock_left_in_src() -> None:
    found = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        if path not in _ALLOWED
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _HOST_CLOCK.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []


def test_today_is_the_day_in_china() -> None:
    with clock.use(clock.FrozenClock(datetime(2024, 2, 29, 16, 0, tzinfo=UTC))):
        assert clock.today() == date(2024, 3, 1)
        assert clock.now() == datetime(2024, 2, 29, 16, 0, tzinfo=UTC)
        assert clock.now(CHINA_TZ).hour == 0 and clock.now_china().tzinfo == CHINA_TZ
        assert utc_now() == datetime(2024, 2, 29, 16, 0, tzinfo=UTC)


def test_frozen_clock_moves_only_when_told_and_is_undone() -> None:
    frozen = clock.FrozenClock(datetime(2018, 1, 10, tzinfo=CHINA_TZ))
    with clock.use(frozen):
        first = clock.now()
        frozen.advance(timedelta(hours=3))
        assert clock.now() - first == timedelta(hours=3)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)
    with pytest.raises(ValueError, match="naive"):
        clock.FrozenClock(datetime(2018, 1, 10))


def test_process_wide_clock_reaches_other_threads() -> None:
    seen: list[date] = []
    with clock.use(clock.FrozenClock(datetime(2019, 8, 31, tzinfo=CHINA_TZ)), process_wide=True):
        worker = threading.Thread(target=lambda: seen.append(clock.today()))
        worker.start()
        worker.join()
    assert seen == [date(2019, 8, 31)]
    assert clock.today() != date(2019, 8, 31)


def test_as_of_clock_starts_at_its_instant_and_runs_on() -> None:
    start = datetime(2018, 1, 22, 10, 0, tzinfo=CHINA_TZ)
    as_of = clock.AsOfClock(start)
    with clock.use(as_of):
        first = clock.now()
        assert timedelta(0) <= first - start < timedelta(seconds=5)
        assert clock.today() == date(2018, 1, 22) and not clock.is_system()
        assert clock.now() >= first  # it runs on, it does not stand still
    assert clock.is_system()
    with pytest.raises(ValueError, match="naive"):
        clock.AsOfClock(datetime(2018, 1, 22))


def test_the_as_of_setting_reads_china_time_and_runs_the_block_on_it() -> None:
    from lantian.config import Settings, as_of_in_force

    settings = Settings(as_of="2018-01-22T10:00")  # type: ignore[arg-type]
    assert settings.as_of == datetime(2018, 1, 22, 2, 0, tzinfo=UTC)
    assert Settings(as_of="").as_of is None  # type: ignore[arg-type]
    seen: list[date] = []
    with as_of_in_force(settings) as moment:
        assert moment == settings.as_of
        worker = threading.Thread(target=lambda: seen.append(clock.today()))
        worker.start()
        worker.join()
    assert seen == [date(2018, 1, 22)]
    assert clock.is_system()
    with as_of_in_force(Settings()) as moment:
        assert moment is None and clock.is_system()
