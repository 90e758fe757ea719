"""Dust-fall sites and monthly samples (tasks 1, 33) through the one write path, on both backends:
import and re-import, bad rows reported with nothing written, the site's commissioning guarded by
a placement check with a photo, a sample's dust fall and QC verdict computed (never typed), each
township judged on its own — a township at 9.5 t/km² in a month is flagged (one accountability
case, the target not met) while the city's average is 6 — and the monthly report to the monitoring
stations as a page, an .xlsx and a command."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import Result
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.assessment import service as assessment
from lantian.auth.service import add_user
from lantian.campaign import service as campaign
from lantian.config import Settings
from lantian.db.engine import transaction
from lantian.dustfall.service import township_dust_fall
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources.kinds.dust_fall_samples import KIND as SAMPLES
from lantian.sources.kinds.dust_fall_samples import DustFallSample
from lantian.sources.kinds.dust_fall_sites import KIND as SITES
from lantian.sources.registry import kind_of
from lantian.supervision.models import CaseOccurrence
from lantian.tabular import Rejected
from lantian.web.app import create_app

from .conftest import CHENGGUAN, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

COMMON = "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,备注"
SITE_HEADER = f"{COMMON},采样高度（米）,集尘缸"
SAMPLE_HEADER = (
    f"{COMMON},点位编码,监测月份,放缸日期,收缸日期,集尘缸口面积（平方厘米）,降尘质量（克）,"
    "空白质量（克）,集尘缸完好,空白试验合格,异物污染,分析编号"
)
#: 城关镇 (two sites), 米村镇 (one), 牛店镇 (two).
SITES_ROWS = [
    "JC-100-01,城关镇降尘点1,410183100,hbj,城关镇政府楼顶,113.38,34.53,,,8.5,玻璃集尘缸 内径15cm",
    "JC-100-02,城关镇降尘点2,410183100,hbj,城关镇中心小学,113.39,34.54,,,9,玻璃集尘缸 内径15cm",
    "JC-101-01,米村镇降尘点1,410183101,hbj,米村镇政府楼顶,113.28,34.58,,,7,玻璃集尘缸 内径15cm",
    "JC-102-01,牛店镇降尘点1,410183102,hbj,牛店镇政府楼顶,113.25,34.46,,,6,玻璃集尘缸 内径15cm",
    "JC-102-02,牛店镇降尘点2,410183102,hbj,牛店镇卫生院,113.26,34.47,,,10,玻璃集尘缸 内径15cm",
]


def sample(
    site: str,
    area: str,
    mass: str,
    *,
    month: str = "2017-11",
    start: str = "2017-11-01",
    end: str = "2017-12-01",
    intact: str = "是",
    contamination: str = "无",
    key: str = "",
) -> str:
    key = key or f"{site}-{month.replace('-', '')}"
    return (
        f"{key},{site}样品,{area},hbj,,,,,,{site},{month},{start},{end},100,{mass},0,{intact},是,"
        f"{contamination},LAB-{key}"
    )


#: November 2017 over 100 cm² for 30 days (1 g → 100 t/km²): 米村镇 9.5; 城关镇 4.25 (its second
#: site's broken collector at 20 not counted); 牛店镇 (4.0 + 4.5) / 2 = 4.25. The townships'
#: mean is (9.5 + 4.25 + 4.25) / 3 = 6.
NOVEMBER = [
    sample("JC-100-01", "410183100", "0.0425"),
    sample("JC-100-02", "410183100", "0.2", intact="否"),
    sample("JC-101-01", "410183101", "0.095"),
    sample("JC-102-01", "410183102", "0.04"),
    sample("JC-102-02", "410183102", "0.045", contamination="昆虫、树叶等异物已剔除"),
]


def csv(header: str, rows: list[str]) -> bytes:
    return "\n".join([header, *rows]).encode("utf-8")


def _sites(sessions: sessionmaker[Session], plan: Plan, store: FileStore) -> None:
    import_file(sessions, plan, store, SITES, csv(SITE_HEADER, SITES_ROWS))


def test_the_kinds_are_registered(plan: Plan) -> None:
    assert kind_of("dust_fall_site") is SITES and kind_of("dust_fall_sample") is SAMPLES
    # the demo loads the sites before the samples that name them
    assert SITES.order < SAMPLES.order
    target = next(t for t, _, _ in plan.targets() if t.key == "dust_fall")
    assert (target.comparator, target.value) == ("<", 9)


def test_import_computes_the_dust_fall_and_the_verdict_and_reimport_changes_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _sites(sessions, plan, store)
    first = import_file(sessions, plan, store, SAMPLES, csv(SAMPLE_HEADER, NOVEMBER))
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    again = import_file(sessions, plan, store, SAMPLES, csv(SAMPLE_HEADER, NOVEMBER))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    with transaction(sessions) as session:
        found = {s.key: s for s in session.scalars(select(DustFallSample))}
        micun = found["JC-101-01-201711"]
        assert (micun.exposure_days, micun.dust_fall, micun.qc_valid) == (30, 9.5, True)
        broken = found["JC-100-02-201711"]
        assert (broken.dust_fall, broken.qc_valid) == (20.0, False)
        assert "集尘缸破损" in broken.qc_remark
        assert found["JC-102-02-201711"].qc_valid is True  # insects picked out: still valid


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _sites(sessions, plan, store)
    bad = [
        sample("JC-101-01", "410183101", "0.095"),  # good
        sample("JC-999-01", "410183101", "0.05"),  # no such site
        sample("JC-102-01", "410183101", "0.05"),  # the site lies in 牛店镇
        sample("JC-102-02", "410183102", "0.05", key="YP-1"),  # not the site's and month's key
        sample("JC-100-01", "410183100", "0.05", end="2017-10-20"),  # ends before it starts
        sample("JC-100-02", "410183100", "0.05", month="2017-13"),  # no such month
        # the exposure is November's, not October's
        sample("JC-100-02", "410183100", "0.05", month="2017-10", start="2017-11-01"),
    ]
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, SAMPLES, csv(SAMPLE_HEADER, bad))
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5, 6, 7, 8]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(DustFallSample)) == 0


def test_a_site_is_commissioned_only_once_its_placement_is_checked_with_a_photo(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _sites(sessions, plan, store)
    site = entry_id(sessions, SITES, "JC-100-01")
    with pytest.raises(Conflict):
        step(sessions, CHENGGUAN, SITES, site, "commission")
    with pytest.raises(Invalid):  # a pass of the placement needs its photo
        check(sessions, store, CHENGGUAN, SITES, site, {"placement": "pass"}, photo=False)
    check(sessions, store, CHENGGUAN, SITES, site, {"placement": "fail"}, photo=False)
    with pytest.raises(Conflict):
        step(sessions, CHENGGUAN, SITES, site, "commission")
    check(sessions, store, CHENGGUAN, SITES, site, {"placement": "pass"})
    assert step(sessions, CHENGGUAN, SITES, site, "commission").state == "operating"
    with pytest.raises(NotAllowed):
        step(sessions, CHENGGUAN, SITES, site, "retire", note="搬迁")  # the office retires
    # 米村镇 may not file a site, nor a sample, in 城关镇
    with pytest.raises(Rejected):
        import_file(sessions, plan, store, SITES, csv(SITE_HEADER, SITES_ROWS[:1]), who=MICUN)
    with pytest.raises(Rejected):
        import_file(sessions, plan, store, SAMPLES, csv(SAMPLE_HEADER, NOVEMBER[:1]), who=MICUN)


def test_a_sample_failing_qc_cannot_be_accepted_and_invalidating_one_removes_it(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _sites(sessions, plan, store)
    import_file(sessions, plan, store, SAMPLES, csv(SAMPLE_HEADER, NOVEMBER))
    broken = entry_id(sessions, SAMPLES, "JC-100-02-201711")
    with pytest.raises(Conflict):
        step(sessions, OFFICE, SAMPLES, broken, "accept")
    with pytest.raises(Invalid):
        step(sessions, OFFICE, SAMPLES, broken, "invalidate")  # says why
    assert step(sessions, OFFICE, SAMPLES, broken, "invalidate", note="缸破").state == (
        "invalidated"
    )
    good = entry_id(sessions, SAMPLES, "JC-102-01-201711")
    assert step(sessions, OFFICE, SAMPLES, good, "accept").state == "accepted"
    with transaction(sessions) as session:
        before = township_dust_fall(session, date(2017, 11, 1))
    assert before["410183102"] == 4.25
    # the laboratory rejects an accepted sample: 牛店镇 stands on its other site
    step(sessions, OFFICE, SAMPLES, good, "invalidate", note="称量记录有误")
    with transaction(sessions) as session:
        assert township_dust_fall(session, date(2017, 11, 15))["410183102"] == 4.5


def test_a_township_at_9_5_is_flagged_while_the_city_average_is_6(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    _sites(sessions, plan, store)
    import_file(sessions, plan, store, SAMPLES, csv(SAMPLE_HEADER, NOVEMBER))
    with transaction(sessions) as session:
        values = township_dust_fall(session, date(2017, 11, 1))
    assert values == {"410183100": 4.25, "410183101": 9.5, "410183102": 4.25}
    assert sum(v for v in values.values() if v is not None) / len(values) == 6.0
    # October: sites but no sample — no value, shown as such, never filled in
    with transaction(sessions) as session:
        assert set(township_dust_fall(session, date(2017, 10, 1)).values()) == {None}
    # November is not over on 10-10: nothing is judged yet
    evaluate(sessions, 1, plan=plan)
    assert cases(sessions, "dust_fall_sample.township_over") == []
    frozen.moment = datetime(2017, 12, 5, 2, 0, tzinfo=UTC)
    evaluate(sessions, 3, plan=plan)
    opened = cases(sessions, "dust_fall_sample.township_over")
    assert len(opened) == 1
    case = opened[0]
    assert case.area_code == "410183101" and case.unit_code is None
    assert "米村镇" in case.title and "9.5" in case.title
    assert case.occurrences == 1  # however often evaluated
    with transaction(sessions) as session:
        details = session.scalars(
            select(CaseOccurrence.details).where(CaseOccurrence.case_id == case.id)
        ).all()
    assert [d["accountability"] for d in details if d] == [True]
    # the plan target: the worst township, not the average; every township a detail row
    value = indicator(sessions, "dust_fall")
    assert value.value == 9.5 and value.records == 4
    assert dict(value.detail) == {
        "2017-11 城关镇": 4.25,
        "2017-11 米村镇": 9.5,
        "2017-11 牛店镇": 4.25,
    }
    with transaction(sessions) as session:
        campaign.load_plan(session, plan)
        context = campaign.require_plan(session)
        progress = {
            p.target.key: p for p in campaign.target_progress(session, context, date(2017, 12, 5))
        }
    dust = progress["dust_fall"]
    assert dust.rollup.actual == 9.5 and dust.rollup.met is False
    # the township assessment's dust-fall component reads the same values, worst scored 0
    with transaction(sessions) as session:
        context = campaign.require_plan(session)
        ranked = assessment.compute_assessment(session, context, date(2017, 11, 1))
    rows = {row.area_code: row for row in ranked.rows}
    assert rows["410183101"].values["dust_fall"] == 9.5
    assert rows["410183101"].scores["dust_fall"] == 0
    assert rows["410183100"].scores["dust_fall"] == 100


def _signed_in(app: FastAPI, username: str, password: str) -> TestClient:
    client = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]*)"', client.get("/login").text)
    assert token
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


def test_the_monthly_report_page_workbook_and_command(
    db_engine: Engine,
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    tmp_path: Path,
    lantian: Callable[..., Result],
) -> None:
    password = "降尘-2017-blue-sky"
    moment = clock.FrozenClock(datetime(2017, 12, 5, 2, 0, tzinfo=UTC))
    with clock.use(moment, process_wide=True):
        _sites(sessions, plan, store)
        import_file(sessions, plan, store, SAMPLES, csv(SAMPLE_HEADER, NOVEMBER))
        with transaction(sessions) as session:
            add_user(session, username="micun", role="township", scope="410183101",
                     password=password, actor="test")  # fmt: skip
            add_user(session, username="office", role="campaign_office", password=password,
                     actor="test")  # fmt: skip
        app = create_app(Settings(data_dir=tmp_path / "site"), db_engine)
        client = _signed_in(app, "micun", password)
        page = client.get("/sources/dust_fall_sample/report")  # last month by default
        assert page.status_code == 200
        text = page.text
        assert 'value="2017-11"' in text
        met = dict(re.findall(r'<tr data-area="(\d+)" data-met="(\w+)"', text))
        assert met == {"410183100": "yes", "410183101": "no", "410183102": "yes"}
        assert re.search(r'id="city-mean">6.0<', text)
        listed = re.findall(r'<tr data-site="([^"]+)"', text)
        assert listed == ["JC-100-01", "JC-100-02", "JC-101-01", "JC-102-01", "JC-102-02"]
        assert "集尘缸破损或渗漏，不计入" in text
        october = client.get("/sources/dust_fall_sample/report?month=2017-10").text
        assert october.count('data-met="none"') == 3 and "本月无样品" in october
        assert client.get("/sources/dust_fall_sample/report?month=2017-13").status_code == 422
        exported = client.get("/sources/dust_fall_sample/report.xlsx?month=2017-11")
        assert exported.status_code == 200
        sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
        cells = [row for row in sheet.iter_rows(values_only=True)]
        assert cells[0][0] == "新密市降尘监测月报（2017年11月）"
        sites = {row[2]: row for row in cells if row[2] and str(row[2]).startswith("JC-")}
        assert sites["JC-101-01"][13] == 9.5 and sites["JC-101-01"][9] == 30
        assert "不计入" in sites["JC-100-02"][14]
        summary = {row[2]: row for row in cells if row[2] in ("410183100", "410183101")}
        assert summary["410183101"][5:7] == (9.5, "超标")
        assert summary["410183100"][3:7] == (1, 1, 4.25, "达标")
        # the register's lists link the report
        assert (
            'href="/sources/dust_fall_sample/report"' in client.get("/sources/dust_fall_site").text
        )
        # the office's tile: last month's townships above the limit, each judged on its own
        office = _signed_in(app, "office", password).get("/office").text
        tile = re.search(r'id="dust-fall-month".*?</div>\s*</div>', office, re.S)
        assert tile and ">1<" in tile.group(0).replace(" ", "") and "米村镇 9.5" in tile.group(0)
        out = tmp_path / "report.xlsx"
        done = lantian("dustfall", "report", "--month", "2017-11", "--xlsx", str(out))
        assert done.exit_code == 0, done.output
        assert "米村镇" in done.output and "超标" in done.output
        assert load_workbook(out).worksheets[0]["A1"].value == cells[0][0]
