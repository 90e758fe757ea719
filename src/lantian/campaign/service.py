"""Use cases of the campaign plan: load a plan folder, report progress, review, escalate, hold to
account. Every change goes to the audit log in the same transaction (actor: the signed-in person,
or "plan-load" for a plan load).
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

from lantian import clock
from lantian.auth import audit
from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Action, Principal, Resource, can, resource
from lantian.campaign import rules
from lantian.campaign.models import (
    ACCOUNTABILITY_KINDS,
    REPORT_STATUSES,
    SUBJECT_KINDS,
    AccountabilityRecord,
    CampaignArea,
    CampaignCalendarDay,
    CampaignLeader,
    CampaignPlan,
    CampaignTarget,
    CampaignTask,
    CampaignUnit,
    ProgressEvidence,
    ProgressIndicatorValue,
    ProgressReport,
    ProgressReview,
)
from lantian.campaign.workdays import WorkCalendar
from lantian.db.audited import acting_as
from lantian.db.base import utc_now
from lantian.errors import Conflict, InputError, NotAllowed, NotFound
from lantian.files import FileStore, StoredFile, check_upload
from lantian.plan import Plan
from lantian.plan.schema import PlanFile

PLAN_LOAD_ACTOR = "plan-load"
#: Evidence files larger than this are refused (scans of signed lists, photos).
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


#: The principal may not do this (the faces answer 403): the taxonomy's :class:`NotAllowed`.
PermissionDenied = NotAllowed


# --------------------------------------------------------------------------------------------
# Loading a plan folder
# --------------------------------------------------------------------------------------------


@dataclass
class LoadCounts:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


@dataclass
class LoadResult:
    plan_code: str
    counts: dict[str, LoadCounts] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.added or c.updated or c.removed for c in self.counts.values())


def plan_digest(folder: Path) -> str:
    """SHA-256 over the names and bytes of the folder's files (sorted), to tell loads apart."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _task_fields(plan: Plan) -> dict[str, dict[str, Any]]:
    rows = {}
    for task in plan.tasks():
        a = task.assignment
        rows[task.ref] = {
            "number": task.number,
            "item": task.item,
            "sort_order": task.sort_order,
            "section_number": task.section_number,
            "section_title": task.section_title,
            "title": task.title,
            "text": task.text,
            "leaders": a.leaders,
            "leaders_text": a.leaders_text,
            "lead_units": a.lead_units,
            "lead_units_text": a.lead_units_text,
            "cooperating_units": a.cooperating_units,
            "cooperating_units_text": a.cooperating_units_text,
            "responsible_areas": a.responsible_areas.model_dump(mode="json")
            if a.responsible_areas
            else None,
            "deadlines": [d.model_dump(mode="json", exclude_none=True) for d in a.deadlines],
            "active": True,
        }
    return rows


def _target_fields(plan: Plan) -> dict[str, dict[str, Any]]:
    rows = {}
    for target, task_ref, defined_in in plan.targets():
        rows[target.key] = {
            "task_ref": task_ref,
            "defined_in": defined_in,
            "indicator": target.indicator,
            "comparator": target.comparator,
            "value": float(target.value),
            "unit": target.unit,
            "measure": target.measure,
            "due_on": target.by,
            "source_text": target.source,
            "note": target.note,
            "active": True,
        }
    return rows


def _sync(
    session: Session,
    actor: str,
    plan_row: CampaignPlan,
    model: type[Any],
    key_name: str,
    wanted: Mapping[Any, dict[str, Any]],
    deactivate: bool,
) -> LoadCounts:
    """Make the plan's rows of ``model`` equal ``wanted`` (keyed by ``key_name``); the models are
    :class:`~lantian.campaign.models.PlanPart` rows, audited by the session hook."""
    counts = LoadCounts()
    existing = {
        getattr(row, key_name): row
        for row in session.scalars(select(model).where(model.plan_id == plan_row.id))
    }
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            with acting_as(session, actor):
                session.add(model(plan_id=plan_row.id, **{key_name: key}, **values))
            counts.added += 1
            continue
        changed = {n: v for n, v in values.items() if getattr(row, n) != v}
        if changed:
            with acting_as(session, actor):
                for name, value in changed.items():
                    setattr(row, name, value)
            counts.updated += 1
        else:
            counts.unchanged += 1
    for key, row in existing.items():
        if key in wanted:
            continue
        if deactivate:
            if row.active:
                with acting_as(
                    session,
                    actor,
                    action="plan.deactivate",
                    reason="不在计划文件中 / no longer in the plan files",
                ):
                    row.active = False
                counts.removed += 1
        else:
            with acting_as(session, actor):
                session.delete(row)
            counts.removed += 1
    session.flush()
    return counts


