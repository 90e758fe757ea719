"""Forms as people fill them (issue 14), in Chromium at desktop (1280 px) and phone (390 px) width:
invalid cases refused beside their fields, a refused form keeping what was typed, success said and
redirected (a reload never posts again), the township's one-page monthly report, and the office's
data review.

The server is this module's own (the shared one holds no plan): the browser harness's database with
the Zhengzhou day file and its QC flags, the default plan with its sample reports, and the office,
an inspector and the 米村镇 township account.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page

from lantian.auth import passwords
from lantian.auth.service import add_user
from lantian.campaign.demo import load_sample_progress
from lantian.config import Settings
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring import review
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.web.app import create_app
from tests.browser.conftest import DAY_FILE, PASSWORD, LiveServer, _free_port, screenshot, sign_in
from tests.support.hashing import FAST_HASHER

ACCOUNTS = {
    "office": ("campaign_office", None),
    "micun": ("township", "410183101"),  # 米村镇 (Xinmi)
}
#: Desktop and phone: every test runs at both.
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def forms_server(
    shared_dir: Path, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("forms-server")
    database = folder / "lantian.sqlite3"
    shutil.copyfile(sqlite_template, database)
    engine = create_db_engine(f"sqlite:///{database}")
    sessions = session_factory(engine)
    stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
    import_cnemc_file(sessions, shared_dir / DAY_FILE, folder, stations)
    load_sample_progress(sessions, DEFAULT_PLAN_DIR, folder)
    with passwords.using_hasher(FAST_HASHER):
        with transaction(sessions) as session:
            review.run_automatic_qc(session, date(2019, 2, 20), date(2019, 2, 20))
            for username, (role, scope) in ACCOUNTS.items():
                add_user(session, username=username, role=role, scope=scope, password=PASSWORD,
                         actor="test")  # fmt: skip
        port = _free_port()
        app = create_app(Settings(data_dir=folder), engine)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the lantian test server did not start", pytrace=False)
            time.sleep(0.05)
        yield LiveServer(f"http://127.0.0.1:{port}", shared_dir)
        server.should_exit = True
        thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(params=list(WIDTHS))
def at_width(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[Page, str]]:
    context = browser.new_context(viewport=WIDTHS[request.param], locale="zh-CN")
    yield context.new_page(), request.param
    context.close()


def no_client_checks(page: Page, form: str) -> None:
    """Post the form as typed, without the browser's own checks (required, min): what the server
    answers is under test (a script, an old browser or a crafted post skips them too)."""
    page.locator(form).evaluate("form => { form.noValidate = true; }")


def error_beside(page: Page, form: str, field: str) -> str:
    """The problem shown beside ``field`` (inside its label), which must be visible."""
    problem = page.locator(f"{form} [data-error-for='{field}']")
    assert problem.count() >= 1, f"no problem shown beside {field}"
    assert problem.first.is_visible()
    return problem.first.inner_text()


def record_case(page: Page, base: str, title: str, area: str = "410183101") -> str:
    page.goto(f"{base}/cases/new")
    page.fill("#case-new-form input[name=title]", title)
    page.fill("#case-new-form input[name=area_code]", area)
    page.click("#case-new-form button[type=submit]")
    page.wait_for_load_state()
    assert "/cases/" in page.url and not page.url.endswith("/new"), page.url
    return page.url


def test_forwarding_without_a_unit_is_refused_beside_the_field_with_the_text_kept(
    at_width: tuple[Page, str], forms_server: LiveServer
) -> None:
    page, width = at_width
    base = forms_server.url
    sign_in(page, base, "office")
    case_url = record_case(page, base, f"道路扬尘未清扫 {width}")
    form = "#step-form"
    page.select_option(f"{form} select[name=event]", "forward")
    unit = page.locator(f"{form} input[name=unit_code]")
    # The step's own fields: the unit shown and required for forwarding, evidence for all.
    assert unit.is_visible() and unit.evaluate("input => input.required")
    page.fill(f"{form} textarea[name=note]", "请城关镇牵头整改，三日内反馈")
    no_client_checks(page, form)
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    assert "responsible unit" in error_beside(page, form, "unit_code") or "责任单位" in (
        error_beside(page, form, "unit_code")
    )
    assert (
        page.locator(f"{form} textarea[name=note]").input_value() == "请城关镇牵头整改，三日内反馈"
    )
    assert page.locator("#case-state").inner_text().startswith("交办")  # not forwarded
    screenshot(page, f"forms-forward-refused-{width}")
    # Chosen from the plan's units, it goes through.
    page.select_option(f"{form} select[name=event]", "forward")
    page.fill(f"{form} input[name=unit_code]", "hbj")
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    assert page.url == case_url
    assert page.locator("#case-state").inner_text().startswith("转办")
    assert page.locator("[data-flash=ok]").is_visible()


def test_a_case_for_an_unknown_area_and_unit_with_a_past_deadline_is_refused(
    at_width: tuple[Page, str], forms_server: LiveServer
) -> None:
    page, width = at_width
    base = forms_server.url
    sign_in(page, base, "office")
    page.goto(f"{base}/cases/new")
    form = "#case-new-form"
    # The plan's townships and units are offered as searchable choices.
    assert page.locator("#area-choices option[value='410183101']").count() == 1
    assert page.locator("#unit-choices option[value='hbj']").count() == 1
    page.fill(f"{form} input[name=title]", f"不存在的乡镇 {width}")
    page.fill(f"{form} textarea[name=description]", "现场发现料堆未覆盖")
    page.fill(f"{form} input[name=area_code]", "999999999")
    page.fill(f"{form} input[name=unit_code]", "nosuchunit")
    page.fill(f"{form} input[name=deadline]", "2001-01-01T09:00")
    page.select_option(f"{form} select[name=severity]", "major")
    no_client_checks(page, form)
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    assert "999999999" in error_beside(page, form, "area_code")
    assert "nosuchunit" in error_beside(page, form, "unit_code")
    error_beside(page, form, "deadline")
    assert page.locator(f"{form} input[name=title]").input_value() == f"不存在的乡镇 {width}"
    assert page.locator(f"{form} textarea[name=description]").input_value() == "现场发现料堆未覆盖"
    assert page.locator(f"{form} select[name=severity]").input_value() == "major"
    assert page.locator(f"{form} input[name=area_code]").input_value() == "999999999"
    screenshot(page, f"forms-case-refused-{width}")
    page.goto(f"{base}/cases")
    assert f"不存在的乡镇 {width}" not in page.content()


def test_a_refused_progress_report_keeps_what_was_typed(
    at_width: tuple[Page, str], forms_server: LiveServer
) -> None:
    page, width = at_width
    base = forms_server.url
    sign_in(page, base, "micun")
    page.goto(f"{base}/campaign/report?task=10&month=2018-01")
    form = "#report-form"
    text = f"完成气代煤入户排查，签约 120 户（{width}）。"
    page.select_option(f"{form} select[name=status]", "behind")
    page.fill(f"{form} textarea[name=text]", text)
    page.fill(f"{form} input[name=value_households_converted]", "一百二")
    page.set_input_files(f"{form} input[name=evidence]", files=[
        {"name": "合同.txt", "mimeType": "text/plain", "buffer": "签约合同".encode()}
    ])  # fmt: skip
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    assert "不是数字" in error_beside(page, form, "value_households_converted")
    assert page.locator(f"{form} textarea[name=text]").input_value() == text
    assert page.locator(f"{form} select[name=status]").input_value() == "behind"
    assert page.locator(f"{form} select[name=month]").input_value() == "2018-01"
    assert page.locator(f"{form} input[name=value_households_converted]").input_value() == "一百二"
    # A file cannot be kept by the browser: the page says to choose it again, by name.
    assert "合同.txt" in page.locator("[data-files-dropped]").inner_text()
    screenshot(page, f"forms-report-refused-{width}")


def test_success_is_confirmed_and_a_reload_posts_nothing(
    at_width: tuple[Page, str], forms_server: LiveServer
) -> None:
    page, width = at_width
    base = forms_server.url
    sign_in(page, base, "office")
    title = f"夜间渣土车未密闭 {width}"
    case_url = record_case(page, base, title)
    flash = page.locator("[data-flash=ok]")
    assert flash.is_visible() and "已登记" in flash.inner_text()
    # Redirected after the post: a reload asks for the page again, posts nothing, and the
    # message was said once.
    reloaded = page.reload()
    assert reloaded is not None and reloaded.request.method == "GET" and page.url == case_url
    assert page.locator("[data-flash]").count() == 0
    page.goto(f"{base}/cases")
    assert page.content().count(title) == 1


def test_a_township_reports_its_month_on_one_page(
    at_width: tuple[Page, str], forms_server: LiveServer
) -> None:
    page, width = at_width
    base = forms_server.url
    sign_in(page, base, "micun")
    page.goto(f"{base}/campaign/tasks")
    page.click("a[href='/campaign/monthly']")  # offered in the campaign's navigation
    page.goto(f"{base}/campaign/monthly?month=2018-03")
    assert "米村镇" in page.locator("#monthly-reporter").inner_text()
    rows = page.locator("#monthly-tasks [data-ref]")
    assert rows.count() >= 5
    first, second = (rows.nth(i).get_attribute("data-ref") for i in (0, 1))
    form = "#monthly-form"
    page.select_option(f"{form} select[name='status_{first}']", "in_progress")
    page.fill(f"{form} textarea[name='text_{first}']", f"第一项按计划推进（{width}）")
    page.select_option(f"{form} select[name='status_{second}']", "completed")
    page.click(f"{form} button[type=submit]")  # the second row has no progress text
    page.wait_for_load_state()
    error_beside(page, form, f"text_{second}")
    assert page.locator(f"{form} [data-error-for='text_{first}']").count() == 0
    assert page.locator(f"{form} textarea[name='text_{first}']").input_value() == (
        f"第一项按计划推进（{width}）"
    )
    assert page.locator(f"{form} select[name='status_{second}']").input_value() == "completed"
    screenshot(page, f"forms-monthly-refused-{width}")
    page.fill(f"{form} textarea[name='text_{second}']", "已全部完成")
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()
    assert "已报送 2 项任务" in page.locator("[data-flash=ok]").inner_text()
    reported = page.locator(f"#monthly-tasks [data-ref='{first}'] [data-reported]").inner_text()
    assert "待审核" in reported


def test_the_office_decides_a_flagged_value_in_the_browser(
    at_width: tuple[Page, str], forms_server: LiveServer
) -> None:
    page, width = at_width
    base = forms_server.url
    sign_in(page, base, "office")
    page.goto(f"{base}/office")
    page.click("nav a[href='/office/review']")  # offered in the navigation
    page.goto(f"{base}/office/review?month=2019-02")
    total = int(page.locator("#queue-total").inner_text())
    row = page.locator("#review-queue tbody tr[data-measurement]").first
    measurement = row.get_attribute("data-measurement")
    row.locator("input[name=valid][value='0']").check()
    row.locator("input[name=reason]").fill(f"仪器校准期间数据（{width}）")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert f"#{measurement}" in page.locator("[data-flash=ok]").inner_text()
    assert int(page.locator("#queue-total").inner_text()) == total - 1
    assert page.locator(f"tr[data-measurement='{measurement}']").count() == 0
    screenshot(page, f"forms-review-{width}")
