"""The tables every register shares, and the columns every register's own table starts with.

* :class:`RegisterRecord` — the abstract start of each kind's table (``sources/kinds/*.py``): a
  stable key (编号, what re-imports update by), name, area (township) and responsible unit,
  address and coordinates (WGS-84), the lifecycle state and since when, a deadline, a note,
  whether it is sample data. Audited by the session hook: every change a person makes is logged.
* ``source_events`` — each entry's timeline: created, updated by an import, each lifecycle step,
  each field check, each case a rule opened (who, when, from and to state, note);
* ``source_checks`` — field checks (检查/核查): who, when, where, the kind's checklist item by item;
* ``source_files`` — photos and documents of a check or a step, kept in the content-addressed
  file store (:class:`lantian.files.FileStore`) by SHA-256;
* ``source_imports`` — each imported file: who, when, how many rows created/updated/unchanged, and
  the original upload's SHA-256 in the file store (the upload itself is kept, never overwritten).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.audited import Audited
from lantian.db.base import Base, CreatedAtMixin, UtcDateTime, utc_now

BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class RegisterRecord(Audited, Base):
    """Columns every register's table starts with (abstract: each kind has its own table)."""

    __abstract__ = True
    __audit_ignore__ = frozenset({"id", "created_at", "updated_at"})

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    #: The stable key people use for the entry (台账编号); imports update by it.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    area_code: Mapped[str] = mapped_column(String(9), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(32), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(24), index=True)
    state_since: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    deadline: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class SourceEvent(CreatedAtMixin, Base):
    """One entry of a register entry's timeline (the audit log holds the column changes)."""

    __tablename__ = "source_events"
    __table_args__ = (Index("ix_source_events_kind_record", "kind", "record_id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(BIG_ID)
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SourceCheck(Audited, CreatedAtMixin, Base):
    """A field check of one entry: the kind's checklist, item by item, where and by whom."""

    __tablename__ = "source_checks"
    __audit_type__ = "source_check"
    __table_args__ = (Index("ix_source_checks_kind_record", "kind", "record_id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(BIG_ID)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    checked_by: Mapped[str] = mapped_column(String(100))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    #: Checklist item → ``{"result": "pass"|"fail"|"na", "note": "…"}``.
    items: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Every item checked passed (``na`` items aside).
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")


class SourceFile(Audited, CreatedAtMixin, Base):
    """A photo or document kept with a field check or a step, by its SHA-256 in the file store."""

    __tablename__ = "source_files"
    __audit_type__ = "source_file"
    __table_args__ = (Index("ix_source_files_kind_record", "kind", "record_id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(BIG_ID)
    check_id: Mapped[int | None] = mapped_column(
        BIG_ID, ForeignKey("source_checks.id", ondelete="RESTRICT")
    )
    event_id: Mapped[int | None] = mapped_column(
        BIG_ID, ForeignKey("source_events.id", ondelete="RESTRICT")
    )
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    stored_by: Mapped[str] = mapped_column(String(100))


class SourceImport(Audited, CreatedAtMixin, Base):
    """One imported register file: the original kept in the file store, and what it changed."""

    __tablename__ = "source_imports"
    __audit_type__ = "source_import"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
