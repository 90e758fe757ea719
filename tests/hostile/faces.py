"""The faces that accept files, and the refusal check the hostile-file tests share (issue 20).

Each hostile file must be refused with its message (Chinese, then the English fragment the corpus
names), nothing written, nothing kept in the file store, and the process healthy: a normal file
afterwards still imports. The figure "hostile files × faces tried, refused" is printed in the
test summary (tests/hostile/conftest.py).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import ServiceError
from lantian.files import FileStore
from lantian.sources import service
from lantian.sources.kinds.scattered import ScatteredEnterprise
from lantian.sources.models import SourceFile, SourceImport
from lantian.sources.registry import kind_of
from lantian.supervision import service as supervision
from lantian.supervision.models import CaseEvidence, InspectionCase
from lantian.web.i18n import LANGUAGE_COOKIE
from tests.hostile.corpus import Hostile, evidence_corpus, table_corpus
from tests.web.test_source_pages import HEADER, KIND, Site

OFFICE = Principal("office", "campaign_office")
TABLES = table_corpus(HEADER)
EVIDENCE = evidence_corpus()


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
