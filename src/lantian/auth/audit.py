"""The audit log: an append-only, hash-chained record of every change a person makes.

Canonical form (what an outside auditor recomputes)
---------------------------------------------------
Each entry's ``hash`` is the lower-case hex SHA-256 of the UTF-8 bytes of this JSON object::

    {"action": …, "actor": …, "after": …, "at": …, "before": …, "entity_id": …,
     "entity_type": …, "id": …, "previous_hash": …, "reason": …}

serialised with keys sorted, no whitespace (separators ``,`` and ``:``), non-ASCII characters
written as themselves (not ``\\u`` escapes), and NaN/Infinity refused — in Python exactly
``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)``.
Keys inside ``before`` and ``after`` are sorted the same way, at every depth. The values:

* ``id`` — the entry's integer id; ids run 1, 2, 3, … without gaps;
* ``at`` — the UTC time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six fraction digits);
* ``actor``, ``action``, ``entity_type``, ``entity_id`` — strings;
* ``before``, ``after`` — the JSON stored in the row (``null`` when absent);
* ``reason`` — a string or ``null``;
* ``previous_hash`` — the ``hash`` of entry ``id - 1``; for entry 1, sixty-four ``0``.

A chain alone cannot show that its newest entries were deleted (what remains is still a valid
chain). The ``audit_anchor`` row, rewritten in the same transaction as every entry, holds the
head's id and hash and the number of entries; :func:`verify` compares the log against it. Someone
who can rewrite both the log and the anchor (and drop the append-only triggers) can forge a
consistent history; an earlier head hash kept outside the database (``lantian audit verify
--checkpoint ID:HASH``) catches that too.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.orm import Session

from lantian.auth.models import AuditAnchor, AuditEntry
from lantian.db.audited import Acting, Change, recorded_explicitly
from lantian.db.base import utc_now
from lantian.errors import InputError

log = logging.getLogger(__name__)

#: ``previous_hash`` of the first entry.
GENESIS_HASH = "0" * 64

#: Key of the PostgreSQL advisory lock that serialises appends (any fixed 64-bit number; this one
#: is the first eight bytes of SHA-256("lantian.audit_log") so that it cannot collide by accident
#: with a lock of another application sharing the database).
ADVISORY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"lantian.audit_log").digest()[:8], "big", signed=True
)

#: Fields of an entry covered by its hash, in the order the canonical JSON sorts them.
HASHED_FIELDS = (
    "action",
    "actor",
    "after",
    "at",
    "before",
    "entity_id",
    "entity_type",
    "id",
    "previous_hash",
    "reason",
)


#: Lengths of the text columns of ``audit_log`` (see the model).
_FIELD_LIMITS = {"actor": 100, "action": 64, "entity_type": 64, "entity_id": 128}


def format_timestamp(moment: datetime) -> str:
    """``at`` as hashed: UTC, ISO 8601, microseconds always written, ``Z`` suffix."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: audit timestamps are aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    """The canonical serialisation of the module docstring."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of an entry given as a mapping with the :data:`HASHED_FIELDS`."""
    document = {name: fields[name] for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data, so that what is stored is exactly what is hashed.

    Timestamps become :func:`format_timestamp` strings, dates ISO strings, enums their values,
    tuples and sets lists (sets sorted); anything else that JSON cannot hold is refused.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(f"审计记录不能包含 {value} / an audit entry cannot hold {value}")
        return value
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, bytes | bytearray):
        raise TypeError("cannot record raw bytes in the audit log: give text or a digest")
    if isinstance(value, set | frozenset):
        return sorted(jsonable(item) for item in value)
    if isinstance(value, Sequence):
        return [jsonable(item) for item in value]
    raise TypeError(f"cannot record {type(value).__name__} in the audit log: {value!r}")


