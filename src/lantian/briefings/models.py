"""The issued briefings: one row per kind and period, its three files kept in the file store."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.audited import Audited
from lantian.db.base import Base, UtcDateTime, utc_now

#: The renderings kept per briefing, with their file suffix.
FORMATS = ("docx", "pdf", "xlsx")


class IssuedBriefing(Audited, Base):
    """A weekly or monthly briefing as issued: its period, number and 文号, the three files (by
    their SHA-256 in the file store), when and by whom it was made. Made again for the same
    period, the row keeps its number and takes the new files (audited as ``briefing.update``)."""

    __tablename__ = "briefings"
    __audit_type__ = "briefing"
    __table_args__ = (
        CheckConstraint("kind IN ('weekly', 'monthly')", name="kind_known"),
        CheckConstraint("last_day >= first_day", name="period_ordered"),
        UniqueConstraint("kind", "first_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer, comment="第N期")
    document_number: Mapped[str] = mapped_column(String(100), comment="文号")
    title: Mapped[str] = mapped_column(String(200))
    docx_sha256: Mapped[str] = mapped_column(String(64))
    docx_path: Mapped[str] = mapped_column(String(200))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_path: Mapped[str] = mapped_column(String(200))
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    xlsx_path: Mapped[str] = mapped_column(String(200))
    generated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    generated_by: Mapped[str] = mapped_column(String(100))
