"""Tables of supervision: inspection cases, their timeline, evidence and occurrences, accountability
proposals, the duty roster and the working groups' daily reports.

* ``inspection_cases`` — one problem to be rectified, whatever found it (inspection team, patrol,
  hotline, or an automatic rule of another module); ``open_dedup_key`` holds the deduplication key
  while the case is open and is cleared at closure, so that the unique constraint keeps one open
  case per key on both backends (NULLs never collide);
* ``case_events`` — every step of a case's life (who, when, note, from and to state): the timeline;
* ``case_evidence`` — photos and files, stored content-addressed under the data directory by SHA-256
  (an original is never overwritten);
* ``case_occurrences`` — each time an automatic rule saw the same problem again (a stack exceeding
  every hour is one case with 24 occurrences);
* ``case_accountability_proposals`` — 建议问责 from a case to the accountability group and its decision,
  linked generically by (``link_kind``, ``link_id``) like the plan's accountability records;
* ``duty_shifts`` — the 24-hour duty roster with handover notes;
* ``group_daily_reports`` — each working group's daily report (today's progress, tomorrow's plan).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.db.audited import Audited
from lantian.db.base import Base, CreatedAtMixin, UtcDateTime, utc_now

_BIG_ID = BigInteger().with_variant(Integer, "sqlite")

CASE_SOURCES = ("inspection_team", "patrol", "hotline", "rule")
SEVERITIES = ("general", "serious", "major")
CASE_STATES = ("assigned", "forwarded", "rectifying", "reported", "closed")
PROPOSAL_STATES = ("proposed", "approved", "declined", "decided")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class InspectionCase(Audited, CreatedAtMixin, Base):
    """One case: what, where, who must rectify it by when, and where it stands.

    Audited by id: each step is logged by the session hook with the step's verb
    (``inspection_case.forward`` …, given by the service's :func:`~lantian.db.audited.acting_as`)
    and the changed columns before and after. What a rule observes again (occurrences, first and
    last seen) and the row's bookkeeping times are not a person's change and are not logged.
    """

    __tablename__ = "inspection_cases"
    __audit_type__ = "inspection_case"
    __audit_ignore__ = frozenset(
        {"id", "created_at", "updated_at", "occurrences", "first_seen_at", "last_seen_at"}
    )
    __table_args__ = (
        CheckConstraint(_in("source", CASE_SOURCES), name="source_known"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity_known"),
        CheckConstraint(_in("state", CASE_STATES), name="state_known"),
        UniqueConstraint("open_dedup_key"),
        Index("ix_inspection_cases_state_unit", "state", "unit_code"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    #: The inspection team's own number for the case (交办编号), or the rule's name for automatic ones.
    reference: Mapped[str | None] = mapped_column(String(100))
    dedup_key: Mapped[str | None] = mapped_column(String(200), index=True)
    open_dedup_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    area_code: Mapped[str | None] = mapped_column(String(9), index=True)
    site: Mapped[str | None] = mapped_column(String(200))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(10), default="general")
    unit_code: Mapped[str | None] = mapped_column(String(32), index=True)
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(12), default="assigned")
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    listed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    overdue_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    #: Demo rows carry "示例数据 / sample" in their title as well; the flag lets pages badge them.
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)


class CaseEvent(Base):
    """One step of a case's timeline (creation, each transition, progress notes, overdue flags)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        _BIG_ID, ForeignKey("inspection_cases.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    #: Changes the step made beside the state (new unit, new deadline, listed flag…).
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CaseEvidence(Audited, Base):
    """A photo or file attached to a case (optionally to one step of it).

    Audited (``case_evidence.add``) as ``<case id>/<evidence id>``, so that an entry of the case
    itself (entity id ``<case id>``) is never confused with one of its files.
    """

    __tablename__ = "case_evidence"
    __audit_type__ = "case_evidence"
    __audit_verbs__: ClassVar[Mapping[str, str]] = {"add": "case_evidence.add"}

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        _BIG_ID, ForeignKey("inspection_cases.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        _BIG_ID, ForeignKey("case_events.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(_BIG_ID)
    stored_path: Mapped[str] = mapped_column(String(500))
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def audit_key(self, session: Session) -> str:
        return f"{self.case_id}/{self.id}"


class CaseOccurrence(Base):
    """One more sighting of the same problem by an automatic rule (deduplicated into its case)."""

    __tablename__ = "case_occurrences"
    __table_args__ = (UniqueConstraint("case_id", "observed_at"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        _BIG_ID, ForeignKey("inspection_cases.id", ondelete="CASCADE"), index=True
    )
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class AccountabilityProposal(Audited, Base):
    """建议问责: a proposal to the accountability group, its approval by the office and its decision.

    Seed, second document, §二(三): "根据案件办理情况提出问责建议，报市攻坚办同意后移交问责组" and
    §二(四): the accountability group decides under Zhengzhou's quantified accountability rules.

    Audited: the proposal (``accountability_proposal.propose``) and the office's review
    (``.approved`` / ``.declined``) by the session hook; the decision is a domain entry written by
    the service, since it also names the measure and the accountability record it created.
    """

    __tablename__ = "case_accountability_proposals"
    __audit_type__ = "accountability_proposal"
    __audit_verbs__: ClassVar[Mapping[str, str]] = {"add": "accountability_proposal.propose"}
    __table_args__ = (
        CheckConstraint(_in("status", PROPOSAL_STATES), name="status_known"),
        Index("ix_case_accountability_proposals_link", "link_kind", "link_id"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    link_kind: Mapped[str] = mapped_column(String(40), default="inspection_case")
    link_id: Mapped[str] = mapped_column(String(64))
    target_unit: Mapped[str | None] = mapped_column(String(32))
    target_person: Mapped[str | None] = mapped_column(String(100))
    reasons: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)


class DutyShift(Audited, CreatedAtMixin, Base):
    """One shift of the 24-hour duty (seed, second document, §二(一) and §三(一)); audited."""

    __tablename__ = "duty_shifts"
    __audit_type__ = "duty_shift"
    __audit_ignore__ = frozenset({"id", "created_at", "created_by"})
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    group_code: Mapped[str] = mapped_column(String(32))
    person: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    handover_note: Mapped[str | None] = mapped_column(Text)
    handed_over_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    handed_over_by: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100))
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)


class GroupDailyReport(Audited, Base):
    """A working group's daily report, due by 17:00 China time (seed, second document, §三(三)).

    Audited: the first submission is ``daily_report.submit``, each later one
    ``daily_report.correct`` (a late report says so in the entry's reason).
    """

    __tablename__ = "group_daily_reports"
    __audit_type__ = "daily_report"
    __audit_verbs__: ClassVar[Mapping[str, str]] = {
        "add": "daily_report.submit",
        "update": "daily_report.correct",
    }
    __table_args__ = (UniqueConstraint("group_code", "report_date"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    group_code: Mapped[str] = mapped_column(String(32))
    #: The China (UTC+8) calendar day reported on.
    report_date: Mapped[date] = mapped_column(Date, index=True)
    progress: Mapped[str] = mapped_column(Text)
    plan: Mapped[str] = mapped_column(Text)
    #: First submission: lateness is judged on it, later corrections do not clear the flag.
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
