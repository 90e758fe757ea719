"""Fixtures of the campaign tests: sessions on each backend with the Xinmi plan loaded."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lantian.campaign import service
from lantian.db.engine import transaction
from lantian.plan import DEFAULT_PLAN_DIR, Plan, read_plan

PLAN_DIR = DEFAULT_PLAN_DIR


@pytest.fixture(scope="session")
def xinmi_plan() -> Plan:
    plan = read_plan(PLAN_DIR)
    assert plan.problems == []
    return plan


@pytest.fixture
def loaded(sessions: sessionmaker[Session], xinmi_plan: Plan) -> sessionmaker[Session]:
    with transaction(sessions) as session:
        service.load_plan(session, xinmi_plan)
    return sessions
