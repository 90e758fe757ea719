"""Monthly statistics of enforcement actions per issuing unit and per township (safeguard 三:
"加大对违法责任主体的处罚力度"; the office's monthly view of who fined whom, how much, how often).

An action counts in the month of its decision (``decided_on``, a date of the China calendar) when
it stands: decided and neither withdrawn nor revoked (:data:`STANDING_STATES`). Per group: the
number of actions by type, the total of fines and confiscations (the computed ``total_amount``:
a fine plus a daily fine's amount per day times its days) and the days of daily fines.
Scoped like the register: a township sees its area's actions, a unit its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.permissions import Principal
from lantian.plan import Plan
from lantian.sources.kinds.enforcement_actions import (
    ACTION_TYPES,
    STANDING_STATES,
    EnforcementAction,
)
from lantian.sources.service import scoped
from lantian.tabular import append_row, workbook_bytes
from lantian.timeutil import parse_month as parse_month  # the month a page or command asks for


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


@dataclass
class GroupStatistics:
    """One unit's or township's month."""

    code: str
    name: str
    by_type: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTION_TYPES, 0))
    actions: int = 0
    fines_total: float = 0.0
    daily_fine_days: int = 0

    def add(self, action_type: str, total: float | None, days: int | None) -> None:
        self.by_type[action_type] = self.by_type.get(action_type, 0) + 1
        self.actions += 1
        self.fines_total = round(self.fines_total + (total or 0.0), 2)
        self.daily_fine_days += days or 0


@dataclass(frozen=True)
class MonthlyStatistics:
    month: date
    by_unit: tuple[GroupStatistics, ...]
    by_township: tuple[GroupStatistics, ...]
    total: GroupStatistics


def monthly_statistics(
    session: Session, who: Principal, month: date, *, plan: Plan
) -> MonthlyStatistics:
    """The month's standing actions ``who`` may read, per issuing unit and per township."""
    first = month.replace(day=1)
    model = EnforcementAction
    columns: Any = select(
        model.unit_code,
        model.area_code,
        model.action_type,
        model.total_amount,
        model.daily_days,
    )
    query = scoped(columns, model, who).where(
        model.decided_on >= first,
        model.decided_on < next_month(first),
        model.state.in_(sorted(STANDING_STATES)),
    )
    units: dict[str, GroupStatistics] = {}
    areas: dict[str, GroupStatistics] = {}
    unit_names, area_names = plan.unit_names(), plan.area_names()
    total = GroupStatistics("", "合计 total")
    for unit_code, area_code, action_type, amount, days in session.execute(query):
        unit = unit_code or ""
        if unit not in units:
            units[unit] = GroupStatistics(unit, unit_names.get(unit, unit or "—"))
        if area_code not in areas:
            areas[area_code] = GroupStatistics(area_code, area_names.get(area_code, area_code))
        for group in (units[unit], areas[area_code], total):
            group.add(action_type, amount, days)
    return MonthlyStatistics(
        first,
        tuple(units[k] for k in sorted(units)),
        tuple(areas[k] for k in sorted(areas)),
        total,
    )


def _sheet_rows(groups: Iterable[GroupStatistics], total: GroupStatistics) -> list[list[Any]]:
    return [
        [
            group.name,
            group.code,
            group.actions,
            *(group.by_type[key] for key in ACTION_TYPES),
            group.fines_total,
            group.daily_fine_days,
        ]
        for group in (*groups, total)
    ]


def headers(first: str) -> list[str]:
    return [
        first,
        "代码 code",
        "处罚总数 actions",
        *(f"{zh} {key}" for key, zh in ACTION_TYPES.items()),
        "罚没合计（元）fines (yuan)",
        "按日计罚天数 daily-fine days",
    ]


def statistics_workbook(statistics: MonthlyStatistics) -> bytes:
    """The month's statistics as an Excel file: one sheet per unit, one per township."""
    book = Workbook()
    sheets: Mapping[str, tuple[str, tuple[GroupStatistics, ...]]] = {
        "按单位 by unit": ("单位 unit", statistics.by_unit),
        "按乡镇 by township": ("乡镇 township", statistics.by_township),
    }
    first_sheet = True
    for title, (label, groups) in sheets.items():
        sheet = book.active if first_sheet else book.create_sheet()
        assert sheet is not None
        first_sheet = False
        sheet.title = title
        append_row(sheet, [f"行政处罚月度统计 {statistics.month:%Y-%m} / enforcement actions"])
        sheet["A1"].font = Font(bold=True)
        append_row(sheet, headers(label))
        for row in _sheet_rows(groups, statistics.total):
            append_row(sheet, row)
        sheet.column_dimensions["A"].width = 24
    # workbook_bytes: no cell of the file is ever a formula (formula injection)
    return workbook_bytes(book)
