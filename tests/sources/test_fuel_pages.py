"""The fuel registers on the platform's pages: a station's page lists its samples, and the
targets read the monthly sampling share per month (the lowest month's share, every month a row)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.auth.service import add_user
from lantian.campaign.service import load_plan
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.files import FileStore
from lantian.plan import default_plan
from lantian.web.app import create_app

from .helpers import entry_id
from .test_fuel import SAMPLES, STATIONS, _many_stations, _sampled

pytestmark = pytest.mark.db
PASSWORD = "correct horse battery staple"


def test_the_station_page_and_the_targets_show_the_samples(
    db_engine: Engine, tmp_path: Path
) -> None:
    sessions = session_factory(db_engine)
    plan = default_plan()
    store = FileStore(tmp_path / "files")
    with transaction(sessions) as session:
        add_user(session, username="office", role="campaign_office", scope=None,
                 password=PASSWORD, actor="test")  # fmt: skip
        load_plan(session, plan)
    _many_stations(sessions, plan, store)
    # every month of the campaign sampled well but December: 3, 2, 0, 4, 5, 6 of 10 stations
    days = {"2017-10-09": 3, "2017-11-09": 2, "2018-01-09": 4, "2018-02-09": 5, "2018-03-09": 6}
    _sampled(
        sessions,
        plan,
        store,
        [(f"JYZ-100-{n:03d}", day) for day, count in days.items() for n in range(1, count + 1)],
    )
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    login = client.get("/login").text
    csrf = login.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"username": "office", "password": PASSWORD, "csrf": csrf,
                                "next": "/office"})  # fmt: skip
    station = entry_id(sessions, STATIONS, "JYZ-100-001")
    page = client.get(f"/sources/fuel_station/{station}")
    assert page.status_code == 200
    sample = entry_id(sessions, SAMPLES, "YP-A001")
    assert "油品和车用尿素抽检" in page.text and f"/sources/fuel_sample/{sample}" in page.text
    targets = client.get("/api/v1/campaign/targets", params={"limit": 100}).json()["items"]
    share = next(t for t in targets if t["key"] == "fuel_sampling_ratio")
    # December's 0 % stands, whatever the months after it show (the campaign is long over)
    assert share["actual"] == 0.0 and share["met"] is False, share
    assert share["reports"] == 20  # the samples counted
    # the targets page shows each month behind the figure
    page_text = client.get("/campaign/targets").text
    behind = page_text.split("逐月判定", 1)[1].split("</details>", 1)[0]
    months = re.findall(r"<tr><td>(\d{4}-\d{2})</td>", behind)
    assert months == ["2017-10", "2017-11", "2017-12", "2018-01", "2018-02", "2018-03"]
