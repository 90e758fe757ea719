"""`/api/v1/cases`: token or session, scoped lists, the timeline, the one error shape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.auth.permissions import Principal
from lantian.auth.service import add_user, create_token
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.supervision import service
from lantian.supervision.service import CaseDraft
from lantian.web.app import create_app

T0 = datetime(2017, 11, 20, 1, 0, tzinfo=UTC)


def test_cases_api(db_engine: Engine, tmp_path: Path) -> None:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        add_user(session, username="micun", role="township", scope="410183101",
                 password="米村镇-督查-2017x", actor="test")  # fmt: skip
        _, micun_token = create_token(session, "micun", "test", actor="test")
        add_user(session, username="ld", role="leader", password="米村镇-督查-2017x", actor="t")
        _, leader_token = create_token(session, "ld", "test", actor="test")
        inspector = Principal("duchazu", "inspector")
        for area in ("410183100", "410183101", "410183101"):
            case = service.record_case(
                session, inspector, CaseDraft(source="patrol", title=f"{area} 道路扬尘",
                                              area_code=area), T0,
            )  # fmt: skip
        service.take_step(session, Principal("o", "campaign_office"), case.id, "forward", T0,
                          unit_code="jyj")  # fmt: skip
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    assert client.get("/api/v1/cases").status_code == 401
    bad = client.get("/api/v1/cases", headers={"Authorization": "Bearer lt_x_y"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_token"
    leader = {"Authorization": f"Bearer {leader_token}"}
    page = client.get("/api/v1/cases?limit=2", headers=leader).json()
    assert (page["total"], len(page["items"]), page["next_offset"]) == (3, 2, 2)
    township = {"Authorization": f"Bearer {micun_token}"}
    own = client.get("/api/v1/cases", headers=township).json()
    assert own["total"] == 2 and {c["area_code"] for c in own["items"]} == {"410183101"}
    detail = client.get(f"/api/v1/cases/{case.id}", headers=township).json()
    assert [e["event"] for e in detail["timeline"]] == ["created", "forward"]
    assert detail["unit_code"] == "jyj" and detail["state"] == "forwarded"
    assert client.get("/api/v1/cases/1", headers=township).status_code == 404  # 城关镇's case
    forwarded = client.get("/api/v1/cases?state=forwarded", headers=leader).json()
    assert [c["id"] for c in forwarded["items"]] == [case.id]
    unknown = client.get("/api/v1/cases?state=pending", headers=leader)
    assert unknown.status_code == 422 and "unknown state" in unknown.json()["error"]["message"]
