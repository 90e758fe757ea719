"""An active warning links, for signed-in people, to the reduction list in force at its level;
the dashboard's tiles come from the warnings, campaign and supervision packages."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.auth.service import add_user, create_token
from lantian.campaign.demo import load_sample_progress
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.emissions.sample import load_emission_demo
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.warnings.notify import NotifySettings
from lantian.web.app import create_app

PASSWORD = "灰霾退散-2017-blue"
PLAN = DEFAULT_PLAN_DIR


def test_warning_links_to_the_list_in_force_at_its_level(db_engine: Engine, tmp_path: Path) -> None:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        add_user(session, username="office", role="campaign_office", password=PASSWORD, actor="t")
        _row, token = create_token(session, "office", "预警", actor="t")
        load_emission_demo(session, PLAN)
    load_sample_progress(sessions, PLAN, tmp_path)
    app = create_app(Settings(data_dir=tmp_path), db_engine)
    app.state.notify_settings = NotifySettings()
    client = TestClient(app)
    issued = client.post(
        "/api/v1/warnings/decisions",
        headers={"Authorization": f"Bearer {token}"},
        json={"action": "issue", "level": "orange", "areas": ["410183100"], "reason": "预报"},
    )
    assert issued.status_code == 200, issued.text
    # The public sees the warning, not the working list.
    public = client.get("/").text
    assert 'id="warning-tile"' in public and "warning-reduction-list" not in public

    form = client.get("/login").text
    token_field = re.search(r'name="csrf" value="([^"]*)"', form)
    assert token_field
    client.post(
        "/login", data={"username": "office", "password": PASSWORD, "csrf": token_field.group(1)}
    )
    office = client.get("/office")
    assert office.status_code == 200
    link = re.search(r'id="warning-reduction-list" href="([^"]+)"', office.text)
    assert link and link.group(1) == "/emissions/in-force?level=orange"
    opened = client.get(link.group(1), follow_redirects=False)
    assert opened.status_code == 303
    assert re.fullmatch(r"/emissions/lists/\d+\?level=orange", opened.headers["location"])
    assert client.get(opened.headers["location"]).status_code == 200
    # The other packages' tiles: escalations of the plan (judged at its end) and open cases.
    assert 'id="task-escalations"' in office.text and 'id="open-cases"' in office.text
    assert "2018-03-31" in office.text
