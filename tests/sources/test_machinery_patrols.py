"""The weekly machinery patrol reports (task 24) through the one write path, on both backends: one
report per unit and ISO week, bad rows reported, a week not reported by its deadline opening one case
for the unit however often evaluated, a late report, the office's who-reported-which-week grid and
the reporting indicator judged per week (a bad week is not averaged away by good ones)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.service import add_user
from lantian.config import Settings, get_settings
from lantian.db.engine import transaction
from lantian.errors import Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources.kinds.machinery_patrols import (
    KIND,
    MachineryPatrol,
    campaign_weeks,
    due_on,
    reporters,
    week_grid,
)
from lantian.sources.registry import kind_of
from lantian.tabular import Rejected
from lantian.web.app import create_app

from .conftest import CHENGGUAN, HBJ, MICUN, OFFICE
from .helpers import cases, entry_id, evaluate, import_file, indicator, step

PASSWORD = "灰霾退散-2017-blue"
HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,备注,报送单位代码,周次,报送日期,"
    "巡查场所数,检查机械台数,发现违法行为数,处罚起数,罚款金额（元）"
)
SEAT = "410183100"


def report(code: str, week: str, submitted: str, *, is_area: bool, key: str = "") -> str:
    year, number = week.split("-W")
    area, unit = (code, "") if is_area else (SEAT, code)
    key = key or f"XC-{code}-{year}W{number}"
    return f"{key},{code}{week}巡查报告,{area},{unit},,,,,,{code},{week},{submitted},5,12,2,1,20000"


def every_report(plan: Plan, week: str, submitted: str, *, leave_out: str = "") -> list[str]:
    return [
        report(r.code, week, submitted, is_area=r.is_area)
        for r in reporters(plan)
        if r.code != leave_out
    ]


def csv(rows: list[str]) -> bytes:
    return "\n".join([HEADER, *rows]).encode("utf-8")


def test_the_reporters_and_weeks_are_the_plans(plan: Plan) -> None:
    assert kind_of("machinery_patrols") is KIND
    codes = [r.code for r in reporters(plan)]
    # 各乡镇政府、街道办事处、尖山风景区管委, then the lead unit and the cooperating units
    assert "410183101" in codes and "410183401" in codes and "410183402" not in codes
    assert codes[-7:] == ["hbj", "zjj", "zfj", "gxw", "gszjj", "swj", "njj"]
    weeks = campaign_weeks(plan)
    assert weeks[0] == "2017-W40" and weeks[-1] == "2018-W13" and len(weeks) == 26
    # due the Monday after the week (LANTIAN_PATROL_REPORT_DAYS, default 7)
    assert str(due_on("2017-W40")) == "2017-10-09"


def test_import_then_reimport_is_idempotent_and_the_deadline_is_filled_in(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    rows = every_report(plan, "2017-W40", "2017-10-08")
    first = import_file(sessions, plan, store, KIND, csv(rows))
    assert (first.created, first.updated, first.unchanged) == (len(rows), 0, 0)
    again = import_file(sessions, plan, store, KIND, csv(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))
    with transaction(sessions) as session:
        hbj = session.scalar(select(MachineryPatrol).where(MachineryPatrol.reporter == "hbj"))
        assert hbj is not None and str(hbj.deadline) == "2017-10-09"
        assert (hbj.unit_code, hbj.week, hbj.violations) == ("hbj", "2017-W40", 2)


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    bad = [
        report("410183101", "2017-W40", "2017-10-08", is_area=True),  # good
        report("nosuch", "2017-W40", "2017-10-08", is_area=False),  # not a reporter of task 24
        report("410183102", "2017-W54", "2017-10-08", is_area=True),  # no such ISO week
        report("410183103", "2017-W40", "2017-10-08", is_area=True, key="ZB-1"),  # wrong key
        report("410183104", "2017-W40", "2017-09-20", is_area=True),  # before the week began
        # a department filing under a township's area but not as its own unit
        "XC-zjj-2017W40,住建局周报,410183100,hbj,,,,,,zjj,2017-W40,2017-10-08,5,12,2,1,0",
        # more penalties than violations
        "XC-410183105-2017W40,苟堂镇周报,410183105,,,,,,,410183105,2017-W40,2017-10-08,5,12,1,3,0",
    ]
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv(bad))
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5, 6, 7, 8]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(MachineryPatrol)) == 0


def test_a_week_not_reported_opens_one_case_for_the_unit(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    # 2017-10-10: W40 was due on 10-09; 米村镇 did not report it
    import_file(
        sessions,
        plan,
        store,
        KIND,
        csv(every_report(plan, "2017-W40", "2017-10-09", leave_out="410183101")),
    )
    evaluate(sessions, 3, plan=plan)
    opened = cases(sessions, "machinery_patrols.missing")
    assert len(opened) == 1
    assert opened[0].area_code == "410183101" and opened[0].unit_code is None
    assert "米村镇" in opened[0].title and "2017-W40" in opened[0].title
    assert cases(sessions, "machinery_patrols.late") == []
    # a week later W41 is due too: every reporter but those who filed it gets a case for W41
    frozen.moment = frozen.moment + timedelta(days=7)
    import_file(
        sessions,
        plan,
        store,
        KIND,
        csv(every_report(plan, "2017-W41", "2017-10-16", leave_out="hbj")),
    )
    evaluate(sessions, 2, plan=plan)
    opened = cases(sessions, "machinery_patrols.missing")
    assert sorted(c.title.rsplit(" ", 1)[-1] for c in opened) == ["2017-W40", "2017-W41"]
    hbj = next(c for c in opened if "2017-W41" in c.title)
    assert hbj.unit_code == "hbj" and hbj.area_code is None


def test_a_late_report_is_a_breach_and_the_grid_shows_it_per_week(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    frozen.moment = datetime(2017, 10, 23, 2, 0, tzinfo=UTC)  # W40, W41 due; W42 due today
    everyone = len(reporters(plan))
    with transaction(sessions) as session:
        empty = week_grid(session, plan)
    assert empty.weeks == () and empty.shares == ()  # counted from the first report filed
    assert indicator(sessions, "machinery_weekly_patrol_reporting").value is None
    import_file(sessions, plan, store, KIND, csv(every_report(plan, "2017-W40", "2017-10-09")))
    late = every_report(plan, "2017-W41", "2017-10-16", leave_out="410183102")
    late.append(report("410183102", "2017-W41", "2017-10-18", is_area=True))  # two days late
    import_file(sessions, plan, store, KIND, csv(late))
    evaluate(sessions, 2, plan=plan)
    assert [c.area_code for c in cases(sessions, "machinery_patrols.late")] == ["410183102"]
    assert cases(sessions, "machinery_patrols.missing") == []
    with transaction(sessions) as session:
        grid = week_grid(session, plan)
    assert grid.weeks == ("2017-W40", "2017-W41", "2017-W42", "2017-W43")
    assert grid.cells[("410183102", "2017-W41")].status == "late"
    assert grid.cells[("410183102", "2017-W40")].status == "on_time"
    assert grid.cells[("hbj", "2017-W42")].status == "pending"
    assert [(s.week, s.on_time, s.late) for s in grid.shares] == [
        ("2017-W40", everyone, 0),
        ("2017-W41", everyone - 1, 1),
    ]
    # judged per week: the worst week is the figure, a perfect week does not average it away
    value = indicator(sessions, "machinery_weekly_patrol_reporting")
    assert value.value == round(100.0 * (everyone - 1) / everyone, 1)
    assert [v for _, v in value.detail] == [100.0, value.value]


def test_the_office_reviews_and_returns_reports_and_scope_holds(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(every_report(plan, "2017-W40", "2017-10-09")))
    micun = entry_id(sessions, KIND, "XC-410183101-2017W40")
    with pytest.raises(NotAllowed):
        step(sessions, MICUN, KIND, micun, "review")
    with pytest.raises(Invalid):
        step(sessions, OFFICE, KIND, micun, "return")  # a return says why
    assert step(sessions, OFFICE, KIND, micun, "return", note="处罚金额未填").state == "returned"
    assert step(sessions, MICUN, KIND, micun, "resubmit").state == "submitted"
    assert step(sessions, OFFICE, KIND, micun, "review").state == "reviewed"
    # 城关镇 may not file 米村镇's report; 环保局 files only its own
    with pytest.raises(Rejected):
        import_file(
            sessions,
            plan,
            store,
            KIND,
            csv([report("410183101", "2017-W41", "2017-10-16", is_area=True)]),
            who=CHENGGUAN,
        )
    with pytest.raises(Rejected):
        import_file(
            sessions,
            plan,
            store,
            KIND,
            csv([report("zjj", "2017-W41", "2017-10-16", is_area=False)]),
            who=HBJ,
        )
    created = import_file(
        sessions,
        plan,
        store,
        KIND,
        csv([report("hbj", "2017-W41", "2017-10-16", is_area=False)]),
        who=HBJ,
    )
    assert created.created == 1


def _signed_in(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]*)"', client.get("/login").text)
    assert token
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


def test_the_offices_page_shows_who_reported_which_week(
    db_engine: Engine, sessions: sessionmaker[Session], plan: Plan, store: FileStore, tmp_path: Path
) -> None:
    moment = clock.FrozenClock(datetime(2017, 10, 17, 2, 0, tzinfo=UTC))  # W40, W41 due
    with clock.use(moment, process_wide=True):
        import_file(
            sessions,
            plan,
            store,
            KIND,
            csv(every_report(plan, "2017-W40", "2017-10-09", leave_out="410183101")),
        )
        late = every_report(plan, "2017-W41", "2017-10-16", leave_out="410183102")
        import_file(sessions, plan, store, KIND, csv(late))
        with transaction(sessions) as session:
            add_user(session, username="office", role="campaign_office", password=PASSWORD,
                     actor="test")  # fmt: skip
            add_user(session, username="micun", role="township", scope="410183101",
                     password=PASSWORD, actor="test")  # fmt: skip
        app = create_app(Settings(data_dir=tmp_path / "site"), db_engine)
        page = _signed_in(app, "office").get("/sources/machinery_patrols/weeks")
        assert page.status_code == 200
        text = page.text
        everyone = len(reporters(plan))
        assert text.count("<tr data-reporter=") == everyone
        cells = dict(
            re.findall(
                r'<tr data-reporter="(410183101|410183102)">.*?data-week="2017-W41" data-status="(\w+)"',
                text,
                re.S,
            )
        )
        assert cells == {"410183101": "on_time", "410183102": "missing"}
        shares = re.findall(r'data-share="([\d.]+)"', text)
        assert shares == [str(round(100.0 * (everyone - 1) / everyone, 1))] * 2
        # a township sees its own row only
        own = _signed_in(app, "micun").get("/sources/machinery_patrols/weeks").text
        assert re.findall(r'<tr data-reporter="([^"]+)"', own) == ["410183101"]
        assert 'data-week="2017-W40" data-status="missing"' in own
        # the same grid as the office's workbook (its circular), the township's row only for it
        exported = _signed_in(app, "office").get("/sources/machinery_patrols/weeks.xlsx")
        assert exported.status_code == 200
        sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
        table = {str(row[1]): row for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]}
        assert len(table) == everyone
        assert table["410183102"][2:6] == ("按时 2/1", "未报", "未到期", 1)
        assert table["410183101"][2:6] == ("未报", "按时 2/1", "未到期", 1)
        theirs = _signed_in(app, "micun").get("/sources/machinery_patrols/weeks.xlsx")
        rows = list(
            load_workbook(io.BytesIO(theirs.content)).worksheets[0].iter_rows(values_only=True)
        )
        assert [r[1] for r in rows[1:] if r[1]] == ["410183101"]
        # the register's list links the page
        listed = _signed_in(app, "office").get("/sources/machinery_patrols").text
        assert 'href="/sources/machinery_patrols/weeks"' in listed


def test_the_deadline_is_a_setting(
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
) -> None:
    """LANTIAN_PATROL_REPORT_DAYS=10: W40 (Monday 10-02) is due 10-12, not yet missing on 10-10."""
    monkeypatch.setenv("LANTIAN_PATROL_REPORT_DAYS", "10")
    get_settings.cache_clear()
    try:
        assert str(due_on("2017-W40")) == "2017-10-12"
        evaluate(sessions, 1, plan=plan)
        # nobody has reported yet: the register is not in use, no unit is given a case
        assert cases(sessions, "machinery_patrols.missing") == []
        import_file(
            sessions,
            plan,
            store,
            KIND,
            csv([report("hbj", "2017-W40", "2017-10-09", is_area=False)]),
        )
        evaluate(sessions, 1, plan=plan)
        assert cases(sessions, "machinery_patrols.missing") == []
        frozen.moment = frozen.moment + timedelta(days=3)  # 10-13
        evaluate(sessions, 2, plan=plan)
        assert len(cases(sessions, "machinery_patrols.missing")) == len(reporters(plan)) - 1
    finally:
        monkeypatch.delenv("LANTIAN_PATROL_REPORT_DAYS")
        get_settings.cache_clear()
