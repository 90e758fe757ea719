"""Tables of the campaign plan, its progress reports and accountability records.

The plan (loaded from a plan folder by ``lantian plan load``):

* ``campaign_plans`` — one row per plan code, with the document's metadata and, as JSON, the parts
  that are read whole (periods, reporting duties, annex table, inspection-support plan);
* ``campaign_areas``, ``campaign_units``, ``campaign_leaders``, ``campaign_calendar_days`` — the
  directories of the plan folder;
* ``campaign_tasks`` — each task or sub-item (ref "8", "12(1)") with its text and assignment;
* ``campaign_targets`` — every quantified target with its comparator, value, unit and source.

Work on the plan (written by people, every change audited):

* ``progress_reports`` — one per task, reporter (a unit or an area) and month, with status, text
  and review state; ``progress_indicator_values`` the numbers it gives for the task's targets;
  ``progress_evidence`` the files kept under the data directory (SHA-256 checked);
  ``progress_reviews`` each review decision by the lead unit and the office;
* ``accountability_records`` — warnings, talks, notices and sanctions against a unit, an area or a
  person, linked to what caused them by ``link_kind`` + ``link_id`` (a task, a progress report,
  or another package's record such as an inspection case).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
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
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lantian.db.audited import Audited
from lantian.db.base import Base, CreatedAtMixin, UtcDateTime

REPORT_STATUSES = ("not_started", "in_progress", "completed", "behind")
REVIEW_STATES = ("submitted", "lead_accepted", "accepted", "returned")
REPORTER_KINDS = ("unit", "area")
ACCOUNTABILITY_KINDS = ("warning", "talk", "notice", "sanction")
SUBJECT_KINDS = ("unit", "area", "person")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CampaignPlan(Audited, Base):
    """Audited (``plan.add`` / ``plan.update``, by code); the document JSON is not copied into the
    log: its change shows as a new ``content_sha256``."""

    __tablename__ = "campaign_plans"
    __audit_type__ = "campaign_plan"
    __audit_verbs__: ClassVar[Mapping[str, str]] = {
        "add": "plan.add",
        "update": "plan.update",
        "remove": "plan.remove",
    }
    __audit_ignore__ = frozenset({"id", "document", "loaded_at"})

    def audit_key(self, session: Session) -> str:
        return self.code

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, comment="plan.yaml code")
    title: Mapped[str] = mapped_column(String(200))
    document_number: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date)
    campaign_office: Mapped[str] = mapped_column(String(32), comment="unit code of the office")
    content_sha256: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 over the plan folder's files as loaded"
    )
    document: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="periods, reporting, overall targets, annex, inspection plan (as JSON)"
    )
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PlanPart(Audited):
    """A row of a plan's directories, tasks or targets: audited as ``plan.add`` /
    ``plan.update`` / ``plan.remove`` under ``<plan code>/<its key>``."""

    __audit_verbs__: ClassVar[Mapping[str, str]] = CampaignPlan.__audit_verbs__
    __audit_ignore__ = frozenset({"id", "plan_id"})
    #: The column that names the row within its plan.
    plan_key: ClassVar[str]
    if TYPE_CHECKING:
        plan_id: int  # a column of each concrete model

    def audit_key(self, session: Session) -> str:
        plan = session.get(CampaignPlan, self.plan_id)
        code = plan.code if plan is not None else str(self.plan_id)
        return f"{code}/{getattr(self, self.plan_key)}"


class CampaignArea(PlanPart, Base):
    __tablename__ = "campaign_areas"
    __audit_type__ = "campaign_area"
    plan_key = "code"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("campaign_plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(9), comment="NBS 9-digit township code")
    name: Mapped[str] = mapped_column(String(100), comment="the plan's name")
    nbs_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")


class CampaignUnit(PlanPart, Base):
    __tablename__ = "campaign_units"
    __audit_type__ = "campaign_unit"
    plan_key = "code"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("campaign_plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    aliases: Mapped[list[str]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")


class CampaignLeader(PlanPart, Base):
    __tablename__ = "campaign_leaders"
    __audit_type__ = "campaign_leader"
    plan_key = "name"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("campaign_plans.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(50))
    note: Mapped[str] = mapped_column(Text, default="")


class CampaignCalendarDay(PlanPart, Base):
    __tablename__ = "campaign_calendar_days"
    __audit_type__ = "campaign_calendar_day"
    plan_key = "day"
    __table_args__ = (
        UniqueConstraint("plan_id", "day"),
        CheckConstraint("kind IN ('holiday', 'workday')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("campaign_plans.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10), comment="holiday (day off) or workday (调休)")
    name: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(200))


class CampaignTask(PlanPart, Base):
    __tablename__ = "campaign_tasks"
    __audit_type__ = "campaign_task"
    plan_key = "ref"
    __table_args__ = (UniqueConstraint("plan_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("campaign_plans.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(16), comment='"8" or "12(1)"')
    number: Mapped[int] = mapped_column(Integer)
    item: Mapped[int | None] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer)
    section_number: Mapped[int] = mapped_column(Integer)
    section_title: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    leaders: Mapped[list[str]] = mapped_column(JSON)
    leaders_text: Mapped[str] = mapped_column(String(200))
    lead_units: Mapped[list[str]] = mapped_column(JSON)
    lead_units_text: Mapped[str] = mapped_column(String(300))
    cooperating_units: Mapped[list[str]] = mapped_column(JSON)
    cooperating_units_text: Mapped[str | None] = mapped_column(String(500))
    responsible_areas: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    deadlines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(
        Boolean, default=True, comment="false once the plan files no longer have it"
    )


class CampaignTarget(PlanPart, Base):
    __tablename__ = "campaign_targets"
    __audit_type__ = "campaign_target"
    plan_key = "key"
    __table_args__ = (
        UniqueConstraint("plan_id", "key"),
        CheckConstraint("measure IN ('cumulative', 'level', 'floor')", name="measure_known"),
        CheckConstraint("comparator IN ('>=', '<=', '>', '<', '=')", name="comparator_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("campaign_plans.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    task_ref: Mapped[str | None] = mapped_column(String(16))
    defined_in: Mapped[str] = mapped_column(String(10), comment="overall, task or annex")
    indicator: Mapped[str] = mapped_column(String(300))
    comparator: Mapped[str] = mapped_column(String(2))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    measure: Mapped[str] = mapped_column(String(10))
    due_on: Mapped[date | None] = mapped_column(Date)
    source_text: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProgressReport(Base):
    """A reporter's monthly progress on one task (三(二): due by the 2nd of the next month)."""

    __tablename__ = "progress_reports"
    __table_args__ = (
        UniqueConstraint("task_id", "reporter_kind", "reporter_code", "period_month"),
        CheckConstraint(_in("status", REPORT_STATUSES), name="status_known"),
        CheckConstraint(_in("review_state", REVIEW_STATES), name="review_state_known"),
        CheckConstraint(_in("reporter_kind", REPORTER_KINDS), name="reporter_kind_known"),
        Index("ix_progress_reports_reporter", "reporter_kind", "reporter_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("campaign_tasks.id", ondelete="CASCADE"))
    reporter_kind: Mapped[str] = mapped_column(String(10))
    reporter_code: Mapped[str] = mapped_column(String(32), comment="unit code or area code")
    period_month: Mapped[date] = mapped_column(Date, comment="first day of the month reported on")
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_by: Mapped[str] = mapped_column(String(100))
    review_state: Mapped[str] = mapped_column(String(16), default="submitted")
    is_sample: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="示例数据 / demo sample, not real data"
    )

    values: Mapped[list[ProgressIndicatorValue]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ProgressIndicatorValue.id"
    )
    evidence: Mapped[list[ProgressEvidence]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ProgressEvidence.id"
    )
    reviews: Mapped[list[ProgressReview]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ProgressReview.id"
    )


class ProgressIndicatorValue(Base):
    __tablename__ = "progress_indicator_values"
    __table_args__ = (UniqueConstraint("report_id", "target_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"))
    target_key: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)

    report: Mapped[ProgressReport] = relationship(back_populates="values")


