"""The weekly patrol reports on non-road mobile machinery (非道路移动机械周巡查报告, plan task 24).

Task 24: "按照属地管理的原则，各乡镇政府、街道办事处和各相关部门要配合环保部门，以施工工地、工厂企业、
物流场所为重点，每周进行巡查 … 各单位每周将巡查、检查结果及处罚情况报市攻坚办；市攻坚办 … 对各单位
巡查、处罚情况进行督查和通报。"

One entry is one unit's report of one ISO week (key ``XC-<reporter>-<yyyy>W<ww>``): the sites
patrolled, the machines checked, the violations found and the penalties imposed. The reporters are
the task's own: the areas it makes responsible (各乡镇政府、街道办事处、尖山风景区管委) and its lead and
cooperating units, read from the plan. A report is due by the week's Monday plus
``LANTIAN_PATROL_REPORT_DAYS`` days (the plan names no day; default 7, the next Monday). A week a
reporter has not reported by then opens a case for it (:func:`missing_reports`, run with the
registers' rules, counting from the first week anyone reported); a late report is a breach of its
own. The office's view of who reported which
week is :func:`week_grid`; the reporting indicator is judged per week and never averaged: its value
is the worst week's share, every week a detail row.

Lifecycle::

    submitted ──review (攻坚办审阅)──► reviewed
    submitted ──return (退回补充, with a note)──► returned ──resubmit──► submitted
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import Date, Float, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian import clock
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, Lifecycle, State
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    Facts,
    Indicator,
    IndicatorValue,
    RegisterBreach,
    RegisterKind,
    RegisterRule,
    Rule,
    SampleContext,
    end_of_day,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column, workbook_bytes

if TYPE_CHECKING:
    from lantian.plan import Plan

TASK = "24"
CLAUSE_WEEKLY = "任务24：各单位每周将巡查、检查结果及处罚情况报市攻坚办"
CLAUSE_OFFICE = "任务24：市攻坚办 … 对各单位巡查、处罚情况进行督查和通报"
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")
#: The campaign period the weeks are counted in (plan.yaml ``periods``).
PERIOD = "campaign"


class MachineryPatrol(RegisterRecord):
    __tablename__ = "src_machinery_patrols"
    __audit_type__ = "machinery_patrol"
    #: One report per unit and week (the key says so too; the table holds it).
    __table_args__ = (UniqueConstraint("reporter", "week"),)

    #: Who reports: an area code of the task's responsible areas or a unit code of its units.
    reporter: Mapped[str] = mapped_column(String(32), index=True)
    #: The ISO week reported, ``2017-W45``.
    week: Mapped[str] = mapped_column(String(8), index=True)
    submitted_on: Mapped[date] = mapped_column(Date)
    sites_patrolled: Mapped[int] = mapped_column(Integer)
    machines_checked: Mapped[int] = mapped_column(Integer)
    violations: Mapped[int] = mapped_column(Integer)
    penalties: Mapped[int] = mapped_column(Integer)
    fines_yuan: Mapped[float] = mapped_column(Float, default=0.0)


def parse_week(text: str) -> tuple[int, int]:
    """``2017-W45`` → (2017, 45); ``ValueError`` for a week the ISO calendar does not have."""
    found = WEEK_PATTERN.match(text)
    if found is None:
        raise ValueError(f"周次 {text!r} 应写作 2017-W45 / write the ISO week as 2017-W45")
    year, number = int(found.group(1)), int(found.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"{year} 年没有第 {number} 周 / {year} has no ISO week {number}") from None
    return year, number


def week_of(day: date) -> str:
    """The ISO week a day lies in, ``2017-W45``."""
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def monday_of(week: str) -> date:
    year, number = parse_week(week)
    return date.fromisocalendar(year, number, 1)


def report_days() -> int:
    """Days after the week's Monday a report is due (``LANTIAN_PATROL_REPORT_DAYS``)."""
    from lantian.config import get_settings

    return get_settings().patrol_report_days


def due_on(week: str) -> date:
    """The last day a week's report is on time: its Monday plus the setting's days."""
    return monday_of(week) + timedelta(days=report_days())


def report_key(reporter: str, week: str) -> str:
    year, number = parse_week(week)
    return f"XC-{reporter}-{year}W{number:02d}"


