"""The office's data review in the browser: the QC queue, a person's decision, monthly sign-off —
through the same service functions as ``lantian review`` (on real CNEMC data)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring import review
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.models import MeasurementReview, StationMonthAudit
from lantian.web.app import create_app

DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"
PASSWORD = "数据审核-2019-review"

pytestmark = pytest.mark.db


@pytest.fixture
def app(db_engine: Engine, shared_dir: Path, tmp_path: Path) -> TestClient:
    sessions = session_factory(db_engine)
    stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
    import_cnemc_file(sessions, shared_dir / DAY_FILE, tmp_path, stations)
    with transaction(sessions) as session:
        review.run_automatic_qc(session, date(2019, 2, 20), date(2019, 2, 20))
        for name, role in (("office", "campaign_office"), ("leader", "leader")):
            add_user(session, username=name, role=role, password=PASSWORD, actor="test")
    return TestClient(create_app(Settings(data_dir=tmp_path), db_engine))


def signed_in(app: TestClient, username: str) -> TestClient:
    client = TestClient(app.app)
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert csrf
    answer = client.post("/login", data={"username": username, "password": PASSWORD,
                         "csrf": csrf.group(1), "next": "/office"}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    return client


def token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found
    return found.group(1)


def test_the_office_reviews_flagged_values_and_signs_off_a_month(
    app: TestClient, db_engine: Engine
) -> None:
    assert signed_in(app, "leader").get("/office/review?month=2019-02").status_code == 403
    office = signed_in(app, "office")
    page = office.get("/office/review", params={"month": "2019-02"})
    assert page.status_code == 200
    waiting = re.findall(r'<tr data-measurement="(\d+)"', page.text)
    total = int(re.search(r'id="queue-total">(\d+)<', page.text).group(1))  # type: ignore[union-attr]
    assert waiting and total >= len(waiting)
    first = int(waiting[0])
    url = f"/office/review/values/{first}"
    # No reason: refused beside the field, the choice and the value kept, nothing recorded.
    refused = office.post(url, data={"csrf": token(page.text), "valid": "0", "value": "12.5",
                          "reason": "", "month": "2019-02"})  # fmt: skip
    assert refused.status_code == 422
    row = refused.text.split(f'data-measurement="{first}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-error-for="reason"' in row and 'value="12.5"' in row
    assert 'value="0" checked' in row
    with session_factory(db_engine)() as session:
        versions = session.scalars(
            select(MeasurementReview).where(MeasurementReview.measurement_id == first)
        ).all()
    assert [v.reviewer for v in versions] == ["system:qc"]
    decided = office.post(url, data={"csrf": token(page.text), "valid": "0",
                          "reason": "仪器校准期间", "month": "2019-02"},
                          follow_redirects=False)  # fmt: skip
    assert decided.status_code == 303
    after = office.get(decided.headers["location"])
    assert "已审核数据" in after.text
    assert int(re.search(r'id="queue-total">(\d+)<', after.text).group(1)) == total - 1  # type: ignore[union-attr]
    with session_factory(db_engine)() as session:
        newest = session.scalars(
            select(MeasurementReview)
            .where(MeasurementReview.measurement_id == first)
            .order_by(MeasurementReview.version.desc())
        ).first()
    assert newest is not None and newest.reviewer == "office" and not newest.valid
    assert newest.reason == "仪器校准期间"
    # Monthly sign-off of a station; after it, its values no longer change.
    signed = office.post("/office/review/months", data={"csrf": token(page.text),
                         "station_code": "1316A", "month": "2019-02", "note": "已核"},
                         follow_redirects=False)  # fmt: skip
    assert signed.status_code == 303
    standing = office.get(signed.headers["location"]).text
    row = standing.split('data-station="1316A"', 1)[1].split("</tr>", 1)[0]
    assert "office" in row
    with session_factory(db_engine)() as session:
        assert session.scalars(select(StationMonthAudit.audited_by)).all() == ["office"]
    again = office.post("/office/review/months", data={"csrf": token(page.text),
                        "station_code": "1316A", "month": "2019-02"})  # fmt: skip
    assert again.status_code == 409