def _plan_header(plan: Plan, meta: PlanFile) -> dict[str, Any]:
    """The plan row's fields: the plan's own, its digest, and the documents kept whole."""
    document = {
        "plan": meta.model_dump(mode="json", exclude_none=True),
        "annex": plan.annex.model_dump(mode="json", exclude_none=True) if plan.annex else None,
        "inspection": plan.inspection.model_dump(mode="json", exclude_none=True, by_alias=True)
        if plan.inspection
        else None,
    }
    header = {
        "title": meta.title,
        "document_number": meta.document_number,
        "issued_on": meta.issued_on,
        "campaign_office": meta.campaign_office,
        "content_sha256": plan_digest(plan.folder),
        "document": document,
    }
    return header


def _sync_plan_row(
    session: Session, actor: str, code: str, header: dict[str, Any]
) -> tuple[CampaignPlan, LoadCounts]:
    """The plan's row added, or updated where its header changed; what was done, counted."""
    plan_row = session.scalar(select(CampaignPlan).where(CampaignPlan.code == code))
    counts = LoadCounts()
    if plan_row is None:
        plan_row = CampaignPlan(code=code, loaded_at=utc_now(), **header)
        with acting_as(session, actor):
            session.add(plan_row)
        counts.added += 1
    else:
        changed = {n: v for n, v in header.items() if getattr(plan_row, n) != v}
        if changed:
            with acting_as(session, actor):
                for name, value in changed.items():
                    setattr(plan_row, name, value)
                plan_row.loaded_at = utc_now()
            counts.updated += 1
        else:
            counts.unchanged += 1
    return plan_row, counts


def load_plan(session: Session, plan: Plan, actor: str = PLAN_LOAD_ACTOR) -> LoadResult:
    """Load or update ``plan`` into the database, idempotently: a second load changes nothing.

    A plan with problems loads nothing (InputError listing them). Tasks and targets that vanish
    from the files are deactivated, not deleted: progress reports may refer to them.
    """
    if plan.problems or plan.plan is None or plan.tasks_file is None:
        shown = "\n".join(f"  {p}" for p in plan.problems[:30])
        raise InputError(
            f"{plan.folder}: 计划有 {len(plan.problems)} 处问题，未导入 / "
            f"the plan has {len(plan.problems)} problem(s), nothing loaded:\n{shown}"
        )
    audit.lock_chain(session)
    meta = plan.plan
    header = _plan_header(plan, meta)
    result = LoadResult(meta.code)
    plan_row, result.counts["plan"] = _sync_plan_row(session, actor, meta.code, header)
    # The plan's parts, in this order: areas, units, leaders and the calendar stay when they
    # vanish from the files; tasks and targets are deactivated (reports may refer to them).
    parts: list[tuple[str, type[Any], str, Mapping[Any, dict[str, Any]], bool]] = [
        (
            "areas",
            CampaignArea,
            "code",
            {
                a.code: {"name": a.name, "nbs_name": a.nbs_name, "kind": a.kind, "note": a.note}
                for a in plan.areas
            },
            False,
        ),
        (
            "units",
            CampaignUnit,
            "code",
            {
                u.code: {
                    "name": u.name,
                    "aliases": u.aliases,
                    "kind": u.kind,
                    "parent_code": u.parent_code,
                    "note": u.note,
                }
                for u in plan.units
            },
            False,
        ),
        (
            "leaders",
            CampaignLeader,
            "name",
            {leader.name: {"title": leader.title, "note": leader.note} for leader in plan.leaders},
            False,
        ),
        (
            "calendar",
            CampaignCalendarDay,
            "day",
            {d.date: {"kind": d.kind, "name": d.name, "source": d.source} for d in plan.calendar},
            False,
        ),
        ("tasks", CampaignTask, "ref", _task_fields(plan), True),
        ("targets", CampaignTarget, "key", _target_fields(plan), True),
    ]
    for part, model, key_name, wanted, deactivate in parts:
        result.counts[part] = _sync(session, actor, plan_row, model, key_name, wanted, deactivate)
    return result


# --------------------------------------------------------------------------------------------
# Reading the plan
# --------------------------------------------------------------------------------------------