class PatrolRow(RegisterRow):
    reporter: str = Field(min_length=1, max_length=32)
    week: str = Field(max_length=8)
    submitted_on: date
    sites_patrolled: int = Field(ge=0, le=100_000)
    machines_checked: int = Field(ge=0, le=100_000)
    violations: int = Field(ge=0, le=100_000)
    penalties: int = Field(ge=0, le=100_000)
    fines_yuan: float = Field(default=0.0, ge=0, le=1e9)

    @field_validator("week")
    @classmethod
    def _iso_week(cls, value: str) -> str:
        parse_week(value)
        return value


@dataclass(frozen=True)
class Reporter:
    """A unit the task makes report weekly: an area (乡镇、街道、管委) or a department."""

    code: str
    name: str
    is_area: bool


def reporters(plan: Plan) -> list[Reporter]:
    """Task 24's responsible areas, then its lead and cooperating units (the plan's words)."""
    task = next((t for t in plan.tasks() if t.ref == TASK), None)
    if task is None:
        return []
    found: list[Reporter] = []
    responsible = task.assignment.responsible_areas
    if responsible is not None:
        kinds = set(responsible.all_of)
        listed = set(responsible.areas)
        found.extend(
            Reporter(area.code, area.name, True)
            for area in plan.areas
            if area.kind in kinds or area.code in listed
        )
    units = plan.unit_names()
    for code in dict.fromkeys([*task.lead_units, *task.cooperating_units]):
        found.append(Reporter(code, units.get(code, code), False))
    return found


def campaign_weeks(plan: Plan) -> list[str]:
    """The ISO weeks whose Monday lies in the campaign period (plan.yaml ``periods.campaign``)."""
    period = plan.plan.periods.get(PERIOD) if plan.plan is not None else None
    if period is None or period.start is None or period.end is None:
        return []
    monday = period.start + timedelta(days=(7 - period.start.weekday()) % 7)
    weeks = []
    while monday <= period.end:
        weeks.append(week_of(monday))
        monday += timedelta(days=7)
    return weeks


def weeks_due(plan: Plan, today: date) -> list[str]:
    """The campaign's weeks whose report deadline has passed by ``today``."""
    return [week for week in campaign_weeks(plan) if due_on(week) < today]


def _admit(session: Session, plan: Plan, row: PatrolRow) -> list[tuple[str, str]]:
    """The reporter is one of task 24's; a township reports for its own area and a department as
    its own unit; the key is the reporter's and week's (one report per unit and week); the
    deadline is the week's due day (filled in)."""
    problems: list[tuple[str, str]] = []
    known = {r.code: r for r in reporters(plan)}
    reporter = known.get(row.reporter)
    if reporter is None:
        names = "、".join(f"{r.code}（{r.name}）" for r in known.values())
        problems.append(
            (
                "reporter",
                f"{row.reporter} 不是任务24的报送单位（可选：{names}）/ {row.reporter!r} does "
                "not report under task 24",
            )
        )
    elif reporter.is_area and row.area_code != reporter.code:
        problems.append(
            (
                "area_code",
                f"乡镇（街道）报告的乡镇代码应为 {reporter.code} / an area's report is filed in "
                "its own area",
            )
        )
    elif not reporter.is_area and row.unit_code != reporter.code:
        problems.append(
            (
                "unit_code",
                f"部门报告的责任单位代码应为 {reporter.code} / a department's report is filed as "
                "its own unit",
            )
        )
    expected = report_key(row.reporter, row.week)
    if row.key != expected:
        problems.append(
            (
                "key",
                f"编号应为 {expected}（每单位每周一份）/ the key is {expected} (one report per "
                "unit and week)",
            )
        )
    if row.submitted_on < monday_of(row.week):
        problems.append(
            (
                "submitted_on",
                f"报送日期早于该周（{monday_of(row.week)} 起）/ submitted before the week began",
            )
        )
    if row.penalties > row.violations:
        problems.append(
            ("penalties", "处罚起数多于违法行为数 / more penalties than violations found")
        )
    if row.violations > row.machines_checked:
        problems.append(
            ("violations", "违法行为数多于检查机械数 / more violations than machines checked")
        )
    row.deadline = due_on(row.week)
    return problems


