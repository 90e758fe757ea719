"""The one write path of every register: import, save, lifecycle steps, field checks, rules.

Every face (page, API, command, an imported row) calls these functions with a typed row or input;
they check scope and the plan (areas and units must be the plan's), write, leave the timeline entry,
let the session hook audit the change (:func:`lantian.db.audited.acting_as`), and evaluate the
kind's rules on what changed: a breach opens an inspection case for the responsible unit through
:func:`lantian.supervision.service.open_case`, deduplicated on (rule, entry) so that one problem is
one case however often it is evaluated. The nightly job (:mod:`lantian.sources.jobs`) evaluates
every entry again, so a deadline passing with nothing done is found too.

Errors are the one taxonomy: :class:`~lantian.errors.Invalid` (the input), ``NotFound``,
``NotAllowed`` (out of scope), ``Conflict`` (a step the state or a guard does not allow).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.auth import audit
from lantian.auth.permissions import Action, Principal, can, resource
from lantian.db.audited import acting_as, system_actor
from lantian.errors import Conflict, Invalid, NotAllowed, NotFound
from lantian.files import FileStore, check_upload
from lantian.plan import Plan, plan_in_force
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Transition
from lantian.sources.models import (
    RegisterRecord,
    SourceCheck,
    SourceEvent,
    SourceFile,
    SourceImport,
)
from lantian.sources.registry import (
    CheckResult,
    Facts,
    IndicatorValue,
    RegisterKind,
    SetAside,
    kinds,
)
from lantian.sources.rows import RegisterRow
from lantian.tabular import TableRead, export_bytes, read_table
from lantian.timeutil import CHINA_TZ

#: The resource kind of every register entry in the permission table.
RESOURCE_KIND = "ledger_entry"
#: Roles that read every register (the office, leaders, inspectors); others read their scope.
READ_ALL_ROLES = frozenset({"administrator", "campaign_office", "leader", "inspector"})
MAX_FILE_BYTES = 64 * 2**20
#: The timeline events the platform writes itself (the lifecycle adds its own).
TIMELINE_LABELS: dict[str, tuple[str, str]] = {
    "created": ("登记", "registered"),
    "updated": ("更新", "updated"),
    "checked": ("现场核查", "field check"),
    "case_opened": ("发现问题，已交办案件", "breach found, case opened"),
}


# --- scope -------------------------------------------------------------------------------------


def _entry_resource(area_code: str | None, unit_code: str | None) -> Any:
    return resource(RESOURCE_KIND, area=area_code, unit=unit_code)


def may_read(who: Principal, record: RegisterRecord) -> bool:
    return who.role in READ_ALL_ROLES or can(
        who, Action.READ, _entry_resource(record.area_code, record.unit_code)
    )


def may_keep(who: Principal, area_code: str | None, unit_code: str | None) -> bool:
    """Whether ``who`` may change an entry of this area and unit (the office anywhere, a township
    in its area, a unit for its own entries)."""
    return who.role in KEEPERS and can(who, Action.WRITE, _entry_resource(area_code, unit_code))


def scoped(query: Select[Any], model: type[RegisterRecord], who: Principal) -> Select[Any]:
    """Restrict a query to the entries ``who`` may read (in the database, for paging)."""
    if who.role in READ_ALL_ROLES:
        return query
    if who.role == "township":
        return query.where(model.area_code == who.scope)
    if who.role == "unit":
        return query.where(model.unit_code == who.scope)
    return query.where(model.id.is_(None))


def cooperating_items(who: Principal, kind: RegisterKind) -> frozenset[str]:
    """The checklist items a cooperating unit of ``kind`` records on any of its entries (none for
    everyone else); such a unit reads every entry of the kind (:attr:`RegisterKind.cooperating`)."""
    if who.role != "unit" or who.scope is None:
        return frozenset()
    return kind.cooperating.get(who.scope, frozenset())


def _require_keeper(who: Principal, area_code: str | None, unit_code: str | None) -> None:
    if not may_keep(who, area_code, unit_code):
        raise NotAllowed(
            f"无权修改区域 {area_code} / 单位 {unit_code or '-'} 的台账 / "
            f"you may not change register entries of area {area_code} / unit {unit_code or '-'}"
        )


# --- plan membership ---------------------------------------------------------------------------


def plan_problems(row: BaseModel, plan: Plan) -> list[tuple[str, str]]:
    """(field, reason) for an area or unit that is not the plan's."""
    found = []
    area = getattr(row, "area_code", None)
    if area is not None and area not in plan.area_names():
        found.append(
            (
                "area_code",
                f"区域 {area} 不在计划的乡镇名单中 / area {area} is not one of the plan's",
            )
        )
    unit = getattr(row, "unit_code", None)
    if unit is not None and unit not in plan.unit_names():
        found.append(
            (
                "unit_code",
                f"单位 {unit} 不在计划的单位名单中 / unit {unit} is not one of the plan's",
            )
        )
    return found


