"""Excel exports: the task matrix, and the monthly summary in the layout of the seed's annex table
(附件：主要任务 — 类别, 重点工作, 主要任务, 完成时限, 工程措施, with equal neighbours merged as in the
original), followed by the month's progress of the tasks behind each row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from lantian.campaign import rules, service
from lantian.tabular import append_row, workbook_bytes

STATUS_ZH = {
    "not_started": "未开始",
    "in_progress": "推进中",
    "completed": "已完成",
    "behind": "滞后",
}
REVIEW_ZH = {
    "submitted": "待审核",
    "lead_accepted": "牵头单位已审",
    "accepted": "攻坚办已审",
    "returned": "退回",
}
COMPARATOR_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="center")


def _header(sheet: Worksheet, titles: Sequence[str], widths: Sequence[int]) -> None:
    append_row(sheet, list(titles))
    for index, (cell, width) in enumerate(zip(sheet[sheet.max_row], widths, strict=True), 1):
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = _WRAP
        cell.border = _BORDER
        sheet.column_dimensions[cell.column_letter].width = width
        del index
    sheet.freeze_panes = f"A{sheet.max_row + 1}"


def _body(sheet: Worksheet, first_row: int) -> None:
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            cell.alignment = _WRAP
            cell.border = _BORDER


def _merge_equal(
    sheet: Worksheet, column: int, first: int, last: int, parents: Sequence[int]
) -> None:
    """Merge runs of equal values in ``column`` whose ``parents`` columns are equal too."""
    start = first
    for row in range(first + 1, last + 2):

        def key(r: int) -> tuple[Any, ...]:
            return tuple(sheet.cell(r, c).value for c in (*parents, column))

        if row > last or key(row) != key(start):
            if row - 1 > start:
                sheet.merge_cells(
                    start_row=start, start_column=column, end_row=row - 1, end_column=column
                )
            start = row


def _names(context: service.PlanContext, codes: Sequence[str]) -> str:
    return "、".join(context.reporter_name("unit", code) for code in codes)


def _deadline_text(deadlines: Sequence[dict[str, Any]], periods: dict[str, Any]) -> str:
    parts = []
    for deadline in deadlines:
        kind = deadline.get("kind")
        if kind == "by":
            parts.append(f"{deadline['date']}前")
        elif kind == "from":
            parts.append(f"{deadline['date']}起")
        elif kind == "period":
            parts.append(
                str(periods.get(deadline["period"], {}).get("name", deadline["period"])).split(
                    " /"
                )[0]
            )
        elif kind == "recurring":
            parts.append({"day": "每天", "week": "每周", "month": "每月"}[deadline["every"]])
    return "；".join(dict.fromkeys(parts))


def matrix_sheet(
    sheet: Worksheet, context: service.PlanContext, views: Sequence[service.TaskView]
) -> None:
    sheet.title = "任务矩阵"
    _header(
        sheet,
        [
            "序号",
            "章节",
            "任务",
            "内容",
            "责任领导",
            "牵头单位",
            "配合单位",
            "责任单位",
            "完成时限",
            "状态",
            "逾期",
            "迟报",
        ],
        [8, 18, 20, 60, 14, 16, 24, 24, 20, 8, 18, 6],
    )
    first = sheet.max_row + 1
    for view in views:
        task = view.task
        append_row(
            sheet,
            [
                task.ref,
                f"（{task.section_number}）{task.section_title}",
                task.title,
                task.text,
                task.leaders_text,
                task.lead_units_text,
                task.cooperating_units_text or "",
                (task.responsible_areas or {}).get("text", ""),
                _deadline_text(task.deadlines, context.periods),
                STATUS_ZH.get(view.status, view.status),
                "；".join(f"{m.due} {m.what}" for m in view.missed),
                view.late_reports or "",
            ],
        )
    _body(sheet, first)


def monthly_sheet(
    sheet: Worksheet,
    session: Session,
    context: service.PlanContext,
    views: Sequence[service.TaskView],
    month: date,
    as_of: date,
) -> None:
    """The annex rows with, for ``month``, the reports on their tasks and the targets' standing."""
    month = rules.first_of_month(month)
    sheet.title = f"{month:%Y年%m月}汇总"
    annex = context.plan.document.get("annex") or {"columns": [], "rows": []}
    _header(
        sheet,
        [*annex["columns"], "对应任务", "本月进展", "报送情况", "量化指标"],
        [12, 16, 22, 14, 50, 12, 60, 22, 40],
    )
    by_ref = {view.task.ref: view for view in views}
    progress = {p.target.key: p for p in service.target_progress(session, context, as_of)}
    first = sheet.max_row + 1
    for row in annex["rows"]:
        progress_lines, counts = [], {"received": 0, "late": 0, "expected": 0}
        for ref in row.get("tasks", []):
            view = by_ref.get(ref)
            if view is None:
                continue
            counts["expected"] += len(context.expected_reporters(view.task))
            for report in view.reports:
                if report.period_month != month:
                    continue
                counts["received"] += 1
                late = rules.days_late(report.submitted_at, report.due_on)
                counts["late"] += bool(late)
                flag = f"（迟报{late}天）" if late else ""
                sample = "【示例】" if report.is_sample and "示例" not in report.text else ""
                progress_lines.append(
                    f"{sample}[{ref}] {context.reporter_name(report.reporter_kind, report.reporter_code)}"
                    f"：{STATUS_ZH.get(report.status, report.status)}，{report.text}{flag}"
                )
        keys = list(row.get("target_keys", [])) + [t["key"] for t in row.get("targets", [])]
        target_lines = []
        for key in keys:
            standing = progress.get(key)
            if standing is None:
                continue
            target = standing.target
            actual = standing.rollup.actual
            shown = "未报" if actual is None else f"{actual:g}"
            verdict = {True: "达标", False: "未达标", None: ""}[standing.rollup.met]
            wanted = f"{COMPARATOR_SIGNS[target.comparator]}{target.value:g} {target.unit}"
            target_lines.append(
                f"{target.indicator.split(' /')[0]}：{shown}（目标 {wanted}）{verdict}"
            )
        append_row(
            sheet,
            [
                row["category"],
                row["key_work"],
                row["main_task"],
                row["deadline_text"],
                row["measures"],
                "、".join(row.get("tasks", [])),
                "\n".join(progress_lines) or "（本月无报送）",
                f"应报{counts['expected']}，已报{counts['received']}，迟报{counts['late']}",
                "\n".join(target_lines),
            ],
        )
    last = sheet.max_row
    _body(sheet, first)
    _merge_equal(sheet, 1, first, last, ())
    _merge_equal(sheet, 2, first, last, (1,))
    _merge_equal(sheet, 3, first, last, (1, 2))
    append_row(sheet, [])
    append_row(
        sheet,
        [
            f"截至 {as_of}；进展按 {month:%Y-%m} 月报（每月2日前报送，遇节假日顺延）。标【示例】者为示例数据。"
        ],
    )


def export_workbook(
    session: Session, context: service.PlanContext, as_of: date, month: date | None
) -> bytes:
    """The workbook as bytes: the task matrix, and the monthly summary when ``month`` is given."""
    views = service.task_views(session, context, as_of)
    book = Workbook()
    matrix_sheet(book.active, context, views)
    if month is not None:
        monthly_sheet(book.create_sheet(), session, context, views, month, as_of)
    # workbook_bytes: no cell of the file is ever a formula (formula injection)
    return workbook_bytes(book)
