"""The registers' pages (台账, issue 15), one set for every kind of :func:`lantian.sources.registry.kinds`.

Like NetBox's generic views, nothing here names a kind: the index counts each kind's entries by
state, the list filters and pages in the database and shows the entries on the offline map, the
detail page shows the attributes, the timeline with its files and the field checks item by item,
and offers the lifecycle steps the reader's role may take, a field-check form (coordinates from the
browser, photos from the camera) and the attributes' form; new entries, imports of the kind's
template (every bad cell listed, nothing written), exports and the kept files. Every change goes
through :mod:`lantian.sources.service`; a refused change keeps the person's input on a 422 page.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import Invalid, NotAllowed, NotFound, ServiceError
from lantian.files import FileStore, upload_read_limit
from lantian.sources import service
from lantian.sources.lifecycle import KEEPERS, VERIFIERS
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import RegisterKind, kind_of, kinds
from lantian.tabular import Rejected, template_bytes
from lantian.timeutil import to_china
from lantian.web import i18n
from lantian.web.access import require_account, require_csrf
from lantian.web.plan_state import current_plan
from lantian.web.rendering import flash, render

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 50
#: The most entries the list's map shows at once (the filtered register, not only the page).
MAP_POINTS = 2000
#: Colours of the map's points by the state's position in the lifecycle (closed states green).
STATE_COLOURS = ("#d9534f", "#f0ad4e", "#5bc0de", "#8e6cc9", "#777777")


# --- what a page shows of a kind ------------------------------------------------------------


def _zh(request: Request) -> bool:
    return i18n.language_of(request) == "zh"


@dataclass(frozen=True)
class FieldSpec:
    """One input of a kind's attributes form, read from its row model and column."""

    name: str
    label: str
    input: str  # text, number, date, select, checkbox, textarea
    choices: tuple[tuple[str, str], ...]
    required: bool


def _base_type(annotation: Any) -> Any:
    """``date | None`` → ``date``; ``Literal[…]`` stays as it is."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        others = [a for a in typing.get_args(annotation) if a is not type(None)]
        return others[0] if len(others) == 1 else str
    return annotation


def field_specs(kind: RegisterKind, zh: bool) -> list[FieldSpec]:
    """The attributes form of ``kind`` in the order of its template's columns."""
    found = []
    fields = kind.row.model_fields
    for column in kind.columns:
        info = fields.get(column.field)
        if info is None:
            continue
        base = _base_type(info.annotation)
        choices: tuple[tuple[str, str], ...] = ()
        if column.choices:
            choices = tuple((code, label if zh else code) for code, label in column.choices.items())
            kind_of_input = "select"
        elif base is bool:
            kind_of_input = "checkbox"
        elif base is date:
            kind_of_input = "date"
        elif base in (int, float):
            kind_of_input = "number"
        elif column.field == "note":
            kind_of_input = "textarea"
        else:
            kind_of_input = "text"
        found.append(
            FieldSpec(
                column.field,
                column.zh if zh else column.en,
                kind_of_input,
                choices,
                info.is_required(),
            )
        )
    return found


def state_label(kind: RegisterKind, state: str, zh: bool) -> str:
    found = kind.lifecycle.by_state.get(state)
    if found is None:
        return state
    return found.zh if zh else found.en


def value_label(kind: RegisterKind, name: str, value: Any, zh: bool) -> str:
    """An attribute as the page shows it: a choice's label, yes/no, a date, or the text."""
    if value is None or value == "":
        return ""
    column = kind.column(name)
    if column is not None and column.choices and isinstance(value, str):
        return column.choices.get(value, value) if zh else value
    if isinstance(value, bool):
        return ("是" if value else "否") if zh else ("yes" if value else "no")
    return str(value)


def _labels(request: Request, kind: RegisterKind) -> dict[str, Any]:
    zh = _zh(request)
    return {
        "kind": kind,
        "kind_name": kind.zh if zh else kind.en,
        "zh": zh,
        "state_label": lambda state: state_label(kind, state, zh),
        "value_label": lambda name, value: value_label(kind, name, value, zh),
        "column_label": lambda name: (
            (c.zh if zh else c.en) if (c := kind.column(name)) is not None else name
        ),
        "states": [(s.key, s.zh if zh else s.en) for s in kind.lifecycle.states],
        "area_names": current_plan(request).area_names(),
        "unit_names": current_plan(request).unit_names(),
        "cn": lambda moment: to_china(moment).strftime("%Y-%m-%d %H:%M") if moment else "",
        "local": lambda text: i18n.request_localize(request, text),
    }


