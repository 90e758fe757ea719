"""A register entry walked in the browser as a township's staff would: download the kind's
template, fill one row, upload it, then take the entry through its steps and field checks (with
photos from the "camera") to its closing-off. Parametrised over a kind and its steps, so each
kind's tests call :func:`walk_entry` with their own row and steps."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page
from sqlalchemy.orm import Session, sessionmaker

from lantian.sources.demo import png_photo
from tests.browser.conftest import screenshot, sign_in

#: The township every walk files its entry in: 新密市城关镇, where the ``chengguan`` account works.
TOWNSHIP = "410183100"


@dataclass(frozen=True)
class Step:
    """A lifecycle step taken with the step's form (``note`` typed in, files attached)."""

    event: str
    note: str = ""
    #: Another account takes this step (the lifecycle gives it only to the office or the
    #: inspectors): the walk signs in as ``by`` for the step, then back as the township.
    by: str | None = None
    #: Documents attached with the step's form (a step that requires its file: an application
    #: letter, a review opinion, an approval), as PDF files named ``<event>-<n>.pdf``.
    files: int = 0


@dataclass(frozen=True)
class Check:
    """A field check: each item's result (pass/fail/na), item notes, and ``photos`` pictures."""

    results: Mapping[str, str]
    photos: int = 0
    notes: Mapping[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Walk:
    """One kind's walk: its template row (header → cell) and the steps to its closed state.

    A group of kinds keeps its walks in a module ``tests/browser/walks_<group>.py`` with a function
    ``walks(width) -> dict[str, Walk]`` (keys unique per width, e.g. ``f"GD-W{width}"``); the test
    ``test_source_walks`` collects them and fails for a kind without one."""

    row: Mapping[str, str]
    steps: Sequence[Step | Check]
    closed: str
    #: What the walk needs in the server's database before the township imports its row (e.g.
    #: the emission inventory's enterprise a discharge permit names); must be idempotent.
    prepare: Callable[[sessionmaker[Session]], None] | None = None


def common(key: str, name: str, unit: str, deadline: str = "2030-12-31") -> dict[str, str]:
    return {
        "编号": key,
        "名称": name,
        "乡镇代码": TOWNSHIP,
        "责任单位代码": unit,
        "地址": "新密市城关镇东关村",
        "经度": "113.39",
        "纬度": "34.54",
        "完成时限": deadline,
    }


def filled_template(page: Page, base: str, kind: str, row: Mapping[str, str], folder: Path) -> Path:
    """The template as the list page offers it, downloaded, with ``row`` (header → value) filled."""
    page.goto(f"{base}/sources/{kind}")
    with page.expect_download() as download_info:
        page.click("#template-link")
    workbook = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    sheet = workbook.worksheets[0]
    headers = [str(cell.value or "") for cell in sheet[1]]
    for column, header in enumerate(headers, start=1):
        for name, value in row.items():
            if header == name or header.split(" ")[0] == name:
                sheet.cell(row=2, column=column, value=value)
    path = folder / f"{kind}-filled.xlsx"
    workbook.save(path)
    return path


def switch_account(page: Page, base: str, username: str) -> None:
    """Sign out through the page's own button and sign in as ``username``."""
    with page.expect_navigation():
        page.click("form[action='/logout'] button[type=submit]")
    sign_in(page, base, username)


def walk_entry(
    page: Page,
    base: str,
    kind: str,
    row: Mapping[str, str],
    steps: Sequence[Step | Check],
    folder: Path,
    *,
    final_state: str,
    shot: str,
    walker: str = "chengguan",
) -> None:
    """Import ``row`` through the import page, open its entry, take ``steps`` and check that the
    entry ends in ``final_state`` with every step on its timeline. Screenshots: ``shot``-*.png.

    ``walker`` is the account signed in for the walk: a step with ``by`` is taken as that account,
    and the walk signs back in as ``walker`` on the entry's page afterwards."""
    path = filled_template(page, base, kind, row, folder)
    page.goto(f"{base}/sources/{kind}/import")
    page.set_input_files("#import-form input[name=upload]", str(path))
    with page.expect_navigation():
        page.click("#import-form button[type=submit]")
    assert page.url.startswith(f"{base}/sources/{kind}"), page.url
    flash = page.locator("[data-flash=ok]").inner_text()
    assert "新增 1" in flash or "1 created" in flash, flash
    key = next(v for k, v in row.items() if k.startswith("编号"))
    page.click(f"#entries tr[data-key='{key}'] a")
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{shot}-registered")
    entry_url = page.url
    for number, action in enumerate(steps):
        if isinstance(action, Step) and action.by is not None:
            # Only a step the walker may not take is handed to another account.
            offered = page.locator(f"#steps form[data-event='{action.event}']").count()
            assert offered == 0, f"{walker} is offered {action.event}: no need for {action.by}"
            switch_account(page, base, action.by)
            page.goto(entry_url)
        if isinstance(action, Step):
            form = page.locator(f"#steps form[data-event='{action.event}']")
            assert form.count() == 1, f"no {action.event} step offered"
            if action.note:
                form.locator("textarea[name=note]").fill(action.note)
            if action.files:
                form.locator("input[name=files]").set_input_files(
                    [
                        {
                            "name": f"{action.event}-{i + 1}.pdf",
                            "mimeType": "application/pdf",
                            "buffer": f"%PDF-1.4 {action.event} {i + 1}".encode(),
                        }
                        for i in range(action.files)
                    ]
                )
            with page.expect_navigation():
                form.locator("button[type=submit]").click()
        else:
            form = page.locator("#check-form")
            for item, result in action.results.items():
                form.locator(f"select[name=item_{item}]").select_option(result)
            for item, text in action.notes.items():
                form.locator(f"input[name=note_{item}]").fill(text)
            if action.note:
                form.locator("textarea[name=note]").fill(action.note)
            if action.photos:
                assert form.locator("input[name=photos]").get_attribute("capture") == "environment"
                form.locator("input[name=photos]").set_input_files(
                    [
                        {
                            "name": f"现场{i + 1}.png",
                            "mimeType": "image/png",
                            "buffer": png_photo(64, 48, (60 + 30 * i, 140, 200 - 25 * i), i),
                        }
                        for i in range(action.photos)
                    ]
                )
            with page.expect_navigation():
                form.locator("button[type=submit]").click()
        errors = page.locator("#form-error")
        assert errors.count() == 0, errors.inner_text()
        assert page.locator("[data-flash=ok]").count() == 1
        if isinstance(action, Step) and action.by is not None:
            switch_account(page, base, walker)
            page.goto(entry_url)
        if number == 1:
            page.wait_for_load_state("networkidle")  # the entry's map drawn for the screenshot
            screenshot(page, f"{shot}-step-{number}")
    assert page.locator("#entry-state").get_attribute("data-state") == final_state
    events = page.locator("#timeline li[data-event]")
    taken = [e.get_attribute("data-event") for e in events.all()]
    wanted = [a.event if isinstance(a, Step) else "checked" for a in steps]
    assert [e for e in taken if e in set(wanted)] == wanted, taken
    for action in steps:
        if isinstance(action, Step) and action.by is not None:
            # The timeline credits the step to the account that took it, not to the walker.
            credited = page.locator(f"#timeline li[data-event='{action.event}']").last.inner_text()
            assert action.by in credited, credited
    photos = sum(a.photos for a in steps if isinstance(a, Check))
    assert page.locator("#timeline .files img").count() == photos
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{shot}-done")
