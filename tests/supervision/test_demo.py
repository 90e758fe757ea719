"""The demo's supervision samples: every state, marked as sample, loaded once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import audit
from lantian.campaign import service as campaign
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.supervision import duty
from lantian.supervision.demo import SAMPLE, load_sample_supervision
from lantian.supervision.groups import read_plan
from lantian.supervision.models import (
    AccountabilityProposal,
    DutyShift,
    GroupDailyReport,
    InspectionCase,
)
from lantian.supervision.roster import local_date

PLAN = DEFAULT_PLAN_DIR
NOW = datetime(2017, 11, 24, 6, 30, tzinfo=UTC)  # 14:30 in Xinmi


def test_samples_in_every_state(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    first = load_sample_supervision(sessions, PLAN, tmp_path, NOW)
    again = load_sample_supervision(sessions, PLAN, tmp_path, NOW)
    assert "already loaded" in again and "already" not in first
    with sessions() as session:
        cases = session.scalars(select(InspectionCase)).all()
        assert {c.state for c in cases} == {
            "assigned", "forwarded", "rectifying", "reported", "closed"
        }  # fmt: skip
        assert all(c.is_sample and c.title.startswith(SAMPLE) for c in cases)
        assert any(c.listed for c in cases) and any(c.overdue_since for c in cases)
        rule_case = next(c for c in cases if c.source == "rule")
        assert rule_case.occurrences == 5
        proposals = session.scalars(
            select(AccountabilityProposal).order_by(AccountabilityProposal.id)
        ).all()
        assert [p.status for p in proposals] == ["decided", "approved"]
        # The decided one is the campaign's sample accountability record of its case.
        (record,) = campaign.accountability_for(session, "inspection_case", proposals[0].link_id)
        case = session.get(InspectionCase, int(proposals[0].link_id))
        assert case is not None and case.listed and case.unit_code == "jyj"
        assert (record.kind, record.subject_code, record.decided_by) == (
            "talk",
            "jyj",
            "责任追究组",
        )
        assert record.is_sample and "示例" in record.reason
        shifts = session.scalars(select(DutyShift)).all()
        assert len(shifts) == 6 and all(s.is_sample and "示例" in s.person for s in shifts)
        reports = session.scalars(select(GroupDailyReport)).all()
        assert len(reports) == 5 and all(r.is_sample for r in reports)
        plan = read_plan(PLAN)
        yesterday = local_date(NOW).replace(day=23)
        summary = duty.day_summary(session, plan, yesterday, NOW)
        assert summary.late == ["后勤保障组"] and summary.missing == []
        assert audit.verify(session).intact
