"""Reduction-list pages: by level with shortfalls, one plan per factory, import, export, scope."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.emissions import service
from lantian.emissions.models import Enterprise, ReductionList
from lantian.emissions.sample import load_sample_inventory
from lantian.emissions.service import MeasureInput
from lantian.emissions.targets import Pollutant, load_targets
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.web.app import create_app

PLAN = DEFAULT_PLAN_DIR
PASSWORD = "灰霾退散-2017-blue"
AREAS = ("410183100", "410183101")


@pytest.fixture
def app_and_list(db_engine: Engine, tmp_path: Path):
    sessions = session_factory(db_engine)
    targets = load_targets(PLAN)
    with transaction(sessions) as session:
        add_user(session, username="office", role="campaign_office", password=PASSWORD, actor="t")
        add_user(
            session,
            username="town",
            role="township",
            scope=AREAS[0],
            password=PASSWORD,
            actor="t",
        )
        load_sample_inventory(session, count=30, seed=4, area_codes=AREAS)
        listed, _ = service.optimise_inventory(session, "office", targets, 2016)
        assert listed is not None
        # A second list with one measure only: it falls short everywhere.
        first = session.scalars(select(Enterprise).order_by(Enterprise.id)).first()
        daily = service.enterprise_daily(first)
        short = service.create_list(
            session,
            "office",
            name="不足清单",
            plan="xinmi-2017-2018",
            inventory_year=2016,
            method="manual",
            levels=targets.levels,
            measures=[MeasureInput(first.credit_code, "red", "stop", "", 1.0, daily)],
        )
        ids = (listed.id, short.id)
    app = create_app(Settings(data_dir=tmp_path), db_engine)
    return app, sessions, ids


def signed_in(app, username: str) -> TestClient:
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert token
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_list_by_level_with_shortfalls(app_and_list) -> None:
    app, _, (good, short) = app_and_list
    assert TestClient(app).get("/emissions", follow_redirects=False).status_code == 303
    client = signed_in(app, "office")
    overview = client.get("/emissions")
    assert overview.status_code == 200 and "不足清单" in overview.text
    page = client.get(f"/emissions/lists/{good}?level=orange")
    assert page.status_code == 200 and 'id="all-met"' in page.text
    assert "橙色 orange" in page.text and 'id="measures"' in page.text
    bad = client.get(f"/emissions/lists/{short}")
    assert 'id="shortfalls"' in bad.text
    # Blue has no measure at all: PM and VOCs miss the whole 5 %.
    assert "蓝色 blue: 颗粒物 PM 减排比例 / reduction ratio 0.00% &lt; 5.00%" in bad.text
    assert client.get(f"/emissions/lists/{good}?level=purple").status_code == 404


def test_put_in_force_needs_csrf_and_the_right_role(app_and_list) -> None:
    app, sessions, (good, _) = app_and_list
    client = signed_in(app, "office")
    page = client.get(f"/emissions/lists/{good}").text
    refused = client.post(f"/emissions/lists/{good}/status", data={"status": "in_force"})
    assert refused.status_code == 403
    done = client.post(
        f"/emissions/lists/{good}/status",
        data={"status": "in_force", "csrf": csrf_of(page)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    linked = client.get("/emissions/in-force?level=orange", follow_redirects=False)
    assert linked.headers["location"] == f"/emissions/lists/{good}?level=orange"
    town = signed_in(app, "town")
    town_page = town.get(f"/emissions/lists/{good}?level=red").text
    denied = town.post(
        f"/emissions/lists/{good}/status",
        data={"status": "draft", "csrf": csrf_of(town_page)},
    )
    assert denied.status_code == 403
    # The township sees only its own area's enterprises.
    with sessions() as session:
        stored = service.get_list(session, good)
        outside = {m.enterprise.name for m in stored.measures if m.enterprise.area_code != AREAS[0]}
        inside = {
            m.enterprise.name
            for m in stored.measures
            if m.enterprise.area_code == AREAS[0] and m.level == "red"
        }
    assert outside and inside
    assert not any(name in town_page for name in outside)
    assert all(name in town_page for name in inside)


def test_export_enterprise_sheet_and_import(app_and_list) -> None:
    app, sessions, (good, _) = app_and_list
    client = signed_in(app, "office")
    exported = client.get(f"/emissions/lists/{good}/export.xlsx")
    assert exported.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(exported.content))
    code = book["应急减排项目清单"]["C4"].value
    sheet = client.get(f"/emissions/enterprises/{code}?list_id={good}")
    assert sheet.status_code == 200 and code in sheet.text and "示例数据" in sheet.text
    word = client.get(f"/emissions/enterprises/{code}/sheet.docx?list_id={good}")
    assert code in [
        c.text for t in Document(io.BytesIO(word.content)).tables for r in t.rows for c in r.cells
    ]

    page = client.get("/emissions").text
    imported = client.post(
        "/emissions/import",
        data={"year": "2016", "name": "网页导入", "csrf": csrf_of(page)},
        files={"file": ("list.xlsx", exported.content, "application/octet-stream")},
        follow_redirects=False,
    )
    assert imported.status_code == 303
    with sessions() as session:
        before = session.scalar(select(func.count(ReductionList.id)))
    book["应急减排项目清单"]["U4"] = -1
    broken = io.BytesIO()
    book.save(broken)
    refused = client.post(
        "/emissions/import",
        data={"year": "2016", "csrf": csrf_of(page)},
        files={"file": ("bad.xlsx", broken.getvalue(), "application/octet-stream")},
    )
    assert 'id="import-error"' in refused.text
    assert "第4行 row 4 列 column U (黄色预警（Ⅲ级） SO₂ 减排量 (t/d))" in refused.text
    with sessions() as session:
        assert session.scalar(select(func.count(ReductionList.id))) == before
        _, check = service.check_stored_list(session, before, load_targets(PLAN))
        _, original = service.check_stored_list(session, good, load_targets(PLAN))
    assert check.reductions["red"][Pollutant.PM] == pytest.approx(
        original.reductions["red"][Pollutant.PM]
    )


def test_api_check_names_each_shortfall(app_and_list) -> None:
    app, _, (good, short) = app_and_list
    assert TestClient(app).get("/api/v1/emissions/lists").status_code == 401
    client = signed_in(app, "office")
    page = client.get("/api/v1/emissions/lists?limit=1").json()
    assert page["total"] == 2 and page["next_offset"] == 1
    assert client.get(f"/api/v1/emissions/lists/{good}/check").json()["passes"] is True
    body = client.get(f"/api/v1/emissions/lists/{short}/check").json()
    blue = [s for s in body["shortfalls"] if s["level"] == "blue"]
    assert {tuple(s["pollutants"]) for s in blue} == {("pm",), ("vocs",)}
    assert all(s["missing_ratio"] == pytest.approx(0.05) for s in blue)
    missing = client.get("/api/v1/emissions/lists/999/check")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
