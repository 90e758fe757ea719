"""The inspection case's state machine and who may take each transition (pure, no I/O).

Seed, second document, §二(三) 现场保障及案件查办组: "负责对强化督查、巡查组交办案件的转办、督促、整改，
抓好边督边改工作落实，及时跟踪整改情况、及时反馈、及时办结；根据案件办理情况提出问责建议". The states
follow that sentence (GLOSSARY: assigned → forwarded → rectifying → reported → closed)::

    assigned ──forward──► forwarded ──accept──► rectifying ──report──► reported ──close──► closed
                                                   ▲  │ progress           │                  │
                                                   │  └──────────┘         │                  │
                                                   └────────reject─────────┘                  │
                                                   └────────reopen────────────────────────────┘

Listed supervision (挂牌督办) is not a state of its own: an escalated case keeps moving through the
same states, under a flag and a new deadline (``list`` may be taken in any open state, once).

Who takes a transition (:data:`TRANSITIONS`): the office (campaign_office, administrator) forwards,
closes and lists; the responsible unit or township accepts, reports progress and reports back —
each only for cases within its scope (:func:`lantian.auth.permissions.can` on the case's unit and
area); inspectors create cases, and with the office may refuse a report or reopen a closed case.
Leaders read only; devices and the public do nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from lantian.auth.permissions import Action, Principal, Resource, can, resource
from lantian.errors import Conflict, NotAllowed


class CaseState(StrEnum):
    ASSIGNED = "assigned"  # 交办
    FORWARDED = "forwarded"  # 转办
    RECTIFYING = "rectifying"  # 整改
    REPORTED = "reported"  # 反馈
    CLOSED = "closed"  # 办结


STATE_LABELS: dict[CaseState, tuple[str, str]] = {
    CaseState.ASSIGNED: ("交办", "assigned"),
    CaseState.FORWARDED: ("转办", "forwarded"),
    CaseState.RECTIFYING: ("整改", "rectifying"),
    CaseState.REPORTED: ("反馈", "reported"),
    CaseState.CLOSED: ("办结", "closed"),
}

OPEN_STATES = frozenset(CaseState) - {CaseState.CLOSED}


class CaseEvent(StrEnum):
    FORWARD = "forward"  # 转办: hand the case to the responsible unit / township
    ACCEPT = "accept"  # 签收整改: the responsible side starts rectifying
    PROGRESS = "progress"  # 边督边改进展: a progress note with evidence, state unchanged
    REPORT = "report"  # 反馈: rectification done, reported back
    REJECT = "reject"  # 退回: the report is not accepted, back to rectifying
    CLOSE = "close"  # 办结
    REOPEN = "reopen"  # 重新整改: a closed case found again
    LIST = "list"  # 挂牌督办: escalate under listed supervision


EVENT_LABELS: dict[CaseEvent, tuple[str, str]] = {
    CaseEvent.FORWARD: ("转办", "forward"),
    CaseEvent.ACCEPT: ("签收整改", "accept"),
    CaseEvent.PROGRESS: ("整改进展", "progress"),
    CaseEvent.REPORT: ("反馈", "report back"),
    CaseEvent.REJECT: ("退回整改", "reject"),
    CaseEvent.CLOSE: ("办结", "close"),
    CaseEvent.REOPEN: ("重新办理", "reopen"),
    CaseEvent.LIST: ("挂牌督办", "list for supervision"),
}

#: Labels of every entry a timeline holds: the events above, and what the platform records itself.
TIMELINE_LABELS: dict[str, tuple[str, str]] = {
    "created": ("登记交办", "recorded"),
    **{event.value: label for event, label in EVENT_LABELS.items()},
    "overdue": ("逾期", "overdue"),
    "overdue_cleared": ("解除逾期", "no longer overdue"),
    "accountability_proposed": ("建议问责", "accountability proposed"),
    "accountability_approved": ("攻坚办同意问责建议", "accountability proposal approved"),
    "accountability_declined": ("攻坚办未同意问责建议", "accountability proposal declined"),
    "accountability_decided": ("问责决定", "accountability decided"),
}

#: Roles that run the office's side of the case (攻坚办 / 总协调联络办公室 and the platform admin).
OFFICE_ROLES = frozenset({"campaign_office", "administrator"})
#: Roles acting only within their scope (the unit or township responsible for the case).
SCOPED_ROLES = frozenset({"unit", "township"})
#: Who records a new case: the inspection teams and the office (a rule of another module opens
#: cases through the service as the ``system`` actor, with the office's rights).
CREATOR_ROLES = OFFICE_ROLES | {"inspector"}


@dataclass(frozen=True)
class Transition:
    event: CaseEvent
    sources: frozenset[CaseState]
    #: ``None``: the state does not change (progress notes, listing).
    target: CaseState | None
    roles: frozenset[str]


def _t(
    event: CaseEvent, sources: Iterable[CaseState], target: CaseState | None, roles: Iterable[str]
) -> Transition:
    return Transition(event, frozenset(sources), target, frozenset(roles))


_RESPONSIBLE = OFFICE_ROLES | SCOPED_ROLES
_REVIEWERS = OFFICE_ROLES | {"inspector"}

TRANSITIONS: dict[CaseEvent, Transition] = {
    t.event: t
    for t in (
        _t(CaseEvent.FORWARD, {CaseState.ASSIGNED}, CaseState.FORWARDED, OFFICE_ROLES),
        _t(CaseEvent.ACCEPT, {CaseState.FORWARDED}, CaseState.RECTIFYING, _RESPONSIBLE),
        _t(CaseEvent.PROGRESS, {CaseState.RECTIFYING}, None, _RESPONSIBLE),
        _t(CaseEvent.REPORT, {CaseState.RECTIFYING}, CaseState.REPORTED, _RESPONSIBLE),
        _t(CaseEvent.REJECT, {CaseState.REPORTED}, CaseState.RECTIFYING, _REVIEWERS),
        _t(CaseEvent.CLOSE, {CaseState.REPORTED}, CaseState.CLOSED, OFFICE_ROLES),
        _t(CaseEvent.REOPEN, {CaseState.CLOSED}, CaseState.RECTIFYING, _REVIEWERS),
        _t(CaseEvent.LIST, OPEN_STATES, None, OFFICE_ROLES),
    )
}


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know of a case: its state, whether listed, and whom it belongs to."""

    state: CaseState
    listed: bool = False
    unit: str | None = None
    area: str | None = None

    def as_resource(self) -> Resource:
        return resource(
            "inspection_case",
            units=[self.unit] if self.unit else [],
            areas=[self.area] if self.area else [],
        )


