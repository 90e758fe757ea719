"""`lantian sources …`: the registers (台账) from the command line, every kind through one group.

``kinds`` lists them; ``template KIND [FILE]`` writes the empty template; ``import KIND FILE``
imports a filled one (all rows or none; every bad cell listed); ``export KIND FILE`` writes the
entries; ``list KIND`` shows them with filters; ``step KIND KEY EVENT`` takes a lifecycle step;
``evaluate`` runs every rule on every entry (what the nightly job does). Commands act as an
account (``--as USERNAME``: its role and scope apply, it is the audited actor) or, without it, as
the server's operator ``cli:<OS user>`` with the office's rights, like the other commands.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth import service as accounts
from lantian.auth.cli import cli_actor
from lantian.auth.permissions import Principal
from lantian.cli import report_error
from lantian.config import get_settings
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions
from lantian.errors import NotFound, ServiceError
from lantian.files import FileStore
from lantian.plan import plan_in_force
from lantian.sources import service
from lantian.sources.registry import RegisterKind, kind_of, kinds
from lantian.tabular import Rejected, template_bytes

sources_app = typer.Typer(help="污染源台账 / source registers (台账).", no_args_is_help=True)
console = Console()
AS_OPTION = typer.Option(None, "--as", help="act as this account (default: cli:<OS user>, admin)")


def _principal(session: Session, username: str | None) -> Principal:
    if username is None:
        return Principal(cli_actor(None), "administrator")
    return Principal.of(accounts.get_user(session, username))


def _fail(error: ServiceError) -> typer.Exit:
    """The refusal on stderr, the exit code from its class. A refused file's message already lists
    its first problems: the headline is printed, then every problem once (not the message's share
    of them and then all of them again)."""
    if isinstance(error, Rejected):
        err = Console(stderr=True)
        headline = error.message.split("\n", 1)[0]
        err.print(f"[red]错误 / error:[/red] {escape(headline)}")
        for problem in error.problems:
            err.print(f"  {escape(str(problem))}")
        return typer.Exit(error.exit_code)
    return typer.Exit(report_error(error))


def _find(session: Session, kind: RegisterKind, key: str) -> int:
    model = kind.model
    found = session.scalar(select(model.id).where(model.key == key))
    if found is None:
        raise NotFound(f"没有编号为 {key} 的{kind.zh} / no {kind.en} with key {key}")
    return int(found)


@sources_app.command("kinds")
def list_kinds() -> None:
    """台账种类 / The register kinds, their tasks, states and steps."""
    table = Table("kind", "名称 name", "任务 tasks", "状态 states", "操作 steps")
    for kind in kinds().values():
        table.add_row(
            kind.key,
            f"{kind.zh} / {kind.en}",
            "、".join(kind.tasks),
            " ".join(s.key for s in kind.lifecycle.states),
            " ".join(t.event for t in kind.lifecycle.transitions),
        )
    console.print(table)


@sources_app.command("template")
def template(
    kind_key: str = typer.Argument(..., metavar="KIND"),
    path: Path | None = typer.Argument(None, metavar="[FILE]", help=".xlsx (default) or .csv"),
) -> None:
    """空白模板 / Write the kind's empty template (Chinese headers, drop-down lists)."""
    try:
        kind = kind_of(kind_key)
    except ServiceError as error:
        raise _fail(error) from None
    target = path or Path(f"{kind.key}-template.xlsx")
    target.write_bytes(template_bytes(kind.spec, target.suffix.lower() or ".xlsx"))
    console.print(f"[green]✓[/green] {target}")


@sources_app.command("import")
def import_file(
    kind_key: str = typer.Argument(..., metavar="KIND"),
    path: Path = typer.Argument(..., metavar="FILE"),
    as_user: str | None = AS_OPTION,
) -> None:
    """导入台账 / Import a filled template: all rows or none (every bad cell is listed)."""
    try:
        kind = kind_of(kind_key)
        if not path.is_file():
            raise NotFound(f"{path}: 文件不存在 / no such file")
        settings = get_settings()
        with transaction(current_sessions()) as session:
            result = service.import_register(
                session, _principal(session, as_user), kind, path.read_bytes(), path.name,
                plan=plan_in_force(settings), store=FileStore(settings.ensure_data_dir()),
            )  # fmt: skip
    except ServiceError as error:
        raise _fail(error) from None
    console.print(
        f"[green]✓[/green] {result.filename}: 新增 {result.created} created, 更新 "
        f"{result.updated} updated, 未变 {result.unchanged} unchanged"
        + (f" (layout {result.layout})" if result.layout else "")
    )
    for (
        set_aside
    ) in result.set_aside:  # not filed (a fire point outside the city): said, not hidden
        console.print(
            f"[yellow]未登记 not filed[/yellow] 第{set_aside.row}行 row {set_aside.row} "
            f"{set_aside.key}: {set_aside.reason}",
            markup=True,
            highlight=False,
        )


