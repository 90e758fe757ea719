"""建议问责: proposed by the office, approved by someone else, decided by the accountability group."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import audit
from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.campaign import service as campaign
from lantian.campaign.models import ACCOUNTABILITY_KINDS
from lantian.db.engine import transaction
from lantian.errors import Conflict, InputError
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
    with pytest.raises(Conflict, match="only an approved"), transaction(sessions) as session:
        accountability.decide(
            session, ACCOUNTABILITY_GROUP, proposal_id, "约谈", T0, measure="talk"
        )
    with transaction(sessions) as session:
        accountability.review(session, OFFICE_HEAD, proposal_id, True, T0 + timedelta(hours=1))
    with transaction(sessions) as session:
        decided = accountability.decide(
            session, ACCOUNTABILITY_GROUP, proposal_id, "对责任人诫勉谈话",
            T0 + timedelta(hours=15), measure="talk", decided_by="责任追究组",
        )  # fmt: skip
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
        # The decision is the campaign's accountability record, linked to the case, dated in
        # China time (2017-11-25 02:00 UTC + 15 h = 2017-11-26 01:00 CST), audited with it.
        record = campaign.accountability_for(session, "inspection_case", str(case_id))[0]
        assert (record.kind, record.subject_kind, record.subject_code) == ("talk", "person", None)
        assert record.subject_name == "某站长（zjj）"  # no plan loaded: the unit's code
        assert (record.decided_on, record.decided_by) == (date(2017, 11, 26), "责任追究组")
        assert (
            record.reason
            == f"挂牌督办期限届满仍未整改；问责决定：对责任人诫勉谈话（问责建议 {proposal_id}）"
        )
        assert record.created_by == "chenzhenyu" and record.plan_id is None
        decided_entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "accountability_proposal.decide")
        ).one()
        assert decided_entry.after["accountability_record_id"] == record.id
        assert decided_entry.after["measure"] == "talk"
        added = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "accountability_record")
        ).one()
        assert added.entity_id == str(record.id) and added.actor == "chenzhenyu"
        last, _ = service.timeline(session, case_id)[-1]
        assert last.details == {
            "proposal_id": proposal_id,
            "measure": "talk",
            "accountability_record_id": record.id,
        }
        assert audit.verify(session).intact


def test_a_decision_without_a_measure_records_none_and_a_bad_one_changes_nothing(
    sessions: sessionmaker[Session], case_id: int
) -> None:
    with transaction(sessions) as session:
        first = accountability.propose(session, CASE_GROUP, case_id, "迟报", T0).id
        second = accountability.propose(session, CASE_GROUP, case_id, "未整改", T0).id
        for proposal_id in (first, second):
            accountability.review(session, OFFICE_HEAD, proposal_id, True, T0)
    with pytest.raises(InputError, match="unknown measure"), transaction(sessions) as session:
        accountability.decide(session, ACCOUNTABILITY_GROUP, first, "罚款", T0, measure="fine")
    with transaction(sessions) as session:
        assert accountability._get(session, first).status == "approved"
        accountability.decide(session, ACCOUNTABILITY_GROUP, first, "不予问责", T0, measure=None)
        accountability.decide(session, ACCOUNTABILITY_GROUP, second, "通报", T0, measure="notice")
    with sessions() as session:
        records = campaign.accountability_for(session, "inspection_case", str(case_id))
        # The second names no person: the record is against the case's unit.
        assert [(r.kind, r.subject_kind, r.subject_code) for r in records] == [
            ("notice", "unit", "zjj")
        ]


def test_the_listing_shows_each_account_what_it_may_read(
    sessions: sessionmaker[Session], case_id: int
) -> None:
    """Office and leaders read all; a township its cases' records; a unit its own; inspectors
    none. The case is in 城关镇 (410183100) and was forwarded to zjj."""
    with transaction(sessions) as session:
        on_case = accountability.propose(
            session, CASE_GROUP, case_id, "整改不实", T0, target_person="某科长"
        ).id
        on_unit = accountability.propose(session, CASE_GROUP, case_id, "推诿", T0).id
        for proposal_id in (on_case, on_unit):
            accountability.review(session, OFFICE_HEAD, proposal_id, True, T0)
            accountability.decide(
                session, ACCOUNTABILITY_GROUP, proposal_id, "约谈", T0, measure="talk"
            )
        campaign.record_accountability(
            session, OFFICE_HEAD, kind="warning", subject_kind="unit", subject_code="mtj",
            subject_name="市煤炭局", link_kind="task", link_id="8", reason="迟报",
            decided_on=date(2017, 12, 1), decided_by="市攻坚办",
        )  # fmt: skip
    with sessions() as session:
        every = campaign.accountability_for(session)
        cases = service.case_resources(session, (r.link_id or "" for r in every))

        def seen(who: Principal, link_kind: str | None = None) -> list[str]:
            shown = campaign.accountability_visible_to(session, who, cases, link_kind=link_kind)
            return sorted(f"{r.kind}:{r.subject_name}" for r in shown)

        everything = ["talk:zjj", "talk:某科长（zjj）", "warning:市煤炭局"]
        assert seen(Principal("ld", "leader")) == seen(OFFICE_HEAD) == everything
        assert seen(OFFICE_HEAD, "inspection_case") == everything[:2]
        assert seen(TOWNSHIP) == everything[:2]  # its case's records, not task 8's
        assert seen(Principal("zjj", "unit", "zjj")) == everything[:2]
        assert seen(Principal("mtj", "unit", "mtj")) == ["warning:市煤炭局"]
        assert seen(Principal("micun", "township", "410183101")) == []
        with pytest.raises(campaign.PermissionDenied):
            seen(INSPECTOR)
        assert service.case_resources(session, ["x", "999999"]) == {}


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
    with pytest.raises(Conflict, match="already declined"), transaction(sessions) as session:
        accountability.review(session, OFFICE_HEAD, proposal_id, True, T0)


def test_the_measures_are_the_campaigns_accountability_kinds() -> None:
    assert tuple(accountability.MEASURE_LABELS) == ACCOUNTABILITY_KINDS
