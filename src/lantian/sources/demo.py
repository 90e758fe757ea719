"""The registers' sample data for the demo: each kind's ``sample`` rows for the plan's areas,
drawn up at the start of August 2017, then every entry walked along its lifecycle to where a
working campaign would have it on the demo's day (:data:`lantian.demo.DEMO_AS_OF`): field checks
item by item with photos, steps with notes, by the demo's accounts, through the one write path
(:func:`lantian.sources.service.take_step` / :func:`~lantian.sources.service.record_check`), each
dated in the past on the demo's clock. Marked as sample (示例数据) everywhere.

Generic over :func:`lantian.sources.registry.kinds` — nothing here knows a kind:

- the route is found in the kind's transition table: the distance of every state to a closed state
  (reopenings left out), and at each step the transitions that bring the entry closer (or no
  further), nearest first;
- before a guarded step, the guard is asked which checklist items it wants (what a check passing
  exactly those items would change, tried on the facts without writing); the inspectors record a
  passing check of those items, with a photo for each item that needs evidence; a guard that still
  refuses (a village under the floor, a gas boiler that cannot be eliminated) leaves the entry
  where it is, as it would a real one;
- each entry gets an outcome drawn from :data:`OUTCOMES`: most entries due before the demo's day
  closed before their deadlines, a few late or stuck (the overdue entries and rule cases the office
  sees), entries due later in progress; the nightly rule evaluation runs the night after a missed
  deadline and on the demo's night, as the job would have.
"""

from __future__ import annotations

import struct
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.demo.accounts import DEMO_ACCOUNTS
from lantian.errors import ServiceError
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.lifecycle import Guard, Lifecycle, Transition
from lantian.sources.models import RegisterRecord, SourceCheck
from lantian.sources.registry import Facts, RegisterKind, SampleContext, kinds
from lantian.timeutil import CHINA_TZ

#: The demo's accounts (lantian.demo.accounts) by role: who takes a step or records a check.
_ACCOUNTS = {
    account.username: Principal(account.username, account.role, account.scope)
    for account in DEMO_ACCOUNTS
}
DEMO_OFFICE = _ACCOUNTS["office"]
DEMO_INSPECTOR = _ACCOUNTS["inspector"]
#: The scoped demo accounts (a township, a unit): they take the steps of their own entries.
SCOPED_ACCOUNTS = tuple(p for p in _ACCOUNTS.values() if p.role in ("township", "unit"))
#: When the sample registers are drawn up (the plan's first month).
SAMPLE_START = datetime(2017, 8, 1, 1, 0, tzinfo=UTC)
SEED = 2017
#: The nightly rule evaluation's hour (lantian.sources.jobs: DailyAt 00:30, China time).
NIGHTLY = time(0, 30)


@dataclass(frozen=True)
class Outcomes:
    """How the entries of a register stand on the demo's day.

    Due before the demo's day: all closed before their deadlines but ``behind`` of them (at most
    ``most_behind`` per register), of which ``late`` closed after the deadline (the nightly job
    opened an overdue case first) and the others stuck part-way (overdue on the office's pages,
    each with its case). Due later: ``early`` closed already, the others part-way. Without a
    deadline: ``undated`` closed, the others part-way.

    Chosen so that the office's day looks like a campaign four months in that met the plan's
    deadlines in the large (Xinmi reported its annex figures done): about one entry in ten due
    behind, but never more than a handful per register — the overdue filter, the entries'
    timelines and the cases page have something to show (a few dozen overdue cases over a dozen
    registers), without hundreds of cases burying the office's real work.
    """

    behind: float = 0.1
    most_behind: int = 6
    late: float = 1 / 3
    early: float = 0.3
    undated: float = 0.75


OUTCOMES = Outcomes()


def png_photo(width: int, height: int, colour: tuple[int, int, int], stripe: int) -> bytes:
    """A small valid PNG (a coloured field with a darker diagonal stripe), written by hand:
    the demo's site photos, without an imaging library."""
    red, green, blue = colour
    lines = []
    for y in range(height):
        line = bytearray([0])  # filter type 0 per scanline
        for x in range(width):
            dark = abs((x + stripe) % width - y * width // height) < 4
            line += bytes((red // 2, green // 2, blue // 2) if dark else (red, green, blue))
        lines.append(bytes(line))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(lines), 9))
        + chunk(b"IEND", b"")
    )


