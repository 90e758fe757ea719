"""The campaign pages: matrix filters, scope of unit and township accounts, the report form (CSRF),
review, target progress, escalations and the Excel export — over the demo's sample reports."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from lantian.auth.service import add_user
from lantian.campaign.demo import load_sample_progress
from lantian.config import Settings
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.web.app import create_app

PASSWORD = "灰霾退散-2017-blue"
PLAN = DEFAULT_PLAN_DIR
ACCOUNTS = {
    "office": ("campaign_office", None),
    "meitan": ("unit", "mtj"),  # 市煤炭局
    "micun": ("township", "410183101"),  # 米村镇
    "huanbao": ("unit", "hbj"),  # 市环保局: no part in task 8
}


#: The data folder each backend's prepared database was filled with (the sample's evidence file).
FILLED_DATA: dict[str, Path] = {}


@pytest.fixture
def db_engine(
    prepared_database: Callable[[str, Callable[[str, Path], None]], str],
    db_backend: str,
    tmp_path: Path,
) -> Iterator[Engine]:
    """The test's own copy of a database the accounts and the sample reports were loaded into
    once per backend (every test reads the same sample; loading it took a second per test and
    backend), and of the data folder they were loaded with (``tmp_path``: the evidence file)."""

    def fill(url: str, data_dir: Path) -> None:
        engine = create_db_engine(url)
        try:
            sessions = session_factory(engine)
            with transaction(sessions) as session:
                for name, (role, scope) in ACCOUNTS.items():
                    add_user(
                        session,
                        username=name,
                        role=role,
                        scope=scope,
                        password=PASSWORD,
                        actor="test",
                    )
            load_sample_progress(sessions, PLAN, data_dir)
        finally:
            engine.dispose()
        FILLED_DATA[db_backend] = data_dir

    engine = create_db_engine(prepared_database("campaign_pages_sample", fill))
    shutil.copytree(FILLED_DATA[db_backend], tmp_path, dirs_exist_ok=True)
    yield engine
    engine.dispose()


@pytest.fixture
def app_client(db_engine: Engine, tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path), db_engine))


def token(page: str, name: str = "csrf") -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, "the form carries no token"
    return found.group(1)


def sign_in(client: TestClient, username: str) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf": token(page.text),
            "next": "/office",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303


def refs(page: str, table: str = "task-matrix") -> list[str]:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-ref="([^"]+)"', body)


pytestmark = pytest.mark.db


def test_matrix_needs_an_account_and_filters(app_client: TestClient) -> None:
    anonymous = app_client.get("/campaign/tasks", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    sign_in(app_client, "office")
    assert len(refs(app_client.get("/campaign/tasks").text)) == 55
    assert refs(app_client.get("/campaign/tasks", params={"leader": "杨洋"}).text) == ["34"]
    assert refs(app_client.get("/campaign/tasks", params={"unit": "mtj"}).text) == ["8", "13"]
    # 配合单位 of 28 and 30 only: 市水务局.
    assert refs(app_client.get("/campaign/tasks", params={"unit": "swj2"}).text) == ["28", "30"]
    section = refs(app_client.get("/campaign/tasks", params={"section": "4"}).text)
    assert section == ["14", "15", "16", "17"]
    # Task 8 names 各乡镇政府、街道办事处: not the scenic area (尖山风景区, 410183401).
    scenic = refs(app_client.get("/campaign/tasks", params={"area": "410183401"}).text)
    assert "8" not in scenic and "9" not in scenic and "7" in scenic
    completed = refs(app_client.get("/campaign/tasks", params={"status": "completed"}).text)
    assert completed == ["4", "11"]  # the sample reports the office accepted as completed
    overdue = refs(
        app_client.get("/campaign/tasks", params={"status": "overdue", "as_of": "2018-01-10"}).text
    )
    assert "8" in overdue and "4" not in overdue and "15" in overdue


def test_unit_account_sees_only_its_tasks(app_client: TestClient) -> None:
    sign_in(app_client, "meitan")
    assert refs(app_client.get("/campaign/tasks").text) == ["8", "13"]
    assert app_client.get("/campaign/tasks/9").status_code == 403
    mine = app_client.get("/campaign/my", params={"as_of": "2018-01-10"})
    assert refs(mine.text, "my-tasks") == ["8", "13"]
    assert app_client.get("/campaign/escalations").status_code == 403
    assert app_client.get("/campaign/export.xlsx").status_code == 403


def test_task_page_shows_the_late_sample_report_and_history(app_client: TestClient) -> None:
    sign_in(app_client, "micun")
    page = app_client.get("/campaign/tasks/10").text
    assert "示例数据" in page
    assert "迟报 3 天" in page  # November's report came three days after 2017-12-04
    assert "约谈" in page  # the sample accountability record linked to task 10
    # The history names the action by its label, never by its code (issue 14).
    assert "月报 报送" in page and "progress.submit" not in page and "demo-sample" in page


def test_township_reports_through_the_form(app_client: TestClient) -> None:
    sign_in(app_client, "micun")
    form = app_client.get("/campaign/report", params={"task": "10"})
    assert form.status_code == 200 and "米村镇" in form.text
    data = {
        "task": "10",
        "reporter": "area:410183101",
        "month": "2018-01",
        "status": "in_progress",
        "text": "完成气代煤300户。",
        "value_households_converted": "300",
    }
    refused = app_client.post("/campaign/report", data={**data, "csrf": "forged"})
    assert refused.status_code == 403
    files = {"evidence": ("验收.txt", "签字验收单".encode(), "text/plain")}
    sent = app_client.post(
        "/campaign/report",
        data={**data, "csrf": token(form.text)},
        files=files,
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith("/campaign/tasks/10")
    page = app_client.get("/campaign/tasks/10").text
    assert "完成气代煤300户。" in page and "验收.txt" in page
    evidence_id = re.findall(r'href="/campaign/evidence/(\d+)"', page)[-1]
    download = app_client.get(f"/campaign/evidence/{evidence_id}")
    assert download.status_code == 200 and download.content == "签字验收单".encode()
    # Another township's name in the form is refused, whatever the page offered.
    other = app_client.post(
        "/campaign/report",
        data={**data, "reporter": "area:410183102", "csrf": token(form.text)},
    )
    assert other.status_code == 403
    bad = app_client.post(
        "/campaign/report",
        data={**data, "value_households_converted": "三百", "csrf": token(form.text)},
    )
    assert bad.status_code == 422 and "不是数字" in bad.text and 'id="report-form"' in bad.text
    targets = app_client.get("/campaign/targets").text
    row = targets.split('data-key="households_converted"', 1)[1].split("</tr>", 1)[0]
    # Sample: five towns × (45 % + 35 % + 10 %) of 9,400 households = 8,460, plus these 300.
    assert "8,760" in row or "8760" in row


def test_a_refused_report_keeps_what_was_typed(app_client: TestClient) -> None:
    """A bad number: 422, the problem beside its field, text, status, month and numbers kept."""
    sign_in(app_client, "micun")
    form = app_client.get("/campaign/report", params={"task": "10"})
    data = {"task": "10", "reporter": "area:410183101", "month": "2018-02",
            "status": "behind", "text": "入户排查中，已签约 120 户。",
            "value_households_converted": "一百二"}  # fmt: skip
    bad = app_client.post("/campaign/report", data={**data, "csrf": token(form.text)},
                          files={"evidence": ("合同.pdf", b"%PDF", "application/pdf")})  # fmt: skip
    assert bad.status_code == 422
    assert 'data-error-for="value_households_converted"' in bad.text
    assert "入户排查中，已签约 120 户。" in bad.text and 'value="一百二"' in bad.text
    assert '<option value="behind" selected>' in bad.text
    assert re.search(r'<option value="2018-02" selected>', bad.text)
    assert "data-files-dropped" in bad.text and "合同.pdf" in bad.text
    empty = app_client.post("/campaign/report",
                            data={**data, "text": " ", "value_households_converted": "120",
                                  "csrf": token(form.text)})  # fmt: skip
    assert empty.status_code == 422 and 'data-error-for="text"' in empty.text
    assert 'value="120"' in empty.text
    sent = app_client.post("/campaign/report", data={**data, "value_households_converted": "120",
                           "csrf": token(form.text)}, follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    assert "已报送" in app_client.get(sent.headers["location"]).text


def test_a_township_reports_the_month_on_one_page(
    app_client: TestClient, db_engine: Engine
) -> None:
    """本月报送: one row per task the township reports; a bad row refuses the whole post
    (nothing written), each bad row's problem beside it, every row kept as typed."""
    sign_in(app_client, "micun")
    page = app_client.get("/campaign/monthly", params={"month": "2018-02"})
    assert page.status_code == 200 and "米村镇" in page.text
    refs_shown = re.findall(r'<fieldset class="stack monthly-row" data-ref="([^"]+)"', page.text)
    assert len(refs_shown) >= 5 and "10" in refs_shown
    first, second, third = refs_shown[:3]
    data = {"csrf": token(page.text), "reporter": "area:410183101", "month": "2018-02",
            "task": refs_shown,
            f"status_{first}": "in_progress", f"text_{first}": "第一项进展",
            f"status_{second}": "completed", f"text_{second}": "  ",
            f"status_{third}": "no_such_status", f"text_{third}": "第三项进展"}  # fmt: skip

    def count() -> int:
        from sqlalchemy import func, select

        from lantian.campaign.models import ProgressReport

        with session_factory(db_engine)() as session:
            return int(session.scalar(select(func.count()).select_from(ProgressReport)) or 0)

    before = count()
    refused = app_client.post("/campaign/monthly", data=data,
                              files={f"evidence_{first}": ("照片.jpg", b"jpg", "image/jpeg")})  # fmt: skip
    assert refused.status_code == 422 and count() == before
    assert f'data-error-for="text_{second}"' in refused.text
    assert f'data-error-for="status_{third}"' in refused.text
    assert f'data-error-for="text_{first}"' not in refused.text
    assert "第一项进展" in refused.text and "第三项进展" in refused.text
    assert '<option value="completed" selected>' in refused.text
    assert "data-files-dropped" in refused.text
    data[f"text_{second}"] = "已完成"
    data[f"status_{third}"] = "behind"
    sent = app_client.post("/campaign/monthly", data=data, follow_redirects=False)
    assert sent.status_code == 303 and count() == before + 3
    after = app_client.get(sent.headers["location"]).text
    assert "已报送 3 项任务" in after and "第一项进展" not in after.split('id="monthly-tasks"')[1]
    # The office chooses the reporter.
    office = TestClient(app_client.app)
    sign_in(office, "office")
    chooser = office.get("/campaign/monthly")
    assert chooser.status_code == 200 and 'id="monthly-form"' not in chooser.text
    chosen = office.get("/campaign/monthly",
                            params={"reporter": "area:410183101", "month": "2018-02"})  # fmt: skip
    assert chosen.status_code == 200 and "待审核" in chosen.text