def lock_chain(session: Session) -> None:
    """Take the lock that serialises writers of the chain, until the transaction ends.

    Call it before a change's first read when the change will be audited: on SQLite it takes the
    database's write lock at once, so that the transaction never reads a snapshot that another
    writer makes stale (which SQLite would answer with "database is locked" on the first write).

    * PostgreSQL: a transaction-scoped advisory lock; a second writer waits for the first to
      commit, then reads the head the first one wrote (READ COMMITTED takes a fresh snapshot per
      statement).
    * SQLite: a write to the anchor table (matching no row is enough) makes the transaction the
      database's only writer; others wait for it (``busy_timeout``).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    else:
        session.execute(
            update(AuditAnchor).where(AuditAnchor.id == 1).values(id=AuditAnchor.id),
            execution_options={"synchronize_session": False},
        )


def _check_fields(actor: str, action: str, entity_type: str, entity_id: str) -> None:
    for name, field_value in (
        ("actor", actor),
        ("action", action),
        ("entity_type", entity_type),
        ("entity_id", entity_id),
    ):
        if not field_value.strip():
            raise InputError(f"审计记录缺少 {name} / an audit entry needs its {name}")
        # The same limit on both backends: SQLite would store a longer text, PostgreSQL refuse it.
        if len(field_value) > _FIELD_LIMITS[name]:
            raise InputError(
                f"审计记录的 {name} 超过 {_FIELD_LIMITS[name]} 个字符 / "
                f"the {name} of an audit entry exceeds {_FIELD_LIMITS[name]} characters"
            )


@dataclass(frozen=True)
class _Pending:
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: Any
    after: Any
    reason: str | None


def _append(session: Session, pending: Sequence[_Pending], moment: datetime) -> list[int]:
    """Chain ``pending`` onto the log in the caller's transaction; their ids.

    Written with plain SQL statements on the session's connection, so that it works inside a
    flush (the session hook of :mod:`lantian.db.audited` calls it from ``after_flush``).
    """
    connection = session.connection()
    lock_chain(session)
    anchors, entries = cast(Table, AuditAnchor.__table__), cast(Table, AuditEntry.__table__)
    anchor = connection.execute(
        select(anchors.c.head_id, anchors.c.head_hash, anchors.c.entries).where(anchors.c.id == 1)
    ).first()
    if anchor is None:
        previous_id, previous_hash, count = 0, GENESIS_HASH, 0
    else:
        previous_id, previous_hash, count = anchor.head_id, anchor.head_hash, anchor.entries
        newest = connection.scalar(select(entries.c.id).order_by(entries.c.id.desc()).limit(1))
        if newest != previous_id:
            # Chain from the anchor regardless: continuing from the surviving rows would hide the
            # damage, continuing from the anchor keeps it visible to `lantian audit verify`.
            log.error(
                "audit log head %s differs from the anchor's %s: the log was altered",
                newest,
                previous_id,
            )
    written = []
    for item in pending:
        entry_id = previous_id + 1
        fields: dict[str, Any] = {
            "id": entry_id,
            "at": format_timestamp(moment),
            "actor": item.actor,
            "action": item.action,
            "entity_type": item.entity_type,
            "entity_id": item.entity_id,
            "before": item.before,
            "after": item.after,
            "reason": item.reason,
            "previous_hash": previous_hash,
        }
        digest = entry_hash(fields)
        connection.execute(insert(entries).values(fields | {"at": moment, "hash": digest}))
        previous_id, previous_hash, count = entry_id, digest, count + 1
        written.append(entry_id)
    head = {"head_id": previous_id, "head_hash": previous_hash, "entries": count}
    if anchor is None:
        connection.execute(insert(anchors).values(id=1, updated_at=moment, **head))
    else:
        connection.execute(
            update(anchors).where(anchors.c.id == 1).values(updated_at=moment, **head)
        )
    return written


def record(
    session: Session,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: Any,
    after: Any,
    reason: str | None = None,
    *,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction: it commits or rolls back with the change.

    For domain events that are not (only) a row change; a row of an audited model is logged by
    the session hook (:mod:`lantian.db.audited`) without a call. An entry written here for an
    audited entity right after its change (no flush in between) stands for that change.
    ``before`` and ``after`` describe the changed fields (never a password or its hash); either
    is ``None`` for a creation or a deletion.
    """
    _check_fields(actor, action, entity_type, str(entity_id))
    item = _Pending(
        actor, action, entity_type, str(entity_id), jsonable(before), jsonable(after), reason
    )
    with recorded_explicitly(session, entity_type, str(entity_id)):
        session.flush()  # other row changes before this entry are logged first, by the hook
    (entry_id,) = _append(session, [item], at or utc_now())
    entry = session.get(AuditEntry, entry_id)
    assert entry is not None
    return entry


def append_changes(session: Session, acting: Acting, changes: Sequence[Change]) -> None:
    """Log the audited row changes of a flush (called by the hook of :mod:`lantian.db.audited`)."""
    pending = []
    for change in changes:
        action = acting.action or change.action
        _check_fields(acting.actor, action, change.entity_type, change.entity_id)
        pending.append(
            _Pending(
                acting.actor,
                action,
                change.entity_type,
                change.entity_id,
                jsonable(change.before),
                jsonable(change.after),
                acting.reason,
            )
        )
    _append(session, pending, acting.at or utc_now())


@dataclass(frozen=True)
class Break:
    """The first place where the log is not what was written."""

    entry_id: int | None
    kind: str  # edited, deleted, inserted, reordered, anchor, checkpoint
    detail: str


@dataclass(frozen=True)
class VerifyResult:
    entries: int
    head_id: int | None
    head_hash: str | None
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _fields_of(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": format_timestamp(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
        "previous_hash": entry.previous_hash,
    }


