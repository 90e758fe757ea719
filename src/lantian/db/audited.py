"""Audit without remembering to: rows of an :class:`Audited` model are logged by a session hook.

A model opts in by deriving from :class:`Audited`; from then on every insert, update and delete of
its rows, in any session, is written to the hash-chained audit log (:mod:`lantian.auth.audit`) in
the same transaction, with the changed columns before and after. Who made the change comes from
the session: a service wraps its writes in :func:`acting_as`::

    with acting_as(session, principal.username, reason=note):
        row.deadline = new_deadline

and a change to an audited row with no actor set is refused (:class:`UnattributedChange`), so a
new register cannot forget its audit. System jobs act as a named system actor
(:func:`system_actor`). The action of an entry is the model's verb (``<type>.add``,
``<type>.update``, ``<type>.remove``, or the names in ``__audit_verbs__``) unless the block names a
domain verb (``acting_as(..., action="case.accept")``).

An entity for which the service writes its own domain entry with :func:`lantian.auth.audit.record`
right after changing it (no flush in between) is not logged a second time: the flush that
``record`` makes carries the change, and the domain entry stands for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

#: ``session.info`` keys.
_ACTING = "lantian.audit.acting"
_RECORDED = "lantian.audit.recorded"

#: Prefix of the actor of scheduled and other system jobs.
SYSTEM_PREFIX = "system:"


class UnattributedChange(RuntimeError):
    """An audited row changed in a session with no actor (a programming error, not bad input)."""


class Audited:
    """Mixin of models whose every change goes to the audit log (see the module docstring).

    * ``__audit_type__`` — the entries' ``entity_type`` (default: the table name);
    * ``__audit_verbs__`` — action names for ``add``, ``update``, ``remove`` (default
      ``<type>.add`` …);
    * ``__audit_ignore__`` — columns never written to the log (secrets, counters that no person
      sets) — a change to these alone writes no entry;
    * :meth:`audit_key` — the ``entity_id`` (default: the primary key).
    """

    __audit_type__: ClassVar[str | None] = None
    __audit_verbs__: ClassVar[Mapping[str, str]] = {}
    __audit_ignore__: ClassVar[frozenset[str]] = frozenset({"id"})

    @classmethod
    def audit_type(cls) -> str:
        return cls.__audit_type__ or str(getattr(cls, "__tablename__", cls.__name__))

    @classmethod
    def audit_verb(cls, change: str) -> str:
        return cls.__audit_verbs__.get(change) or f"{cls.audit_type()}.{change}"

    def audit_key(self, session: Session) -> str:
        """The entity id of the entries (default: the primary key, known once inserted)."""
        mapper = inspect(type(self))
        values = inspect(self).dict
        parts = [
            values.get(mapper.get_property_by_column(column).key) for column in mapper.primary_key
        ]
        if any(part is None for part in parts):
            raise UnattributedChange(f"{type(self).__name__} has no primary key to audit by")
        return "/".join(str(part) for part in parts)


@dataclass
class Acting:
    """Who changes what in a session, and why (one level of :func:`acting_as`)."""

    actor: str
    action: str | None = None
    reason: str | None = None
    at: datetime | None = None


def system_actor(job: str) -> str:
    """The actor name of a system job (``system:<job>``), e.g. the case escalation."""
    return f"{SYSTEM_PREFIX}{job}"


@contextmanager
def acting_as(
    session: Session,
    actor: str,
    *,
    action: str | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> Iterator[Acting]:
    """Attribute the audited changes made in the block to ``actor`` (with ``action``/``reason``).

    Blocks nest (the innermost applies). The block's changes are flushed, and so logged, when it
    ends without an error; on an error nothing is flushed and the transaction rolls back as usual.
    """
    if not actor or not actor.strip():
        raise UnattributedChange("acting_as needs an actor")
    acting = Acting(actor, action, reason, at)
    stack: list[Acting] = session.info.setdefault(_ACTING, [])
    stack.append(acting)
    try:
        yield acting
        session.flush()
    finally:
        stack.remove(acting)


def current_acting(session: Session) -> Acting | None:
    stack: list[Acting] = session.info.get(_ACTING, [])
    return stack[-1] if stack else None


@contextmanager
def recorded_explicitly(session: Session, entity_type: str, entity_id: str) -> Iterator[None]:
    """While the block runs, a change of this entity is covered by a domain entry being written
    (:func:`lantian.auth.audit.record` flushes inside it), so the hook does not log it again."""
    key = (entity_type, entity_id)
    covered: set[tuple[str, str]] = session.info.setdefault(_RECORDED, set())
    covered.add(key)
    try:
        yield
    finally:
        covered.discard(key)


@dataclass(frozen=True)
class Change:
    """One audited row change found at flush time."""

    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _columns(instance: Audited) -> list[str]:
    mapper = inspect(type(instance))
    return [
        attribute.key
        for attribute in mapper.column_attrs
        if attribute.key not in type(instance).__audit_ignore__
    ]


def _loaded(instance: Audited) -> dict[str, Any]:
    """The instance's loaded column values (never triggers a load inside the flush)."""
    state = inspect(instance).dict
    return {name: state[name] for name in _columns(instance) if name in state}


def _changed(instance: Audited) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(instance)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in _columns(instance):
        history = state.attrs[name].history
        if not history.added and not history.deleted:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            before[name], after[name] = old, new
    return before, after


def pending_changes(session: Session) -> list[Change]:
    """The audited changes of the flush in progress (called from ``after_flush``)."""
    changes: list[Change] = []
    for instance in session.new:
        if isinstance(instance, Audited):
            key = instance.audit_key(session)
            changes.append(
                Change(instance.audit_verb("add"), instance.audit_type(), key, None,
                       _loaded(instance))
            )  # fmt: skip
    for instance in session.dirty:
        if isinstance(instance, Audited):
            before, after = _changed(instance)
            if before or after:
                key = instance.audit_key(session)
                changes.append(
                    Change(instance.audit_verb("update"), instance.audit_type(), key, before, after)
                )
    for instance in session.deleted:
        if isinstance(instance, Audited):
            key = instance.audit_key(session)
            changes.append(
                Change(instance.audit_verb("remove"), instance.audit_type(), key,
                       _loaded(instance), None)
            )  # fmt: skip
    recorded: set[tuple[str, str]] = session.info.get(_RECORDED, set())
    return [c for c in changes if (c.entity_type, c.entity_id) not in recorded]


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, flush_context: UOWTransaction) -> None:
    changes = pending_changes(session)
    if not changes:
        return
    acting = current_acting(session)
    if acting is None:
        shown = ", ".join(f"{c.entity_type} {c.entity_id}" for c in changes[:5])
        raise UnattributedChange(
            f"审计对象被修改但未指明操作人 / audited rows changed with no actor set ({shown}): "
            "wrap the change in lantian.db.audited.acting_as(session, actor)"
        )
    from lantian.auth import audit  # the log's models import this module's mixin users

    audit.append_changes(session, acting, changes)
