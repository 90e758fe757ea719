"""Column specs and the typed reading of a table: header names → fields → a pydantic row model.

A :class:`TableSpec` names each column of a kind of file in Chinese and English (the file may use
either, both — ``站点编码 station`` — or an alias), its enumeration with labels, its example and
width for the template. :func:`read_table` reads a CSV or .xlsx file through it: every row becomes
the row model or problems, each with file, sheet, row, column, value and a reason (Chinese, then
English). The caller writes nothing unless there are no problems at all (all-or-nothing).
"""

from __future__ import annotations

import re
import types
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Literal, TypeVar, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError

from lantian.tabular.cells import Cell, is_blank, name_key, shown
from lantian.tabular.files import Source, open_sheet
from lantian.tabular.problems import Problem, Rejected, in_sheet_order

M = TypeVar("M", bound=BaseModel)

#: Rows searched for the header, so that a title line above it (common in office files) is fine.
HEADER_SEARCH_ROWS: Final = 10

#: How people write yes and no in a sheet.
TRUE_WORDS: Final = frozenset({"1", "true", "yes", "y", "是", "√", "✓", "对"})
FALSE_WORDS: Final = frozenset({"0", "false", "no", "n", "否", "×", "✗", "x"})


@dataclass(frozen=True)
class Column:
    """One column of a kind of file: the model field it fills and how people name it."""

    field: str
    """The row model's field."""
    en: str
    """English header (also the field's name, usually)."""
    zh: str
    """Chinese header."""
    aliases: tuple[str, ...] = ()
    """Other header names understood (compared loosely: case, width, spaces and ``._-`` ignored)."""
    choices: Mapping[str, str] | None = None
    """An enumeration: stored value → Chinese label. A cell may hold the value, the label or both."""
    example: str = ""
    """The value of the template's example row."""
    note_zh: str = ""
    note_en: str = ""
    width: float = 16
    in_header: bool = False
    """The header must name the column even though its cells may be empty."""
    separator: str | None = None
    """For a list field: what separates the items in the cell (``|``; ``None`` splits on spaces)."""
    number_format: str | None = None
    """The template's number format for the column (e.g. ``yyyy-mm-dd hh:mm`` for date-times)."""

    @property
    def header(self) -> str:
        """The bilingual header the template and exports write."""
        return f"{self.zh} {self.en}" if self.zh and self.zh != self.en else self.en

    def names(self) -> set[str]:
        return {name_key(n) for n in (self.en, self.zh, self.field, self.header, *self.aliases)}

    def choice_of(self, text: str) -> str | None:
        """The stored value a cell names (by value, label, or ``label value``), or None."""
        assert self.choices is not None
        key = name_key(text)
        for value, label in self.choices.items():
            if key in {name_key(value), name_key(label), name_key(f"{label}{value}")}:
                return value
        return None

    def choice_items(self) -> list[str]:
        """What the template's drop-down list offers: ``label value``."""
        assert self.choices is not None
        return [
            f"{label} {value}" if label and label != value else value
            for value, label in self.choices.items()
        ]


@dataclass(frozen=True)
class TableSpec(Generic[M]):
    """A kind of file: its row model and its columns, in the order the template writes them."""

    model: type[M]
    columns: tuple[Column, ...]
    title: str = ""
    """What the file holds, for the template's notes (Chinese and English)."""
    unknown_columns: Literal["ignore", "refuse"] = "ignore"
    missing_marks: frozenset[str] = frozenset()
    """Cell texts that mean "empty" besides an empty cell (a station list writes ``-``)."""
    data_sheet: str = "数据 data"
    notes: tuple[tuple[str, str], ...] = ()
    """Extra lines (Chinese, English) for the template's notes sheet."""

    def __post_init__(self) -> None:
        fields = self.model.model_fields
        for column in self.columns:
            if column.field not in fields:
                raise TypeError(f"{self.model.__name__} has no field {column.field!r}")

    def required(self, column: Column) -> bool:
        """Whether every row must fill the column."""
        return self.model.model_fields[column.field].is_required()

    def in_header(self, column: Column) -> bool:
        """Whether the header must name the column."""
        return column.in_header or self.required(column)

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]


