"""Every duty of the plan as items each unit or area submits, reviewed and escalated (issue 18),
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.campaign import duties, service
from lantian.campaign.models import DutyItem
from lantian.db.engine import transaction
from lantian.errors import Conflict, InputError, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.tabular import workbook_bytes

#: A real (empty) workbook: an attachment named .xlsx must be one.
ATTACHMENT = workbook_bytes(Workbook())

pytestmark = pytest.mark.db

OFFICE = Principal("office", "campaign_office")
MICUN = Principal("micun", "township", "410183101")  # 米村镇
NIUDIAN = Principal("nd", "township", "410183102")  # 牛店镇


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_the_plans_duties_become_items(loaded: sessionmaker[Session]) -> None:
    with loaded() as session:
        context = service.require_plan(session)
        found = {d.key: d for d in duties.plan_duties(context)}
        # One-off submissions with the seed's dates, recurring ones with their frequency.
        assert found["five_lists"].due == date(2017, 9, 30)
        assert found["elevated_sources_list"].due == date(2017, 10, 18)
        assert found["staggered_production_plans"].due == date(2017, 9, 20)
        assert found["non_road_machinery_weekly"].every == "week"
        assert found["dust_fall_monthly"].every == "month"
        # Task 24's weekly deadline and task 1's monthly one are the same duties: not twice.
        assert not any(k.startswith(("task_24_", "task_1_")) for k in found)
        daily = [d for d in found.values() if d.every == "day"]
        assert daily and all(d.task_ref for d in daily)  # e.g. task 23(2)'s daily enforcement
        # "各乡镇政府、街道办事处和市有关单位": every township, subdistrict and the scenic area.
        owed = duties.reporters(context, found["five_lists"])
        assert ("area", "410183101") in owed and ("area", "410183401") in owed
        assert sum(1 for kind, _ in owed if kind == "area") == 18
        board = duties.duty_board(
            session, context, date(2017, 10, 20), reporter=("area", "410183101")
        )
    states = {(i.duty.key, i.period_start): i.state for i in board}
    assert states[("five_lists", date(2017, 9, 30))] == "overdue"
    assert states[("elevated_sources_list", date(2017, 10, 18))] == "overdue"
    # Weekly machinery reports of 米村镇 (task 24's areas): the weeks from 25 Sep begun by 10-20.
    weeks = sorted(s for k, s in states if k == "non_road_machinery_weekly")
    assert weeks == [date(2017, 10, 2), date(2017, 10, 9), date(2017, 10, 16)]
    assert states[("non_road_machinery_weekly", date(2017, 10, 16))] == "open"  # due Monday 23rd


def test_submit_review_and_return(loaded: sessionmaker[Session], tmp_path: Path) -> None:
    with transaction(loaded) as session:
        context = service.require_plan(session)
        item = duties.submit_duty(
            session, context, MICUN, duty_key="five_lists", reporter_kind="area",
            reporter_code="410183101", period_start=date(2017, 9, 30), text="五个清单见附件",
            upload=service.EvidenceUpload("五个清单.xlsx", ATTACHMENT), data_dir=tmp_path,
            now=at(date(2017, 10, 3)),
        )  # fmt: skip
        item_id = item.id
        assert FileStore(tmp_path).read(item.file_path or "", item.file_sha256 or "") == ATTACHMENT
        with pytest.raises(NotAllowed):
            duties.submit_duty(
                session, context, NIUDIAN, duty_key="five_lists", reporter_kind="area",
                reporter_code="410183101", period_start=date(2017, 9, 30), text="冒报",
                data_dir=tmp_path,
            )  # fmt: skip
        with pytest.raises(InputError, match="not a period"):
            duties.submit_duty(
                session, context, MICUN, duty_key="five_lists", reporter_kind="area",
                reporter_code="410183101", period_start=date(2017, 9, 29), text="x",
                data_dir=tmp_path,
            )  # fmt: skip
        with pytest.raises(InputError, match="needs a reason"):
            duties.review_duty(session, OFFICE, item_id, "return")
        with pytest.raises(NotAllowed):
            duties.review_duty(session, MICUN, item_id, "accept")
        duties.review_duty(session, OFFICE, item_id, "return", "缺无组织排放改造清单")
    with loaded() as session:
        context = service.require_plan(session)
        (five,) = [
            i
            for i in duties.duty_board(session, context, date(2017, 10, 20), duty_key="five_lists")
            if i.reporter_code == "410183101"
        ]
        assert five.state == "returned" and five.late == 3 and five.days_over == 20
    with transaction(loaded) as session:
        context = service.require_plan(session)
        duties.submit_duty(
            session, context, MICUN, duty_key="five_lists", reporter_kind="area",
            reporter_code="410183101", period_start=date(2017, 9, 30), text="补齐",
            data_dir=tmp_path, now=at(date(2017, 10, 5)),
        )  # fmt: skip
        duties.review_duty(session, OFFICE, item_id, "accept")
        with pytest.raises(Conflict):
            duties.submit_duty(
                session, context, MICUN, duty_key="five_lists", reporter_kind="area",
                reporter_code="410183101", period_start=date(2017, 9, 30), text="again",
                data_dir=tmp_path,
            )  # fmt: skip
    with loaded() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_type == "duty_item")
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["duty.submit", "duty.review", "duty.resubmit", "duty.review"]


def test_the_daily_job_marks_overdue_items_once(loaded: sessionmaker[Session]) -> None:
    day = date(2017, 10, 20)
    with transaction(loaded) as session:
        context = service.require_plan(session)
        expected = [i for i in duties.duty_board(session, context, day) if i.state == "overdue"]
        assert duties.mark_overdue(session, context, day) == len(expected) > 0
    with transaction(loaded) as session:
        context = service.require_plan(session)
        assert duties.mark_overdue(session, context, day) == 0
        rows = session.scalar(select(func.count()).select_from(DutyItem))
        marked = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "duty.overdue")
        )
    assert rows == marked == len(expected)


def test_the_registered_job_marks_as_of_its_day_in_china(
    loaded: sessionmaker[Session], tmp_path: Path
) -> None:
    """The job campaign.duties runs at 08:10 China time: 2017-10-19 23:30 UTC is 10-20 there."""
    from lantian.config import Settings
    from lantian.scheduler.registry import JobContext, get_job

    job = get_job("campaign.duties")
    context = JobContext(loaded, Settings(data_dir=tmp_path), datetime(2017, 10, 19, 23, 30, tzinfo=UTC),
                         None, job.actor)  # fmt: skip
    summary = job.run(context)
    with loaded() as session:
        plan = service.require_plan(session)
        overdue = [i for i in duties.duty_board(session, plan, date(2017, 10, 20))
                   if i.state == "overdue"]  # fmt: skip
        actors = set(
            session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "duty.overdue"))
        )
    assert summary.startswith(f"2017-10-20 新标记逾期 {len(overdue)} 项")
    assert actors == {"system:job:campaign.duties"}
    assert job.run(context).startswith("2017-10-20 新标记逾期 0 项")


def test_a_register_that_keeps_the_duty_gives_its_state(
    loaded: sessionmaker[Session], xinmi_plan: Plan, tmp_path: Path
) -> None:
    """Task 24's weekly reports live in the machinery register: the duty's items take their state
    from it, and nobody submits the same report again as a duty item."""
    from lantian.sources.kinds.machinery_patrols import KIND
    from tests.sources.helpers import import_file
    from tests.sources.test_machinery_patrols import csv, report

    content = csv([report("410183101", "2017-W41", "2017-10-17", is_area=True)])
    import_file(loaded, xinmi_plan, FileStore(tmp_path), KIND, content)
    with loaded() as session:
        context = service.require_plan(session)
        board = duties.duty_board(
            session, context, date(2017, 10, 20), reporter=("area", "410183101"),
            duty_key="non_road_machinery_weekly",
        )  # fmt: skip
    by_week = {i.period_start: i for i in board}
    assert {week: i.state for week, i in by_week.items()} == {
        date(2017, 10, 2): "overdue",
        date(2017, 10, 9): "recorded",
        date(2017, 10, 16): "open",
    }
    recorded = by_week[date(2017, 10, 9)]
    assert recorded.register_report is not None and recorded.late == 1  # due Monday 10-16
    assert recorded.register_report.href.startswith("/sources/machinery_patrols/")
    with transaction(loaded) as session, pytest.raises(InputError, match="register"):
        duties.submit_duty(
            session, service.require_plan(session), MICUN, duty_key="non_road_machinery_weekly",
            reporter_kind="area", reporter_code="410183101", period_start=date(2017, 10, 2),
            text="周报", data_dir=tmp_path,
        )  # fmt: skip
