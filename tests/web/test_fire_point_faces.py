"""The fire points' satellite CSV through every face (task 34): the import page says which rows
were not filed (outside the city), the API returns them as ``set_aside``, the command prints them,
and the register's list page carries the plan's township polygons for its map."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient

from lantian.sources.kinds.fire_points import SAMPLE_CSV
from tests.web.test_source_pages import Site

pytestmark = pytest.mark.db
KIND = "fire_point"


@pytest.fixture
def site(db_engine, tmp_path: Path) -> Site:  # type: ignore[no-untyped-def]
    return Site(db_engine, tmp_path)


def test_the_page_and_the_api_report_the_points_outside_the_city(site: Site) -> None:
    content = SAMPLE_CSV.read_bytes()
    answer = site.post("office", f"/sources/{KIND}/import", {},
                       files={"upload": (SAMPLE_CSV.name, content)})  # fmt: skip
    assert answer.status_code == 303
    page = html.unescape(site.get("office", f"/sources/{KIND}").text)
    assert re.search(r"\d+ 行未登记", page) and "不在本市任何乡镇范围内" in page
    layer = re.search(r'<script id="sources-layer" type="application/json">(.*?)</script>', page)
    assert layer is not None
    features = json.loads(layer.group(1))["features"]
    assert len(features) == 19 and all(f["properties"]["approximate"] for f in features)
    # The same file again through the API: nothing new, the same rows set aside.
    api = TestClient(site.app)
    again = api.post(f"/api/v1/sources/{KIND}/import",
                     headers={"Authorization": f"Bearer {site.token}"},
                     files={"upload": (SAMPLE_CSV.name, content)})  # fmt: skip
    body = again.json()
    assert again.status_code == 200 and body["created"] == 0 and body["unchanged"] > 0
    assert body["set_aside"] and all("outside" in r["reason"] for r in body["set_aside"])


def test_the_command_prints_the_rows_not_filed(site: Site, lantian: Callable[..., Result]) -> None:
    done = lantian("sources", "import", KIND, str(SAMPLE_CSV), "--as", "office")
    assert done.exit_code == 0, done.output
    assert "not filed" in done.output and "outside the city" in done.output