@dataclass
class PlanContext:
    """A loaded plan with its directories, read once per request."""

    plan: CampaignPlan
    areas: dict[str, CampaignArea]
    units: dict[str, CampaignUnit]
    leaders: list[CampaignLeader]
    tasks: list[CampaignTask]
    targets: list[CampaignTarget]
    calendar: WorkCalendar

    @property
    def monthly(self) -> dict[str, Any]:
        found: dict[str, Any] = self.plan.document["plan"]["reporting"]["monthly_progress"]
        return found

    @property
    def periods(self) -> dict[str, Any]:
        found: dict[str, Any] = self.plan.document["plan"]["periods"]
        return found

    def task(self, ref: str) -> CampaignTask:
        for task in self.tasks:
            if task.ref == ref:
                return task
        raise NotFound(f"没有任务 {ref} / no task {ref!r}")

    def reporter_name(self, kind: str, code: str) -> str:
        if kind == "unit" and code in self.units:
            return self.units[code].name
        if kind == "area" and code in self.areas:
            return self.areas[code].name
        return code

    def task_areas(self, task: CampaignTask, *, relevant: bool = True) -> list[str]:
        """Area codes responsible for ``task``: every area of an ``all_of`` kind, the named ones,
        and (``relevant``) those of a ``relevant_of`` kind (the seed's 相关乡镇: not yet known which)."""
        spec = task.responsible_areas or {}
        kinds = set(spec.get("all_of", []))
        if relevant:
            kinds |= set(spec.get("relevant_of", []))
        codes = [code for code, area in self.areas.items() if area.kind in kinds]
        codes += [code for code in spec.get("areas", []) if code not in codes]
        return codes

    def expected_reporters(self, task: CampaignTask) -> list[tuple[str, str]]:
        """Who must report monthly on ``task``: its lead units and its responsible areas (those
        named or of an ``all_of`` kind). Cooperating units report through the lead unit, and the
        "relevant" areas (相关乡镇) cannot be expected before the office names them."""
        return [("unit", code) for code in task.lead_units] + [
            ("area", code) for code in self.task_areas(task, relevant=False)
        ]

    def task_resource_units(self, task: CampaignTask) -> list[str]:
        return list(task.lead_units) + list(task.cooperating_units)

    def report_due(self, period_month: date) -> date:
        monthly = self.monthly
        return rules.report_due(
            period_month,
            int(monthly["due_day"]),
            self.calendar,
            bool(monthly.get("shift_to_working_day", True)),
        )

    def reporting_months(self) -> list[date]:
        monthly = self.monthly
        return rules.reporting_months(
            date.fromisoformat(monthly["first_due"]), date.fromisoformat(monthly["last_due"])
        )


def current_plan(session: Session, code: str | None = None) -> PlanContext | None:
    """The plan ``code`` (or the only/most recently loaded one), or None when none is loaded."""
    query = select(CampaignPlan)
    query = (
        query.where(CampaignPlan.code == code)
        if code
        else query.order_by(CampaignPlan.loaded_at.desc())
    )
    plan = session.scalars(query.limit(1)).first()
    if plan is None:
        return None
    areas = session.scalars(
        select(CampaignArea).where(CampaignArea.plan_id == plan.id).order_by(CampaignArea.code)
    )
    units = session.scalars(
        select(CampaignUnit).where(CampaignUnit.plan_id == plan.id).order_by(CampaignUnit.id)
    )
    days = session.scalars(
        select(CampaignCalendarDay).where(CampaignCalendarDay.plan_id == plan.id)
    ).all()
    return PlanContext(
        plan=plan,
        areas={a.code: a for a in areas},
        units={u.code: u for u in units},
        leaders=list(
            session.scalars(select(CampaignLeader).where(CampaignLeader.plan_id == plan.id))
        ),
        tasks=list(
            session.scalars(
                select(CampaignTask)
                .where(CampaignTask.plan_id == plan.id, CampaignTask.active.is_(True))
                .order_by(CampaignTask.sort_order)
            )
        ),
        targets=list(
            session.scalars(
                select(CampaignTarget)
                .where(CampaignTarget.plan_id == plan.id, CampaignTarget.active.is_(True))
                .order_by(CampaignTarget.id)
            )
        ),
        calendar=WorkCalendar.from_days((d.day, d.kind) for d in days),
    )


def require_plan(session: Session, code: str | None = None) -> PlanContext:
    context = current_plan(session, code)
    if context is None:
        raise NotFound("尚未导入计划 / no plan loaded: run `lantian plan load`")
    return context


def reports_of(session: Session, task_ids: Iterable[int]) -> list[ProgressReport]:
    ids = list(task_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(ProgressReport)
            .where(ProgressReport.task_id.in_(ids))
            .options(
                selectinload(ProgressReport.values),
                selectinload(ProgressReport.evidence),
                selectinload(ProgressReport.reviews),
            )
            .order_by(ProgressReport.period_month, ProgressReport.id)
        )
    )


@dataclass
class TaskView:
    task: CampaignTask
    status: str
    reports: list[ProgressReport]
    missed: list[rules.MissedDeadline]
    late_reports: int


def task_views(session: Session, context: PlanContext, as_of: date) -> list[TaskView]:
    """Every active task with its status, reports, missed deadlines and late-report count."""
    by_task: dict[int, list[ProgressReport]] = {}
    for report in reports_of(session, [t.id for t in context.tasks]):
        by_task.setdefault(report.task_id, []).append(report)
    views = []
    for task in context.tasks:
        reports = by_task.get(task.id, [])
        status = rules.task_status(
            [
                rules.ReportState(
                    r.reporter_kind == "unit" and r.reporter_code in task.lead_units,
                    r.period_month,
                    r.status,
                    r.review_state,
                )
                for r in reports
            ]
        )
        views.append(
            TaskView(
                task,
                status,
                reports,
                rules.missed_deadlines(task.ref, task.deadlines, status, as_of),
                sum(1 for r in reports if rules.days_late(r.submitted_at, r.due_on) > 0),
            )
        )
    return views


