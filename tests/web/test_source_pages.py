"""The registers' pages and API, on both backends: list with filters and paging, detail, steps, a
field check with photos, imports refused row by row with nothing written, another township's entry
refused, and one entry made the same by the page, the API and the command line."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from lantian.auth.models import AuditEntry
from lantian.auth.service import add_user, create_token
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.sources.demo import png_photo
from lantian.sources.kinds.scattered import ScatteredEnterprise
from lantian.sources.models import SourceFile
from lantian.web.app import create_app

pytestmark = pytest.mark.db
PASSWORD = "灰霾退散-2017-blue"
KIND = "scattered_enterprise"
BASE = f"/sources/{KIND}"
HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,处置类别,行业,所属集群,集群挂牌督办"
)
FIVE = ("water_cut", "power_cut", "materials_cleared", "products_cleared", "equipment_cleared")
ACCOUNTS = {
    "office": ("campaign_office", None),
    "inspector": ("inspector", None),
    "leader": ("leader", None),
    "chengguan": ("township", "410183100"),
    "micun": ("township", "410183101"),
}


def csv_of(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def firm(
    n: int, area: str = "410183100", category: str = "取缔", deadline: str = "2017-09-30"
) -> str:
    return (
        f"SLW-T-{n:04d},测试工厂{n:04d},{area},hbj,某村,113.3{n % 10},34.5{n % 10},"
        f"{deadline},{category},塑料加工,,否"
    )


class Site:
    """An app over one database, with one signed-in browser per account."""

    def __init__(self, engine: Engine, data_dir: Path) -> None:
        self.sessions = session_factory(engine)
        with transaction(self.sessions) as session:
            for name, (role, scope) in ACCOUNTS.items():
                add_user(session, username=name, role=role, scope=scope, password=PASSWORD,
                         actor="test")  # fmt: skip
            _row, self.token = create_token(session, "office", "sources", actor="test")
        self.app: FastAPI = create_app(Settings(data_dir=data_dir), engine)
        self.clients: dict[str, tuple[TestClient, str]] = {}

    def client(self, name: str) -> tuple[TestClient, str]:
        if name not in self.clients:
            client = TestClient(self.app)
            token = re.search(r'name="csrf" value="([^"]*)"', client.get("/login").text)
            assert token
            answer = client.post(
                "/login",
                data={"username": name, "password": PASSWORD, "csrf": token.group(1)},
                follow_redirects=False,
            )
            assert answer.status_code == 303
            csrf = re.search(r'name="csrf" value="([^"]*)"', client.get("/account").text)
            assert csrf
            self.clients[name] = (client, csrf.group(1))
        return self.clients[name]

    def get(self, name: str, path: str, **params: Any) -> Any:
        return self.client(name)[0].get(path, params=params, follow_redirects=False)

    def post(self, name: str, path: str, data: dict[str, Any], files: Any = None) -> Any:
        client, csrf = self.client(name)
        return client.post(path, data={"csrf": csrf, **data}, files=files, follow_redirects=False)

    def upload(self, name: str, content: bytes, filename: str = "台账.csv") -> Any:
        return self.post(name, f"{BASE}/import", {}, files={"upload": (filename, content)})

    def entry_id(self, key: str) -> int:
        with self.sessions() as session:
            found = session.scalar(
                select(ScatteredEnterprise.id).where(ScatteredEnterprise.key == key)
            )
            assert found is not None
            return int(found)

    def count(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(ScatteredEnterprise)) or 0)


@pytest.fixture
def site(db_engine: Engine, tmp_path: Path) -> Site:
    return Site(db_engine, tmp_path)


def keys_shown(page: str) -> list[str]:
    return re.findall(r'<tr data-key="([^"]+)"', page)


def test_list_filters_and_pages_in_the_database(site: Site) -> None:
    rows = [firm(n) for n in range(1, 56)]
    rows += [firm(n, category="升级改造", deadline="2030-10-31") for n in range(56, 61)]
    rows += [firm(n, area="410183101") for n in range(61, 64)]
    answer = site.upload("office", csv_of(rows))
    assert answer.status_code == 303
    shown = site.get("office", answer.headers["location"]).text
    assert "新增 63" in shown  # the flash says what the import did

    first = site.get("office", BASE).text
    assert 'id="entry-total">63<' in first
    assert len(keys_shown(first)) == 50 and keys_shown(first)[0] == "SLW-T-0001"
    assert 'rel="next"' in first and "登记在册" in first and "取缔" in first  # labels, not codes
    second = site.get("office", BASE, page=2).text
    assert keys_shown(second) == [f"SLW-T-{n:04d}" for n in range(51, 64)]
    upgrades = site.get("office", BASE, category="upgrade").text
    assert keys_shown(upgrades) == [f"SLW-T-{n:04d}" for n in range(56, 61)]
    assert keys_shown(site.get("office", BASE, area="410183101").text) == [
        "SLW-T-0061", "SLW-T-0062", "SLW-T-0063"
    ]  # fmt: skip
    assert keys_shown(site.get("office", BASE, q="工厂0007").text) == ["SLW-T-0007"]
    # The 9-30 deadline passed (the clock is now): all but the upgrades due in 2030 are overdue.
    assert 'id="entry-total">58<' in site.get("office", BASE, overdue="1").text
    assert 'id="entry-total">0<' in site.get("office", BASE, state="closed_off").text
    # A refused filter is the input's error, not a crash.
    assert site.get("office", BASE, q="x" * 101).status_code == 422
    assert site.get("office", BASE, state="no-such-state").status_code == 422
    # A township sees its own entries only, in the list, the map, the index and the export.
    micun = site.get("micun", BASE).text
    assert keys_shown(micun) == ["SLW-T-0061", "SLW-T-0062", "SLW-T-0063"]
    points = json.loads(
        html.unescape(re.search(r'id="sources-json"[^>]*>([^<]*)<', micun).group(1))
    )  # type: ignore[union-attr]
    assert len(points) == 3 and points[0]["url"].startswith(f"{BASE}/")
    index = site.get("micun", "/sources").text
    assert re.search(r'data-kind="scattered_enterprise">.*?<td class="num">3</td>', index, re.S)
    export = site.get("micun", f"{BASE}/export", format="csv")
    assert export.status_code == 200 and export.content.decode("utf-8-sig").count("SLW-T-") == 3
    template = site.get("micun", f"{BASE}/template")
    assert template.status_code == 200 and template.content[:2] == b"PK"


def test_an_import_with_bad_rows_lists_every_problem_and_writes_nothing(site: Site) -> None:
    bad = csv_of(
        [
            firm(1),
            firm(2).replace("410183100", "999999999"),  # not one of the plan's areas
            firm(3).replace("取缔", "拆了"),  # not a category
            firm(1),  # the key repeats row 2
            firm(5).replace("2017-09-30", "九月底"),  # not a date
        ]
    )
    answer = site.upload("office", bad)
    assert answer.status_code == 422
    problems = re.findall(r"<tr><td class=\"num\">(\d+)</td>", answer.text)
    assert problems == ["3", "4", "5", "6"]
    assert 'id="import-refused"' in answer.text
    assert site.count() == 0
    # A township may not import another township's rows: refused the same way.
    refused = site.upload("chengguan", csv_of([firm(1), firm(2, area="410183101")]))
    assert refused.status_code == 422 and site.count() == 0
    assert "无权" in refused.text or "outside your scope" in refused.text


def test_a_township_takes_an_entry_from_start_to_closing_off_with_five_photos(site: Site) -> None:
    assert site.upload("chengguan", csv_of([firm(1)])).status_code == 303
    entry = site.entry_id("SLW-T-0001")
    url = f"{BASE}/{entry}"
    page = site.get("chengguan", url).text
    assert 'data-event="start"' in page and 'capture="environment"' in page
    assert 'data-event="close_off"' not in page  # not from 登记在册

    assert (
        site.post("chengguan", f"{url}/steps", {"event": "start", "note": "开始"}).status_code
        == 303
    )
    # Closing off before the checks: refused, with the reasons, nothing changed.
    refused = site.post("chengguan", f"{url}/steps", {"event": "close_off", "note": ""})
    assert refused.status_code == 409 and "断水" in html.unescape(refused.text)
    # A check marking passes without photos is refused and keeps what was chosen.
    items = {f"item_{key}": "pass" for key in FIVE} | {"note_water_cut": "水表已拆"}
    kept = site.post(
        "chengguan", f"{url}/checks", {**items, "longitude": "113.31", "latitude": "34.51"}
    )
    assert kept.status_code == 422
    assert 'value="水表已拆"' in kept.text and '<option value="pass" selected>' in kept.text
    photos = [("photos", (f"{key}.png", png_photo(8, 6, (200, 50 + i * 30, 90), i), "image/png"))
              for i, key in enumerate(FIVE)]  # fmt: skip
    checked = site.post(
        "chengguan", f"{url}/checks",
        {**items, "longitude": "113.31", "latitude": "34.51", "note": "两断三清"}, files=photos,
    )  # fmt: skip
    assert checked.status_code == 303
    closed = site.post("chengguan", f"{url}/steps", {"event": "close_off", "note": "销号"})
    assert closed.status_code == 303
    page = site.get("chengguan", url).text
    assert 'data-state="closed_off"' in page and "已销号" in page
    assert "水表已拆" in page and "113.31000" in page  # the check item by item, where
    with site.sessions() as session:
        kept_files = session.scalars(select(SourceFile).where(SourceFile.record_id == entry)).all()
    assert len(kept_files) == 5
    photo = site.get("chengguan", f"{BASE}/files/{kept_files[0].id}")
    assert photo.status_code == 200 and photo.content.startswith(b"\x89PNG")
    assert photo.headers["content-type"] == "image/png"
    # Another township learns nothing of it: the entry, its photo and its steps are refused.
    assert site.get("micun", url).status_code == 403
    assert site.get("micun", f"{BASE}/files/{kept_files[0].id}").status_code == 403
    assert site.post("micun", f"{url}/steps", {"event": "reopen", "note": "x"}).status_code == 403
    # An inspector revisits and records a check; a leader reads but is offered no step.
    assert 'id="check-form"' in site.get("inspector", url).text
    revisit = site.post("inspector", f"{url}/checks", {"item_idle": "fail", "note": "复产"})
    assert revisit.status_code == 303
    leader = site.get("leader", url).text
    assert 'id="check-form"' not in leader and "data-event=" not in leader.split('id="timeline"')[0]
    with site.sessions() as session:
        audit = session.execute(
            select(AuditEntry.actor, AuditEntry.action).where(
                AuditEntry.action.like("scattered_enterprise.%")
            )
        ).all()
    assert {
        ("chengguan", "scattered_enterprise.start"),
        ("chengguan", "scattered_enterprise.close_off"),
        ("inspector", "scattered_enterprise.check"),
    } <= {(actor, action) for actor, action in audit}


def test_new_and_edit_keep_the_input_on_a_refusal(site: Site) -> None:
    form = {"key": "SLW-N-1", "name": "新登记厂", "area_code": "410183100", "unit_code": "hbj",
            "category": "ban", "longitude": "200", "deadline": "2017-09-30"}  # fmt: skip
    refused = site.post("chengguan", f"{BASE}/new", form)
    assert refused.status_code == 422 and 'value="新登记厂"' in refused.text
    assert "经度" in html.unescape(refused.text) and site.count() == 0
    elsewhere = site.post(
        "chengguan", f"{BASE}/new", {**form, "longitude": "", "area_code": "410183101"}
    )
    assert elsewhere.status_code == 403 and site.count() == 0
    made = site.post("chengguan", f"{BASE}/new", {**form, "longitude": "113.4"})
    assert made.status_code == 303, re.findall(r'id="form-error">([^<]*)', made.text)
    entry = site.entry_id("SLW-N-1")
    edited = site.post(
        "chengguan",
        f"{BASE}/{entry}/edit",
        {**form, "longitude": "113.4", "name": "改名厂", "category": "upgrade"},
    )
    assert edited.status_code == 303
    page = site.get("chengguan", f"{BASE}/{entry}").text
    assert "改名厂" in page and "升级改造" in page
    bad = site.post("chengguan", f"{BASE}/{entry}/edit", {**form, "name": ""})
    assert bad.status_code == 422 and 'id="edit" open' in bad.text


# --- the same change by the page, the API and the command line ------------------------------


@pytest.fixture
def cli(lantian: Callable[..., Result]) -> Callable[..., Result]:
    return lantian


def _attributes(site: Site, key: str) -> dict[str, Any]:
    with site.sessions() as session:
        record = session.scalar(select(ScatteredEnterprise).where(ScatteredEnterprise.key == key))
        assert record is not None
        columns = ("name", "area_code", "unit_code", "address", "longitude", "latitude",
                   "deadline", "category", "industry", "cluster", "cluster_listed", "state")  # fmt: skip
        return {name: getattr(record, name) for name in columns}


def test_page_api_and_command_line_make_the_same_entry(
    db_engine: Engine, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    site = Site(db_engine, tmp_path)
    fields = {"name": "三面同厂", "area_code": "410183100", "unit_code": "hbj", "address": "东关村",
              "longitude": "113.39", "latitude": "34.54", "deadline": "2017-09-30",
              "category": "relocate", "industry": "铸造"}  # fmt: skip
    assert site.post("office", f"{BASE}/new", {"key": "SLW-P-1", **fields}).status_code == 303
    bearer = {"Authorization": f"Bearer {site.token}"}
    api = TestClient(site.app)
    made = api.post(f"/api/v1/sources/{KIND}", json={"key": "SLW-A-1", **fields}, headers=bearer)
    assert made.status_code == 201, made.text
    assert made.json()["attributes"]["category"] == "relocate"
    path = tmp_path / "one.csv"
    path.write_bytes(
        csv_of(["SLW-C-1,三面同厂,410183100,hbj,东关村,113.39,34.54,2017-09-30,整合搬迁,铸造,,"])
    )
    done = cli("sources", "import", KIND, str(path), "--as", "office")
    assert done.exit_code == 0, done.output
    same = [_attributes(site, key) for key in ("SLW-P-1", "SLW-A-1", "SLW-C-1")]
    assert same[0] == same[1] == same[2] and same[0]["state"] == "registered"

    # The same step from each face reaches the same state, audited as the same account.
    assert (
        site.post(
            "office", f"{BASE}/{site.entry_id('SLW-P-1')}/steps", {"event": "start"}
        ).status_code
        == 303
    )
    stepped = api.post(f"/api/v1/sources/{KIND}/{site.entry_id('SLW-A-1')}/steps",
                       data={"event": "start"}, headers=bearer)  # fmt: skip
    assert stepped.status_code == 200 and stepped.json()["state"] == "rectifying"
    assert cli("sources", "step", KIND, "SLW-C-1", "start", "--as", "office").exit_code == 0
    assert {_attributes(site, k)["state"] for k in ("SLW-P-1", "SLW-A-1", "SLW-C-1")} == {
        "rectifying"
    }
    with site.sessions() as session:
        actors = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == f"{KIND}.start")
        ).all()
    assert actors == ["office", "office", "office"]

    # The same refusal: a step the state does not allow is a Conflict everywhere.
    again = api.post(f"/api/v1/sources/{KIND}/{site.entry_id('SLW-A-1')}/steps",
                     data={"event": "start"}, headers=bearer)  # fmt: skip
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert cli("sources", "step", KIND, "SLW-C-1", "start", "--as", "office").exit_code == 5
    assert (
        site.post(
            "office", f"{BASE}/{site.entry_id('SLW-P-1')}/steps", {"event": "start"}
        ).status_code
        == 409
    )


def test_api_lists_pages_checks_and_imports(site: Site) -> None:
    bearer = {"Authorization": f"Bearer {site.token}"}
    api = TestClient(site.app)
    bad = api.post(f"/api/v1/sources/{KIND}/import", headers=bearer,
                   files={"upload": ("bad.csv", csv_of([firm(1), firm(2).replace("取缔", "拆")]))})  # fmt: skip
    assert bad.status_code == 422 and len(bad.json()["error"]["problems"]) == 1
    assert site.count() == 0
    good = api.post(f"/api/v1/sources/{KIND}/import", headers=bearer,
                    files={"upload": ("good.csv", csv_of([firm(n) for n in range(1, 8)]))})  # fmt: skip
    assert good.status_code == 200 and good.json()["created"] == 7
    listed = api.get(
        f"/api/v1/sources/{KIND}", params={"limit": 3, "offset": 3}, headers=bearer
    ).json()
    assert [i["key"] for i in listed["items"]] == ["SLW-T-0004", "SLW-T-0005", "SLW-T-0006"]
    assert listed["total"] == 7 and listed["next_offset"] == 6
    entry = site.entry_id("SLW-T-0002")
    api.post(f"/api/v1/sources/{KIND}/{entry}/steps", data={"event": "start"}, headers=bearer)
    check = {"items": {key: "pass" for key in FIVE}, "longitude": 113.3, "latitude": 34.5}
    photos = [
        ("files", (f"{k}.png", png_photo(4, 4, (9, 9, 9), i), "image/png"))
        for i, k in enumerate(FIVE)
    ]
    made = api.post(f"/api/v1/sources/{KIND}/{entry}/checks", headers=bearer,
                    data={"check": json.dumps(check)}, files=photos)  # fmt: skip
    assert made.status_code == 201, made.text
    closed = api.post(
        f"/api/v1/sources/{KIND}/{entry}/steps", data={"event": "close_off"}, headers=bearer
    )
    assert closed.json()["state"] == "closed_off"
    detail = api.get(f"/api/v1/sources/{KIND}/{entry}", headers=bearer).json()
    # The 9-30 deadline had passed when it was imported: the rule opened a case at once.
    assert [e["event"] for e in detail["timeline"]] == [
        "created", "case_opened", "start", "checked", "close_off"
    ]  # fmt: skip
    assert len(detail["timeline"][3]["files"]) == 5 and detail["steps"] == ["reopen"]
    patched = api.patch(f"/api/v1/sources/{KIND}/{entry}", json={"name": "改名"}, headers=bearer)
    assert patched.status_code == 200 and patched.json()["name"] == "改名"
    assert patched.json()["attributes"]["category"] == "ban"
    # A township's API view is scoped like its pages.
    micun_client, _micun_csrf = site.client("micun")
    assert micun_client.get(f"/api/v1/sources/{KIND}/{entry}").status_code == 403
    assert micun_client.get(f"/api/v1/sources/{KIND}").json()["total"] == 0


def test_the_targets_page_shows_the_register_s_value_behind_the_figure(site: Site) -> None:
    from lantian.campaign.service import load_plan
    from lantian.plan import default_plan

    def row() -> str:
        page = site.get("leader", "/campaign/targets").text
        return page.split('data-key="scattered_polluting_enterprises"', 1)[1].split("</tr>", 1)[0]

    with transaction(site.sessions) as session:
        load_plan(session, default_plan())
    # An empty register leaves the target to the typed reports.
    assert "data-computed" not in row()
    rows = [firm(n) for n in range(1, 4)] + [firm(4, category="升级改造", deadline="2030-10-31")]
    assert site.upload("office", csv_of(rows)).status_code == 303
    entry = site.entry_id("SLW-T-0002")
    site.post("office", f"{BASE}/{entry}/steps", {"event": "start"})
    photos = [("photos", (f"{k}.png", png_photo(4, 4, (1, 2, 3), i), "image/png")) for i, k in enumerate(FIVE)]  # fmt: skip
    site.post("office", f"{BASE}/{entry}/checks", {f"item_{k}": "pass" for k in FIVE}, files=photos)
    assert site.post("office", f"{BASE}/{entry}/steps", {"event": "close_off"}).status_code == 303
    shown = row()
    # One of four registered firms closed off: the figure is 1, with 4 entries behind it and
    # the per-category rows, linked to the register's list.
    assert 'data-computed="scattered_polluting_enterprises"' in shown
    now = re.sub(r"<[^>]+>", " ", shown.split("<td>")[4]).split()  # task, target, due, now
    assert now[0] == "1", now
    assert "4 entries" in shown or "4 条" in shown
    assert f'href="/sources/{KIND}"' in shown and "取缔" in shown
