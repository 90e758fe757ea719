"""Pages of supervision (sign-in required): the case board by state and unit, a case with its
timeline and the steps its reader may take, a township's or unit's own cases (the same board,
scoped), the duty roster with handovers, the daily-report form and the day's summary, and the Word
exports (督办单, 日报汇总). Forms carry the session's CSRF token and the handlers check it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.campaign import service as campaign_service
from lantian.db.engine import transaction
from lantian.errors import Conflict, InputError, Invalid, NotAllowed, NotFound
from lantian.files import FileStore, upload_read_limit
from lantian.penalties import from_case
from lantian.plan import Plan
from lantian.sources.kinds.enforcement_actions import ACTION_TYPES
from lantian.sources.lifecycle import KEEPERS
from lantian.supervision import accountability, duty, rules, service
from lantian.supervision.groups import (
    InspectionSupportPlan,
    area_names,
    inspection_plan,
    unit_names,
)
from lantian.supervision.roster import STATUS_LABELS, local_date, report_due
from lantian.timeutil import CHINA_TZ, to_china
from lantian.web.access import MACHINE_ROLES, require_account, require_csrf
from lantian.web.formatting import photo_media_type
from lantian.web.plan_state import current_plan
from lantian.web.rendering import BLANK_FORM, FilledForm, done, filled_form, flash, render
from lantian.web.tiles import Tile, register_tile

router = APIRouter(include_in_schema=False)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    response: Response = render(request, template, context, status)
    return response


def _plan_data(request: Request) -> Plan:
    return current_plan(request)


def _plan(request: Request) -> InspectionSupportPlan:
    return inspection_plan(current_plan(request))


def _data_dir(request: Request) -> Path:
    return Path(request.app.state.settings.ensure_data_dir())


@contextmanager
def _flashing_errors(request: Request, *kinds: type[Exception]) -> Iterator[None]:
    """Show a refused write as a flash message; the page redirects to the same place either way."""
    try:
        yield
    except kinds as error:
        flash(request, str(error), "error")


def _docx(data: bytes, name: str) -> Response:
    """A Word document as a download named ``name`` (UTF-8, per RFC 5987)."""
    return Response(data, media_type=DOCX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})  # fmt: skip


def _cn(moment: datetime | None) -> str:
    return to_china(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _local_moment(text: str, what: str, field: str | None = None) -> datetime | None:
    """A ``datetime-local`` form value, read as China time."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ).astimezone(UTC)
    except ValueError:
        raise InputError(f"{what} 时间格式错误 / {what}: not a date-time", field=field) from None


def _coordinate(text: str, field: str) -> float | None:
    """A longitude or latitude typed in a form (empty: none)."""
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"“{text}” 不是数字 / is not a number", field=field) from None


async def _files(uploads: list[UploadFile]) -> list[service.EvidenceFile]:
    found = []
    for upload in uploads:
        if upload.filename:
            found.append(
                service.EvidenceFile(upload.filename, await upload.read(upload_read_limit()))
            )
    return found


def _common(request: Request) -> dict[str, Any]:
    plan = _plan_data(request)
    return {
        "state_labels": {s.value: label for s, label in rules.STATE_LABELS.items()},
        "timeline_labels": rules.TIMELINE_LABELS,
        "source_labels": service.SOURCE_LABELS,
        "severity_labels": service.SEVERITY_LABELS,
        "unit_names": unit_names(plan),
        "area_names": area_names(plan),
        "cn": _cn,
        "today": clock.today().isoformat(),
        "filled": BLANK_FORM,
    }


# --- cases -----------------------------------------------------------------------------------


@router.get("/cases", response_class=HTMLResponse)
def board(
    request: Request,
    state: str | None = None,
    unit: str | None = None,
    overdue: bool = False,
    who: Principal = Depends(require_account),
    open: bool = False,
) -> Response:
    """The case board: counts by state and unit (边督边改 progress), and the list filtered."""
    with request.app.state.sessions() as session:
        cases, total = service.list_cases(
            session, who, state=state or None, unit_code=unit or None,
            overdue=overdue or None, limit=200, open_only=open,
        )  # fmt: skip
        progress = service.rectification_progress(session, who)
    scoped = who.role in rules.SCOPED_ROLES
    return _render(
        request,
        "cases.html",
        {
            **_common(request),
            "cases": cases,
            "total": total,
            "progress": progress,
            "states": list(rules.CaseState),
            "filters": {"state": state or "", "unit": unit or "", "overdue": overdue},
            "scoped": scoped,
            "may_create": rules.may_create(who),
        },
    )


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_form(request: Request, who: Principal = Depends(require_account)) -> Response:
    if not rules.may_create(who):
        raise NotAllowed("督查组和攻坚办登记案件 / inspectors and the office record cases")
    return _render(request, "case_new.html", _common(request))


