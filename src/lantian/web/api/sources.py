"""`/api/v1/sources/{kind}`: every register kind (台账) through one set of endpoints.

List (filters and paging in the database), detail with the timeline and the field checks, create,
update (PUT the whole row, PATCH some attributes), lifecycle steps, field checks with their files
(multipart), import of the kind's template (multipart; every bad cell reported, nothing written),
the empty template and the export. The same permissions and audit as the pages: every change goes
through :mod:`lantian.sources.service` as the token's or the session's account.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import Invalid, NotAllowed
from lantian.files import FileStore, upload_read_limit
from lantian.sources import service
from lantian.sources.lifecycle import KEEPERS, VERIFIERS
from lantian.sources.models import RegisterRecord, SourceCheck, SourceEvent, SourceFile
from lantian.sources.registry import RegisterKind, kind_of, kinds
from lantian.tabular import template_bytes
from lantian.web.access import require_api_account, require_api_writer
from lantian.web.api.pagination import Limit, Offset, Page, RecordId
from lantian.web.plan_state import current_plan

router = APIRouter(prefix="/api/v1/sources", tags=["sources 台账"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COMMON = (
    "id", "key", "name", "area_code", "unit_code", "address", "longitude", "latitude",
    "state", "state_since", "deadline", "note", "is_sample",
)  # fmt: skip


class KindOut(BaseModel):
    key: str
    zh: str
    en: str
    tasks: list[str]
    states: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    checklist: list[dict[str, Any]]
    columns: list[dict[str, Any]]


class EntryOut(BaseModel):
    id: int
    key: str
    name: str
    area_code: str
    unit_code: str | None
    address: str | None
    longitude: float | None
    latitude: float | None
    state: str
    state_since: datetime
    deadline: date | None
    note: str
    is_sample: bool
    attributes: dict[str, Any] = Field(description="the kind's own attributes (its columns)")


class FileOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class EventOut(BaseModel):
    event: str
    from_state: str | None
    to_state: str | None
    actor: str
    at: datetime
    note: str
    details: dict[str, Any] | None
    files: list[FileOut]


class CheckOut(BaseModel):
    id: int
    checked_at: datetime
    checked_by: str
    longitude: float | None
    latitude: float | None
    items: dict[str, Any]
    passed: bool
    note: str


class EntryDetailOut(EntryOut):
    timeline: list[EventOut]
    checks: list[CheckOut]
    steps: list[str] = Field(description="the steps the caller may take now")


class SetAsideOut(BaseModel):
    """A row the kind did not file (a fire point outside the city), and why."""

    row: int
    key: str
    reason: str


class ImportOut(BaseModel):
    kind: str
    filename: str
    rows: int
    created: int
    updated: int
    unchanged: int
    import_id: int
    set_aside: list[SetAsideOut] = []
    #: The other layout the file came in (a vendor's export), None for the kind's template.
    layout: str | None = None


def entry_out(kind: RegisterKind, record: RegisterRecord) -> EntryOut:
    """An entry as the API shows it: the common columns, then the kind's own."""
    own = {c.field: getattr(record, c.field) for c in kind.columns if c.field not in COMMON}
    return EntryOut(**{name: getattr(record, name) for name in COMMON}, attributes=own)


def _kind(key: str) -> RegisterKind:
    return kind_of(key)


def _reader(request: Request) -> Principal:
    return require_api_account(request, "read registers")


def keeper(who: Principal = Depends(require_api_writer)) -> Principal:
    """Creating, changing and importing entries: the office, townships and units (in scope)."""
    if who.role not in KEEPERS:
        raise NotAllowed("无权修改台账 / your role may not change register entries")
    return who


def changer(who: Principal = Depends(require_api_writer)) -> Principal:
    """Steps and field checks: the keepers (in scope) and the inspectors."""
    if who.role not in KEEPERS | VERIFIERS:
        raise NotAllowed("无权办理台账 / your role may not change register entries")
    return who


def _store(request: Request) -> FileStore:
    return FileStore(request.app.state.settings.ensure_data_dir())


