"""The regional linkage on the office's warnings page (seed task 42, issue 18): township forecasts
stored on the server, the page lists each township's forecast level and the contiguous group, the
office adopts the proposal into the decision form, previews the city-wide notice and records it.

The run lifts the warning again at the end, so the shared test server is left without a warning in
force (its forecasts stay: every forecast version is kept).
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.timeutil import CHINA_TZ
from lantian.warnings.service import import_forecasts
from tests.browser.conftest import LiveServer, Outside, screenshot, sign_in

OFFICE = "warnings-office"  # the warning tests' campaign_office account (tests/browser/conftest.py)
ORANGE_DAYS = (150, 240, 320, 260, 140)  # > 200 for three days from tomorrow, one > 300
TOWNSHIPS = {"410183101": ORANGE_DAYS, "410183102": ORANGE_DAYS, "410183103": ORANGE_DAYS}


def _store_forecasts(server: LiveServer) -> None:
    """Forecasts issued an hour ago for 米村、牛店、平陌, as the forecast importer stores them."""
    issued = clock.now_china().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    first = issued.replace(hour=0)
    rows = ["area,issued_at,valid_start,valid_end,aqi,primary_pollutant,source"]
    for area, days in TOWNSHIPS.items():
        for offset, aqi in enumerate(days):
            start = (first + timedelta(days=offset)).astimezone(CHINA_TZ)
            end = start + timedelta(days=1)
            rows.append(
                f"{area},{issued.isoformat()},{start.isoformat()},{end.isoformat()},{aqi},PM2.5,"
                "浏览器测试"
            )
    assert server.sessions is not None
    with transaction(server.sessions) as session:
        import_forecasts(
            session, Principal("test", "administrator"), "\n".join(rows) + "\n", "linkage.csv"
        )


def _lift(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/office/warnings")
    if page.locator("#warning-areas").count() == 0:
        return
    page.select_option("select[name=action]", "lift")
    page.select_option("select[name=level]", "")
    for box in page.locator("input[name=areas]").all():
        box.set_checked(True)
    page.fill("textarea[name=reason]", "测试结束，解除预警")
    page.click("form[action='/office/warnings/decide'] button:not([formaction])")
    page.wait_for_load_state("networkidle")


def test_the_office_adopts_the_regional_linkage_into_a_city_wide_warning(
    page: Page, live_server: LiveServer, outside: Outside
) -> None:
    _store_forecasts(live_server)
    sign_in(page, live_server.url, OFFICE)
    page.goto(live_server.url + "/office/warnings")
    try:
        proposal = page.locator("#linkage-proposal").inner_text()
        assert "3个相邻乡镇（米村镇、牛店镇、平陌镇）" in proposal, proposal
        row = page.locator('#linkage-townships tr[data-area="410183101"]')
        assert row.get_attribute("data-rank") == "3" and "橙色预警" in row.inner_text()
        assert "浏览器测试" in row.inner_text()
        assert "矿区街道" in page.locator("#linkage-missing").inner_text()
        screenshot(page, "warning-linkage")

        page.click("#adopt-linkage")
        page.wait_for_load_state("networkidle")
        assert page.locator("select[name=action]").input_value() == "issue"
        assert page.locator("select[name=level]").input_value() == "orange"
        boxes = page.locator("input[name=areas]")
        assert boxes.count() >= 19
        assert all(box.is_checked() for box in boxes.all())
        assert page.locator("input[name=follow_linkage]").is_checked()
        assert "米村镇、牛店镇、平陌镇" in page.locator("textarea[name=reason]").input_value()

        page.click("#preview-notice")
        page.wait_for_load_state("networkidle")
        notice = page.locator("#notice").inner_text()
        assert "在全市发布橙色预警" in notice, notice
        page.click("#confirm-decision button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert re.search(r"/office/warnings/decisions/\d+$", page.url), page.url

        page.goto(live_server.url + "/office/warnings")
        assert page.locator("#linkage-in-force").is_visible()
        assert page.locator("#adopt-linkage").count() == 0
        screenshot(page, "warning-linkage-adopted")
    finally:
        _lift(page, live_server)
    assert outside.urls == []