@sources_app.command("export")
def export(
    kind_key: str = typer.Argument(..., metavar="KIND"),
    path: Path = typer.Argument(..., metavar="FILE", help=".xlsx or .csv"),
    as_user: str | None = AS_OPTION,
) -> None:
    """导出台账 / Export the entries (re-importable) to FILE."""
    try:
        kind = kind_of(kind_key)
        with current_sessions()() as session:
            data = service.export_register(
                session, _principal(session, as_user), kind, path.suffix.lower() or ".xlsx"
            )
    except ServiceError as error:
        raise _fail(error) from None
    path.write_bytes(data)
    console.print(f"[green]✓[/green] {path}")


@sources_app.command("list")
def list_entries(
    kind_key: str = typer.Argument(..., metavar="KIND"),
    area: str | None = typer.Option(None, help="9-digit area code"),
    unit: str | None = typer.Option(None, help="responsible unit code"),
    state: str | None = typer.Option(None, help="a state of the kind's lifecycle"),
    text: str | None = typer.Option(None, "--text", help="text in the key, name or address"),
    overdue: bool = typer.Option(False, help="only entries past their deadline"),
    page: int = typer.Option(1, min=1),
    per_page: int = typer.Option(50, min=1, max=500),
    as_user: str | None = AS_OPTION,
) -> None:
    """台账条目 / List the entries (filters and paging in the database)."""
    try:
        kind = kind_of(kind_key)
        filters = service.entry_filter(
            area_code=area, unit_code=unit, state=state, q=text, overdue=overdue or None,
            page=page, per_page=per_page,
        )  # fmt: skip
        with current_sessions()() as session:
            found = service.list_entries(session, _principal(session, as_user), kind, filters)
            table = Table("key", "名称 name", "区域 area", "状态 state", "时限 deadline")
            for r in found.items:
                state_of = kind.lifecycle.by_state.get(r.state)
                table.add_row(
                    r.key, r.name, r.area_code,
                    f"{state_of.zh} {r.state}" if state_of else r.state, str(r.deadline or ""),
                )  # fmt: skip
    except ServiceError as error:
        raise _fail(error) from None
    console.print(table)
    console.print(f"{found.total} 条 entries · 第 {found.page}/{found.pages} 页 page")


@sources_app.command("step")
def step(
    kind_key: str = typer.Argument(..., metavar="KIND"),
    key: str = typer.Argument(..., metavar="KEY", help="the entry's key (编号)"),
    event: str = typer.Argument(..., metavar="EVENT", help="a step of the kind's lifecycle"),
    note: str = typer.Option("", help="说明 / note"),
    file: list[Path] | None = typer.Option(None, "--file", help="file kept with it (repeatable)"),
    as_user: str | None = AS_OPTION,
) -> None:
    """办理 / Take a lifecycle step of one entry (refused when the state or a guard forbids)."""
    try:
        kind = kind_of(kind_key)
        uploads = []
        for path in file or []:
            if not path.is_file():
                raise NotFound(f"{path}: 文件不存在 / no such file")
            uploads.append(service.UploadedFile(path.name, path.read_bytes()))
        settings = get_settings()
        with transaction(current_sessions()) as session:
            record = service.take_step(
                session, _principal(session, as_user), kind, _find(session, kind, key),
                service.StepInput(event=event, note=note), files=uploads,
                store=FileStore(settings.ensure_data_dir()),
            )  # fmt: skip
            reached = kind.lifecycle.state(record.state)
    except ServiceError as error:
        raise _fail(error) from None
    console.print(f"[green]✓[/green] {key}: {reached.zh} / {reached.en}")


@sources_app.command("evaluate")
def evaluate() -> None:
    """规则评估 / Evaluate every rule on every entry (breaches open cases; the nightly job)."""
    with transaction(current_sessions()) as session:
        found = service.evaluate_all(session)
    for key, result in found.items():
        console.print(
            f"{key}: {result.evaluated} 条 evaluated, {result.breaches} 处问题 breaches, "
            f"{result.cases_opened} 件新案件 cases opened"
        )


@sources_app.command("fuel-sampling")
def fuel_sampling(
    judge: bool = typer.Option(
        False,
        "--judge",
        help="open the cases of finished months under the floor (as the nightly evaluation)",
    ),
) -> None:
    """油品抽测比例 / The monthly share of fuel stations sampled (task 25(2)), month by month."""
    from lantian import clock
    from lantian.sources.kinds.fuel_samples import KIND as SAMPLES
    from lantian.sources.kinds.fuel_samples import monthly_sampling, sampling_floor, short_months

    plan = plan_in_force()
    floor = sampling_floor(plan)
    today = clock.today()
    with transaction(current_sessions()) as session:
        months = monthly_sampling(session, today, plan)
        short = short_months(session, today, plan) if judge else []
        if judge:
            service.evaluate_register(session, SAMPLES, today, plan=plan)
    table = Table(
        "月份 month", "持证加油站 stations", "抽检 sampled", "比例 share %", "判定 verdict"
    )
    for month in months:
        if not month.judged:
            verdict = "进行中 in progress"
        elif floor is None or month.share is None:
            verdict = "-"
        else:
            verdict = "达标 met" if month.share >= floor else "[red]不足 short[/red]"
        share = "-" if month.share is None else f"{month.share:g}"
        table.add_row(month.label, str(month.stations), str(month.sampled), share, verdict)
    console.print(table)
    if judge:
        console.print(
            f"不足的月份 months short: {len(short)}（各开立或并入一件案件 / each has its case）"
        )