def filter_views(
    context: PlanContext,
    views: Sequence[TaskView],
    *,
    leader: str | None = None,
    unit: str | None = None,
    area: str | None = None,
    section: int | None = None,
    status: str | None = None,
) -> list[TaskView]:
    """The task matrix's filters: by leader, unit (lead or cooperating), area, section, status."""
    kept = []
    for view in views:
        task = view.task
        if leader and leader not in task.leaders:
            continue
        if unit and unit not in context.task_resource_units(task):
            continue
        if area and area not in context.task_areas(task):
            continue
        if section and task.section_number != section:
            continue
        if status and view.status != status and not (status == "overdue" and view.missed):
            continue
        kept.append(view)
    return kept


def visible_views(
    context: PlanContext, views: Sequence[TaskView], who: Principal
) -> list[TaskView]:
    """The tasks ``who`` may read: a unit or township account sees its own tasks only."""
    return [
        v
        for v in views
        if can(
            who,
            Action.READ,
            resource(
                "task", units=context.task_resource_units(v.task), areas=context.task_areas(v.task)
            ),
        )
    ]


# --------------------------------------------------------------------------------------------
# Progress reports
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceUpload:
    filename: str
    content: bytes


_SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)


def store_evidence(data_dir: Path, upload: EvidenceUpload) -> StoredFile:
    """Keep an evidence file in the data folder's file store (:mod:`lantian.files`).

    Files are stored by content, so the same file uploaded twice is kept once, and a later change
    on disk is refused by :func:`read_evidence`.
    """
    check_upload(upload.filename, upload.content, max_bytes=MAX_EVIDENCE_BYTES, field="evidence")
    return FileStore(data_dir).put_bytes(upload.content)


def read_evidence(data_dir: Path, evidence: ProgressEvidence) -> bytes:
    """The evidence file's bytes, checked against the SHA-256 recorded at upload
    (:class:`lantian.files.TamperedFile` or :class:`lantian.files.MissingFile` if not)."""
    return FileStore(data_dir).read(evidence.stored_path, evidence.sha256)


def _report_snapshot(report: ProgressReport) -> dict[str, Any]:
    return {
        "task_id": report.task_id,
        "reporter": f"{report.reporter_kind}:{report.reporter_code}",
        "period_month": report.period_month,
        "status": report.status,
        "text": report.text,
        "values": {v.target_key: v.value for v in report.values},
        "evidence": [e.sha256 for e in report.evidence],
        "review_state": report.review_state,
        "is_sample": report.is_sample,
    }


def may_report(context: PlanContext, task: CampaignTask, kind: str, code: str) -> bool:
    """Whether (kind, code) takes part in ``task``: a lead or cooperating unit, or one of its
    responsible areas (relevant ones included)."""
    if kind == "unit":
        return code in context.task_resource_units(task)
    return code in context.task_areas(task)


def submit_report(
    session: Session,
    context: PlanContext,
    who: Principal,
    *,
    task_ref: str,
    reporter_kind: str,
    reporter_code: str,
    period_month: date,
    status: str,
    text: str,
    values: Mapping[str, float] | None = None,
    evidence: Sequence[EvidenceUpload] = (),
    data_dir: Path,
    now: datetime | None = None,
    is_sample: bool = False,
) -> ProgressReport:
    """Submit (or, before review, correct) the monthly progress report of a unit or area."""
    task = context.task(task_ref)
    if reporter_kind not in ("unit", "area"):
        raise InputError(
            f"未知报送主体类型 {reporter_kind} / unknown reporter kind", field="reporter"
        )
    if status not in REPORT_STATUSES:
        raise InputError(
            f"未知状态 {status} / unknown status {status!r}; use {REPORT_STATUSES}", field="status"
        )
    if not text.strip():
        raise InputError("进展情况不能为空 / the progress text is empty", field="text")
    month = rules.first_of_month(period_month)
    if month not in context.reporting_months():
        raise InputError(
            f"{month:%Y-%m} 不是报送月份 / {month:%Y-%m} is not a reporting month of the plan",
            field="month",
        )
    if not may_report(context, task, reporter_kind, reporter_code):
        raise InputError(
            f"{context.reporter_name(reporter_kind, reporter_code)} 不承担任务 {task.ref} / "
            f"{reporter_code} has no part in task {task.ref}",
            field="reporter",
        )
    target = resource(
        "progress_report",
        units=[reporter_code] if reporter_kind == "unit" else [],
        areas=[reporter_code] if reporter_kind == "area" else [],
    )
    if not can(who, Action.WRITE, target):
        raise PermissionDenied("无权为该单位报送 / you may not report for this unit or area")
    task_targets = {t.key: t for t in context.targets if t.task_ref == task.ref}
    clean_values: dict[str, float] = {}
    for key, value in (values or {}).items():
        if key not in task_targets:
            raise InputError(
                f"任务 {task.ref} 没有指标 {key} / task {task.ref} has no target {key!r}",
                field=f"value_{key}",
            )
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise InputError(f"{key}: 不是有效数字 / not a finite number", field=f"value_{key}")
        if number < 0:
            raise InputError(f"{key}: 不能为负 / cannot be negative", field=f"value_{key}")
        clean_values[key] = number
    moment = now or utc_now()
    audit.lock_chain(session)
    report = session.scalar(
        select(ProgressReport).where(
            ProgressReport.task_id == task.id,
            ProgressReport.reporter_kind == reporter_kind,
            ProgressReport.reporter_code == reporter_code,
            ProgressReport.period_month == month,
        )
    )
    before = None
    if report is not None:
        if report.review_state in ("lead_accepted", "accepted"):
            raise Conflict("该报告已审核通过，不能修改 / the report was accepted and cannot change")
        before = _report_snapshot(report)
        report.status, report.text = status, text
        report.submitted_at, report.submitted_by = moment, who.username or "?"
        report.review_state = "submitted"
        report.is_sample = is_sample
        report.values.clear()
        session.flush()
    else:
        report = ProgressReport(
            task_id=task.id,
            reporter_kind=reporter_kind,
            reporter_code=reporter_code,
            period_month=month,
            due_on=context.report_due(month),
            status=status,
            text=text,
            submitted_at=moment,
            submitted_by=who.username or "?",
            review_state="submitted",
            is_sample=is_sample,
        )
        session.add(report)
        session.flush()
    for key, number in clean_values.items():
        report.values.append(ProgressIndicatorValue(target_key=key, value=number))
    for upload in evidence:  # every file checked before any is kept: a refusal keeps nothing
        check_upload(
            upload.filename, upload.content, max_bytes=MAX_EVIDENCE_BYTES, field="evidence"
        )
    for upload in evidence:
        kept = store_evidence(data_dir, upload)
        name = _SAFE_NAME.sub("_", Path(upload.filename).name)[:200] or "evidence"
        report.evidence.append(
            ProgressEvidence(
                filename=name,
                sha256=kept.sha256,
                size_bytes=kept.size,
                stored_path=kept.path,
                uploaded_by=who.username or "?",
                uploaded_at=moment,
            )
        )
    session.flush()
    late = rules.days_late(moment, report.due_on)
    audit.record(
        session,
        who.username or "?",
        "progress.submit" if before is None else "progress.resubmit",
        "progress_report",
        report.id,
        before,
        _report_snapshot(report),
        f"迟报 {late} 天 / {late} day(s) late" if late else None,
        at=moment,
    )
    return report


