"""What every register's tests do through the one write path: import a file, find an entry, take a
step, record a check with a photo, find the cases a rule opened, evaluate, read an indicator.

New kinds' tests use these rather than copies (``from .helpers import …``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import IndicatorValue, RegisterKind
from lantian.sources.service import CheckInput, StepInput, UploadedFile
from lantian.supervision.models import InspectionCase

from .conftest import OFFICE

PHOTO = UploadedFile("site.jpg", b"\xff\xd8\xff\xe0 a photo taken on site \xff\xd9")


def import_file(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    kind: RegisterKind,
    content: bytes,
    who: Principal = OFFICE,
    filename: str = "台账.csv",
) -> service.ImportResult:
    with transaction(sessions) as session:
        return service.import_register(
            session, who, kind, content, filename, plan=plan, store=store
        )


def entry_id(sessions: sessionmaker[Session], kind: RegisterKind, key: str) -> int:
    with transaction(sessions) as session:
        found = session.scalar(select(kind.model).where(kind.model.key == key))
        assert found is not None, key
        return found.id


def step(
    sessions: sessionmaker[Session],
    who: Principal,
    kind: RegisterKind,
    record_id: int,
    event: str,
    note: str = "",
    plan: Plan | None = None,
) -> RegisterRecord:
    with transaction(sessions) as session:
        return service.take_step(
            session, who, kind, record_id, StepInput(event=event, note=note), plan=plan
        )


def check(
    sessions: sessionmaker[Session],
    store: FileStore,
    who: Principal,
    kind: RegisterKind,
    record_id: int,
    items: dict[str, str],
    *,
    photo: bool = True,
) -> None:
    with transaction(sessions) as session:
        service.record_check(
            session,
            who,
            kind,
            record_id,
            CheckInput(items=items, longitude=113.39, latitude=34.54),  # type: ignore[arg-type]
            files=[PHOTO] if photo else [],
            store=store,
        )


def cases(sessions: sessionmaker[Session], rule: str) -> list[InspectionCase]:
    """The cases opened by ``rule`` (``<kind>.<rule key>``), detached from their session."""
    with transaction(sessions) as session:
        found = session.scalars(
            select(InspectionCase).where(InspectionCase.dedup_key.like(f"rule|{rule}|%"))
        ).all()
        session.expunge_all()
        return list(found)


def evaluate(sessions: sessionmaker[Session], times: int = 3, plan: Plan | None = None) -> None:
    """Evaluate every register's rules ``times`` times (a rule must not add cases on repeats)."""
    for _ in range(times):
        with transaction(sessions) as session:
            service.evaluate_all(session, plan=plan)


def indicator(sessions: sessionmaker[Session], key: str) -> IndicatorValue:
    with transaction(sessions) as session:
        return service.indicator_values(session)[key]
