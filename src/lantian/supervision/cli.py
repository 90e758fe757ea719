"""`lantian cases …`: record cases, take steps, run the escalation job, read the board.

Commands act as an account (``--as USERNAME``: its role and scope apply, and it is the audited
actor) or, without ``--as``, as the server's operator ``cli:<OS user>`` with administrator rights:
whoever runs commands on the server already holds the database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from lantian import clock
from lantian.auth import service as accounts
from lantian.auth.cli import cli_actor
from lantian.auth.permissions import Principal
from lantian.config import get_settings
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions as _sessions
from lantian.errors import InputError, NotFound
from lantian.plan import plan_in_force
from lantian.supervision import accountability, duty, service
from lantian.supervision.groups import InspectionSupportPlan, inspection_plan
from lantian.supervision.roster import local_date, report_due
from lantian.supervision.rules import STATE_LABELS, TIMELINE_LABELS, CaseState, EscalationPolicy
from lantian.timeutil import CHINA_TZ, to_china

cases_app = typer.Typer(help="督查案件 / inspection cases.", no_args_is_help=True)
console = Console()

AS_OPTION = typer.Option(None, "--as", help="act as this account (default: cli:<OS user>, admin)")


def _principal(session: Session, username: str | None) -> Principal:
    if username is None:
        return Principal(cli_actor(None), "administrator")
    return Principal.of(accounts.get_user(session, username))


def parse_moment(text: str | None, what: str) -> datetime | None:
    """An ISO date-time; without a zone it is China time (UTC+8), as people in Xinmi write it."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{what} {text!r} 不是 ISO 时间（如 2017-11-22T18:00）/ not an ISO date-time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(UTC)


def _moment(text: str, what: str) -> datetime:
    moment = parse_moment(text, what)
    assert moment is not None
    return moment


def _evidence(paths: list[Path] | None) -> list[service.EvidenceFile]:
    found = []
    for path in paths or []:
        if not path.is_file():
            raise NotFound(f"{path}: 文件不存在 / no such file")
        found.append(service.EvidenceFile(path.name, path.read_bytes()))
    return found


