"""Tables of the warnings package: forecast versions, warning episodes, decisions, notifications.

Forecasts are never overwritten: every issued version is a row of ``warning_forecast_issue`` with
its values beside it; a provider re-issuing the same (area, source, issued time) with different
values adds a revision. Decisions are people's acts (seed task 40, issue 7): who, when, which
level, which areas and why, each also in the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lantian.db.base import Base, UtcDateTime, utc_now


class ForecastIssueRow(Base):
    __tablename__ = "warning_forecast_issue"
    __table_args__ = (
        UniqueConstraint("area", "source", "issued_at", "revision"),
        Index("ix_warning_forecast_issue_area_issued", "area", "issued_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area: Mapped[str] = mapped_column(
        String(32), comment="9-digit NBS area code, or the city name / code"
    )
    source: Mapped[str] = mapped_column(String(100), comment="who issued it, e.g. 河南省气象台")
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime(), comment="issued (UTC)")
    revision: Mapped[int] = mapped_column(Integer, default=1, comment="1, 2… for re-issues")
    resolution: Mapped[str] = mapped_column(String(8), comment="hour | block | mixed")
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    imported_by: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(255))
    values: Mapped[list[ForecastValueRow]] = relationship(
        back_populates="issue", order_by="ForecastValueRow.valid_start", cascade="all"
    )


class ForecastValueRow(Base):
    __tablename__ = "warning_forecast_value"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("warning_forecast_issue.id", ondelete="CASCADE"), index=True
    )
    valid_start: Mapped[datetime] = mapped_column(UtcDateTime())
    valid_end: Mapped[datetime] = mapped_column(UtcDateTime(), comment="1 h or 24 h after start")
    aqi: Mapped[int | None] = mapped_column(Integer, comment="rolling 24-h AQI; null = hole")
    primary_pollutant: Mapped[str] = mapped_column(String(32), default="")
    issue: Mapped[ForecastIssueRow] = relationship(back_populates="values")


class WarningEpisodeRow(Base):
    """One warning from issue to lift for one scope (the city, or a set of townships)."""

    __tablename__ = "warning_episode"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(12), index=True, comment="city or area code")
    areas: Mapped[list[str]] = mapped_column(JSON, comment="9-digit area codes covered")
    level: Mapped[str | None] = mapped_column(String(16), comment="level in force; null = lifted")
    max_level: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decisions: Mapped[list[WarningDecisionRow]] = relationship(
        back_populates="episode", order_by="WarningDecisionRow.id"
    )


class WarningDecisionRow(Base):
    """A person's decision: issue, upgrade, downgrade or lift (who, when, level, areas, why)."""

    __tablename__ = "warning_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("warning_episode.id"), index=True)
    action: Mapped[str] = mapped_column(String(16), comment="issue | upgrade | downgrade | lift")
    from_level: Mapped[str | None] = mapped_column(String(16))
    to_level: Mapped[str | None] = mapped_column(String(16), comment="null when lifted")
    areas: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    effective_at: Mapped[datetime] = mapped_column(UtcDateTime())
    proposal: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="the engine's proposal it followed, if any"
    )
    notice_text: Mapped[str] = mapped_column(Text, comment="the Chinese notice sent")
    episode: Mapped[WarningEpisodeRow] = relationship(back_populates="decisions")


class WarningNotificationRow(Base):
    """One delivery attempt of a decision's notice (e-mail or webhook) and how it went."""

    __tablename__ = "warning_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("warning_decision.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), comment="email | webhook")
    target: Mapped[str] = mapped_column(String(500))
    ok: Mapped[bool] = mapped_column(default=False)
    detail: Mapped[str] = mapped_column(Text, default="")
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
