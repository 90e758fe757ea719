"""Enforcement actions on the pages, on both backends (safeguard 三): a rule's case offers
"登记执法处罚", whose form comes filled in from the case; the action saved links back to the case
and is listed on it; the public disclosure list (page and API, no login) refuses it until it is
decided and disclosed and shows it afterwards; the monthly statistics page and its Excel file."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from lantian import clock
from lantian.sources.kinds.enforcement_actions import EnforcementAction
from lantian.supervision.models import InspectionCase

from .test_source_pages import Site, csv_of, firm

pytestmark = pytest.mark.db
NEW = "/sources/enforcement_action/new"


@pytest.fixture
def site(db_engine: Engine, tmp_path: Path) -> Iterator[Site]:
    """The site on 2017-10-12 09:00 in Xinmi (the entry's 9-30 deadline has passed)."""
    with clock.use(clock.FrozenClock(datetime(2017, 10, 12, 1, 0, tzinfo=UTC))):
        yield Site(db_engine, tmp_path)


def form_values(page: str) -> dict[str, str]:
    """The values a form shows: inputs' values and selects' selected options."""
    values = {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input name="([^"]+)" type="[^"]+"[^>]*value="([^"]*)"', page
        )
    }
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        values[name] = chosen.group(1) if chosen else ""
    return values


def test_an_action_recorded_from_a_case_reaches_the_public_list_once_disclosed(
    site: Site,
) -> None:
    # An entry overdue since 2017-09-30: the register's rule opens a case for it.
    assert site.upload("office", csv_of([firm(1)])).status_code == 303
    with site.sessions() as session:
        case = session.scalar(
            select(InspectionCase).where(InspectionCase.dedup_key.like("rule|%SLW-T-0001"))
        )
        assert case is not None
        case_id = case.id

    case_page = site.get("office", f"/cases/{case_id}").text
    link = re.search(r'<a href="([^"]+)" id="record-enforcement">', case_page)
    assert link, "the case page offers to record an enforcement action"
    assert "登记执法处罚" in case_page
    url = html.unescape(link.group(1))
    assert url.startswith(NEW + "?")
    # A leader reads the case but does not record actions: no link.
    site_leader = site.get("leader", f"/cases/{case_id}").text
    assert 'id="record-enforcement"' not in site_leader

    shown = form_values(site.client("office")[0].get(url).text)
    assert shown["case_number"] == str(case_id)
    assert shown["subject_key"] == "SLW-T-0001"
    assert shown["name"] == "测试工厂0001"
    assert shown["area_code"] == "410183100"
    assert shown["unit_code"] == "hbj"
    assert shown["filed_on"] == "2017-10-12"

    filled = {k: v for k, v in shown.items() if v}
    answer = site.post(
        "office",
        NEW,
        {
            **filled,
            "key": "XMHF-2017-0101",
            "document_number": "新环罚决字〔2017〕101号",
            "legal_basis": "《中华人民共和国大气污染防治法》第九十九条",
            "action_type": "fine",
            "fine_amount": "80000",
        },
    )
    assert answer.status_code == 303, answer.text
    action_page = answer.headers["location"]
    page = site.get("office", action_page).text
    assert f'href="/cases/{case_id}"' in page  # the action's page links back to its case
    assert "XMHF-2017-0101" in site.get("office", f"/cases/{case_id}").text
    assert "XMHF-2017-0101" in site.get("office", "/sources/enforcement_action").text

    anonymous = TestClient(site.app)
    assert "/public/penalties" in anonymous.get("/").text
    assert "新环罚决字〔2017〕101号" not in anonymous.get("/public/penalties").text
    assert anonymous.get("/api/v1/public/penalties").json() == []

    with site.sessions() as session:
        record = session.scalar(
            select(EnforcementAction).where(EnforcementAction.key == "XMHF-2017-0101")
        )
        assert record is not None
        values = {
            name: "" if value is None else str(value)
            for name in (
                "key",
                "name",
                "area_code",
                "unit_code",
                "document_number",
                "subject_kind",
                "subject_key",
                "legal_basis",
                "action_type",
                "fine_amount",
                "filed_on",
                "case_number",
            )
            if (value := getattr(record, name)) is not None
        }
    edit = f"{action_page}/edit"
    # Disclosure before the decision is refused with its reason.
    refused = site.post(
        "office",
        edit,
        {
            **values,
            "decided_on": "2017-10-12",
            "disclosed_on": "2017-10-12",
            "public_summary": "逾期未整治，罚款八万元",
        },
    )
    assert refused.status_code == 422
    assert "已作出且未撤销" in html.unescape(refused.text)
    assert site.post("office", edit, {**values, "decided_on": "2017-10-12"}).status_code == 303
    assert site.post("office", f"{action_page}/steps", {"event": "decide"}).status_code == 303
    assert anonymous.get("/api/v1/public/penalties").json() == []  # decided, not disclosed
    disclosed = {
        **values,
        "decided_on": "2017-10-12",
        "disclosed_on": "2017-10-12",
        "public_summary": "逾期未整治，罚款八万元",
    }
    assert site.post("office", edit, disclosed).status_code == 303

    public = anonymous.get("/public/penalties").text
    assert "新环罚决字〔2017〕101号" in public and "测试工厂0001" in public
    assert "SLW-T-0001" not in public  # the subject's register key is not the public's
    (listed,) = anonymous.get("/api/v1/public/penalties").json()
    assert listed["decision_number"] == "新环罚决字〔2017〕101号"
    assert (listed["action_type"], listed["amount"]) == ("fine", 80000.0)
    assert listed["decided_on"] == "2017-10-12" and listed["disclosed_on"] == "2017-10-12"

    statistics = site.get("office", "/sources/enforcement_action/statistics", month="2017-10")
    assert statistics.status_code == 200
    total = re.search(r'<tr class="total" data-code="total">(.*?)</tr>', statistics.text, re.S)
    assert total and "80,000.00" in total.group(1)
    # The township of another area counts none of it.
    micun = site.get("micun", "/sources/enforcement_action/statistics", month="2017-10").text
    assert "80,000.00" not in micun
    assert (
        site.get("office", "/sources/enforcement_action/statistics", month="2017-13").status_code
        == 422
    )
    office = site.get("office", "/office").text
    tile = re.search(r'id="penalties-month".*?</div>\s*</div>', office, re.S)
    assert tile and ">1<" in tile.group(0).replace(" ", "") and "80,000" in tile.group(0)
    xlsx = site.get("office", "/sources/enforcement_action/statistics.xlsx", month="2017-10")
    sheet = load_workbook(BytesIO(xlsx.content))["按乡镇 by township"]
    assert [sheet.cell(3, 2).value, sheet.cell(3, 3).value] == ["410183100", 1]
