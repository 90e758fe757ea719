"""From an inspection case to an enforcement action (safeguard 三, task 21 即超即罚): the new-entry
form of the ``enforcement_action`` register opened from the case's page, filled in with what the
case says — its number, township, responsible unit, and its subject (a register entry's key and,
where the entry names an enterprise of the inventory, its credit code and name) — and the actions
already recorded from a case, listed on its page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.sources.kinds.enforcement_actions import CREDIT_CODE, KIND, EnforcementAction
from lantian.sources.registry import kinds
from lantian.supervision.models import InspectionCase

#: The subject kind an action gets from the register kind a case's rule came from.
SUBJECT_OF_KIND = {
    "construction_site": "site",
    "muck_truck": "vehicle",
    "muck_truck_finding": "vehicle",
    "fuel_station": "fuel_station",
    "vehicle_test": "vehicle",
}
#: Case subjects whose prefix is not their register kind's key: the CEMS judgement names an
#: exceedance episode ``stack:<outlet>:<hour>`` (lantian.cems.judge.Episode.subject).
KIND_OF_PREFIX = {"stack": "stacks"}


def _subject(case: InspectionCase) -> str:
    """The subject part of the case's deduplication key (``source|rule|subject``), or ''."""
    parts = (case.dedup_key or "").split("|", 2)
    return parts[2] if len(parts) == 3 else ""


def prefill(session: Session, case: InspectionCase) -> dict[str, str]:
    """The new action's fields as the case gives them (the person completes and corrects them)."""
    values: dict[str, str] = {
        "case_number": str(case.id),
        "name": (case.site or case.title)[:200],
        "filed_on": clock.today().isoformat(),
        "subject_kind": "other",
    }
    if case.area_code:
        values["area_code"] = case.area_code
    if case.unit_code:
        values["unit_code"] = case.unit_code
    subject = _subject(case)
    # ``<kind>:<entry key>[:<episode>]`` for a register's (or a stack's) case, ``<credit code>:
    # episode-<n>`` for an execution check's: the entry or firm is the part before the episode.
    kind_key, _, rest = subject.partition(":")
    entry_key = rest.split(":", 1)[0]
    kind = kinds().get(KIND_OF_PREFIX.get(kind_key, kind_key)) if entry_key else None
    if kind is None and re.fullmatch(CREDIT_CODE, kind_key):
        subject = kind_key
    subject_key = entry_key if kind is not None else subject
    if subject_key:
        values["subject_key"] = subject_key[:64]
    if kind is not None:
        values["subject_kind"] = SUBJECT_OF_KIND.get(kind.key, "other")
        record: Any = session.scalar(select(kind.model).where(kind.model.key == entry_key))
        if record is not None:
            values["name"] = record.name
            # The inventory's firm the entry names (a kind's enterprise field, or the plain
            # ``credit_code`` column of kinds keyed by firm such as the discharge permits).
            code = getattr(record, kind.enterprise_field or "credit_code", None)
            if isinstance(code, str) and re.fullmatch(CREDIT_CODE, code):
                values["credit_code"] = code
                values["subject_kind"] = "enterprise"
    elif subject_key and re.fullmatch(CREDIT_CODE, subject_key):
        values["credit_code"] = subject_key
        values["subject_kind"] = "enterprise"
    return values


def new_action_url(session: Session, case: InspectionCase) -> str:
    """The register's new-entry form, filled in from ``case``."""
    return f"/sources/{KIND.key}/new?{urlencode(prefill(session, case))}"


def actions_of_case(session: Session, case_id: int) -> list[EnforcementAction]:
    """The enforcement actions recorded from the case (every reader of the case sees that they
    exist; the action's page is scoped as the register is)."""
    return list(
        session.scalars(
            select(EnforcementAction)
            .where(EnforcementAction.case_number == str(case_id))
            .order_by(EnforcementAction.key)
        )
    )
