"""The navigation offers nobody a page that refuses them: every role, signed in, follows every
link of the navigation bars (the site's and the campaign's) of the pages it uses, and none answers
403 (or fails). The same world as the route walk (tests/web/test_route_walk.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.web.test_route_walk import PASSWORD, build_walk_app

#: The pages people start from: the real-time page, the office, the boards they work on.
START_PAGES = ("/", "/office", "/cases", "/campaign/tasks", "/campaign/my")
NAV = re.compile(r"<nav\b[^>]*>(.*?)</nav>", re.DOTALL)
LINK = re.compile(r'href="([^"#]+)"')

pytestmark = pytest.mark.db


def nav_links(page: str) -> set[str]:
    return {
        link.replace("&amp;", "&") for block in NAV.findall(page) for link in LINK.findall(block)
    }


def signed_in(client: TestClient, role: str) -> None:
    login = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', login.text)
    assert token
    answer = client.post(
        "/login",
        data={"username": role.replace("_", "-"), "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, role


def test_no_role_is_offered_a_page_that_refuses_it(db_engine: Engine, tmp_path: Path) -> None:
    app, roles = build_walk_app(db_engine, tmp_path)
    refused: list[str] = []
    offered: dict[str, set[str]] = {}
    for role in roles:
        client = TestClient(app)
        if role != "public":
            signed_in(client, role)
        links: set[str] = set()
        for start in START_PAGES:
            page = client.get(start)
            if page.status_code == 200:
                links |= nav_links(page.text)
        offered[role] = links
        for link in sorted(links):
            status = client.get(link, follow_redirects=False).status_code
            if status == 403 or status >= 500:
                refused.append(f"{role}: {link} → {status}")
    assert not refused, "\n".join(refused)
    # The pages of issue 14 are offered to those who use them, and only to them.
    assert {"/duty", "/daily-reports", "/office/review"} <= offered["campaign_office"]
    assert "/campaign/monthly" in offered["township"] and "/campaign/monthly" in offered["unit"]
    assert "/office/review" not in offered["township"] and "/duty" not in offered["unit"]
    # A township's and a unit's own pages are in the site's navigation; a device is offered none.
    assert {"/office", "/campaign/my", "/cases"} <= offered["township"] & offered["unit"]
    assert "/office" not in offered["device"]