def _cn(moment: datetime | None) -> str:
    return to_china(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@cases_app.command("add")
def add(
    title: str = typer.Option(..., help="问题 / what is wrong"),
    source: str = typer.Option("inspection_team", help="inspection_team, patrol, hotline"),
    area: str | None = typer.Option(None, help="9-digit area code, e.g. 410183100"),
    site: str | None = typer.Option(None, help="enterprise or site"),
    unit: str | None = typer.Option(None, help="responsible unit code, e.g. hbj"),
    severity: str = typer.Option("general", help="general, serious, major"),
    deadline: str | None = typer.Option(None, help="ISO date-time (China time if no zone)"),
    reference: str | None = typer.Option(None, help="the inspection team's case number"),
    description: str = typer.Option("", help="details"),
    lon: float | None = typer.Option(None, help="longitude (WGS-84)"),
    lat: float | None = typer.Option(None, help="latitude (WGS-84)"),
    evidence: list[Path] | None = typer.Option(None, help="evidence file (repeatable)"),
    as_user: str | None = AS_OPTION,
) -> None:
    """登记案件（交办）/ Record a case handed over by the inspection team (or found otherwise)."""
    draft = service.CaseDraft(
        source=source,
        title=title,
        description=description,
        area_code=area,
        site=site,
        longitude=lon,
        latitude=lat,
        severity=severity,
        unit_code=unit,
        deadline=parse_moment(deadline, "--deadline"),
        reference=reference,
    )
    settings = get_settings()
    with transaction(_sessions()) as session:
        case = service.record_case(
            session,
            _principal(session, as_user),
            draft,
            clock.now(),
            evidence=_evidence(evidence),
            data_dir=settings.ensure_data_dir(),
        )
        case_id = case.id
    console.print(f"[green]✓[/green] 案件 case {case_id} 已登记 recorded (交办 assigned)")


@cases_app.command("step")
def step(
    case_id: int = typer.Argument(..., help="case id"),
    event: str = typer.Argument(
        ..., help="forward, accept, progress, report, reject, close, reopen, list"
    ),
    note: str = typer.Option("", help="说明 / note"),
    unit: str | None = typer.Option(None, help="responsible unit (forward)"),
    deadline: str | None = typer.Option(None, help="new deadline (forward, list, reopen)"),
    evidence: list[Path] | None = typer.Option(None, help="evidence file (repeatable)"),
    as_user: str | None = AS_OPTION,
) -> None:
    """办理一步 / Take one step of a case (who may is checked by role and scope)."""
    settings = get_settings()
    with transaction(_sessions()) as session:
        case = service.take_step(
            session,
            _principal(session, as_user),
            case_id,
            event,
            clock.now(),
            note=note,
            unit_code=unit,
            deadline=parse_moment(deadline, "--deadline"),
            evidence=_evidence(evidence),
            data_dir=settings.ensure_data_dir(),
        )
        zh, en = STATE_LABELS[CaseState(case.state)]
    console.print(f"[green]✓[/green] 案件 case {case_id}: {zh} {en}")


@cases_app.command("list")
def list_cases(
    state: str | None = typer.Option(None, help="assigned, forwarded, rectifying, …"),
    unit: str | None = typer.Option(None, help="unit code"),
    area: str | None = typer.Option(None, help="area code"),
    overdue: bool = typer.Option(False, "--overdue", help="only overdue cases"),
    limit: int = typer.Option(100, help="at most this many"),
    as_user: str | None = AS_OPTION,
) -> None:
    """案件列表 / List cases (a unit or township account sees its own)."""
    with _sessions()() as session:
        rows, total = service.list_cases(
            session,
            _principal(session, as_user),
            state=state,
            unit_code=unit,
            area_code=area,
            overdue=overdue or None,
            limit=limit,
        )
        table = Table(
            "编号 id", "状态 state", "问题 title", "区域 area", "单位 unit", "期限 deadline",
            "标记 flags", title=f"督查案件 cases ({len(rows)} / {total})",
        )  # fmt: skip
        for case in rows:
            flags = [
                *(["挂牌 listed"] if case.listed else []),
                *(["逾期 overdue"] if case.overdue_since else []),
                *(["示例 sample"] if case.is_sample else []),
            ]
            table.add_row(
                str(case.id),
                STATE_LABELS[CaseState(case.state)][0],
                case.title,
                case.area_code or "",
                case.unit_code or "",
                _cn(case.deadline),
                ", ".join(flags),
            )
    console.print(table)


@cases_app.command("show")
def show(case_id: int = typer.Argument(...), as_user: str | None = AS_OPTION) -> None:
    """案件时间线 / Show one case and its timeline."""
    with _sessions()() as session:
        who = _principal(session, as_user)
        rows, _ = service.list_cases(session, who, limit=1, case_id=case_id)
        if not rows:
            raise NotFound(f"案件 {case_id} 不存在或无权查看 / no case {case_id} you may read")
        case = rows[0]
        console.print(
            f"[bold]案件 {case.id}[/bold] {case.title} — "
            f"{STATE_LABELS[CaseState(case.state)][0]} {case.state}"
            + (" [red]挂牌督办 listed[/red]" if case.listed else "")
            + (" [red]逾期 overdue[/red]" if case.overdue_since else "")
        )
        console.print(
            f"区域 area {case.area_code or '-'}  地点 site {case.site or '-'}  "
            f"单位 unit {case.unit_code or '-'}  期限 deadline {_cn(case.deadline) or '-'}  "
            f"发生 occurrences {case.occurrences}"
        )
        table = Table(
            "时间 time (UTC+8)", "步骤 step", "人 who", "状态 state", "说明 note", "证据 evidence"
        )
        for event, files in service.timeline(session, case_id):
            label = TIMELINE_LABELS.get(event.event, (event.event, event.event))
            table.add_row(
                _cn(event.at),
                f"{label[0]} {label[1]}",
                event.actor,
                f"{event.from_state or ''} → {event.to_state}",
                event.note,
                ", ".join(f"{f.filename} ({f.sha256[:12]})" for f in files),
            )
    console.print(table)


@cases_app.command("escalate")
def escalate(
    now: str | None = typer.Option(None, help="the job's clock (ISO); default: the real time"),
    escalate_after_hours: float = typer.Option(24.0, help="list a case this long after deadline"),
    listed_days: float = typer.Option(3.0, help="deadline that listing gives (days)"),
) -> None:
    """逾期标记与挂牌督办 / Flag overdue cases and list the late ones (run it from a scheduler)."""
    moment = parse_moment(now, "--now") or clock.now()
    policy = EscalationPolicy(
        escalate_after=timedelta(hours=escalate_after_hours),
        listed_deadline=timedelta(days=listed_days),
    )
    with transaction(_sessions()) as session:
        report = service.run_escalation(session, moment, policy)
    console.print(
        f"逾期标记 flagged {len(report.flagged)}: {report.flagged}; "
        f"挂牌督办 listed {len(report.listed)}: {report.listed}; "
        f"解除逾期 cleared {len(report.cleared)}; "
        f"挂牌后仍逾期 listed and overdue {len(report.listed_and_overdue)}: "
        f"{report.listed_and_overdue}"
    )


@cases_app.command("progress")
def progress(as_user: str | None = AS_OPTION) -> None:
    """边督边改进度 / Rectification progress per responsible unit."""
    with _sessions()() as session:
        rows = service.rectification_progress(session, _principal(session, as_user))
    table = Table(
        "单位 unit", "总数 total", *(f"{zh} {s.value}" for s, (zh, _) in STATE_LABELS.items()),
        "逾期 overdue", "挂牌 listed", "办结率 closed %", title="边督边改 rectification progress",
    )  # fmt: skip
    for row in rows:
        table.add_row(
            row.unit_code,
            str(row.total),
            *(str(row.by_state.get(s.value, 0)) for s in STATE_LABELS),
            str(row.overdue),
            str(row.listed),
            f"{row.closed_percent:.1f}",
        )
    console.print(table)


@cases_app.command("propose")
def propose(
    case_id: int = typer.Argument(..., help="case id"),
    reasons: str = typer.Option(..., help="理由 / why accountability is proposed"),
    unit: str | None = typer.Option(None, help="unit held accountable (default: the case's)"),
    person: str | None = typer.Option(None, help="person held accountable"),
    as_user: str | None = AS_OPTION,
) -> None:
    """建议问责 / Propose accountability for a case to the accountability group."""
    with transaction(_sessions()) as session:
        row = accountability.propose(
            session, _principal(session, as_user), case_id, reasons, clock.now(),
            target_unit=unit, target_person=person,
        )  # fmt: skip
        proposal_id = row.id
    console.print(f"[green]✓[/green] 问责建议 proposal {proposal_id} (案件 case {case_id})")


@cases_app.command("review-proposal")
def review_proposal(
    proposal_id: int = typer.Argument(...),
    approve: bool = typer.Option(..., "--approve/--decline", help="攻坚办同意 / the office agrees"),
    note: str = typer.Option("", help="说明（不同意时必填）/ note (required to decline)"),
    as_user: str | None = AS_OPTION,
) -> None:
    """攻坚办审核问责建议 / The office approves (transfers) or declines a proposal."""
    with transaction(_sessions()) as session:
        row = accountability.review(
            session, _principal(session, as_user), proposal_id, approve, clock.now(), note
        )
        status = row.status
    console.print(f"[green]✓[/green] 问责建议 proposal {proposal_id}: {status}")


@cases_app.command("decide")
def decide(
    proposal_id: int = typer.Argument(...),
    decision: str = typer.Option(..., help="问责决定 / the accountability group's decision"),
    measure: str = typer.Option(
        ...,
        help="问责方式 / the measure: warning|talk|notice|sanction, or none (不予问责)",
    ),
    as_user: str | None = AS_OPTION,
) -> None:
    """问责组作出决定 / Record the accountability group's decision.

    A measure other than ``none`` also records it in the campaign's accountability records, linked
    to the case (``lantian plan accountability`` lists them).
    """
    group = _plan().accountability_group
    with transaction(_sessions()) as session:
        row = accountability.decide(
            session, _principal(session, as_user), proposal_id, decision, clock.now(),
            measure=None if measure == "none" else measure,
            decided_by=group.name if group else None,
        )  # fmt: skip
        case_id = row.link_id
    console.print(
        f"[green]✓[/green] 问责建议 proposal {proposal_id}: decided"
        + ("" if measure == "none" else f" · 问责记录 record: {measure} (案件 case {case_id})")
    )


# --- duty roster and daily reports ----------------------------------------------------------------

duty_app = typer.Typer(help="值班与日报 / duty roster and daily reports.", no_args_is_help=True)


def _plan() -> InspectionSupportPlan:
    return inspection_plan(plan_in_force())


def _day(text: str | None, plan: InspectionSupportPlan) -> date:
    if text is None:
        return local_date(clock.now(), plan.utc_offset_hours)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"日期 {text!r} 应为 YYYY-MM-DD / the date must be YYYY-MM-DD") from None


