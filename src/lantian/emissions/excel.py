"""The reduction list as an Excel workbook in the government layout, and its row-by-row import.

Layout of the sheet 应急减排项目清单 (one row per enterprise, the four levels side by side, as offices
file it under seed task 41(1)): a title row, a row of column groups, a row of column names, then the
enterprises. Each level has seven columns: measure type, measure, limit %, and the reductions of
SO2, NOx, PM and VOCs in t/d (the measures *in force* at that level, lower levels included).

An import checks every row and every cell; when anything is wrong it says row, column and why for
each problem, and nothing is imported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from lantian.emissions.models import Enterprise, ReductionList, ReductionMeasure
from lantian.emissions.rules import CheckResult
from lantian.emissions.service import (
    MeasureInput,
    create_list,
    enterprise_daily,
    list_enterprises,
)
from lantian.emissions.targets import POLLUTANTS, Level, Pollutant, ReductionTargets
from lantian.emissions.uscc import problem as credit_code_problem
from lantian.errors import InputError
from lantian.plan import LevelScheme, WarningLevel
from lantian.tabular import Problem, Rejected, open_sheet, put, workbook_bytes

SHEET = "应急减排项目清单"
RATIO_SHEET = "减排比例核算"
HEADER_ROWS = 3
INFO_COLUMNS = ("序号", "企业名称", "统一社会信用代码", "区域代码", "行业", "绩效等级")
DAILY_COLUMNS = tuple(f"日排放量 {p.label.split()[-1]} (t/d)" for p in POLLUTANTS)
LEVEL_COLUMNS = (
    "措施类型",
    "措施内容",
    "限产比例 (%)",
    *(f"{p.label.split()[-1]} 减排量 (t/d)" for p in POLLUTANTS),
)
#: How much white a level's header fill mixes into the scheme's colour (a pale tint keeps the
#: black header text readable on every level's colour).
_TINT = 0.8
#: Measure types as the government list writes them.
KIND_LABELS = {
    "limit": "限产",
    "stop_line": "停产生产线",
    "stop_process": "停止工序",
    "stop": "全厂停产",
    "stop_transport": "停止重型车辆运输",
    "other": "其他",
}
KIND_OF_LABEL = {label: kind for kind, label in KIND_LABELS.items()}
#: Reductions may exceed the emission only by rounding (the sheet shows 4 decimals; people may
#: type what they see).
_ROUNDING = 1e-4


def level_title(levels: LevelScheme, key: Level) -> str:
    """``黄色预警（Ⅲ级）``: a level's heading in the government layout, from the plan's scheme."""
    return f"{levels.get(key).name_zh}（{levels.grade(key)}）"


def level_fill(level: WarningLevel) -> str:
    """The header fill of a level: a pale tint of the scheme's colour (white when it has none)."""
    colour = level.colour.removeprefix("#")
    if len(colour) != 6:
        return "FFFFFF"
    try:
        channels = [int(colour[i : i + 2], 16) for i in (0, 2, 4)]
    except ValueError:
        return "FFFFFF"
    return "".join(f"{round(c + (255 - c) * _TINT):02X}" for c in channels)


def column_names(levels: LevelScheme) -> list[str]:
    """The columns of the list: enterprise, daily emissions, then one group per plan level."""
    names = [*INFO_COLUMNS, *DAILY_COLUMNS]
    for level in levels.keys:
        names.extend(f"{level_title(levels, level)} {name}" for name in LEVEL_COLUMNS)
    return names


@dataclass(frozen=True)
class ExportRow:
    """One enterprise of the exported list."""

    name: str
    credit_code: str
    area_code: str
    industry: str
    grade: str | None
    daily: Mapping[Pollutant, float]
    #: Per level: (kind, description, output_cut, reductions) or None.
    measures: Mapping[Level, tuple[str, str, float, Mapping[Pollutant, float]] | None]