def _unknown_enterprises(
    session: Session, kind: RegisterKind, rows: Sequence[BaseModel]
) -> set[str]:
    """The credit codes ``rows`` name that are not enterprises of the emission inventory."""
    if kind.enterprise_field is None:
        return set()
    from lantian.emissions.service import known_credit_codes

    codes = {str(getattr(row, kind.enterprise_field) or "") for row in rows} - {""}
    return codes - known_credit_codes(session, codes)


def _unknown_enterprise_reason(code: str) -> str:
    return (
        f"排放清单中没有统一社会信用代码为 {code} 的企业 / no enterprise with credit code {code} "
        "in the emission inventory"
    )


def entries_of_enterprise(
    session: Session, who: Principal, credit_code: str
) -> list[tuple[RegisterKind, RegisterRecord]]:
    """The register entries ``who`` may read that name the inventory enterprise ``credit_code``
    (every kind with an :attr:`RegisterKind.enterprise_field`), by kind and key."""
    found: list[tuple[RegisterKind, RegisterRecord]] = []
    for kind in kinds().values():
        if kind.enterprise_field is None:
            continue
        model: Any = kind.model
        query = select(model).where(getattr(model, kind.enterprise_field) == credit_code)
        if not cooperating_items(who, kind):
            query = scoped(query, model, who)
        found.extend((kind, record) for record in session.scalars(query.order_by(model.key)))
    return found


# --- saving ------------------------------------------------------------------------------------


@dataclass
class SaveCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    records: list[RegisterRecord] = field(default_factory=list)


def _attributes(kind: RegisterKind, row: BaseModel) -> dict[str, Any]:
    values = row.model_dump()
    columns = set(kind.model.__table__.columns.keys())
    unknown = set(values) - columns
    if unknown:  # a kind's row and table disagree: a programming error, not bad input
        raise TypeError(f"{kind.key}: row fields without a column: {sorted(unknown)}")
    return values


def _event(
    session: Session,
    kind: RegisterKind,
    record: RegisterRecord,
    event: str,
    actor: str,
    at: datetime,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str = "",
    details: Mapping[str, Any] | None = None,
) -> SourceEvent:
    entry = SourceEvent(
        kind=kind.key,
        record_id=record.id,
        event=event,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        at=at,
        note=note,
        details=audit.jsonable(dict(details)) if details else None,
    )
    session.add(entry)
    return entry


def _save_rows(
    session: Session,
    who: Principal,
    kind: RegisterKind,
    rows: Sequence[RegisterRow],
    *,
    is_sample: bool = False,
    source: str = "",
) -> SaveCounts:
    """Create or update each row by its key (scope checked by the caller for every row)."""
    actor = who.username or "public"
    now = clock.now()
    counts = SaveCounts()
    model = kind.model
    existing = {
        r.key: r
        for r in session.scalars(select(model).where(model.key.in_([row.key for row in rows])))
    }
    for row in rows:
        values = _attributes(kind, row)
        record = existing.get(values["key"])
        if record is None:
            with acting_as(session, actor, action=f"{kind.key}.add", reason=source or None):
                record = model(
                    **values,
                    state=kind.lifecycle.initial,
                    state_since=now,
                    is_sample=is_sample,
                    created_at=now,
                    updated_at=now,
                )
                session.add(record)
                session.flush()
                _event(
                    session, kind, record, "created", actor, now, to_state=record.state, note=source
                )
                if kind.after_change is not None:
                    kind.after_change(session, actor, record)
            counts.created += 1
        else:
            changed = {k: v for k, v in values.items() if getattr(record, k) != v}
            if not changed:
                counts.unchanged += 1
                counts.records.append(record)
                continue
            with acting_as(session, actor, action=f"{kind.key}.update", reason=source or None):
                for name, value in changed.items():
                    setattr(record, name, value)
                record.updated_at = now
                session.flush()
                _event(
                    session,
                    kind,
                    record,
                    "updated",
                    actor,
                    now,
                    note=source,
                    details={"fields": sorted(changed)},
                )
                if kind.after_change is not None:
                    kind.after_change(session, actor, record)
            counts.updated += 1
        counts.records.append(record)
    session.flush()
    return counts


def save_entry(
    session: Session,
    who: Principal,
    kind: RegisterKind,
    row: RegisterRow,
    *,
    plan: Plan,
    expect: str | None = None,
) -> tuple[RegisterRecord, bool]:
    """Create or update one entry from a typed row (a form, an API body): ``(entry, created)``.

    ``expect="new"`` refuses a key that exists (a form creating an entry); ``expect="existing"``
    refuses one that does not (an edit).
    """
    if not isinstance(row, kind.row):
        raise TypeError(f"{kind.key} expects a {kind.row.__name__}")
    if kind.complete is not None:
        try:
            row = kind.complete(row, plan)
        except SetAside as why:
            raise Invalid(str(why), field="longitude") from None
    problems = plan_problems(row, plan)
    for code in sorted(_unknown_enterprises(session, kind, [row])):
        assert kind.enterprise_field is not None
        problems.append((kind.enterprise_field, _unknown_enterprise_reason(code)))
    if problems:
        field_name = problems[0][0]
        raise Invalid("；".join(p[1] for p in problems), field=field_name)
    audit.lock_chain(session)
    model: Any = kind.model
    current = session.scalar(select(model).where(model.key == row.key))
    if current is not None and expect == "new":
        raise Conflict(
            f"编号 {row.key} 已存在 / the key {row.key} is already registered", field="key"
        )
    if current is None and expect == "existing":
        raise NotFound(f"没有编号为 {row.key} 的{kind.zh} / no {kind.en} with key {row.key}")
    if current is not None:
        _require_keeper(who, current.area_code, current.unit_code)
    _require_keeper(who, getattr(row, "area_code", None), getattr(row, "unit_code", None))
    admitted = list(kind.admit(session, plan, row)) if kind.admit is not None else []
    if admitted:
        raise Invalid("；".join(p[1] for p in admitted), field=admitted[0][0])
    counts = _save_rows(session, who, kind, [row])
    record = counts.records[0]
    evaluate_records(session, kind, [record], plan=plan)
    return record, bool(counts.created)