def _store(request: Request) -> FileStore:
    return FileStore(Path(request.app.state.settings.ensure_data_dir()))


def _kind(key: str) -> RegisterKind:
    return kind_of(key)


def _values_of(record: RegisterRecord, kind: RegisterKind) -> dict[str, Any]:
    return {c.field: getattr(record, c.field, None) for c in kind.columns}


def _form_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


async def _row_fields(request: Request, kind: RegisterKind) -> dict[str, Any]:
    """The attributes a form posted: empty inputs are absent values, checkboxes are booleans."""
    form = await request.form()
    data: dict[str, Any] = {}
    for spec in field_specs(kind, True):
        raw = form.get(spec.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if spec.input == "checkbox":
            data[spec.name] = bool(text)
        elif text:
            data[spec.name] = text
        elif spec.name == "note":
            data[spec.name] = ""
    return data


def _map_points(
    kind: RegisterKind, records: list[RegisterRecord], zh: bool
) -> list[dict[str, Any]]:
    order = {s.key: i for i, s in enumerate(kind.lifecycle.states)}
    closed = kind.lifecycle.closed_states
    return [
        {
            "name": f"{r.key} {r.name}",
            "lon": r.longitude,
            "lat": r.latitude,
            "state": state_label(kind, r.state, zh),
            "colour": "#3c9a5f"
            if r.state in closed
            else STATE_COLOURS[order.get(r.state, 0) % len(STATE_COLOURS)],
            "url": f"/sources/{kind.key}/{r.id}",
        }
        for r in records
        if r.longitude is not None and r.latitude is not None
    ]


# --- index and list -------------------------------------------------------------------------


@router.get("/sources", response_class=HTMLResponse)
def index(request: Request, who: Principal = Depends(require_account)) -> Response:
    """Every register kind with its entries by state and the overdue ones, in the reader's scope."""
    zh = _zh(request)
    rows = []
    with request.app.state.sessions() as session:
        for kind in kinds().values():
            counts = service.kind_counts(session, who, kind)
            rows.append(
                {
                    "kind": kind,
                    "name": kind.zh if zh else kind.en,
                    "counts": counts,
                    "states": [
                        (s.key, s.zh if zh else s.en, counts.by_state.get(s.key, 0))
                        for s in kind.lifecycle.states
                    ],
                }
            )
    return render(request, "sources_index.html", {"rows": rows})


class ListQuery(BaseModel):
    """The list page's query (empty inputs are no filter)."""

    area: str = ""
    unit: str = ""
    state: str = ""
    q: str = ""
    overdue: str = ""
    page: int = 1


def _entry_filter(
    kind: RegisterKind, query: ListQuery, extra: dict[str, str]
) -> service.EntryFilter:
    return service.entry_filter(
        area_code=query.area or None,
        unit_code=query.unit or None,
        state=query.state or None,
        q=query.q or None,
        overdue=bool(query.overdue) or None,
        choices={name: extra[name] for name in kind.filter_fields if extra.get(name)},
        page=max(1, query.page),
        per_page=PER_PAGE,
    )


@router.get("/sources/{kind_key}", response_class=HTMLResponse)
def list_page(
    request: Request,
    kind_key: str,
    query: Annotated[ListQuery, Depends()],
    who: Principal = Depends(require_account),
) -> Response:
    kind = _kind(kind_key)
    extra = {name: request.query_params.get(name, "") for name in kind.filter_fields}
    filters = _entry_filter(kind, query, extra)
    with request.app.state.sessions() as session:
        page = service.list_entries(session, who, kind, filters)
        on_map = service.list_entries(
            session, who, kind, filters.model_copy(update={"page": 1, "per_page": MAP_POINTS})
        )
        context = _labels(request, kind)
        points = _map_points(kind, [r for r in on_map.items], context["zh"])
        marks = kind.marks(session, page.items) if kind.marks is not None else {}
    current = {
        **{k: v for k, v in query.model_dump().items() if k != "page" and v},
        **{k: v for k, v in extra.items() if v},
    }
    filter_choices = []
    for name in kind.filter_fields:
        column = kind.column(name)
        options: list[tuple[str, str]] = []
        if column is not None and column.choices:
            options = [(c, lbl if context["zh"] else c) for c, lbl in column.choices.items()]
        filter_choices.append((name, context["column_label"](name), options, extra.get(name, "")))
    return render(
        request,
        "sources_list.html",
        {
            **context,
            "page": page,
            "query": query,
            "filter_choices": filter_choices,
            "page_link": lambda n: "?" + urlencode({**current, "page": n}),
            "export_link": f"/sources/{kind.key}/export?" + urlencode(current),
            "map_points": points,
            "map_layer": kind.map_layer(current_plan(request)) if kind.map_layer else None,
            "marks": marks,
            "may_keep": who.role in KEEPERS,
            "scoped_area": who.scope if who.role == "township" else None,
        },
    )


@router.get("/sources/{kind_key}/template")
def template_download(
    kind_key: str, format: str = "xlsx", who: Principal = Depends(require_account)
) -> Response:
    """The kind's empty template: Chinese headers, choices as drop-down lists."""
    kind = _kind(kind_key)
    suffix = ".csv" if format == "csv" else ".xlsx"
    name = f"{kind.zh}台账模板-{kind.key}{suffix}"
    return _download(template_bytes(kind.spec, suffix), name, suffix)


@router.get("/sources/{kind_key}/export")
def export_download(
    request: Request, kind_key: str, format: str = "xlsx", who: Principal = Depends(require_account)
) -> Response:
    """The entries the reader may see, in the template's layout (re-importable)."""
    kind = _kind(kind_key)
    suffix = ".csv" if format == "csv" else ".xlsx"
    with request.app.state.sessions() as session:
        data = service.export_register(session, who, kind, suffix)
    return _download(data, f"{kind.zh}台账-{kind.key}{suffix}", suffix)


def _download(data: bytes, name: str, suffix: str) -> Response:
    media = XLSX if suffix == ".xlsx" else "text/csv; charset=utf-8"
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


# --- new entries and imports ----------------------------------------------------------------


def _require_keeper_role(who: Principal, kind: RegisterKind) -> None:
    if who.role not in KEEPERS:
        raise NotAllowed(f"无权登记{kind.zh} / your role may not register {kind.en} entries")


def _require_changer(who: Principal, kind: RegisterKind) -> None:
    """Steps and checks: the keepers (in their scope) and the inspectors; readers only read."""
    if who.role not in KEEPERS | VERIFIERS:
        raise NotAllowed(f"无权办理{kind.zh} / your role may not change {kind.en} entries")


def _new_context(
    request: Request, kind: RegisterKind, who: Principal, values: dict[str, Any], error: str | None
) -> dict[str, Any]:
    context = _labels(request, kind)
    if who.role == "township" and not values.get("area_code"):
        values = {**values, "area_code": who.scope}
    if who.role == "unit" and not values.get("unit_code"):
        values = {**values, "unit_code": who.scope}
    return {
        **context,
        "fields": field_specs(kind, context["zh"]),
        "values": {k: _form_text(v) for k, v in values.items()},
        "error": error,
    }


@router.get("/sources/{kind_key}/new", response_class=HTMLResponse)
def new_form(
    request: Request, kind_key: str, who: Principal = Depends(require_account)
) -> Response:
    kind = _kind(kind_key)
    _require_keeper_role(who, kind)
    # A link may fill the form in (an enforcement action from its inspection case): only the
    # row's own fields are taken, and nothing is saved until the person submits.
    filled = {
        name: value for name, value in request.query_params.items() if name in kind.row.model_fields
    }
    return render(request, "sources_new.html", _new_context(request, kind, who, filled, None))


@router.post("/sources/{kind_key}/new", dependencies=[Depends(require_csrf)])
async def new_submit(
    request: Request, kind_key: str, who: Principal = Depends(require_account)
) -> Response:
    kind = _kind(kind_key)
    _require_keeper_role(who, kind)
    data = await _row_fields(request, kind)
    try:
        row = service.row_of(kind, data)
        with transaction(request.app.state.sessions) as session:
            record, _ = service.save_entry(
                session, who, kind, row, plan=current_plan(request), expect="new"
            )
            record_id = record.id
    except ServiceError as error:
        if isinstance(error, NotAllowed | NotFound):
            raise
        message = i18n.request_localize(request, error.message)
        return render(
            request,
            "sources_new.html",
            _new_context(request, kind, who, data, message),
            error.http_status,
        )
    flash(request, i18n.request_localize(request, f"已登记 {row.key} / {row.key} registered"))
    return RedirectResponse(f"/sources/{kind.key}/{record_id}", status_code=303)


@router.get("/sources/{kind_key}/import", response_class=HTMLResponse)
def import_form(
    request: Request, kind_key: str, who: Principal = Depends(require_account)
) -> Response:
    kind = _kind(kind_key)
    _require_keeper_role(who, kind)
    return render(
        request, "sources_import.html", {**_labels(request, kind), "problems": [], "error": None}
    )


@router.post("/sources/{kind_key}/import", dependencies=[Depends(require_csrf)])
async def import_submit(
    request: Request,
    kind_key: str,
    upload: UploadFile | None = File(default=None),
    who: Principal = Depends(require_account),
) -> Response:
    """Import a filled template: all rows or none; every problem is listed by row and column."""
    kind = _kind(kind_key)
    _require_keeper_role(who, kind)
    context = _labels(request, kind)
    try:
        if upload is None or not upload.filename:
            raise Invalid("请选择文件 / choose a file", field="upload")
        content = await upload.read(upload_read_limit())
        with transaction(request.app.state.sessions) as session:
            result = service.import_register(
                session, who, kind, content, upload.filename,
                plan=current_plan(request), store=_store(request),
            )  # fmt: skip
    except Rejected as rejected:
        return render(
            request,
            "sources_import.html",
            {**context, "problems": list(rejected.problems), "error": None},
            422,
        )
    except ServiceError as error:
        if isinstance(error, NotAllowed | NotFound):
            raise
        message = i18n.request_localize(request, error.message)
        return render(
            request,
            "sources_import.html",
            {**context, "problems": [], "error": message},
            error.http_status,
        )
    flash(
        request,
        i18n.request_localize(
            request,
            f"已导入 {result.filename}：新增 {result.created}，更新 {result.updated}，未变 "
            f"{result.unchanged} / imported {result.filename}: {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged",
        )
        + _layout_note(request, kind, result.layout),
    )
    if result.set_aside:  # rows the kind does not file (points outside the city): said, not hidden
        shown = "；".join(
            f"第{r.row}行 row {r.row}: {i18n.request_localize(request, r.reason)}"
            for r in result.set_aside[:20]
        )
        more = f" … +{len(result.set_aside) - 20}" if len(result.set_aside) > 20 else ""
        flash(
            request,
            i18n.request_localize(
                request,
                f"{len(result.set_aside)} 行未登记 / {len(result.set_aside)} rows not filed",
            )
            + f"：{shown}{more}",
        )
    return RedirectResponse(f"/sources/{kind.key}", status_code=303)


def _layout_note(request: Request, kind: RegisterKind, layout: str | None) -> str:
    """Which other layout an import was read as (a vendor's export), said after the counts."""
    found = next((item for item in kind.layouts if item.key == layout), None)
    if found is None:
        return ""
    return f" ({i18n.request_localize(request, f'{found.zh} / {found.en}')})"


def _shown(
    request: Request, kind: RegisterKind, name: str, values: dict[str, Any], zh: bool
) -> str:
    """An attribute on the detail page: areas and units by their plan names."""
    value = values.get(name)
    plan = current_plan(request)
    if name == "area_code" and value:
        return f"{plan.area_names().get(value, value)} {value}"
    if name == "unit_code" and value:
        return str(plan.unit_names().get(value, value))
    if name == kind.enterprise_field and value:
        # The same enterprise record as the emission inventory's: its page, one click away.
        return Markup('<a href="/emissions/enterprises/{}" id="enterprise-link">{}</a>').format(
            quote(str(value), safe=""), value
        )
    return value_label(kind, name, value, zh)


# --- one entry ------------------------------------------------------------------------------


def _detail_context(
    request: Request,
    session: Any,
    who: Principal,
    kind: RegisterKind,
    record: RegisterRecord,
    *,
    edit_values: dict[str, Any] | None = None,
    check_values: dict[str, str] | None = None,
    error: str | None = None,
    error_form: str = "",
) -> dict[str, Any]:
    context = _labels(request, kind)
    zh = context["zh"]
    events = service.timeline(session, kind, record.id)
    checks = {c.id: c for c in service.checks_of(session, kind, record.id)}
    may_change = who.role in VERIFIERS or service.may_keep(who, record.area_code, record.unit_code)
    steps = kind.lifecycle.available(record.state, who.role) if may_change else []
    labels = dict(service.TIMELINE_LABELS)
    for t in kind.lifecycle.transitions:
        labels[t.event] = (t.zh, t.en)
    values = _values_of(record, kind)
    return {
        **context,
        "record": record,
        "attributes": [
            (c.field, context["column_label"](c.field), _shown(request, kind, c.field, values, zh))
            for c in kind.columns
        ],
        "events": [
            (e, files, checks.get((e.details or {}).get("check_id") or -1)) for e, files in events
        ],
        "event_label": lambda event: labels.get(event, (event, event))[0 if zh else 1],
        "item_label": lambda key: (
            (i.zh if zh else i.en) if (i := kind.checklist_item(key)) else key
        ),
        "result_labels": {
            "pass": "合格" if zh else "pass",
            "fail": "不合格" if zh else "fail",
            "na": "不适用" if zh else "n/a",
        },
        "steps": [(t, t.zh if zh else t.en) for t in steps],
        "may_check": bool(kind.checklist) and may_change,
        "may_edit": service.may_keep(who, record.area_code, record.unit_code),
        "fields": field_specs(kind, zh),
        "edit_values": {
            k: _form_text(v)
            for k, v in (edit_values if edit_values is not None else values).items()
        },
        "check_values": check_values or {},
        "error": error,
        "error_form": error_form,
        "map_points": _map_points(kind, [record], zh),
        "marks": (kind.marks(session, [record]) if kind.marks is not None else {}).get(
            record.id, ()
        ),
        "panels": kind.panels(session, record) if kind.panels is not None else (),
        "overdue": record.deadline is not None
        and record.state not in kind.lifecycle.closed_states
        and record.deadline < clock.today(),
    }


@router.get("/sources/{kind_key}/{record_id}", response_class=HTMLResponse)
def detail_page(
    request: Request, kind_key: str, record_id: int, who: Principal = Depends(require_account)
) -> Response:
    kind = _kind(kind_key)
    with request.app.state.sessions() as session:
        record = service.get_entry(session, who, kind, record_id)
        context = _detail_context(request, session, who, kind, record)
    return render(request, "sources_detail.html", context)


def _refused(
    request: Request,
    who: Principal,
    kind: RegisterKind,
    record_id: int,
    error: ServiceError,
    form: str,
    **kept: Any,
) -> Response:
    """The detail page again with the refusal beside the form and what the person typed."""
    if isinstance(error, NotAllowed | NotFound):
        raise error
    with request.app.state.sessions() as session:
        record = service.get_entry(session, who, kind, record_id)
        context = _detail_context(
            request, session, who, kind, record,
            error=i18n.request_localize(request, error.message), error_form=form, **kept,
        )  # fmt: skip
    return render(request, "sources_detail.html", context, error.http_status)


@router.post("/sources/{kind_key}/{record_id}/edit", dependencies=[Depends(require_csrf)])
async def edit_submit(
    request: Request, kind_key: str, record_id: int, who: Principal = Depends(require_account)
) -> Response:
    kind = _kind(kind_key)
    data = await _row_fields(request, kind)
    with request.app.state.sessions() as session:
        record = service.get_entry(session, who, kind, record_id)
        if not service.may_keep(who, record.area_code, record.unit_code):
            raise NotAllowed(f"无权修改该{kind.zh} / you may not change this {kind.en} entry")
    try:
        with transaction(request.app.state.sessions) as session:
            record = service.get_entry(session, who, kind, record_id)
            data["key"] = record.key  # the key names the entry; it is not edited here
            row = service.row_of(kind, data)
            service.save_entry(
                session, who, kind, row, plan=current_plan(request), expect="existing"
            )
    except ServiceError as error:
        return _refused(request, who, kind, record_id, error, "edit", edit_values=data)
    flash(request, i18n.request_localize(request, "已保存 / saved"))
    return RedirectResponse(f"/sources/{kind.key}/{record_id}", status_code=303)


class StepForm(BaseModel):
    """The fields of a step's form (the CSRF token is checked apart)."""

    event: str = ""
    note: str = ""


async def _uploads(files: list[UploadFile]) -> list[service.UploadedFile]:
    return [
        service.UploadedFile(f.filename, await f.read(upload_read_limit()))
        for f in files
        if f.filename
    ]


@router.post("/sources/{kind_key}/{record_id}/steps", dependencies=[Depends(require_csrf)])
async def step_submit(
    request: Request,
    kind_key: str,
    record_id: int,
    form: Annotated[StepForm, Form()],
    files: list[UploadFile] = File(default=[]),
    who: Principal = Depends(require_account),
) -> Response:
    kind = _kind(kind_key)
    _require_changer(who, kind)
    try:
        step = service.StepInput(event=form.event or "-", note=form.note)
        uploads = await _uploads(files)
        with transaction(request.app.state.sessions) as session:
            record = service.take_step(
                session, who, kind, record_id, step, files=uploads, store=_store(request)
            )
            reached = kind.lifecycle.state(record.state)
    except ServiceError as error:
        return _refused(request, who, kind, record_id, error, f"step-{form.event}")
    flash(request, i18n.request_localize(request, f"已办理：{reached.zh} / done: {reached.en}"))
    return RedirectResponse(f"/sources/{kind.key}/{record_id}", status_code=303)


class CheckForm(BaseModel):
    """The check form's fixed fields; the checklist's items come as ``item_<key>`` and
    ``note_<key>`` (one pair per item of the kind's checklist)."""

    longitude: str = ""
    latitude: str = ""
    note: str = ""


@router.post("/sources/{kind_key}/{record_id}/checks", dependencies=[Depends(require_csrf)])
async def check_submit(
    request: Request,
    kind_key: str,
    record_id: int,
    form: Annotated[CheckForm, Form()],
    photos: list[UploadFile] = File(default=[]),
    who: Principal = Depends(require_account),
) -> Response:
    """A field check, item by item, where the browser says it was made, with its photos."""
    kind = _kind(kind_key)
    _require_changer(who, kind)
    posted = await request.form()
    kept: dict[str, str] = {}
    for item in kind.checklist:
        for prefix in ("item_", "note_"):
            value = posted.get(prefix + item.key)
            if isinstance(value, str) and value.strip():
                kept[prefix + item.key] = value.strip()
    kept["note"] = form.note
    try:
        check = service.CheckInput.model_validate(
            {
                "items": {k[5:]: v for k, v in kept.items() if k.startswith("item_")},
                "item_notes": {k[5:]: v for k, v in kept.items() if k.startswith("note_")},
                "longitude": form.longitude.strip() or None,
                "latitude": form.latitude.strip() or None,
                "note": form.note,
            }
        )
    except ValueError as error:
        invalid = Invalid(
            "请逐项选择核查结果 / choose a result for the items checked: "
            + str(error).split("\n")[0],
            field="items",
        )
        return _refused(request, who, kind, record_id, invalid, "check", check_values=kept)
    try:
        uploads = await _uploads(photos)
        with transaction(request.app.state.sessions) as session:
            recorded = service.record_check(
                session, who, kind, record_id, check, files=uploads, store=_store(request)
            )
            passed = recorded.passed
    except ServiceError as error:
        return _refused(request, who, kind, record_id, error, "check", check_values=kept)
    flash(
        request,
        i18n.request_localize(
            request,
            ("核查已记录：全部合格 / check recorded: all passed")
            if passed
            else "核查已记录：有不合格项 / check recorded: some items failed",
        ),
    )
    return RedirectResponse(f"/sources/{kind.key}/{record_id}", status_code=303)


@router.get("/sources/{kind_key}/files/{file_id}")
def kept_file(
    request: Request, kind_key: str, file_id: int, who: Principal = Depends(require_account)
) -> Response:
    """A photo or document kept with a check or a step (only for readers of its entry)."""
    with request.app.state.sessions() as session:
        kept = service.get_file(session, who, file_id)
        if kept.kind != _kind(kind_key).key:
            raise NotFound(f"没有文件 {file_id} / no file {file_id}")
        store = _store(request)
        data = store.read(store.relative_path(kept.sha256), kept.sha256)
        name, media = kept.filename, kept.content_type
    how = "inline" if media.startswith("image/") else "attachment"
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f"{how}; filename*=UTF-8''{quote(name)}"},
    )
