"""The remote-sensing vendor's CSV through the import page and the API (task 23): the page lists
every bad row of the vendor's file by row and column and writes nothing; the good rows import as
the vendor layout; an agency's page ranks the agencies exceeding vehicles name."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.sources.test_vehicles import AGENCIES, BAD_ROWS, VENDOR_FILE, good_vendor_file
from tests.web.test_source_pages import Site

pytestmark = pytest.mark.db
KIND = "vehicle_test"


@pytest.fixture
def site(db_engine, tmp_path: Path) -> Site:  # type: ignore[no-untyped-def]
    return Site(db_engine, tmp_path)


def test_the_vendor_file_through_the_page_and_the_api(site: Site) -> None:
    refused = site.post("office", f"/sources/{KIND}/import", {},
                        files={"upload": (VENDOR_FILE.name, VENDOR_FILE.read_bytes())})  # fmt: skip
    page = html.unescape(refused.text)
    assert refused.status_code == 422, refused.status_code
    for number, column in BAD_ROWS.items():
        assert str(number) in page and column in page
    assert "经度" in page and "不在本市任何乡镇范围内" in page
    api = TestClient(site.app)
    done = api.post(f"/api/v1/sources/{KIND}/import",
                    headers={"Authorization": f"Bearer {site.token}"},
                    files={"upload": ("遥感.csv", good_vendor_file())})  # fmt: skip
    body = done.json()
    assert done.status_code == 200, body
    assert (body["created"], body["layout"]) == (19, "remote_sensing_vendor")
    agencies = api.post("/api/v1/sources/testing_agency/import",
                        headers={"Authorization": f"Bearer {site.token}"},
                        files={"upload": ("机构.csv", AGENCIES)})  # fmt: skip
    assert agencies.status_code == 200, agencies.json()
    # any agency's page ranks the agencies named; the first leads to its own page and vehicles
    listing = html.unescape(site.get("office", "/sources/testing_agency").text)
    found = re.search(r'href="(/sources/testing_agency/\d+)"', listing)
    assert found is not None
    agency_page = html.unescape(site.get("office", found.group(1)).text)
    first = re.search(
        r'id="panel-most_named".*?<a href="(/sources/testing_agency/\d+)">(.*?)</a></td>'
        r'<td class="wrap">(\d+)</td>',
        agency_page,
        re.S,
    )
    assert first is not None and first.group(2, 3) == ("新密市安达机动车检测有限公司", "2")
    anda = html.unescape(site.get("office", first.group(1)).text)
    vehicles = anda[anda.index('id="panel-exceeding_vehicles"') :]
    assert len(re.findall(r'href="/sources/vehicle_test/\d+"', vehicles)) == 2