LIFECYCLE = Lifecycle(
    states=(
        State("submitted", "已报送", "submitted"),
        State("returned", "退回补充", "returned"),
        State("reviewed", "已审阅", "reviewed", closed=True),
    ),
    initial="submitted",
    transitions=(
        step(
            "review",
            ("审阅", "review"),
            {"submitted"},
            "reviewed",
            OFFICE_ROLES,
            CLAUSE_OFFICE,
        ),
        step(
            "return",
            ("退回补充", "return for completion"),
            {"submitted"},
            "returned",
            OFFICE_ROLES,
            CLAUSE_OFFICE,
            note_required=True,
        ),
        step(
            "resubmit",
            ("重新报送", "resubmit"),
            {"returned"},
            "submitted",
            KEEPERS,
            CLAUSE_WEEKLY,
        ),
    ),
)


def _late(facts: Facts) -> Breach | None:
    """A report submitted after the week's deadline (task 24: 每周 … 报市攻坚办)."""
    record: Any = facts.record
    due = due_on(record.week)
    if record.submitted_on <= due:
        return None
    return Breach(
        title=f"非道路移动机械周巡查报告迟报：{record.name}"[:200],
        description=f"{record.week} 的报告应于 {due} 前报送，{record.submitted_on} 才报送 / the "
        f"report of {record.week} was due by {due}, submitted {record.submitted_on}",
        observed_at=end_of_day(record.submitted_on),
        severity="general",
    )


def missing_reports(session: Session, today: date, plan: Plan) -> list[RegisterBreach]:
    """Each (reporter, week) of the campaign whose deadline has passed with no report filed:
    one case per reporter and week, for the reporter (its area, or its unit).

    Weeks count from the first week anyone reported (the register is in use from then): an
    installation that keeps no patrol reports on the platform, or starts keeping them late in the
    campaign, is not given a case for every unit and week before it did."""
    filed = {
        (reporter, week)
        for reporter, week in session.execute(
            select(MachineryPatrol.reporter, MachineryPatrol.week)
        )
    }
    if not filed:
        return []
    first = min(week for _, week in filed)
    samples = {bool(flag) for flag in session.scalars(select(MachineryPatrol.is_sample).distinct())}
    is_sample = samples == {True}
    found = []
    for week in weeks_due(plan, today):
        if week < first:
            continue
        due = due_on(week)
        for reporter in reporters(plan):
            if (reporter.code, week) in filed:
                continue
            found.append(
                RegisterBreach(
                    subject=f"{reporter.code}:{week}",
                    breach=Breach(
                        title=f"未报送非道路移动机械周巡查报告：{reporter.name} {week}",
                        description=f"{reporter.name}（{reporter.code}）未在 {due} 前报送 {week} "
                        f"（{monday_of(week)} 起）的巡查、检查及处罚情况 / no patrol report of "
                        f"{week} by {due}",
                        observed_at=end_of_day(due),
                        severity="general",
                        deadline=end_of_day(due + timedelta(days=3)),
                    ),
                    area_code=reporter.code if reporter.is_area else None,
                    unit_code=None if reporter.is_area else reporter.code,
                    is_sample=is_sample,
                )
            )
    return found


# --- the office's view ---------------------------------------------------------------------------

Status = Literal["on_time", "late", "missing", "pending"]
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "on_time": ("按时", "on time"),
    "late": ("迟报", "late"),
    "missing": ("未报", "missing"),
    "pending": ("未到期", "not yet due"),
}


@dataclass(frozen=True)
class GridCell:
    status: Status
    #: The report's entry id (None: no report).
    entry_id: int | None = None
    violations: int = 0
    penalties: int = 0


@dataclass(frozen=True)
class WeekShare:
    """One week's reporting: how many of the reporters reported by the deadline."""

    week: str
    due: date
    on_time: int
    late: int
    missing: int
    reporters: int

    @property
    def share(self) -> float:
        return round(100.0 * self.on_time / self.reporters, 1) if self.reporters else 0.0


@dataclass(frozen=True)
class WeekGrid:
    weeks: tuple[str, ...]
    reporters: tuple[Reporter, ...]
    #: (reporter code, week) → cell.
    cells: dict[tuple[str, str], GridCell]
    shares: tuple[WeekShare, ...]