_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _header(sheet: Worksheet, title: str, levels: LevelScheme) -> None:
    total = len(column_names(levels))
    sheet.cell(1, 1, title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=total)
    sheet.cell(1, 1).alignment = _CENTRE
    column = 1
    for name in INFO_COLUMNS:
        sheet.cell(2, column, name)
        sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
        column += 1
    sheet.cell(2, column, "正常日排放量")
    sheet.merge_cells(
        start_row=2, start_column=column, end_row=2, end_column=column + len(DAILY_COLUMNS) - 1
    )
    for name in DAILY_COLUMNS:
        sheet.cell(3, column, name)
        column += 1
    for level in levels:
        fill = PatternFill("solid", fgColor=level_fill(level))
        sheet.cell(2, column, level_title(levels, level.key)).fill = fill
        sheet.merge_cells(
            start_row=2, start_column=column, end_row=2, end_column=column + len(LEVEL_COLUMNS) - 1
        )
        for name in LEVEL_COLUMNS:
            cell = sheet.cell(3, column, name)
            cell.fill = fill
            column += 1
    for row in (2, 3):
        for index in range(1, total + 1):
            cell = sheet.cell(row, index)
            cell.font = Font(bold=True)
            cell.alignment = _CENTRE
            cell.border = _BORDER
    sheet.freeze_panes = f"C{HEADER_ROWS + 1}"
    sheet.column_dimensions["B"].width = 34
    sheet.column_dimensions["C"].width = 22


