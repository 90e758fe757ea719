"""`lantian plan …`: check and load a plan folder; list what needs escalation and the accountability
records; export to Excel."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from lantian import clock
from lantian.campaign import service
from lantian.config import get_settings
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions as _sessions
from lantian.plan import plan_dir, read_plan

plan_app = typer.Typer(help="攻坚计划 / the campaign plan as data.", no_args_is_help=True)
console = Console()


def _folder(folder: Path | None) -> Path:
    return folder if folder is not None else plan_dir(get_settings())


@plan_app.command("check")
def check(
    folder: Path | None = typer.Argument(None, help="plan folder (default: the configured plan)"),
) -> None:
    """检查计划文件 / Check a plan folder: every problem with file, path and reason (exit 1)."""
    plan = read_plan(_folder(folder))
    if plan.problems:
        table = Table("文件 file", "行 line", "位置 path", "问题 reason", title=f"{plan.folder}")
        for problem in plan.problems:
            line = str(problem.line) if problem.line is not None else ""
            table.add_row(problem.file, line, problem.path, problem.reason)
        console.print(table)
        console.print(f"[red]✗[/red] {len(plan.problems)} 处问题 / problem(s)")
        raise typer.Exit(1)
    tasks = plan.tasks()
    console.print(
        f"[green]✓[/green] {plan.folder}: {len({t.number for t in tasks})} 项任务 tasks "
        f"({len(tasks)} 含子项 with items), {len(plan.targets())} 个量化目标 targets, "
        f"{len(plan.units)} 个单位 units, {len(plan.areas)} 个区域 areas, "
        f"{len(plan.stations)} 个站点 stations, 预警级别 warning levels "
        f"{'/'.join(plan.level_keys())} — 无问题 / no problems"
    )


@plan_app.command("load")
def load(
    folder: Path | None = typer.Argument(None, help="plan folder (default: the configured plan)"),
    actor: str = typer.Option(service.PLAN_LOAD_ACTOR, help="who loads (audit log actor)"),
) -> None:
    """导入或更新计划 / Load or update a plan into the database (idempotent, audited)."""
    plan = read_plan(_folder(folder))
    with transaction(_sessions()) as session:
        result = service.load_plan(session, plan, actor)
    table = Table("", "新增 added", "更新 updated", "移除 removed", "未变 unchanged")
    for name, counts in result.counts.items():
        table.add_row(
            name, str(counts.added), str(counts.updated), str(counts.removed), str(counts.unchanged)
        )
    console.print(table)
    state = "已更新 / updated" if result.changed else "无变化 / unchanged"
    console.print(f"[green]✓[/green] {result.plan_code}: {state}")


@plan_app.command("escalations")
def escalations(
    as_of: datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d"], help="date to judge by (default: today)"
    ),
    kind: str | None = typer.Option(
        None, help="missing_report, late_report, missed_deadline or target_missed (default: all)"
    ),
) -> None:
    """待督办事项 / List late and missing reports, missed deadlines and targets for escalation."""
    day = as_of.date() if as_of else clock.today()
    with _sessions()() as session:
        context = service.require_plan(session)
        found = service.escalations(session, context, day)
    if kind:
        found = [e for e in found if e.kind == kind]
    table = Table("类型 kind", "任务 task", "对象 who", "截止 due", "天 days", "说明 detail")
    for item in found[:500]:
        table.add_row(
            item.kind, item.task_ref, item.who, item.due.isoformat(), str(item.days), item.detail
        )
    console.print(table)
    console.print(f"{len(found)} 项 / item(s) as of {day}")


@plan_app.command("duties")
def duties_command(
    as_of: datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d"], help="date to judge by (default: today)"
    ),
    state: str | None = typer.Option(
        None, help="open, overdue, submitted, accepted or returned (default: all)"
    ),
    reporter: str | None = typer.Option(None, help="one unit or area: unit:hbj, area:410183101"),
    duty: str | None = typer.Option(None, help="one duty key, e.g. five_lists"),
    mark: bool = typer.Option(False, "--mark", help="record the overdue items (the daily job)"),
) -> None:
    """报送事项 / The plan's duties per unit or area and period: by duty and state, or the items."""
    from lantian.campaign import duties

    day = as_of.date() if as_of else clock.today()
    who = None
    if reporter:
        kind, _, code = reporter.partition(":")
        who = (kind, code)
    with transaction(_sessions()) as session:
        context = service.require_plan(session)
        marked = duties.mark_overdue(session, context, day, "cli") if mark else None
        items = duties.duty_board(session, context, day, reporter=who, duty_key=duty)
    if state:
        items = [item for item in items if item.state == state]
    if reporter or duty or state:
        table = Table("事项 duty", "对象 who", "期 period", "截止 due", "状态 state", "逾期天 over")
        for item in items[:500]:
            table.add_row(
                item.duty.key, item.reporter_name, item.period_start.isoformat(),
                item.due.isoformat(), item.state, str(item.days_over or ""),
            )  # fmt: skip
    else:
        table = Table("事项 duty", "频次 every", "单位 owed by", *duties.ITEM_STATES)
        for summary in duties.summarise(items):
            table.add_row(
                summary.duty.key, summary.duty.every or str(summary.duty.due), str(summary.reporters),
                *(str(summary.counts.get(s, 0)) for s in duties.ITEM_STATES),
            )  # fmt: skip
    console.print(table)
    if marked is not None:
        console.print(f"新标记逾期 {marked} 项 / {marked} item(s) marked overdue")
    console.print(f"{len(items)} 项 / item(s) as of {day}")


@plan_app.command("accountability")
def accountability(
    link_kind: str | None = typer.Option(
        None, help="task, progress_report or inspection_case (default: all)"
    ),
) -> None:
    """问责记录 / Every accountability record, on tasks and on inspection cases (the operator's view:
    all of them; the page /campaign/accountability scopes them to the signed-in account)."""
    with _sessions()() as session:
        records = service.accountability_for(session, link_kind)
        table = Table(
            "日期 decided", "方式 kind", "对象 subject", "关联 link", "事由 reason", "决定 by"
        )
        for record in records:
            link = f"{record.link_kind} {record.link_id}" if record.link_kind else ""
            table.add_row(
                record.decided_on.isoformat(), record.kind, record.subject_name, link,
                record.reason, record.decided_by,
            )  # fmt: skip
    console.print(table)
    console.print(f"{len(records)} 条 / record(s)")


@plan_app.command("export")
def export(
    output: Path = typer.Argument(..., help="the .xlsx file to write"),
    month: datetime | None = typer.Option(
        None, "--month", formats=["%Y-%m"], help="month of the monthly summary (default: none)"
    ),
    as_of: datetime | None = typer.Option(None, "--as-of", formats=["%Y-%m-%d"]),
) -> None:
    """导出任务矩阵和月度汇总 / Export the task matrix (and a monthly summary) to Excel."""
    from lantian.campaign.excel import export_workbook

    day = as_of.date() if as_of else clock.today()
    with _sessions()() as session:
        context = service.require_plan(session)
        data = export_workbook(session, context, day, month.date() if month else None)
    output.write_bytes(data)
    console.print(f"[green]✓[/green] {output}")
