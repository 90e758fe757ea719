"""Machine clients authenticate with API tokens (``Authorization: Bearer``)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.auth.service import add_user, create_token, revoke_token
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.web.app import create_app


def test_token_identifies_the_account_and_a_bad_one_is_refused(
    db_engine: Engine, tmp_path: Path
) -> None:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        add_user(
            session,
            username="jinshui",
            role="township",
            scope="410105",
            password="灰霾退散-2017-blue",
            actor="test",
        )
        row, token = create_token(session, "jinshui", "data pull", actor="test")
        prefix = row.prefix
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    assert client.get("/api/v1/me").json() == {"username": None, "role": "public", "scope": None}
    mine = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200
    assert mine.json() == {"username": "jinshui", "role": "township", "scope": "410105"}
    # A token's scope holds on pages too: its own area, not another's.
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/office/areas/410103", headers=bearer).status_code == 403
    forged = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token[:-2]}xx"})
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "invalid_token"
    assert forged.headers["www-authenticate"].startswith("Bearer")
    with transaction(sessions) as session:
        revoke_token(session, prefix, actor="test")
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