@router.get("", response_model=list[KindOut], summary="台账种类 / register kinds")
def list_kinds(request: Request) -> list[KindOut]:
    _reader(request)
    return [
        KindOut(
            key=k.key,
            zh=k.zh,
            en=k.en,
            tasks=list(k.tasks),
            states=[
                {"key": s.key, "zh": s.zh, "en": s.en, "closed": s.closed}
                for s in k.lifecycle.states
            ],
            steps=[
                {
                    "event": t.event,
                    "zh": t.zh,
                    "en": t.en,
                    "from": sorted(t.sources),
                    "to": t.target,
                    "roles": sorted(t.roles),
                    "clause": t.clause,
                }
                for t in k.lifecycle.transitions
            ],
            checklist=[
                {
                    "key": i.key,
                    "zh": i.zh,
                    "en": i.en,
                    "evidence_required": i.evidence_required,
                    "clause": i.clause,
                }
                for i in k.checklist
            ],
            columns=[
                {
                    "field": c.field,
                    "zh": c.zh,
                    "en": c.en,
                    "choices": dict(c.choices) if c.choices else None,
                }
                for c in k.columns
            ],
        )
        for k in kinds().values()
    ]


@router.get("/{kind_key}", response_model=Page[EntryOut], summary="台账条目 / register entries")
def list_entries(
    request: Request,
    kind_key: str,
    area: str | None = Query(None, description="9-digit area code"),
    unit: str | None = Query(None, description="responsible unit code"),
    state: str | None = Query(None, description="a state of the kind's lifecycle"),
    q: str | None = Query(None, description="text in the key, name or address"),
    overdue: bool = Query(False, description="past the deadline and not closed off"),
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[EntryOut]:
    """The caller's entries; the kind's own choice fields filter too (``?category=ban``)."""
    who = _reader(request)
    kind = _kind(kind_key)
    choices = {n: v for n in kind.filter_fields if (v := request.query_params.get(n))}
    per_page = min(limit, 500)
    filters = service.entry_filter(
        area_code=area, unit_code=unit, state=state, q=q, overdue=overdue or None,
        choices=choices, per_page=per_page, offset=offset,
    )  # fmt: skip
    with request.app.state.sessions() as session:
        found = service.list_entries(session, who, kind, filters)
        items = [entry_out(kind, r) for r in found.items]
    return Page[EntryOut].of(items, found.total, per_page, offset)


@router.get("/{kind_key}/template", summary="空白模板 / the empty template (.xlsx or .csv)")
def template(request: Request, kind_key: str, format: str = "xlsx") -> Response:
    _reader(request)
    kind = _kind(kind_key)
    suffix = ".csv" if format == "csv" else ".xlsx"
    return Response(template_bytes(kind.spec, suffix),
                    media_type=XLSX if suffix == ".xlsx" else "text/csv; charset=utf-8")  # fmt: skip


@router.get("/{kind_key}/export", summary="导出 / export the caller's entries (.xlsx or .csv)")
def export(request: Request, kind_key: str, format: str = "xlsx") -> Response:
    who = _reader(request)
    kind = _kind(kind_key)
    suffix = ".csv" if format == "csv" else ".xlsx"
    with request.app.state.sessions() as session:
        data = service.export_register(session, who, kind, suffix)
    return Response(data, media_type=XLSX if suffix == ".xlsx" else "text/csv; charset=utf-8")


@router.post(
    "/{kind_key}/import", response_model=ImportOut, summary="导入 / import a filled template"
)
async def import_file(
    request: Request,
    kind_key: str,
    upload: UploadFile = File(...),
    who: Principal = Depends(keeper),
) -> ImportOut:
    kind = _kind(kind_key)
    content = await upload.read(upload_read_limit())
    with transaction(request.app.state.sessions) as session:
        result = service.import_register(
            session, who, kind, content, upload.filename or "upload.xlsx",
            plan=current_plan(request), store=_store(request),
        )  # fmt: skip
    return ImportOut(
        **{**result.__dict__, "set_aside": [SetAsideOut(**r.__dict__) for r in result.set_aside]}
    )


def _detail(
    session: Any, who: Principal, kind: RegisterKind, record: RegisterRecord
) -> EntryDetailOut:
    events: list[tuple[SourceEvent, list[SourceFile]]] = service.timeline(session, kind, record.id)
    checks: list[SourceCheck] = service.checks_of(session, kind, record.id)
    may_change = who.role in VERIFIERS or service.may_keep(who, record.area_code, record.unit_code)
    return EntryDetailOut(
        **entry_out(kind, record).model_dump(),
        timeline=[
            EventOut(
                event=e.event,
                from_state=e.from_state,
                to_state=e.to_state,
                actor=e.actor,
                at=e.at,
                note=e.note,
                details=e.details,
                files=[FileOut.model_validate(f, from_attributes=True) for f in files],
            )
            for e, files in events
        ],
        checks=[CheckOut.model_validate(c, from_attributes=True) for c in checks],
        steps=[t.event for t in kind.lifecycle.available(record.state, who.role)]
        if may_change
        else [],
    )


@router.get("/{kind_key}/{record_id}", response_model=EntryDetailOut, summary="条目 / one entry")
def get_entry(request: Request, kind_key: str, record_id: RecordId) -> EntryDetailOut:
    who = _reader(request)
    kind = _kind(kind_key)
    with request.app.state.sessions() as session:
        record = service.get_entry(session, who, kind, record_id)
        return _detail(session, who, kind, record)


@router.post("/{kind_key}", response_model=EntryOut, status_code=201, summary="登记 / create")
def create_entry(
    request: Request,
    kind_key: str,
    body: dict[str, Any],
    who: Principal = Depends(keeper),
) -> EntryOut:
    """Create an entry from the kind's row (the template's fields; never the state)."""
    kind = _kind(kind_key)
    row = service.row_of(kind, body)
    with transaction(request.app.state.sessions) as session:
        record, _ = service.save_entry(
            session, who, kind, row, plan=current_plan(request), expect="new"
        )
        return entry_out(kind, record)


def _update(
    request: Request, who: Principal, kind: RegisterKind, record_id: int, body: dict[str, Any],
    *, partial: bool,
) -> EntryOut:  # fmt: skip
    with transaction(request.app.state.sessions) as session:
        record = service.get_entry(session, who, kind, record_id)
        base = {c.field: getattr(record, c.field) for c in kind.columns} if partial else {}
        data = {**base, **body}
        if data.get("key", record.key) != record.key:
            raise Invalid("编号不能修改 / the key cannot change", field="key")
        data["key"] = record.key
        row = service.row_of(kind, data)
        saved, _ = service.save_entry(
            session, who, kind, row, plan=current_plan(request), expect="existing"
        )
        return entry_out(kind, saved)


@router.put("/{kind_key}/{record_id}", response_model=EntryOut, summary="更新（整条）/ replace")
def replace_entry(
    request: Request,
    kind_key: str,
    record_id: RecordId,
    body: dict[str, Any],
    who: Principal = Depends(keeper),
) -> EntryOut:
    return _update(request, who, _kind(kind_key), record_id, body, partial=False)


@router.patch("/{kind_key}/{record_id}", response_model=EntryOut, summary="更新（部分）/ update")
def patch_entry(
    request: Request,
    kind_key: str,
    record_id: RecordId,
    body: dict[str, Any],
    who: Principal = Depends(keeper),
) -> EntryOut:
    return _update(request, who, _kind(kind_key), record_id, body, partial=True)


@router.post(
    "/{kind_key}/{record_id}/steps", response_model=EntryDetailOut, summary="办理 / take a step"
)
async def take_step(
    request: Request,
    kind_key: str,
    record_id: RecordId,
    event: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    files: list[UploadFile] = File(default=[]),
    who: Principal = Depends(changer),
) -> EntryDetailOut:
    """A lifecycle step (multipart form: ``event``, ``note``, optional ``files``)."""
    kind = _kind(kind_key)
    step = service.StepInput(event=event, note=note)
    uploads = [
        service.UploadedFile(f.filename, await f.read(upload_read_limit()))
        for f in files
        if f.filename
    ]
    with transaction(request.app.state.sessions) as session:
        record = service.take_step(
            session, who, kind, record_id, step, files=uploads, store=_store(request)
        )
        return _detail(session, who, kind, record)


@router.post(
    "/{kind_key}/{record_id}/checks", response_model=CheckOut, status_code=201,
    summary="现场核查 / record a field check",
)  # fmt: skip
async def record_check(
    request: Request,
    kind_key: str,
    record_id: RecordId,
    check: Annotated[str, Form(description='JSON: {"items": {"water_cut": "pass"}, …}')],
    files: list[UploadFile] = File(default=[]),
    who: Principal = Depends(changer),
) -> CheckOut:
    """A field check (multipart: ``check`` — the JSON of the check — and its ``files``)."""
    kind = _kind(kind_key)
    try:
        parsed = service.CheckInput.model_validate(json.loads(check))
    except ValueError as error:
        raise Invalid(f"check: {str(error).splitlines()[0]}", field="check") from None
    uploads = [
        service.UploadedFile(f.filename, await f.read(upload_read_limit()))
        for f in files
        if f.filename
    ]
    with transaction(request.app.state.sessions) as session:
        row = service.record_check(
            session, who, kind, record_id, parsed, files=uploads, store=_store(request)
        )
        return CheckOut.model_validate(row, from_attributes=True)