def week_grid(session: Session, plan: Plan, today: date | None = None) -> WeekGrid:
    """Who reported which week: every reporter of task 24 against every campaign week from the
    first one reported up to the current one, each cell on time, late, missing or not yet due; per week the share reported on
    time (judged per week, never averaged: each week stands on its own)."""
    day = today or clock.today()
    everyone = tuple(reporters(plan))
    current = week_of(day)
    # From the first week anyone reported, as :func:`missing_reports` counts them.
    first = session.scalar(select(func.min(MachineryPatrol.week)))
    weeks = tuple(w for w in campaign_weeks(plan) if first is not None and first <= w <= current)
    rows = session.execute(
        select(
            MachineryPatrol.id,
            MachineryPatrol.reporter,
            MachineryPatrol.week,
            MachineryPatrol.submitted_on,
            MachineryPatrol.violations,
            MachineryPatrol.penalties,
        ).where(MachineryPatrol.week.in_(weeks))
    ).all()
    filed = {(r.reporter, r.week): r for r in rows}
    cells: dict[tuple[str, str], GridCell] = {}
    shares = []
    for week in weeks:
        due = due_on(week)
        counts = {"on_time": 0, "late": 0, "missing": 0}
        for reporter in everyone:
            report = filed.get((reporter.code, week))
            if report is None:
                status: Status = "missing" if due < day else "pending"
                cells[(reporter.code, week)] = GridCell(status)
            else:
                status = "on_time" if report.submitted_on <= due else "late"
                cells[(reporter.code, week)] = GridCell(
                    status, report.id, report.violations, report.penalties
                )
            if status in counts:
                counts[status] += 1
        if due < day:
            shares.append(WeekShare(week, due, **counts, reporters=len(everyone)))
    return WeekGrid(weeks, everyone, cells, tuple(shares))


