"""A warning issued for one township, as the office and the public see it (issue 14), at desktop
(1280 px) and phone (390 px) width: the township on the tile of every dashboard, on the decision
log and highlighted on the public map; the notice previewed before sending and naming the township,
not 「全市」; the Word and PDF downloads real files holding the township's name (the PDF with its
CJK font embedded); and the delivery list saying why no notice went out.

Each run issues a blue warning for 米村镇 through the decision form and lifts it again at the end,
so the shared test server is left without a warning in force.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from docx import Document
from playwright.sync_api import Browser, BrowserContext, Page
from pypdf import PdfReader

from tests.browser.conftest import LiveServer, Outside, screenshot, sign_in

OFFICE = "warnings-office"  # a campaign_office account of its own (tests/browser/conftest.py)
TOWNSHIP = "410183101"
TOWNSHIP_NAME = "米村镇"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=sorted(VIEWPORTS))
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, BrowserContext]]:
    made = browser.new_context(
        viewport=VIEWPORTS[request.param], locale="zh-CN", accept_downloads=True
    )
    yield request.param, made
    made.close()


def _guarded(context: BrowserContext, server: LiveServer, outside: Outside) -> Page:
    opened = context.new_page()

    def guard(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(server.url) or url.startswith("data:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.urls.append(url)
            route.abort()  # type: ignore[attr-defined]

    opened.route("**/*", guard)
    return opened


def _fill_decision(page: Page, action: str, level: str, reason: str) -> None:
    page.select_option("select[name=action]", action)
    page.select_option("select[name=level]", level)
    for box in page.locator("input[name=areas]").all():
        box.set_checked(box.get_attribute("value") == TOWNSHIP)
    page.fill("textarea[name=reason]", reason)


def _lift(page: Page, server: LiveServer) -> None:
    """Lift the warning (when the account reached the form), leaving the shared server as found."""
    page.goto(server.url + "/office/warnings")
    if page.locator("select[name=action]").count() == 0:
        return
    _fill_decision(page, "lift", "", "测试结束，解除预警")
    page.click("form[action='/office/warnings/decide'] button:not([formaction])")
    page.wait_for_load_state("networkidle")


def _pdf_text(data: bytes) -> str:
    """The PDF's text (pypdf), without spaces, line breaks and the NULs pypdf puts between
    characters of fpdf2's CID fonts (poppler's pdftotext reads the same file cleanly)."""
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"[\s\x00]+", "", text)


def test_blue_warning_for_one_township_shows_its_areas_and_notice(
    sized: tuple[str, BrowserContext], live_server: LiveServer, outside: Outside
) -> None:
    width, context = sized
    page = _guarded(context, live_server, outside)
    sign_in(page, live_server.url, OFFICE)
    page.goto(live_server.url + "/office/warnings")
    try:
        _fill_decision(page, "issue", "blue", "预报米村镇日AQI>150持续2天")
        # Preview: nothing recorded yet, the notice names the township and not the whole city.
        page.click("#preview-notice")
        page.wait_for_load_state("networkidle")
        notice = page.locator("#notice").inner_text()
        assert f"在{TOWNSHIP_NAME}发布蓝色预警" in notice, notice
        assert "全市" not in notice
        assert TOWNSHIP_NAME in page.locator("#notice-areas").inner_text()
        # No recipient is configured on the test server: the preview says so before sending.
        assert "未配置任何收件人" in page.locator("#no-recipients").inner_text()
        screenshot(page, f"warning-preview-{width}")
        assert "预览" in page.locator("h1").inner_text()
        # Printing shows the notice alone.
        page.emulate_media(media="print")
        assert page.locator("nav").first.is_hidden() and page.locator("#notice").is_visible()
        page.emulate_media(media="screen")

        page.click("#confirm-decision button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert re.search(r"/office/warnings/decisions/\d+$", page.url), page.url
        flashed = page.locator("[data-flash]").first.inner_text()
        assert "决定已记录" in flashed and "未配置收件人" in flashed, flashed
        assert f"在{TOWNSHIP_NAME}发布蓝色预警" in page.locator("#notice").inner_text()
        assert "已发送通知：0" in page.locator("#no-deliveries").inner_text()
        screenshot(page, f"warning-notice-{width}")

        # The Word and PDF downloads: valid files holding the township's name.
        with page.expect_download() as word:
            page.click("#notice-docx")
        word_text = "\n".join(p.text for p in Document(word.value.path()).paragraphs)
        assert f"在{TOWNSHIP_NAME}发布蓝色预警" in word_text and "全市" not in word_text
        with page.expect_download() as pdf:
            page.click("#notice-pdf")
        pdf_bytes = pdf.value.path().read_bytes()
        assert pdf_bytes.startswith(b"%PDF-")
        assert f"在{TOWNSHIP_NAME}发布蓝色预警" in _pdf_text(pdf_bytes)
        fonts = PdfReader(io.BytesIO(pdf_bytes)).pages[0]["/Resources"]["/Font"]
        embedded = [f.get_object()["/DescendantFonts"][0].get_object() for f in fonts.values()]
        assert all("/FontFile3" in d["/FontDescriptor"] for d in embedded), "CJK font not embedded"

        # The decision log names the township.
        page.goto(live_server.url + "/office/warnings")
        row = page.locator("#decisions tr[data-decision]").first
        assert TOWNSHIP_NAME in row.locator(".decision-areas").inner_text()
        assert TOWNSHIP_NAME in page.locator("#warning-areas").inner_text()

        # The office dashboard's tile.
        page.goto(live_server.url + "/office")
        assert TOWNSHIP_NAME in page.locator("#warning-areas").inner_text()

        # The public page: the tile and the map (the county holding the township coloured blue,
        # the township named in the map's title).
        page.goto(live_server.url + "/")
        assert TOWNSHIP_NAME in page.locator("#warning-areas").inner_text()
        page.wait_for_function(
            "() => { const c = echarts.getInstanceByDom(document.getElementById('map'));"
            " return c && c.getOption().geo && c.getOption().geo[0].regions.length > 0; }"
        )
        option = page.evaluate(
            "() => { const o = echarts.getInstanceByDom(document.getElementById('map')).getOption();"
            " return {regions: o.geo[0].regions, title: o.title[0].text}; }"
        )
        blue = page.evaluate(
            "() => JSON.parse(document.getElementById('warning-json').text).colour"
        )
        coloured = [
            r["name"]
            for r in option["regions"]
            if (r.get("itemStyle") or {}).get("areaColor") == blue
        ]
        assert blue and coloured == ["新密市"], coloured  # the county of 米村镇, and only it
        assert TOWNSHIP_NAME in option["title"] and "全市" not in option["title"]
        screenshot(page, f"warning-public-map-{width}", full_page=False)
    finally:
        _lift(page, live_server)
    assert outside.urls == []


def test_a_district_dashboard_names_the_warned_township(
    sized: tuple[str, BrowserContext], live_server: LiveServer, outside: Outside
) -> None:
    width, context = sized
    office = _guarded(context, live_server, outside)
    sign_in(office, live_server.url, OFFICE)
    office.goto(live_server.url + "/office/warnings")
    try:
        _fill_decision(office, "issue", "blue", "预报米村镇日AQI>150")
        office.click("form[action='/office/warnings/decide'] button:not([formaction])")
        office.wait_for_load_state("networkidle")
        district = context.browser.new_context(  # type: ignore[union-attr]
            viewport=VIEWPORTS[width], locale="zh-CN"
        )
        try:
            page = _guarded(district, live_server, outside)
            sign_in(page, live_server.url, "jinshui")  # 金水区, a Zhengzhou district
            page.goto(live_server.url + "/office")
            shown = page.locator("#warning-areas").inner_text()
            assert TOWNSHIP_NAME in shown and "全市" not in shown
            screenshot(page, f"warning-district-dashboard-{width}", full_page=False)
        finally:
            district.close()
    finally:
        _lift(office, live_server)
    assert outside.urls == []
