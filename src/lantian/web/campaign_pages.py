"""Pages of the campaign plan (sign-in required): the task matrix, a task with its history, "my
tasks" of a unit or township account, the monthly report form, target progress, escalations, the
accountability records across tasks and inspection cases, and the Excel export. Scope is enforced with ``can``: a unit or township account sees its own tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUpload

from lantian import clock
from lantian.auth.permissions import Action, Principal, can, resource
from lantian.campaign import rules, service
from lantian.campaign.excel import REVIEW_ZH, STATUS_ZH, export_workbook
from lantian.campaign.models import REPORT_STATUSES, ProgressEvidence
from lantian.db.engine import transaction
from lantian.errors import (
    Conflict,
    FieldProblem,
    InputError,
    Invalid,
    NotAllowed,
    NotFound,
    ServiceError,
)
from lantian.language import N_
from lantian.supervision import service as supervision_service
from lantian.web.access import MACHINE_ROLES, require_account, require_csrf
from lantian.web.i18n import language_of
from lantian.web.plan_state import current_plan
from lantian.web.rendering import BLANK_FORM, FilledForm, done, filled_form, render
from lantian.web.tiles import Tile, register_tile

router = APIRouter(include_in_schema=False)

STATUS_EN = {
    "not_started": "not started",
    "in_progress": "in progress",
    "completed": "completed",
    "behind": "behind",
    "overdue": "overdue",
}


def campaign_today(request: Request) -> date:
    """The campaign's day (:func:`service.campaign_day`): the one clock's day in China, or the
    campaign's last day once the plan in force is over."""
    document = current_plan(request).plan
    period = document.periods.get("campaign") if document else None
    return service.campaign_day(period.end if period else None)


def _as_of(request: Request, value: str | None) -> date:
    if not value:
        return campaign_today(request)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"as_of={value}: 日期格式应为 YYYY-MM-DD / use YYYY-MM-DD") from None


