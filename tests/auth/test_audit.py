"""The audit log: appends chain, verify finds every kind of tampering, concurrent writers never fork."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import audit
from lantian.auth.models import AuditAnchor, AuditEntry
from lantian.db.engine import transaction
from lantian.errors import InputError

T0 = datetime(2026, 11, 29, 8, 30, 0, 123456, tzinfo=UTC)


def append(sessions: sessionmaker[Session], count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        with transaction(sessions) as session:
            audit.record(
                session,
                "zhangsan",
                "task.update",
                "task",
                f"12({n})",
                {"status": "open", "progress": n},
                {"status": "closed", "progress": n + 1, "说明": "已完成"},
                reason="月报 / monthly report" if n % 2 else None,
                at=T0 + timedelta(minutes=n),
            )


def verify(sessions: sessionmaker[Session], **kwargs: object) -> audit.VerifyResult:
    with sessions() as session:
        return audit.verify(session, **kwargs)  # type: ignore[arg-type]


def tamper(engine: Engine, *statements: str) -> None:
    """Change the log as someone with direct database access would: first drop the triggers."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_change ON audit_log")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        for statement in statements:
            connection.exec_driver_sql(statement)


def test_canonical_form_is_the_documented_one() -> None:
    """An outside auditor's recomputation, written from the docstring, gives the same hash."""
    fields = {
        "id": 1,
        "at": audit.format_timestamp(
            datetime(2026, 11, 29, 16, 30, tzinfo=timezone(timedelta(hours=8)))
        ),
        "actor": "cli:root",
        "action": "user.add",
        "entity_type": "user",
        "entity_id": "zhangsan",
        "before": None,
        "after": {"role": "unit", "display_name": "张三", "scope": "HBJ"},
        "reason": None,
        "previous_hash": "0" * 64,
    }
    assert fields["at"] == "2026-11-29T08:30:00.000000Z"
    by_hand = (
        '{"action":"user.add","actor":"cli:root","after":{"display_name":"张三","role":"unit",'
        '"scope":"HBJ"},"at":"2026-11-29T08:30:00.000000Z","before":null,"entity_id":"zhangsan",'
        '"entity_type":"user","id":1,"previous_hash":"' + "0" * 64 + '","reason":null}'
    )
    assert audit.entry_hash(fields) == hashlib.sha256(by_hand.encode("utf-8")).hexdigest()


def test_values_are_normalised_before_storing_and_hashing() -> None:
    china = timezone(timedelta(hours=8))
    assert audit.jsonable({"at": datetime(2026, 1, 1, 8, tzinfo=china), "tags": {"b", "a"}}) == {
        "at": "2026-01-01T00:00:00.000000Z",
        "tags": ["a", "b"],
    }
    with pytest.raises(TypeError):
        audit.jsonable({"blob": object()})
    with pytest.raises(ValueError, match="nan"):
        audit.jsonable(float("nan"))