@cache
def _photo(variant: int) -> bytes:
    """One of :data:`PHOTO_VARIANTS` site photos (drawn once: the file store keeps one copy of the
    same bytes, so the demo's checks share a few dozen files)."""
    rng = Random(f"{SEED}:photo:{variant}")  # noqa: S311 — seeded randomness draws the demo's sample photos; nothing secret
    colour = (rng.randint(90, 230), rng.randint(90, 230), rng.randint(90, 230))
    return png_photo(48, 36, colour, variant)


#: How many different photos the demo's checks draw from.
PHOTO_VARIANTS = 24


def _photos(kind: RegisterKind, items: Sequence[str], rng: Random) -> list[service.UploadedFile]:
    """A photo for each item needing evidence, else one photo of the site."""
    wanted = [item for item in kind.checklist if item.key in items and item.evidence_required]
    variants = rng.sample(range(PHOTO_VARIANTS), max(1, len(wanted)))
    return [
        service.UploadedFile(f"{item.key}.png", _photo(variant))
        for item, variant in zip(wanted, variants, strict=False)
    ] or [service.UploadedFile("site.png", _photo(variants[0]))]


def _demo_roles() -> frozenset[str]:
    return frozenset(p.role for p in _ACCOUNTS.values())


def distances(lifecycle: Lifecycle, roles: frozenset[str] | None = None) -> dict[str, int]:
    """Each state's number of steps to a closed state along the transitions ``roles`` may take,
    leaving out those that leave a closed state (reopenings); states that cannot close are absent."""
    allowed = roles if roles is not None else _demo_roles()
    forward = [
        t
        for t in lifecycle.transitions
        if t.roles & allowed and not (t.sources & lifecycle.closed_states)
    ]
    found = {state: 0 for state in lifecycle.closed_states}
    queue = deque(found)
    while queue:
        state = queue.popleft()
        for t in forward:
            if t.target == state:
                for source in t.sources:
                    if source not in found:
                        found[source] = found[state] + 1
                        queue.append(source)
    return found


def _candidates(
    lifecycle: Lifecycle,
    state: str,
    distance: dict[str, int],
    visited: set[str] | frozenset[str],
    *,
    may_close: bool = True,
) -> list[Transition]:
    """The steps from ``state`` that bring an entry nearer to a closed state (or no further, to a
    state not yet passed), nearest first; ``may_close=False`` leaves out the closing ones."""
    here = distance.get(state)
    if here is None or state in lifecycle.closed_states:
        return []
    roles = _demo_roles()
    found = [
        t
        for t in lifecycle.transitions
        if state in t.sources
        and t.roles & roles
        and t.target in distance
        and distance[t.target] <= here
        and t.target not in visited
        and (may_close or t.target not in lifecycle.closed_states)
    ]
    # A step needing a note is the exceptional way (a false alarm, a refusal, a sign-off instead
    # of a closure): taken only when the ordinary ones are refused.
    return sorted(found, key=lambda t: (t.note_required, distance[t.target]))


def longest_route(lifecycle: Lifecycle, state: str, distance: dict[str, int]) -> int:
    """The most steps a walk from ``state`` may take to a closed state (a guard refusing the
    nearest step sends an entry the longer way: an upgraded firm is signed off, then restarts)."""

    def longest(here: str, visited: frozenset[str]) -> int:
        return max(
            (
                1 + longest(t.target, visited | {t.target})
                for t in _candidates(lifecycle, here, distance, visited)
            ),
            default=0,
        )

    return longest(state, frozenset({state}))


def _documents(step: Transition) -> list[service.UploadedFile]:
    """The document a step that requires one carries (an application letter, an approval)."""
    if not step.files_required:
        return []
    text = f"示例文件：{step.zh}\n{step.clause}\n（示例数据 / sample）\n"
    return [service.UploadedFile(f"{step.event}.txt", text.encode())]


def _with_passing(facts: Facts, kind: RegisterKind, items: Sequence[str]) -> Facts:
    """The facts as they would be after a check passing ``items`` with a photo (not written)."""
    if not items:
        return facts
    check = SourceCheck(
        id=-1,
        kind=kind.key,
        record_id=facts.record.id,
        checked_at=clock.now(),
        checked_by="",
        items={key: {"result": "pass", "note": ""} for key in items},
        passed=True,
        note="",
    )
    return replace(facts, checks=[check, *facts.checks], evidence={**facts.evidence, -1: 1})


def wanted_items(kind: RegisterKind, guard: Guard, facts: Facts) -> list[str] | None:
    """The checklist items a passing check must cover before ``guard`` allows its step (``[]``:
    it allows it already); None when even a check passing every item leaves it refusing."""
    if not guard(facts):
        return []
    every = [item.key for item in kind.checklist]
    if not every or guard(_with_passing(facts, kind, every)):
        return None
    needed = [
        key for key in every if guard(_with_passing(facts, kind, [k for k in every if k != key]))
    ]
    return needed if needed and not guard(_with_passing(facts, kind, needed)) else every