def _month(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        raise InputError(f"month={value}: 月份格式应为 YYYY-MM / use YYYY-MM") from None


def _zh(request: Request) -> bool:
    return language_of(request) == "zh"


def _reported_month(as_of: str) -> str:
    """The month whose reports are the latest due by ``as_of`` (the previous month): YYYY-MM."""
    day = date.fromisoformat(as_of) if as_of else clock.today()
    return f"{rules.previous_month(rules.first_of_month(day)):%Y-%m}"


def _render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    base = {
        "status_zh": STATUS_ZH,
        "status_en": STATUS_EN,
        "review_zh": REVIEW_ZH,
        "quote": quote,
        "reported_month": _reported_month,
    }
    response: HTMLResponse = render(request, template, {**base, **context}, status)
    return response


def _no_plan(request: Request) -> HTMLResponse:
    return _render(request, "campaign_noplan.html", {}, status=404)


@router.get("/campaign/plan", response_class=HTMLResponse)
def plan_page(request: Request, who: Principal = Depends(require_account)) -> HTMLResponse:
    """The plan's document: periods, overall targets, reporting duties, the inspection-support
    organisation and the annex table."""
    with request.app.state.sessions() as session:
        context = service.current_plan(session)
        if context is None:
            return _no_plan(request)
        return _render(
            request,
            "campaign_plan.html",
            {"plan": context, "as_of": campaign_today(request).isoformat()},
        )


@router.get("/campaign/tasks", response_class=HTMLResponse)
def task_matrix(
    request: Request,
    who: Principal = Depends(require_account),
    leader: str | None = None,
    unit: str | None = None,
    area: str | None = None,
    section: str | None = None,
    status: str | None = None,
    as_of: str | None = None,
) -> HTMLResponse:
    day = _as_of(request, as_of)
    with request.app.state.sessions() as session:
        context = service.current_plan(session)
        if context is None:
            return _no_plan(request)
        views = service.visible_views(context, service.task_views(session, context, day), who)
        shown = service.filter_views(
            context,
            views,
            leader=leader or None,
            unit=unit or None,
            area=area or None,
            section=int(section) if section and section.isdigit() else None,
            status=status or None,
        )
        sections = sorted({(t.section_number, t.section_title) for t in context.tasks})
        return _render(
            request,
            "campaign_tasks.html",
            {
                "plan": context,
                "views": shown,
                "total": len(views),
                "sections": sections,
                "filters": {
                    "leader": leader or "",
                    "unit": unit or "",
                    "area": area or "",
                    "section": section or "",
                    "status": status or "",
                    "as_of": day.isoformat(),
                },
                "statuses": [*REPORT_STATUSES, "overdue"],
                "mine": False,
            },
        )


@router.get("/campaign/my", response_class=HTMLResponse)
def my_tasks(
    request: Request, who: Principal = Depends(require_account), as_of: str | None = None
) -> Response:
    """A unit's or township's own tasks and the reports it owes; others see the whole matrix."""
    if who.role not in ("unit", "township"):
        return RedirectResponse("/campaign/tasks", status_code=303)
    day = _as_of(request, as_of)
    kind = "unit" if who.role == "unit" else "area"
    code = who.scope or ""
    with request.app.state.sessions() as session:
        context = service.current_plan(session)
        if context is None:
            return _no_plan(request)
        views = service.visible_views(context, service.task_views(session, context, day), who)
        months = [m for m in context.reporting_months() if context.report_due(m) < day]
        owed = []
        for view in views:
            expected = (kind, code) in context.expected_reporters(view.task)
            have = {
                r.period_month
                for r in view.reports
                if r.reporter_kind == kind and r.reporter_code == code
            }
            missing = [m for m in months if expected and m not in have]
            owed.append((view, expected, missing))
        return _render(
            request,
            "campaign_my.html",
            {
                "plan": context,
                "owed": owed,
                "reporter_name": context.reporter_name(kind, code),
                "as_of": day.isoformat(),
                "report_due": context.report_due,
            },
        )


@router.get("/campaign/tasks/{ref}", response_class=HTMLResponse)
def task_page(
    request: Request, ref: str, who: Principal = Depends(require_account), as_of: str | None = None
) -> HTMLResponse:
    day = _as_of(request, as_of)
    with request.app.state.sessions() as session:
        context = service.current_plan(session)
        if context is None:
            return _no_plan(request)
        views = {v.task.ref: v for v in service.task_views(session, context, day)}
        view = views.get(ref)
        if view is None:
            raise NotFound(f"没有任务 {ref} / no task {ref}")
        if not service.visible_views(context, [view], who):
            raise NotAllowed("无权查看该任务 / this task is outside your scope")
        history = service.task_history(
            session, context.plan.code, ref, [r.id for r in view.reports]
        )
        targets = [
            p for p in service.target_progress(session, context, day) if p.target.task_ref == ref
        ]
        return _render(
            request,
            "campaign_task.html",
            {
                "plan": context,
                "view": view,
                "task": view.task,
                "history": history,
                "targets": targets,
                "indicator_names": {
                    p.target.key: p.target.indicator.split(" / ")[0 if _zh(request) else -1]
                    for p in targets
                },
                "accountability": service.accountability_for(session, "task", ref),
                "days_late": rules.days_late,
                "as_of": day.isoformat(),
                "can_review_office": can(who, Action.REVIEW, resource("progress_report")),
                "can_review_lead": who.role == "unit" and who.scope in view.task.lead_units,
                "can_hold_to_account": can(who, Action.REVIEW, resource("task")),
                "subjects": [("unit", c) for c in context.task_resource_units(view.task)]
                + [("area", c) for c in context.task_areas(view.task)],
                "can_report": _reporter_of(who) is not None
                and service.may_report(context, view.task, *_reporter_of(who)),  # type: ignore[misc]
            },
        )


def _reporter_of(who: Principal) -> tuple[str, str] | None:
    if who.role == "unit" and who.scope:
        return "unit", who.scope
    if who.role == "township" and who.scope:
        return "area", who.scope
    return None


@router.get("/campaign/report", response_class=HTMLResponse)
def report_form(
    request: Request,
    task: str,
    who: Principal = Depends(require_account),
    reporter: str | None = None,
    month: str | None = None,
) -> HTMLResponse:
    """The monthly report form for a task: the reporter is the account's own unit or area; the
    office may report on behalf of any reporter (``reporter=unit:mtj``)."""
    with request.app.state.sessions() as session:
        context = service.current_plan(session)
        if context is None:
            return _no_plan(request)
        return _render(
            request,
            "campaign_report_form.html",
            _form_context(context, task, who, reporter, _month(month)),
        )


def _form_context(
    context: service.PlanContext,
    task_ref: str,
    who: Principal,
    reporter: str | None,
    month: date | None,
    filled: FilledForm = BLANK_FORM,
) -> dict[str, Any]:
    the_task = context.task(task_ref)
    months = context.reporting_months()
    return {
        "plan": context,
        "task": the_task,
        "choices": _reporter_choices(context, the_task, who, reporter),
        "months": months,
        "month": month or _default_month(context, months),
        "targets": [t for t in context.targets if t.task_ref == the_task.ref],
        "statuses": REPORT_STATUSES,
        "due": {m: context.report_due(m) for m in months},
        "filled": filled,
    }


def _default_month(context: service.PlanContext, months: list[date]) -> date:
    today = clock.today()
    past = [m for m in months if m <= rules.first_of_month(today)]
    return past[-1] if past else months[0]


def _reporter_choices(
    context: service.PlanContext, task: Any, who: Principal, wanted: str | None
) -> list[tuple[str, str]]:
    own = _reporter_of(who)
    if own is not None:
        if not service.may_report(context, task, *own):
            raise NotAllowed(f"不承担任务 {task.ref} / you have no part in task {task.ref}")
        return [(f"{own[0]}:{own[1]}", context.reporter_name(*own))]
    if not can(who, Action.WRITE, resource("progress_report")):
        raise NotAllowed("无权报送 / you may not report progress")
    everyone = [("unit", c) for c in context.task_resource_units(task)] + [
        ("area", c) for c in context.task_areas(task)
    ]
    choices = [(f"{k}:{c}", context.reporter_name(k, c)) for k, c in everyone]
    if wanted:
        choices.sort(key=lambda choice: choice[0] != wanted)
    return choices


class ReportSubmitForm(BaseModel):
    """The fields of the form posted to ``report_submit`` (the CSRF token is checked apart)."""

    task: str
    reporter: str
    month: str
    status: str
    text: str = ""


@router.post("/campaign/report", dependencies=[Depends(require_csrf)], response_class=HTMLResponse)
async def report_submit(
    request: Request,
    form: Annotated[ReportSubmitForm, Form()],
    who: Principal = Depends(require_account),
    evidence: list[UploadFile] = File(default=[]),
) -> Response:
    # The indicator values come as value_<indicator> fields, one per indicator of the task.
    raw = await request.form()
    kind, _, code = form.reporter.partition(":")
    uploads = []
    for upload in evidence:
        if upload.filename:
            content = await upload.read(service.MAX_EVIDENCE_BYTES + 1)
            uploads.append(service.EvidenceUpload(upload.filename, content))
    settings = request.app.state.settings
    try:
        values: dict[str, float] = {}
        for name, value in raw.multi_items():
            if name.startswith("value_") and isinstance(value, str) and value.strip():
                try:
                    values[name.removeprefix("value_")] = float(value)
                except ValueError:
                    raise InputError(f"“{value}” 不是数字 / is not a number", field=name) from None
        period = _month(form.month)
        if period is None:
            raise InputError("缺少月份 / month missing", field="month")
        with transaction(request.app.state.sessions) as session:
            context = service.require_plan(session)
            service.submit_report(
                session,
                context,
                who,
                task_ref=form.task,
                reporter_kind=kind,
                reporter_code=code,
                period_month=period,
                status=form.status,
                text=form.text,
                values=values,
                evidence=uploads,
                data_dir=settings.ensure_data_dir(),
            )
    except (InputError, Conflict) as error:
        # Nothing was written: the form again as typed, every problem beside its field (bad
        # values, or a report already accepted), with the status of the error's class.
        fields = [*ReportSubmitForm.model_fields, "evidence"]
        fields += [name for name in raw if name.startswith("value_")]
        filled = filled_form(request, raw, error, fields)
        with request.app.state.sessions() as session:
            context = service.require_plan(session)
            page = _form_context(
                context, form.task, who, form.reporter, _month_or_none(form.month), filled
            )
        return _render(request, "campaign_report_form.html", page, status=error.http_status)
    return done(
        request, f"/campaign/tasks/{quote(form.task)}", "已报送 / progress report submitted"
    )


def _month_or_none(value: str) -> date | None:
    """The month of a refused form, if it reads as one (the form shows it again)."""
    try:
        return _month(value)
    except InputError:
        return None


@router.get("/campaign/evidence/{evidence_id}")
def evidence_file(
    request: Request, evidence_id: int, who: Principal = Depends(require_account)
) -> Response:
    """An evidence file, for whoever may read its task, after checking its SHA-256."""
    settings = request.app.state.settings
    with request.app.state.sessions() as session:
        context = service.current_plan(session)
        evidence = session.get(ProgressEvidence, evidence_id)
        if context is None or evidence is None:
            raise NotFound("没有该文件 / no such file")
        report = evidence.report
        task = next((t for t in context.tasks if t.id == report.task_id), None)
        readable = task is not None and can(
            who,
            Action.READ,
            resource(
                "task", units=context.task_resource_units(task), areas=context.task_areas(task)
            ),
        )
        if not readable:
            raise NotAllowed("无权查看 / outside your scope")
        content = service.read_evidence(settings.data_dir, evidence)
        name = evidence.filename
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


class ReviewForm(BaseModel):
    """The fields of the form posted to ``review`` (the CSRF token is checked apart)."""

    stage: str
    decision: str
    comment: str = ""


@router.post("/campaign/reports/{report_id}/review", dependencies=[Depends(require_csrf)])
def review(
    request: Request,
    form: Annotated[ReviewForm, Form()],
    report_id: int,
    who: Principal = Depends(require_account),
) -> Response:
    with transaction(request.app.state.sessions) as session:
        context = service.require_plan(session)
        report = service.review_report(
            session, context, who, report_id, form.stage, form.decision, form.comment
        )
        task = next(t for t in context.tasks if t.id == report.task_id)
    return RedirectResponse(f"/campaign/tasks/{quote(task.ref)}", status_code=303)


class AccountabilityAddForm(BaseModel):
    """The fields of the form posted to ``accountability_add`` (the CSRF token is checked apart)."""

    task: str
    kind: str
    subject: str
    person: str = ""
    reason: str
    decided_on: str
    decided_by: str


@router.post("/campaign/accountability", dependencies=[Depends(require_csrf)])
def accountability_add(
    request: Request,
    form: Annotated[AccountabilityAddForm, Form()],
    who: Principal = Depends(require_account),
) -> Response:
    """问责: the office records a warning, talk, notice or sanction linked to a task.

    ``subject`` is ``unit:CODE``, ``area:CODE`` or ``person`` (then ``person`` names them).
    """
    subject_kind, _, subject_code = form.subject.partition(":")
    try:
        day = date.fromisoformat(form.decided_on)
    except ValueError:
        raise InputError(
            f"decided_on={form.decided_on}: 日期格式应为 YYYY-MM-DD / use YYYY-MM-DD"
        ) from None
    with transaction(request.app.state.sessions) as session:
        context = service.require_plan(session)
        the_task = context.task(form.task)
        if subject_kind == "person":
            name, code = form.person.strip(), None
        else:
            name, code = context.reporter_name(subject_kind, subject_code), subject_code
        service.record_accountability(
            session,
            who,
            kind=form.kind,
            subject_kind=subject_kind,
            subject_code=code,
            subject_name=name,
            link_kind="task",
            link_id=the_task.ref,
            reason=form.reason,
            decided_on=day,
            decided_by=form.decided_by,
            plan_id=context.plan.id,
        )
    return RedirectResponse(f"/campaign/tasks/{quote(form.task)}", status_code=303)


#: What an accountability record can be linked to, as the listing names and links it.
LINK_KINDS = {
    "task": N_("task"),
    "progress_report": N_("progress report"),
    "inspection_case": N_("inspection case"),
}
MEASURES = service.ACCOUNTABILITY_KIND_LABELS


@router.get("/campaign/accountability", response_class=HTMLResponse)
def accountability_page(
    request: Request, who: Principal = Depends(require_account), link_kind: str | None = None
) -> HTMLResponse:
    """问责记录 across all tasks and inspection cases (those decided on a case's accountability
    proposal included): the office, leaders and the administrator see all; a unit or township
    account sees those of its unit or area and of its cases; others are refused."""
    service.require_accountability_reader(who)  # before judging the input: 403, not 422
    if link_kind is not None and link_kind not in LINK_KINDS:
        raise InputError(
            f"link_kind={link_kind}: 可选 {', '.join(LINK_KINDS)} / choose one of "
            f"{', '.join(LINK_KINDS)}"
        )
    with request.app.state.sessions() as session:
        every = service.accountability_for(session)
        cases = supervision_service.case_resources(
            session, (r.link_id for r in every if r.link_kind == "inspection_case" and r.link_id)
        )
        records = service.accountability_visible_to(session, who, cases, link_kind=link_kind)
        context = service.current_plan(session)
    counts = {kind: sum(r.kind == kind for r in records) for kind in MEASURES}
    return _render(
        request,
        "campaign_accountability.html",
        {
            "plan": context,
            "records": records,
            "counts": counts,
            "measures": MEASURES,
            "link_kinds": LINK_KINDS,
            "link_kind": link_kind or "",
            "as_of": campaign_today(request).isoformat(),
        },
    )


@router.get("/campaign/targets", response_class=HTMLResponse)
def targets_page(
    request: Request, who: Principal = Depends(require_account), as_of: str | None = None
) -> HTMLResponse:
    day = _as_of(request, as_of)
    with request.app.state.sessions() as session:
        context = service.current_plan(session)
        if context is None:
            return _no_plan(request)
        # The targets are the whole plan's: every signed-in account may see where they stand.
        progress = service.target_progress(session, context, day)
        from lantian.sources.registry import kinds

        # Which register computes a target (its list is where the figure's entries are).
        registers = {i.target_key: k for k in kinds().values() for i in k.indicators}
        headline = _headline_figures(progress)
        return _render(
            request,
            "campaign_targets.html",
            {"plan": context, "progress": progress, "as_of": day.isoformat(),
             "registers": registers, "zh": _zh(request), **headline},
        )  # fmt: skip


def _headline_figures(progress: list[service.TargetProgress]) -> dict[str, Any]:
    """The headline targets' computation (issue 18) behind the targets page's section, if the
    measurements computed them."""
    from lantian.results.headline import HEAVY_TARGET, figures

    found = next((headline for p in progress
                  if (headline := getattr(p.computed, "headline", None)) is not None), None)  # fmt: skip
    if found is None:
        return {"headline": None}
    required = next((p.target.value for p in progress if p.target.key == HEAVY_TARGET), None)
    return {"headline": found, "headline_figures": figures(found, required),
            "heavy_required": required}  # fmt: skip


@router.get("/campaign/escalations", response_class=HTMLResponse)
def escalations_page(
    request: Request, who: Principal = Depends(require_account), as_of: str | None = None
) -> HTMLResponse:
    if not can(who, Action.READ, resource("progress_report")):
        raise NotAllowed("仅攻坚办和领导可查看 / for the office and leaders")
    day = _as_of(request, as_of)
    with request.app.state.sessions() as session:
        context = service.current_plan(session)
        if context is None:
            return _no_plan(request)
        found = service.escalations(session, context, day)
        from lantian.campaign.duties import duty_board, overdue_by_reporter

        duties_overdue = overdue_by_reporter(duty_board(session, context, day))
    missing: dict[str, int] = {}
    for item in found:
        if item.kind == "missing_report":
            missing[item.who] = missing.get(item.who, 0) + 1
    return _render(
        request,
        "campaign_escalations.html",
        {
            "plan": context,
            "late": [e for e in found if e.kind == "late_report"],
            "missed": [e for e in found if e.kind == "missed_deadline"],
            "targets": [e for e in found if e.kind == "target_missed"],
            "missing": sorted(missing.items(), key=lambda item: -item[1]),
            "missing_total": sum(missing.values()),
            "duties_overdue": duties_overdue,
            "as_of": day.isoformat(),
        },
    )


@router.get("/campaign/export.xlsx")
def export(
    request: Request,
    who: Principal = Depends(require_account),
    month: str | None = None,
    as_of: str | None = None,
) -> Response:
    if not can(who, Action.READ, resource("progress_report")):
        raise NotAllowed("仅攻坚办和领导可导出 / for the office and leaders")
    day = _as_of(request, as_of)
    with request.app.state.sessions() as session:
        context = service.require_plan(session)
        data = export_workbook(session, context, day, _month(month))
    name = f"{context.plan.code}-tasks-{day}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@register_tile
def campaign_tile(session: Session, who: Principal) -> Tile | None:
    """The dashboard's tasks tile: for the office and leaders, what is up for escalation (missed
    deadlines, late and missing monthly reports); for a unit or township, the reports it owes."""
    if who.role in MACHINE_ROLES:
        return None
    context = service.current_plan(session)
    if context is None:
        return None
    day = service.judged_day(context, clock.today())
    if who.role in ("unit", "township"):
        seen, owed = service.reports_owed(session, context, who, day)
        return Tile(
            key="my-tasks",
            label_zh="我的攻坚任务",
            label_en="My campaign tasks",
            value=str(seen),
            detail_zh=f"截至 {day.isoformat()} 欠报月报 {owed} 份",
            detail_en=f"{owed} monthly reports owed as of {day.isoformat()}",
            href="/campaign/my",
            tone="alert" if owed else "good",
        )
    if not can(who, Action.READ, resource("progress_report")):
        return None
    total, missed, late = service.escalation_summary(session, context, day)
    return Tile(
        key="task-escalations",
        label_zh="待问责督办事项",
        label_en="Up for escalation",
        value=str(total),
        detail_zh=f"截至 {day.isoformat()}：逾期任务 {missed}，迟报或未报 {late}",
        detail_en=f"as of {day.isoformat()}: {missed} missed deadlines, {late} late or missing reports",
        href=f"/campaign/escalations?as_of={day.isoformat()}",
        tone="alert" if total else "good",
    )


@register_tile
def headline_tile(session: Session, who: Principal) -> Tile | None:
    """The two headline targets computed from the measurements (issue 18): PM2.5 and heavy days
    against the same days a year before, and the heavy days still allowed."""
    if who.role in MACHINE_ROLES:
        return None
    context = service.current_plan(session)
    if context is None:
        return None
    from lantian.results.headline import HEAVY_TARGET, PM25_TARGET, headline_values

    day = service.judged_day(context, clock.today())
    values = headline_values(session, context.periods, context.targets, day)
    pm25, heavy = values.get(PM25_TARGET), values.get(HEAVY_TARGET)
    if pm25 is None or heavy is None or pm25.headline is None:
        return None
    targets = {t.key: t for t in context.targets}
    f = _figures_of(pm25.headline, targets[HEAVY_TARGET].value)
    shown = "—" if f["pm25_reduction"] is None else f"{f['pm25_reduction']:.1f}%"
    met = [
        value.value is not None and value.value >= targets[key].value
        for key, value in ((PM25_TARGET, pm25), (HEAVY_TARGET, heavy))
    ]
    allowed = f["heavy_days_allowed"]
    before = "—" if f["heavy_days_before"] is None else f["heavy_days_before"]
    left_zh = "" if allowed is None else f"，剩余允许 {max(allowed, 0)} 天"
    left_en = "" if allowed is None else f", {max(allowed, 0)} still allowed"
    return Tile(
        key="headline-targets",
        label_zh="PM2.5 同比降幅",
        label_en="PM2.5 decrease on the year before",
        value=shown,
        detail_zh=f"截至 {f['through']}：重污染 {f['heavy_days']} 天（上年同期 {before} 天）"
        f"{left_zh}；缺测 {f['missing_pm25_days']} 天",
        detail_en=f"to {f['through']}: {f['heavy_days']} heavy days ({before} a year before)"
        f"{left_en}; {f['missing_pm25_days']} days missing",
        href="/campaign/targets#headline",
        tone="good" if all(met) else "alert" if allowed is not None and allowed < 0 else "warn",
    )


def _figures_of(result: Any, required: float) -> dict[str, Any]:
    from lantian.results.headline import figures

    return figures(result, required)


# --- 本月报送: every task of one reporter for one month, on one page -------------------------


@dataclass(frozen=True)
class MonthlyRow:
    """One task on the monthly page: what was reported for it this month (if anything), and
    whether it may still change (a report accepted on review may not)."""

    task: Any
    report: Any | None

    @property
    def locked(self) -> bool:
        return self.report is not None and self.report.review_state in ("lead_accepted", "accepted")


class _RowsRefused(Exception):
    """Some rows of the monthly page were refused: the whole post is rolled back."""


def _monthly_reporter(
    context: service.PlanContext, who: Principal, wanted: str | None
) -> tuple[str, str] | None:
    """The reporter of the monthly page: the account's own unit or township; the office names
    one (``unit:mtj``, ``area:410183101``) or, naming none, gets the chooser (``None``)."""
    own = _reporter_of(who)
    if own is not None:
        return own
    if not can(who, Action.WRITE, resource("progress_report")):
        raise NotAllowed("无权报送 / you may not report progress")
    if not wanted:
        return None
    kind, _, code = wanted.partition(":")
    known = context.units if kind == "unit" else context.areas if kind == "area" else {}
    if code not in known:
        raise InputError(f"未知报送主体 {wanted} / unknown reporter {wanted!r}", field="reporter")
    return kind, code


def _monthly_context(
    session: Session,
    context: service.PlanContext,
    who: Principal,
    wanted: str | None,
    month: date | None,
    filled: FilledForm = BLANK_FORM,
) -> dict[str, Any]:
    reporter = _monthly_reporter(context, who, wanted)
    months = context.reporting_months()
    shown = month or _default_month(context, months)
    rows: list[MonthlyRow] = []
    if reporter is not None:
        views = service.task_views(session, context, clock.today())
        for view in views:
            if reporter not in context.expected_reporters(view.task):
                continue
            report = next(
                (r for r in view.reports
                 if (r.reporter_kind, r.reporter_code) == reporter and r.period_month == shown),
                None,
            )  # fmt: skip
            rows.append(MonthlyRow(view.task, report))
    everyone = [("area", code) for code in context.areas] + [("unit", c) for c in context.units]
    return {
        "plan": context,
        "reporter": f"{reporter[0]}:{reporter[1]}" if reporter else "",
        "reporter_name": context.reporter_name(*reporter) if reporter else "",
        "may_choose": _reporter_of(who) is None,
        "reporters": [(f"{k}:{c}", context.reporter_name(k, c)) for k, c in everyone],
        "months": months,
        "month": shown,
        "due": context.report_due(shown),
        "rows": rows,
        "statuses": REPORT_STATUSES,
        "filled": filled,
        "as_of": clock.today().isoformat(),
    }


@router.get("/campaign/monthly", response_class=HTMLResponse)
def monthly_page(
    request: Request,
    who: Principal = Depends(require_account),
    reporter: str | None = None,
    month: str | None = None,
) -> HTMLResponse:
    """本月报送: a township's (or unit's) every task of the month on one page, one row per task —
    status, progress, an optional file — posted once (the plan's monthly progress reports)."""
    with request.app.state.sessions() as session:
        context = service.current_plan(session)
        if context is None:
            return _no_plan(request)
        page = _monthly_context(session, context, who, reporter, _month(month))
    return _render(request, "campaign_monthly.html", page)


@router.post("/campaign/monthly", dependencies=[Depends(require_csrf)], response_model=None)
async def monthly_submit(request: Request, who: Principal = Depends(require_account)) -> Response:
    """Every filled row through :func:`lantian.campaign.service.submit_report`, in one
    transaction: a refused row refuses the post (nothing half-written), and the page comes back
    as typed with each row's problems beside it."""
    raw = await request.form()
    wanted = str(raw.get("reporter") or "")
    month_text = str(raw.get("month") or "")
    rows: list[tuple[str, str, str, list[service.EvidenceUpload]]] = []
    for ref in raw.getlist("task"):
        ref = str(ref)
        status = str(raw.get(f"status_{ref}") or "")
        text = str(raw.get(f"text_{ref}") or "")
        uploads = []
        for upload in raw.getlist(f"evidence_{ref}"):
            if isinstance(upload, StarletteUpload) and upload.filename:
                content = await upload.read(service.MAX_EVIDENCE_BYTES + 1)
                uploads.append(service.EvidenceUpload(upload.filename, content))
        if status or text.strip() or uploads:
            rows.append((ref, status, text, uploads))
    problems: list[FieldProblem] = []
    try:
        period = _month(month_text)
        if period is None:
            raise InputError("缺少月份 / month missing", field="month")
        with transaction(request.app.state.sessions) as session:
            context = service.require_plan(session)
            reporter = _monthly_reporter(context, who, wanted)
            if reporter is None:
                raise InputError("须选择报送主体 / choose the reporter", field="reporter")
            if not rows:
                raise InputError("没有填写任何任务 / no task was filled in")
            for ref, status, text, uploads in rows:
                try:
                    service.submit_report(
                        session, context, who, task_ref=ref, reporter_kind=reporter[0],
                        reporter_code=reporter[1], period_month=period, status=status,
                        text=text, evidence=uploads,
                        data_dir=request.app.state.settings.ensure_data_dir(),
                    )  # fmt: skip
                except (InputError, Conflict) as error:
                    where = error.field if error.field in ("status", "text", "evidence") else "row"
                    problems.append(FieldProblem(f"{where}_{ref}", error.message))
            if problems:
                raise _RowsRefused
    except (InputError, Conflict, _RowsRefused) as error:
        refused: ServiceError
        if not isinstance(error, _RowsRefused):
            refused = error
        else:
            count = len(problems)
            refused = Invalid(
                f"{count} 项有误，均未保存 / {count} rows refused, none saved", problems=problems
            )
        fields = [f"{what}_{ref}" for ref in map(str, raw.getlist("task"))
                  for what in ("status", "text", "evidence", "row")]  # fmt: skip
        filled = filled_form(request, raw, refused, [*fields, "reporter", "month"])
        with request.app.state.sessions() as session:
            context = service.require_plan(session)
            page = _monthly_context(
                session, context, who, wanted or None, _month_or_none(month_text), filled
            )
        return _render(request, "campaign_monthly.html", page, status=refused.http_status)
    return done(
        request,
        f"/campaign/monthly?reporter={quote(wanted)}&month={quote(month_text)}",
        f"已报送 {len(rows)} 项任务 / {len(rows)} task reports submitted",
    )