def review_report(
    session: Session,
    context: PlanContext,
    who: Principal,
    report_id: int,
    stage: str,
    decision: str,
    comment: str = "",
    now: datetime | None = None,
) -> ProgressReport:
    """Review by the task's lead unit (``lead``) or by the campaign office (``office``).

    The lead unit accepts or returns a submitted report; the office accepts or returns a report
    that was submitted or accepted by the lead unit. A returned report goes back to its reporter.
    """
    if stage not in ("lead", "office") or decision not in ("accept", "return"):
        raise InputError("审核环节或结论无效 / invalid review stage or decision")
    audit.lock_chain(session)
    report = session.get(ProgressReport, report_id)
    if report is None:
        raise NotFound(f"没有报告 {report_id} / no progress report {report_id}")
    task = session.get(CampaignTask, report.task_id)
    assert task is not None
    if stage == "lead":
        allowed = can(who, Action.REVIEW, resource("progress_report")) or (
            who.role == "unit"
            and can(who, Action.WRITE, resource("progress_report", units=task.lead_units))
        )
        valid_from: tuple[str, ...] = ("submitted",)
    else:
        allowed = can(who, Action.REVIEW, resource("progress_report"))
        valid_from = ("submitted", "lead_accepted")
    if not allowed:
        raise PermissionDenied("无权审核 / you may not review this report")
    if decision == "return" and not comment.strip():
        raise InputError("退回须说明理由 / a returned report needs a comment")
    if report.review_state not in valid_from:
        raise Conflict(
            f"报告状态为 {report.review_state}，不能在此环节审核 / a {report.review_state} report "
            f"cannot be reviewed at the {stage} stage"
        )
    moment = now or utc_now()
    before = report.review_state
    if decision == "return":
        report.review_state = "returned"
    else:
        report.review_state = "lead_accepted" if stage == "lead" else "accepted"
    report.reviews.append(
        ProgressReview(
            stage=stage, decision=decision, comment=comment, reviewer=who.username or "?", at=moment
        )
    )
    session.flush()
    audit.record(
        session,
        who.username or "?",
        f"progress.review.{stage}",
        "progress_report",
        report.id,
        {"review_state": before},
        {"review_state": report.review_state, "decision": decision, "comment": comment},
        at=moment,
    )
    return report


# --------------------------------------------------------------------------------------------
# Escalation and target progress
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """Something to escalate: a missing or late report, or a missed deadline."""

    kind: str  # missing_report, late_report, missed_deadline, target_missed
    task_ref: str
    who: str  # reporter name or the task's lead units
    due: date
    days: int
    detail: str


