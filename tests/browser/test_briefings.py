"""The briefings page (issue 18) in the browser: the office makes the weekly briefing of the
server's data week through the form, the page lists it with its 文号, and the Word, PDF and Excel
downloads are real files holding the title, the sections and the week's figures (the demo week's
figures are checked in tests/briefings)."""

from __future__ import annotations

import io

from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import Page

from tests.briefings.test_briefings import pdf_text
from tests.browser.conftest import LiveServer, Outside, screenshot, sign_in

OFFICE = "briefing-office"  # a campaign_office account of its own (tests/browser/conftest.py)
#: The server holds Zhengzhou's stations on 2019-02-20 (conftest.DAY_FILE): the week 02-18…02-24.
DAY = "2019-02-20"


def test_the_office_makes_and_downloads_the_weekly_briefing(
    page: Page, live_server: LiveServer, outside: Outside
) -> None:
    sign_in(page, live_server.url, OFFICE)
    page.click("#nav-briefings")
    page.wait_for_url("**/briefings")
    page.select_option("#briefing-form select[name=kind]", "weekly")
    page.fill("#briefing-form input[name=day]", DAY)
    page.click("#briefing-make")
    page.wait_for_url("**/briefings")
    row = page.locator("#briefings tbody tr[data-first='2019-02-18'][data-kind='weekly']")
    assert row.count() == 1
    number = row.locator("td").first.inner_text()
    assert number.startswith("新密市攻坚办〔2019〕第") and number.endswith("期")
    screenshot(page, "briefings")

    with page.expect_download() as word:
        row.locator("a[data-format=docx]").click()
    paragraphs = [p.text for p in Document(word.value.path()).paragraphs]
    assert paragraphs[0] == "新密市大气污染防治攻坚战工作周报" and paragraphs[1] == number
    body = "\n".join(paragraphs)
    assert "一、全市空气质量状况" in body and "七、环境执法情况" in body
    # The server's day file holds 8 hours: no valid day (GB 3095 needs 20), said, never filled.
    assert "全市有效监测0天（共7天，7天无有效数据）" in body, body

    with page.expect_download() as pdf:
        row.locator("a[data-format=pdf]").click()
    data = pdf.value.path().read_bytes()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert number in text and "二、各乡镇（街道）空气质量排名" in text

    with page.expect_download() as excel:
        row.locator("a[data-format=xlsx]").click()
    book = load_workbook(io.BytesIO(excel.value.path().read_bytes()))
    summary = {r[0]: r[1] for r in book["概况"].iter_rows(values_only=True)}
    assert summary["文号"] == number and summary["无数据天数"] == 7
    # The office page's tile names the newest briefing and leads to the list.
    page.goto(live_server.url + "/office")
    assert page.locator("#briefing-latest .value").inner_text() == number
    assert outside.urls == []
