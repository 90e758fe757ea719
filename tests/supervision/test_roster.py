"""Daily-report deadlines, lateness, the summary and roster gaps (pure rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lantian.supervision.roster import (
    ReportFacts,
    Shift,
    assemble_summary,
    day_status,
    is_late,
    local_date,
    report_due,
    roster_gaps,
)

DAY = date(2017, 11, 20)
DUE_UTC = datetime(2017, 11, 20, 9, 0, tzinfo=UTC)  # 17:00 in Xinmi


def test_due_at_17_china_time() -> None:
    assert report_due(DAY) == DUE_UTC
    assert not is_late(DUE_UTC, DAY)  # 17:00 itself is "before 17:00" enough: on time
    assert is_late(DUE_UTC + timedelta(seconds=1), DAY)
    assert not is_late(DUE_UTC - timedelta(hours=10), DAY)
    # Late at night in Xinmi is the next UTC day's early hours, and still the same local day.
    assert local_date(datetime(2017, 11, 20, 15, 59, tzinfo=UTC)) == DAY
    assert local_date(datetime(2017, 11, 20, 16, 0, tzinfo=UTC)) == date(2017, 11, 21)


def test_day_status_and_summary() -> None:
    groups = ["a", "b", "c"]
    reports = [
        ReportFacts("a", DUE_UTC - timedelta(hours=1), "检查工地 3 处", "继续巡查"),
        ReportFacts("b", DUE_UTC + timedelta(minutes=30), "起草汇报", "报送简报"),
    ]
    before = day_status(groups, reports, DAY, DUE_UTC - timedelta(minutes=1))
    assert [s.status for s in before] == ["on_time", "late", "pending"]
    after = day_status(groups, reports, DAY, DUE_UTC + timedelta(hours=1))
    assert [s.status for s in after] == ["on_time", "late", "missing"]
    summary = assemble_summary(
        DAY, after, {"a": "综合协调组", "b": "文秘宣传组", "c": "后勤保障组"}
    )
    assert summary.late == ["文秘宣传组"] and summary.missing == ["后勤保障组"]
    assert summary.as_text("总协调联络办公室主任").splitlines() == [
        "2017年11月20日 各专项工作组日报汇总（报总协调联络办公室主任）",
        "1. 综合协调组（按时）",
        "   当日工作进展：检查工地 3 处",
        "   次日工作安排：继续巡查",
        "2. 文秘宣传组（迟报）",
        "   当日工作进展：起草汇报",
        "   次日工作安排：报送简报",
        "3. 后勤保障组（未报）",
        "迟报：文秘宣传组",
        "未报：后勤保障组",
    ]


H = timedelta(hours=1)
T0 = datetime(2017, 11, 20, 0, 0, tzinfo=UTC)


def test_roster_gaps_by_hand() -> None:
    shifts = [
        Shift(T0, T0 + 8 * H),
        Shift(T0 + 7 * H, T0 + 16 * H),
        Shift(T0 + 18 * H, T0 + 30 * H),
    ]
    assert roster_gaps(shifts, T0, T0 + 24 * H) == [(T0 + 16 * H, T0 + 18 * H)]
    assert roster_gaps([], T0, T0 + 24 * H) == [(T0, T0 + 24 * H)]
    assert roster_gaps(shifts, T0 - H, T0 + 31 * H) == [
        (T0 - H, T0),
        (T0 + 16 * H, T0 + 18 * H),
        (T0 + 30 * H, T0 + 31 * H),
    ]


@given(st.lists(st.tuples(st.integers(0, 47), st.integers(1, 24)), max_size=8))
def test_gaps_are_exactly_the_uncovered_hours(raw: list[tuple[int, int]]) -> None:
    shifts = [Shift(T0 + s * H, T0 + (s + d) * H) for s, d in raw]
    start, end = T0 + 6 * H, T0 + 42 * H
    gaps = roster_gaps(shifts, start, end)
    for hour in range(6, 42):
        moment = T0 + hour * H + timedelta(minutes=30)
        covered = any(s.starts_at <= moment < s.ends_at for s in shifts)
        in_gap = any(a <= moment < b for a, b in gaps)
        assert covered != in_gap
    assert all(a < b for a, b in gaps)
    assert all(gaps[i][1] < gaps[i + 1][0] for i in range(len(gaps) - 1))