@dataclass(frozen=True)
class SetAsideRow:
    """A row of an import the kind did not file, and why (a fire point outside the townships)."""

    row: int
    key: str
    reason: str


@dataclass(frozen=True)
class ImportResult:
    kind: str
    filename: str
    rows: int
    created: int
    updated: int
    unchanged: int
    import_id: int
    #: Rows the kind set aside (:class:`~lantian.sources.registry.SetAside`): reported, not filed.
    set_aside: tuple[SetAsideRow, ...] = ()
    #: The other layout the file came in (:attr:`RegisterKind.layouts`), None for the template.
    layout: str | None = None


def import_register(
    session: Session,
    who: Principal,
    kind: RegisterKind,
    content: bytes,
    filename: str,
    *,
    plan: Plan,
    store: FileStore,
    is_sample: bool = False,
) -> ImportResult:
    """Import a register file (the kind's template, CSV or .xlsx): all rows or none.

    Every bad row is reported (:class:`~lantian.tabular.Rejected` lists each cell and why): a cell
    of the wrong type, a key twice in the file, an area or unit not in the plan, an entry outside
    the importer's scope. Rows update the entries with the same key; a re-import of the same
    file changes nothing. The original upload is kept in the file store.
    """
    read, layout = _read_upload(kind, content, filename, plan)
    set_aside: list[SetAsideRow] = []
    if kind.complete is not None:
        completed = []
        for row in read.rows:
            try:
                completed.append(replace(row, value=kind.complete(row.value, plan)))
            except SetAside as why:
                set_aside.append(SetAsideRow(row.number, str(row.value.key or ""), str(why)))
            except Invalid as error:
                read.problem(row.number, error.field or "", "", error.message)
        read.rows = completed
    seen: dict[str, int] = {}
    area_names, unit_names = plan.area_names(), plan.unit_names()
    existing = {
        r.key: r
        for r in session.scalars(
            select(kind.model).where(kind.model.key.in_([r.value.key for r in read.rows]))
        )
    }
    unknown_enterprises = _unknown_enterprises(session, kind, read.values)
    for row in read.rows:
        value: Any = row.value
        if kind.enterprise_field is not None:
            code = getattr(value, kind.enterprise_field)
            if code in unknown_enterprises:
                read.problem(
                    row.number, kind.enterprise_field, code, _unknown_enterprise_reason(code)
                )
        if value.key in seen:
            read.problem(
                row.number,
                "key",
                value.key,
                f"编号与第 {seen[value.key]} 行重复 / the key repeats row {seen[value.key]}",
            )
        seen.setdefault(value.key, row.number)
        for field_name, reason in plan_problems(value, plan):
            read.problem(row.number, field_name, getattr(value, field_name), reason)
        if value.area_code in area_names and (
            value.unit_code is None or value.unit_code in unit_names
        ):
            old = existing.get(value.key)
            if not may_keep(who, value.area_code, value.unit_code) or (
                old is not None and not may_keep(who, old.area_code, old.unit_code)
            ):
                read.problem(
                    row.number,
                    "area_code",
                    value.area_code,
                    f"无权登记或修改该区域的台账 / outside your scope (area {value.area_code})",
                )
            elif kind.admit is not None:
                for field_name, reason in kind.admit(session, plan, value):
                    read.problem(row.number, field_name, getattr(value, field_name, ""), reason)
    if not read.rows and not read.problems and not set_aside:
        read.problem(0, "", "", "文件中没有数据行 / the file holds no data rows")
    read.raise_if_problems()
    if len(content) > MAX_FILE_BYTES:
        raise Invalid(f"{filename}: 文件过大 / the file is too large")
    audit.lock_chain(session)
    kept = store.put_bytes(content)
    source = f"import {Path(filename).name}"
    with session.begin_nested():
        counts = _save_rows(session, who, kind, read.values, is_sample=is_sample, source=source)
        with acting_as(session, who.username or "public", action=f"{kind.key}.import"):
            entry = SourceImport(
                kind=kind.key,
                filename=Path(filename).name[:255],
                sha256=kept.sha256,
                imported_by=who.username or "public",
                rows=len(read.rows),
                created=counts.created,
                updated=counts.updated,
                unchanged=counts.unchanged,
            )
            session.add(entry)
            session.flush()
    evaluate_records(session, kind, counts.records, plan=plan)
    return ImportResult(
        kind.key,
        entry.filename,
        entry.rows,
        counts.created,
        counts.updated,
        counts.unchanged,
        entry.id,
        tuple(set_aside),
        layout,
    )


