"""Done when (issue 17): during a replayed warning, an enterprise on the list whose electricity
use did not drop opens one case; one whose use dropped by its measure's share opens none. Both
backends; the warning comes from replaying the real January 2019 data, its decisions recorded as
the office would have taken them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.emissions import service as emissions
from lantian.errors import InputError
from lantian.execution import service
from lantian.execution.imports import import_facts
from lantian.execution.models import ExecutionUpload, LineDay
from lantian.files import FileStore
from lantian.penalties import from_case
from lantian.scheduler.registry import get_job
from lantian.scheduler.schedule import DailyAt
from lantian.scheduler.service import Scheduler
from lantian.sources import service as registers
from lantian.sources.kinds.enforcement_actions import KIND as ACTIONS
from lantian.sources.service import StepInput
from lantian.supervision.models import CaseOccurrence, InspectionCase
from lantian.tabular import Rejected
from lantian.timeutil import CHINA_TZ
from lantian.warnings.replay import Episode
from lantian.web.app import create_app
from tests.execution.support import (
    GOOD,
    IDLE,
    OFFICE,
    PASSWORD,
    PLAN,
    TOWNSHIP,
    WARNED,
    cement,
    electricity_csv,
    set_up,
)


def test_replayed_warning_opens_one_case_for_the_enterprise_that_did_not_cut(
    sessions: sessionmaker[Session], first_episode: Episode, tmp_path: Path
) -> None:
    # The replay issues yellow on 2019-01-01 02:00, goes down to blue on the 8th, lifts on the 9th.
    assert first_episode.start == datetime(2019, 1, 1, 2, tzinfo=CHINA_TZ)
    store = FileStore(tmp_path / "files")
    set_up(sessions, first_episode, store)
    with sessions() as session:  # the power company's file is kept as uploaded
        upload = session.scalars(select(ExecutionUpload)).one()
        assert (upload.kind, upload.filename, upload.rows) == (
            "electricity",
            "供电公司-201901.csv",
            124,
        )
        kept = store.read(store.relative_path(upload.sha256), upload.sha256)
        assert kept.startswith("统一社会信用代码".encode())
    today = date(2019, 1, 10)
    with transaction(sessions) as session:
        results = service.check_recent(session, PLAN, today=today)
    assert len(results) == 1
    result = results[0]
    rows = {row.credit_code: row for row in result.rows}
    idle, good = rows[IDLE], rows[GOOD]
    # Whole warning days only: the 1st (issued at 02:00) and the 9th (lifted at 03:00) are not.
    assert sorted(idle.warning_days) == [date(2019, 1, d) for d in range(2, 9)]
    assert idle.warning_days[date(2019, 1, 8)] == "blue"  # downgraded at 10:00: blue held too
    assert idle.production.status == "breached" and good.production.status == "complied"
    # Yellow asks 30 % of the whole plant; blue has no measure on this list.
    assert {v.day for v in idle.production.violations} == {date(2019, 1, d) for d in range(2, 8)}
    assert all(v.subject == "全厂" and v.required == 0.3 for v in idle.production.violations)
    assert idle.transport.status == "not_required"
    assert result.cases_opened == 1 and len(idle.case_ids) == 1 and good.case_ids == []
    # The job runs again the next day: nothing new.
    with transaction(sessions) as session:
        again = service.check_recent(session, PLAN, today=today + timedelta(days=1))
    assert again[0].cases_opened == 0
    with sessions() as session:
        cases = session.scalars(select(InspectionCase)).all()
        assert len(cases) == 1
        case = cases[0]
        assert case.unit_code == "gxw" and case.area_code == TOWNSHIP
        assert "新密市未限产水泥有限公司" in case.title
        assert IDLE in case.description  # the subject an enforcement action is taken against
        occurrences = session.scalars(
            select(CaseOccurrence).where(CaseOccurrence.case_id == case.id)
        ).all()
        assert len(occurrences) == 6  # one per breaching day, not repeated by the second run


def test_episode_page_view_writes_nothing(
    sessions: sessionmaker[Session], first_episode: Episode, tmp_path: Path
) -> None:
    set_up(sessions, first_episode, FileStore(tmp_path / "files"))
    with sessions() as session:
        result = service.check_episode(session, 1, PLAN, today=date(2019, 1, 10))
        assert (result.count("breached"), result.count("complied")) == (1, 1)
    with sessions() as session:
        assert session.scalars(select(InspectionCase)).all() == []


def test_a_bad_electricity_file_writes_nothing_and_names_every_bad_row(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        emissions.add_enterprise(session, "office", cement(IDLE, "新密市未限产水泥有限公司"))
    content = (
        "统一社会信用代码,生产线,日期,用电量\n"
        f"{IDLE},1号窑,2019-01-02,48000\n"
        f"{IDLE},3号窑,2019-01-02,1000\n"  # no such line
        f"{GOOD},1号窑,2019-01-02,1000\n"  # not in the inventory
        f"{IDLE},1号窑,2019-01-32,1000\n"  # no such day
        f"{IDLE},2号窑,2019-01-02,-5\n"  # negative
        f"{IDLE},1号窑,2019-01-02,47000\n"  # repeats row 2
    ).encode()
    store = FileStore(tmp_path / "files")
    with pytest.raises(Rejected) as refused, transaction(sessions) as session:
        import_facts(session, OFFICE, "electricity", content, "bad.csv", store=store)
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5, 6, 7]
    with sessions() as session:
        assert session.scalars(select(LineDay)).all() == []
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []  # nothing kept
    with pytest.raises(InputError), transaction(sessions) as session:
        import_facts(session, OFFICE, "weather", content, "bad.csv", store=store)


def signed_in(app: FastAPI, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]*)"', client.get("/login").text)
    assert token
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client, token.group(1)


def test_the_episode_page_shows_compliance_per_enterprise_and_takes_the_upload(
    db_engine: Engine, first_episode: Episode, tmp_path: Path
) -> None:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        add_user(session, username="office", role="campaign_office", password=PASSWORD, actor="t")
        add_user(session, username="town", role="township", scope="410183101",
                 password=PASSWORD, actor="t")  # fmt: skip
    set_up(sessions, first_episode, None)
    app = create_app(Settings(data_dir=tmp_path), db_engine)
    office, _ = signed_in(app, "office")
    page = office.get("/office/warnings/episodes/1")
    assert page.status_code == 200
    assert page.text.count('data-status="no_data"') == 2  # listed, nothing imported yet
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    good = electricity_csv(date(2018, 12, 10), date(2019, 1, 9), WARNED)
    bad = good.replace(f"{GOOD},1号窑,2019-01-03,".encode(), f"{GOOD},9号窑,2019-01-03,".encode())
    refused = office.post(
        "/office/warnings/episodes/1/import",
        data={"kind": "electricity", "csrf": csrf.group(1)},
        files={"file": ("供电公司.csv", bad, "text/csv")},
    )
    assert refused.status_code == 422 and 'id="problems"' in refused.text
    assert "9号窑" in refused.text and refused.text.count('data-status="no_data"') == 2
    done = office.post(
        "/office/warnings/episodes/1/import",
        data={"kind": "electricity", "csrf": csrf.group(1)},
        files={"file": ("供电公司.csv", good, "text/csv")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = office.get("/office/warnings/episodes/1").text
    assert re.search(f'data-enterprise="{IDLE}" data-status="breached"', page)
    assert re.search(f'data-enterprise="{GOOD}" data-status="complied"', page)
    assert "未落实" in page and "要求 30%" in page
    # The daily job opens the case; the page links it.
    with transaction(sessions) as session:
        service.check_recent(session, PLAN, today=date(2019, 1, 10))
    assert '<a href="/cases/1">#1</a>' in office.get("/office/warnings/episodes/1").text
    # A township outside the plants' area sees neither them nor the upload form.
    town, _ = signed_in(app, "town")
    theirs = town.get("/office/warnings/episodes/1").text
    assert IDLE not in theirs and "导入实际执行数据" not in theirs


def test_the_daily_job_opens_the_case_once(
    sessions: sessionmaker[Session], first_episode: Episode, tmp_path: Path
) -> None:
    set_up(sessions, first_episode, FileStore(tmp_path / "files"))
    job = get_job("execution.check")
    assert job is not None and job.schedule == DailyAt(10, 0)

    class Clock:
        def __call__(self) -> datetime:
            return datetime(2019, 1, 10, 2, tzinfo=UTC)  # 10:00 China time, the day after

    scheduler = Scheduler(sessions, Settings(data_dir=tmp_path), [job], clock=Clock())
    first = scheduler.run_now("execution.check", "admin")
    assert first.summary is not None and "未落实 1 家次，新开案件 1 件" in first.summary
    second = scheduler.run_now("execution.check", "admin")
    assert second.summary is not None and "新开案件 0 件" in second.summary
    with sessions() as session:
        assert len(session.scalars(select(InspectionCase)).all()) == 1


def test_the_breach_becomes_an_enforcement_action_public_once_disclosed(
    db_engine: Engine, first_episode: Episode, tmp_path: Path
) -> None:
    """Done when (issue 17), end to end: the replayed warning's breach opens its case, the
    environment bureau records the fine from that case (its firm, township and number filled in
    from the case), the ledger lists it, and the public page shows it once decided and disclosed."""
    sessions = session_factory(db_engine)
    set_up(sessions, first_episode, FileStore(tmp_path / "files"))
    with transaction(sessions) as session:
        (result,) = service.check_recent(session, PLAN, today=date(2019, 1, 10))
    (case_id,) = {row.credit_code: row for row in result.rows}[IDLE].case_ids
    bureau = Principal("hbj-user", "unit", "hbj")
    app = create_app(Settings(data_dir=tmp_path), db_engine)
    public = TestClient(app)
    number = "新环罚决字〔2019〕3号"
    with clock.use(clock.FrozenClock(datetime(2019, 1, 12, 2, tzinfo=UTC)), process_wide=True):
        with transaction(sessions) as session:
            case = session.get(InspectionCase, case_id)
            assert case is not None
            values = from_case.prefill(session, case)
        assert values["case_number"] == str(case_id)
        assert (values["subject_kind"], values["credit_code"]) == ("enterprise", IDLE)
        assert values["area_code"] == TOWNSHIP
        entry = {
            **values,
            "key": "XMHF-2019-03",
            "unit_code": "hbj",
            "document_number": number,
            "legal_basis": "《中华人民共和国大气污染防治法》第九十六条",
            "action_type": "fine",
            "fine_amount": "100000",
            "decided_on": "2019-01-12",
        }
        with transaction(sessions) as session:
            record, created = registers.save_entry(
                session, bureau, ACTIONS, registers.row_of(ACTIONS, entry), plan=PLAN,
                expect="new",
            )  # fmt: skip
            assert created
            record_id = record.id
        with transaction(sessions) as session:
            assert [a.key for a in from_case.actions_of_case(session, case_id)] == ["XMHF-2019-03"]
        assert number not in public.get("/public/penalties").text  # filed, not decided
        with transaction(sessions) as session:
            registers.take_step(
                session, bureau, ACTIONS, record_id, StepInput(event="decide"), plan=PLAN
            )
        assert number not in public.get("/public/penalties").text  # decided, not disclosed
        with transaction(sessions) as session:
            registers.save_entry(
                session, bureau, ACTIONS,
                registers.row_of(ACTIONS, {**entry, "disclosed_on": "2019-01-12",
                                           "public_summary": "重污染天气预警期间未按清单限产"}),
                plan=PLAN, expect="existing",
            )  # fmt: skip
        shown = public.get("/public/penalties")
        assert shown.status_code == 200 and number in shown.text
        assert "新密市未限产水泥有限公司" in shown.text and IDLE not in shown.text
        api = public.get("/api/v1/public/penalties").json()
        assert number in str(api)