def test_appends_chain_and_verify_intact(sessions: sessionmaker[Session]) -> None:
    assert verify(sessions).intact and verify(sessions).entries == 0
    append(sessions, 5)
    result = verify(sessions)
    assert result.intact, result.broken
    assert result.entries == 5 and result.head_id == 5
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        anchor = session.get(AuditAnchor, 1)
    assert [e.id for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].previous_hash == audit.GENESIS_HASH
    assert all(b.previous_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[2].at == T0 + timedelta(minutes=2)  # microseconds kept on both backends
    assert entries[1].after == {"status": "closed", "progress": 2, "说明": "已完成"}
    assert anchor is not None and (anchor.head_id, anchor.head_hash, anchor.entries) == (
        5,
        entries[-1].hash,
        5,
    )


def test_same_entries_hash_identically_on_both_backends(sessions: sessionmaker[Session]) -> None:
    """The head after a fixed series is a constant: SQLite and PostgreSQL agree with it."""
    append(sessions, 3)
    with sessions() as session:
        head = session.scalars(select(AuditEntry.hash).order_by(AuditEntry.id.desc())).first()
    fields_hash = audit.GENESIS_HASH
    for n in range(3):
        fields_hash = audit.entry_hash(
            {
                "id": n + 1,
                "at": audit.format_timestamp(T0 + timedelta(minutes=n)),
                "actor": "zhangsan",
                "action": "task.update",
                "entity_type": "task",
                "entity_id": f"12({n})",
                "before": {"status": "open", "progress": n},
                "after": {"status": "closed", "progress": n + 1, "说明": "已完成"},
                "reason": "月报 / monthly report" if n % 2 else None,
                "previous_hash": fields_hash,
            }
        )
    assert head == fields_hash


def test_a_rolled_back_change_leaves_no_entry(sessions: sessionmaker[Session]) -> None:
    append(sessions, 1)
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        audit.record(session, "lisi", "task.update", "task", "7", None, {"x": 1})
        raise RuntimeError("the change failed")
    append(sessions, 1, start=1)
    result = verify(sessions)
    assert result.intact and result.entries == 2


def test_the_database_refuses_updates_and_deletes(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    append(sessions, 2)
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log WHERE id = 2"):
        with pytest.raises(DBAPIError, match="append-only"), db_engine.begin() as connection:
            connection.exec_driver_sql(statement)
    assert verify(sessions).intact


def test_an_edited_field_is_found(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    append(sessions, 5)
    tamper(db_engine, "UPDATE audit_log SET actor = 'wangwu' WHERE id = 3")
    broken = verify(sessions).broken
    assert broken is not None and (broken.entry_id, broken.kind) == (3, "edited")


def test_an_edited_json_value_is_found(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    append(sessions, 4)
    tamper(db_engine, """UPDATE audit_log SET "after" = '{"status": "open"}' WHERE id = 2""")
    broken = verify(sessions).broken
    assert broken is not None and (broken.entry_id, broken.kind) == (2, "edited")


def test_an_edited_timestamp_is_found(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    append(sessions, 3)
    with sessions() as session:
        at = session.scalar(select(AuditEntry.at).where(AuditEntry.id == 2))
    assert at is not None
    later = (at + timedelta(microseconds=1)).replace(tzinfo=None).isoformat(sep=" ")
    tamper(db_engine, f"UPDATE audit_log SET at = '{later}' WHERE id = 2")
    broken = verify(sessions).broken
    assert broken is not None and (broken.entry_id, broken.kind) == (2, "edited")


def test_a_deleted_middle_entry_is_found(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    append(sessions, 5)
    tamper(db_engine, "DELETE FROM audit_log WHERE id = 3")
    result = verify(sessions)
    assert result.broken is not None
    assert (result.broken.entry_id, result.broken.kind) == (4, "deleted")
    assert "3" in result.broken.detail and result.entries == 2


def test_a_deleted_last_entry_is_found_through_the_anchor(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    append(sessions, 5)
    tamper(db_engine, "DELETE FROM audit_log WHERE id >= 4")
    broken = verify(sessions).broken
    assert broken is not None and (broken.entry_id, broken.kind) == (4, "deleted")
    assert "newest" in broken.detail
    # The next change chains from the anchor, so the gap stays visible instead of being healed.
    append(sessions, 1, start=5)
    broken = verify(sessions).broken
    assert broken is not None and (broken.entry_id, broken.kind) == (6, "deleted")


def test_everything_deleted_is_found(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    append(sessions, 2)
    tamper(db_engine, "DELETE FROM audit_log")
    broken = verify(sessions).broken
    assert broken is not None and broken.kind == "deleted"


def test_a_forged_entry_appended_without_the_anchor_is_found(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    append(sessions, 2)
    with sessions() as session:
        last = session.get(AuditEntry, 2)
        assert last is not None
        fields = audit._fields_of(last) | {"id": 3, "actor": "forger", "previous_hash": last.hash}
    forged_hash = audit.entry_hash(fields)
    with db_engine.begin() as connection:  # inserts are allowed: the log is append-only
        connection.execute(
            text(
                "INSERT INTO audit_log (id, at, actor, action, entity_type, entity_id, before, "
                "\"after\", reason, previous_hash, hash) SELECT 3, at, 'forger', action, "
                'entity_type, entity_id, before, "after", reason, :previous, :hash '
                "FROM audit_log WHERE id = 2"
            ),
            {"previous": last.hash, "hash": forged_hash},
        )
    broken = verify(sessions).broken
    assert broken is not None and (broken.entry_id, broken.kind) == (3, "anchor")


def test_a_replaced_entry_is_found(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    """Entry 2 rewritten and re-hashed: entry 3 no longer follows anything in the log."""
    append(sessions, 4)
    with sessions() as session:
        second = session.get(AuditEntry, 2)
        assert second is not None
        forged = audit.entry_hash(audit._fields_of(second) | {"actor": "forger"})
    tamper(db_engine, f"UPDATE audit_log SET actor = 'forger', hash = '{forged}' WHERE id = 2")
    broken = verify(sessions).broken
    assert broken is not None and (broken.entry_id, broken.kind) == (3, "inserted")
    assert "entry 2 was replaced" in broken.detail


def test_reordered_entries_are_found(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    append(sessions, 5)
    tamper(
        db_engine,
        "UPDATE audit_log SET id = 100 WHERE id = 2",
        "UPDATE audit_log SET id = 2 WHERE id = 3",
        "UPDATE audit_log SET id = 3 WHERE id = 100",
    )
    broken = verify(sessions).broken
    assert broken is not None and (broken.entry_id, broken.kind) == (2, "reordered")
    assert "written as entry 3" in broken.detail


def test_checkpoints_kept_outside(db_engine: Engine, sessions: sessionmaker[Session]) -> None:
    append(sessions, 3)
    head = verify(sessions)
    assert head.head_id == 3 and head.head_hash is not None
    append(sessions, 2, start=3)
    assert verify(sessions, checkpoints={3: head.head_hash}).intact
    wrong = verify(sessions, checkpoints={3: "f" * 64}).broken
    assert wrong is not None and (wrong.entry_id, wrong.kind) == (3, "checkpoint")
    beyond = verify(sessions, checkpoints={9: head.head_hash}).broken
    assert beyond is not None and (beyond.entry_id, beyond.kind) == (9, "checkpoint")


def test_verify_pages_through_a_long_log(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for n in range(25):
            audit.record(session, "system:test", "x.y", "x", n, None, {"n": n})
    with sessions() as session:
        entries = list(audit._all_entries(session, page=7))
    assert [e.id for e in entries] == list(range(1, 26))


def test_concurrent_writers_do_not_fork_the_chain(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """Four threads, each with its own session and transactions, append at the same time."""
    threads, per_thread = 4, 15
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(per_thread):
                with transaction(sessions) as session:
                    audit.record(session, f"worker{worker}", "x.append", "x", n, None, {"n": n})
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    workers = [threading.Thread(target=writer, args=(w,)) for w in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    assert errors == []
    result = verify(sessions)
    assert result.intact, result.broken
    assert result.entries == threads * per_thread
    with sessions() as session:
        previous = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .group_by(AuditEntry.previous_hash)
            .order_by(func.count().desc())
        )
    assert previous == 1  # no two entries share a predecessor: the chain never forked


def test_json_of_entries_survives_the_round_trip(sessions: sessionmaker[Session]) -> None:
    value = {"float": 0.1, "big": 2**53 + 1, "nested": [{"z": 1, "a": None}], "text": "𝔘\u00e9"}
    with transaction(sessions) as session:
        audit.record(session, "a", "b.c", "d", 1, None, value)
    with sessions() as session:
        stored = session.scalars(select(AuditEntry.after)).one()
    assert json.dumps(stored, sort_keys=True) == json.dumps(value, sort_keys=True)
    assert verify(sessions).intact


#: The queries docs/accounts-and-audit.md gives an outside auditor, one per backend.
AUDITOR_QUERIES = {
    "sqlite": 'SELECT id, at, actor, action, entity_type, entity_id, before, "after", reason, '
    "previous_hash, hash FROM audit_log ORDER BY id",
    "postgresql": "SELECT id, to_char(at AT TIME ZONE 'UTC', "
    """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor, action, entity_type, entity_id, """
    'before::text, "after"::text, reason, previous_hash, hash FROM audit_log ORDER BY id',
}


def test_an_outside_auditor_recomputes_the_chain_without_lantian(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """The documented recipe — SQL, json and hashlib only — agrees with every stored hash."""
    append(sessions, 4)
    with db_engine.connect() as connection:
        rows = connection.exec_driver_sql(AUDITOR_QUERIES[db_engine.dialect.name]).all()
    previous = "0" * 64
    for row in rows:
        entry_id, at, actor, action, etype, eid, before, after, reason, prev, digest = row
        if db_engine.dialect.name == "sqlite":  # stored as UTC without a zone
            at = datetime.fromisoformat(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        document = {
            "id": entry_id,
            "at": at,
            "actor": actor,
            "action": action,
            "entity_type": etype,
            "entity_id": eid,
            "before": None if before is None else json.loads(before),
            "after": None if after is None else json.loads(after),
            "reason": reason,
            "previous_hash": prev,
        }
        text_form = json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        assert prev == previous
        assert hashlib.sha256(text_form.encode("utf-8")).hexdigest() == digest
        previous = digest
    assert len(rows) == 4


def test_entries_are_checked_before_they_are_written(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for actor, entity_id, message in (
            (" ", "1", "actor"),
            ("x" * 101, "1", "100"),
            ("cli:root", "", "entity_id"),
        ):
            with pytest.raises(InputError, match=message):
                audit.record(session, actor, "a.b", "c", entity_id, None, None)
        with pytest.raises(TypeError, match="bytes"):
            audit.record(session, "cli:root", "a.b", "c", 1, None, {"raw": b"\x00"})
    assert verify(sessions).entries == 0