def escalations(
    session: Session, context: PlanContext, as_of: date, views: list[TaskView] | None = None
) -> list[Escalation]:
    """What to list for escalation as of ``as_of``: reports due before it that are missing or came
    late, tasks whose ``by`` deadlines passed while they are not completed, and targets past their
    due date and not met. ``views``: the task views as of ``as_of`` when the caller has them."""
    views = views if views is not None else task_views(session, context, as_of)
    found: list[Escalation] = []
    months = [m for m in context.reporting_months() if context.report_due(m) < as_of]
    for view in views:
        task = view.task
        have = {(r.reporter_kind, r.reporter_code, r.period_month): r for r in view.reports}
        for month in months:
            due = context.report_due(month)
            for kind, code in context.expected_reporters(task):
                report = have.get((kind, code, month))
                name = context.reporter_name(kind, code)
                if report is None:
                    found.append(
                        Escalation(
                            "missing_report",
                            task.ref,
                            name,
                            due,
                            (as_of - due).days,
                            f"{month:%Y-%m} 进展未报 / {month:%Y-%m} progress not reported",
                        )
                    )
        for report in view.reports:
            late = rules.days_late(report.submitted_at, report.due_on)
            if late:
                found.append(
                    Escalation(
                        "late_report",
                        task.ref,
                        context.reporter_name(report.reporter_kind, report.reporter_code),
                        report.due_on,
                        late,
                        f"{report.period_month:%Y-%m} 进展迟报 {late} 天 / reported {late} day(s) late",
                    )
                )
        for missed in view.missed:
            found.append(
                Escalation(
                    "missed_deadline",
                    task.ref,
                    "、".join(context.reporter_name("unit", u) for u in task.lead_units),
                    missed.due,
                    missed.days_over,
                    missed.what,
                )
            )
    for standing in target_progress(session, context, as_of):
        target = standing.target
        if standing.overdue and target.due_on is not None:
            shown = (
                "未报 none reported"
                if standing.rollup.actual is None
                else f"{standing.rollup.actual:g}"
            )
            found.append(
                Escalation(
                    "target_missed",
                    target.task_ref or "",
                    target.indicator,
                    target.due_on,
                    (as_of - target.due_on).days,
                    f"{shown} / {target.comparator} {target.value:g} {target.unit}",
                )
            )
    return found


@dataclass
class TargetProgress:
    target: CampaignTarget
    rollup: rules.RollUp
    overdue: bool
    #: The value a register computed (:class:`lantian.sources.registry.IndicatorValue`: value,
    #: entries counted, basis, detail rows), when the target is one a register computes.
    computed: Any | None = None


def computed_targets(
    session: Session, context: PlanContext | None = None, as_of: date | None = None
) -> dict[str, Any]:
    """The seam to the registers (台账, issue 15): target key → the value computed from a register
    with entries (an empty register leaves the target to the typed reports). With the plan, the
    headline targets computed from the measurements join them (:mod:`lantian.results.headline`,
    issue 18): once the campaign has a measured day they are computed, even when the value
    cannot be (no data the year before: shown as such, never typed over)."""
    from lantian.sources.service import indicator_values

    found: dict[str, Any] = {
        key: value
        for key, value in indicator_values(session).items()
        if value.records > 0 and value.value is not None
    }
    if context is not None:
        from lantian.results.headline import headline_values

        day = as_of or clock.today()
        found |= headline_values(session, context.periods, context.targets, day)
    return found


def target_progress(session: Session, context: PlanContext, as_of: date) -> list[TargetProgress]:
    """Each target rolled up from the indicator values of its task's reports (returned reports
    left out), and whether its due date passed without meeting it. A target a register computes
    (:func:`computed_targets`) takes the register's value instead: nobody types it any more."""
    computed = computed_targets(session, context, as_of)
    tasks_by_ref = {t.ref: t for t in context.tasks}
    reports = reports_of(session, [t.id for t in context.tasks])
    by_task: dict[int, list[ProgressReport]] = {}
    for report in reports:
        if report.review_state != "returned":
            by_task.setdefault(report.task_id, []).append(report)
    progress = []
    for target in context.targets:
        task = tasks_by_ref.get(target.task_ref or "")
        values = []
        if task is not None:
            for report in by_task.get(task.id, []):
                for value in report.values:
                    if value.target_key == target.key:
                        values.append(
                            rules.ReportedValue(
                                f"{report.reporter_kind}:{report.reporter_code}",
                                report.period_month,
                                value.value,
                            )
                        )
        rollup = rules.roll_up(target.measure, target.comparator, target.value, values)
        from_register = computed.get(target.key)
        if from_register is not None and from_register.value is None:
            rollup = rules.RollUp(None, None, 0, from_register.records, None)
        elif from_register is not None:
            rollup = rules.computed_rollup(target.comparator, target.value, from_register.value,
                                           from_register.records)  # fmt: skip
        overdue = bool(target.due_on and target.due_on < as_of and rollup.met is not True)
        progress.append(TargetProgress(target, rollup, overdue, from_register))
    return progress


# --------------------------------------------------------------------------------------------
# Accountability
# --------------------------------------------------------------------------------------------


