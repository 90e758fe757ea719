"""The case state machine: every (state, event) pair, and every role and scope against the table."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from lantian.auth.permissions import PUBLIC, Principal
from lantian.supervision.rules import (
    CaseEvent,
    CaseFacts,
    CaseState,
    DeadlineFacts,
    EscalationDecision,
    EscalationPolicy,
    NotPermitted,
    TransitionRefused,
    available_events,
    check,
    escalation_decision,
    is_overdue,
    may_create,
    may_read,
    target_state,
)

A, F, R, P, C = (
    CaseState.ASSIGNED,
    CaseState.FORWARDED,
    CaseState.RECTIFYING,
    CaseState.REPORTED,
    CaseState.CLOSED,
)

#: Written out by hand from the seed's sequence 交办→转办→整改→反馈→办结 (not derived from the module):
#: (state, event) → state after. Every pair not listed here must be refused.
ALLOWED = {
    (A, CaseEvent.FORWARD): F,
    (F, CaseEvent.ACCEPT): R,
    (R, CaseEvent.PROGRESS): R,
    (R, CaseEvent.REPORT): P,
    (P, CaseEvent.REJECT): R,
    (P, CaseEvent.CLOSE): C,
    (C, CaseEvent.REOPEN): R,
    (A, CaseEvent.LIST): A,
    (F, CaseEvent.LIST): F,
    (R, CaseEvent.LIST): R,
    (P, CaseEvent.LIST): P,
}

ALL_PAIRS = list(itertools.product(CaseState, CaseEvent))


@pytest.mark.parametrize(("state", "event"), ALL_PAIRS, ids=lambda v: str(v))
def test_every_state_event_pair(state: CaseState, event: CaseEvent) -> None:
    facts = CaseFacts(state)
    if (state, event) in ALLOWED:
        assert target_state(facts, event) is ALLOWED[(state, event)]
    else:
        with pytest.raises(TransitionRefused, match="不能"):
            target_state(facts, event)


@pytest.mark.parametrize("state", [A, F, R, P])
def test_a_listed_case_cannot_be_listed_twice(state: CaseState) -> None:
    with pytest.raises(TransitionRefused, match="已挂牌督办"):
        target_state(CaseFacts(state, listed=True), CaseEvent.LIST)


@pytest.mark.parametrize("event", [e for e in CaseEvent if e is not CaseEvent.LIST])
def test_a_listed_case_moves_through_the_same_states(event: CaseEvent) -> None:
    for state in CaseState:
        plain = CaseFacts(state)
        listed = CaseFacts(state, listed=True)
        if (state, event) in ALLOWED:
            assert target_state(listed, event) is target_state(plain, event)


def test_the_full_path_and_its_detours() -> None:
    state = A
    for event in ("forward", "accept", "progress", "report", "reject", "report", "close", "reopen"):
        state = target_state(CaseFacts(state), event)
    assert state is R


# --- permissions -------------------------------------------------------------------------------

CASE_UNIT, CASE_AREA = "hbj", "410183100"  # 环保局, 城关镇
OTHER_UNIT, OTHER_AREA = "zjj", "410183101"  # 住建局, 米村镇

PRINCIPALS = {
    "administrator": Principal("admin", "administrator"),
    "campaign_office": Principal("gongjianban", "campaign_office"),
    "inspector": Principal("duchazu", "inspector"),
    "leader": Principal("fushizhang", "leader"),
    "unit_own": Principal("hbj-user", "unit", CASE_UNIT),
    "unit_other": Principal("zjj-user", "unit", OTHER_UNIT),
    "township_own": Principal("chengguan", "township", CASE_AREA),
    "township_other": Principal("micun", "township", OTHER_AREA),
    "device": Principal("logger-01", "device"),
    "public": PUBLIC,
}

OFFICE = {"administrator", "campaign_office"}
RESPONSIBLE = OFFICE | {"unit_own", "township_own"}
REVIEWERS = OFFICE | {"inspector"}
#: Who may take each event (on a case of unit hbj in 城关镇), written out by hand.
WHO = {
    CaseEvent.FORWARD: OFFICE,
    CaseEvent.ACCEPT: RESPONSIBLE,
    CaseEvent.PROGRESS: RESPONSIBLE,
    CaseEvent.REPORT: RESPONSIBLE,
    CaseEvent.REJECT: REVIEWERS,
    CaseEvent.CLOSE: OFFICE,
    CaseEvent.REOPEN: REVIEWERS,
    CaseEvent.LIST: OFFICE,
}
SOURCE_OF = {event: state for (state, event) in ALLOWED}


@pytest.mark.parametrize(
    ("who", "event"), list(itertools.product(PRINCIPALS, CaseEvent)), ids=lambda v: str(v)
)
def test_who_may_take_each_event(who: str, event: CaseEvent) -> None:
    facts = CaseFacts(SOURCE_OF[event], unit=CASE_UNIT, area=CASE_AREA)
    principal = PRINCIPALS[who]
    if who in WHO[event]:
        assert check(principal, facts, event) is ALLOWED[(facts.state, event)]
        assert event in available_events(principal, facts)
    else:
        with pytest.raises(NotPermitted):
            check(principal, facts, event)
        assert event not in available_events(principal, facts)


def test_a_township_cannot_close_or_report_on_another_townships_case() -> None:
    other = PRINCIPALS["township_other"]
    reported = CaseFacts(P, unit=CASE_UNIT, area=CASE_AREA)
    with pytest.raises(NotPermitted, match="outside its scope"):
        check(other, CaseFacts(R, unit=CASE_UNIT, area=CASE_AREA), CaseEvent.REPORT)
    with pytest.raises(NotPermitted):
        check(other, reported, CaseEvent.CLOSE)
    # …and not even its own: only the office closes.
    with pytest.raises(NotPermitted) as refused:
        check(PRINCIPALS["township_own"], reported, CaseEvent.CLOSE)
    assert "outside its scope" not in str(refused.value)


def test_a_state_refusal_comes_before_a_permission_refusal() -> None:
    # Closing an assigned case is wrong whoever asks: the message says why (the state).
    with pytest.raises(TransitionRefused):
        check(PRINCIPALS["public"], CaseFacts(A), CaseEvent.CLOSE)


def test_a_case_without_unit_or_area_is_out_of_every_scope() -> None:
    facts = CaseFacts(R)
    assert available_events(PRINCIPALS["unit_own"], facts) == []
    assert available_events(PRINCIPALS["campaign_office"], facts) == [
        CaseEvent.PROGRESS,
        CaseEvent.REPORT,
        CaseEvent.LIST,
    ]


@pytest.mark.parametrize(
    ("who", "creates", "reads"),
    [
        ("administrator", True, True),
        ("campaign_office", True, True),
        ("inspector", True, True),
        ("leader", False, True),
        ("unit_own", False, True),
        ("unit_other", False, False),
        ("township_own", False, True),
        ("township_other", False, False),
        ("device", False, False),
        ("public", False, False),
    ],
)
def test_who_creates_and_reads(who: str, creates: bool, reads: bool) -> None:
    principal = PRINCIPALS[who]
    assert may_create(principal) is creates
    assert may_read(principal, CaseFacts(A, unit=CASE_UNIT, area=CASE_AREA)) is reads


def test_unknown_event_fails_loudly() -> None:
    with pytest.raises(ValueError):
        target_state(CaseFacts(A), "approve")


# --- escalation rule ---------------------------------------------------------------------------

DEADLINE = datetime(2017, 11, 22, 9, 0, tzinfo=UTC)
POLICY = EscalationPolicy(escalate_after=timedelta(days=1), listed_deadline=timedelta(days=3))


@pytest.mark.parametrize(
    ("state", "listed", "overdue_since", "now", "expected"),
    [
        # before or at the deadline: nothing
        (R, False, None, DEADLINE, EscalationDecision()),
        # just past it: flagged
        (R, False, None, DEADLINE + timedelta(hours=1), EscalationDecision(flag_overdue=True)),
        (A, False, None, DEADLINE + timedelta(hours=1), EscalationDecision(flag_overdue=True)),
        (F, False, None, DEADLINE + timedelta(hours=1), EscalationDecision(flag_overdue=True)),
        # already flagged: nothing new
        (R, False, DEADLINE, DEADLINE + timedelta(hours=2), EscalationDecision()),
        # a full day late: listed, three more days, flag cleared
        (
            R,
            False,
            DEADLINE,
            DEADLINE + timedelta(days=1),
            EscalationDecision(
                list_case=True,
                new_deadline=DEADLINE + timedelta(days=4),
                clear_overdue=True,
            ),
        ),
        # listed and late again: flagged, and marked for an accountability proposal
        (
            R,
            True,
            None,
            DEADLINE + timedelta(days=5),
            EscalationDecision(flag_overdue=True, listed_and_overdue=True),
        ),
        (
            R,
            True,
            DEADLINE,
            DEADLINE + timedelta(days=5),
            EscalationDecision(listed_and_overdue=True),
        ),
        # reported or closed: never overdue; a stale flag is cleared
        (P, False, None, DEADLINE + timedelta(days=9), EscalationDecision()),
        (P, False, DEADLINE, DEADLINE + timedelta(days=9), EscalationDecision(clear_overdue=True)),
        (C, True, DEADLINE, DEADLINE + timedelta(days=9), EscalationDecision(clear_overdue=True)),
    ],
)
def test_escalation_decision(
    state: CaseState,
    listed: bool,
    overdue_since: datetime | None,
    now: datetime,
    expected: EscalationDecision,
) -> None:
    facts = DeadlineFacts(state, listed, DEADLINE, overdue_since)
    assert escalation_decision(facts, now, POLICY) == expected


def test_no_deadline_is_never_overdue_and_naive_now_is_refused() -> None:
    facts = DeadlineFacts(R, False, None, None)
    assert not is_overdue(facts, DEADLINE + timedelta(days=100))
    with pytest.raises(ValueError):
        escalation_decision(facts, datetime(2017, 11, 22))
