"""Fixtures of the register tests: the default plan, a file store, principals, a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.files import FileStore
from lantian.plan import Plan, default_plan

#: 2017-10-10 09:00 in Xinmi: after task 4's 9-30 deadline, inside the campaign.
T0 = datetime(2017, 10, 10, 1, 0, tzinfo=UTC)
OFFICE = Principal("gongjianban", "campaign_office")
INSPECTOR = Principal("duchazu", "inspector")
CHENGGUAN = Principal("chengguan", "township", "410183100")  # 城关镇
MICUN = Principal("micun", "township", "410183101")  # 米村镇
HBJ = Principal("hbj-user", "unit", "hbj")
LEADER = Principal("leader", "leader")


@pytest.fixture
def plan() -> Plan:
    return default_plan()


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "data")


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    moment = clock.FrozenClock(T0)
    with clock.use(moment):
        yield moment
