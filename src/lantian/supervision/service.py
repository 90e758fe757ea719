"""Use cases of inspection cases: record, open from another module (deduplicated), take a step,
attach evidence, escalate overdue cases, and read boards and progress.

Every change a person makes is written to the audit log in the same transaction by the session
hook (:mod:`lantian.db.audited`: each step runs inside ``acting_as`` with its verb, the note as the
reason, evidence files as ``case_evidence.add``); automatic changes (a rule opening a case, the escalation job)
are audited too, under the actor ``system:<what>``, so that the timeline never has a gap.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lantian.auth import audit
from lantian.auth.permissions import Principal, Resource
from lantian.db.audited import acting_as
from lantian.errors import FieldProblem, InputError, Invalid, NotFound
from lantian.files import FileStore, check_upload
from lantian.plan import Plan, plan_in_force
from lantian.supervision import rules
from lantian.supervision.models import (
    CASE_SOURCES,
    SEVERITIES,
    CaseEvent,
    CaseEvidence,
    CaseOccurrence,
    InspectionCase,
)
from lantian.supervision.rules import CaseFacts, CaseState, EscalationPolicy
from lantian.timeutil import CHINA_TZ

_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])

SOURCE_LABELS = {
    "inspection_team": ("督查组交办", "inspection team"),
    "patrol": ("巡查发现", "patrol"),
    "hotline": ("群众举报", "hotline"),
    "rule": ("系统规则", "automatic rule"),
}
SEVERITY_LABELS = {
    "general": ("一般", "general"),
    "serious": ("较重", "serious"),
    "major": ("严重", "major"),
}
#: The actor of automatic changes; the part after the colon says which job or rule.
SYSTEM_ACTOR = "system"

_AREA_CODE = re.compile(r"^\d{9}$")
_UNIT_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
#: Largest evidence file kept (a phone video of a site is the big case; anything larger is a
#: mistake or an abuse, and would be held in memory by the web form).
MAX_EVIDENCE_BYTES = 64 * 2**20
#: Steps whose note is required: a report back, a refusal or a listing must say why.
_NOTE_REQUIRED = {
    rules.CaseEvent.PROGRESS,
    rules.CaseEvent.REPORT,
    rules.CaseEvent.REJECT,
    rules.CaseEvent.REOPEN,
    rules.CaseEvent.LIST,
}


@dataclass(frozen=True)
class EvidenceFile:
    """A file brought as evidence: its original name and its bytes."""

    filename: str
    content: bytes


@dataclass
class CaseDraft:
    """What a new case says (validated by :func:`validate_draft`)."""

    source: str
    title: str
    description: str = ""
    area_code: str | None = None
    site: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    severity: str = "general"
    unit_code: str | None = None
    deadline: datetime | None = None
    reference: str | None = None
    is_sample: bool = False


def validate_draft(draft: CaseDraft) -> None:
    """Refuse a draft with a clear message saying which field is wrong and why (every bad field
    in ``problems``, each a :class:`FieldProblem`)."""
    refuse(draft_problems(draft))


def draft_problems(draft: CaseDraft) -> list[FieldProblem]:
    """Every field of ``draft`` that is malformed, with why."""
    problems: list[FieldProblem] = []

    def bad(field_name: str, message: str) -> None:
        problems.append(FieldProblem(field_name, message))

    if draft.source not in CASE_SOURCES:
        bad("source",
            f"来源 {draft.source!r} 未知，可选 {', '.join(CASE_SOURCES)} / unknown source "
            f"{draft.source!r}; choose one of {', '.join(CASE_SOURCES)}")  # fmt: skip
    if not draft.title.strip():
        bad("title", "案件标题不能为空 / the case needs a title (what is wrong)")
    if len(draft.title) > 200:
        bad("title", "案件标题超过 200 字 / the title exceeds 200 characters")
    if draft.severity not in SEVERITIES:
        bad("severity",
            f"严重程度 {draft.severity!r} 未知，可选 {', '.join(SEVERITIES)} / unknown severity")  # fmt: skip
    if draft.area_code is not None and not _AREA_CODE.match(draft.area_code):
        bad("area_code",
            f"区域代码 {draft.area_code!r} 应为 9 位国家统计局乡级代码（如 410183100）/ "
            "the area code must be the 9-digit NBS township code (e.g. 410183100)")  # fmt: skip
    if draft.unit_code is not None and not _UNIT_CODE.match(draft.unit_code):
        bad("unit_code",
            f"单位代码 {draft.unit_code!r} 无效（如 hbj 环保局）/ invalid unit code "
            "(letters, digits, _ or -, e.g. hbj)")  # fmt: skip
    if (draft.longitude is None) != (draft.latitude is None):
        bad("longitude", "坐标需同时给出经度和纬度 / give both longitude and latitude")
    if draft.longitude is not None and not (
        -180 <= draft.longitude <= 180 and -90 <= (draft.latitude or 0) <= 90
    ):
        bad("longitude",
            "坐标超出范围 / coordinates out of range (longitude, latitude in WGS-84)")  # fmt: skip
    if draft.deadline is not None and draft.deadline.tzinfo is None:
        bad("deadline", "期限必须带时区 / the deadline needs a time zone")
    return problems


def plan_problems(
    plan: Plan,
    now: datetime,
    *,
    area_code: str | None = None,
    unit_code: str | None = None,
    deadline: datetime | None = None,
) -> list[FieldProblem]:
    """What a person's case input gets wrong against the plan in force: an area that is not one
    of the plan's townships and sub-districts (``areas.csv``), a unit that is not one of its units
    (``units.csv``), a deadline before today (China time, by the platform clock's ``now``).

    Cases opened by a rule (:func:`open_case`) are not held to it: a monitoring rule may open a
    case for a station outside the plan's areas.
    """
    problems = []
    if area_code is not None and area_code not in plan.area_names():
        problems.append(FieldProblem(
            "area_code",
            f"区域 {area_code} 不在计划的乡镇（街道）名单中 / area {area_code!r} is not one of "
            "the plan's townships or sub-districts",
        ))  # fmt: skip
    if unit_code is not None and unit_code not in plan.unit_names():
        problems.append(FieldProblem(
            "unit_code",
            f"单位 {unit_code} 不在计划的责任单位名单中 / unit {unit_code!r} is not one of the "
            "plan's units",
        ))  # fmt: skip
    if deadline is not None and deadline.tzinfo is not None:
        today = now.astimezone(CHINA_TZ).date()
        if deadline.astimezone(CHINA_TZ).date() < today:
            problems.append(FieldProblem(
                "deadline",
                f"期限 {deadline.astimezone(CHINA_TZ):%Y-%m-%d %H:%M} 早于今天 {today} / the "
                "deadline is in the past",
            ))  # fmt: skip
    return problems


def refuse(problems: Sequence[FieldProblem]) -> None:
    """Raise one :class:`Invalid` carrying every problem (its field and message: the first)."""
    if problems:
        raise Invalid(problems[0].message, field=problems[0].field, problems=problems)


def facts_of(case: InspectionCase) -> CaseFacts:
    return CaseFacts(CaseState(case.state), case.listed, case.unit_code, case.area_code)


def _snapshot(case: InspectionCase) -> dict[str, Any]:
    return {
        "state": case.state,
        "unit_code": case.unit_code,
        "area_code": case.area_code,
        "deadline": case.deadline,
        "listed": case.listed,
        "overdue_since": case.overdue_since,
        "severity": case.severity,
        "title": case.title,
    }


def _event(
    session: Session,
    case: InspectionCase,
    event: str,
    from_state: str | None,
    actor: str,
    at: datetime,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    row = CaseEvent(
        case_id=case.id,
        event=event,
        from_state=from_state,
        to_state=case.state,
        actor=actor,
        at=at,
        note=note,
        details=audit.jsonable(details) if details else None,
    )
    session.add(row)
    session.flush()
    return row


def add_timeline_entry(
    session: Session,
    case: InspectionCase,
    event: str,
    actor: str,
    at: datetime,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    """A timeline entry that does not change the case's state (e.g. an accountability step)."""
    return _event(session, case, event, case.state, actor, at, note, details)


# --- evidence --------------------------------------------------------------------------------


def attach_evidence(
    session: Session,
    case: InspectionCase,
    files: Iterable[EvidenceFile],
    data_dir: Path,
    actor: str,
    at: datetime,
    event: CaseEvent | None = None,
) -> list[CaseEvidence]:
    """Keep each file in the data folder's file store (:mod:`lantian.files`) and list it on the
    case; the same bytes are stored once, and a stored original is never rewritten."""
    store = FileStore(data_dir)
    added = []
    items = list(files)
    # Every file is checked before any is kept: a refused file leaves nothing in the store.
    names = [
        check_upload(
            item.filename,
            item.content,
            max_bytes=MAX_EVIDENCE_BYTES,
            default_name="evidence",
            field="evidence",
        )
        for item in items
    ]
    for name, item in zip(names, items, strict=True):
        kept = store.put_bytes(item.content)
        row = CaseEvidence(
            case_id=case.id,
            event_id=event.id if event else None,
            filename=name[:255],
            sha256=kept.sha256,
            size_bytes=kept.size,
            stored_path=kept.path,
            added_by=actor,
            added_at=at,
        )
        session.add(row)
        added.append(row)
    session.flush()
    return added


# --- creating cases ----------------------------------------------------------------------------


def record_case(
    session: Session,
    principal: Principal,
    draft: CaseDraft,
    now: datetime,
    *,
    evidence: Sequence[EvidenceFile] = (),
    data_dir: Path | None = None,
    plan: Plan | None = None,
) -> InspectionCase:
    """A person records a case (交办): an inspector taking it from the inspection team, or the office.

    Its area and unit are the ``plan``'s (default: the plan in force), its deadline not before
    today; every bad field is reported at once (:class:`Invalid` with ``problems``).
    """
    if not rules.may_create(principal):
        raise rules.NotPermitted(
            f"{principal.role} 账户不能登记案件（督查组和攻坚办登记）/ a {principal.role} account "
            "cannot record cases (inspectors and the office do)"
        )
    problems = draft_problems(draft)
    wrong = {problem.field for problem in problems}
    problems += plan_problems(
        plan or plan_in_force(), now,
        area_code=None if "area_code" in wrong else draft.area_code,
        unit_code=None if "unit_code" in wrong else draft.unit_code,
        deadline=None if "deadline" in wrong else draft.deadline,
    )  # fmt: skip
    refuse(problems)
    audit.lock_chain(session)  # before the first read: see lock_chain (SQLite's stale snapshots)
    actor = principal.username or "public"
    if evidence and data_dir is None:
        raise ValueError("data_dir is required to keep evidence files")
    # The session hook logs the new case (every column) as inspection_case.create.
    with acting_as(session, actor, action="inspection_case.create"):
        case = _new_case(session, draft, actor, now, dedup_key=None)
        created = _event(session, case, "created", None, actor, now, draft.description)
    if evidence:
        assert data_dir is not None
        _attach_audited(session, case, evidence, data_dir, actor, now, created)
    return case


def _attach_audited(
    session: Session,
    case: InspectionCase,
    evidence: Sequence[EvidenceFile],
    data_dir: Path,
    actor: str,
    now: datetime,
    event: CaseEvent,
) -> None:
    """Attach a step's files, each logged as ``case_evidence.add`` (after the step's own entry)."""
    with acting_as(session, actor, action="case_evidence.add"):
        attach_evidence(session, case, evidence, data_dir, actor, now, event)


def _new_case(
    session: Session, draft: CaseDraft, actor: str, now: datetime, dedup_key: str | None
) -> InspectionCase:
    case = InspectionCase(
        source=draft.source,
        reference=draft.reference,
        dedup_key=dedup_key,
        open_dedup_key=dedup_key,
        title=draft.title.strip(),
        description=draft.description,
        area_code=draft.area_code,
        site=draft.site,
        longitude=draft.longitude,
        latitude=draft.latitude,
        severity=draft.severity,
        unit_code=draft.unit_code,
        deadline=draft.deadline,
        state=CaseState.ASSIGNED.value,
        listed=False,
        occurrences=1,
        first_seen_at=now,
        last_seen_at=now,
        created_by=actor,
        created_at=now,
        updated_at=now,
        is_sample=draft.is_sample,
    )
    session.add(case)
    session.flush()
    return case


def dedup_key(source: str, rule: str, subject: str) -> str:
    """The key under which one open case collects every occurrence of the same problem."""
    for name, part in (("source", source), ("rule", rule), ("subject", subject)):
        if not part.strip():
            raise InputError(f"去重键缺少 {name} / the deduplication key needs its {name}")
    key = f"{source}|{rule}|{subject}"
    if len(key) > 200:
        raise InputError("去重键超过 200 字符 / the deduplication key exceeds 200 characters")
    return key


@dataclass(frozen=True)
class OpenedCase:
    case_id: int
    created: bool
    occurrences: int


def open_case(
    session: Session,
    *,
    rule: str,
    subject: str,
    draft: CaseDraft,
    observed_at: datetime,
    details: dict[str, Any] | None = None,
) -> OpenedCase:
    """The API other modules call: open a case for a problem a rule found, or add to its open case.

    ``rule`` names the rule (``cems.exceedance``), ``subject`` what it is about (``stack:41018300012-01
    :SO2``). While a case with the same (source, rule, subject) is open, a new call appends an
    occurrence to it instead of opening another: a stack exceeding every hour for a day is one case
    with 24 occurrences. A repeated call for the same ``observed_at`` changes nothing. Once the case
    is closed, the next occurrence opens a new case. The first call's ``draft`` describes the case;
    later drafts only add occurrences (people change the case through its steps).
    """
    validate_draft(draft)
    if observed_at.tzinfo is None:
        raise InputError("observed_at 必须带时区 / observed_at needs a time zone")
    key = dedup_key(draft.source, rule, subject)
    actor = f"{SYSTEM_ACTOR}:{rule}"[:100]
    # Writers of the same key wait here for each other (and the audit chain needs the lock anyway);
    # the unique open_dedup_key still guards a caller that forgot to take it.
    audit.lock_chain(session)
    existing = _open_case_with_key(session, key)
    if existing is None:
        try:
            with (
                session.begin_nested(),
                acting_as(session, actor, action="inspection_case.open"),
            ):
                case = _new_case(session, draft, actor, observed_at, dedup_key=key)
                case.reference = case.reference or rule
                _event(
                    session,
                    case,
                    "created",
                    None,
                    actor,
                    observed_at,
                    draft.description,
                    {"rule": rule, "subject": subject},
                )
                session.add(
                    CaseOccurrence(
                        case_id=case.id,
                        observed_at=observed_at,
                        details=audit.jsonable(details) if details else None,
                    )
                )
                session.flush()
        except IntegrityError:
            # Another writer opened the case between our look-up and our insert: join it.
            existing = _open_case_with_key(session, key)
            if existing is None:
                raise
        else:
            return OpenedCase(case.id, True, 1)
    return _add_occurrence(session, existing, observed_at, details)


def open_case_id(session: Session, *, source: str, rule: str, subject: str) -> int | None:
    """The id of the open case collecting (``source``, ``rule``, ``subject``), if there is one:
    a read-only look-up for pages showing what a rule's breaches became (no lock taken)."""
    return session.scalar(
        select(InspectionCase.id).where(
            InspectionCase.open_dedup_key == dedup_key(source, rule, subject)
        )
    )


def _open_case_with_key(session: Session, key: str) -> InspectionCase | None:
    query = select(InspectionCase).where(InspectionCase.open_dedup_key == key)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def _add_occurrence(
    session: Session, case: InspectionCase, observed_at: datetime, details: dict[str, Any] | None
) -> OpenedCase:
    already = session.scalar(
        select(CaseOccurrence.id).where(
            CaseOccurrence.case_id == case.id, CaseOccurrence.observed_at == observed_at
        )
    )
    if already is None:
        session.add(
            CaseOccurrence(
                case_id=case.id,
                observed_at=observed_at,
                details=audit.jsonable(details) if details else None,
            )
        )
        case.occurrences += 1
        case.first_seen_at = min(case.first_seen_at, observed_at)
        case.last_seen_at = max(case.last_seen_at, observed_at)
        session.flush()
    return OpenedCase(case.id, False, case.occurrences)


# --- taking steps ------------------------------------------------------------------------------


def get_case(session: Session, case_id: int) -> InspectionCase:
    case = session.get(InspectionCase, case_id)
    if case is None:
        raise NotFound(f"案件 {case_id} 不存在 / no case {case_id}")
    return case


def case_resources(session: Session, case_ids: Iterable[str]) -> dict[tuple[str, str], Resource]:
    """The unit and area of each case, keyed ("inspection_case", id) as other packages link to
    cases — for them to decide who may read what they keep about a case (accountability records).
    Ids that are not numbers or not cases are left out."""
    ids = {int(text) for text in case_ids if str(text).isdigit()}
    if not ids:
        return {}
    rows = session.scalars(select(InspectionCase).where(InspectionCase.id.in_(ids)))
    return {("inspection_case", str(case.id)): facts_of(case).as_resource() for case in rows}


#: What each step takes besides the note, and which of it is required: the page shows a step's
#: fields only, and :func:`step_problems` holds the input to it.
STEP_FIELDS: dict[rules.CaseEvent, dict[str, bool]] = {
    rules.CaseEvent.FORWARD: {"unit_code": True, "deadline": False},
    rules.CaseEvent.LIST: {"deadline": True},
    rules.CaseEvent.REOPEN: {"deadline": False},
}
#: The steps whose note is required (the others take an optional note).
NOTE_REQUIRED = frozenset(_NOTE_REQUIRED)


def step_problems(
    plan: Plan,
    case: InspectionCase,
    step: rules.CaseEvent,
    now: datetime,
    *,
    note: str,
    unit_code: str | None,
    deadline: datetime | None,
) -> list[FieldProblem]:
    """Every field of a step that is missing or wrong: the note a report, refusal or listing needs;
    the responsible unit forwarding needs (the one given, or the case's own: a case forwarded to
    nobody is stuck, as nobody may accept it), one of the plan's units; the deadline a listing
    needs, only on steps that set one, not before today."""
    problems: list[FieldProblem] = []
    takes = STEP_FIELDS.get(step, {})
    if step in _NOTE_REQUIRED and not note:
        zh, en = rules.EVENT_LABELS[step]
        problems.append(FieldProblem("note", f"“{zh}”须填写说明 / the step {en!r} needs a note"))
    if unit_code is not None and "unit_code" not in takes:
        problems.append(FieldProblem(
            "unit_code", "只有转办可以更改责任单位 / only forwarding changes the responsible unit"
        ))  # fmt: skip
    elif unit_code is not None:
        problems += [p for p in draft_problems(CaseDraft(source=case.source, title=case.title,
                                                         unit_code=unit_code))
                     if p.field == "unit_code"]  # fmt: skip
    elif takes.get("unit_code") and case.unit_code is None:
        problems.append(FieldProblem(
            "unit_code", "转办须指定责任单位 / forwarding needs the responsible unit"
        ))  # fmt: skip
    if deadline is not None and deadline.tzinfo is None:
        problems.append(FieldProblem("deadline", "期限必须带时区 / the deadline needs a time zone"))
    elif deadline is not None and "deadline" not in takes:
        problems.append(FieldProblem(
            "deadline", "此步骤不能更改期限 / this step does not change the deadline"
        ))  # fmt: skip
    elif deadline is None and takes.get("deadline"):
        problems.append(FieldProblem(
            "deadline", "挂牌督办须给出整改期限 / listed supervision needs a deadline"
        ))  # fmt: skip
    wrong = {problem.field for problem in problems}
    problems += plan_problems(
        plan, now,
        unit_code=None if "unit_code" in wrong else unit_code,
        deadline=None if "deadline" in wrong else deadline,
    )  # fmt: skip
    return problems


def take_step(
    session: Session,
    principal: Principal,
    case_id: int,
    event: rules.CaseEvent | str,
    now: datetime,
    *,
    note: str = "",
    unit_code: str | None = None,
    deadline: datetime | None = None,
    evidence: Sequence[EvidenceFile] = (),
    data_dir: Path | None = None,
    plan: Plan | None = None,
) -> InspectionCase:
    """Take one step of the case's life, as ``principal``, recorded on the timeline and audited.

    ``forward`` may name (or change) the responsible unit and set the deadline; ``list`` must set
    the listed-supervision deadline; ``reopen`` may set a new deadline. What each step needs is
    :data:`STEP_FIELDS`; every bad field is reported at once (see :func:`step_problems`).
    """
    step = rules.CaseEvent(event)
    audit.lock_chain(session)
    case = get_case(session, case_id)
    before = _snapshot(case)
    new_state = rules.check(principal, facts_of(case), step)
    note = note.strip()
    refuse(step_problems(plan or plan_in_force(), case, step, now,
                         note=note, unit_code=unit_code, deadline=deadline))  # fmt: skip
    if evidence and data_dir is None:
        raise ValueError("data_dir is required to keep evidence files")
    actor = principal.username or "public"
    # The session hook logs the step: the changed columns before and after, the note as reason.
    with acting_as(session, actor, action=f"inspection_case.{step.value}", reason=note or None):
        if step is rules.CaseEvent.FORWARD and unit_code is not None:
            case.unit_code = unit_code
        from_state = case.state
        case.state = new_state.value
        if deadline is not None:
            case.deadline = deadline
            case.overdue_since = None
        if step is rules.CaseEvent.LIST:
            case.listed = True
            case.listed_at = now
        if new_state in (CaseState.REPORTED, CaseState.CLOSED):
            case.overdue_since = None
        if step is rules.CaseEvent.CLOSE:
            case.closed_at = now
            case.open_dedup_key = None
        if step is rules.CaseEvent.REOPEN:
            case.closed_at = None
            if case.dedup_key and _open_case_with_key(session, case.dedup_key) is None:
                case.open_dedup_key = case.dedup_key
        case.updated_at = now
        after = _snapshot(case)
        changed = {k: v for k, v in after.items() if before[k] != v and k != "state"}
        row = _event(session, case, step.value, from_state, actor, now, note, changed or None)
    if evidence:
        assert data_dir is not None
        _attach_audited(session, case, evidence, data_dir, actor, now, row)
    return case


# --- escalation ------------------------------------------------------------------------------


@dataclass
class EscalationReport:
    flagged: list[int] = field(default_factory=list)
    listed: list[int] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    listed_and_overdue: list[int] = field(default_factory=list)


def run_escalation(
    session: Session, now: datetime, policy: EscalationPolicy = EscalationPolicy()
) -> EscalationReport:
    """The scheduled job (``lantian cases escalate``): flag overdue cases and list the late ones.

    Run it as often as wished (hourly from cron or any scheduler): at a given ``now`` a second run
    changes nothing. ``now`` is a parameter so that tests and back-fills control the clock.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    actor = f"{SYSTEM_ACTOR}:escalation"
    report = EscalationReport()
    audit.lock_chain(session)
    candidates = session.scalars(
        select(InspectionCase)
        .where(
            InspectionCase.state != CaseState.CLOSED.value,
            (InspectionCase.deadline.is_not(None)) | (InspectionCase.overdue_since.is_not(None)),
        )
        .order_by(InspectionCase.id)
    ).all()
    for case in candidates:
        facts = rules.DeadlineFacts(
            CaseState(case.state), case.listed, case.deadline, case.overdue_since
        )
        decision = rules.escalation_decision(facts, now, policy)
        if decision.listed_and_overdue:
            report.listed_and_overdue.append(case.id)
        if not decision.changes_case:
            continue
        before = _snapshot(case)
        if decision.list_case:
            note = "逾期未整改，自动挂牌督办 / overdue: listed for supervision automatically"
            event = "list"
            report.listed.append(case.id)
        elif decision.flag_overdue:
            note = "超过整改期限 / past its deadline"
            event = "overdue"
            report.flagged.append(case.id)
        else:
            note = "不再逾期 / no longer overdue"
            event = "overdue_cleared"
            report.cleared.append(case.id)
        # The session hook logs the change (changed columns), the note as the reason.
        with acting_as(session, actor, action=f"inspection_case.{event}", reason=note):
            if decision.list_case:
                assert decision.new_deadline is not None
                case.listed, case.listed_at = True, now
                case.deadline, case.overdue_since = decision.new_deadline, None
            elif decision.flag_overdue:
                case.overdue_since = now
            else:
                case.overdue_since = None
            case.updated_at = now
            after = _snapshot(case)
            changed = {k: v for k, v in after.items() if before[k] != v}
            _event(session, case, event, case.state, actor, now, note, changed)
    return report


# --- reading -----------------------------------------------------------------------------------


def scoped(query: _Query, principal: Principal) -> _Query:
    """Restrict a query on cases to what ``principal`` may read (its unit or area when scoped)."""
    if principal.role == "unit":
        return query.where(InspectionCase.unit_code == principal.scope)
    if principal.role == "township":
        return query.where(InspectionCase.area_code == principal.scope)
    if principal.role in ("administrator", "campaign_office", "leader", "inspector"):
        return query
    return query.where(InspectionCase.id.is_(None))  # nobody else reads cases


def list_cases(
    session: Session,
    principal: Principal,
    *,
    state: str | None = None,
    unit_code: str | None = None,
    area_code: str | None = None,
    overdue: bool | None = None,
    case_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    open_only: bool = False,
) -> tuple[list[InspectionCase], int]:
    """Cases ``principal`` may read, newest first, and how many there are in all (``open_only``:
    those not closed, as the overview counts them)."""
    query = scoped(select(InspectionCase), principal)
    if case_id is not None:
        query = query.where(InspectionCase.id == case_id)
    if state:
        if state not in {s.value for s in CaseState}:
            raise InputError(
                f"未知状态 {state!r}，可选 {', '.join(s.value for s in CaseState)} / unknown state"
            )
        query = query.where(InspectionCase.state == state)
    if unit_code:
        query = query.where(InspectionCase.unit_code == unit_code)
    if area_code:
        query = query.where(InspectionCase.area_code == area_code)
    if overdue is True:
        query = query.where(InspectionCase.overdue_since.is_not(None))
    if open_only:
        query = query.where(InspectionCase.state != CaseState.CLOSED.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(InspectionCase.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def timeline(session: Session, case_id: int) -> list[tuple[CaseEvent, list[CaseEvidence]]]:
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id)
    ).all()
    files = session.scalars(select(CaseEvidence).where(CaseEvidence.case_id == case_id)).all()
    by_event: dict[int | None, list[CaseEvidence]] = {}
    for item in files:
        by_event.setdefault(item.event_id, []).append(item)
    return [(event, by_event.get(event.id, [])) for event in events]


def occurrences(session: Session, case_id: int) -> list[CaseOccurrence]:
    return list(
        session.scalars(
            select(CaseOccurrence)
            .where(CaseOccurrence.case_id == case_id)
            .order_by(CaseOccurrence.observed_at)
        )
    )


@dataclass(frozen=True)
class UnitProgress:
    """边督边改 progress of one responsible unit (or area, for cases forwarded to a township)."""

    unit_code: str
    total: int
    by_state: dict[str, int]
    overdue: int
    listed: int

    @property
    def closed(self) -> int:
        return self.by_state.get(CaseState.CLOSED.value, 0)

    @property
    def done(self) -> int:
        """Rectified: reported back or closed."""
        return self.closed + self.by_state.get(CaseState.REPORTED.value, 0)

    @property
    def closed_percent(self) -> float:
        return 100.0 * self.closed / self.total if self.total else 0.0


def rectification_progress(session: Session, principal: Principal) -> list[UnitProgress]:
    """Cases per responsible unit and state, overdue and listed counts (边督边改 per unit)."""
    rows = session.execute(
        scoped(
            select(
                InspectionCase.unit_code,
                InspectionCase.state,
                InspectionCase.overdue_since.is_not(None),
                InspectionCase.listed,
                func.count(),
            ),
            principal,
        ).group_by(
            InspectionCase.unit_code,
            InspectionCase.state,
            InspectionCase.overdue_since.is_not(None),
            InspectionCase.listed,
        )
    ).all()
    states: dict[str, Counter[str]] = {}
    overdue: Counter[str] = Counter()
    listed: Counter[str] = Counter()
    for unit, state, is_overdue, is_listed, count in rows:
        key = unit or "-"
        states.setdefault(key, Counter())[state] += count
        if is_overdue:
            overdue[key] += count
        if is_listed:
            listed[key] += count
    return [
        UnitProgress(unit, sum(counter.values()), dict(counter), overdue[unit], listed[unit])
        for unit, counter in sorted(states.items())
    ]


def open_case_counts(session: Session, who: Principal) -> tuple[int, int]:
    """How many cases ``who`` may see are not closed, and how many of them are overdue."""
    query = scoped(select(InspectionCase), who).where(
        InspectionCase.state != CaseState.CLOSED.value
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    overdue = (
        session.scalar(
            select(func.count()).select_from(
                query.where(InspectionCase.overdue_since.is_not(None)).subquery()
            )
        )
        or 0
    )
    return total, overdue


@dataclass(frozen=True)
class PeriodCases:
    """Inspection cases over a period, as a briefing reports them (边督边改)."""

    opened: int  # first seen in the period
    closed: int  # closed in the period
    open_at_end: int  # not closed at the period's end (opened by then, closed after or never)
    overdue_open: int  # of those, overdue now (past their deadline and not closed)


def period_cases(
    session: Session, principal: Principal, start: datetime, end: datetime
) -> PeriodCases:
    """How many cases ``principal`` may read were opened and closed in ``start … end`` (end
    excluded), how many were still open at ``end``, and how many of those are overdue."""
    base = scoped(select(InspectionCase), principal)

    def count(query: Any) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    still_open = base.where(
        InspectionCase.first_seen_at < end,
        (InspectionCase.closed_at.is_(None)) | (InspectionCase.closed_at >= end),
    )
    return PeriodCases(
        opened=count(
            base.where(InspectionCase.first_seen_at >= start, InspectionCase.first_seen_at < end)
        ),
        closed=count(base.where(InspectionCase.closed_at >= start, InspectionCase.closed_at < end)),
        open_at_end=count(still_open),
        overdue_open=count(still_open.where(InspectionCase.overdue_since.is_not(None))),
    )