class TransitionRefused(Conflict):
    """The event cannot be taken from the case's current state."""


#: The principal may not take this event on this case (role or scope).
NotPermitted = NotAllowed


def target_state(facts: CaseFacts, event: CaseEvent | str) -> CaseState:
    """The state after ``event``, or :class:`TransitionRefused` if the state does not allow it."""
    wanted = CaseEvent(event)
    transition = TRANSITIONS[wanted]
    zh, en = EVENT_LABELS[wanted]
    state_zh, state_en = STATE_LABELS[facts.state]
    if facts.state not in transition.sources:
        raise TransitionRefused(
            f"案件处于“{state_zh}”状态，不能{zh} / a case in state {state_en} cannot take "
            f"the step {en!r}"
        )
    if wanted is CaseEvent.LIST and facts.listed:
        raise TransitionRefused("案件已挂牌督办 / the case is already under listed supervision")
    return transition.target or facts.state


def permitted(principal: Principal, facts: CaseFacts, event: CaseEvent | str) -> bool:
    """Whether ``principal`` may take ``event`` on the case (role in the table, and scope)."""
    transition = TRANSITIONS[CaseEvent(event)]
    return principal.role in transition.roles and can(principal, Action.WRITE, facts.as_resource())


def check(principal: Principal, facts: CaseFacts, event: CaseEvent | str) -> CaseState:
    """The new state if ``principal`` may take ``event`` now; otherwise a refusal saying why."""
    wanted = CaseEvent(event)
    new_state = target_state(facts, wanted)
    if not permitted(principal, facts, wanted):
        zh, en = EVENT_LABELS[wanted]
        outside = principal.role in TRANSITIONS[wanted].roles  # the role may, the scope may not
        raise NotPermitted(
            f"{principal.role} 账户无权对该案件执行“{zh}”"
            + ("（案件不在本单位或本辖区）" if outside else "")
            + f" / a {principal.role} account may not take the step {en!r} on this case"
            + (" (the case is outside its scope)" if outside else "")
        )
    return new_state


