"""Time conventions: China Standard Time (UTC+8) and hour-ending labels.

Chinese monitoring time is UTC+8 all year (no daylight saving since 1991), so a fixed offset is exact
for every date lantian deals with and needs no tz database on the user's machine.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "CST")


def to_china(moment: datetime) -> datetime:
    """The same instant shown in UTC+8; naive datetimes are refused (time is explicit)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: give a time zone")
    return moment.astimezone(CHINA_TZ)


def format_cn_hour(moment: datetime | None) -> str:
    """`2019年08月31日 24时`-style label of an hour-ending time (00:00 shown as 24时 of the day before)."""
    if moment is None:
        return ""
    local = to_china(moment)
    if local.hour == 0 and local.minute == 0:
        previous = local - timedelta(days=1)
        return previous.strftime("%Y年%m月%d日 24时")
    return local.strftime("%Y年%m月%d日 %H时")


def year_before(day: date) -> date:
    """The same day one year earlier (29 February → 28 February): the "same period a year
    before" that the plan's year-on-year targets compare with."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def parse_month(text: str) -> date:
    """The first day of the month ``YYYY-MM`` (``Invalid`` naming the field ``month``): the month
    a page, an export or a command asks for."""
    from lantian.errors import Invalid

    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        raise Invalid(
            f"月份应为 YYYY-MM，而不是 {text!r} / the month is YYYY-MM, not {text!r}", field="month"
        ) from None