class ProgressEvidence(Base):
    __tablename__ = "progress_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255), comment="the name it was uploaded with")
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(String(300), comment="relative to the data directory")
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())

    report: Mapped[ProgressReport] = relationship(back_populates="evidence")


class ProgressReview(Base):
    __tablename__ = "progress_reviews"
    __table_args__ = (
        CheckConstraint("stage IN ('lead', 'office')", name="stage_known"),
        CheckConstraint("decision IN ('accept', 'return')", name="decision_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(10))
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())

    report: Mapped[ProgressReport] = relationship(back_populates="reviews")


class AccountabilityRecord(Audited, CreatedAtMixin, Base):
    """问责: a warning, talk, notice or sanction against a unit, an area or a person (audited as
    ``accountability.add``)."""

    __tablename__ = "accountability_records"
    __audit_type__ = "accountability_record"
    __audit_verbs__: ClassVar[Mapping[str, str]] = {
        "add": "accountability.add",
        "update": "accountability.update",
        "remove": "accountability.remove",
    }
    __audit_ignore__ = frozenset({"id", "created_at"})
    __table_args__ = (
        CheckConstraint(_in("kind", ACCOUNTABILITY_KINDS), name="kind_known"),
        CheckConstraint(_in("subject_kind", SUBJECT_KINDS), name="subject_kind_known"),
        CheckConstraint("(link_kind IS NULL) = (link_id IS NULL)", name="link_complete"),
        Index("ix_accountability_records_link", "link_kind", "link_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign_plans.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(10))
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_code: Mapped[str | None] = mapped_column(
        String(32), comment="unit or area code; empty for a person"
    )
    subject_name: Mapped[str] = mapped_column(String(100))
    link_kind: Mapped[str | None] = mapped_column(
        String(32), comment="task, progress_report, inspection_case, …"
    )
    link_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100))
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)


