"""A register's lifecycle as a table: states, and the transitions people take between them.

The shape is the inspection cases' (:mod:`lantian.supervision.rules`): each transition names the
states it leaves, the state it reaches, the roles that may take it and the clause of the plan it
comes from; a *guard* says what must hold first (the five checks of 两断三清 before a closure is
signed off, a joint sign-off before an upgraded firm restarts). Pure: no I/O, the facts a guard
reads are handed in by the service (:class:`lantian.sources.registry.Facts`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lantian.errors import Conflict, Invalid, NotAllowed

if TYPE_CHECKING:
    from lantian.sources.registry import Facts

#: The office (攻坚办) and the platform's administrator: every transition of every register.
OFFICE_ROLES = frozenset({"campaign_office", "administrator"})
#: Roles acting within their scope: the township (its area) and the responsible unit (its unit).
SCOPED_ROLES = frozenset({"township", "unit"})
#: Who keeps a register day to day: the office and the township or unit responsible.
KEEPERS = OFFICE_ROLES | SCOPED_ROLES
#: Who verifies on the spot (核查): the office and the inspection teams.
VERIFIERS = OFFICE_ROLES | {"inspector"}

#: A condition a guard found unmet: (Chinese, English).
Unmet = tuple[str, str]
Guard = Callable[["Facts"], Sequence[Unmet]]


@dataclass(frozen=True)
class State:
    key: str
    zh: str
    en: str
    #: Closed off (销号): the entry needs nothing more; deadlines no longer apply to it.
    closed: bool = False


@dataclass(frozen=True)
class Transition:
    event: str
    zh: str
    en: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    #: The plan's words this transition comes from (task number and quoted clause).
    clause: str
    guard: Guard | None = None
    #: A note is required (a refusal, a reopening or a revisit must say why).
    note_required: bool = False
    #: A file must come with the step (the document the step stands on: an application letter,
    #: a review opinion, an approval — kept in the file store with the step).
    files_required: bool = False


def transition(
    event: str,
    label: tuple[str, str],
    sources: Iterable[str],
    target: str,
    roles: Iterable[str],
    clause: str,
    *,
    guard: Guard | None = None,
    note_required: bool = False,
    files_required: bool = False,
) -> Transition:
    """Shorthand for a row of a transition table."""
    return Transition(
        event,
        label[0],
        label[1],
        frozenset(sources),
        target,
        frozenset(roles),
        clause,
        guard,
        note_required,
        files_required,
    )


@dataclass(frozen=True)
class Lifecycle:
    states: tuple[State, ...]
    initial: str
    transitions: tuple[Transition, ...]
    by_event: dict[str, Transition] = field(init=False, repr=False, compare=False)
    by_state: dict[str, State] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_state = {s.key: s for s in self.states}
        by_event = {t.event: t for t in self.transitions}
        if self.initial not in by_state:
            raise ValueError(f"initial state {self.initial!r} is not a state")
        if len(by_event) != len(self.transitions) or len(by_state) != len(self.states):
            raise ValueError("an event or a state is defined twice")
        for t in self.transitions:
            unknown = (set(t.sources) | {t.target}) - set(by_state)
            if unknown:
                raise ValueError(f"transition {t.event!r} names unknown states {sorted(unknown)}")
        object.__setattr__(self, "by_event", by_event)
        object.__setattr__(self, "by_state", by_state)

    def state(self, key: str) -> State:
        return self.by_state[key]

    @property
    def closed_states(self) -> frozenset[str]:
        return frozenset(s.key for s in self.states if s.closed)

    def available(self, state: str, role: str) -> list[Transition]:
        """The transitions ``role`` may take from ``state`` (the buttons a page offers)."""
        return [t for t in self.transitions if state in t.sources and role in t.roles]

    def check(self, state: str, event: str, role: str, facts: Facts | None = None) -> Transition:
        """The transition to take, or the error saying why not (unknown, wrong state, role, guard)."""
        found = self.by_event.get(event)
        if found is None:
            known = ", ".join(self.by_event)
            raise Invalid(
                f"未知的操作 {event!r}（可选：{known}）/ unknown step {event!r} (one of: {known})",
                field="event",
            )
        if state not in found.sources:
            now = self.by_state[state]
            raise Conflict(
                f"当前状态为「{now.zh}」，不能{found.zh} / "
                f"the entry is {now.en}: cannot {found.en} from this state"
            )
        if role not in found.roles:
            raise NotAllowed(f"无权{found.zh} / your role may not {found.en}")
        if found.guard is not None and facts is not None:
            unmet = list(found.guard(facts))
            if unmet:
                zh = "；".join(u[0] for u in unmet)
                en = "; ".join(u[1] for u in unmet)
                raise Conflict(f"不能{found.zh}：{zh} / cannot {found.en}: {en}")
        return found
