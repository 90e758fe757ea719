"""Fixtures of the CEMS tests."""

from __future__ import annotations

import pytest

from lantian.plan import Plan, default_plan


@pytest.fixture
def plan() -> Plan:
    return default_plan()
