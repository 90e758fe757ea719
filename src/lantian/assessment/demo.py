"""The demo's township assessment: the ranking of the last month whose progress reports are due
by the demo's day, recorded as the monthly job would have recorded it (2017-12 on 2018-01-22),
so the page and the office tile show a published month."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.assessment import service
from lantian.campaign.service import current_plan
from lantian.db.engine import transaction
from lantian.scheduler.registry import SYSTEM_ACTOR_PREFIX

#: Who records in the demo: the monthly job's own actor.
ACTOR = f"{SYSTEM_ACTOR_PREFIX}assessment.record"


def record_demo_assessment(sessions: sessionmaker[Session]) -> str:
    """Record the last due month's ranking (idempotent: a recorded month is left alone)."""
    today = clock.today()
    month = service.last_complete_month(today)
    with transaction(sessions) as session:
        context = current_plan(session)
        if context is None:
            return "乡镇考核 township assessment: 未导入计划 no plan"
        if context.report_due(month) >= today:
            month = service.last_complete_month(month)
        if service.recorded_assessment(session, context, month) is not None:
            return f"乡镇考核 township assessment {month:%Y-%m}: 已公布 already recorded"
        result = service.record_assessment(session, context, month, ACTOR)
    bottom = ", ".join(r.area_code for r in result.bottom(3))
    return (
        f"乡镇考核 township assessment {month:%Y-%m}: 已公布 recorded, {len(result.ranked)} "
        f"个乡镇排名 ranked (后三位 bottom three: {bottom})"
    )