def actor_for(kind: RegisterKind, step: Transition, record: RegisterRecord) -> Principal:
    """The demo account that would take ``step``: the entry's own township or unit where it may,
    the inspectors for a step only verifiers take (an acceptance), else the office."""
    for who in SCOPED_ACCOUNTS:
        if who.role in step.roles and service.may_keep(who, record.area_code, record.unit_code):
            return who
    if DEMO_INSPECTOR.role in step.roles and not step.roles & {"township", "unit"}:
        return DEMO_INSPECTOR
    return DEMO_OFFICE


def china_night(day: date) -> datetime:
    """The nightly job's instant the night after ``day`` (00:30 China time the next day)."""
    return datetime.combine(day + timedelta(days=1), NIGHTLY, tzinfo=CHINA_TZ).astimezone(UTC)


def _instant(day: date, hour: int = 17) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA_TZ).astimezone(UTC)


class _Walker:
    """Walks the entries of one kind, each on its own dates (the clock set for every action)."""

    def __init__(
        self,
        session: Session,
        kind: RegisterKind,
        plan: Plan,
        store: FileStore,
        rng: Random,
        moment: clock.FrozenClock,
        limit: datetime,
    ) -> None:
        self.session = session
        self.kind = kind
        self.plan = plan
        self.store = store
        self.rng = rng
        self.moment = moment
        self.limit = limit
        self.distance = distances(kind.lifecycle)
        self.routes = {
            state: longest_route(kind.lifecycle, state, self.distance) for state in self.distance
        }
        self.steps = 0
        self.checks = 0

    def behind(self, records: Sequence[RegisterRecord]) -> dict[int, bool]:
        """The entries due before the demo's day that are behind: id → closed late (else stuck)."""
        day = self.limit.astimezone(CHINA_TZ).date()
        due = [r.id for r in records if r.deadline is not None and r.deadline < day]
        count = min(OUTCOMES.most_behind, max(1, round(OUTCOMES.behind * len(due))), len(due))
        chosen = self.rng.sample(due, count)
        late = max(1, round(count * OUTCOMES.late)) if count > 1 else 0
        return {record_id: index < late for index, record_id in enumerate(chosen)}

    def schedule(self, record: RegisterRecord, behind: bool | None) -> tuple[list[datetime], bool]:
        """The instants of the entry's steps (as many as its longest route: a shorter one closes
        sooner) and whether it is meant to close (else it stops short of a closed state).
        ``behind``: None for an entry on time, True closed late, False stuck."""
        rng = self.rng
        route = self.routes.get(record.state, 0)
        if route == 0:
            return [], False
        begin = SAMPLE_START + timedelta(days=rng.uniform(1, 12))
        last_day = (self.limit - timedelta(days=1)).astimezone(CHINA_TZ).date()
        deadline = record.deadline
        if deadline is not None and deadline < self.limit.astimezone(CHINA_TZ).date():
            due = _instant(deadline, 12)
            # Not before the register was drawn up, even for a deadline soon after.
            begin = max(
                min(begin, due - timedelta(days=route + 1)), SAMPLE_START + timedelta(hours=6)
            )
            if behind is None:
                # Work runs up to the deadline: most finish in its last weeks.
                finish = due - (due - begin) * rng.betavariate(1.0, 2.5) * 0.9
                return self._spread(begin, finish, route), True
            if behind:
                room = max(3.0, min(75.0, (self.limit - due).days - 2.0))
                finish = due + timedelta(days=rng.uniform(3.0, room))
                return self._spread(begin, min(finish, self.limit), route), True
            return self._spread(begin, due, rng.randrange(route)), False
        end = _instant(last_day)
        share = OUTCOMES.early if deadline is not None else OUTCOMES.undated
        if rng.random() < share:
            finish = begin + (end - begin) * rng.uniform(0.2, 1.0)
            return self._spread(begin, finish, route), True
        return self._spread(begin, end, rng.randrange(route)), False

    def _spread(self, begin: datetime, finish: datetime, count: int) -> list[datetime]:
        """``count`` instants between ``begin`` and ``finish`` (the last one at ``finish``) in
        office hours, ascending."""
        if count <= 0:
            return []
        span = max(finish - begin, timedelta(hours=count * 6))
        fractions = [*sorted(self.rng.random() for _ in range(count - 1)), 1.0]
        found = []
        for fraction in fractions:
            moment = begin + span * fraction
            local = moment.astimezone(CHINA_TZ)
            hour = self.rng.randint(9, 17)
            moment = local.replace(hour=hour, minute=self.rng.randint(0, 59)).astimezone(UTC)
            found.append(min(moment, self.limit - timedelta(hours=1)))
        found.sort()
        return found

    def walk(self, record: RegisterRecord, behind: bool | None = None) -> None:
        kind = self.kind
        times, close = self.schedule(record, behind)
        deadline = record.deadline
        night = (
            china_night(deadline)
            if deadline is not None and china_night(deadline) < self.limit
            else None
        )
        visited = {record.state}
        previous = SAMPLE_START
        for at in times:
            if night is not None and night <= at:
                self._evaluate(record, night)
                night = None
            if kind.lifecycle.state(record.state).closed:
                break
            if not self._step(record, at, previous, visited, may_close=close):
                break
            previous = at
        if night is not None and not kind.lifecycle.state(record.state).closed:
            self._evaluate(record, night)

    def _evaluate(self, record: RegisterRecord, at: datetime) -> None:
        """What the nightly job finds of the entry that night."""
        self.moment.moment = at
        service.evaluate_records(
            self.session, self.kind, [record], at.astimezone(CHINA_TZ).date(), plan=self.plan
        )

    def _step(
        self,
        record: RegisterRecord,
        at: datetime,
        previous: datetime,
        visited: set[str],
        *,
        may_close: bool,
    ) -> bool:
        """Take the nearest step its guard allows (after a check of the items it wants)."""
        kind = self.kind
        self.moment.moment = at
        steps = _candidates(
            kind.lifecycle, record.state, self.distance, visited, may_close=may_close
        )
        for step in steps:
            if step.guard is not None:
                facts = service.facts_of(self.session, kind, record, plan=self.plan)
                items = wanted_items(kind, step.guard, facts)
                if items is None:
                    continue  # the guard refuses whatever a check finds: not this way
                if items:
                    gap = min((at - previous).total_seconds() * 0.8, 72 * 3600)
                    self.moment.moment = at - timedelta(seconds=self.rng.uniform(0.1, 1) * gap)
                    service.record_check(
                        self.session, DEMO_INSPECTOR, kind, record.id,
                        service.CheckInput(
                            items={key: "pass" for key in items},
                            longitude=record.longitude, latitude=record.latitude,
                            note="示例核查 / sample check",
                        ),
                        files=_photos(kind, items, self.rng), store=self.store, plan=self.plan,
                    )  # fmt: skip
                    self.checks += 1
                    self.moment.moment = at
            who = actor_for(kind, step, record)
            try:
                with self.session.begin_nested():
                    service.take_step(
                        self.session, who, kind, record.id,
                        service.StepInput(event=step.event, note=f"示例：{step.zh} / sample"),
                        files=_documents(step), store=self.store, plan=self.plan,
                    )  # fmt: skip
            except ServiceError:
                continue  # refused (the state, a guard): as a real step would be
            visited.add(record.state)
            self.steps += 1
            return True
        return False


