"""The calendar helpers the year-on-year figures share (lantian.timeutil)."""

from datetime import date

from lantian.timeutil import year_before


def test_the_same_day_a_year_before_and_29_february() -> None:
    assert year_before(date(2018, 1, 22)) == date(2017, 1, 22)
    assert year_before(date(2016, 2, 29)) == date(2015, 2, 28)
    assert year_before(date(2016, 3, 1)) == date(2015, 3, 1)


def test_a_month_asked_for_and_one_refused() -> None:
    import pytest

    from lantian.errors import Invalid
    from lantian.timeutil import parse_month

    assert parse_month(" 2017-11 ") == date(2017, 11, 1)
    for bad in ("2017-13", "November", "2017-11-05"):
        with pytest.raises(Invalid, match="YYYY-MM") as refused:
            parse_month(bad)
        assert refused.value.field == "month"