def record_accountability(
    session: Session,
    who: Principal,
    *,
    kind: str,
    subject_kind: str,
    subject_name: str,
    subject_code: str | None = None,
    link_kind: str | None = None,
    link_id: str | None = None,
    reason: str,
    decided_on: date,
    decided_by: str,
    plan_id: int | None = None,
    is_sample: bool = False,
) -> AccountabilityRecord:
    """问责: record a warning, talk, notice or sanction, linked to what caused it.

    ``link_kind`` + ``link_id`` point at a task ("task", "12(1)"), a progress report, or another
    package's record (for example "inspection_case", "2017-031"); both or neither.
    """
    if kind not in ACCOUNTABILITY_KINDS:
        raise InputError(f"未知问责方式 {kind} / unknown kind; use {ACCOUNTABILITY_KINDS}")
    if subject_kind not in SUBJECT_KINDS:
        raise InputError(f"未知问责对象类型 {subject_kind} / unknown subject kind")
    if (link_kind is None) != (link_id is None):
        raise InputError("关联需同时给出类型和编号 / a link needs both its kind and its id")
    if not reason.strip() or not subject_name.strip():
        raise InputError("问责对象和事由不能为空 / subject and reason are required")
    # Deciding on accountability is the office's review of others' work.
    if not can(who, Action.REVIEW, resource("task")):
        raise PermissionDenied("无权记录问责 / you may not record accountability")
    audit.lock_chain(session)
    record = AccountabilityRecord(
        plan_id=plan_id,
        kind=kind,
        subject_kind=subject_kind,
        subject_code=subject_code,
        subject_name=subject_name,
        link_kind=link_kind,
        link_id=link_id,
        reason=reason,
        decided_on=decided_on,
        decided_by=decided_by,
        created_by=who.username or "?",
        is_sample=is_sample,
    )
    with acting_as(session, who.username or "?"):
        session.add(record)
    return record


def accountability_for(
    session: Session, link_kind: str | None = None, link_id: str | None = None
) -> list[AccountabilityRecord]:
    query = select(AccountabilityRecord).order_by(AccountabilityRecord.decided_on.desc())
    if link_kind is not None:
        query = query.where(AccountabilityRecord.link_kind == link_kind)
    if link_id is not None:
        query = query.where(AccountabilityRecord.link_id == link_id)
    return list(session.scalars(query))


#: The accountability kinds as pages and decisions name them (Chinese, English).
ACCOUNTABILITY_KIND_LABELS: dict[str, tuple[str, str]] = {
    "warning": ("警示", "warning"),
    "talk": ("约谈", "talk"),
    "notice": ("通报", "notice"),
    "sanction": ("处分", "sanction"),
}
#: Who reads every accountability record: the office, the city's leaders, the administrator.
ACCOUNTABILITY_READERS = frozenset({"administrator", "campaign_office", "leader"})
#: Who reads those of their own unit or area (see :func:`accountability_visible_to`).
ACCOUNTABILITY_SCOPED_READERS = frozenset({"unit", "township"})


def subject_name(session: Session, kind: str, code: str, plan_id: int | None = None) -> str:
    """The name of a unit or area in the plan ``plan_id`` (or the latest loaded), else the code."""
    if plan_id is None:
        plan_id = latest_plan_id(session)
    table: type[CampaignUnit] | type[CampaignArea] = (
        CampaignUnit if kind == "unit" else CampaignArea
    )
    if kind not in ("unit", "area") or plan_id is None:
        return code
    name = session.scalar(
        select(table.name).where(table.plan_id == plan_id, table.code == code).limit(1)
    )
    return name or code


def latest_plan_id(session: Session) -> int | None:
    """The id of the most recently loaded plan, or None when none is loaded."""
    return session.scalar(select(CampaignPlan.id).order_by(CampaignPlan.loaded_at.desc()).limit(1))


def accountability_reach(
    record: AccountabilityRecord, linked: Mapping[tuple[str, str], Resource] | None = None
) -> Resource:
    """The units and areas a record belongs to: its subject's unit or area, and — for a record
    linked to another package's record (an inspection case) — that record's units and areas,
    given in ``linked`` as a :class:`~lantian.auth.permissions.Resource` per (link_kind, link_id).

    A person held to account on a case is thus visible to the unit or township of the case; a
    task's cooperating units do not see what the lead unit was held to account for.
    """
    units: set[str] = set()
    areas: set[str] = set()
    if record.subject_kind == "unit" and record.subject_code:
        units.add(record.subject_code)
    if record.subject_kind == "area" and record.subject_code:
        areas.add(record.subject_code)
    if record.link_kind and record.link_id and linked:
        other = linked.get((record.link_kind, record.link_id))
        if other is not None:
            units |= set(other.units)
            areas |= set(other.areas)
    kind = "inspection_case" if record.link_kind == "inspection_case" else "task"
    return resource(kind, units=units, areas=areas)


def may_read_accountability(who: Principal) -> bool:
    """Whether ``who`` reads any accountability records (all of them, or its unit's or area's)."""
    return who.role in ACCOUNTABILITY_READERS | ACCOUNTABILITY_SCOPED_READERS