def test_office_reviews_escalates_and_exports(app_client: TestClient) -> None:
    sign_in(app_client, "office")
    page = app_client.get("/campaign/tasks/8").text
    # December's sample report is waiting for review; accept it.
    report_id = re.findall(r'action="/campaign/reports/(\d+)/review"', page)[-1]
    accepted = app_client.post(
        f"/campaign/reports/{report_id}/review",
        data={"csrf": token(page), "stage": "office", "decision": "accept", "comment": ""},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert "已完成" in app_client.get("/campaign/tasks/8").text.split('id="task-status"', 1)[1][:80]
    escalations = app_client.get("/campaign/escalations", params={"as_of": "2018-01-10"}).text
    assert "米村镇" in escalations.split('id="late"', 1)[1].split("</table>", 1)[0]
    missed = escalations.split('id="missed"', 1)[1].split("</table>", 1)[0]
    assert ">8<" not in missed and ">15<" in missed
    export = app_client.get(
        "/campaign/export.xlsx", params={"month": "2017-11", "as_of": "2018-01-10"}
    )
    assert export.status_code == 200
    book = load_workbook(BytesIO(export.content))
    assert book.sheetnames == ["任务矩阵", "2017年11月汇总"]
    matrix = book["任务矩阵"]
    assert [c.value for c in matrix[1]][:3] == ["序号", "章节", "任务"]
    assert matrix.max_row == 56  # header + 55 tasks and items
    summary = book["2017年11月汇总"]
    assert [c.value for c in summary[1]][:5] == [
        "类别",
        "重点工作",
        "主要任务",
        "完成时限",
        "工程措施",
    ]
    assert (
        summary.cell(2, 1).value == "产业结构调整"
        and summary.cell(2, 5).value == "关闭煤矿2家，淘汰产能30万吨。"
    )
    assert "A2:A3" in {str(r) for r in summary.merged_cells.ranges}  # 产业结构调整 spans two rows
    coal = summary.cell(2, 9).value
    assert "关闭煤矿：2（目标 ≥2 mines）达标" in coal


def test_office_records_accountability_on_a_task(app_client: TestClient) -> None:
    sign_in(app_client, "office")
    page = app_client.get("/campaign/tasks/8").text
    assert 'id="accountability-form"' in page
    sent = app_client.post(
        "/campaign/accountability",
        data={
            "csrf": token(page),
            "task": "8",
            "kind": "notice",
            "subject": "unit:mtj",
            "reason": "关闭煤矿验收滞后",
            "decided_on": "2018-01-12",
            "decided_by": "市攻坚办",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    listed = app_client.get("/campaign/tasks/8").text.split('id="accountability"', 1)[1]
    assert "2018-01-12 通报 — 市煤炭局：关闭煤矿验收滞后" in listed.split("</ul>", 1)[0]
    forged = app_client.post(
        "/campaign/accountability",
        data={
            "csrf": "x",
            "task": "8",
            "kind": "notice",
            "subject": "unit:mtj",
            "reason": "r",
            "decided_on": "2018-01-12",
            "decided_by": "y",
        },
    )
    assert forged.status_code == 403


def test_units_cannot_record_accountability(app_client: TestClient) -> None:
    sign_in(app_client, "meitan")
    page = app_client.get("/campaign/tasks/8").text
    assert 'id="accountability-form"' not in page
    refused = app_client.post(
        "/campaign/accountability",
        data={
            "csrf": token(page),
            "task": "8",
            "kind": "notice",
            "subject": "unit:mtj",
            "reason": "r",
            "decided_on": "2018-01-12",
            "decided_by": "y",
        },
    )
    assert refused.status_code == 403


def test_api_lists_tasks_and_targets_within_scope(app_client: TestClient) -> None:
    anonymous = app_client.get("/api/v1/campaign/tasks")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "http_401"
    sign_in(app_client, "meitan")
    page = app_client.get("/api/v1/campaign/tasks", params={"as_of": "2018-01-10"}).json()
    assert page["total"] == 2 and [t["ref"] for t in page["items"]] == ["8", "13"]
    task8 = page["items"][0]
    assert task8["lead_units"] == ["mtj"] and task8["leaders"] == ["张宏杰"]
    assert task8["missed_deadlines"] == ["2017-12-31"]  # December's report awaits the office
    targets = app_client.get("/api/v1/campaign/targets", params={"limit": 5, "offset": 0}).json()
    assert targets["total"] == 55 and targets["next_offset"] == 5
    everything = app_client.get("/api/v1/campaign/targets", params={"limit": 100}).json()["items"]
    coal = next(t for t in everything if t["key"] == "coal_capacity_eliminated")
    assert (coal["actual"], coal["met"], coal["value"]) == (300000.0, True, 300000.0)


def test_plan_page_shows_duties_inspection_groups_and_annex(app_client: TestClient) -> None:
    sign_in(app_client, "micun")
    page = app_client.get("/campaign/plan").text
    assert "新密政文〔2017〕183号" in page
    duties = page.split('id="duties"', 1)[1].split("</table>", 1)[0]
    assert "2017-10-18" in duties and "高架源清单" in duties
    groups = page.split('id="working-groups"', 1)[1].split("</table>", 1)[0]
    assert groups.count("<tr>") == 6  # header + five working groups
    assert "综合协调组" in groups and "朱建伟" in groups
    assert "17:00" in page
    annex = page.split('id="annex"', 1)[1].split("</table>", 1)[0]
    assert annex.count("<tr>") == 26 and "整治取缔“散乱污”企业572家。" in annex


def test_evidence_is_served_only_in_scope_and_unaltered(
    app_client: TestClient, db_engine: Engine, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from lantian.campaign.models import ProgressEvidence

    with session_factory(db_engine)() as session:
        evidence = session.scalars(select(ProgressEvidence)).one()  # the sample's, on task 8
        evidence_id, stored = evidence.id, tmp_path / evidence.stored_path
    sign_in(app_client, "micun")  # 米村镇 is among task 8's areas (各乡镇政府)
    assert app_client.get(f"/campaign/evidence/{evidence_id}").status_code == 200
    stored.write_bytes(b"altered")
    assert app_client.get(f"/campaign/evidence/{evidence_id}").status_code == 409
    app_client.cookies.clear()
    sign_in(app_client, "meitan")
    assert app_client.get(f"/campaign/evidence/{evidence_id}").status_code == 409  # in scope
    app_client.cookies.clear()
    sign_in(app_client, "huanbao")
    assert app_client.get(f"/campaign/evidence/{evidence_id}").status_code == 403
    assert app_client.get("/campaign/evidence/999").status_code == 404