def grid_workbook(grid: WeekGrid, shown: Sequence[Reporter]) -> bytes:
    """The grid as an Excel workbook for the office's circular (通报, task 24): a row per unit,
    a column per week (按时/迟报/未报/未到期, with violations/penalties of a filed report), the
    count of weeks missing, and each week's share reported on time."""

    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "周报送情况"
    sheet.append(["报送单位 unit", "代码 code", *grid.weeks, "未报周数 weeks missing"])
    missing_fill = PatternFill("solid", fgColor="FFF0F0")
    for reporter in shown:
        cells = [grid.cells[(reporter.code, week)] for week in grid.weeks]
        texts = [
            STATUS_LABELS[cell.status][0]
            + (f" {cell.violations}/{cell.penalties}" if cell.entry_id is not None else "")
            for cell in cells
        ]
        missing = sum(1 for cell in cells if cell.status == "missing")
        sheet.append([reporter.name, reporter.code, *texts, missing])
        for column, cell in enumerate(cells, start=3):
            if cell.status in ("missing", "late"):
                sheet.cell(row=sheet.max_row, column=column).fill = missing_fill
    shares = {share.week: share for share in grid.shares}
    sheet.append(
        [
            "按时报送率 % on time",
            "",
            *[shares[week].share if week in shares else None for week in grid.weeks],
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 24
    sheet.freeze_panes = "C2"
    sheet.append([])
    sheet.append([CLAUSE_WEEKLY])
    sheet.append(
        ["格内数字：发现违法行为数/处罚起数 / figures: violations found/penalties imposed"]
    )
    # workbook_bytes: no cell of the file is ever a formula (formula injection)
    return workbook_bytes(book)


def _reporting(session: Session) -> IndicatorValue:
    """The worst week's share of reporters reporting on time (every week a detail row)."""
    from lantian.plan import plan_in_force

    grid = week_grid(session, plan_in_force())
    shares = grid.shares
    reports = sum(1 for cell in grid.cells.values() if cell.entry_id is not None)
    worst = min((s.share for s in shares), default=None)
    return IndicatorValue(
        "machinery_weekly_patrol_reporting",
        worst,
        reports,
        f"各周按时报送单位占应报单位（{len(grid.reporters)} 个）比例的最低一周（逐周判定，不平均）",
        f"the worst week's share of the {len(grid.reporters)} units reporting on time (judged "
        "per week, never averaged)",
        tuple((f"{s.week}（{s.due} 前）", s.share) for s in shares),
    )


def _sample(context: SampleContext) -> list[PatrolRow]:
    """The campaign's first weeks of reports: most on time, a few late, a few never filed."""
    from lantian.plan import default_plan

    plan = context.plan or default_plan()
    rng = context.rng
    rows: list[PatrolRow] = []
    area_codes = {code for code, _ in context.areas}
    seat = next((code for code in sorted(area_codes) if code.endswith("100")), None)
    # The weeks due by the demo's day (the nightly job then finds only the few never filed).
    from lantian.demo import DEMO_AS_OF

    last = DEMO_AS_OF.date()
    for week in campaign_weeks(plan):
        if due_on(week) >= last:
            break
        monday = monday_of(week)
        for reporter in reporters(plan):
            if reporter.is_area and reporter.code not in area_codes:
                continue
            if rng.random() < 0.03:
                continue  # never filed: the nightly evaluation opens its case
            lateness = rng.choices((0, 1, 3), (40, 1, 1))[0]
            checked = rng.randint(3, 30)
            violations = rng.randint(0, max(1, checked // 8))
            penalties = rng.randint(0, violations)
            rows.append(
                PatrolRow(
                    key=report_key(reporter.code, week),
                    name=f"{reporter.name}{week}非道路移动机械巡查报告",
                    area_code=reporter.code if reporter.is_area else (seat or reporter.code),
                    unit_code=None if reporter.is_area else reporter.code,
                    deadline=due_on(week),
                    note="示例数据 / sample",
                    reporter=reporter.code,
                    week=week,
                    submitted_on=monday
                    + timedelta(days=report_days() - rng.randint(0, 2))
                    + timedelta(days=lateness * 2 if lateness else 0),
                    sites_patrolled=rng.randint(2, 15),
                    machines_checked=checked,
                    violations=violations,
                    penalties=penalties,
                    fines_yuan=float(penalties * rng.choice((5000, 10000, 20000))),
                )
            )
    return rows


KIND = RegisterKind(
    key="machinery_patrols",
    zh="非道路移动机械周巡查报告",
    en="weekly machinery patrol report",
    tasks=(TASK,),
    model=MachineryPatrol,
    row=PatrolRow,
    columns=columns(
        Column(
            "reporter",
            "reporter",
            "报送单位代码",
            example="410183101",
            note_zh="乡镇（街道、管委）填 9 位乡镇代码，部门填单位代码（如 hbj）",
            note_en="an area's 9-digit code, or a department's unit code (e.g. hbj)",
            width=12,
        ),
        Column("week", "week", "周次", example="2017-W45", note_zh="ISO 周，如 2017-W45", width=10),
        Column("submitted_on", "submitted on", "报送日期", example="2017-11-13", width=12),
        Column("sites_patrolled", "sites patrolled", "巡查场所数", example="8", width=10),
        Column("machines_checked", "machines checked", "检查机械台数", example="21", width=10),
        Column("violations", "violations", "发现违法行为数", example="2", width=10),
        Column("penalties", "penalties", "处罚起数", example="1", width=10),
        Column("fines_yuan", "fines yuan", "罚款金额（元）", example="20000", width=12),
    ),
    lifecycle=LIFECYCLE,
    rules=(Rule("late", "迟报", "reported late", CLAUSE_WEEKLY, _late),),
    register_rules=(
        RegisterRule("missing", "未报送", "not reported", CLAUSE_WEEKLY, missing_reports),
    ),
    indicators=(Indicator("machinery_weekly_patrol_reporting", _reporting),),
    sample=_sample,
    list_fields=("reporter", "week", "submitted_on", "violations", "penalties"),
    filter_fields=(),
    order=24,
    admit=_admit,
    pages=(("/sources/machinery_patrols/weeks", "周报送情况", "who reported which week"),),
    notes=(
        (
            "每个报送单位每周一份，编号为 XC-报送单位代码-年W周（如 XC-410183101-2017W45）；"
            "报送时限为该周周一后若干天（默认 7 天，即下周一）。",
            "One report per unit and ISO week, keyed XC-<reporter>-<year>W<week> (e.g. "
            "XC-410183101-2017W45); due the given number of days after the week's Monday "
            "(default 7, the next Monday).",
        ),
    ),
)
