"""`lantian emissions …`: inventory, reduction lists, their check, the optimiser, Excel and sheets.

Changes are audited with the actor ``cli:<OS user>`` unless ``--by NAME`` says on whose behalf.
Seed tasks 37–39 and 41.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from lantian.auth.cli import cli_actor
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions as _sessions
from lantian.emissions import service
from lantian.emissions.rules import CheckResult
from lantian.emissions.sample import load_sample_inventory, sample_area_codes
from lantian.emissions.staggered import calendar, plan_staggered
from lantian.emissions.targets import (
    POLLUTANTS,
    Level,
    Pollutant,
    ReductionTargets,
    plan_targets,
)
from lantian.errors import InputError
from lantian.plan import LevelScheme, plan_in_force

emissions_app = typer.Typer(
    help="排放清单与应急减排清单 / emission inventory and emergency reduction lists.",
    no_args_is_help=True,
)
console = Console()
BY_OPTION = typer.Option(None, "--by", help="on whose behalf (default: cli:<OS user>)")


def _targets() -> ReductionTargets:
    return plan_targets(plan_in_force())


def print_check(result: CheckResult, targets: ReductionTargets) -> None:
    table = Table(
        "级别 level",
        *(f"{p.label}" for p in POLLUTANTS),
        "SO₂+NOx",
        title="减排比例 / reduction ratios (目标 target)",
    )
    for level in targets.levels:
        cells = []
        for pollutant in POLLUTANTS:
            ratio = result.ratios[level.key].get(pollutant, 0.0)
            target = targets.target(level.key, pollutant)
            cells.append(f"{ratio:.2%}" + ("" if target is None else f" ({target:.0%})"))
        trade = ""
        if targets.trades_at(level.key):
            so2, nox = (
                result.ratios[level.key].get(POLLUTANTS[0], 0),
                result.ratios[level.key].get(POLLUTANTS[1], 0),
            )
            trade = f"{so2 + nox:.2%}"
        table.add_row(level.label, *cells, trade)
    console.print(table)
    if result.shortfalls:
        for shortfall in result.shortfalls:
            console.print(f"[red]✗[/red] {shortfall.message()}")
    for problem in result.not_cumulative:
        console.print(
            f"[red]✗[/red] {problem.key} {targets.levels.get(problem.level).label} "
            f"{problem.pollutant.label}: "
            f"{problem.fraction:.0%} < {problem.fraction_below:.0%}（措施未逐级累加 / not cumulative）"
        )
    if result.passes:
        console.print("[green]✓ 全部达标 / every target met[/green]")


@emissions_app.command("sample")
def sample(
    count: int = typer.Option(300, help="number of sample enterprises"),
    seed: int = typer.Option(2017, help="random seed (same seed, same city)"),
    year: int = typer.Option(2016, "--year", help="inventory year of the sample totals"),
) -> None:
    """加载示例排放清单 / Load the generated sample inventory (marked 示例数据 / sample)."""
    sessions = _sessions()
    with transaction(sessions) as session:
        loaded = load_sample_inventory(
            session,
            count=count,
            seed=seed,
            area_codes=sample_area_codes(plan_in_force()),
            inventory_year=year,
        )
    if loaded.already:
        console.print("示例清单已加载 / the sample inventory is already loaded")
    else:
        console.print(f"[green]✓[/green] +{loaded.added} 示例企业 sample enterprises ({year})")


def parse_other(items: list[str], levels: LevelScheme) -> dict[Level, dict[Pollutant, float]]:
    """``red:nox=3.2`` → {"red": {NOX: 3.2}}: reductions from measures outside the list (t/d), at
    levels of the plan's scheme."""
    found: dict[Level, dict[Pollutant, float]] = {}
    for item in items:
        try:
            where, amount = item.split("=", 1)
            level_text, pollutant_text = where.split(":", 1)
            level, pollutant = level_text.strip(), Pollutant(pollutant_text.strip())
            value = float(amount)
        except ValueError:
            raise InputError(
                f"--other {item!r}: 应为 级别:污染物=吨/日，如 red:nox=3.2 / must read "
                "LEVEL:POLLUTANT=T_PER_DAY, e.g. red:nox=3.2"
            ) from None
        if value < 0:
            raise InputError(f"--other {item!r}: 减排量不能为负 / cannot be negative")
        levels.get(level)
        found.setdefault(level, {})[pollutant] = found.get(level, {}).get(pollutant, 0.0) + value
    return found


