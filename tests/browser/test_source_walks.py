"""Issue 15: "A browser test walks one record of each kind from import to closing-off as a
township user would." The scattered-polluting firm has its own walk (test_sources.py); here every
other register kind: one row of its template filled in 城关镇 (410183100) and imported by the
township's staff (``chengguan``), then each step and field check its lifecycle needs to reach its
closed state, taken on the entry's page. A step the lifecycle gives only to the office or the
inspectors is taken by that account (``Step(by=...)``), the clause cited where it is.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from lantian.sources.registry import kinds
from tests.browser.conftest import LiveServer, sign_in
from tests.browser.sources_walk import Check, Step, Walk, common, walk_entry

#: The office's account for the walks (test_pages resets the shared "office" account's password).
OFFICE = "walks-office"
INSPECTOR = "walks-inspector"


def _walks_of_ledgers_one(width: int) -> dict[str, Walk]:
    """The walks of the first ledgers' kinds (issue 15), keys unique per window width."""
    return {
        # Task 16: eliminated by 煤改气; the certificate's cancellation needs the notice's photo.
        "boiler": Walk(
            {
                **common(f"GL-W{width}", f"城关镇浏览器测试锅炉{width}", "hbj"),
                "类型": "燃煤锅炉 coal_boiler",
                "额定容量（蒸吨/小时）": "4",
                "列入2017年淘汰清单": "是",
                "淘汰方式": "煤改气 gas",
                "使用登记证编号": f"锅豫A{width}(17)",
                "使用单位": "城关镇某宾馆",
            },
            [
                Step("start", "已下达淘汰通知"),
                Check(
                    {
                        "substitute_in_use": "pass",
                        "no_coal": "pass",
                        "certificate_cancelled": "pass",
                    },
                    photos=2,
                    note="燃气接通，登记证注销文书拍照",
                ),
                Step("close_off", "煤改气完成，销号"),
            ],
            "eliminated",
        ),
        # Task 10: surveyed door to door, converted, then accepted at ≥ 80 % in this village.
        "heating_village": Walk(
            {
                **common(f"SDT-W{width}", f"城关镇浏览器测试村{width}", "fgw"),
                "总户数": "400",
                "气代煤户数": "340",
                "电代煤户数": "20",
                "替代方式": "气代煤 gas",
                "集中供热覆盖": "否",
            },
            [
                Check({"households_verified": "pass"}, note="入户摸排 400 户"),
                Step("survey", "摸排核实完成"),
                Step("start", "开始改造"),
                Check(
                    {"equipment_installed": "pass", "coal_stoves_removed": "pass"},
                    photos=2,
                    note="壁挂炉到户，煤炉拆除",
                ),
                # Acceptance (验收) is the verifiers' only: ``accept`` has roles VERIFIERS
                # (任务10：确保完成“双替代”的村庄全部满足80%以上的替代率).
                Step("accept", "替代率 90%，验收合格", by=INSPECTOR),
            ],
            "accepted",
        ),
        # Task 9: built, then heating with the substation and network checked with photos.
        "heating_district": Walk(
            {
                **common(f"GR-W{width}", f"城关镇浏览器测试供热片区{width}", "zyhbxmrlgs"),
                "建筑面积（㎡）": "350000",
                "供热面积（㎡）": "300000",
                "总户数": "3200",
                "供热户数": "2800",
                "热源": "新密热力公司",
                "换热站数": "6",
            },
            [
                Step("build", "管网开工"),
                Check(
                    {"substation_running": "pass", "network_connected": "pass"},
                    photos=2,
                    note="换热站试运行",
                ),
                Step("heat", "投入供热"),
            ],
            "heating",
        ),
        # Tasks 12–13: a loose-coal finding rectified and cleared with a photo.
        "loose_coal_finding": Walk(
            {
                **common(f"SM-W{width}", f"城关镇浏览器测试散煤{width}", "hbj"),
                "发现日期": "2017-12-05",
                "发现情况": "燃用散煤 burning",
                "数量（千克）": "200",
            },
            [
                Step("rectify", "责令清理散煤"),
                Check({"coal_removed": "pass"}, photos=1, note="散煤清运"),
                Step("clear", "清理销号"),
            ],
            "cleared",
        ),
        # Task 13: a loose-coal outlet closed once it no longer sells (a photo).
        "loose_coal_outlet": Walk(
            {
                **common(f"SMWD-W{width}", f"城关镇浏览器测试散煤网点{width}", "gszjj"),
                "经营者": "李四",
            },
            [
                Check({"not_selling": "pass"}, photos=1, note="门店已停售散煤"),
                Step("close", "取消网点"),
            ],
            "closed",
        ),
        # Task 8: a mine listed for closure and closed with the four checks' proof.
        "coal_mine": Walk(
            {
                **common(f"MK-W{width}", f"城关镇浏览器测试煤矿{width}", "mtj"),
                "核定生产能力（吨/年）": "150000",
                "采矿权人": "新密市某煤业有限公司",
            },
            [
                Step("list_for_closure", "列入2017年关闭名单"),
                Check(
                    {
                        "shafts_sealed": "pass",
                        "equipment_removed": "pass",
                        "power_cut": "pass",
                        "licences_cancelled": "pass",
                    },
                    photos=4,
                    note="井筒封闭、设备拆除、断电、证照注销",
                ),
                Step("close", "关闭到位"),
            ],
            "closed",
        ),
        # Task 7: a new project whose coal use is fully substituted, the source verified.
        "coal_project": Walk(
            {
                **common(f"HM-W{width}", f"城关镇浏览器测试耗煤项目{width}", "fgw"),
                "项目类型": "新建",
                "审批（核准、备案）日期": "2016-05-20",
                "年耗煤量（吨）": "12000",
                "替代量（吨）": "12000",
                "替代来源": "关停某公司 2 台 10 蒸吨燃煤锅炉",
            },
            [
                Check({"substitution_verified": "pass"}, photos=1, note="替代锅炉已拆除"),
                Step("confirm_substitution", "等量替代落实"),
            ],
            "substituted",
        ),
        # Task 11: a briquette outlet built and supplying (a photo).
        "briquette_site": Walk(
            {
                **common(f"XM-W{width}", f"城关镇浏览器测试型煤网点{width}", "fgw"),
                "类型": "配送网点",
                "产能或储量（吨）": "1000",
            },
            [
                Step("start", "开工建设"),
                Check({"in_service": "pass"}, photos=1, note="网点已供应型煤"),
                Step("complete", "建成验收"),
            ],
            "built",
        ),
        # Task 13: a sample within the plan's limits for anthracite, judged passed.
        "coal_sample": Walk(
            {
                **common(f"MZ-W{width}", f"城关镇浏览器测试煤样{width}", "gszjj"),
                "抽检日期": "2017-11-20",
                "煤种": "无烟煤",
                "全硫（%）": "0.45",
                "灰分（%）": "12.5",
                "挥发分（%）": "8.2",
                "检验报告编号": f"XMZJ-2017-W{width}",
            },
            [Step("accept", "各项指标合格")],
            "passed",
        ),
        # Task 6: the township's statement, verified (核定) by the office: ``verify`` has roles
        # OFFICE_ROLES | {"unit"}, not the township (任务6：煤炭占能源消费总量比重降低到65%以下).
        "coal_consumption": Walk(
            {
                **common(f"MT-W{width}", f"城关镇煤炭消费统计{width}", "fgw"),
                "年度": "2017",
                "煤炭消费量（吨标准煤）": "15200",
                "能源消费总量（吨标准煤）": "24000",
                "统计来源": "市统计局年报",
            },
            [Step("verify", "与统计年报核对一致", by=OFFICE)],
            "verified",
        ),
    }