def _read_upload(
    kind: RegisterKind, content: bytes, filename: str, plan: Plan
) -> tuple[TableRead[Any], str | None]:
    """The file's rows as the kind's rows, and the layout they came in (None: the kind's own).

    A file whose header is not the kind's template is tried against the kind's other layouts
    (:attr:`RegisterKind.layouts`, a vendor's export): the first whose header it has is read and
    each row converted; a row that cannot be converted is a problem of its row and field."""
    from pydantic import ValidationError

    read: TableRead[Any] = read_table(content, kind.spec, name=filename)
    if read.header or not kind.layouts:
        return read, None
    for layout in kind.layouts:
        other: TableRead[Any] = read_table(content, layout.spec, name=filename)
        if not other.header:
            continue
        for kind_field, layout_field in layout.reported_as.items():
            if layout_field in other.header:
                other.header.setdefault(kind_field, other.header[layout_field])
        converted = []
        for row in other.rows:
            try:
                converted.append(replace(row, value=layout.convert(row.value, plan)))
            except Invalid as error:
                name = error.field or ""
                other.problem(row.number, name, row.cells.get(name, ""), error.message)
            except ValidationError as error:
                for detail in error.errors(include_url=False):
                    name = str(detail["loc"][0]) if detail["loc"] else ""
                    other.problem(row.number, name, "", f"{name}: {detail['msg']}")
        other.rows = converted
        return other, layout.key
    return read, None


def export_register(
    session: Session, who: Principal, kind: RegisterKind, suffix: str = ".xlsx"
) -> bytes:
    """The entries ``who`` may read, in the kind's template layout (re-importable as it is)."""
    readable = select(kind.model)
    if not cooperating_items(who, kind):
        readable = scoped(readable, kind.model, who)
    query = readable.order_by(kind.model.key)
    records = session.scalars(query).all()
    fields = [c.field for c in kind.columns]
    return export_bytes(
        kind.spec, ([_cell(getattr(r, name)) for name in fields] for r in records), suffix=suffix
    )


def _cell(value: Any) -> Any:
    """A value as a sheet holds it: an instant in China time without its zone (a sheet has none;
    people read and write China time)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(CHINA_TZ).replace(tzinfo=None)
    return value


# --- reading -----------------------------------------------------------------------------------


def get_entry(
    session: Session, who: Principal, kind: RegisterKind, record_id: int
) -> RegisterRecord:
    record = session.get(kind.model, record_id)
    if record is None:
        raise NotFound(f"没有编号 {record_id} 的{kind.zh} / no {kind.en} entry {record_id}")
    if not may_read(who, record) and not cooperating_items(who, kind):
        raise NotAllowed(f"无权查看该{kind.zh} / this {kind.en} entry is outside your scope")
    return record


class EntryFilter(BaseModel):
    """The list's filters (all optional; applied in the database)."""

    area_code: str | None = None
    unit_code: str | None = None
    state: str | None = None
    #: Text in the key, name or address.
    q: str | None = Field(default=None, max_length=100)
    #: Past its deadline and not closed off.
    overdue: bool | None = None
    #: A kind's own choice fields: field → value.
    choices: dict[str, str] = Field(default_factory=dict)
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=50, ge=1, le=500)
    #: Entries to skip, instead of whole pages (the API's ``offset``).
    offset: int | None = Field(default=None, ge=0)


def entry_filter(**values: Any) -> EntryFilter:
    """The list's filters from a face's parameters; a refused one is ``Invalid`` naming it."""
    from pydantic import ValidationError

    try:
        return EntryFilter(**values)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else None
        raise Invalid(f"筛选条件有误 / invalid filter {name}: {first['msg']}", field=name) from None


@dataclass(frozen=True)
class EntryPage:
    items: list[RegisterRecord]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_entries(
    session: Session, who: Principal, kind: RegisterKind, filters: EntryFilter
) -> EntryPage:
    """The entries ``who`` may read that match ``filters``, a page at a time, keys in order."""
    model: Any = kind.model
    query = select(model) if cooperating_items(who, kind) else scoped(select(model), model, who)
    if filters.area_code:
        query = query.where(model.area_code == filters.area_code)
    if filters.unit_code:
        query = query.where(model.unit_code == filters.unit_code)
    if filters.state:
        if filters.state not in kind.lifecycle.by_state:
            raise Invalid(f"未知状态 {filters.state!r} / unknown state", field="state")
        query = query.where(model.state == filters.state)
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(
            or_(model.key.like(like), model.name.like(like), model.address.like(like))
        )
    if filters.overdue:
        query = query.where(
            model.deadline < clock.today(),
            model.state.not_in(kind.lifecycle.closed_states),
        )
    for name, value in filters.choices.items():
        if name not in kind.filter_fields:
            raise Invalid(f"不能按 {name} 筛选 / cannot filter by {name}", field=name)
        column = getattr(model, name)
        try:
            typed = column.type.python_type
        except NotImplementedError:
            typed = str
        if typed is date:  # a day typed in the filter (2017-10-15)
            try:
                query = query.where(column == date.fromisoformat(value))
            except ValueError:
                raise Invalid(f"日期应如 2017-10-15 / {name}: not a date", field=name) from None
        else:
            query = query.where(column == value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(model.key)
        .limit(filters.per_page)
        .offset(
            filters.offset if filters.offset is not None else (filters.page - 1) * filters.per_page
        )
    ).all()
    return EntryPage(list(items), total, filters.page, filters.per_page)