def verify(session: Session, checkpoints: Mapping[int, str] | None = None) -> VerifyResult:
    """Recompute the whole chain and compare its head with the anchor (and any checkpoints).

    ``checkpoints`` maps entry ids to hashes kept outside the database (a printed head, a report
    sent to the campaign office); each must still be found in the chain.
    """
    expected_id, expected_previous = 1, GENESIS_HASH
    count = 0
    last: AuditEntry | None = None
    wanted = dict(checkpoints or {})
    for entry in _all_entries(session):
        problem = _check_entry(session, entry, expected_id, expected_previous)
        if problem is None and entry.id in wanted and wanted.pop(entry.id) != entry.hash:
            problem = Break(entry.id, "checkpoint", "hash differs from the checkpoint kept outside")
        if problem is not None:
            return VerifyResult(
                count, last.id if last else None, last.hash if last else None, problem
            )
        count += 1
        last = entry
        expected_id, expected_previous = entry.id + 1, entry.hash
    head_id, head_hash = (last.id, last.hash) if last else (None, None)
    broken = _check_anchor(session, last, count) or _missing_checkpoint(wanted)
    return VerifyResult(count, head_id, head_hash, broken)


def _all_entries(session: Session, page: int = 1000) -> Iterator[AuditEntry]:
    """Every entry in id order, a page at a time (the log grows without bound)."""
    after = 0
    while True:
        batch = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(page)
            )
        )
        yield from batch
        if len(batch) < page:
            return
        after = batch[-1].id
        for entry in batch:
            session.expunge(entry)  # keep memory flat over millions of entries


def _check_entry(
    session: Session, entry: AuditEntry, expected_id: int, expected_previous: str
) -> Break | None:
    if entry.id > expected_id:
        missing = (
            f"{expected_id}" if entry.id == expected_id + 1 else f"{expected_id}–{entry.id - 1}"
        )
        return Break(entry.id, "deleted", f"entries {missing} are missing before entry {entry.id}")
    if entry_hash(_fields_of(entry)) != entry.hash:
        written_as = _original_id(entry)
        if written_as is not None and written_as != entry.id:
            return Break(
                entry.id,
                "reordered",
                f"the entry now numbered {entry.id} was written as entry {written_as}",
            )
        return Break(
            entry.id,
            "edited",
            "content does not match its hash: a field was changed after it was written",
        )
    if entry.previous_hash != expected_previous:
        # The entry is intact in itself but was written for another place in the chain.
        linked = _id_of_hash(session, entry.previous_hash)
        if linked is not None:
            return Break(
                entry.id,
                "reordered",
                f"entry {entry.id} was written after entry {linked}, not after entry {entry.id - 1}",
            )
        return Break(
            entry.id,
            "inserted",
            f"previous_hash of entry {entry.id} matches no entry of the log: entry {entry.id - 1} "
            f"was replaced by a re-hashed copy, or entry {entry.id} was inserted",
        )
    return None


def _id_of_hash(session: Session, digest: str) -> int | None:
    if digest == GENESIS_HASH:
        return 0
    return session.scalar(select(AuditEntry.id).where(AuditEntry.hash == digest))


#: How far :func:`_original_id` looks for the place an entry was moved from.
_MOVE_SEARCH = 1000


def _original_id(entry: AuditEntry) -> int | None:
    """The id ``entry`` was written with, if only its id was changed (rows moved around).

    Only asked once a break is found, so trying the nearby ids one by one costs nothing in the
    normal case.
    """
    fields = _fields_of(entry)
    for distance in range(1, _MOVE_SEARCH + 1):
        for candidate in (entry.id - distance, entry.id + distance):
            if candidate >= 1 and entry_hash(fields | {"id": candidate}) == entry.hash:
                return candidate
    return None


def _check_anchor(session: Session, last: AuditEntry | None, count: int) -> Break | None:
    anchor = session.get(AuditAnchor, 1, populate_existing=True)
    if anchor is None:
        if last is None:
            return None
        return Break(None, "anchor", "the audit_anchor row is missing")
    if last is None or anchor.head_id > last.id:
        after = last.id if last else 0
        return Break(
            after + 1,
            "deleted",
            f"the anchor records entry {anchor.head_id} as the newest, the log ends at {after}: "
            "the newest entries were deleted",
        )
    if anchor.head_id != last.id or anchor.head_hash != last.hash or anchor.entries != count:
        return Break(
            last.id,
            "anchor",
            f"the anchor (entry {anchor.head_id}, {anchor.entries} entries, {anchor.head_hash[:12]}…) "
            f"does not match the log (entry {last.id}, {count} entries, {last.hash[:12]}…): "
            "entries were appended outside lantian or the anchor was changed",
        )
    return None


def _missing_checkpoint(wanted: Mapping[int, str]) -> Break | None:
    if not wanted:
        return None
    entry_id = min(wanted)
    return Break(entry_id, "checkpoint", f"checkpoint entry {entry_id} is not in the log")


def newest(session: Session, limit: int = 20) -> list[AuditEntry]:
    """The newest ``limit`` entries, newest first."""
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
