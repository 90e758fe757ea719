"""What makes a register (台账) of one kind: its table, row model, lifecycle, checklist, rules and
indicators — registered once, then served by the generic machinery of :mod:`lantian.sources.service`
(import, export, template, list, detail, field checks, rules → inspection cases, computed targets),
the pages, the API and the command line, without copies of that machinery per kind.

A kind lives in one module of :mod:`lantian.sources.kinds` and ends with ``KIND = RegisterKind(…)``;
:func:`kinds` collects them in the order of the plan's tasks.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cache, lru_cache
from random import Random
from typing import TYPE_CHECKING, Any, Literal

from lantian.errors import NotFound
from lantian.sources.lifecycle import Lifecycle, Unmet
from lantian.sources.rows import RegisterRow
from lantian.tabular import Column, TableSpec
from lantian.timeutil import CHINA_TZ

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lantian.plan import Plan
    from lantian.plan.schema import Ban
    from lantian.sources.models import RegisterRecord, SourceCheck

CheckResult = Literal["pass", "fail", "na"]


@dataclass(frozen=True)
class ChecklistItem:
    """One item of a kind's field check (核查), e.g. 断水 of 两断三清."""

    key: str
    zh: str
    en: str
    clause: str
    #: A ``pass`` needs a photo or file with the check (the evidence the plan asks for).
    evidence_required: bool = False


@dataclass(frozen=True)
class Facts:
    """What rules and guards read of one entry: the row, its field checks (newest first), the day.

    ``evidence`` counts the files kept with each check (check id → number of files). ``plan`` is
    the plan in force, for the values a rule takes from it (each village's 80 % floor of task 10
    is the plan's ``village_conversion_rate`` target, so another city's plan may set another);
    ``context`` is what the kind's :attr:`RegisterKind.context` read of other entries (e.g. the
    state of the village a loose-coal finding lies in).
    """

    record: RegisterRecord
    checks: Sequence[SourceCheck]
    today: date
    evidence: Mapping[int, int] = field(default_factory=dict)
    plan: Plan | None = None
    context: Mapping[str, Any] = field(default_factory=dict)

    def target_value(self, key: str) -> float | None:
        """The value of the plan's target ``key`` (tasks.yaml, annex.yaml), None without it."""
        if self.plan is None:
            return None
        return _target_values(self.plan).get(key)

    def plan_in_force(self) -> Plan:
        """The plan handed in, else the platform's plan in force (the nightly job has none)."""
        if self.plan is not None:
            return self.plan
        from lantian.plan import plan_in_force

        return plan_in_force()

    def latest(self, item: str) -> CheckResult | None:
        """The newest recorded result of a checklist item (``None``: never checked)."""
        for check in self.checks:
            entry = (check.items or {}).get(item)
            if entry is not None:
                result: CheckResult = entry["result"]
                return result
        return None

    def latest_with_evidence(self, item: str) -> bool:
        """Whether the newest result of ``item`` is a pass recorded with at least one file."""
        for check in self.checks:
            entry = (check.items or {}).get(item)
            if entry is not None:
                return entry["result"] == "pass" and self.evidence.get(check.id, 0) > 0
        return False


@lru_cache(maxsize=8)
def _target_values(plan: Plan) -> dict[str, float]:
    """Target key → value of a plan (read once per plan: rules ask for every entry)."""
    return {target.key: target.value for target, _, _ in plan.targets()}


@dataclass(frozen=True)
class Breach:
    """What a rule found wrong with an entry: it opens (or adds to) one inspection case."""

    title: str
    description: str
    #: When it was observed: the same breach seen again at the same instant adds nothing.
    observed_at: datetime
    severity: Literal["general", "serious", "major"] = "general"
    #: The rectification deadline the case gets (None: the office sets it when forwarding).
    deadline: datetime | None = None
    #: Marked for accountability (问责): hidden boilers after 10-01, firms relapsed after closure.
    accountability: bool = False
    #: The unit the case goes to when the plan makes another unit than the entry's lead for this
    #: requirement (a fuel station's urea is 市工商质监局's, its vapour recovery 市环保局's); None:
    #: the entry's unit.
    unit_code: str | None = None