@emissions_app.command("optimise")
def optimise(
    year: int = typer.Option(..., "--year", help="inventory year (whole-city totals)"),
    method: str = typer.Option("mip", help="mip (least cost, HiGHS) or greedy (largest first)"),
    time_limit: float = typer.Option(25.0, "--time-limit", help="seconds for the MIP"),
    name: str | None = typer.Option(None, help="name of the new list"),
    other: list[str] = typer.Option(
        [],
        "--other",
        help="reduction outside the list, LEVEL:POLLUTANT=T_PER_DAY (e.g. red:nox=3.2); repeatable",
    ),
    heating_season: bool = typer.Option(
        False,
        "--heating-season",
        help="count only what measures add on top of staggered production (tasks 37–38)",
    ),
    by: str | None = BY_OPTION,
) -> None:
    """求最低成本减排清单 / Choose the least-cost nested list and store it as a draft."""
    if method not in ("mip", "greedy"):
        raise InputError(f"--method 应为 mip 或 greedy / must be mip or greedy, not {method}")
    targets = _targets()
    rules = plan_staggered(plan_in_force())
    sessions = _sessions()
    with transaction(sessions) as session:
        stored, solution = service.optimise_inventory(
            session,
            cli_actor(by),
            targets,
            year,
            method=method,
            min_limits=rules.min_limits(),
            name=name,
            time_limit=time_limit,
            heating_season=rules if heating_season else None,
            other_reductions=parse_other(other, targets.levels),
        )
        list_id = stored.id if stored is not None else None
    gap = "" if solution.gap is None else f"，最优性差距 gap {solution.gap:.3%}"
    console.print(
        f"{solution.method}: {solution.status}{gap}，用时 {solution.seconds:.2f} s，"
        f"加权成本 weighted cost {solution.weighted_cost:,.2f} 万元"
    )
    for level in targets.levels:
        console.print(f"  {level.label}: {solution.cost_per_level[level.key]:,.2f} 万元/d")
    print_check(solution.check, targets)
    if list_id is None:
        raise InputError("任何措施组合都达不到目标 / no choice of measures meets every target")
    console.print(f"[green]✓[/green] 已保存为草稿清单 / saved as draft list {list_id}")


@emissions_app.command("check")
def check(list_id: int = typer.Argument(..., help="reduction list id")) -> None:
    """核算减排比例 / Check a list against the plan's ratio targets."""
    targets = _targets()
    with _sessions()() as session:
        stored, result = service.check_stored_list(session, list_id, targets)
        console.print(
            f"清单 list {stored.id} {stored.name}（{stored.status}，{stored.inventory_year}）"
        )
    print_check(result, targets)
    if not result.passes:
        raise typer.Exit(2)


@emissions_app.command("lists")
def lists() -> None:
    """列出减排清单 / List the reduction lists."""
    table = Table("id", "名称 name", "状态 status", "方法 method", "清单年 year", "措施 measures")
    with _sessions()() as session:
        for item in service.all_lists(session):
            table.add_row(
                str(item.id), item.name, item.status, item.method, str(item.inventory_year),
                str(len(item.measures)),
            )  # fmt: skip
    console.print(table)


@emissions_app.command("status")
def status(
    list_id: int = typer.Argument(...),
    new_status: str = typer.Argument(..., help="draft, in_force or superseded"),
    reason: str | None = typer.Option(None, "--reason"),
    by: str | None = BY_OPTION,
) -> None:
    """设置清单状态 / Put a list in force (the previous one is superseded) or back to draft."""
    with transaction(_sessions()) as session:
        service.set_list_status(session, cli_actor(by), list_id, new_status, reason)
    console.print(f"[green]✓[/green] list {list_id}: {new_status}")


@emissions_app.command("export")
def export(
    list_id: int = typer.Argument(...),
    out: Path = typer.Option(..., "--out", help="the .xlsx file to write"),
) -> None:
    """导出清单为 Excel（政府格式）/ Export a list as Excel in the government layout."""
    from lantian.emissions import excel  # openpyxl: loaded by the commands that write sheets

    targets = _targets()
    with _sessions()() as session:
        stored, result = service.check_stored_list(session, list_id, targets)
        title = f"重污染天气应急减排项目清单（{stored.name}）"
        out.write_bytes(
            excel.export_list(title, excel.rows_of_list(stored), targets.levels, result, targets)
        )
    console.print(f"[green]✓[/green] {out}")


