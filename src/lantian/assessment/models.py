"""The recorded monthly rankings: once a month's ranking is recorded (by the monthly job or
``lantian assessment rank --record``) it is what the page shows for that month, so a published
ranking never changes afterwards when late data arrives."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.audited import Audited
from lantian.db.base import Base, UtcDateTime


class AssessmentRanking(Audited, Base):
    """One township's place in one month's recorded ranking (audited as
    ``assessment_ranking.add``)."""

    __tablename__ = "assessment_rankings"
    __audit_type__ = "assessment_ranking"
    __table_args__ = (UniqueConstraint("plan_code", "month", "area_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_code: Mapped[str] = mapped_column(String(64), comment="plan.yaml code")
    month: Mapped[date] = mapped_column(Date, index=True, comment="first day of the month")
    area_code: Mapped[str] = mapped_column(String(9), comment="township code (NBS)")
    #: component key → {"value": raw value or null, "score": 0–100 or null, "weight": weight}
    components: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[float | None] = mapped_column(Float, comment="weighted score 0–100")
    rank: Mapped[int | None] = mapped_column(Integer, comment="1 = best; null: not ranked")
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    computed_by: Mapped[str] = mapped_column(String(100))