class NewCaseSubmitForm(BaseModel):
    """The fields of the form posted to ``new_case_submit`` (the CSRF token is checked apart)."""

    title: str = ""
    source: str = "inspection_team"
    description: str = ""
    area_code: str = ""
    site: str = ""
    unit_code: str = ""
    severity: str = "general"
    deadline: str = ""
    reference: str = ""
    longitude: str = ""
    latitude: str = ""


#: The fields of the new-case form a problem is shown beside.
CASE_FIELDS = (*NewCaseSubmitForm.model_fields, "latitude", "evidence")


@router.post("/cases/new", dependencies=[Depends(require_csrf)])
async def new_case_submit(
    request: Request,
    form: Annotated[NewCaseSubmitForm, Form()],
    evidence: list[UploadFile] = File(default=[]),
    who: Principal = Depends(require_account),
) -> Response:
    """Record a case; refused, the form again as typed with every problem beside its field."""
    try:
        draft = service.CaseDraft(
            source=form.source,
            title=form.title,
            description=form.description,
            area_code=form.area_code.strip() or None,
            site=form.site.strip() or None,
            unit_code=form.unit_code.strip() or None,
            severity=form.severity,
            deadline=_local_moment(form.deadline, "期限 deadline", "deadline"),
            reference=form.reference.strip() or None,
            longitude=_coordinate(form.longitude, "longitude"),
            latitude=_coordinate(form.latitude, "latitude"),
        )
        files = await _files(evidence)
        with transaction(request.app.state.sessions) as session:
            case = service.record_case(
                session, who, draft, clock.now(), evidence=files,
                data_dir=_data_dir(request), plan=_plan_data(request),
            )  # fmt: skip
            case_id = case.id
    except (Invalid, Conflict) as error:
        filled = filled_form(request, await request.form(), error, CASE_FIELDS)
        return _render(
            request, "case_new.html", {**_common(request), "filled": filled}, error.http_status
        )
    return done(request, f"/cases/{case_id}", f"案件 {case_id} 已登记 / case {case_id} recorded")


def _readable_case(session: Any, who: Principal, case_id: int) -> Any:
    rows, _ = service.list_cases(session, who, case_id=case_id, limit=1)
    if not rows:
        raise NotFound(f"案件 {case_id} 不存在或无权查看 / no case {case_id} you may read")
    return rows[0]


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: int,
    who: Principal = Depends(require_account),
) -> Response:
    return _case_page(request, who, case_id)


def _steps_taking(name: str, required_only: bool = False) -> str:
    """The steps that take the field ``name`` (or require it), as the step form's data attribute."""
    return " ".join(
        step.value
        for step, fields in service.STEP_FIELDS.items()
        if name in fields and (fields[name] or not required_only)
    )