@emissions_app.command("import")
def import_list(
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    year: int = typer.Option(..., "--year", help="inventory year the list is computed against"),
    name: str | None = typer.Option(None, help="name of the new list (default: the file name)"),
    by: str | None = BY_OPTION,
) -> None:
    """从 Excel 导入清单（逐行校验，出错则全部不导入）/ Import a list; any error imports nothing."""
    from lantian.emissions import excel

    targets = _targets()
    with transaction(_sessions()) as session:
        stored = excel.import_list(
            session, cli_actor(by), path.read_bytes(), name=name or path.stem,
            plan=targets.plan, inventory_year=year, levels=targets.levels, file_name=path.name,
        )  # fmt: skip
        list_id = stored.id
    console.print(f"[green]✓[/green] 已导入为草稿清单 / imported as draft list {list_id}")


@emissions_app.command("sheet")
def sheet(
    credit_code: str = typer.Argument(..., help="统一社会信用代码"),
    list_id: int = typer.Option(..., "--list", help="reduction list id"),
    out: Path = typer.Option(..., "--out", help=".docx or .xlsx"),
) -> None:
    """一厂一策 / Write one enterprise's plan (Word or Excel)."""
    from lantian.emissions.sheets import factory_sheet

    if out.suffix not in (".docx", ".xlsx"):
        raise InputError(f"{out}: 应为 .docx 或 .xlsx / must end in .docx or .xlsx")
    plan = plan_in_force()
    rules = plan_staggered(plan)
    with _sessions()() as session:
        content = factory_sheet(session, credit_code, list_id, rules, out.suffix, plan.levels)
    out.write_bytes(content)
    console.print(f"[green]✓[/green] {out}")


@emissions_app.command("calendar")
def calendar_command(
    credit_code: str = typer.Argument(...),
    first: str = typer.Option(..., "--from", help="YYYY-MM-DD"),
    last: str = typer.Option(..., "--to", help="YYYY-MM-DD"),
) -> None:
    """错峰生产日历 / An enterprise's staggered-production calendar (tasks 37–38)."""
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        raise InputError("--from/--to 应为 YYYY-MM-DD / dates must be YYYY-MM-DD") from None
    rules = plan_staggered(plan_in_force())
    with _sessions()() as session:
        facts = service.facts_of(service.get_enterprise(session, credit_code))
    table = Table("日期 day", "采暖季 heating", "要求 required cut", "规则 rules")
    for entry in calendar(facts, rules, start, end):
        required = "，".join(f"{line} {cut:.0%}" for line, cut in entry.required.items()) or "—"
        used = "，".join(sorted({r for ids in entry.rules.values() for r in ids})) or "—"
        table.add_row(str(entry.day), "是" if entry.heating_season else "否", required, used)
    console.print(table)


@emissions_app.command("import-inventory")
def import_inventory_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    by: str | None = BY_OPTION,
) -> None:
    """从 CSV/Excel 导入排放清单（每行一条生产线；出错则全部不导入）/ Import enterprises and lines."""
    from lantian.emissions.inventory_import import import_inventory

    with transaction(_sessions()) as session:
        added = import_inventory(session, cli_actor(by), path.read_bytes(), path.name)
    console.print(f"[green]✓[/green] +{added} 企业 enterprises")


@emissions_app.command("inventory-template")
def inventory_template(
    out: Path = typer.Option(..., "--out", help="FILE.xlsx or FILE.csv to write"),
) -> None:
    """生成排放清单导入模板 / Write the empty template of the inventory import."""
    from lantian.emissions.inventory_import import INVENTORY_SPEC
    from lantian.tabular import write_template

    write_template(out, INVENTORY_SPEC)
    console.print(f"[green]✓[/green] 模板已写入 template written: {out}")


@emissions_app.command("totals")
def totals(
    year: int = typer.Option(..., "--year", help="inventory year"),
    sector: str = typer.Option(
        ..., "--sector", help="industry, power, mobile, dust, residential …"
    ),
    so2: float = typer.Option(0.0, "--so2", help="t/d"),
    nox: float = typer.Option(0.0, "--nox", help="t/d"),
    pm: float = typer.Option(0.0, "--pm", help="t/d"),
    vocs: float = typer.Option(0.0, "--vocs", help="t/d"),
    source: str | None = typer.Option(None, "--source", help="where the totals come from"),
    by: str | None = BY_OPTION,
) -> None:
    """设置全社会排放量（按行业）/ Set one sector's whole-city daily emissions for a year."""
    values = dict(zip(POLLUTANTS, (so2, nox, pm, vocs), strict=True))
    with transaction(_sessions()) as session:
        service.set_city_total(session, cli_actor(by), year, sector, values, source)
        baseline = service.city_baseline(session, year)
    console.print(
        f"[green]✓[/green] {year} 全社会 whole-city: "
        + "，".join(f"{p.label} {baseline[p]:.3f} t/d" for p in POLLUTANTS)
    )