def timeline(
    session: Session, kind: RegisterKind, record_id: int
) -> list[tuple[SourceEvent, list[SourceFile]]]:
    """The entry's events, oldest first, each with the files kept with it."""
    events = session.scalars(
        select(SourceEvent)
        .where(SourceEvent.kind == kind.key, SourceEvent.record_id == record_id)
        .order_by(SourceEvent.at, SourceEvent.id)
    ).all()
    files = session.scalars(
        select(SourceFile).where(SourceFile.kind == kind.key, SourceFile.record_id == record_id)
    ).all()
    by_check: dict[int, list[SourceFile]] = {}
    by_event: dict[int, list[SourceFile]] = {}
    for f in files:
        if f.event_id is not None:
            by_event.setdefault(f.event_id, []).append(f)
        elif f.check_id is not None:
            by_check.setdefault(f.check_id, []).append(f)
    out = []
    for e in events:
        attached = list(by_event.get(e.id, []))
        check_id = (e.details or {}).get("check_id")
        if isinstance(check_id, int):
            attached += by_check.get(check_id, [])
        out.append((e, attached))
    return out


def checks_of(session: Session, kind: RegisterKind, record_id: int) -> list[SourceCheck]:
    """The entry's field checks, newest first."""
    return list(
        session.scalars(
            select(SourceCheck)
            .where(SourceCheck.kind == kind.key, SourceCheck.record_id == record_id)
            .order_by(SourceCheck.checked_at.desc(), SourceCheck.id.desc())
        )
    )


def get_file(session: Session, who: Principal, file_id: int) -> SourceFile:
    """A kept file, if ``who`` may read its entry."""
    kept = session.get(SourceFile, file_id)
    if kept is None:
        raise NotFound(f"没有文件 {file_id} / no file {file_id}")
    kind = kinds().get(kept.kind)
    if kind is None:
        raise NotFound(f"没有文件 {file_id} / no file {file_id}")
    get_entry(session, who, kind, kept.record_id)
    return kept


def facts_of(
    session: Session,
    kind: RegisterKind,
    record: RegisterRecord,
    today: date | None = None,
    *,
    plan: Plan | None = None,
) -> Facts:
    """What the kind's guards and rules read of ``record`` (``plan``: the plan in force unless
    given, e.g. the web app's)."""
    checks = checks_of(session, kind, record.id)
    evidence: dict[int, int] = {}
    if checks:
        for check_id, count in session.execute(
            select(SourceFile.check_id, func.count())
            .where(SourceFile.check_id.in_([c.id for c in checks]))
            .group_by(SourceFile.check_id)
        ):
            if check_id is not None:
                evidence[int(check_id)] = int(count)
    context = kind.context(session, record) if kind.context is not None else {}
    return Facts(
        record,
        checks,
        today or clock.today(),
        evidence,
        plan=plan if plan is not None else plan_in_force(),
        context=context,
    )


# --- steps -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """A file brought to a step or a check: its original name and its bytes."""

    filename: str
    content: bytes


class StepInput(BaseModel):
    model_config = {"extra": "forbid", "str_strip_whitespace": True}

    event: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=4000)


def _keep_files(
    session: Session,
    kind: RegisterKind,
    record: RegisterRecord,
    files: Sequence[UploadedFile],
    store: FileStore | None,
    actor: str,
    *,
    check_id: int | None = None,
    event_id: int | None = None,
) -> list[SourceFile]:
    if files and store is None:
        raise ValueError("a file store is needed to keep files")
    kept_rows = []
    # Every file is checked before any is kept: a refused file leaves nothing in the store.
    names = [check_upload(u.filename, u.content, max_bytes=MAX_FILE_BYTES) for u in files]
    for name, upload in zip(names, files, strict=True):
        assert store is not None
        kept = store.put_bytes(upload.content)
        row = SourceFile(
            kind=kind.key,
            record_id=record.id,
            check_id=check_id,
            event_id=event_id,
            sha256=kept.sha256,
            filename=name[:255],
            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
            size=kept.size,
            stored_by=actor,
        )
        session.add(row)
        kept_rows.append(row)
    session.flush()
    return kept_rows