def settle_cases(
    session: Session,
    kind: RegisterKind,
    records: Sequence[RegisterRecord],
    plan: Plan,
    moment: clock.FrozenClock,
    limit: datetime,
    rng: Random,
) -> int:
    """Take the open rule cases of entries closed since through the cases' own steps, as the
    office and the responsible side would have (forwarded, accepted, reported once the entry was
    closed, closed by the office), each dated in the past; returns how many were closed.

    A case of an entry still open stays open: it is what the office's board has to chase."""
    from lantian.supervision import service as cases
    from lantian.supervision.models import InspectionCase

    # A case's subject is its entry, or the group of entries a grouping rule gathers into one
    # case (the fire points of a township and day): settled once every entry of it is closed.
    members: dict[str, list[RegisterRecord]] = {}
    for entry in records:
        members.setdefault(f"{kind.key}:{entry.key}", []).append(entry)
        for rule in kind.rules:
            if rule.group is not None:
                members.setdefault(f"{kind.key}:{rule.group(entry)}", []).append(entry)
    closed = {
        subject: max(entries, key=lambda r: r.state_since)
        for subject, entries in members.items()
        if all(r.state in kind.lifecycle.closed_states for r in entries)
    }
    found = session.scalars(
        select(InspectionCase)
        .where(
            InspectionCase.source == "rule",
            InspectionCase.state != "closed",
            InspectionCase.dedup_key.like(f"rule|{kind.key}.%"),
        )
        .order_by(InspectionCase.id)
    ).all()
    lead = next(
        (
            task.assignment.lead_units[0]
            for task in plan.tasks()
            if task.ref == kind.tasks[0] and task.assignment.lead_units
        ),
        None,
    )
    settled = 0
    for case in found:
        record = closed.get(str(case.dedup_key).rsplit("|", 1)[-1])
        # A township's case (the fire points of its grid) goes to the entry's unit, else to the
        # lead unit of the kind's task in the plan (市禁烧办 for task 34), with the township.
        unit_code = case.unit_code or (record.unit_code if record is not None else None) or lead

        if record is None or unit_code is None:
            continue
        forwarded = case.created_at + timedelta(hours=rng.uniform(2, 48))
        done = max(record.state_since, forwarded) + timedelta(hours=rng.uniform(2, 30))
        finished = done + timedelta(hours=rng.uniform(20, 100))
        if finished >= limit:
            continue
        accepted = forwarded + (done - forwarded) * rng.uniform(0.05, 0.5)
        steps = (
            (forwarded, "forward", "", unit_code),
            (accepted, "accept", "", None),
            (done, "report", f"示例：已整改，台账条目已「{kind.lifecycle.state(record.state).zh}」",
             None),
            (finished, "close", "示例：核实办结 / sample", None),
        )  # fmt: skip
        try:
            with session.begin_nested():
                for at, event, note, unit in steps:
                    moment.moment = at
                    cases.take_step(
                        session, DEMO_OFFICE, case.id, event, at, note=note, unit_code=unit,
                        plan=plan,
                    )  # fmt: skip
        except ServiceError:
            continue  # refused as a real step would be: the case stays open
        settled += 1
    return settled


