"""The fire points' map (task 34) in the browser: the list page draws the plan's township polygons
over the city from its own files (no outside request), and its script runs without an error."""

from __future__ import annotations

from playwright.sync_api import Browser

from lantian.sources.kinds.fire_points import SAMPLE_CSV
from tests.browser.conftest import LiveServer, screenshot, sign_in


def test_the_register_map_draws_the_township_polygons(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server.url, "chengguan")
        page.goto(f"{live_server.url}/sources/fire_point/import")
        page.set_input_files("#import-form input[name=upload]", str(SAMPLE_CSV))
        page.click("#import-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        # 城关镇 may file only its own points: the others are outside its scope, nothing written.
        assert "/sources/fire_point/import" in page.url
        page.goto(f"{live_server.url}/sources/fire_point")
        page.wait_for_load_state("networkidle")
        page.wait_for_selector("#sources-map canvas")
        layer = page.evaluate(
            "JSON.parse(document.getElementById('sources-layer').textContent).features.length"
        )
        assert layer == 19
        drawn = page.evaluate(
            "echarts.getInstanceByDom(document.getElementById('sources-map'))"
            ".getOption().geo[0].regions.map((r) => r.name)"
        )
        assert {"城关镇", "岳村镇", "伏羲山风景区"} <= set(drawn)
        screenshot(page, "fire-points-map")
        assert errors == []
    finally:
        context.close()
