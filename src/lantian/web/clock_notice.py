"""What every page says about time: the "as of" instant of the clock in force (in the header,
so that nobody takes a chosen instant for now) and, on monitoring pages, a banner when the newest
measured hour is too old to call the page real-time (``LANTIAN_STALE_AFTER_HOURS``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from lantian import clock
from lantian.monitoring import publication, publication_cache
from lantian.timeutil import to_china


def clock_context() -> dict[str, Any]:
    """``as_of_now``: the clock's instant in China time when it is not the host's real time."""
    return {"as_of_now": None if clock.is_system() else clock.now_china()}


def freshness_context(
    request: Request, session: Session, *, cached: bool = False
) -> dict[str, Any]:
    """``freshness``: the network's newest hour against the clock, for the stale-data banner;
    ``cached``: the newest hour from :mod:`lantian.monitoring.publication_cache` (read sessions)."""
    stale_after = timedelta(hours=request.app.state.settings.stale_after_hours)
    if cached:
        return {"freshness": publication_cache.freshness(session, stale_after)}
    return {"freshness": publication.freshness(session, stale_after)}


def format_cn_minute(moment: datetime | None) -> str:
    """`2018年02月20日 10:15`: an instant to the minute, in China time."""
    if moment is None:
        return ""
    return to_china(moment).strftime("%Y年%m月%d日 %H:%M")