def _case_page(
    request: Request,
    who: Principal,
    case_id: int,
    filled: FilledForm = BLANK_FORM,
    status: int = 200,
) -> Response:
    """A case with its timeline and the steps its reader may take (``filled``: a refused step)."""
    with request.app.state.sessions() as session:
        case = _readable_case(session, who, case_id)
        events = service.timeline(session, case_id)
        proposals = accountability.proposals_for(session, case_id)
        records = campaign_service.accountability_for(session, "inspection_case", str(case_id))
        occurrences = service.occurrences(session, case_id)
        steps = rules.available_events(who, service.facts_of(case))
        # Safeguard 三: an enforcement action is recorded from the case (登记执法处罚).
        enforcement_url = from_case.new_action_url(session, case) if who.role in KEEPERS else None
        enforcement_actions = [
            (action.id, action.key, action.action_type, action.state)
            for action in from_case.actions_of_case(session, case_id)
        ]
    may_propose = who.role in rules.OFFICE_ROLES
    return _render(
        request,
        "case.html",
        {
            **_common(request),
            "case": case,
            "events": events,
            "steps": steps,
            "event_labels": rules.EVENT_LABELS,
            "note_required": sorted(step.value for step in service.NOTE_REQUIRED),
            "steps_taking": _steps_taking,
            "steps_requiring": lambda name: _steps_taking(name, required_only=True),
            "proposals": proposals,
            "proposal_labels": accountability.STATUS_LABELS,
            "measure_labels": accountability.MEASURE_LABELS,
            "records": records,
            "occurrences": occurrences[-48:],
            "may_propose": may_propose,
            "filled": filled,
            "enforcement_url": enforcement_url,
            "enforcement_actions": enforcement_actions,
            "action_type_labels": ACTION_TYPES,
        },
        status,
    )


class CaseStepForm(BaseModel):
    """The fields of the form posted to ``case_step`` (the CSRF token is checked apart)."""

    event: str = ""
    note: str = ""
    unit_code: str = ""
    deadline: str = ""


#: The fields of the step form a problem is shown beside.
STEP_FORM_FIELDS = (*CaseStepForm.model_fields, "evidence")


@router.post("/cases/{case_id}/step", dependencies=[Depends(require_csrf)])
async def case_step(
    request: Request,
    form: Annotated[CaseStepForm, Form()],
    case_id: int,
    evidence: list[UploadFile] = File(default=[]),
    who: Principal = Depends(require_account),
) -> Response:
    """Take a step. The page shows only the fields the chosen step takes, so only those are read;
    refused, the case page again with the form as typed and every problem beside its field."""
    try:
        step = rules.CaseEvent(form.event)
    except ValueError:
        step = None
    takes = service.STEP_FIELDS.get(step, {}) if step else {}
    try:
        if step is None:
            raise Invalid(f"未知步骤 {form.event!r} / unknown step", field="event")
        files = await _files(evidence)
        deadline_text = form.deadline if "deadline" in takes else ""
        with transaction(request.app.state.sessions) as session:
            _readable_case(session, who, case_id)
            service.take_step(
                session, who, case_id, step, clock.now(), note=form.note,
                unit_code=(form.unit_code.strip() or None) if "unit_code" in takes else None,
                deadline=_local_moment(deadline_text, "期限 deadline", "deadline"),
                evidence=files, data_dir=_data_dir(request), plan=_plan_data(request),
            )  # fmt: skip
    except (Invalid, Conflict) as error:
        filled = filled_form(request, await request.form(), error, STEP_FORM_FIELDS)
        return _case_page(request, who, case_id, filled, error.http_status)
    zh, en = rules.EVENT_LABELS[step]
    return done(request, f"/cases/{case_id}", f"已办理“{zh}” / step {en!r} recorded")


class CaseAccountabilityForm(BaseModel):
    """The fields of the form posted to ``case_accountability`` (the CSRF token is checked apart)."""

    action: str = ""
    proposal_id: int | None = None
    text: str = ""
    person: str = ""
    measure: str = ""


@router.post("/cases/{case_id}/accountability", dependencies=[Depends(require_csrf)])
def case_accountability(
    request: Request,
    form: Annotated[CaseAccountabilityForm, Form()],
    case_id: int,
    who: Principal = Depends(require_account),
) -> Response:
    """Propose (建议问责), approve or decline (攻坚办), decide (问责组) — one form per step.

    Deciding needs ``measure``: one of the accountability kinds (recorded in the campaign's
    accountability records, linked to the case) or ``none`` (不予问责).
    """
    now = clock.now()
    with (
        _flashing_errors(request, InputError, Conflict),
        transaction(request.app.state.sessions) as session,
    ):
        _readable_case(session, who, case_id)
        if form.action == "propose":
            accountability.propose(
                session, who, case_id, form.text, now, target_person=form.person.strip() or None
            )
        elif form.action in ("approve", "decline") and form.proposal_id is not None:
            accountability.review(
                session, who, form.proposal_id, form.action == "approve", now, form.text
            )
        elif form.action == "decide" and form.proposal_id is not None:
            if not form.measure:
                raise InputError("须选择问责方式或不予问责 / choose a measure, or none")
            group = _plan(request).accountability_group
            accountability.decide(
                session, who, form.proposal_id, form.text, now,
                measure=None if form.measure == "none" else form.measure,
                decided_by=group.name if group else None,
            )  # fmt: skip
        else:
            raise InputError(f"未知操作 {form.action!r} / unknown action")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/cases/{case_id}/evidence/{evidence_id}")