def walks(width: int) -> dict[str, Walk]:
    """Every kind's walk but the scattered firm's: the ones above and those of every
    ``tests/browser/walks_*.py`` module (a module per group of kinds, each with ``walks(width)``)."""
    found = _walks_of_ledgers_one(width)
    for module_info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module_info.name.startswith("walks_"):
            module = importlib.import_module(f"tests.browser.{module_info.name}")
            more: dict[str, Walk] = module.walks(width)
            assert not set(more) & set(found), (module_info.name, set(more) & set(found))
            found.update(more)
    return found


DESKTOP = (1280, 900)
PHONE = (390, 844)
KINDS = sorted(walks(DESKTOP[0]))


def test_every_kind_but_the_scattered_firm_has_a_walk() -> None:
    """Issue 15 wants a walk of *each* kind: a new kind without one fails here."""
    assert set(KINDS) | {"scattered_enterprise"} == set(kinds())
    for key, walk in walks(DESKTOP[0]).items():
        closed = {s.key for s in kinds()[key].lifecycle.states if s.closed}
        assert walk.closed in closed, (key, walk.closed, closed)


@pytest.fixture
def township_page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """One page signed in as the township, at the window ``request.param`` (width, height);
    it must ask nothing of any server but lantian."""
    width, height = request.param
    phone = width < 500
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="zh-CN",
        is_mobile=phone,
        has_touch=phone,
        geolocation={"longitude": 113.3912, "latitude": 34.5401},
        permissions=["geolocation"],
    )
    page = context.new_page()
    outside: list[str] = []

    def guard(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(live_server.url) or url.startswith("data:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", guard)
    try:
        sign_in(page, live_server.url, "chengguan")
        yield page
        assert outside == []
    finally:
        context.close()


@pytest.mark.parametrize("township_page", [DESKTOP], indirect=True, ids=["desktop"])
@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_a_township_walks_a_register_entry_to_its_closed_state(
    township_page: Page, live_server: LiveServer, tmp_path: Path, kind: str
) -> None:
    walk = walks(DESKTOP[0])[kind]
    if walk.prepare is not None:
        assert live_server.sessions is not None
        walk.prepare(live_server.sessions)
    walk_entry(
        township_page,
        live_server.url,
        kind,
        walk.row,
        walk.steps,
        tmp_path,
        final_state=walk.closed,
        shot=f"source-walk-{kind}-desktop",
    )


@pytest.mark.parametrize("township_page", [PHONE], indirect=True, ids=["phone"])
def test_a_township_walks_a_heating_village_on_a_phone(
    township_page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    walk = walks(PHONE[0])["heating_village"]
    walk_entry(
        township_page,
        live_server.url,
        "heating_village",
        walk.row,
        walk.steps,
        tmp_path,
        final_state=walk.closed,
        shot="source-walk-heating_village-phone",
    )
