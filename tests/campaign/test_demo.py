"""The demo step: the plan and sample reports Oct–Dec 2017, marked as sample, loaded once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.campaign import service
from lantian.campaign.demo import SAMPLE_MARK, load_sample_progress
from lantian.campaign.models import ProgressReport
from tests.campaign.conftest import PLAN_DIR

pytestmark = pytest.mark.db


def test_sample_progress_is_marked_flagged_and_rolled_up(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    first = load_sample_progress(sessions, PLAN_DIR, tmp_path)
    second = load_sample_progress(sessions, PLAN_DIR, tmp_path)
    assert (first.reports_added, first.late, first.already_loaded) == (37, 1, False)
    assert second.already_loaded and not second.plan.changed
    with sessions() as session:
        reports = session.scalars(select(ProgressReport)).all()
        assert len(reports) == 37
        assert all(r.is_sample and r.text.startswith(SAMPLE_MARK) for r in reports)
        months = sorted({r.period_month for r in reports})
        assert months == [date(2017, 10, 1), date(2017, 11, 1), date(2017, 12, 1)]
        context = service.require_plan(session)
        found = service.escalations(session, context, date(2018, 1, 10))
        late = [(e.task_ref, e.who, e.days) for e in found if e.kind == "late_report"]
        assert late == [("10", "米村镇", 3)]
        missed_targets = {e.who: e for e in found if e.kind == "target_missed"}
        households = missed_targets[
            "完成气代煤、电代煤户数 / households converted from coal to gas or electricity"
        ]
        assert (households.task_ref, households.due, households.days) == (
            "10",
            date(2017, 10, 31),
            71,
        )
        assert households.detail == "8460 / >= 23400 households"
        progress = {
            p.target.key: p for p in service.target_progress(session, context, date(2018, 1, 10))
        }
    # Five towns: 9,400 households × 90 % over three months = 8,460 of the annex's 23,400.
    households = progress["households_converted"].rollup
    assert households.actual == 8460 and households.met is False
    assert households.progress == pytest.approx(8460 / 23400)
    assert progress["households_converted"].overdue is True  # due 2017-10-31
    # Dust fall: the latest of three areas (8.1, 8.4, 7.9) average 8.13 < 9.
    assert progress["dust_fall"].rollup.actual == pytest.approx((8.1 + 8.4 + 7.9) / 3)
    assert progress["dust_fall"].rollup.met is True
    assert progress["scattered_polluting_enterprises"].rollup.actual == 572
    assert progress["central_heating_coverage"].rollup.actual == 81