@duty_app.command("groups")
def groups() -> None:
    """工作组及职责 / The working groups, their leaders and duties (from the plan)."""
    plan = _plan()
    table = Table("代码 code", "工作组 group", "组长 leader", "成员 members", "职责 duties")
    for group in plan.groups:
        table.add_row(
            group.code,
            group.name,
            "、".join(p.name for p in group.leaders),
            str(len(group.members)),
            "；".join(group.duties),
        )
    console.print(table)


@duty_app.command("add-shift")
def add_shift(
    person: str = typer.Option(..., help="值班人员 / who is on duty"),
    start: str = typer.Option(..., help="ISO date-time (China time if no zone)"),
    end: str = typer.Option(..., help="ISO date-time"),
    phone: str | None = typer.Option(None, help="联系电话"),
    group: str | None = typer.Option(None, help="group code (default: the plan's duty group)"),
    as_user: str | None = AS_OPTION,
) -> None:
    """排班 / Put someone on duty."""
    plan = _plan()
    with transaction(_sessions()) as session:
        shift = duty.add_shift(
            session, _principal(session, as_user), plan, person=person,
            starts_at=_moment(start, "--start"), ends_at=_moment(end, "--end"),
            now=clock.now(), group_code=group, phone=phone,
        )  # fmt: skip
        shift_id = shift.id
    console.print(f"[green]✓[/green] 班次 shift {shift_id}")


