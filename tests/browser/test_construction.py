"""A construction site in the browser, as the issue asks, on a desktop and a phone: the township
(城关镇) registers a site; an inspector's inspection failing one of the six checks (六个百分之百)
stops it at once (一票停工); the township cannot lift the stop, neither by a step nor by its own
passing check; the inspector's re-inspection passing all six lifts it; the office blacklists the
contractor and the site's page and the register's list show it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import LiveServer, screenshot, sign_in
from tests.browser.sources_walk import switch_account

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}
SIX = (
    "fencing",
    "materials_covered",
    "wet_earthworks",
    "roads_hardened",
    "vehicles_washed",
    "muck_trucks_enclosed",
)


def record_check(page: Page, results: dict[str, str], note: str) -> None:
    form = page.locator("#check-form")
    for item, result in results.items():
        form.locator(f"select[name=item_{item}]").select_option(result)
    form.locator("textarea[name=note]").fill(note)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#form-error").count() == 0, page.locator("#form-error").inner_text()


def state_of(page: Page) -> str | None:
    return page.locator("#entry-state").get_attribute("data-state")


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_failed_check_stops_a_site_a_reinspection_lifts_it_and_the_contractor_is_blacklisted(
    browser: Browser, live_server: LiveServer, device: str
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
    # The machine the tests share may be slow: wait longer than Playwright's 30 s for a page.
    page.set_default_timeout(120_000)
    outside: list[str] = []

    def guard(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        if request.url.startswith(live_server.url) or request.url.startswith("data:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(request.url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", guard)
    base = live_server.url
    key = f"GD-100-B{width}"
    contractor = f"河南某浏览器测试建设有限公司{width}"
    shot = f"construction-{device}"
    try:
        # The township registers its site with the new-entry form.
        sign_in(page, base, "chengguan")
        page.goto(f"{base}/sources/construction_site/new")
        form = page.locator("#new-form")
        form.locator("input[name=key]").fill(key)
        form.locator("input[name=name]").fill(f"城关镇浏览器测试工地{width}")
        form.locator("select[name=area_code]").select_option("410183100")
        form.locator("select[name=unit_code]").select_option("zjj")
        form.locator("select[name=site_type]").select_option("building")
        form.locator("input[name=builder]").fill("新密市某置业有限公司")
        form.locator("input[name=contractor]").fill(contractor)
        form.locator("input[name=area_m2]").fill("8000")
        form.locator("input[name=manager]").fill("张建国")
        form.locator("input[name=supervisor]").fill("李明")
        form.locator("input[name=grid_officer]").fill("王华")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#form-error").count() == 0, page.locator("#form-error").inner_text()
        assert state_of(page) == "working"
        site_url = page.url
        screenshot(page, f"{shot}-registered")

        # The inspector's inspection fails one of the six: the site is stopped at once.
        switch_account(page, base, "dust-inspector")
        page.goto(site_url)
        record_check(
            page, {**dict.fromkeys(SIX, "pass"), "vehicles_washed": "fail"}, "出入口未设冲洗设施"
        )
        assert state_of(page) == "stopped"
        stop = page.locator("#timeline li[data-event=stop]")
        assert stop.count() == 1 and "dust-inspector" in stop.inner_text()
        assert "出入车辆清洗" in stop.inner_text()
        screenshot(page, f"{shot}-stopped")

        # The township cannot lift it: no step is offered, and its own passing check changes nothing.
        switch_account(page, base, "chengguan")
        page.goto(site_url)
        assert page.locator("#steps form[data-event=resume]").count() == 0
        record_check(page, dict.fromkeys(SIX, "pass"), "已整改，自查合格")
        assert state_of(page) == "stopped"

        # The inspector's re-inspection passes all six: the stop is lifted.
        switch_account(page, base, "dust-inspector")
        page.goto(site_url)
        record_check(page, dict.fromkeys(SIX, "pass"), "复查六个百分之百全部合格")
        assert state_of(page) == "working"
        assert page.locator("#timeline li[data-event=resume]").count() == 1
        screenshot(page, f"{shot}-resumed")

        # The office blacklists the contractor; the site shows it, on its page and in the list.
        switch_account(page, base, "dust-office")
        page.goto(f"{base}/sources/construction_site")
        page.click("a[data-page='/sources/construction_site/blacklist']")
        page.wait_for_load_state("networkidle")
        form = page.locator("#blacklist-form")
        form.locator("input[name=contractor]").fill(contractor)
        form.locator("textarea[name=reason]").fill("扬尘防治不力，一票停工")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-flash=ok]").count() == 1
        row = page.locator(f"#blacklist tr[data-contractor='{contractor}']")
        assert row.count() == 1 and key in row.inner_text()
        screenshot(page, f"{shot}-blacklist")
        switch_account(page, base, "chengguan")
        page.goto(site_url)
        assert page.locator("[data-mark='contractor blacklisted']").count() == 1
        assert "扬尘防治不力" in page.locator("#panel-blacklist").inner_text()
        screenshot(page, f"{shot}-marked")
        page.goto(f"{base}/sources/construction_site?q={key}")
        listed = page.locator(f"#entries tr[data-key='{key}'] [data-mark]")
        assert listed.count() == 1 and "黑名单" in listed.inner_text()
        # The township may not blacklist: no form.
        page.goto(f"{base}/sources/construction_site/blacklist")
        assert page.locator("#blacklist-form").count() == 0
        assert outside == []
    finally:
        context.close()
