"""The files a column spec writes: the import template and exports (.xlsx or .csv).

The template is the file people fill: the headers in Chinese and English, a drop-down list on
every enumerated column, column widths, a frozen header row, a notes sheet explaining each column
and an example sheet holding one valid example row (kept off the data sheet, so that a person who
adds rows below the header never imports the example by mistake). An export writes rows under the
same headers, so an exported file imports back.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` would be taken as a formula by Excel
(and by LibreOffice, even in CSV): exports write such text as text (OWASP's "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlsxCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from lantian.errors import Conflict, InputError
from lantian.tabular.spec import TableSpec

#: Rows of the data sheet that carry the drop-down lists (a sheet longer than this still imports).
TEMPLATE_ROWS: Final = 5000
NOTES_SHEET: Final = "说明 notes"
EXAMPLE_SHEET: Final = "示例 example"
LISTS_SHEET: Final = "选项 lists"
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

Value = str | int | float | Decimal | bool | date | datetime | None


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def _number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_safe(value: Value) -> str:
    """A value as CSV text; text a spreadsheet would run as a formula gets a leading ``'``.

    A negative number stays a number (``-5``); ``-1+1`` or ``=HYPERLINK(…)`` become text.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    text = str(value)
    if isinstance(value, str) and is_formula_like(text) and not _number_text(text):
        return "'" + text
    return text


def put(sheet: Worksheet, row: int, column: int, value: Value) -> XlsxCell:
    """Write one cell; text is always stored as a string cell, never parsed as a formula."""
    cell = sheet.cell(row, column, value)
    if isinstance(value, str):
        # openpyxl stores "=…" as a formula; the string type keeps it as the text it is.
        cell.data_type = "s"
    return cell


def append_row(sheet: Worksheet, values: Sequence[Value]) -> None:
    """``sheet.append`` for exports: text cells stay text (``=…`` is not run as a formula)."""
    sheet.append(list(values))
    row = sheet.max_row
    for index, value in enumerate(values, start=1):
        if isinstance(value, str):
            sheet.cell(row, index).data_type = "s"


def write_table_xlsx(
    sheet: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[Value]],
    widths: Sequence[float],
) -> None:
    """Headers (bold, frozen) and rows on ``sheet``; every text cell written as text."""
    for index, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        put(sheet, 1, index, header).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    for number, row in enumerate(rows, start=2):
        for index, value in enumerate(row, start=1):
            put(sheet, number, index, value)


def export_bytes(
    spec: TableSpec[Any], rows: Iterable[Sequence[Value]], suffix: str, sheet_title: str = ""
) -> bytes:
    """Rows (values in the spec's column order) as .xlsx or UTF-8 (BOM) .csv bytes."""
    headers = spec.headers
    if suffix == ".csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([csv_safe(value) for value in row])
        # The BOM makes Excel open the Chinese header as UTF-8 rather than in the ANSI code page.
        return buffer.getvalue().encode("utf-8-sig")
    if suffix != ".xlsx":
        raise InputError(f"导出只能是 .xlsx 或 .csv / an export is .xlsx or .csv, not {suffix!r}")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title or spec.data_sheet
    write_table_xlsx(sheet, headers, rows, [column.width for column in spec.columns])
    return workbook_bytes(workbook)


def write_export(path: Path, spec: TableSpec[Any], rows: Iterable[Sequence[Value]]) -> None:
    """Write rows to ``path`` (.xlsx or .csv by its suffix) under the spec's headers."""
    path.write_bytes(export_bytes(spec, rows, path.suffix.lower()))


def template_bytes(spec: TableSpec[Any], suffix: str = ".xlsx") -> bytes:
    """The empty template of a spec: .xlsx (see the module) or a .csv header line."""
    if suffix == ".csv":
        return export_bytes(spec, [], ".csv")
    if suffix != ".xlsx":
        raise InputError(
            f"模板只能是 .xlsx 或 .csv / the template is .xlsx or .csv, not {suffix!r}"
        )
    workbook = Workbook()
    data = workbook.active
    assert data is not None
    data.title = spec.data_sheet
    widths = [column.width for column in spec.columns]
    write_table_xlsx(data, spec.headers, [], widths)
    for index, column in enumerate(spec.columns, start=1):
        if column.number_format:
            # Date-times typed into the column then show and store as real date-times.
            data.column_dimensions[get_column_letter(index)].number_format = column.number_format
    notes = workbook.create_sheet(NOTES_SHEET)
    notes.append(["列 column", "必填 required", "说明", "explanation"])
    for column in spec.columns:
        choices = ""
        if column.choices is not None:
            choices = "可选：" + "、".join(column.choice_items())
        notes.append(
            [
                column.header,
                "是 yes" if spec.required(column) else "否 no",
                "；".join(part for part in (column.note_zh, choices) if part),
                column.note_en
                + (f" (one of {', '.join(column.choices)})" if column.choices else ""),
            ]
        )
    for zh, en in spec.notes:
        notes.append(["", "", zh, en])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (22, 12, 60, 60), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    example = workbook.create_sheet(EXAMPLE_SHEET)
    write_table_xlsx(example, spec.headers, [[c.example for c in spec.columns]], widths)
    for cell in example[2]:
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
    _drop_downs(workbook, data, spec)
    return workbook_bytes(workbook)


def _drop_downs(workbook: Workbook, data: Worksheet, spec: TableSpec[Any]) -> None:
    """A list validation per enumerated column; the items sit on a hidden sheet (no 255-char cap)."""
    enumerated = [(i, c) for i, c in enumerate(spec.columns, start=1) if c.choices is not None]
    if not enumerated:
        return
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    for list_column, (index, column) in enumerate(enumerated, start=1):
        items = column.choice_items()
        put(lists, 1, list_column, column.header)
        for row, item in enumerate(items, start=2):
            put(lists, row, list_column, item)
        letter = get_column_letter(list_column)
        reference = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(items) + 1}"
        validation = DataValidation(
            type="list",
            formula1=reference,
            allow_blank=not spec.required(column),
            showErrorMessage=True,
            errorTitle="不在选项中 / not in the list",
            error=f"请从列表中选择 / choose from the list: {', '.join(items)}"[:255],
        )
        target = get_column_letter(index)
        validation.add(f"{target}2:{target}{TEMPLATE_ROWS}")
        data.add_data_validation(validation)


def write_template(path: Path, spec: TableSpec[Any]) -> None:
    """Write the empty template of a spec to ``path`` (.xlsx or .csv), never over a file."""
    if path.exists():
        # The template is usually written next to filled-in copies; never clobber one.
        raise Conflict(f"{path}: 文件已存在 / the file already exists")
    path.write_bytes(template_bytes(spec, path.suffix.lower()))


def neutralise_formulas(workbook: Workbook) -> int:
    """Make every formula cell of ``workbook`` a text cell; the number of cells changed.

    lantian writes no formulas of its own: a cell openpyxl took as a formula is text that began
    with ``=`` (a name, a note, an imported cell such as ``=cmd|' /C calc'!A0``), and it is kept
    as the text it is (OWASP "CSV injection": store as text). Text beginning with ``+ - @``, a
    tab or a CR is already a string cell, which Excel never evaluates.
    """
    changed = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    changed += 1
    return changed


def workbook_bytes(workbook: Workbook) -> bytes:
    """The saved .xlsx bytes of a workbook (every export and template ends here), with no
    formula in any cell (:func:`neutralise_formulas`)."""
    neutralise_formulas(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
