"""The duty roster and daily reports in the database, with the clock given by the test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import Conflict, InputError
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.supervision import duty
from lantian.supervision.groups import read_plan
from lantian.supervision.rules import NotPermitted

PLAN = read_plan(DEFAULT_PLAN_DIR)
DAY = date(2017, 11, 20)
DUE = datetime(2017, 11, 20, 9, 0, tzinfo=UTC)  # 17:00 in Xinmi
OFFICE = Principal("lgc", "campaign_office")
H = timedelta(hours=1)
MIDNIGHT = datetime(2017, 11, 19, 16, 0, tzinfo=UTC)  # 00:00 of DAY in Xinmi


def test_a_24_hour_roster_with_a_gap_and_handovers(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        first = duty.add_shift(session, OFFICE, PLAN, person="李根灿", starts_at=MIDNIGHT,
                               ends_at=MIDNIGHT + 8 * H, now=MIDNIGHT)  # fmt: skip
        duty.add_shift(session, OFFICE, PLAN, person="张义凡", starts_at=MIDNIGHT + 8 * H,
                       ends_at=MIDNIGHT + 16 * H, now=MIDNIGHT)  # fmt: skip
        duty.add_shift(session, OFFICE, PLAN, person="申晓博", starts_at=MIDNIGHT + 17 * H,
                       ends_at=MIDNIGHT + 24 * H, now=MIDNIGHT)  # fmt: skip
        first_id = first.id
    with sessions() as session:
        assert duty.roster_gaps(session, MIDNIGHT, MIDNIGHT + 24 * H) == [
            (MIDNIGHT + 16 * H, MIDNIGHT + 17 * H)
        ]
        assert {s.group_code for s in duty.shifts_between(session, MIDNIGHT, MIDNIGHT + H)} == {
            "general_coordination"
        }
    with pytest.raises(Conflict, match="not begun"), transaction(sessions) as session:
        duty.hand_over(session, OFFICE, first_id, "无异常", MIDNIGHT - H)
    with transaction(sessions) as session:
        duty.hand_over(session, OFFICE, first_id, "督查组交办 3 件，已转办", MIDNIGHT + 8 * H)
    with pytest.raises(Conflict, match="already"), transaction(sessions) as session:
        duty.hand_over(session, OFFICE, first_id, "改", MIDNIGHT + 9 * H)
    with pytest.raises(InputError, match="end after"), transaction(sessions) as session:
        duty.add_shift(session, OFFICE, PLAN, person="x", starts_at=MIDNIGHT, ends_at=MIDNIGHT,
                       now=MIDNIGHT)  # fmt: skip
    with pytest.raises(NotPermitted), transaction(sessions) as session:
        duty.add_shift(session, Principal("cg", "township", "410183100"), PLAN, person="x",
                       starts_at=MIDNIGHT, ends_at=MIDNIGHT + H, now=MIDNIGHT)  # fmt: skip


def submit(sessions: sessionmaker[Session], group: str, at: datetime, text: str = "进展") -> bool:
    with transaction(sessions) as session:
        _, late = duty.submit_report(session, OFFICE, PLAN, group_code=group, report_date=DAY,
                                     progress=text, tomorrow="安排", now=at)  # fmt: skip
    return late


def test_daily_reports_late_flags_and_the_summary(sessions: sessionmaker[Session]) -> None:
    assert submit(sessions, "general_coordination", DUE - 2 * H) is False
    assert submit(sessions, "site_support_cases", DUE - H, "转办案件 5 件") is False
    assert submit(sessions, "logistics", DUE + 2 * H) is True
    # A correction after 17:00 keeps the first submission's verdict, both ways.
    assert submit(sessions, "general_coordination", DUE + 3 * H, "更正") is False
    assert submit(sessions, "logistics", DUE + 4 * H, "更正") is True
    with sessions() as session:
        before_due = duty.day_summary(session, PLAN, DAY, DUE - 30 * timedelta(minutes=1))
        after_due = duty.day_summary(session, PLAN, DAY, DUE + 5 * H)
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "daily_report")
        ).all()
    assert [s.status for _, s in before_due.sections] == [
        "on_time", "pending", "on_time", "pending", "late"
    ]  # fmt: skip
    assert after_due.late == ["后勤保障组"]
    assert after_due.missing == ["文秘宣传组", "责任追究组"]
    text = after_due.as_text(PLAN.summary_to)
    assert "当日工作进展：更正" in text and "转办案件 5 件" in text
    assert actions.count("daily_report.correct") == 2 and len(actions) == 5


def test_reports_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InputError, match="not a reporting group"):
        submit(sessions, "coordination_office", DUE)
    with pytest.raises(InputError, match="still to come"):
        submit(sessions, "logistics", DUE - 24 * H)
    with pytest.raises(NotPermitted), transaction(sessions) as session:
        duty.submit_report(session, Principal("ld", "leader"), PLAN, group_code="logistics",
                           report_date=DAY, progress="p", tomorrow="t", now=DUE)  # fmt: skip