def spec_of(model: type[M], *, list_separator: str | None = "|", **options: Any) -> TableSpec[M]:
    """A spec from a row model alone: English header = field name (or alias), Chinese = title.

    For a model without a hand-written spec (the plan's small CSV files): ``Field(title="名称")``
    gives the Chinese header, ``Field(examples=[...])`` the template's example. A list field's
    cell holds its items separated by ``list_separator``. A model that forbids extra keys
    (``extra="forbid"``) also refuses a column it does not know (a typo in the header).
    """
    columns = []
    for name, info in model.model_fields.items():
        english = info.alias or name
        columns.append(
            Column(
                field=name,
                en=english,
                zh=info.title or english,
                example=str(info.examples[0]) if info.examples else "",
                note_en=info.description or "",
                separator=list_separator if _is_list(model, name) else None,
            )
        )
    if model.model_config.get("extra") == "forbid":
        options.setdefault("unknown_columns", "refuse")
    return TableSpec(model, tuple(columns), **options)


@dataclass(frozen=True)
class Row(Generic[M]):
    """A valid row: its number as the spreadsheet shows it, the model, and the cells as read."""

    number: int
    value: M
    cells: Mapping[str, str]
    """Field → the cell's text as read (for cross-row checks and their messages)."""


@dataclass
class TableRead(Generic[M]):
    """What a file holds: the valid rows and every problem found (a non-empty list refuses it)."""

    file: str
    sheet: str | None
    spec: TableSpec[M]
    header: dict[str, str] = field(default_factory=dict)
    """Field → the header as written in the file."""
    header_row: int = 1
    rows: list[Row[M]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def problem(self, row: int, field_name: str, value: Cell, reason: str) -> None:
        """Add a problem of a field (``""``: the whole row) found by the caller's own checks."""
        column = self.header.get(field_name, field_name)
        self.problems.append(Problem(self.file, self.sheet, row, column, shown(value), reason))

    @property
    def values(self) -> list[M]:
        return [row.value for row in self.rows]

    def ordered_problems(self) -> tuple[Problem, ...]:
        return in_sheet_order(self.problems, list(self.header.values()))

    def raise_if_problems(self) -> None:
        """All-or-nothing: refuse the file, listing every problem, if there is any."""
        if self.problems:
            raise Rejected(self.file, self.ordered_problems())


def read_table(
    source: Source,
    spec: TableSpec[M] | type[M],
    *,
    name: str | None = None,
    sheet: str | None = None,
    kind: Literal["csv", "xlsx"] | None = None,
) -> TableRead[M]:
    """Read every row of a CSV or .xlsx file into the spec's row model; collect every problem.

    ``source`` is a path or the bytes of an upload (``name`` then gives the file name, whose
    suffix says CSV or .xlsx). A file that cannot be opened at all raises
    :class:`~lantian.errors.InputError`; a header without the required columns is a problem of
    the header row and no data row is read. Blank rows are skipped.
    """
    table_spec = spec if isinstance(spec, TableSpec) else spec_of(spec)
    with open_sheet(source, name=name, sheet=sheet, kind=kind) as opened:
        result: TableRead[M] = TableRead(opened.file, opened.sheet, table_spec)
        positions = _find_header(opened.rows, result)
        if positions is None:
            return result
        for number, cells in opened.rows:
            if all(is_blank(cell) for cell in cells):
                continue
            _read_row(number, cells, positions, result)
    return result


def read_rows(
    source: Source,
    spec: TableSpec[M] | type[M],
    *,
    name: str | None = None,
    sheet: str | None = None,
    kind: Literal["csv", "xlsx"] | None = None,
) -> tuple[list[M], list[Problem]]:
    """The rows of a file as models and the problems found: ``(rows, problems)``.

    The short form of :func:`read_table` for callers that need neither row numbers nor the
    header: ``rows, problems = read_rows(path, AreaRow)``; if ``problems`` is not empty, write
    nothing and report them all (or call ``raise Rejected(path.name, problems)``).
    """
    read = read_table(source, spec, name=name, sheet=sheet, kind=kind)
    return read.values, list(read.ordered_problems())


# --- header -------------------------------------------------------------------------------------


def _find_header(rows: Any, result: TableRead[Any]) -> dict[str, int] | None:
    spec = result.spec
    required = [c for c in spec.columns if spec.in_header(c)]
    seen = 0
    first: tuple[int, list[str]] | None = None
    for number, cells in rows:
        if all(is_blank(cell) for cell in cells):
            continue
        seen += 1
        names = [shown(cell).strip().lstrip("\ufeff") for cell in cells]
        if first is None:
            first = (number, names)
        meanings = [_column_of(text, spec) for text in names]
        found = {column.field for column in meanings if column is not None}
        if required and all(column.field in found for column in required):
            return _header_positions(number, names, meanings, result)
        if not required and found:
            return _header_positions(number, names, meanings, result)
        if seen >= HEADER_SEARCH_ROWS:
            break
    number, names = first if first is not None else (1, [])
    if first is None:
        reason = "文件为空 / the file is empty"
    else:
        meanings = [_column_of(text, spec) for text in names]
        found = {column.field for column in meanings if column is not None}
        missing = [column for column in required if column.field not in found]
        reason = (
            f"缺少列 {'、'.join(c.zh for c in missing)} / missing columns: "
            f"{', '.join(c.en for c in missing)}"
        )
        # A missing column is most often a misspelt one: name what the header has instead.
        unknown = [
            text for text, column in zip(names, meanings, strict=True) if text and not column
        ]
        if unknown:
            reason += f"; 未知列 {'、'.join(unknown)} / unknown columns: {', '.join(unknown)}"
    result.problems.append(Problem(result.file, result.sheet, number, "", "", reason))
    return None


def _column_of(text: str, spec: TableSpec[Any]) -> Column | None:
    """The column a header cell names: the whole text, each word, or the bracketed part."""
    normal = unicodedata.normalize("NFKC", text).strip()
    if not normal:
        return None
    match = re.fullmatch(r"(.*?)\s*[(\[](.*?)[)\]]", normal)
    candidates = [normal]
    if match:
        candidates += [match.group(1), match.group(2)]
    candidates += normal.split()
    for candidate in candidates:
        key = name_key(candidate)
        for column in spec.columns:
            if key and key in column.names():
                return column
    return None


def _header_positions(
    number: int, names: list[str], meanings: list[Column | None], result: TableRead[Any]
) -> dict[str, int]:
    result.header_row = number
    positions: dict[str, int] = {}
    for index, (text, column) in enumerate(zip(names, meanings, strict=True)):
        if column is None:
            if not text:
                continue
            if result.spec.unknown_columns == "refuse":
                result.problems.append(
                    Problem(
                        result.file,
                        result.sheet,
                        number,
                        text,
                        "",
                        f"未知列 {text} / unknown column {text}; the columns are: "
                        f"{', '.join(result.spec.headers)}",
                    )
                )
            else:
                result.ignored_columns.append(text)
        elif column.field in positions:
            result.problems.append(
                Problem(
                    result.file,
                    result.sheet,
                    number,
                    text,
                    "",
                    "列重复 / the column appears twice",
                )
            )
        else:
            positions[column.field] = index
            result.header[column.field] = text
    return positions


# --- rows ---------------------------------------------------------------------------------------


def _read_row(
    number: int, cells: tuple[Cell, ...], positions: dict[str, int], result: TableRead[Any]
) -> None:
    spec = result.spec
    texts: dict[str, str] = {}
    data: dict[str, Any] = {}
    reported: set[str] = set()
    for field_name, index in positions.items():
        cell = cells[index] if index < len(cells) else None
        text = shown(cell).strip()
        texts[field_name] = text
        if not text or text in spec.missing_marks:
            continue
        column = spec.column(field_name)
        if column.choices is not None:
            value = column.choice_of(text)
            if value is None:
                result.problem(
                    number,
                    field_name,
                    text,
                    f"应为 {'、'.join(column.choice_items())} 之一 / must be one of "
                    f"{', '.join(column.choices)}",
                )
                reported.add(field_name)
                continue
            data[field_name] = value
        elif _is_list(spec.model, field_name):
            parts = text.split(column.separator) if column.separator else text.split()
            data[field_name] = [part.strip() for part in parts if part.strip()]
        elif _is_bool(spec.model, field_name):
            word = unicodedata.normalize("NFKC", text).casefold()
            if word in TRUE_WORDS or word in FALSE_WORDS:
                data[field_name] = word in TRUE_WORDS
            else:
                result.problem(
                    number, field_name, text, "应为 是/否 或 1/0 / must be yes/no or 1/0"
                )
                reported.add(field_name)
        else:
            data[field_name] = text
    try:
        model = spec.model.model_validate(data)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            location = detail["loc"]
            field_name = str(location[0]) if location else ""
            if field_name in reported:
                continue  # already said why (the cell was not one of the choices)
            result.problem(
                number, field_name, texts.get(field_name, ""), _reason(spec, field_name, detail)
            )
        return
    if not reported:
        result.rows.append(Row(number, model, texts))


def _is_list(model: type[BaseModel], field_name: str) -> bool:
    annotation = model.model_fields[field_name].annotation
    candidates = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()
    return any(get_origin(a) in (list, tuple, set) for a in (annotation, *candidates))


def _is_bool(model: type[BaseModel], field_name: str) -> bool:
    annotation = model.model_fields[field_name].annotation
    if annotation is bool:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return bool in get_args(annotation)
    return False


def _bounds(model: type[BaseModel], field_name: str) -> tuple[object, object]:
    low: object = None
    high: object = None
    for item in model.model_fields[field_name].metadata if field_name else ():
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            low = item.ge if isinstance(item, annotated_types.Ge) else item.gt
        if isinstance(item, annotated_types.Le | annotated_types.Lt):
            high = item.le if isinstance(item, annotated_types.Le) else item.lt
    return low, high


def _reason(spec: TableSpec[Any], field_name: str, detail: Any) -> str:
    """A validation error as a reason, Chinese first; a validator's own message is kept whole."""
    kind = detail["type"]
    context = detail.get("ctx") or {}
    if kind == "missing":
        return "不能为空 / must not be empty"
    if kind == "value_error":
        message = str(context.get("error", detail["msg"]))
        return message
    if kind in {"float_parsing", "float_type", "decimal_parsing", "finite_number"}:
        return "应为数字 / not a number"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "应为整数 / not an integer"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        low, high = _bounds(spec.model, field_name)
        if low is not None and high is not None:
            return f"超出范围 {low}…{high} / outside {low}…{high}"
        if low == 0:
            return (
                "应为非负数 / must be ≥ 0"
                if kind == "greater_than_equal"
                else ("应为正数 / must be > 0")
            )
        limit = next(iter(context.values()), "")
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤"}.get(
            kind, "<"
        )
        return f"应 {sign} {limit} / must be {sign} {limit}"
    if kind in {"literal_error", "enum"}:
        expected = context.get("expected", "")
        return f"应为 {expected} 之一 / must be one of {expected}"
    if kind in {
        "datetime_parsing",
        "datetime_from_date_parsing",
        "date_parsing",
        "date_from_datetime_parsing",
    }:
        return "日期时间无法识别，应如 2019-01-04 16:00 / not a date-time like 2019-01-04 16:00"
    if kind in {"string_too_short", "string_too_long"}:
        return f"长度不对 / wrong length ({detail['msg']})"
    if kind == "string_pattern_mismatch":
        return f"格式不对 / wrong format ({context.get('pattern', '')})"
    return f"值不正确 / {detail['msg']}"
