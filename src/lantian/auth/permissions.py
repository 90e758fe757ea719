"""Who may do what: roles, scopes and one table of grants.

A :class:`Principal` is whoever makes a request: a signed-in account (its role and, for unit and
township accounts, its scope) or the anonymous :data:`PUBLIC`. A :class:`Resource` is the thing
acted on: its kind, the units and areas it belongs to, and whether it is published.
:func:`can` answers from :data:`GRANTS`, one row per (role, actions, kinds, reach):

================  ===========================  ===========================  ===================
role              actions                      kinds                        reach
================  ===========================  ===========================  ===================
administrator     read, write, review          every kind                   everything
campaign_office   read, write, review          domain kinds                 everything
campaign_office   read                         audit_log, account,          everything
                                               scheduled_job
leader            read                         every kind                   everything
inspector         read                         domain kinds                 everything
inspector         write                        inspection_case              everything
unit              read                         domain kinds                 its unit
unit              write                        :data:`SCOPED_WRITABLE`      its unit
township          read                         domain kinds                 its area
township          write                        :data:`SCOPED_WRITABLE`      its area
device            submit_hj212                 hj212_data                   everything
(everyone)        read                         domain kinds                 published only
================  ===========================  ===========================  ===================

Anything not granted is refused. A unit account reaches a resource when its unit code is among
the resource's units (a task has a lead unit and cooperating units); a township account when its
area code is among the resource's areas. Only a device submits HJ 212 data: people bring data in
through imports, which are ``write`` on ``measurement``. Unknown actions or kinds raise
``ValueError`` — a misspelt kind must fail loudly, not quietly deny or allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from lantian.auth.models import ROLES

PUBLIC_ROLE = "public"


class Action(StrEnum):
    READ = "read"
    WRITE = "write"  # create, change, close
    REVIEW = "review"  # data review, sign-off, approval of others' work
    SUBMIT_HJ212 = "submit_hj212"


class Reach(StrEnum):
    EVERYTHING = "everything"
    OWN_UNIT = "own_unit"
    OWN_AREA = "own_area"
    PUBLISHED = "published"


#: The campaign's kinds of things (what the domain packages keep), which people read and change.
DOMAIN_KINDS = frozenset(
    {
        "station",
        "measurement",
        "aqi",
        "task",
        "progress_report",
        "target",
        "ledger_entry",
        "inspection_case",
        "warning",
        "emission_source",
        "reduction_list",
        "report",
    }
)
#: Kinds about the platform itself.
SYSTEM_KINDS = frozenset({"account", "api_token", "audit_log", "hj212_data", "scheduled_job"})
RESOURCE_KINDS = DOMAIN_KINDS | SYSTEM_KINDS

#: What a unit or township account changes within its scope: its tasks' progress, its ledgers and
#: the rectification of its inspection cases — not monitoring data, which only the office reviews.
SCOPED_WRITABLE = frozenset({"task", "progress_report", "ledger_entry", "inspection_case"})


@dataclass(frozen=True)
class Grant:
    role: str
    actions: frozenset[Action]
    kinds: frozenset[str]
    reach: Reach


def _grant(role: str, actions: Iterable[Action], kinds: Iterable[str], reach: Reach) -> Grant:
    return Grant(role, frozenset(actions), frozenset(kinds), reach)


_READ, _WRITE, _REVIEW = Action.READ, Action.WRITE, Action.REVIEW

GRANTS: tuple[Grant, ...] = (
    _grant("administrator", (_READ, _WRITE, _REVIEW), RESOURCE_KINDS, Reach.EVERYTHING),
    _grant("campaign_office", (_READ, _WRITE, _REVIEW), DOMAIN_KINDS, Reach.EVERYTHING),
    _grant(
        "campaign_office", (_READ,), {"audit_log", "account", "scheduled_job"}, Reach.EVERYTHING
    ),
    _grant("leader", (_READ,), RESOURCE_KINDS, Reach.EVERYTHING),
    _grant("inspector", (_READ,), DOMAIN_KINDS, Reach.EVERYTHING),
    _grant("inspector", (_WRITE,), {"inspection_case"}, Reach.EVERYTHING),
    _grant("unit", (_READ,), DOMAIN_KINDS, Reach.OWN_UNIT),
    _grant("unit", (_WRITE,), SCOPED_WRITABLE, Reach.OWN_UNIT),
    _grant("township", (_READ,), DOMAIN_KINDS, Reach.OWN_AREA),
    _grant("township", (_WRITE,), SCOPED_WRITABLE, Reach.OWN_AREA),
    _grant("device", (Action.SUBMIT_HJ212,), {"hj212_data"}, Reach.EVERYTHING),
    # Everyone, signed in or not, reads what the platform publishes (real-time AQI, warnings).
    *(_grant(role, (_READ,), DOMAIN_KINDS, Reach.PUBLISHED) for role in (*ROLES, PUBLIC_ROLE)),
)


class _Account(Protocol):
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def scope(self) -> str | None: ...


@dataclass(frozen=True)
class Principal:
    """Whoever acts: an account's username, role and scope, or the anonymous public."""

    username: str | None
    role: str
    scope: str | None = None
    #: Set after an administrator's reset: every page sends the account to change its password.
    must_change_password: bool = False

    def __post_init__(self) -> None:
        if self.role != PUBLIC_ROLE and self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role in ("unit", "township") and not self.scope:
            raise ValueError(f"a {self.role} principal needs its scope")

    @classmethod
    def of(cls, account: _Account) -> Principal:
        return cls(
            account.username,
            account.role,
            account.scope,
            bool(getattr(account, "must_change_password", False)),
        )

    @property
    def is_public(self) -> bool:
        return self.role == PUBLIC_ROLE


PUBLIC = Principal(None, PUBLIC_ROLE)


@dataclass(frozen=True)
class Resource:
    """The thing acted on: its kind, the units and areas it belongs to, and whether published."""

    kind: str
    units: frozenset[str] = field(default_factory=frozenset)
    areas: frozenset[str] = field(default_factory=frozenset)
    published: bool = False

    def __post_init__(self) -> None:
        if self.kind not in RESOURCE_KINDS:
            raise ValueError(f"unknown resource kind {self.kind!r}")


def resource(
    kind: str,
    *,
    unit: str | None = None,
    units: Iterable[str] = (),
    area: str | None = None,
    areas: Iterable[str] = (),
    published: bool = False,
) -> Resource:
    """Convenience constructor: ``resource("task", units=["环保局", "公安局"])``."""
    all_units = frozenset(units) | ({unit} if unit else set())
    all_areas = frozenset(areas) | ({area} if area else set())
    return Resource(kind, all_units, all_areas, published)


def _reaches(principal: Principal, reach: Reach, target: Resource) -> bool:
    if reach is Reach.EVERYTHING:
        return True
    if reach is Reach.OWN_UNIT:
        return principal.scope in target.units
    if reach is Reach.OWN_AREA:
        return principal.scope in target.areas
    return target.published


def can(principal: Principal, action: Action | str, target: Resource) -> bool:
    """Whether ``principal`` may do ``action`` to ``target`` (see the table of the module)."""
    wanted = Action(action)  # ValueError for an unknown action
    return any(
        grant.role == principal.role
        and wanted in grant.actions
        and target.kind in grant.kinds
        and _reaches(principal, grant.reach, target)
        for grant in GRANTS
    )