@dataclass(frozen=True)
class Rule:
    """A rule of the plan evaluated on every change and nightly; ``check`` is pure."""

    key: str
    zh: str
    en: str
    clause: str
    check: Callable[[Facts], Breach | None]
    #: The breach is an event, not a lasting condition (a boiler found concealed): once the rule has
    #: opened a case for an entry it is not evaluated on that entry again, even after the case is
    #: closed (a closed case would otherwise be followed by a new one at the next evaluation).
    once: bool = False
    #: Entries of one group share one case (the fire points of a township and day, task 34): the
    #: group's key replaces the entry's key in the case's deduplication subject, and each entry
    #: joining the case keeps a ``case_opened`` event (so a ``once`` rule skips it afterwards).
    group: Callable[[Any], str] | None = None


def in_ban_zone(
    ban: Ban, plan: Plan | None, longitude: float | None, latitude: float | None
) -> bool:
    """Whether a point lies in one of the plan's zones carrying ``ban`` (``ban_zones.geojson``:
    fuel, fireworks, machinery); False without such a zone or without a point. The one in-zone
    check of every register judged by a ban zone (loose coal, fireworks, non-road machinery…)."""
    if plan is None or plan.ban_zones is None or longitude is None or latitude is None:
        return False
    from lantian.standards.geometry import in_any

    return in_any(longitude, latitude, plan.ban_zones.polygons(ban))


def ban_zone_layer(ban: Ban, plan: Plan) -> dict[str, Any] | None:
    """The plan's zones carrying ``ban`` as a GeoJSON FeatureCollection for a register's map
    (None: the plan has none)."""
    if plan.ban_zones is None:
        return None
    return plan.ban_zones.collection(ban)


def end_of_day(day: date) -> datetime:
    """The last instant of a day in China time, as an aware UTC datetime (a breach's observed_at:
    the same missed deadline seen again adds no occurrence)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA_TZ).astimezone(UTC)


def overdue_rule(
    *,
    lifecycle: Lifecycle,
    clause: str,
    title: Callable[[Any], str],
    label: tuple[str, str] = ("逾期未完成", "not done by the deadline"),
    done: frozenset[str] | None = None,
    applies: Callable[[Any], bool] | None = None,
    severity: Literal["general", "serious", "major"] = "serious",
) -> Rule:
    """The rule every register with deadlines has: an entry not in a ``done`` state (default: the
    lifecycle's closed states) after its own deadline is a breach, observed at the end of that day.

    ``title`` names the entry in the case's title (e.g. ``"集中供热片区逾期未供热：<name>"``);
    ``applies`` narrows the entries the deadline binds (only mines listed for closure).
    """
    finished = lifecycle.closed_states if done is None else done

    def check(facts: Facts) -> Breach | None:
        record = facts.record
        if record.deadline is None or record.deadline >= facts.today or record.state in finished:
            return None
        if applies is not None and not applies(record):
            return None
        state = lifecycle.state(record.state)
        return Breach(
            title=title(record),
            description=f"完成时限 {record.deadline}，当前状态「{state.zh}」/ deadline "
            f"{record.deadline} passed, still {state.en}",
            observed_at=end_of_day(record.deadline),
            severity=severity,
        )

    check.__doc__ = f"{label[1]} ({clause})"
    return Rule("overdue", label[0], label[1], clause, check)


def unproven(facts: Facts, items: Sequence[ChecklistItem]) -> list[Unmet]:
    """The items whose newest result is not a pass recorded with a photo or file: what a guard
    reports when the plan wants proof on the spot before a step (两断三清, 拆除烟囱 …)."""
    return [
        (f"「{item.zh}」未核查合格并附照片", f"'{item.en}' not checked as done with a photo")
        for item in items
        if not facts.latest_with_evidence(item.key)
    ]


class SetAside(Exception):
    """A row the kind does not file, with the reason (Chinese / English): raised by
    :attr:`RegisterKind.complete` for a fire point outside the plan's townships. An import reports
    the row as set aside (neither filed nor a bad row); a form or API body is refused."""


@dataclass(frozen=True)
class IndicatorValue:
    """A target's value computed from a register, with what stands behind it.

    ``value`` is in the target's unit (a count, a share in %, tonnes); ``detail`` lists the items
    it was computed from (e.g. every village's conversion rate) so the targets page can show them;
    ``records`` is how many register entries were counted.
    """

    target_key: str
    value: float | None
    records: int
    basis_zh: str
    basis_en: str
    detail: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Indicator:
    """A plan target (``tasks.yaml``/``annex.yaml`` key) computed from a register."""

    target_key: str
    compute: Callable[[Session], IndicatorValue]


@dataclass(frozen=True)
class SampleContext:
    """What a sample generator needs: the plan's areas and units, a seeded generator, the day."""

    areas: Sequence[tuple[str, str]]
    units: Sequence[str]
    rng: Random
    today: date
    #: A session to read other tables with (a permit's sample names the inventory's firms);
    #: None where there is none to read, and a kind needing one then has no sample rows.
    session: Session | None = None
    #: The plan the sample is drawn for (its data beyond areas and units), when known.
    plan: Plan | None = None


#: What a lifecycle step does beyond the state (e.g. putting the firm on the staggered-production
#: list of :mod:`lantian.emissions`): ``(session, actor, entry, note, plan)``, inside the step's
#: audited block; it raises the service errors of the package it calls.
StepEffect = Callable[["Session", str, "RegisterRecord", str, "Plan"], None]


@dataclass(frozen=True)
class Layout:
    """Another layout a kind's import accepts besides its own template: a vendor's own export
    (e.g. the remote-sensing vendor's CSV of task 23), recognised by its header and mapped onto
    the kind's rows by ``convert`` (the vendor's typed row, the plan → the kind's row; ``Invalid``
    naming the vendor's field for a row it cannot map). The one importer reads it: every bad row
    is reported, nothing is written unless all rows are good, the original upload is kept."""

    key: str
    zh: str
    en: str
    spec: TableSpec[Any]
    convert: Callable[[Any, Plan], RegisterRow]
    #: The kind's field → the layout's field it comes from, so that a problem the kind finds
    #: (a key repeated, a row it cannot route) names the column as the file heads it.
    reported_as: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RegisterBreach:
    """A breach of a register as a whole (not of one entry), e.g. a month in which fewer than
    20 % of the testing agencies were checked (task 23(3)): ``subject`` tells one breach from
    another of the same rule (the month), the case goes to ``unit_code``."""

    subject: str
    breach: Breach
    unit_code: str | None = None
    area_code: str | None = None
    #: Found on sample data only (the demo's): the case is marked as sample too.
    is_sample: bool = False


@dataclass(frozen=True)
class RegisterRule:
    """A rule judged on the whole register by the evaluation job (session, day, plan → breaches);
    each breach opens one case, deduplicated on (rule, subject)."""

    key: str
    zh: str
    en: str
    clause: str
    check: Callable[[Session, date, Plan], Sequence[RegisterBreach]]


@dataclass(frozen=True)
class Panel:
    """A table a kind shows on an entry's page beside its attributes, read from other tables
    (a construction site's latest PM10 from its monitor, the muck trucks found there). ``rows``
    are cells of text; ``links`` gives, per row, a page the row leads to (or None)."""

    key: str
    zh: str
    en: str
    headers: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, ...], ...]
    links: tuple[str | None, ...] = ()
    #: What the page says when there are no rows.
    empty: tuple[str, str] = ("无", "none")