def take_step(
    session: Session,
    who: Principal,
    kind: RegisterKind,
    record_id: int,
    step: StepInput,
    *,
    files: Sequence[UploadedFile] = (),
    store: FileStore | None = None,
    plan: Plan | None = None,
) -> RegisterRecord:
    """Take one lifecycle step (refused when the state, the role, the scope or a guard forbids).

    ``plan``: the plan of the face taking the step, for guards and rules reading plan data (the
    plan in force when omitted)."""
    audit.lock_chain(session)
    record = get_entry(session, who, kind, record_id)
    if who.role not in VERIFIERS:
        _require_keeper(who, record.area_code, record.unit_code)
    found: Transition = kind.lifecycle.check(
        record.state, step.event, who.role, facts_of(session, kind, record, plan=plan)
    )
    if found.note_required and not step.note:
        raise Invalid(f"{found.zh}需要说明理由 / {found.en} needs a note saying why", field="note")
    if found.files_required and not files:
        raise Invalid(
            f"{found.zh}须附文件（申请函、审核意见或批复）/ {found.en} needs its document attached",
            field="files",
        )
    _apply_step(
        session, kind, record, found, who.username or "public", step.note, files, store, plan=plan
    )
    evaluate_records(session, kind, [record], plan=plan)
    return record


def _apply_step(
    session: Session,
    kind: RegisterKind,
    record: RegisterRecord,
    found: Transition,
    actor: str,
    note: str,
    files: Sequence[UploadedFile] = (),
    store: FileStore | None = None,
    *,
    plan: Plan | None = None,
) -> None:
    """Move ``record`` along ``found`` (already allowed), audited as ``actor``, on its timeline."""
    now = clock.now()
    before = record.state
    with acting_as(session, actor, action=f"{kind.key}.{found.event}", reason=note or None):
        record.state = found.target
        record.state_since = now
        record.updated_at = now
        session.flush()
        entry = _event(
            session,
            kind,
            record,
            found.event,
            actor,
            now,
            from_state=before,
            to_state=found.target,
            note=note,
        )
        session.flush()
        render = kind.step_documents.get(found.event)
        if render is not None and store is not None:
            files = [*files, UploadedFile(*render(session, record, note))]
        _keep_files(session, kind, record, files, store, actor, event_id=entry.id)
        effect = kind.effects.get(found.event)
        if effect is not None:
            effect(session, actor, record, note, plan if plan is not None else plan_in_force())
        if kind.after_change is not None:
            kind.after_change(session, actor, record)


def _step_after_check(
    session: Session, who: Principal, kind: RegisterKind, record: RegisterRecord, plan: Plan | None
) -> None:
    """The step the kind takes by itself on a recorded check (:attr:`RegisterKind.after_check`),
    as the check's author, where the lifecycle lets the author's role take it (else none)."""
    if kind.after_check is None:
        return
    facts = facts_of(session, kind, record, plan=plan)
    wanted = kind.after_check(facts)
    if wanted is None:
        return
    event, note = wanted
    try:
        found = kind.lifecycle.check(record.state, event, who.role, facts)
    except (Conflict, NotAllowed):
        return
    _apply_step(session, kind, record, found, who.username or "public", note, plan=plan)


class CheckInput(BaseModel):
    """A field check as a person records it: each checklist item's result, where and when."""

    model_config = {"extra": "forbid", "str_strip_whitespace": True}

    items: dict[str, CheckResult] = Field(min_length=1)
    item_notes: dict[str, str] = Field(default_factory=dict)
    checked_at: datetime | None = None
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    note: str = Field(default="", max_length=4000)


def record_check(
    session: Session,
    who: Principal,
    kind: RegisterKind,
    record_id: int,
    check: CheckInput,
    *,
    files: Sequence[UploadedFile] = (),
    store: FileStore | None = None,
    plan: Plan | None = None,
) -> SourceCheck:
    """Record a field check (核查) of one entry with its photos; the rules look at it at once.

    An item the kind does not check is refused, as is an item whose ``pass`` needs evidence when no
    file comes with the check. Inspectors and the office check anywhere, a township in its area.
    """
    audit.lock_chain(session)
    record = get_entry(session, who, kind, record_id)
    cooperating = cooperating_items(who, kind)
    if who.role not in VERIFIERS and not (cooperating and set(check.items) <= cooperating):
        _require_keeper(who, record.area_code, record.unit_code)
    known = {item.key for item in kind.checklist}
    unknown = sorted(set(check.items) - known)
    if unknown:
        raise Invalid(
            f"{kind.zh}的核查没有这些项目：{', '.join(unknown)} / not items of the {kind.en} "
            f"check: {', '.join(unknown)} (items: {', '.join(sorted(known))})",
            field="items",
        )
    if (check.longitude is None) != (check.latitude is None):
        raise Invalid(
            "坐标需同时给出经度和纬度 / give both longitude and latitude", field="longitude"
        )
    if not files:
        needing = [
            item.zh
            for item in kind.checklist
            if item.evidence_required and check.items.get(item.key) == "pass"
        ]
        if needing:
            raise Invalid(
                f"{'、'.join(needing)}为「合格」时须附照片或文件 / a pass of these items needs a "
                "photo or file with the check",
                field="files",
            )
    now = clock.now()
    checked_at = check.checked_at or now
    if checked_at.tzinfo is None:
        raise Invalid("核查时间必须带时区 / the check time needs a time zone", field="checked_at")
    if checked_at > now + timedelta(minutes=5):
        raise Invalid("核查时间不能在将来 / the check time is in the future", field="checked_at")
    actor = who.username or "public"
    items = {
        key: {"result": result, "note": check.item_notes.get(key, "")}
        for key, result in check.items.items()
    }
    with acting_as(session, actor, action=f"{kind.key}.check", reason=check.note or None):
        row = SourceCheck(
            kind=kind.key,
            record_id=record.id,
            checked_at=checked_at,
            checked_by=actor,
            longitude=check.longitude,
            latitude=check.latitude,
            items=items,
            passed=all(r != "fail" for r in check.items.values()),
            note=check.note,
        )
        session.add(row)
        session.flush()
        _keep_files(session, kind, record, files, store, actor, check_id=row.id)
        _event(
            session,
            kind,
            record,
            "checked",
            actor,
            checked_at,
            note=check.note,
            details={"check_id": row.id, "passed": row.passed},
        )
        session.flush()
    _step_after_check(session, who, kind, record, plan)
    evaluate_records(session, kind, [record], plan=plan)
    return row


