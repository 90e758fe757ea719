"""Cells as read from CSV (always text) and from .xlsx (text, numbers, date-times or empty)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation

Cell = object
"""A cell as read: ``str`` from CSV; ``str``, number, ``datetime`` or ``None`` from Excel."""

_NUMBER: re.Pattern[str] = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def shown(cell: Cell) -> str:
    """A cell as the person sees it, for messages (and as the text a row model reads)."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ", timespec="minutes")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def name_key(text: str) -> str:
    """Names compared loosely: width, case, spaces and ``._-·`` ignored (PM2.5 = pm25 = PM₂.₅)."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s._\-·]+", "", normal)


def decimal_of(cell: Cell) -> Decimal | None:
    """The number in a cell, exactly as written (decimal), or None if it is not a finite number."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        # repr is the shortest text that reads back as the same float: 1.2, not 1.19999…
        text = repr(cell)
    elif isinstance(cell, str):
        text = unicodedata.normalize("NFKC", cell).strip()
        if not _NUMBER.fullmatch(text):
            return None
    else:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None
