"""The demo's briefing: the weekly briefing of the last whole week before the demo's instant,
made from the demo's data as the Monday run would have made it (idempotent: kept once)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.briefings import service
from lantian.briefings.figures import previous_period
from lantian.db.engine import transaction
from lantian.files import FileStore
from lantian.plan import Plan

DEMO_BRIEFING_ACTOR = "system:demo"


def load_sample_briefings(sessions: sessionmaker[Session], plan: Plan, data_dir: Path) -> str:
    today = clock.today()
    first, last = previous_period("weekly", today)
    with transaction(sessions) as session:
        kept = service.find_briefing(session, "weekly", first)
        if kept is not None:
            return f"工作周报 weekly briefing {kept.document_number}: 已生成 already made"
        row = service.make_briefing(
            session,
            FileStore(data_dir),
            plan,
            service.BriefingRequest(kind="weekly", day=first),
            DEMO_BRIEFING_ACTOR,
            issued_on=today,
        )
        return (
            f"工作周报 weekly briefing {row.document_number} ({first}…{last}): "
            "Word、PDF、Excel 已生成 made"
        )