@dataclass(frozen=True, eq=False)
class RegisterKind:
    """One kind of register: everything the generic machinery needs to serve it."""

    key: str
    zh: str
    en: str
    #: The plan's tasks it serves ("4", "5", "12(2)").
    tasks: tuple[str, ...]
    model: type[RegisterRecord]
    #: The typed row of an import, an API body or a form: the entry's attributes, never its state.
    row: type[RegisterRow]
    #: The columns of its template, import and export (common columns first, see ``common_columns``).
    columns: tuple[Column, ...]
    lifecycle: Lifecycle
    checklist: tuple[ChecklistItem, ...] = ()
    rules: tuple[Rule, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    sample: Callable[[SampleContext], Sequence[RegisterRow]] | None = None
    #: Fields shown as columns of the list page (after key, name, area, state).
    list_fields: tuple[str, ...] = ()
    #: Fields with choices the list page filters by.
    filter_fields: tuple[str, ...] = ()
    #: Ordering among kinds (the plan's task number of its first task).
    order: int = 0
    notes: tuple[tuple[str, str], ...] = ()
    #: What rules and guards need of other entries or tables, read once per evaluation into
    #: :attr:`Facts.context` (rules stay pure functions of the facts).
    context: Callable[[Session, RegisterRecord], Mapping[str, Any]] | None = None
    #: A GeoJSON FeatureCollection the map of this register draws under its entries (e.g. the
    #: ban zone of task 12(1) from the plan), or None when the plan has none.
    map_layer: Callable[[Plan], Mapping[str, Any] | None] | None = None
    #: Units of the plan that cooperate on the kind without keeping its entries: unit code → the
    #: checklist items it records on any entry (e.g. 市工商质监局 cancelling boilers' 使用登记证,
    #: task 16). Such a unit reads every entry of the kind.
    cooperating: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Documents the platform renders when a step is taken, kept with the step like an uploaded
    #: file: event → ``render(session, entry, note) -> (filename, bytes)`` (e.g. the approval of an
    #: earth-order exemption as a Word file the office prints, task 30).
    step_documents: Mapping[str, Callable[[Session, Any, str], tuple[str, bytes]]] = field(
        default_factory=dict
    )
    #: Completes a row from the plan before it is checked and saved (row, plan → row), e.g. a
    #: satellite fire point's township from the plan's township polygons; raises
    #: :class:`SetAside` for a row the kind does not file, ``Invalid`` for a bad one.
    complete: Callable[[Any, Plan], RegisterRow] | None = None
    #: The step a recorded field check makes the entry take by itself, as the check's author
    #: (e.g. 一票停工 of task 28: any failed check stops the site): facts → (event, note) or None.
    #: Taken only where the lifecycle lets the author's role take it from the entry's state.
    after_check: Callable[[Facts], tuple[str, str] | None] | None = None
    #: Tables the entry's page shows beside its attributes (read from other tables).
    panels: Callable[[Session, RegisterRecord], Sequence[Panel]] | None = None
    #: Tags the list and the entry's page show on entries (e.g. 黑名单 on a blacklisted
    #: contractor's sites): session, entries → entry id → (zh, en) tags.
    marks: (
        Callable[[Session, Sequence[RegisterRecord]], Mapping[int, Sequence[tuple[str, str]]]]
        | None
    ) = None
    #: Pages of the kind's own beside the generic ones, linked from its list: (path, zh, en),
    #: e.g. the contractor blacklist of task 28.
    pages: tuple[tuple[str, str, str], ...] = ()
    #: What the kind checks of a row against the plan and other tables before it is saved (an
    #: import reports it per row, a form refuses it): ``(field, reason)`` per problem. It may
    #: complete a field that follows from them (a permit's deadline is its sector's in the plan).
    admit: Callable[[Session, Plan, Any], Sequence[tuple[str, str]]] | None = None
    #: What the kind keeps consistent elsewhere once an entry was created, updated or stepped
    #: (``(session, actor, entry)``; e.g. a permit issued is the inventory's permit number).
    after_change: Callable[[Session, str, Any], None] | None = None
    #: The field holding the 统一社会信用代码 of an enterprise of the emission inventory
    #: (:class:`lantian.emissions.models.Enterprise`): checked against the inventory at import
    #: and save, linked from the entry's page, listed on the enterprise's page.
    enterprise_field: str | None = None
    #: Lifecycle event → what taking it does beyond the state (:data:`StepEffect`).
    effects: Mapping[str, StepEffect] = field(default_factory=dict)
    #: Other layouts the import accepts, recognised by their headers (:class:`Layout`).
    layouts: tuple[Layout, ...] = ()
    #: Rules of the register as a whole, judged by the evaluation job (:class:`RegisterRule`).
    register_rules: tuple[RegisterRule, ...] = ()

    @property
    def spec(self) -> TableSpec[Any]:
        return _spec(self)

    def checklist_item(self, key: str) -> ChecklistItem | None:
        return next((item for item in self.checklist if item.key == key), None)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.field == name), None)


@cache
def _spec(kind: RegisterKind) -> TableSpec[Any]:
    return TableSpec(
        kind.row,
        kind.columns,
        title=f"{kind.zh}台账 / {kind.en} register",
        notes=(
            (
                "按「编号」更新：编号已有的行更新该条目，新编号新增条目；状态只能在平台上按流程变更。",
                "Rows update the entry with the same key and add new keys; the state changes only "
                "through the register's steps on the platform.",
            ),
            *kind.notes,
        ),
    )


@cache
def kinds() -> dict[str, RegisterKind]:
    """Every register kind of :mod:`lantian.sources.kinds`, in the order of the plan's tasks."""
    from lantian.sources import kinds as package

    found: list[RegisterKind] = []
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, RegisterKind):
            found.append(kind)
    found.sort(key=lambda k: (k.order, k.key))
    return {kind.key: kind for kind in found}


def kind_of(key: str) -> RegisterKind:
    """The register kind named ``key`` (``NotFound`` for an unknown one)."""
    found = kinds().get(key)
    if found is None:
        raise NotFound(
            f"没有「{key}」这种台账（可选：{', '.join(kinds())}）/ no register kind {key!r} "
            f"(one of: {', '.join(kinds())})"
        )
    return found