def export_list(
    title: str,
    rows: Sequence[ExportRow],
    levels: LevelScheme,
    check: CheckResult | None = None,
    targets: ReductionTargets | None = None,
) -> bytes:
    """The list as .xlsx bytes, one column group per level of the plan's scheme; with a check, a
    second sheet holds ratios against targets."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    _header(sheet, title, levels)
    for number, row in enumerate(rows, start=1):
        values: list[Any] = [
            number,
            row.name,
            row.credit_code,
            row.area_code,
            row.industry,
            row.grade or "",
            *(row.daily.get(p, 0.0) for p in POLLUTANTS),
        ]
        for level in levels.keys:
            measure = row.measures.get(level)
            if measure is None:
                values.extend([""] * len(LEVEL_COLUMNS))
                continue
            kind, description, cut, reductions = measure
            values.extend(
                [
                    KIND_LABELS.get(kind, kind),
                    description,
                    round(cut * 100, 2) if kind == "limit" else "",
                    *(reductions.get(p, 0.0) for p in POLLUTANTS),
                ]
            )
        for index, value in enumerate(values, start=1):
            cell = put(sheet, HEADER_ROWS + number, index, value)
            cell.border = _BORDER
            # Full precision is stored (a re-import must give the same ratios); 4 decimals shown.
            if isinstance(value, float):
                cell.number_format = "0.0000"
    if check is not None and targets is not None:
        ratios = workbook.create_sheet(RATIO_SHEET)
        ratios.append(["预警级别 level", "污染物 pollutant", "减排量 (t/d)", "减排比例", "目标"])
        for level in levels.keys:
            for pollutant in POLLUTANTS:
                target = targets.target(level, pollutant)
                ratios.append(
                    [
                        levels.get(level).label,
                        pollutant.label,
                        round(check.reductions[level][pollutant], 4),
                        round(check.ratios[level].get(pollutant, 0.0), 4),
                        "" if target is None else target,
                    ]
                )
        ratios.append([])
        ratios.append(["未达标 shortfalls"])
        for shortfall in check.shortfalls:
            ratios.append([shortfall.message()])
        if not check.shortfalls:
            ratios.append(["全部达标 / every target met"])
    return workbook_bytes(workbook)


# ---------------------------------------------------------------- import


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if not math.isfinite(number):
        raise ValueError
    return number


Report = Callable[[int, str], None]
"""Records a problem of one cell of the current row: (0-based column, reason)."""


def parse_list(
    content: bytes,
    known: Mapping[str, Mapping[Pollutant, float]],
    levels: LevelScheme,
    max_problems: int = 200,
    name: str = "清单.xlsx",
) -> list[MeasureInput]:
    """Measures of a workbook in the government layout, or :class:`Rejected` listing every problem
    (reading stops after ``max_problems``).

    ``known`` maps each inventory enterprise's credit code to its normal daily emissions: a
    reduction may not exceed what the enterprise emits.
    """
    with open_sheet(content, name=name, sheet=SHEET) as opened:
        rows = [cells for _, cells in opened.rows]
    names = column_names(levels)
    problems: list[Problem] = []

    def problem(row: int, column: int, value: Any, why: str) -> None:
        where = f"{get_column_letter(column + 1)} ({names[column]})"
        text = "" if value is None else str(value)
        problems.append(Problem(name, SHEET, row, where, text, why))

    _check_header(rows, names, problem, levels)
    if problems:
        raise Rejected(name, problems)

    measures: list[MeasureInput] = []
    seen: dict[str, int] = {}
    for row_number, values in enumerate(rows[HEADER_ROWS:], start=HEADER_ROWS + 1):
        cells = list(values) + [None] * (len(names) - len(values))
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells[: len(names)]):
            continue

        def report(
            column: int, why: str, row_number: int = row_number, cells: list[Any] = cells
        ) -> None:
            problem(row_number, column, cells[column], why)

        code = str(cells[2] or "").strip()
        reason = credit_code_problem(code)
        if reason:
            report(2, reason)
            continue
        if code in seen:
            report(2, f"与第 {seen[code]} 行重复 / the same enterprise as row {seen[code]}")
            continue
        seen[code] = row_number
        daily = known.get(code)
        if daily is None:
            report(2, "排放清单中没有该企业 / no such enterprise in the emission inventory")
            continue
        measures.extend(_enterprise_measures(code, daily, cells, report, levels))
        if len(problems) >= max_problems:
            break
    if problems:
        raise Rejected(name, problems)
    if not measures:
        raise InputError("清单中没有任何措施 / the workbook holds no measures")
    return measures


def _check_header(
    rows: Sequence[Sequence[Any]],
    names: Sequence[str],
    problem: Callable[..., None],
    levels: LevelScheme,
) -> None:
    """Row 3 holds the column names; merged info columns carry theirs in row 2, and so does each
    level's group (a workbook laid out for another scheme's levels would shift every measure)."""
    header = list(rows[HEADER_ROWS - 1]) if len(rows) >= HEADER_ROWS else []
    group = list(rows[1]) if len(rows) >= 2 else []
    for level_index, level in enumerate(levels.keys):
        index = len(INFO_COLUMNS) + len(DAILY_COLUMNS) + level_index * len(LEVEL_COLUMNS)
        expected = level_title(levels, level)
        found = group[index] if index < len(group) else None
        if (found or "") != expected:
            problem(
                2,
                index,
                found,
                f"表头应为“{expected}”，实为“{found or ''}”（计划的预警级别：{'、'.join(levels.keys)}）"
                f" / the header should read {expected!r}, reads {found!r} (the plan's levels: "
                f"{', '.join(levels.keys)})",
            )
    for index, expected in enumerate(names):
        if index < len(INFO_COLUMNS):
            found = group[index] if index < len(group) else None
        else:
            found = header[index] if index < len(header) else None
        short_expected = expected.split(" ", 1)[1] if index >= 10 else expected
        if (found or "") not in (expected, short_expected):
            problem(
                HEADER_ROWS if index >= len(INFO_COLUMNS) else 2,
                index,
                found,
                f"表头应为“{short_expected}”，实为“{found or ''}” / the header should read "
                f"{short_expected!r}, reads {found!r}",
            )


def _enterprise_measures(
    code: str,
    daily: Mapping[Pollutant, float],
    cells: Sequence[Any],
    report: Report,
    levels: LevelScheme,
) -> list[MeasureInput]:
    """The measures of one enterprise's row, level by level (each level's measures cumulative)."""
    measures: list[MeasureInput] = []
    below: dict[Pollutant, float] = dict.fromkeys(POLLUTANTS, 0.0)
    for level_index, level in enumerate(levels.keys):
        first = len(INFO_COLUMNS) + len(DAILY_COLUMNS) + level_index * len(LEVEL_COLUMNS)
        label = str(cells[first] or "").strip()
        description = str(cells[first + 1] or "").strip()
        try:
            amounts = [_number(cells[first + 3 + k]) for k in range(len(POLLUTANTS))]
        except (TypeError, ValueError):
            for k in range(len(POLLUTANTS)):
                try:
                    _number(cells[first + 3 + k])
                except (TypeError, ValueError):
                    report(first + 3 + k, f"应为数字，实为 {cells[first + 3 + k]!r} / not a number")
            continue
        if not label:
            if any(a for a in amounts) or description:
                report(
                    first, "有减排量或措施内容但缺少措施类型 / reductions without a measure type"
                )
            if any(below[pollutant] > 0 for pollutant in POLLUTANTS):
                report(
                    first,
                    f"低一级已有措施，{levels.get(level).label} 不能没有措施（措施逐级累加） / the level "
                    "below has a measure: measures are cumulative",
                )
            continue
        kind = KIND_OF_LABEL.get(label)
        if kind is None:
            report(
                first,
                f"未知措施类型“{label}”，应为 {'、'.join(KIND_OF_LABEL)} / unknown measure type",
            )
            continue
        cut = 1.0 if kind == "stop" else 0.0
        if kind == "limit":
            try:
                percent = _number(cells[first + 2])
            except (TypeError, ValueError):
                percent = math.nan
            if percent is None or not 0 < percent <= 100:
                report(
                    first + 2,
                    f"限产比例应为 0–100 之间的百分数，实为 {cells[first + 2]!r} / a limit needs "
                    "its percentage between 0 and 100",
                )
                continue
            cut = percent / 100
        reductions: dict[Pollutant, float] = {}
        for k, pollutant in enumerate(POLLUTANTS):
            amount = amounts[k] or 0.0
            column = first + 3 + k
            if amount < 0:
                report(column, f"减排量不能为负：{amount} / a reduction cannot be negative")
            elif amount > daily.get(pollutant, 0.0) + _ROUNDING:
                report(
                    column,
                    f"减排量 {amount} 超过企业日排放量 {daily.get(pollutant, 0.0):.4f} / the "
                    "reduction exceeds the enterprise's daily emission",
                )
            elif amount < below[pollutant] - _ROUNDING:
                report(
                    column,
                    f"减排量 {amount} 小于低一级的 {below[pollutant]}（措施逐级累加） / less than "
                    "at the level below: measures are cumulative",
                )
            reductions[pollutant] = min(amount, daily.get(pollutant, 0.0))
        below = reductions
        measures.append(MeasureInput(code, level, kind, description, cut, reductions))
    return measures


def rows_of_list(reduction_list: ReductionList) -> list[ExportRow]:
    """A stored list as export rows, enterprises by area and name."""
    by_enterprise: dict[int, dict[Level, ReductionMeasure]] = {}
    enterprises: dict[int, Enterprise] = {}
    for measure in reduction_list.measures:
        by_enterprise.setdefault(measure.enterprise_id, {})[measure.level] = measure
        enterprises[measure.enterprise_id] = measure.enterprise
    rows = []
    for enterprise_id, measures in by_enterprise.items():
        enterprise = enterprises[enterprise_id]
        rows.append(
            ExportRow(
                name=enterprise.name,
                credit_code=enterprise.credit_code,
                area_code=enterprise.area_code,
                industry=enterprise.industry,
                grade=enterprise.grade,
                daily=enterprise_daily(enterprise),
                measures={
                    level: (
                        m.kind,
                        m.description,
                        m.output_cut,
                        {p: getattr(m, p.value) for p in POLLUTANTS},
                    )
                    for level, m in measures.items()
                },
            )
        )
    rows.sort(key=lambda r: (r.area_code, r.name))
    return rows


def import_list(
    session: Session,
    actor: str,
    content: bytes,
    *,
    name: str,
    plan: str,
    inventory_year: int,
    levels: LevelScheme,
    file_name: str = "清单.xlsx",
) -> ReductionList:
    """Import a workbook as a new draft list over the plan's ``levels``: all rows valid, or
    nothing written."""
    known = {e.credit_code: enterprise_daily(e) for e in list_enterprises(session)}
    measures = parse_list(content, known, levels, name=file_name)
    return create_list(
        session,
        actor,
        name=name,
        plan=plan,
        inventory_year=inventory_year,
        method="import",
        measures=measures,
        levels=levels,
    )