#: A duty item's recorded state: found overdue by the daily job, submitted, accepted or returned
#: by the office. An item with no row is "open" (not yet due) or "overdue" (computed).
DUTY_STATES = ("overdue", "submitted", "accepted", "returned")


class DutyItem(Base):
    """One duty of the plan owed by one unit or area for one period (seed 三(二) and the tasks'
    own reporting duties: the work plans and five lists by 9-30, the > 45 m stack list by 10-18,
    the weekly machinery patrol reports, the monthly dust fall, …). A row exists once the unit
    submits or the daily job finds the item overdue; every change is audited (``duty.*``)."""

    __tablename__ = "campaign_duty_items"
    __table_args__ = (
        UniqueConstraint(
            "plan_id",
            "duty_key",
            "reporter_kind",
            "reporter_code",
            "period_start",
            name="uq_campaign_duty_items_one_per_period",
        ),
        CheckConstraint(_in("state", DUTY_STATES), name="state_known"),
        CheckConstraint(_in("reporter_kind", REPORTER_KINDS), name="reporter_kind_known"),
        Index("ix_campaign_duty_items_reporter", "reporter_kind", "reporter_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("campaign_plans.id", ondelete="CASCADE"))
    duty_key: Mapped[str] = mapped_column(String(64), comment="reporting duty key or task duty")
    reporter_kind: Mapped[str] = mapped_column(String(10))
    reporter_code: Mapped[str] = mapped_column(String(32), comment="unit code or area code")
    period_start: Mapped[date] = mapped_column(
        Date, comment="the period's first day (one-off: due)"
    )
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12))
    text: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_path: Mapped[str | None] = mapped_column(String(300), comment="relative to the data dir")
    file_size: Mapped[int | None] = mapped_column(Integer)
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated_on: Mapped[date | None] = mapped_column(
        Date, comment="the day the daily job found it overdue"
    )
    is_sample: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="示例数据 / demo sample, not real data"
    )