def _demo_night(limit: datetime) -> datetime:
    """The nightly job's run on the demo's day (00:30 China time, before the demo's instant)."""
    day = limit.astimezone(CHINA_TZ).date()
    night = china_night(day - timedelta(days=1))
    return night if night < limit else china_night(day - timedelta(days=2))


def load_sample_registers(
    sessions: sessionmaker[Session], plan: Plan, data_dir: Path, as_of: datetime | None = None
) -> str:
    """Load each kind's sample register once (a second run changes nothing) and walk every entry
    to where it stands at ``as_of`` (the clock's now: the demo loads on :data:`DEMO_AS_OF`);
    returns the demo's report line."""
    limit = as_of or clock.now()
    store = FileStore(data_dir)
    parts = []
    moment = clock.FrozenClock(SAMPLE_START)
    with clock.use(moment):
        for kind in kinds().values():
            if kind.sample is None:
                continue
            with sessions() as session:
                if session.scalar(
                    select(kind.model.id).where(kind.model.is_sample.is_(True)).limit(1)
                ):
                    parts.append(f"{kind.zh} 已加载 already loaded")
                    continue
            moment.moment = SAMPLE_START
            rng = Random(f"{SEED}:{kind.key}")  # noqa: S311 — seeded randomness makes the demo reproducible; nothing secret is drawn
            with sessions() as reading:
                context = SampleContext(
                    areas=[(a.code, a.name) for a in plan.areas],
                    units=[u.code for u in plan.units],
                    rng=rng,
                    today=moment.now().date(),
                    session=reading,
                    plan=plan,
                )
                rows = list(kind.sample(context))
            if not rows:
                parts.append(f"{kind.zh} 无示例 no sample rows")
                continue
            with transaction(sessions) as session:
                counts = service.save_samples(session, DEMO_OFFICE, kind, rows)
                ids = [r.id for r in counts.records]
            with transaction(sessions) as session:
                walker = _Walker(session, kind, plan, store, rng, moment, limit)
                records = [session.get(kind.model, i) for i in sorted(ids)]
                walked = [r for r in records if r is not None]
                behind = walker.behind(walked)
                for record in walked:
                    walker.walk(record, behind.get(record.id))
                settled = settle_cases(session, kind, walked, plan, moment, limit, rng)
                # The nightly job of the demo's day finds what is wrong then. Closed entries were
                # evaluated when they closed, and what could still be found of them is a revisit
                # finding them working again, which the demo does not invent.
                moment.moment = _demo_night(limit)
                closed = kind.lifecycle.closed_states
                service.evaluate_records(
                    session, kind, [r for r in walked if r.state not in closed],
                    moment.moment.astimezone(CHINA_TZ).date(), plan=plan,
                )  # fmt: skip
            parts.append(
                f"{kind.zh} {len(rows)} 条 entries, {walker.steps} 步 steps, "
                f"{walker.checks} 次核查 checks, {settled} 件案件办结 cases closed"
            )
    return "示例台账 sample registers: " + "；".join(parts)