# --- rules → cases -----------------------------------------------------------------------------


@dataclass
class Evaluation:
    evaluated: int = 0
    breaches: int = 0
    cases_opened: int = 0
    case_ids: list[int] = field(default_factory=list)


def _rules_fired(session: Session, kind: RegisterKind, record: RegisterRecord) -> set[str]:
    """The rules that have opened a case for the entry (from its timeline)."""
    details = session.scalars(
        select(SourceEvent.details).where(
            SourceEvent.kind == kind.key,
            SourceEvent.record_id == record.id,
            SourceEvent.event == "case_opened",
        )
    )
    return {str(d["rule"]) for d in details if d and "rule" in d}


def evaluate_records(
    session: Session,
    kind: RegisterKind,
    records: Iterable[RegisterRecord],
    today: date | None = None,
    *,
    plan: Plan | None = None,
) -> Evaluation:
    """Evaluate the kind's rules on ``records``; each breach opens or joins one inspection case."""
    from lantian.supervision.service import CaseDraft, open_case

    result = Evaluation()
    day = today or clock.today()
    if plan is None and kind.rules:
        plan = plan_in_force()
    for record in records:
        result.evaluated += 1
        if not kind.rules:
            continue
        fired = (
            _rules_fired(session, kind, record)
            if any(r.once or r.group is not None for r in kind.rules)
            else set()
        )
        if all(r.once and r.key in fired for r in kind.rules):
            continue  # every rule has had its case: nothing to read (the nightly job's bulk)
        facts = facts_of(session, kind, record, day, plan=plan)
        for rule in kind.rules:
            if rule.once and rule.key in fired:
                continue
            breach = rule.check(facts)
            if breach is None:
                continue
            result.breaches += 1
            draft = CaseDraft(
                source="rule",
                title=breach.title[:200],
                description=f"{breach.description}\n\n依据 / clause: {rule.clause}",
                area_code=record.area_code,
                site=(record.address or record.name)[:200],
                # A case takes a position only as a pair (an entry may hold one half of it).
                longitude=record.longitude if record.latitude is not None else None,
                latitude=record.latitude if record.longitude is not None else None,
                severity=breach.severity,
                unit_code=breach.unit_code or record.unit_code,
                deadline=breach.deadline,
                is_sample=record.is_sample,
            )
            opened = open_case(
                session,
                rule=f"{kind.key}.{rule.key}",
                subject=f"{kind.key}:{rule.group(record) if rule.group else record.key}",
                draft=draft,
                observed_at=breach.observed_at,
                details={
                    "register": kind.key,
                    "entry": record.key,
                    "rule": rule.key,
                    "accountability": breach.accountability,
                },
            )
            # An entry joining its group's case keeps the event too (the case it belongs to).
            if opened.created or (rule.group is not None and rule.key not in fired):
                result.cases_opened += int(opened.created)
                _event(
                    session,
                    kind,
                    record,
                    "case_opened",
                    system_actor(f"{kind.key}.{rule.key}"),
                    clock.now(),
                    note=breach.title,
                    details={"case_id": opened.case_id, "rule": rule.key},
                )
            result.case_ids.append(opened.case_id)
    session.flush()
    return result


def evaluate_all(
    session: Session, today: date | None = None, *, plan: Plan | None = None
) -> dict[str, Evaluation]:
    """Evaluate every rule of every kind on every entry (the nightly job)."""
    out = {}
    for kind in kinds().values():
        if not kind.rules and not kind.register_rules:
            continue
        result = Evaluation()
        if kind.rules:
            # Closed entries too: a revisit may find a closed firm working again (死灰复燃).
            records = session.scalars(select(kind.model).order_by(kind.model.id)).all()
            result = evaluate_records(session, kind, records, today, plan=plan)
        if kind.register_rules:
            whole = evaluate_register(session, kind, today, plan=plan)
            result.breaches += whole.breaches
            result.cases_opened += whole.cases_opened
            result.case_ids += whole.case_ids
        out[kind.key] = result
    return out