def evidence_file(
    request: Request,
    case_id: int,
    evidence_id: int,
    who: Principal = Depends(require_account),
    inline: bool = False,
) -> Response:
    """An evidence file, as a download; ``?inline=1`` shows a photo in the page (its type read
    from its bytes, see :func:`lantian.web.formatting.photo_media_type`)."""
    from lantian.supervision.models import CaseEvidence

    with request.app.state.sessions() as session:
        _readable_case(session, who, case_id)
        row = session.get(CaseEvidence, evidence_id)
        if row is None or row.case_id != case_id:
            raise NotFound("证据不存在 / no such evidence")
        data = FileStore(_data_dir(request)).read(row.stored_path, row.sha256)
    photo = photo_media_type(data) if inline else None
    if photo is not None:
        return Response(data, media_type=photo, headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(row.filename)}",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"})  # fmt: skip
    disposition = f"attachment; filename*=UTF-8''{quote(row.filename)}"
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.get("/cases/{case_id}/notice.docx")
def notice_docx(
    request: Request, case_id: int, who: Principal = Depends(require_account)
) -> Response:
    from lantian.supervision.documents import notice_document

    plan = _plan_data(request)
    with request.app.state.sessions() as session:
        case = _readable_case(session, who, case_id)
        events = [event for event, _ in service.timeline(session, case_id)]
        data = notice_document(case, events, unit_names(plan), area_names(plan))
    return _docx(data, f"督办单-{case_id}.docx")


# --- duty and daily reports --------------------------------------------------------------------


def _office_only(who: Principal) -> None:
    if not rules.may_read_duty(who):
        raise NotAllowed("值班与日报由攻坚办办理 / duty and daily reports are the office's")


def _office_day(
    request: Request, who: Principal, day: str | None
) -> tuple[InspectionSupportPlan, date]:
    """The plan and the day shown on an office-only duty or daily-report page."""
    _office_only(who)
    plan = _plan(request)
    return plan, _day(day, plan)


def _day_context(
    request: Request, who: Principal, plan: InspectionSupportPlan, shown: date
) -> dict[str, Any]:
    """What the duty and daily-report pages share: the day and its neighbours, who may write."""
    return {
        **_common(request),
        "plan": plan,
        "day": shown,
        "previous": shown - timedelta(days=1),
        "following": shown + timedelta(days=1),
        "may_write": who.role in rules.OFFICE_ROLES,
    }


def _day(text: str | None, plan: InspectionSupportPlan) -> date:
    if not text:
        return local_date(clock.now(), plan.utc_offset_hours)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid("日期应为 YYYY-MM-DD / the date must be YYYY-MM-DD") from None


@router.get("/duty", response_class=HTMLResponse)
def duty_page(
    request: Request, day: str | None = None,
    who: Principal = Depends(require_account),
) -> Response:  # fmt: skip
    plan, shown = _office_day(request, who, day)
    start = report_due(shown, time(0, 0), plan.utc_offset_hours)
    end = start + timedelta(days=1)
    now = clock.now()
    with request.app.state.sessions() as session:
        shifts = duty.shifts_between(session, start, end)
        gaps = duty.roster_gaps(session, start, end)
    return _render(
        request,
        "duty.html",
        {**_day_context(request, who, plan, shown), "shifts": shifts, "gaps": gaps, "now": now},
    )


class DutyAddForm(BaseModel):
    """The fields of the form posted to ``duty_add`` (the CSRF token is checked apart)."""

    person: str = ""
    phone: str = ""
    starts_at: str = ""
    ends_at: str = ""


