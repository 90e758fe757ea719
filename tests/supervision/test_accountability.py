"""建议问责: proposed by the office, approved by someone else, decided by the accountability group."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import audit
from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import InputError
from lantian.supervision import accountability, service
from lantian.supervision.rules import NotPermitted
from lantian.supervision.service import CaseDraft

T0 = datetime(2017, 11, 25, 2, 0, tzinfo=UTC)
CASE_GROUP = Principal("weihuixia", "campaign_office")  # 现场保障及案件查办组
OFFICE_HEAD = Principal("zhoujiankai", "campaign_office")  # 攻坚办
ACCOUNTABILITY_GROUP = Principal("chenzhenyu", "campaign_office")  # 责任追究组
INSPECTOR = Principal("duchazu", "inspector")
TOWNSHIP = Principal("chengguan", "township", "410183100")


@pytest.fixture
def case_id(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        case = service.record_case(
            session,
            INSPECTOR,
            CaseDraft(source="inspection_team", title="料场扬尘反复出现", area_code="410183100"),
            T0,
        )
        service.take_step(session, CASE_GROUP, case.id, "forward", T0, unit_code="zjj")
        return case.id


def test_proposal_approval_and_decision_are_linked_to_the_case(
    sessions: sessionmaker[Session], case_id: int
) -> None:
    with transaction(sessions) as session:
        proposal = accountability.propose(
            session, CASE_GROUP, case_id, "挂牌督办期限届满仍未整改", T0, target_person="某站长"
        )
        proposal_id = proposal.id
    assert (proposal.link_kind, proposal.link_id, proposal.target_unit) == (
        "inspection_case",
        str(case_id),
        "zjj",
    )
    with pytest.raises(NotPermitted, match="own proposal"), transaction(sessions) as session:
        accountability.review(session, CASE_GROUP, proposal_id, True, T0)
    with pytest.raises(InputError, match="only an approved"), transaction(sessions) as session:
        accountability.decide(session, ACCOUNTABILITY_GROUP, proposal_id, "约谈", T0)
    with transaction(sessions) as session:
        accountability.review(session, OFFICE_HEAD, proposal_id, True, T0 + timedelta(hours=1))
    with transaction(sessions) as session:
        decided = accountability.decide(
            session, ACCOUNTABILITY_GROUP, proposal_id, "对责任人诫勉谈话", T0 + timedelta(days=1)
        )
    assert (decided.status, decided.approved_by, decided.decided_by) == (
        "decided",
        "zhoujiankai",
        "chenzhenyu",
    )
    with sessions() as session:
        events = [e.event for e, _ in service.timeline(session, case_id)]
        assert events[-3:] == [
            "accountability_proposed",
            "accountability_approved",
            "accountability_decided",
        ]
        assert [p.id for p in accountability.proposals_for(session, case_id)] == [proposal_id]
        assert accountability.pending(session) == []
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "accountability_proposal")
        ).all()
        assert actions == [
            "accountability_proposal.propose",
            "accountability_proposal.approved",
            "accountability_proposal.decide",
        ]
        assert audit.verify(session).intact


def test_who_may_propose_and_what_a_proposal_needs(
    sessions: sessionmaker[Session], case_id: int
) -> None:
    for outsider in (INSPECTOR, TOWNSHIP, Principal("fushizhang", "leader")):
        with pytest.raises(NotPermitted), transaction(sessions) as session:
            accountability.propose(session, outsider, case_id, "理由", T0)
    with pytest.raises(InputError, match="reasons"), transaction(sessions) as session:
        accountability.propose(session, CASE_GROUP, case_id, "  ", T0)
    with transaction(sessions) as session:
        proposal_id = accountability.propose(session, CASE_GROUP, case_id, "理由", T0).id
    with pytest.raises(InputError, match="needs a reason"), transaction(sessions) as session:
        accountability.review(session, OFFICE_HEAD, proposal_id, False, T0)
    with transaction(sessions) as session:
        declined = accountability.review(session, OFFICE_HEAD, proposal_id, False, T0, "证据不足")
    assert (declined.status, declined.decision) == ("declined", "证据不足")
    with pytest.raises(InputError, match="already declined"), transaction(sessions) as session:
        accountability.review(session, OFFICE_HEAD, proposal_id, True, T0)