def evaluate_register(
    session: Session, kind: RegisterKind, today: date | None = None, *, plan: Plan | None = None
) -> Evaluation:
    """Judge the kind's rules of the register as a whole (:attr:`RegisterKind.register_rules`);
    each breach opens one case, deduplicated on (rule, subject) however often it is judged."""
    from lantian.supervision.service import CaseDraft, open_case

    result = Evaluation()
    day = today or clock.today()
    plan = plan if plan is not None else plan_in_force()
    for rule in kind.register_rules:
        for found in rule.check(session, day, plan):
            result.breaches += 1
            breach = found.breach
            opened = open_case(
                session,
                rule=f"{kind.key}.{rule.key}",
                subject=f"{kind.key}:{found.subject}",
                draft=CaseDraft(
                    source="rule",
                    title=breach.title[:200],
                    description=f"{breach.description}\n\n依据 / clause: {rule.clause}",
                    area_code=found.area_code,
                    severity=breach.severity,
                    unit_code=found.unit_code,
                    deadline=breach.deadline,
                    is_sample=found.is_sample,
                ),
                observed_at=breach.observed_at,
                details={
                    "register": kind.key,
                    "subject": found.subject,
                    "rule": rule.key,
                    "accountability": breach.accountability,
                },
            )
            result.cases_opened += int(opened.created)
            result.case_ids.append(opened.case_id)
    session.flush()
    return result


# --- indicators --------------------------------------------------------------------------------


def indicator_values(session: Session) -> dict[str, IndicatorValue]:
    """Every plan target some register computes: target key → its value and what stands behind it."""
    values: dict[str, IndicatorValue] = {}
    for kind in kinds().values():
        for indicator in kind.indicators:
            values[indicator.target_key] = indicator.compute(session)
    return values


# --- faces' helpers (pages, API, command line) -------------------------------------------------


def row_of(kind: RegisterKind, data: Mapping[str, Any]) -> RegisterRow:
    """The kind's typed row from a form's or a body's fields; a refused field is ``Invalid``
    naming the field (its column's Chinese header first)."""
    from pydantic import ValidationError

    try:
        row: RegisterRow = kind.row.model_validate(dict(data))
    except ValidationError as error:
        problems = []
        first_field = None
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else ""
            first_field = first_field or name
            column = kind.column(name)
            label = f"{column.zh} {column.en}" if column is not None else name
            problems.append(f"{label}: {item['msg']}")
        raise Invalid("；".join(problems), field=first_field, problems=problems) from None
    return row


@dataclass(frozen=True)
class KindCounts:
    """How many entries of a kind ``who`` may read, by state, and how many are overdue."""

    by_state: dict[str, int]
    total: int
    overdue: int


def kind_counts(session: Session, who: Principal, kind: RegisterKind) -> KindCounts:
    """Counts of one kind for the index page, scoped to ``who`` in the database."""
    model: Any = kind.model
    by_state = {
        str(state): int(n)
        for state, n in session.execute(
            scoped(select(model.state, func.count()), model, who).group_by(model.state)
        )
    }
    overdue = (
        session.scalar(
            scoped(select(func.count()).select_from(model), model, who).where(
                model.deadline < clock.today(),
                model.state.not_in(kind.lifecycle.closed_states),
            )
        )
        or 0
    )
    return KindCounts(by_state, sum(by_state.values()), int(overdue))


def save_samples(
    session: Session, who: Principal, kind: RegisterKind, rows: Sequence[RegisterRow]
) -> SaveCounts:
    """Save a kind's sample rows (marked ``is_sample``) by key, then evaluate its rules on them
    (a kind that completes its rows from the plan completes them from the plan in force, and a
    row it sets aside is not saved)."""
    if kind.complete is not None:
        plan = plan_in_force()
        completed = []
        for row in rows:
            try:
                completed.append(kind.complete(row, plan))
            except SetAside:
                continue
        rows = completed
    for row in rows:
        _require_keeper(who, getattr(row, "area_code", None), getattr(row, "unit_code", None))
    audit.lock_chain(session)
    counts = _save_rows(session, who, kind, rows, is_sample=True, source="sample")
    evaluate_records(session, kind, counts.records)
    return counts


__all__ = [
    "CheckInput",
    "EntryFilter",
    "EntryPage",
    "Evaluation",
    "ImportResult",
    "SetAsideRow",
    "StepInput",
    "UploadedFile",
    "cooperating_items",
    "entries_of_enterprise",
    "entry_filter",
    "evaluate_all",
    "evaluate_records",
    "evaluate_register",
    "export_register",
    "facts_of",
    "get_entry",
    "get_file",
    "import_register",
    "indicator_values",
    "kind_counts",
    "list_entries",
    "may_keep",
    "may_read",
    "record_check",
    "row_of",
    "save_entry",
    "save_samples",
    "take_step",
    "timeline",
]
