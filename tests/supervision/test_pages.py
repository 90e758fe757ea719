"""The supervision pages through the app: sign-in, CSRF on every form, scope on every case."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.supervision.models import CaseEvidence, InspectionCase
from lantian.timeutil import CHINA_TZ
from lantian.web.app import create_app

PASSWORD = "督查巡查-2017-xinmi"
ACCOUNTS = {
    "inspector": ("inspector", None),
    "office": ("campaign_office", None),
    "head": ("campaign_office", None),
    "chengguan": ("township", "410183100"),
    "micun": ("township", "410183101"),
}


@pytest.fixture
def signed_in(db_engine: Engine, tmp_path: Path) -> Callable[[str], TestClient]:
    with transaction(session_factory(db_engine)) as session:
        for name, (role, scope) in ACCOUNTS.items():
            add_user(session, username=name, role=role, scope=scope, password=PASSWORD,
                     actor="test")  # fmt: skip
    app = create_app(Settings(data_dir=tmp_path), db_engine)

    def client_for(username: str) -> TestClient:
        client = TestClient(app)
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf": token(page.text),
                  "next": "/cases"},
            follow_redirects=False,
        )  # fmt: skip
        assert response.status_code == 303, response.text
        return client

    return client_for


def token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found, "the page carries no form token"
    return found.group(1)


def test_a_case_through_the_pages(
    signed_in: Callable[[str], TestClient], db_engine: Engine, tmp_path: Path
) -> None:
    inspector = signed_in("inspector")
    form = inspector.get("/cases/new")
    assert form.status_code == 200
    fields = {"title": "石料厂料堆未覆盖", "source": "inspection_team", "area_code": "410183100",
              "site": "城关镇某石料厂", "severity": "serious", "deadline": "2030-01-10T18:00"}  # fmt: skip
    photo = {"evidence": ("现场.jpg", b"\xff\xd8photo", "image/jpeg")}
    refused = inspector.post("/cases/new", data={**fields, "csrf": "forged"}, files=photo)
    assert refused.status_code == 403
    created = inspector.post("/cases/new", data={**fields, "csrf": token(form.text)}, files=photo,
                             follow_redirects=False)  # fmt: skip
    assert created.status_code == 303
    case_url = created.headers["location"]
    case_id = int(case_url.rsplit("/", 1)[1])
    with session_factory(db_engine)() as session:
        case = session.get(InspectionCase, case_id)
        assert case is not None and case.deadline == datetime(2030, 1, 10, 18, tzinfo=CHINA_TZ)
        kept = session.scalars(select(CaseEvidence)).one()
        assert kept.stored_path == f"files/{kept.sha256[:2]}/{kept.sha256}"
        assert (tmp_path / kept.stored_path).is_file()

    office = signed_in("office")
    page = office.get(case_url)
    assert "石料厂料堆未覆盖" in page.text and "现场.jpg" in page.text
    assert office.get(f"/cases/{case_id}/evidence/{kept.id}").content == b"\xff\xd8photo"
    # A kept file changed on disk is refused, not served as the evidence.
    stored = tmp_path / kept.stored_path
    stored.write_bytes(b"retouched photo")
    assert office.get(f"/cases/{case_id}/evidence/{kept.id}").status_code == 409
    stored.write_bytes(b"\xff\xd8photo")
    forwarded = office.post(f"{case_url}/step", data={"csrf": token(page.text), "event": "forward",
                            "unit_code": "hbj"}, follow_redirects=False)  # fmt: skip
    assert forwarded.status_code == 303

    # The other township neither sees nor touches the case; its own township does both.
    micun = signed_in("micun")
    assert micun.get(case_url).status_code == 404
    assert "石料厂料堆未覆盖" not in micun.get("/cases").text
    own_page = micun.get("/cases")
    assert micun.post(f"{case_url}/step", data={"csrf": token(own_page.text), "event": "accept"}
                      ).status_code == 404  # fmt: skip
    chengguan = signed_in("chengguan")
    board = chengguan.get("/cases")
    assert "石料厂料堆未覆盖" in board.text and "本单位/本辖区案件" in board.text
    page = chengguan.get(case_url)
    assert 'value="accept"' in page.text and 'value="close"' not in page.text
    chengguan.post(f"{case_url}/step", data={"csrf": token(page.text), "event": "accept"})
    no_note = chengguan.post(f"{case_url}/step", data={"csrf": token(page.text), "event": "report"})
    assert "须填写说明" in no_note.text and "needs a note" not in no_note.text  # page's language
    chengguan.post(f"{case_url}/step", data={"csrf": token(page.text), "event": "report",
                   "note": "已覆盖"}, files={"evidence": ("覆盖后.jpg", b"\xff\xd8\xff after", "image/jpeg")})  # fmt: skip
    close_by_township = chengguan.post(f"{case_url}/step", data={"csrf": token(page.text),
                                       "event": "close"})  # fmt: skip
    assert close_by_township.status_code == 403

    page = office.get(case_url)
    office.post(f"{case_url}/step", data={"csrf": token(page.text), "event": "close"})
    page = office.get(case_url)
    assert re.search(r'id="case-state">办结', page.text)
    # Accountability: proposed by one officer, approved by another, decided.
    office.post(f"{case_url}/accountability", data={"csrf": token(page.text), "action": "propose",
                "text": "整改迟缓"})  # fmt: skip
    head = signed_in("head")
    page = head.get(case_url)
    head.post(f"{case_url}/accountability", data={"csrf": token(page.text), "action": "approve",
              "proposal_id": "1"})  # fmt: skip
    no_measure = head.post(f"{case_url}/accountability", data={"csrf": token(page.text),
                           "action": "decide", "proposal_id": "1", "text": "约谈"})  # fmt: skip
    assert (
        "须选择问责方式或不予问责" in no_measure.text and "choose a measure" not in no_measure.text
    )
    assert 'name="measure"' in head.get(case_url).text
    head.post(f"{case_url}/accountability", data={"csrf": token(page.text), "action": "decide",
              "proposal_id": "1", "text": "约谈", "measure": "talk"})  # fmt: skip
    page = head.get(case_url)
    assert "已作出决定" in page.text and "约谈" in page.text
    # The decision is one of the campaign's accountability records, linked to the case and listed
    # for the office and for the case's own township, not for another one nor for inspectors.
    records = page.text.split('id="accountability-records"', 1)[1].split("</ul>", 1)[0]
    assert "约谈" in records and "整改迟缓" in records and "责任追究组" in records
    listing = head.get("/campaign/accountability?link_kind=inspection_case")
    assert listing.status_code == 200
    table = listing.text.split('id="accountability-records"', 1)[1].split("</table>", 1)[0]
    assert f'href="/cases/{case_id}"' in table and "hbj" in table and table.count("<tr>") == 2
    assert f'href="/cases/{case_id}"' in chengguan.get("/campaign/accountability").text
    assert f'href="/cases/{case_id}"' not in micun.get("/campaign/accountability").text
    assert inspector.get("/campaign/accountability").status_code == 403
    assert head.get("/campaign/accountability?link_kind=x").status_code == 422
    notice = head.get(f"{case_url}/notice.docx")
    assert notice.headers["content-type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in Document(io.BytesIO(notice.content)).paragraphs)
    assert "督办单" in text and "问责决定（head）：约谈" in text


def test_duty_and_daily_report_pages(signed_in: Callable[[str], TestClient]) -> None:
    office = signed_in("office")
    today = datetime.now(UTC).astimezone(CHINA_TZ).date()
    page = office.get(f"/duty?day={today}")
    assert page.status_code == 200 and "空岗时段" in page.text
    start = datetime.combine(today, datetime.min.time())
    office.post("/duty/shifts", data={"csrf": token(page.text), "person": "李根灿",
                "starts_at": start.isoformat(timespec="minutes"),
                "ends_at": (start + timedelta(days=1)).isoformat(timespec="minutes")})  # fmt: skip
    page = office.get(f"/duty?day={today}")
    assert "李根灿" in page.text and "空岗时段" not in page.text
    shift_id = re.search(r"/duty/shifts/(\d+)/handover", page.text)
    assert shift_id is not None
    office.post(f"/duty/shifts/{shift_id.group(1)}/handover",
                data={"csrf": token(page.text), "note": "交办案件 2 件待转办", "day": str(today)})  # fmt: skip
    assert "交办案件 2 件待转办" in office.get(f"/duty?day={today}").text

    page = office.get(f"/daily-reports?day={today}")
    assert page.status_code == 200
    office.post("/daily-reports", data={"csrf": token(page.text), "report_date": str(today),
                "group_code": "logistics", "progress": "安排车辆 3 台", "tomorrow": "保障会议"})  # fmt: skip
    page = office.get(f"/daily-reports?day={today}")
    assert "安排车辆 3 台" in page.text
    summary = office.get(f"/daily-reports/summary.docx?day={today}")
    text = "\n".join(p.text for p in Document(io.BytesIO(summary.content)).paragraphs)
    assert "当日工作进展：安排车辆 3 台" in text
    assert signed_in("chengguan").get("/duty").status_code == 403
    assert (
        office.post("/daily-reports", data={"csrf": "x", "group_code": "logistics"}).status_code
        == 403
    )


def test_pages_need_an_account(signed_in: Callable[[str], TestClient]) -> None:
    anonymous = signed_in("office")
    anonymous.cookies.clear()
    response = anonymous.get("/cases", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/cases"


def test_a_refused_case_form_keeps_what_was_typed(signed_in: Callable[[str], TestClient]) -> None:
    """A bogus area and unit and a past deadline: 422, every problem beside its field, every
    value as typed, the chosen file named as to be chosen again; nothing recorded."""
    office = signed_in("office")
    form = office.get("/cases/new")
    assert 'list="area-choices"' in form.text and '<option value="410183100">' in form.text
    fields = {"title": "渣土车未密闭", "description": "夜间运输，车牌豫A12345",
              "source": "hotline", "area_code": "999999999", "unit_code": "nosuchunit",
              "severity": "major", "deadline": "2001-01-01T09:00", "site": "某工地"}  # fmt: skip
    refused = office.post("/cases/new", data={**fields, "csrf": token(form.text)},
                          files={"evidence": ("现场.jpg", b"\xff\xd8\xff photo", "image/jpeg")})  # fmt: skip
    assert refused.status_code == 422
    for name in ("area_code", "unit_code", "deadline"):
        assert f'data-error-for="{name}"' in refused.text, name
    for value in ("渣土车未密闭", "夜间运输，车牌豫A12345", "999999999", "nosuchunit",
                  "2001-01-01T09:00", "某工地"):  # fmt: skip
        assert value in refused.text, value
    assert re.search(r'<option value="hotline" selected>', refused.text)
    assert re.search(r'<option value="major" selected>', refused.text)
    assert "data-files-dropped" in refused.text and "现场.jpg" in refused.text
    assert "渣土车未密闭" not in office.get("/cases").text


def test_forwarding_without_a_unit_is_refused_beside_the_field(
    signed_in: Callable[[str], TestClient],
) -> None:
    office = signed_in("office")
    form = office.get("/cases/new")
    created = office.post("/cases/new", data={"csrf": token(form.text), "title": "道路扬尘",
                          "area_code": "410183100", "source": "patrol"},
                          follow_redirects=False)  # fmt: skip
    case_url = created.headers["location"]
    page = office.get(case_url)
    assert "data-flash" in page.text  # the success, said once
    refused = office.post(f"{case_url}/step", data={"csrf": token(page.text), "event": "forward",
                          "note": "请尽快处理"})  # fmt: skip
    assert refused.status_code == 422
    assert 'data-error-for="unit_code"' in refused.text and "请尽快处理" in refused.text
    assert re.search(r'id="case-state">交办', refused.text)
    forwarded = office.post(f"{case_url}/step", data={"csrf": token(page.text),
                            "event": "forward", "unit_code": "hbj"},
                            follow_redirects=False)  # fmt: skip
    assert forwarded.status_code == 303
    assert "data-flash" in office.get(case_url).text
