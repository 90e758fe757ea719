"""The registers in the browser, on a desktop and a phone: a township's staff take one
scattered-polluting firm from the filled template to its closing-off (两断三清 with five photos)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.sources_walk import Check, Step, walk_entry

FIVE = ("water_cut", "power_cut", "materials_cleared", "products_cleared", "equipment_cleared")
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_township_closes_off_a_scattered_firm(
    browser: Browser, live_server: LiveServer, tmp_path: Path, device: str
) -> None:
    width, height = VIEWPORTS[device]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="zh-CN",
        is_mobile=device == "phone",
        has_touch=device == "phone",
        geolocation={"longitude": 113.3912, "latitude": 34.5401},
        permissions=["geolocation"],
    )
    page = context.new_page()
    outside: list[str] = []

    def guard(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        if request.url.startswith(live_server.url) or request.url.startswith("data:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(request.url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", guard)
    try:
        sign_in(page, live_server.url, "chengguan")
        key = f"SLW-100-B{width}"
        walk_entry(
            page,
            live_server.url,
            "scattered_enterprise",
            {
                "编号": key,
                "名称": f"城关镇浏览器测试厂{width}",
                "乡镇代码": "410183100",
                "责任单位代码": "hbj",
                "地址": "城关镇东关村",
                "经度": "113.39",
                "纬度": "34.54",
                "完成时限": "2030-09-30",
                "处置类别": "取缔 ban",
                "行业": "塑料加工",
            },
            [
                Step("start", "已下达整治通知"),
                Check(
                    {item: "pass" for item in FIVE},
                    photos=5,
                    notes={"water_cut": "水表已拆除"},
                    note="两断三清现场核查",
                ),
                Step("close_off", "两断三清到位，销号"),
            ],
            tmp_path,
            final_state="closed_off",
            shot=f"sources-walk-{device}",
        )
        # The check recorded where the browser said it was made.
        assert "113.39120" in page.locator("#timeline").inner_text()
        assert outside == []
    finally:
        context.close()
