"""The duties pages (issue 18): a township submits an item with its file, the office reviews it
and sees the table by duty and state; the file goes only to who may read it; the tile counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine

from lantian.auth.service import add_user
from lantian.campaign.demo import load_sample_progress
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.tabular import workbook_bytes
from lantian.web.app import create_app
from tests.web.test_campaign_pages import PASSWORD, sign_in, token

#: A real (empty) workbook: an attachment named .xlsx must be one.
ATTACHMENT = workbook_bytes(Workbook())

pytestmark = pytest.mark.db

ACCOUNTS = {
    "office": ("campaign_office", None),
    "micun": ("township", "410183101"),  # 米村镇
    "niudian": ("township", "410183102"),  # 牛店镇
}


def rows(page: str, table: str) -> list[str]:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"<[^>]+>", " ", row) for row in body.split("<tr")[2:]]


def test_submit_review_and_download(db_engine: Engine, tmp_path: Path) -> None:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        for name, (role, scope) in ACCOUNTS.items():
            add_user(session, username=name, role=role, scope=scope, password=PASSWORD, actor="t")
    load_sample_progress(sessions, DEFAULT_PLAN_DIR, tmp_path)
    app = create_app(Settings(data_dir=tmp_path), db_engine)

    def signed_in(name: str) -> TestClient:
        client = TestClient(app)
        sign_in(client, name)
        return client

    client = signed_in("micun")
    page = client.get("/campaign/duties", params={"as_of": "2017-10-20"})
    assert page.status_code == 200
    mine = rows(page.text, "my-duties")
    # The sample work plan the office returned comes first, with its reason.
    assert "专项工作方案" in mine[0] and "缺少任务分工" in mine[0]
    assert any("高架源清单" in row and "逾期" in row for row in mine)
    posted = client.post(
        "/campaign/duties/submit",
        data={"csrf": token(page.text), "reporter": "area:410183101",
              "item": "elevated_sources_list@2017-10-18", "text": "辖区无高架源"},
        files={"attachment": ("高架源清单.xlsx", ATTACHMENT, "application/octet-stream")},
        follow_redirects=False,
    )  # fmt: skip
    assert posted.status_code == 303, posted.text
    # Another township's item is not this account's to submit.
    refused = client.post(
        "/campaign/duties/submit",
        data={"csrf": token(page.text), "reporter": "area:410183102",
              "item": "elevated_sources_list@2017-10-18", "text": "冒报"},
        follow_redirects=False,
    )  # fmt: skip
    assert refused.status_code == 403

    client = signed_in("office")
    page = client.get("/campaign/duties", params={"as_of": "2017-10-20"})
    table = rows(page.text, "duty-table")
    (stacks,) = [row for row in table if "高架源清单" in row]
    # 18 areas and 13 units leading a task owe it; by 10-20 two wait for review (城关镇's sample
    # and 米村镇's, just now), the other 29 are overdue; the stacks register is linked beside it.
    assert "2017-10-18 31 29 2 高架源（排气筒）台账" in " ".join(stacks.split())
    waiting = rows(page.text, "duty-review")
    (micun,) = [row for row in waiting if "米村镇" in row]
    assert "辖区无高架源" in micun and "高架源清单.xlsx" in micun
    item_id = int(
        re.findall(r"/campaign/duties/(\d+)/file", page.text.split('id="duty-review"')[1])[-1]
    )
    assert client.get(f"/campaign/duties/{item_id}/file").content == ATTACHMENT
    reviewed = client.post(
        f"/campaign/duties/{item_id}/review",
        data={"csrf": token(page.text), "decision": "accept"},
        follow_redirects=False,
    )
    assert reviewed.status_code == 303
    overdue = rows(client.get("/campaign/escalations", params={"as_of": "2017-10-20"}).text,
                   "duties-overdue")  # fmt: skip
    assert any("牛店镇" in row for row in overdue)

    # Floor targets say so on the targets page: the sample villages all clear 80 %.
    targets = client.get("/campaign/targets", params={"as_of": "2018-01-10"}).text
    floor = targets.split('data-floor="village_conversion_rate"', 1)[1].split("</span>", 1)[0]
    assert "底线指标" in floor and "份中 0 份未达标" in floor
    assert signed_in("niudian").get(f"/campaign/duties/{item_id}/file").status_code == 403
    client = signed_in("micun")
    accepted = rows(
        client.get("/campaign/duties", params={"as_of": "2017-10-20"}).text, "my-duties"
    )
    assert any("高架源清单" in row and "已通过" in row for row in accepted)
