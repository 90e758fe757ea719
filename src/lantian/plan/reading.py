"""Reading one plan file into its model, with every problem located (file, line, key path, reason).

YAML and TOML documents are validated in pydantic's strict mode: a string ``"false"`` where a
boolean belongs, or ``"3"`` where a number belongs, is an error, not a silent conversion. CSV cells
are text by nature, so CSV rows are validated in lax mode (``"3600"`` becomes 3600) against a row
model that forbids unknown columns.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from lantian.errors import InputError
from lantian.tabular import read_rows, spec_of

#: Largest plan file read (the bundled tasks.yaml is 75 KiB): an operator's folder, but a
#: file of gigabytes put there by mistake or malice must not be read into memory.
MAX_PLAN_FILE_BYTES: Final = 32 * 1024 * 1024

ModelT = TypeVar("ModelT", bound=BaseModel)
Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a plan folder: where (file, path inside it, line) and why.

    ``path`` is the key path (``sections[2].tasks[0].lead_units[1]``) for YAML and TOML, and
    ``line N, column`` for CSV files; ``line`` is the 1-based line of the file when known.
    """

    file: str
    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.reason}"


def key_path(loc: Sequence[int | str]) -> str:
    """``("sections", 2, "tasks")`` → ``sections[2].tasks``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top)"


def validation_problems(
    file: str,
    prefix: str,
    error: ValidationError,
    line_of: Any = None,
) -> list[Problem]:
    """One problem per pydantic error; ``line_of(loc)`` gives the line of a key path if known."""
    problems = []
    for detail in error.errors():
        loc = tuple(part for part in detail["loc"] if isinstance(part, int | str))
        path = key_path(loc)
        if prefix:
            path = f"{prefix}, {path}" if path != "(top)" else prefix
        line = line_of(loc) if line_of is not None else None
        problems.append(Problem(file, path, f"格式错误 / invalid: {detail['msg']}", line))
    return problems


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_key_path(path: str) -> Loc:
    """``sections[2].tasks`` → ``("sections", 2, "tasks")`` (the inverse of :func:`key_path`)."""
    return tuple(
        int(index) if index else name for name, index in _PATH_PART.findall(path.split(",")[-1])
    )


# -- YAML ----------------------------------------------------------------------------------------


def yaml_line(root: yaml.Node | None, loc: Loc) -> int | None:
    """The line of the deepest node of ``loc`` that exists (a missing key: its parent's line)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(
                ((key, value) for key, value in node.value if str(key.value) == str(part)), None
            )
            if found is None:
                return line
            line = found[0].start_mark.line + 1
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


#: A parsed plan file: the document, and the line of a key path where it is known.
_Parsed = tuple[Any, Callable[[Loc], int | None]]


def read_yaml(
    path: Path, model: type[ModelT], problems: list[Problem], name: str | None = None
) -> ModelT | None:
    """``path`` validated (strictly) as ``model``; problems are appended, ``None`` if any."""
    return _read_plan_file(path, model, problems, name or path.name, _parse_yaml)


def _parse_yaml(text: str, name: str, problems: list[Problem]) -> _Parsed | None:
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            # An alias repeats a node by reference: nine levels of ten make 10⁹ values for the
            # validation to walk (YAML's "billion laughs"). Plan files need none.
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                at = event.start_mark.line + 1 if event.start_mark else None
                problems.append(
                    Problem(
                        name,
                        f"line {at}",
                        "不接受 YAML 锚点与别名（& 与 *，可构成“十亿笑声”炸弹）/ YAML anchors and "
                        "aliases (& and *) are not accepted (they can make a billion-laughs bomb)",
                        at,
                    )
                )
                return None
        document = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        line = mark.line + 1 if mark else None
        problems.append(Problem(name, where, f"YAML 语法错误 / YAML syntax error: {error}", line))
        return None
    except ValueError as error:
        # PyYAML raises a bare ValueError for a date that matches the pattern but does not exist
        # (2017-09-31), without a position: find the scalar in the composed (unconstructed) tree.
        found = _bad_scalar(yaml.compose(text, Loader=yaml.SafeLoader), ())
        where, line = (key_path(found[0]), found[1]) if found else ("(file)", None)
        problems.append(Problem(name, where, f"无效的值 / invalid value: {error}", line))
        return None
    return document, lambda loc: yaml_line(root, loc)


def _bad_scalar(node: yaml.Node | None, loc: Loc) -> tuple[Loc, int] | None:
    """The key path and line of the first scalar PyYAML cannot construct (a date that does not
    exist), or None."""
    if isinstance(node, yaml.ScalarNode):
        try:
            yaml.constructor.SafeConstructor().construct_object(node)
        except ValueError:
            return loc, node.start_mark.line + 1
        return None
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found = _bad_scalar(value, (*loc, str(key.value)))
            if found:
                return found
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _bad_scalar(item, (*loc, index))
            if found:
                return found
    return None