@router.post("/duty/shifts", dependencies=[Depends(require_csrf)])
def duty_add(
    request: Request,
    form: Annotated[DutyAddForm, Form()],
    who: Principal = Depends(require_account),
) -> Response:
    plan = _plan(request)
    try:
        start = _local_moment(form.starts_at, "开始 start")
        end = _local_moment(form.ends_at, "结束 end")
        if start is None or end is None:
            raise InputError("须填写开始和结束时间 / give the start and the end")
        with transaction(request.app.state.sessions) as session:
            duty.add_shift(session, who, plan, person=form.person, phone=form.phone, starts_at=start,
                           ends_at=end, now=clock.now())  # fmt: skip
    except (InputError, Conflict) as error:
        flash(request, str(error), "error")
        return RedirectResponse("/duty", status_code=303)
    day = local_date(start, plan.utc_offset_hours)
    return RedirectResponse(f"/duty?day={day.isoformat()}", status_code=303)


class DutyHandoverForm(BaseModel):
    """The fields of the form posted to ``duty_handover`` (the CSRF token is checked apart)."""

    note: str = ""
    day: str = ""


@router.post("/duty/shifts/{shift_id}/handover", dependencies=[Depends(require_csrf)])
def duty_handover(
    request: Request,
    form: Annotated[DutyHandoverForm, Form()],
    shift_id: int,
    who: Principal = Depends(require_account),
) -> Response:
    target = f"/duty?day={quote(form.day)}" if form.day else "/duty"
    with (
        _flashing_errors(request, InputError, Conflict),
        transaction(request.app.state.sessions) as session,
    ):
        duty.hand_over(session, who, shift_id, form.note, clock.now())
    return RedirectResponse(target, status_code=303)


@router.get("/daily-reports", response_class=HTMLResponse)
def daily_page(
    request: Request, day: str | None = None,
    who: Principal = Depends(require_account),
) -> Response:  # fmt: skip
    plan, shown = _office_day(request, who, day)
    with request.app.state.sessions() as session:
        summary = duty.day_summary(session, plan, shown, clock.now())
    return _render(
        request,
        "daily_reports.html",
        {
            **_day_context(request, who, plan, shown),
            "summary": summary,
            "due": report_due(shown, plan.report_due, plan.utc_offset_hours),
            "status_labels": STATUS_LABELS,
            "groups": [plan.group(code) for code in plan.reporting_groups],
        },
    )


class DailySubmitForm(BaseModel):
    """The fields of the form posted to ``daily_submit`` (the CSRF token is checked apart)."""

    group_code: str = ""
    report_date: str = ""
    progress: str = ""
    tomorrow: str = ""


@router.post("/daily-reports", dependencies=[Depends(require_csrf)])
def daily_submit(
    request: Request,
    form: Annotated[DailySubmitForm, Form()],
    who: Principal = Depends(require_account),
) -> Response:
    plan = _plan(request)
    shown = _day(form.report_date, plan)
    with (
        _flashing_errors(request, InputError, Conflict),
        transaction(request.app.state.sessions) as session,
    ):
        duty.submit_report(session, who, plan, group_code=form.group_code, report_date=shown,
                           progress=form.progress, tomorrow=form.tomorrow, now=clock.now())  # fmt: skip
    return RedirectResponse(f"/daily-reports?day={shown.isoformat()}", status_code=303)


@router.get("/daily-reports/summary.docx")
def summary_docx(
    request: Request, day: str | None = None, who: Principal = Depends(require_account)
) -> Response:
    from lantian.supervision.documents import summary_document

    plan, shown = _office_day(request, who, day)
    with request.app.state.sessions() as session:
        summary = duty.day_summary(session, plan, shown, clock.now())
    return _docx(summary_document(summary, plan), f"日报汇总-{shown.isoformat()}.docx")


@register_tile
def open_cases_tile(session: Session, who: Principal) -> Tile | None:
    """The dashboard's open-cases tile: the cases this account may see that are not closed, and
    how many of them are overdue (the escalation job marks them)."""
    if who.role in MACHINE_ROLES:
        return None
    total, overdue = service.open_case_counts(session, who)
    return Tile(
        key="open-cases",
        label_zh="未办结督查案件",
        label_en="Open inspection cases",
        value=str(total),
        detail_zh=f"其中逾期 {overdue} 件",
        detail_en=f"{overdue} overdue",
        href="/cases",
        tone="alert" if overdue else ("warn" if total else "good"),
    )
