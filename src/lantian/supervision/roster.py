"""Pure rules of duty and daily reports: the 17:00 deadline, lateness, roster gaps, the summary.

Seed, second document, §三(三): "各专项工作组要于每日下午 17:00 之前向综合组上报当日工作进展情况和次日
工作安排，由综合协调组汇总上报总协调联络办公室主任" — due at 17:00 local time (UTC+8) of the day
reported on; a report received later is late (flagged, not refused); a group without a report after
the deadline is missing. §二(一) and §三(一): 24-hour duty, "任何岗位、任何时间不得空岗" — any hour
of the period without a shift on duty is a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone


def report_due(report_date: date, due: time = time(17, 0), utc_offset_hours: int = 8) -> datetime:
    """The instant the report on ``report_date`` is due (17:00 China time by default), aware."""
    local = timezone(timedelta(hours=utc_offset_hours))
    return datetime.combine(report_date, due, tzinfo=local)


def is_late(
    submitted_at: datetime, report_date: date, due: time = time(17, 0), utc_offset_hours: int = 8
) -> bool:
    """A report is late when first submitted after its due instant (17:00 itself is on time)."""
    if submitted_at.tzinfo is None:
        raise ValueError("submitted_at must be timezone-aware")
    return submitted_at > report_due(report_date, due, utc_offset_hours)


def local_date(moment: datetime, utc_offset_hours: int = 8) -> date:
    """The calendar day of ``moment`` in local (China) time."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(timezone(timedelta(hours=utc_offset_hours))).date()


@dataclass(frozen=True)
class ReportFacts:
    group_code: str
    submitted_at: datetime
    progress: str
    plan: str


@dataclass(frozen=True)
class GroupDayStatus:
    """Where one group's report on one day stands at ``now``."""

    group_code: str
    report: ReportFacts | None
    due: datetime
    late: bool
    missing: bool

    @property
    def status(self) -> str:
        if self.report is None:
            return "missing" if self.missing else "pending"
        return "late" if self.late else "on_time"


STATUS_LABELS = {
    "on_time": ("按时", "on time"),
    "late": ("迟报", "late"),
    "missing": ("未报", "missing"),
    "pending": ("待报", "not yet due"),
}


def day_status(
    reporting_groups: Sequence[str],
    reports: Iterable[ReportFacts],
    report_date: date,
    now: datetime,
    due: time = time(17, 0),
    utc_offset_hours: int = 8,
) -> list[GroupDayStatus]:
    """Each reporting group's status for ``report_date`` as seen at ``now``, in plan order."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    by_group = {r.group_code: r for r in reports}
    deadline = report_due(report_date, due, utc_offset_hours)
    result = []
    for code in reporting_groups:
        report = by_group.get(code)
        result.append(
            GroupDayStatus(
                group_code=code,
                report=report,
                due=deadline,
                late=report is not None and report.submitted_at > deadline,
                missing=report is None and now > deadline,
            )
        )
    return result


@dataclass(frozen=True)
class Summary:
    """The coordination group's daily summary (汇总), assembled from the groups' reports."""

    report_date: date
    sections: tuple[tuple[str, GroupDayStatus], ...]  # (group name, status)

    @property
    def late(self) -> list[str]:
        return [name for name, s in self.sections if s.status == "late"]

    @property
    def missing(self) -> list[str]:
        return [name for name, s in self.sections if s.status == "missing"]

    def as_text(self, to: str = "") -> str:
        """Plain text of the summary (what the Word export and the page show)."""
        lines = [
            f"{self.report_date:%Y年%m月%d日} 各专项工作组日报汇总" + (f"（报{to}）" if to else "")
        ]
        for number, (name, status) in enumerate(self.sections, start=1):
            zh, _ = STATUS_LABELS[status.status]
            lines.append(f"{number}. {name}（{zh}）")
            if status.report is not None:
                lines.append(f"   当日工作进展：{status.report.progress}")
                lines.append(f"   次日工作安排：{status.report.plan}")
        if self.late:
            lines.append(f"迟报：{'、'.join(self.late)}")
        if self.missing:
            lines.append(f"未报：{'、'.join(self.missing)}")
        return "\n".join(lines)


def assemble_summary(
    report_date: date, statuses: Sequence[GroupDayStatus], names: dict[str, str]
) -> Summary:
    return Summary(report_date, tuple((names.get(s.group_code, s.group_code), s) for s in statuses))


@dataclass(frozen=True)
class Shift:
    starts_at: datetime
    ends_at: datetime


def roster_gaps(
    shifts: Iterable[Shift], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Intervals of [start, end) with nobody on duty (overlapping shifts are fine)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    gaps = []
    cursor = start
    for shift in sorted(shifts, key=lambda s: s.starts_at):
        if shift.ends_at <= cursor or shift.starts_at >= end:
            continue
        if shift.starts_at > cursor:
            gaps.append((cursor, shift.starts_at))
        cursor = max(cursor, shift.ends_at)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps
