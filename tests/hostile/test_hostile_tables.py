"""Every hostile table through every import face: registers (service, page, API, CLI), weather,
the emissions inventory and electricity readings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, func, select

from lantian.db.engine import transaction
from lantian.files import FileStore
from lantian.web.i18n import LANGUAGE_COOKIE
from tests.hostile.corpus import Hostile, table_corpus
from tests.hostile.faces import (
    OFFICE,
    TABLES,
    Faces,
    Outcome,
    _applies,
    _check_refusals,
    _cli_outcome,
    _http_outcome,
    _service_outcome,
)
from tests.web.test_source_pages import Site, csv_of, firm

pytestmark = pytest.mark.db


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
