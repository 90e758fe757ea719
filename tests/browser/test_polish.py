"""Issue 14 in a real browser, at phone (390 px) and desktop (1280 px) width: township and
inspector pages never scroll sideways and their tables scroll in their own box, ``/api/docs``
works with no request leaving lantian, ``/favicon.ico`` answers, Chinese pages show no raw codes
or doubled "中文 / English" messages, and a locked account reads like an unknown name.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page

from lantian import clock
from tests.browser.conftest import LiveServer, Outside, screenshot, sign_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: The pages a township account and an inspector use on the road.
PAGES = {
    "jinshui": [
        "/office",
        "/office/areas/410105",
        "/stations/1316A",
        "/cases",
        "/account",
    ],
    "inspector": [
        "/office",
        "/office/areas/410105",
        "/cases",
        "/cases/new",
        "/emissions",
        "/account",
    ],
}
#: A code where a label belongs: ``in_force``, ``plan.add``, ``sample.cems_exceedance`` …, an
#: area's nine- or six-digit code, or a message doubled "中文 / English".
RAW_CODE = re.compile(r"\b[a-z]+(?:[_.][a-z]+)+\b|(?<![\d.])4\d{5}(?:\d{3})?(?![\d.])")
DOUBLED = re.compile(r"[\u4e00-\u9fff）] / [A-Za-z]")


def new_page(
    browser: Browser, live_server: LiveServer, outside: Outside, size: dict[str, int]
) -> Page:
    context = browser.new_context(viewport=size, locale="zh-CN", device_scale_factor=1)
    opened = context.new_page()

    def guard(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        if request.url.startswith(live_server.url) or request.url.startswith("data:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.urls.append(request.url)
            route.abort()  # type: ignore[attr-defined]

    opened.route("**/*", guard)
    return opened


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390px", "1280px"])
@pytest.mark.parametrize("username", ["jinshui", "inspector"])
def test_pages_never_scroll_sideways_and_tables_scroll_in_their_box(
    browser: Browser, live_server: LiveServer, outside: Outside, username: str, size: dict[str, int]
) -> None:
    page = new_page(browser, live_server, outside, size)
    sign_in(page, live_server.url, username)
    wide_tables = 0
    for path in PAGES[username]:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"{path} scrolls sideways at {size['width']} px"
        # The brand, the account and the navigation take at most two rows: a phone keeps its
        # screen for the page.
        header = page.locator("header.topbar").bounding_box()
        assert header is not None and header["height"] <= 110, f"{path}: header {header}"
        # Every table wider than the screen scrolls inside its own box, the page stays put.
        scrolled = page.evaluate(
            """() => Array.from(document.querySelectorAll('main table')).filter(
                   t => t.scrollWidth > document.documentElement.clientWidth - 20 ||
                        t.parentElement.scrollWidth > t.parentElement.clientWidth)
                 .map(t => {
                   const box = getComputedStyle(t).overflowX === 'auto' ? t : t.parentElement;
                   box.scrollLeft = 60;
                   return [getComputedStyle(box).overflowX, box.scrollLeft > 0,
                           document.scrollingElement.scrollLeft];
                 })"""
        )
        for overflow_x, moved, page_left in scrolled:
            assert overflow_x in ("auto", "scroll") and moved and page_left == 0, path
        wide_tables += len(scrolled)
        name = path.strip("/").replace("/", "-")
        screenshot(page, f"polish-{username}-{size['width']}-{name}", full_page=False)
    if size is PHONE:
        assert wide_tables >= 1  # the phone run did meet a wide table to scroll
    assert outside.urls == []
    page.context.close()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_api_docs_render_from_lantian_alone_and_the_favicon_answers(
    browser: Browser, live_server: LiveServer, outside: Outside, size: dict[str, int]
) -> None:
    page = new_page(browser, live_server, outside, size)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    response = page.goto(live_server.url + "/api/docs")
    assert response is not None and response.status == 200
    page.wait_for_selector(".swagger-ui .information-container .title", timeout=20000)
    assert "lantian" in page.locator(".swagger-ui .title").first.inner_text()
    page.wait_for_selector(".opblock-summary-path", timeout=20000)
    assert page.locator(".opblock-summary-path").count() > 10  # the operations are listed
    page.wait_for_load_state("networkidle")
    screenshot(page, f"polish-api-docs-{size['width']}", full_page=False)
    assert outside.urls == [], "Swagger UI asked for something outside lantian"
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in asked)
    icon = page.request.get(live_server.url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page.context.close()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_chinese_pages_show_labels_not_codes(
    browser: Browser, live_server: LiveServer, outside: Outside, size: dict[str, int]
) -> None:
    page = new_page(browser, live_server, outside, size)
    sign_in(page, live_server.url, "jinshui")
    for path in PAGES["jinshui"]:
        page.goto(live_server.url + path)
        text = page.locator("main").inner_text()
        assert not RAW_CODE.findall(text), f"{path}: {RAW_CODE.findall(text)}"
        assert not DOUBLED.findall(text), path
    page.goto(live_server.url + "/account")
    assert "金水区" in page.locator("main").inner_text()  # the scope by its name, not 410105
    # A service's message in the page's language only (here the error page of a refused area).
    page.goto(live_server.url + "/office/areas/410183100")
    message = page.locator("main").inner_text()
    assert "无权" in message and "you may not" not in message
    page.context.close()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_a_locked_account_reads_like_an_unknown_name(
    browser: Browser, live_server: LiveServer, outside: Outside, size: dict[str, int]
) -> None:
    page = new_page(browser, live_server, outside, size)
    # One instant for the whole test (the server runs in this process): the messages name the
    # latest unlock time to the minute, and a minute may turn between two attempts.
    with clock.use(clock.FrozenClock(clock.now()), process_wide=True):
        for _ in range(6):  # the fifth locks; the sixth is refused during the lock
            sign_in(page, live_server.url, "lockme", "not-the-password")
        locked = page.locator("p.error").inner_text()
        sign_in(page, live_server.url, "lockme")  # the right password, during the lock
        locked_right = page.locator("p.error").inner_text()
        sign_in(page, live_server.url, f"nobody-{size['width']}", "not-the-password")
        unknown = page.locator("p.error").inner_text()
        assert locked == locked_right == unknown
        assert re.search(r"最迟于 \d\d:\d\d 解锁", unknown) and " / " not in unknown
        overflow = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1]
        screenshot(page, f"polish-lockout-{size['width']}", full_page=False)
        # An administrator ends the lock (for the next run of this test at the other width).
        sign_in(page, live_server.url, "admin")
        page.goto(live_server.url + "/admin/users")
        page.click("form[data-unlock='lockme'] button")
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-flash=ok]").inner_text() == "账户 lockme 已解锁"
        assert page.locator("form[data-unlock='lockme']").count() == 0
    page.context.close()
