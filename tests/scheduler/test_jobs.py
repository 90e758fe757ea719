"""The registered jobs: every one runs on an empty database, and case escalation run twice
changes nothing the first run did not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.config import Settings
from lantian.db.engine import transaction
from lantian.scheduler.registry import all_jobs, get_job
from lantian.scheduler.service import Scheduler
from lantian.supervision import service as cases
from lantian.supervision.models import CaseEvent, InspectionCase
from lantian.supervision.service import CaseDraft
from tests.scheduler.conftest import Clock

T0 = datetime(2017, 11, 20, 1, 0, tzinfo=UTC)


def test_the_registry_names_each_job_once_with_both_languages() -> None:
    names = [job.name for job in all_jobs()]
    assert names == sorted(set(names))
    assert {"cases.escalate", "plan.escalations", "duty.daily-summary", "warnings.assess",
            "monitoring.qc", "audit.verify"} <= set(names)  # fmt: skip
    for job in all_jobs():
        assert job.description_zh and job.description_en and job.actor == f"system:job:{job.name}"


def test_every_job_runs_on_an_empty_database(
    sessions: sessionmaker[Session], clock: Clock, tmp_path
) -> None:
    scheduler = Scheduler(sessions, Settings(data_dir=tmp_path), clock=clock)
    done = scheduler.run_due()
    assert {run.job_name for run in done} == {job.name for job in all_jobs()}
    assert [(run.job_name, run.error) for run in done if run.error] == []
    assert scheduler.run_due() == []


def counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        events = session.scalar(select(func.count()).select_from(CaseEvent)) or 0
        entries = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return events, entries


def test_escalation_run_twice_creates_nothing_new(
    sessions: sessionmaker[Session], tmp_path
) -> None:
    office = Principal("gongjianban", "campaign_office")
    unit = Principal("hbj-user", "unit", "hbj")
    deadline = T0 + timedelta(days=2)
    with transaction(sessions) as session:
        case_id = cases.record_case(
            session, Principal("duchazu", "inspector"),
            CaseDraft(source="inspection_team", title="料堆未覆盖", area_code="410183100",
                      deadline=deadline),
            T0,
        ).id  # fmt: skip
    with transaction(sessions) as session:
        cases.take_step(session, office, case_id, "forward", T0, unit_code="hbj")
    with transaction(sessions) as session:
        cases.take_step(session, unit, case_id, "accept", T0)
    job = get_job("cases.escalate")
    assert job is not None
    clock = Clock(deadline + timedelta(hours=1))
    scheduler = Scheduler(sessions, Settings(data_dir=tmp_path), [job], clock=clock)
    before = counts(sessions)
    first = scheduler.run_now("cases.escalate", "admin")
    assert first.summary is not None and first.summary.startswith("逾期标记 1，")
    after_first = counts(sessions)
    assert after_first == (before[0] + 1, before[1] + 1)
    with sessions() as session:
        flagged = session.get_one(InspectionCase, case_id)
        assert flagged.overdue_since == clock.now
        last_entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert last_entry is not None and last_entry.action == "inspection_case.overdue"
        assert last_entry.actor.startswith("system:")
    second = scheduler.run_now("cases.escalate", "admin")
    assert second.summary is not None and second.summary.startswith("逾期标记 0，挂牌督办 0")
    assert counts(sessions) == after_first
