"""The calendar helpers the year-on-year figures share (lantian.timeutil)."""

from datetime import date

from lantian.timeutil import year_before


def test_the_same_day_a_year_before_and_29_february() -> None:
    assert year_before(date(2018, 1, 22)) == date(2017, 1, 22)
    assert year_before(date(2016, 2, 29)) == date(2015, 2, 28)
    assert year_before(date(2016, 3, 1)) == date(2015, 3, 1)
