"""Every hostile evidence file through every face that keeps files: a register step (service,
page, API, CLI), an inspection case (service, page, CLI) and a progress report's evidence."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lantian.sources.demo import png_photo
from tests.hostile.faces import (
    EVIDENCE,
    Faces,
    _check_refusals,
)
from tests.web.test_source_pages import csv_of, firm

pytestmark = pytest.mark.db


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
