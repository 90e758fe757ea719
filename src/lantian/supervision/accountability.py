"""建议问责: accountability proposals from a case to the accountability group, and their decision.

Seed, second document, §二(三): the case-handling group "根据案件办理情况提出问责建议，报市攻坚办同意后
移交问责组"; §二(四): the accountability group (责任追究组) decides under Zhengzhou's quantified
accountability rules. Three steps, three different people:

    proposed ──approve (攻坚办同意, transferred to the group)──► approved ──decide──► decided
        └──────decline (攻坚办不同意, with reasons)──► declined

A proposal links to what it is about by (``link_kind``, ``link_id``) — ``("inspection_case", "42")``
here — the same generic link the plan's accountability records use. A decision that holds someone
to account (a ``measure``: warning, talk, notice, sanction) creates that record through
:func:`lantian.campaign.service.record_accountability` in the same transaction, linked to the case,
so the campaign's accountability listing is the one list of every measure taken; a decision without
a measure (不予问责) creates none. Each step also appears on the case's timeline and in the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth import audit
from lantian.auth.permissions import Action, Principal, can
from lantian.campaign import service as campaign
from lantian.db.audited import acting_as, recorded_explicitly
from lantian.errors import Conflict, InputError, NotFound
from lantian.supervision import service
from lantian.supervision.models import AccountabilityProposal
from lantian.supervision.rules import OFFICE_ROLES, NotPermitted
from lantian.timeutil import to_china

LINK_KIND = "inspection_case"
STATUS_LABELS = {
    "proposed": ("已提出", "proposed"),
    "approved": ("已移交问责组", "approved, with the accountability group"),
    "declined": ("攻坚办未同意", "declined by the office"),
    "decided": ("已作出决定", "decided"),
}
#: The measures a decision may take (the campaign's accountability kinds); ``None``: no measure.
MEASURE_LABELS = campaign.ACCOUNTABILITY_KIND_LABELS


def _fields(row: AccountabilityProposal) -> dict[str, Any]:
    return {
        "link_kind": row.link_kind,
        "link_id": row.link_id,
        "target_unit": row.target_unit,
        "target_person": row.target_person,
        "status": row.status,
        "reasons": row.reasons,
        "decision": row.decision,
    }


def _require(principal: Principal, action: Action, case_id: int, session: Session) -> None:
    audit.lock_chain(session)  # every use case starts here: take the writers' lock first
    case = service.get_case(session, case_id)
    if principal.role not in OFFICE_ROLES or not can(
        principal, action, service.facts_of(case).as_resource()
    ):
        raise NotPermitted(
            f"{principal.role} 账户不能办理问责建议（由攻坚办办理）/ a {principal.role} account "
            "cannot handle accountability proposals (the campaign office does)"
        )


def propose(
    session: Session,
    principal: Principal,
    case_id: int,
    reasons: str,
    now: datetime,
    *,
    target_unit: str | None = None,
    target_person: str | None = None,
    is_sample: bool = False,
) -> AccountabilityProposal:
    """The case-handling group proposes accountability for a case, saying why and for whom."""
    _require(principal, Action.WRITE, case_id, session)
    case = service.get_case(session, case_id)
    if not reasons.strip():
        raise InputError("问责建议须写明理由 / an accountability proposal needs its reasons")
    unit = target_unit or case.unit_code
    if unit is None and not (target_person and target_person.strip()):
        raise InputError(
            "问责建议须指明单位或个人 / name the unit or the person accountability is proposed for"
        )
    actor = principal.username or "-"
    row = AccountabilityProposal(
        link_kind=LINK_KIND,
        link_id=str(case_id),
        target_unit=unit,
        target_person=(target_person or "").strip() or None,
        reasons=reasons.strip(),
        status="proposed",
        proposed_by=actor,
        proposed_at=now,
        is_sample=is_sample,
    )
    # The session hook logs the new proposal (accountability_proposal.propose), the reasons as reason.
    with acting_as(session, actor, reason=reasons.strip()):
        session.add(row)
    _on_case(session, case_id, actor, now, "accountability_proposed", row)
    return row


def _get(session: Session, proposal_id: int) -> AccountabilityProposal:
    row = session.get(AccountabilityProposal, proposal_id)
    if row is None:
        raise NotFound(f"问责建议 {proposal_id} 不存在 / no accountability proposal {proposal_id}")
    return row


def review(
    session: Session,
    principal: Principal,
    proposal_id: int,
    approve: bool,
    now: datetime,
    note: str = "",
) -> AccountabilityProposal:
    """The office agrees (and the proposal goes to the accountability group) or declines it.

    Someone other than the proposer decides: a proposal is not approved by its own author.
    """
    audit.lock_chain(session)
    row = _get(session, proposal_id)
    _require(principal, Action.REVIEW, int(row.link_id), session)
    if row.status != "proposed":
        raise Conflict(
            f"问责建议 {proposal_id} 已{STATUS_LABELS[row.status][0]} / proposal {proposal_id} is "
            f"already {row.status}"
        )
    actor = principal.username or "-"
    if actor == row.proposed_by:
        raise NotPermitted(
            "提出人不能同意自己的问责建议 / the proposer cannot approve their own proposal"
        )
    if not approve and not note.strip():
        raise InputError("不同意须写明理由 / declining needs a reason")
    status = "approved" if approve else "declined"
    # The session hook logs the review: the changed columns (status, approver, decision).
    with acting_as(
        session, actor, action=f"accountability_proposal.{status}", reason=note.strip() or None
    ):
        row.status = status
        row.approved_by, row.approved_at = actor, now
        if not approve:
            row.decision = note.strip()
    event = "accountability_approved" if approve else "accountability_declined"
    _on_case(session, int(row.link_id), actor, now, event, row, note)
    return row


def decide(
    session: Session,
    principal: Principal,
    proposal_id: int,
    decision: str,
    now: datetime,
    *,
    measure: str | None,
    decided_by: str | None = None,
) -> AccountabilityProposal:
    """The accountability group records its decision (e.g. 约谈, 通报批评, 诫勉谈话, or no action).

    ``measure`` is the measure taken — one of :data:`MEASURE_LABELS` — or ``None`` for none (不予
    问责); every caller says which. A measure creates the campaign's accountability record against
    the proposal's person (if named) or unit, linked ``("inspection_case", case id)``, decided on
    the China date of ``now`` by ``decided_by`` (the plan's accountability group; default: the
    deciding account).
    """
    audit.lock_chain(session)
    row = _get(session, proposal_id)
    _require(principal, Action.REVIEW, int(row.link_id), session)
    if row.status != "approved":
        raise Conflict(
            f"问责建议 {proposal_id} 未经攻坚办同意，不能决定 / proposal {proposal_id} is "
            f"{row.status}: only an approved proposal is decided"
        )
    if not decision.strip():
        raise InputError("须写明问责决定 / the decision needs its text")
    if measure is not None and measure not in MEASURE_LABELS:
        raise InputError(
            f"未知问责方式 {measure!r}，可选 {', '.join(MEASURE_LABELS)} 或不予问责 / unknown "
            f"measure {measure!r}; choose one of {', '.join(MEASURE_LABELS)} or none"
        )
    actor = principal.username or "-"
    if actor == row.proposed_by:
        raise NotPermitted(
            "提出人不能决定自己的问责建议 / the proposer cannot decide their own proposal"
        )
    before = _fields(row)
    # The decision's entry is the domain entry below (it names the measure and the record it
    # created), so the hook does not log the proposal's row change a second time meanwhile.
    with recorded_explicitly(session, AccountabilityProposal.audit_type(), str(row.id)):
        row.status, row.decision = "decided", decision.strip()
        row.decided_by, row.decided_at = actor, now
        record_id = None
        if measure is not None:
            record_id = _record_measure(session, principal, row, measure, now, decided_by or actor)
        _on_case(
            session, int(row.link_id), actor, now, "accountability_decided", row, decision,
            {"measure": measure, "accountability_record_id": record_id},
        )  # fmt: skip
        after = {**_fields(row), "measure": measure, "accountability_record_id": record_id}
        audit.record(
            session, actor, "accountability_proposal.decide", "accountability_proposal", row.id,
            before, after, decision.strip(),
        )  # fmt: skip
    return row


def _record_measure(
    session: Session,
    principal: Principal,
    row: AccountabilityProposal,
    measure: str,
    now: datetime,
    decided_by: str,
) -> int:
    """The campaign's accountability record of a decided proposal (audited there)."""
    plan_id = campaign.latest_plan_id(session)
    unit_name = (
        campaign.subject_name(session, "unit", row.target_unit, plan_id)
        if row.target_unit
        else None
    )
    if row.target_person:
        subject_kind, subject_code = "person", None
        subject_name = f"{row.target_person}（{unit_name}）" if unit_name else row.target_person
    else:
        subject_kind, subject_code, subject_name = "unit", row.target_unit, unit_name or "-"
    record = campaign.record_accountability(
        session,
        principal,
        kind=measure,
        subject_kind=subject_kind,
        subject_code=subject_code,
        subject_name=subject_name,
        link_kind=row.link_kind,
        link_id=row.link_id,
        reason=f"{row.reasons}；问责决定：{row.decision}（问责建议 {row.id}）",
        decided_on=to_china(now).date(),
        decided_by=decided_by,
        plan_id=plan_id,
        is_sample=row.is_sample,
    )
    return record.id


def _on_case(
    session: Session,
    case_id: int,
    actor: str,
    now: datetime,
    event: str,
    row: AccountabilityProposal,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    case = service.get_case(session, case_id)
    service.add_timeline_entry(
        session, case, event, actor, now, note.strip() or row.reasons,
        {"proposal_id": row.id, **(details or {})},
    )  # fmt: skip


def proposals_for(session: Session, case_id: int) -> list[AccountabilityProposal]:
    return list(
        session.scalars(
            select(AccountabilityProposal)
            .where(
                AccountabilityProposal.link_kind == LINK_KIND,
                AccountabilityProposal.link_id == str(case_id),
            )
            .order_by(AccountabilityProposal.id)
        )
    )


def pending(session: Session) -> list[AccountabilityProposal]:
    """Proposals waiting for the office or the accountability group."""
    return list(
        session.scalars(
            select(AccountabilityProposal)
            .where(AccountabilityProposal.status.in_(("proposed", "approved")))
            .order_by(AccountabilityProposal.proposed_at)
        )
    )