def available_events(principal: Principal, facts: CaseFacts) -> list[CaseEvent]:
    """The events ``principal`` may take now, in table order (what a page offers as buttons)."""
    found = []
    for event in TRANSITIONS:
        try:
            check(principal, facts, event)
        except (TransitionRefused, NotAllowed):
            continue
        found.append(event)
    return found


def may_create(principal: Principal) -> bool:
    """Whether ``principal`` may record a new case (inspectors and the office)."""
    return principal.role in CREATOR_ROLES


def may_read_duty(principal: Principal) -> bool:
    """Whether ``principal`` opens the duty roster and the daily reports (the office, leaders)."""
    return principal.role in OFFICE_ROLES or principal.role == "leader"


def may_read(principal: Principal, facts: CaseFacts) -> bool:
    return can(principal, Action.READ, facts.as_resource())


# --- overdue and escalation (pure) ------------------------------------------------------------


@dataclass(frozen=True)
class EscalationPolicy:
    """When an overdue case is listed for supervision, and the deadline listing gives it.

    The seed sets no number: it asks for cases to be rectified, reported and closed promptly
    (及时跟踪整改情况、及时反馈、及时办结) and lists for supervision with a time limit what is not
    (挂牌督办，限期整改, first document §(二)). These defaults are an installation's choice, not the
    seed's: list a case one day after its deadline, and give it three more days.
    """

    escalate_after: timedelta = timedelta(days=1)
    listed_deadline: timedelta = timedelta(days=3)


@dataclass(frozen=True)
class DeadlineFacts:
    state: CaseState
    listed: bool
    deadline: datetime | None
    overdue_since: datetime | None


@dataclass(frozen=True)
class EscalationDecision:
    """What the scheduled job does to one case at ``now`` (nothing, when every field is false)."""

    flag_overdue: bool = False
    clear_overdue: bool = False
    list_case: bool = False
    new_deadline: datetime | None = None
    #: A listed case past its listed deadline: the office should consider proposing accountability.
    listed_and_overdue: bool = False

    @property
    def changes_case(self) -> bool:
        return self.flag_overdue or self.clear_overdue or self.list_case


def is_overdue(facts: DeadlineFacts, now: datetime) -> bool:
    """A case is overdue when its deadline has passed and its side of the work is not done.

    A reported case waits on the office, not on the responsible unit, so it is not overdue.
    """
    return (
        facts.deadline is not None
        and facts.state in (CaseState.ASSIGNED, CaseState.FORWARDED, CaseState.RECTIFYING)
        and now > facts.deadline
    )


def escalation_decision(
    facts: DeadlineFacts, now: datetime, policy: EscalationPolicy = EscalationPolicy()
) -> EscalationDecision:
    """Flag, clear or escalate one case at ``now`` (the job's rule; idempotent at a given ``now``)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not is_overdue(facts, now):
        return EscalationDecision(clear_overdue=facts.overdue_since is not None)
    assert facts.deadline is not None
    if not facts.listed and now - facts.deadline >= policy.escalate_after:
        # Listing gives a new deadline, so the case is no longer overdue once listed.
        return EscalationDecision(
            list_case=True,
            new_deadline=now + policy.listed_deadline,
            clear_overdue=facts.overdue_since is not None,
        )
    return EscalationDecision(
        flag_overdue=facts.overdue_since is None, listed_and_overdue=facts.listed
    )
