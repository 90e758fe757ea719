"""The demo's reporting history up to its as-of instant, so that its counts mean something.

The campaign's sample step (:mod:`lantian.campaign.demo`) writes 37 hand-made reports for
October–December 2017; the plan expects about 900 monthly reports a month (every lead unit and
named township of 55 tasks). Left at that, the demo would show thousands of "missing" reports on
the day it runs as of, which says nothing about the platform. This step fills in the months due
before :data:`lantian.demo.DEMO_AS_OF` the way a working campaign looks: almost every report in, on
time and accepted by the office, a few late (1 in 25), a few never sent (1 in 40), and the last
month due still waiting for the office's review (1 in 10). Which report is late or missing is fixed by a hash
of its key, so that a second run (and every test) sees the same demo.

The demo township (:data:`DEMO_TOWNSHIP`, 米村镇) always owes its reports for two tasks of the last
month due, so that its account shows a to-do list. Every report is marked ``is_sample`` and its
text begins with 【示例数据 / sample】; none is a real figure of Xinmi's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.permissions import Principal
from lantian.campaign import service
from lantian.campaign.demo import SAMPLE_MARK
from lantian.db.engine import transaction
from lantian.timeutil import CHINA_TZ

#: Who writes and reviews the filled-in history (accounts that do not exist, as in the samples).
REPORTER = Principal("demo-sample", "administrator")
OFFICE = Principal("demo-office", "campaign_office")
#: The demo's Xinmi township (its account: `micun`, lantian.demo.accounts).
DEMO_TOWNSHIP = "410183101"
#: Of every this many reports, one comes in late, one is never sent (by a hash of its key).
LATE_ONE_IN = 25
MISSING_ONE_IN = 40
#: Of the last month's reports, one in this many still waits for the office's review.
REVIEW_PENDING_ONE_IN = 10
#: How many of the demo township's reports of the last month due stay unsent.
TOWNSHIP_OWES = 2


@dataclass(frozen=True)
class TimelineResult:
    added: int
    late: int
    missing: int
    reviewed: int


def _pick(key: tuple[str, str, str, date]) -> int:
    digest = hashlib.sha256("|".join(map(str, key)).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), CHINA_TZ)


def load_reporting_history(
    sessions: sessionmaker[Session], data_dir: Path, as_of: datetime
) -> TimelineResult:
    """Fill in the reports due before ``as_of`` that the samples left out (idempotent: a report
    that exists is never touched)."""
    day = as_of.astimezone(CHINA_TZ).date()
    added = late = missing = reviewed = 0
    with transaction(sessions) as session:
        context = service.require_plan(session)
        months = [m for m in context.reporting_months() if context.report_due(m) < day]
        if not months:
            return TimelineResult(0, 0, 0, 0)
        last = months[-1]
        have = {
            (view.task.ref, r.reporter_kind, r.reporter_code, r.period_month)
            for view in service.task_views(session, context, day)
            for r in view.reports
        }
        township_left = TOWNSHIP_OWES
        for task in context.tasks:
            for kind, code in context.expected_reporters(task):
                for month in months:
                    key = (task.ref, kind, code, month)
                    if key in have:
                        continue
                    if kind == "area" and code == DEMO_TOWNSHIP and month == last and township_left:
                        township_left -= 1
                        missing += 1
                        continue
                    pick = _pick(key)
                    if pick % MISSING_ONE_IN == 0:
                        missing += 1
                        continue
                    due = context.report_due(month)
                    is_late = pick % LATE_ONE_IN == 1
                    moment = _at(due + timedelta(days=2), 16) if is_late else _at(due, 9)
                    if moment > as_of:
                        continue
                    report = service.submit_report(
                        session,
                        context,
                        REPORTER,
                        task_ref=task.ref,
                        reporter_kind=kind,
                        reporter_code=code,
                        period_month=month,
                        status="in_progress",
                        text=f"{SAMPLE_MARK} {month:%Y年%m月}按计划推进（示例）。",
                        data_dir=data_dir,
                        now=moment,
                        is_sample=True,
                    )
                    added += 1
                    late += is_late
                    # The office has reviewed all but a few of the last month due (1 in 10).
                    if month != last or pick % REVIEW_PENDING_ONE_IN:
                        service.review_report(
                            session,
                            context,
                            OFFICE,
                            report.id,
                            "office",
                            "accept",
                            "示例审核 / sample review",
                            now=moment + timedelta(days=2),
                        )
                        reviewed += 1
    return TimelineResult(added, late, missing, reviewed)
