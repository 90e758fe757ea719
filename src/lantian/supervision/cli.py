"""`lantian cases …`: record cases, take steps, run the escalation job, read the board.

Commands act as an account (``--as USERNAME``: its role and scope apply, and it is the audited
actor) or, without ``--as``, as the server's operator ``cli:<OS user>`` with administrator rights:
whoever runs commands on the server already holds the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import service as accounts
from lantian.auth.cli import cli_actor
from lantian.auth.permissions import Principal
from lantian.config import get_settings
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.db_cli import require_current_schema
from lantian.errors import InputError
from lantian.supervision import accountability, service
from lantian.supervision.rules import STATE_LABELS, TIMELINE_LABELS, CaseState, EscalationPolicy
from lantian.timeutil import CHINA_TZ, to_china

cases_app = typer.Typer(help="督查案件 / inspection cases.", no_args_is_help=True)
console = Console()

AS_OPTION = typer.Option(None, "--as", help="act as this account (default: cli:<OS user>, admin)")


def _sessions() -> sessionmaker[Session]:
    engine = create_db_engine(get_settings().effective_database_url)
    require_current_schema(engine)
    return session_factory(engine)


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


def _evidence(paths: list[Path] | None) -> list[service.EvidenceFile]:
    found = []
    for path in paths or []:
        if not path.is_file():
            raise InputError(f"{path}: 文件不存在 / no such file")
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
            datetime.now(UTC),
            evidence=_evidence(evidence),
            evidence_dir=settings.ensure_data_dir() / "evidence",
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
            datetime.now(UTC),
            note=note,
            unit_code=unit,
            deadline=parse_moment(deadline, "--deadline"),
            evidence=_evidence(evidence),
            evidence_dir=settings.ensure_data_dir() / "evidence",
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
            raise InputError(f"案件 {case_id} 不存在或无权查看 / no case {case_id} you may read")
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
    moment = parse_moment(now, "--now") or datetime.now(UTC)
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
            session, _principal(session, as_user), case_id, reasons, datetime.now(UTC),
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
            session, _principal(session, as_user), proposal_id, approve, datetime.now(UTC), note
        )
        status = row.status
    console.print(f"[green]✓[/green] 问责建议 proposal {proposal_id}: {status}")


@cases_app.command("decide")
def decide(
    proposal_id: int = typer.Argument(...),
    decision: str = typer.Option(..., help="问责决定 / the accountability group's decision"),
    as_user: str | None = AS_OPTION,
) -> None:
    """问责组作出决定 / Record the accountability group's decision."""
    with transaction(_sessions()) as session:
        accountability.decide(
            session, _principal(session, as_user), proposal_id, decision, datetime.now(UTC)
        )
    console.print(f"[green]✓[/green] 问责建议 proposal {proposal_id}: decided")