@duty_app.command("handover")
def handover(
    shift_id: int = typer.Argument(...),
    note: str = typer.Option(..., help="交接班记录 / handover note"),
    as_user: str | None = AS_OPTION,
) -> None:
    """交接班 / Record a shift's handover note."""
    with transaction(_sessions()) as session:
        duty.hand_over(session, _principal(session, as_user), shift_id, note, clock.now())
    console.print(f"[green]✓[/green] 班次 shift {shift_id} 已交接 handed over")


@duty_app.command("roster")
def show_roster(day: str | None = typer.Option(None, help="YYYY-MM-DD (default: today)")) -> None:
    """值班表 / The roster of one day, with its gaps."""
    plan = _plan()
    report_day = _day(day, plan)
    start = report_due(report_day, time(0, 0), plan.utc_offset_hours)
    end = start + timedelta(days=1)
    with _sessions()() as session:
        shifts = duty.shifts_between(session, start, end)
        gaps = duty.roster_gaps(session, start, end)
    table = Table("班次 id", "人员 person", "开始 start", "结束 end", "交接 handover",
                  title=f"{report_day} 值班表 duty roster")  # fmt: skip
    for shift in shifts:
        table.add_row(str(shift.id), shift.person, _cn(shift.starts_at), _cn(shift.ends_at),
                      shift.handover_note or "")  # fmt: skip
    console.print(table)
    for gap_start, gap_end in gaps:
        console.print(f"[red]空岗 gap[/red] {_cn(gap_start)} – {_cn(gap_end)}")


@duty_app.command("report")
def report(
    group: str = typer.Argument(..., help="group code"),
    progress: str = typer.Option(..., help="当日工作进展 / today's progress"),
    tomorrow: str = typer.Option(..., help="次日工作安排 / tomorrow's plan"),
    day: str | None = typer.Option(None, help="YYYY-MM-DD (default: today)"),
    as_user: str | None = AS_OPTION,
) -> None:
    """报送日报 / Submit a group's daily report (due by 17:00 China time)."""
    plan = _plan()
    with transaction(_sessions()) as session:
        _, late = duty.submit_report(
            session, _principal(session, as_user), plan, group_code=group,
            report_date=_day(day, plan), progress=progress, tomorrow=tomorrow,
            now=clock.now(),
        )  # fmt: skip
    console.print(
        "[yellow]已报送（迟报）submitted late[/yellow]"
        if late
        else "[green]✓[/green] 已报送 submitted"
    )


@duty_app.command("summary")
def summary(
    day: str | None = typer.Option(None, help="YYYY-MM-DD (default: today)"),
    docx: Path | None = typer.Option(None, help="also write the summary as a Word file"),
) -> None:
    """日报汇总 / The coordination group's daily summary."""
    plan = _plan()
    report_day = _day(day, plan)
    with _sessions()() as session:
        assembled = duty.day_summary(session, plan, report_day, clock.now())
    console.print(assembled.as_text(plan.summary_to))
    if docx is not None:
        from lantian.supervision.documents import summary_document

        docx.write_bytes(summary_document(assembled, plan))
        console.print(f"[green]✓[/green] {docx}")


@cases_app.command("notice")
def notice(
    case_id: int = typer.Argument(...),
    out: Path = typer.Option(..., help="the .docx file to write"),
    as_user: str | None = AS_OPTION,
) -> None:
    """督办单 / Write a case's supervision notice as a Word file."""
    from lantian.supervision.documents import notice_document
    from lantian.supervision.groups import area_names, unit_names

    plan = plan_in_force()
    with _sessions()() as session:
        rows, _ = service.list_cases(session, _principal(session, as_user), case_id=case_id)
        if not rows:
            raise NotFound(f"案件 {case_id} 不存在或无权查看 / no case {case_id} you may read")
        events = [event for event, _ in service.timeline(session, case_id)]
        data = notice_document(rows[0], events, unit_names(plan), area_names(plan))
    out.write_bytes(data)
    console.print(f"[green]✓[/green] 督办单 notice → {out}")
