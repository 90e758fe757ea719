"""The pure rules: working days, report due dates, lateness, roll-up, task status, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantian.campaign import rules
from lantian.campaign.workdays import WorkCalendar
from lantian.plan import read_plan
from tests.campaign.conftest import PLAN_DIR

CALENDAR = WorkCalendar.from_days((row.date, row.kind) for row in read_plan(PLAN_DIR).calendar)


def test_official_holidays_and_make_up_days() -> None:
    assert not CALENDAR.is_working_day(date(2017, 10, 2))  # National Day holiday (Monday)
    assert not CALENDAR.is_working_day(date(2017, 10, 6))  # Mid-Autumn inside it (Friday)
    assert CALENDAR.is_working_day(date(2017, 9, 30))  # Saturday worked in exchange
    assert CALENDAR.is_working_day(date(2018, 2, 11))  # Sunday before the Spring Festival
    assert not CALENDAR.is_working_day(date(2018, 2, 16))  # Spring Festival
    assert not CALENDAR.is_working_day(date(2017, 12, 2))  # an ordinary Saturday
    assert CALENDAR.is_working_day(date(2018, 1, 2))  # New Year holiday ended on the 1st


def test_monthly_report_due_dates_move_to_the_next_working_day() -> None:
    """三(二): by the 2nd of each month from October 2017; days off move it forward."""
    due = {
        m: rules.report_due(m, 2, CALENDAR, True)
        for m in rules.reporting_months(date(2017, 10, 2), date(2018, 4, 2))
    }
    assert due == {
        date(2017, 9, 1): date(2017, 10, 9),  # Oct 1–8 holiday
        date(2017, 10, 1): date(2017, 11, 2),  # Thursday
        date(2017, 11, 1): date(2017, 12, 4),  # the 2nd is a Saturday
        date(2017, 12, 1): date(2018, 1, 2),  # Tuesday, New Year holiday ended the day before
        date(2018, 1, 1): date(2018, 2, 2),  # Friday
        date(2018, 2, 1): date(2018, 3, 2),  # Friday
        date(2018, 3, 1): date(2018, 4, 2),  # Monday
    }
    assert rules.report_due(date(2017, 9, 1), 2, CALENDAR, False) == date(2017, 10, 2)


def test_working_days_across_the_spring_festival() -> None:
    # Friday 2018-02-09 + 1 working day = Sunday 2018-02-11 (make-up day);
    # + 4 = 2018-02-14, + 5 = 2018-02-22 (Feb 15–21 off).
    assert CALENDAR.add_working_days(date(2018, 2, 9), 1) == date(2018, 2, 11)
    assert CALENDAR.add_working_days(date(2018, 2, 9), 4) == date(2018, 2, 14)
    assert CALENDAR.add_working_days(date(2018, 2, 9), 5) == date(2018, 2, 22)
    assert CALENDAR.working_days_between(date(2018, 2, 9), date(2018, 2, 22)) == 5


days = st.dates(min_value=date(2016, 12, 1), max_value=date(2019, 1, 31))


@given(days, st.integers(min_value=0, max_value=40))
def test_adding_working_days_and_counting_them_agree(start: date, count: int) -> None:
    end = CALENDAR.add_working_days(start, count)
    assert CALENDAR.is_working_day(end)
    if count:
        assert CALENDAR.working_days_between(start, end) == count
        assert CALENDAR.working_days_between(end, start) == -count


@given(days)
def test_on_or_after_is_the_first_working_day(day: date) -> None:
    found = CALENDAR.on_or_after(day)
    assert CALENDAR.is_working_day(found) and found >= day
    assert all(not CALENDAR.is_working_day(day + timedelta(n)) for n in range((found - day).days))


def test_lateness_is_judged_on_the_china_date() -> None:
    due = date(2017, 11, 2)
    # 2017-11-02 23:30 in China is 15:30 UTC: on time; 2017-11-03 00:30 China is late by a day.
    assert rules.days_late(datetime(2017, 11, 2, 15, 30, tzinfo=UTC), due) == 0
    assert rules.days_late(datetime(2017, 11, 2, 16, 30, tzinfo=UTC), due) == 1
    assert rules.days_late(datetime(2017, 11, 8, 2, 0, tzinfo=UTC), due) == 6


def v(reporter: str, month: int, value: float) -> rules.ReportedValue:
    return rules.ReportedValue(reporter, date(2017, month, 1), value)


def test_cumulative_targets_sum_every_report() -> None:
    # Households converted (annex, 23,400): two townships over two months.
    rolled = rules.roll_up(
        "cumulative", ">=", 23400, [v("a", 10, 9000), v("b", 10, 6000), v("a", 11, 8400)]
    )
    assert rolled.actual == 23400 and rolled.met is True
    assert rolled.reporters == 2 and rolled.values == 3 and rolled.progress == 1.0
    short = rules.roll_up("cumulative", ">=", 23400, [v("a", 10, 11700)])
    assert short.met is False and short.progress == pytest.approx(0.5)


def test_level_targets_average_each_reporters_latest() -> None:
    # Dust fall < 9 t/(km²·month): area a went 12 → 8, area b reported 9.5 once.
    rolled = rules.roll_up("level", "<", 9, [v("a", 10, 12), v("b", 10, 9.5), v("a", 11, 8)])
    assert rolled.actual == pytest.approx(8.75) and rolled.met is True
    assert rolled.progress is None  # no share for a ceiling
    assert rules.roll_up("level", "<", 9, [v("a", 10, 9)]).met is False  # 小于9: 9 fails
    assert rules.roll_up("level", ">=", 80, []) == rules.RollUp(None, None, 0, 0, None)


def test_floor_targets_judge_every_item_and_month() -> None:
    """Task 10: every converted village ≥ 80 % (one at 70 fails although the mean is 82.5);
    task 25(2): every month ≥ 10 % (November's 8 fails although October and December pass)."""
    villages = rules.roll_up("floor", ">=", 80, [v("a", 10, 95), v("b", 10, 70)])
    assert villages.met is False and villages.actual == 70 and villages.failing == 1
    assert rules.roll_up("level", ">=", 80, [v("a", 10, 95), v("b", 10, 70)]).met is True
    months = [v("gszjj", 10, 12), v("gszjj", 11, 8), v("gszjj", 12, 15)]
    assert rules.roll_up("level", ">=", 10, months).met is True  # the latest month passes
    floor = rules.roll_up("floor", ">=", 10, months)
    assert floor.met is False and floor.actual == 8 and floor.progress == pytest.approx(0.8)
    passing = rules.roll_up("floor", ">=", 10, [v("gszjj", 10, 12), v("gszjj", 11, 10)])
    assert passing.met is True and passing.actual == 10 and passing.failing == 0
    # A ceiling: the worst is the highest value.
    ceiling = rules.roll_up("floor", "<", 9, [v("a", 10, 6), v("b", 10, 9.5)])
    assert ceiling.met is False and ceiling.actual == 9.5


def state(lead: bool, month: int, status: str, review: str) -> rules.ReportState:
    return rules.ReportState(lead, date(2017, month, 1), status, review)


def test_task_status() -> None:
    assert rules.task_status([]) == "not_started"
    assert rules.task_status([state(False, 10, "in_progress", "submitted")]) == "in_progress"
    # Completed only when the lead unit says so and the office accepted it.
    assert rules.task_status([state(True, 11, "completed", "lead_accepted")]) == "in_progress"
    assert rules.task_status([state(True, 11, "completed", "accepted")]) == "completed"
    assert (
        rules.task_status(
            [state(True, 10, "in_progress", "accepted"), state(False, 11, "behind", "submitted")]
        )
        == "behind"
    )
    assert rules.task_status([state(True, 11, "completed", "returned")]) == "not_started"


def test_missed_deadlines() -> None:
    deadlines = [
        {"kind": "by", "date": "2017-12-31", "what": "关闭煤矿2家以上"},
        {"kind": "period", "period": "heating_season", "what": "停产"},
    ]
    assert rules.missed_deadlines("8", deadlines, "in_progress", date(2017, 12, 31)) == []
    missed = rules.missed_deadlines("8", deadlines, "in_progress", date(2018, 1, 10))
    assert missed == [rules.MissedDeadline("8", date(2017, 12, 31), "关闭煤矿2家以上", 10)]
    assert rules.missed_deadlines("8", deadlines, "completed", date(2018, 1, 10)) == []


reported = st.lists(
    st.builds(
        rules.ReportedValue,
        st.sampled_from(["unit:mtj", "area:410183101", "area:410183102"]),
        st.sampled_from([date(2017, m, 1) for m in (9, 10, 11, 12)]),
        st.floats(min_value=0, max_value=1e6, allow_nan=False),
    ),
    max_size=12,
    unique_by=lambda v: (v.reporter, v.period_month),  # one report per reporter and month
)


@given(reported, st.randoms())
def test_roll_up_does_not_depend_on_report_order(values: list[rules.ReportedValue], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(values)
    rnd.shuffle(shuffled)
    for measure in ("cumulative", "level"):
        assert rules.roll_up(measure, ">=", 10, values) == rules.roll_up(
            measure, ">=", 10, shuffled
        )


@given(reported)
def test_roll_up_bounds(values: list[rules.ReportedValue]) -> None:
    total = rules.roll_up("cumulative", ">=", 10, values)
    level = rules.roll_up("level", "<", 9, values)
    if not values:
        assert total.actual is None and level.actual is None
        return
    assert total.actual == pytest.approx(sum(v.value for v in values))
    latest = {
        reporter: max(
            (v for v in values if v.reporter == reporter), key=lambda v: v.period_month
        ).value
        for reporter in {v.reporter for v in values}
    }
    assert level.actual is not None
    assert min(latest.values()) - 1e-9 <= level.actual <= max(latest.values()) + 1e-9
    assert level.reporters == len(latest)
    assert level.met == (level.actual < 9)
