"""One tabular import for every kind of file people upload: CSV and .xlsx → typed rows → problems.

The public face (everything else is detail):

* :class:`Column`, :class:`TableSpec` — a kind of file: the row model (pydantic) and its columns,
  named in Chinese and English, with enumerations and labels; :func:`spec_of` makes one from a
  model alone.
* :func:`read_rows` ``(source, spec_or_model, *, name=None, sheet=None) -> (rows, problems)`` and
  :func:`read_table` (the same with row numbers, the header as written and the cells as read);
  ``source`` is a :class:`~pathlib.Path` or the bytes of an upload.
* :class:`Problem` ``(file, sheet, row, column, value, reason)`` and :class:`Rejected` (an
  :class:`~lantian.errors.InputError` listing every problem): all-or-nothing — a caller writes
  its rows in one transaction only when there is no problem at all.
* :func:`open_sheet` — the raw rows of one sheet, for files whose header is not a fixed set of
  columns (hourly data in the wide form); it applies the same size, format and safety checks.
* :func:`write_template`, :func:`template_bytes`, :func:`write_export`, :func:`export_bytes` —
  the template and exports of a spec (formula-like text written as text); :func:`put`, :func:`append_row`
  and :func:`workbook_bytes` for workbooks in a fixed layout of their own (the government reduction
  list, the one-plan-per-factory sheet), so their text cells are never formulas either.
"""

from lantian.tabular.files import (
    CSV_SUFFIXES,
    XLSX_SUFFIXES,
    OpenedSheet,
    Source,
    decode_csv_bytes,
    open_sheet,
)
from lantian.tabular.problems import Problem, Rejected, in_sheet_order
from lantian.tabular.spec import Column, Row, TableRead, TableSpec, read_rows, read_table, spec_of
from lantian.tabular.writing import (
    append_row,
    csv_safe,
    export_bytes,
    put,
    template_bytes,
    workbook_bytes,
    write_export,
    write_table_xlsx,
    write_template,
)

__all__ = [
    "CSV_SUFFIXES",
    "XLSX_SUFFIXES",
    "Column",
    "OpenedSheet",
    "Problem",
    "Rejected",
    "Row",
    "Source",
    "TableRead",
    "TableSpec",
    "append_row",
    "csv_safe",
    "decode_csv_bytes",
    "export_bytes",
    "in_sheet_order",
    "open_sheet",
    "put",
    "read_rows",
    "read_table",
    "spec_of",
    "template_bytes",
    "workbook_bytes",
    "write_export",
    "write_table_xlsx",
    "write_template",
]