def _read_plan_file(
    path: Path,
    model: type[ModelT],
    problems: list[Problem],
    name: str,
    parse: Callable[[str, str, list[Problem]], _Parsed | None],
) -> ModelT | None:
    """A plan file read (missing, not UTF-8), parsed by ``parse`` (it appends its syntax problems
    and returns ``None``) and validated strictly as ``model``, or ``None`` with the problems."""
    if not path.is_file():
        problems.append(Problem(name, "(file)", "缺少文件 / file missing"))
        return None
    limit = MAX_PLAN_FILE_BYTES
    if path.stat().st_size > limit:
        problems.append(
            Problem(
                name,
                "(file)",
                f"文件过大（上限 {limit / 2**20:.1f} MiB）/ the file is too large (the limit is "
                f"{limit / 2**20:.1f} MiB)",
            )
        )
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(name, "(file)", "不是 UTF-8 文本 / not UTF-8 text"))
        return None
    parsed = parse(text, name, problems)
    if parsed is None:
        return None
    document, line_of = parsed
    try:
        return model.model_validate(document, strict=True)
    except ValidationError as error:
        problems.extend(validation_problems(name, "", error, line_of))
        return None


# -- TOML ----------------------------------------------------------------------------------------

_TOML_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
_TOML_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_TOML_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _toml_names(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted.split(".")]


def toml_lines(text: str) -> dict[Loc, int]:
    """Key path → line of a TOML document: tables, arrays of tables and ``key =`` lines.

    tomllib keeps no positions; this covers the plain layout plan files use (one key per line,
    inline tables on one line). A key it cannot place is reported without a line.
    """
    lines: dict[Loc, int] = {}
    counts: dict[tuple[str, ...], int] = {}
    prefix: Loc = ()

    def expand(names: list[str]) -> Loc:
        path: list[int | str] = []
        for index, name in enumerate(names):
            path.append(name)
            so_far = tuple(names[: index + 1])
            if so_far in counts and index < len(names) - 1:
                path.append(counts[so_far] - 1)
        return tuple(path)

    for number, raw in enumerate(text.splitlines(), start=1):
        if match := _TOML_ARRAY_HEADER.match(raw):
            names = _toml_names(match.group(1))
            key = tuple(names)
            counts[key] = counts.get(key, 0) + 1
            prefix = (*expand(names), counts[key] - 1)
            lines.setdefault(prefix, number)
            lines.setdefault(prefix[:-1], number)
        elif match := _TOML_HEADER.match(raw):
            prefix = expand(_toml_names(match.group(1)))
            lines.setdefault(prefix, number)
        elif (match := _TOML_KEY.match(raw)) and not raw.lstrip().startswith("#"):
            lines.setdefault((*prefix, *_toml_names(match.group(1))), number)
    return lines


def _toml_line(lines: dict[Loc, int], loc: Loc) -> int | None:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def read_toml(
    path: Path, model: type[ModelT], problems: list[Problem], name: str | None = None
) -> ModelT | None:
    """``path`` validated (strictly) as ``model``; problems are appended, ``None`` if any."""
    return _read_plan_file(path, model, problems, name or path.name, _parse_toml)


def _parse_toml(text: str, name: str, problems: list[Problem]) -> _Parsed | None:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        problems.append(
            Problem(
                name,
                "(file)",
                f"TOML 语法错误 / TOML syntax error: {error}",
                int(found.group(1)) if found else None,
            )
        )
        return None
    # The key lines are found only when there is a problem to place.
    lines = cache(lambda: toml_lines(text))
    return document, lambda loc: _toml_line(lines(), loc)


# -- CSV -----------------------------------------------------------------------------------------


def read_csv_rows(
    path: Path,
    model: type[ModelT],
    problems: list[Problem],
    separator: str = "|",
    name: str | None = None,
) -> list[ModelT]:
    """The rows of a plan CSV file, each validated as ``model`` (problems: file, row, column,
    value, reason). A column outside the model is an error; an empty optional cell is absent;
    a list field's cell holds its items separated by ``separator``.

    This is the one place the plan's CSV files are read, through the one tabular importer
    (:mod:`lantian.tabular`: UTF-8, BOM or GB18030, the same problems as every other import).
    """
    name = name or path.name
    if not path.is_file():
        problems.append(Problem(name, "(file)", "缺少文件 / file missing"))
        return []
    try:
        rows, found = read_rows(path, spec_of(model, list_separator=separator), name=name)
    except InputError as error:
        problems.append(Problem(name, "(file)", str(error)))
        return []
    for problem in found:
        where = f"line {problem.row}" + (f", {problem.column}" if problem.column else "")
        shown = f" (value {problem.value!r})" if problem.value else ""
        problems.append(Problem(name, where, f"{problem.reason}{shown}", problem.row))
    return rows