def require_accountability_reader(who: Principal) -> None:
    """Refuse an account that reads no accountability records at all (see below)."""
    if not may_read_accountability(who):
        raise PermissionDenied(
            f"{who.role} 账户不能查看问责记录 / a {who.role} account may not read accountability "
            "records"
        )


def accountability_visible_to(
    session: Session,
    who: Principal,
    linked: Mapping[tuple[str, str], Resource] | None = None,
    *,
    link_kind: str | None = None,
) -> list[AccountabilityRecord]:
    """问责记录 across all tasks and cases, newest decision first, as ``who`` may read them.

    The office, leaders and the administrator read all; a unit or township account reads those
    whose :func:`accountability_reach` includes its scope; anyone else is refused (accountability
    is a personnel decision, not a working record the inspection teams need).
    """
    require_accountability_reader(who)
    query = select(AccountabilityRecord).order_by(
        AccountabilityRecord.decided_on.desc(), AccountabilityRecord.id.desc()
    )
    if link_kind is not None:
        query = query.where(AccountabilityRecord.link_kind == link_kind)
    records = list(session.scalars(query))
    if who.role in ACCOUNTABILITY_READERS:
        return records
    return [r for r in records if can(who, Action.READ, accountability_reach(r, linked))]


def task_history(
    session: Session, plan_code: str, ref: str, report_ids: Sequence[int]
) -> list[Any]:
    """The audit entries of a task and of its progress reports, oldest first (the task page's
    history)."""
    ids = [str(report_id) for report_id in report_ids]
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                (
                    (AuditEntry.entity_type == "campaign_task")
                    & (AuditEntry.entity_id == f"{plan_code}/{ref}")
                )
                | (
                    (AuditEntry.entity_type == "progress_report")
                    & (AuditEntry.entity_id.in_(ids or ["-"]))
                )
            )
            .order_by(AuditEntry.id)
        )
    )


def judged_day(context: PlanContext, today: date) -> date:
    """``today``, or the campaign's last day once it is over (a finished plan is judged at its
    end)."""
    end = context.periods.get("campaign", {}).get("end")
    last = end if isinstance(end, date) else date.fromisoformat(str(end)) if end else None
    return campaign_day(last, today)


def campaign_day(campaign_end: date | None, today: date | None = None) -> date:
    """The one day every campaign page, tile and count is reckoned at: the clock's day in China
    (:func:`lantian.clock.today`, which an "as of" run sets), or the campaign's last day once the
    campaign is over — a finished plan is judged at its end, never "3,319 days overdue"."""
    day = today if today is not None else clock.today()
    return min(day, campaign_end) if campaign_end else day


def reports_owed(
    session: Session, context: PlanContext, who: Principal, day: date
) -> tuple[int, int]:
    """For a unit or township account: how many tasks it sees, and how many monthly reports due
    before ``day`` it has not submitted."""
    kind = "unit" if who.role == "unit" else "area"
    code = who.scope or ""
    views = visible_views(context, task_views(session, context, day), who)
    months = [m for m in context.reporting_months() if context.report_due(m) < day]
    owed = 0
    for view in views:
        if (kind, code) not in context.expected_reporters(view.task):
            continue
        have = {
            r.period_month
            for r in view.reports
            if r.reporter_kind == kind and r.reporter_code == code
        }
        owed += sum(1 for m in months if m not in have)
    return len(views), owed


def escalation_counts(found: Sequence[Escalation]) -> tuple[int, int]:
    """Missed deadlines, and late or missing reports, among ``found``."""
    missed = sum(1 for e in found if e.kind == "missed_deadline")
    late = sum(1 for e in found if e.kind in ("late_report", "missing_report"))
    return missed, late


#: Escalation summaries already computed, by the state of the data they were computed from.
_SUMMARIES: OrderedDict[tuple[Any, ...], tuple[int, int, int]] = OrderedDict()
_SUMMARIES_KEEP = 16


def data_state(session: Session) -> tuple[str, int | None]:
    """What says whether a figure computed from campaign data still holds: the database and its
    newest audit entry. Every change to reports, reviews, tasks, cases and registers is written to
    the audit log (``lantian.db.audited`` and the explicit entries of the review), so a figure
    computed at the same newest entry of the same database is still right."""
    from lantian.auth.models import AuditEntry

    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return (
        engine.url.render_as_string(hide_password=True),
        session.scalar(select(func.max(AuditEntry.id))),
    )


def escalation_summary(session: Session, context: PlanContext, day: date) -> tuple[int, int, int]:
    """(everything up for escalation, missed deadlines, late or missing reports) as of ``day``:
    :func:`escalations` counted, once per state of the data (the dashboard tile asks on every
    page view; reading every report each time took a second on the demo)."""
    key = (*data_state(session), context.plan.id, day)
    found = _SUMMARIES.get(key)
    if found is None:
        listed = escalations(session, context, day)
        missed, late = escalation_counts(listed)
        found = (len(listed), missed, late)
        _SUMMARIES[key] = found
        while len(_SUMMARIES) > _SUMMARIES_KEEP:
            _SUMMARIES.popitem(last=False)
    else:
        _SUMMARIES.move_to_end(key)
    return found
