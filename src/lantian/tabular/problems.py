"""Problems of an imported file: where each bad cell is and why, and the refusal that lists them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from lantian.errors import InputError

#: How many problems the exception message lists; the exception carries all of them.
PROBLEMS_IN_MESSAGE: Final = 20


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a file is refused: where it is (row as a spreadsheet shows it) and why.

    ``column`` is the header as written in the file ("" for a problem of the whole row or file);
    ``reason`` is Chinese first, then English, joined by `` / ``.
    """

    file: str
    sheet: str | None
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f" [{self.sheet}]" if self.sheet else "")
        column = f" 列 column {self.column}" if self.column else ""
        value = f" {self.value!r}" if self.value else ""
        return f"{where} 第{self.row}行 row {self.row}{column}{value}: {self.reason}"


class Rejected(InputError):
    """A file refused as a whole; ``problems`` lists every bad cell, nothing was written."""

    problems: tuple[Problem, ...]

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        found = tuple(problems)
        shown = [f"  {problem}" for problem in found[:PROBLEMS_IN_MESSAGE]]
        hidden = len(found) - len(shown)
        if hidden:
            shown.append(f"  … 另有 {hidden} 个问题 / {hidden} more problems")
        super().__init__(
            f"{file}: 发现 {len(found)} 个问题，未导入任何数据 / "
            f"{len(found)} problems found, nothing was imported:\n" + "\n".join(shown),
            problems=found,
        )


def in_sheet_order(problems: Iterable[Problem], header: Sequence[str]) -> tuple[Problem, ...]:
    """Problems by row, then left to right, as a person reads the sheet to fix it."""
    position = {name: index for index, name in reversed(list(enumerate(header)))}
    return tuple(
        sorted(problems, key=lambda problem: (problem.row, position.get(problem.column, -1)))
    )
