"""The pages as people use them, in headless Chromium against a live lantian server.

Each test saves a screenshot to ``test-artifacts/browser/`` (CI keeps them as artifacts).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.browser.conftest import LiveServer, Outside, screenshot, sign_in

DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"


def published_aqi(server: LiveServer, hour: str) -> dict[str, str]:
    """The officially published AQI of every station at ``hour`` of 2019-02-20."""
    lines = (server.shared_dir / DAY_FILE).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    for line in lines[1:]:
        cells = line.split(",")
        if cells[:3] == ["20190220", hour, "AQI"]:
            return dict(zip(header[3:], cells[3:], strict=False))
    raise AssertionError("no AQI row")


def test_public_page_shows_the_real_published_aqi(
    page: Page, live_server: LiveServer, outside: Outside
) -> None:
    response = page.goto(live_server.url + "/")
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text() == "空气质量实时发布"
    assert "2019年02月20日 06时" in page.locator("#data-time").inner_text()
    published = published_aqi(live_server, "6")
    # What a reader sees in the table: station code → AQI badge (one call for 1,600 rows).
    shown = page.locator("#realtime tbody tr[data-station]").evaluate_all(
        """rows => Object.fromEntries(rows
            .filter(r => r.querySelector('td.aqi .badge'))
            .map(r => [r.dataset.station, r.querySelector('td.aqi .badge').textContent]))"""
    )
    compared = [code for code in shown if published.get(code)]
    assert len(compared) >= 7
    for code in compared:
        assert shown[code] == published[code], code
    # The map is drawn from lantian's own boundary file: ECharts made its canvas.
    page.wait_for_selector("#map canvas")
    page.wait_for_load_state("networkidle")
    screenshot(page, "public-page", full_page=False)
    assert outside.urls == [], "the page asked for something outside lantian"


def test_station_page_draws_its_charts(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/stations/1316A")
    assert "烟厂" in page.locator("h1").inner_text()
    page.wait_for_selector("#hourly canvas")
    page.wait_for_selector("#calendar canvas")
    screenshot(page, "station-page")


def test_signing_in_opens_the_dashboard(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/office")
    assert page.url.startswith(live_server.url + "/login")  # signed-out: sent to sign in
    sign_in(page, live_server.url, "office")
    # Signed in from the sign-in page itself, the office lands on its overview (issue 14).
    assert page.url == live_server.url + "/overview"
    page.goto(live_server.url + "/office")
    assert re.fullmatch(r"\d+", page.locator("#city-aqi .badge").inner_text())
    ranked = page.locator("#area-ranking tbody tr[data-area]")
    assert ranked.count() >= 3
    page.wait_for_selector("#trend canvas")
    screenshot(page, "office-dashboard", full_page=False)
    # A wrong password is refused with the message, not a crash.
    page.click("form[action='/logout'] button")
    sign_in(page, live_server.url, "office", "not-the-password")
    assert page.locator(".error").count() == 1
    assert page.url.startswith(live_server.url + "/login")


def test_township_account_is_refused_another_townships_data(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server.url, "jinshui")
    own = page.goto(live_server.url + "/office/areas/410105")
    assert own is not None and own.status == 200
    assert "金水区" in page.locator("#area-name").inner_text()
    other = page.goto(live_server.url + "/office/areas/410103")
    assert other is not None and other.status == 403
    assert "410103" in page.locator("#forbidden").inner_text()
    screenshot(page, "township-refused")
    # Nor may a township account open the accounts.
    accounts = page.goto(live_server.url + "/admin/users")
    assert accounts is not None and accounts.status == 403


def test_form_post_without_csrf_token_is_refused(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/admin/users")
    form = page.locator("#add-user")
    form.locator("input[name=username]").fill("forged")
    # What a forged cross-site post carries: the session cookie, no form token.
    form.evaluate("f => f.querySelector('input[name=csrf]').remove()")
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    assert navigation.value is not None and navigation.value.status == 403
    screenshot(page, "csrf-refused")
    page.goto(live_server.url + "/admin/users")
    assert page.locator("tr[data-user=forged]").count() == 0
    # The same form with its token works and shows the temporary password once.
    page.locator("#add-user input[name=username]").fill("erqi")
    page.locator("#add-user select[name=role]").select_option("township")
    page.locator("#add-user input[name=scope]").fill("410103")
    page.locator("#add-user button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#temporary-password code").inner_text()
    assert page.locator("tr[data-user=erqi]").count() == 1


def test_reset_password_must_be_changed_at_sign_in(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/admin/users")
    page.locator("tr[data-user=office] form[action$='/reset'] button").click()
    page.wait_for_load_state("networkidle")
    temporary = page.locator("#temporary-password code").inner_text()
    page.click("form[action='/logout'] button")
    sign_in(page, live_server.url, "office", temporary)
    assert page.url.startswith(live_server.url + "/account")
    assert page.locator("#must-change").count() == 1
    page.fill("input[name=current_password]", temporary)
    page.fill("input[name=new_password]", "新的密码-2017-winter")
    page.fill("input[name=repeat_password]", "新的密码-2017-winter")
    page.click("form[action='/account/password'] button")
    page.wait_for_load_state("networkidle")
    # On to the landing page: the overview for the office (issue 14).
    assert page.url == live_server.url + "/overview"
    screenshot(page, "password-changed")


def test_english_switch(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/stations/1316A")
    page.click("#lang-switch")
    page.wait_for_load_state("networkidle")
    assert page.url == live_server.url + "/stations/1316A"
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Hourly AQI, last 7 days" in page.content()
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Real-time air quality"
    screenshot(page, "public-page-english", full_page=False)
    page.click("#lang-switch")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "空气质量实时发布"
