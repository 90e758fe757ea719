"""The public disclosure list of enforcement actions (处罚公示; safeguard 三（一）"公开 … 接受社会监督",
（三）"重管、重罚、重处"): what the public site shows without login.

Only actions that stand (decided, neither withdrawn nor revoked) and were disclosed on or before
today appear, and only what a decision discloses: its number, the subject's name, the type, the
amount, the legal basis, the dates and the public summary — never a person's contact, the
subject's key (a plate, a credit code is the decision's, not the list's) or internal notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.sources.kinds.enforcement_actions import (
    ACTION_TYPES,
    STANDING_STATES,
    EnforcementAction,
)

#: The newest disclosures shown (the list is a notice board, not an archive).
LIMIT = 500


@dataclass(frozen=True)
class DisclosedAction:
    decision_number: str
    subject_name: str
    action_type: str
    action_type_zh: str
    amount: float | None
    daily_fine_days: int | None
    legal_basis: str
    decided_on: date | None
    disclosed_on: date
    summary: str


def disclosed_actions(session: Session, today: date | None = None) -> list[DisclosedAction]:
    """The actions disclosed on or before ``today`` (China), newest disclosure first."""
    day = today or clock.today()
    model = EnforcementAction
    records = session.scalars(
        select(model)
        .where(
            model.disclosed_on.is_not(None),
            model.disclosed_on <= day,
            model.state.in_(sorted(STANDING_STATES)),
        )
        .order_by(model.disclosed_on.desc(), model.key)
        .limit(LIMIT)
    )
    return [
        DisclosedAction(
            decision_number=record.document_number or record.key,
            subject_name=record.name,
            action_type=record.action_type,
            action_type_zh=ACTION_TYPES.get(record.action_type, record.action_type),
            amount=record.total_amount,
            daily_fine_days=record.daily_days,
            legal_basis=record.legal_basis,
            decided_on=record.decided_on,
            disclosed_on=record.disclosed_on,
            summary=record.public_summary or "",
        )
        for record in records
        if record.disclosed_on is not None
    ]
