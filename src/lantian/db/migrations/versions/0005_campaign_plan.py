"""campaign plan (areas, units, leaders, calendar, tasks, targets), progress reports, accountability

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 17:17:16.927048
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False, comment="plan.yaml code"),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column(
            "campaign_office",
            sa.String(length=32),
            nullable=False,
            comment="unit code of the office",
        ),
        sa.Column(
            "content_sha256",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 over the plan folder's files as loaded",
        ),
        sa.Column(
            "document",
            sa.JSON(),
            nullable=False,
            comment="periods, reporting, overall targets, annex, inspection plan (as JSON)",
        ),
        sa.Column("loaded_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_plans")),
        sa.UniqueConstraint("code", name=op.f("uq_campaign_plans_code")),
    )
    op.create_table(
        "accountability_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column(
            "subject_code",
            sa.String(length=32),
            nullable=True,
            comment="unit or area code; empty for a person",
        ),
        sa.Column("subject_name", sa.String(length=100), nullable=False),
        sa.Column(
            "link_kind",
            sa.String(length=32),
            nullable=True,
            comment="task, progress_report, inspection_case, …",
        ),
        sa.Column("link_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('warning', 'talk', 'notice', 'sanction')",
            name=op.f("ck_accountability_records_kind_known"),
        ),
        sa.CheckConstraint(
            "subject_kind IN ('unit', 'area', 'person')",
            name=op.f("ck_accountability_records_subject_kind_known"),
        ),
        sa.CheckConstraint(
            "(link_kind IS NULL) = (link_id IS NULL)",
            name=op.f("ck_accountability_records_link_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["campaign_plans.id"],
            name=op.f("fk_accountability_records_plan_id_campaign_plans"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_records")),
    )
    with op.batch_alter_table("accountability_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_accountability_records_link", ["link_kind", "link_id"], unique=False
        )

    op.create_table(
        "campaign_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=9), nullable=False, comment="NBS 9-digit township code"),
        sa.Column("name", sa.String(length=100), nullable=False, comment="the plan's name"),
        sa.Column("nbs_name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["campaign_plans.id"],
            name=op.f("fk_campaign_areas_plan_id_campaign_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_areas")),
        sa.UniqueConstraint("plan_id", "code", name=op.f("uq_campaign_areas_plan_id_code")),
    )
    op.create_table(
        "campaign_calendar_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=10),
            nullable=False,
            comment="holiday (day off) or workday (调休)",
        ),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "kind IN ('holiday', 'workday')", name=op.f("ck_campaign_calendar_days_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["campaign_plans.id"],
            name=op.f("fk_campaign_calendar_days_plan_id_campaign_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_calendar_days")),
        sa.UniqueConstraint("plan_id", "day", name=op.f("uq_campaign_calendar_days_plan_id_day")),
    )
    op.create_table(
        "campaign_leaders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=50), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["campaign_plans.id"],
            name=op.f("fk_campaign_leaders_plan_id_campaign_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_leaders")),
        sa.UniqueConstraint("plan_id", "name", name=op.f("uq_campaign_leaders_plan_id_name")),
    )
    op.create_table(
        "campaign_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("task_ref", sa.String(length=16), nullable=True),
        sa.Column(
            "defined_in", sa.String(length=10), nullable=False, comment="overall, task or annex"
        ),
        sa.Column("indicator", sa.String(length=300), nullable=False),
        sa.Column("comparator", sa.String(length=2), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("measure", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "comparator IN ('>=', '<=', '>', '<', '=')",
            name=op.f("ck_campaign_targets_comparator_known"),
        ),
        sa.CheckConstraint(
            "measure IN ('cumulative', 'level')", name=op.f("ck_campaign_targets_measure_known")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["campaign_plans.id"],
            name=op.f("fk_campaign_targets_plan_id_campaign_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_targets")),
        sa.UniqueConstraint("plan_id", "key", name=op.f("uq_campaign_targets_plan_id_key")),
    )
    op.create_table(
        "campaign_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=16), nullable=False, comment='"8" or "12(1)"'),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("section_number", sa.Integer(), nullable=False),
        sa.Column("section_title", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("leaders", sa.JSON(), nullable=False),
        sa.Column("leaders_text", sa.String(length=200), nullable=False),
        sa.Column("lead_units", sa.JSON(), nullable=False),
        sa.Column("lead_units_text", sa.String(length=300), nullable=False),
        sa.Column("cooperating_units", sa.JSON(), nullable=False),
        sa.Column("cooperating_units_text", sa.String(length=500), nullable=True),
        sa.Column("responsible_areas", sa.JSON(), nullable=True),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column(
            "active",
            sa.Boolean(),
            nullable=False,
            comment="false once the plan files no longer have it",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["campaign_plans.id"],
            name=op.f("fk_campaign_tasks_plan_id_campaign_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_tasks")),
        sa.UniqueConstraint("plan_id", "ref", name=op.f("uq_campaign_tasks_plan_id_ref")),
    )
    op.create_table(
        "campaign_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["campaign_plans.id"],
            name=op.f("fk_campaign_units_plan_id_campaign_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_units")),
        sa.UniqueConstraint("plan_id", "code", name=op.f("uq_campaign_units_plan_id_code")),
    )
    op.create_table(
        "progress_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("reporter_kind", sa.String(length=10), nullable=False),
        sa.Column(
            "reporter_code", sa.String(length=32), nullable=False, comment="unit code or area code"
        ),
        sa.Column(
            "period_month", sa.Date(), nullable=False, comment="first day of the month reported on"
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("submitted_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.Column("review_state", sa.String(length=16), nullable=False),
        sa.Column(
            "is_sample",
            sa.Boolean(),
            nullable=False,
            comment="示例数据 / demo sample, not real data",
        ),
        sa.CheckConstraint(
            "reporter_kind IN ('unit', 'area')",
            name=op.f("ck_progress_reports_reporter_kind_known"),
        ),
        sa.CheckConstraint(
            "review_state IN ('submitted', 'lead_accepted', 'accepted', 'returned')",
            name=op.f("ck_progress_reports_review_state_known"),
        ),
        sa.CheckConstraint(
            "status IN ('not_started', 'in_progress', 'completed', 'behind')",
            name=op.f("ck_progress_reports_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["campaign_tasks.id"],
            name=op.f("fk_progress_reports_task_id_campaign_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reports")),
        sa.UniqueConstraint(
            "task_id",
            "reporter_kind",
            "reporter_code",
            "period_month",
            name=op.f("uq_progress_reports_task_id_reporter_kind_reporter_code_period_month"),
        ),
    )
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_progress_reports_reporter", ["reporter_kind", "reporter_code"], unique=False
        )

    op.create_table(
        "progress_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column(
            "filename",
            sa.String(length=255),
            nullable=False,
            comment="the name it was uploaded with",
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column(
            "stored_path",
            sa.String(length=300),
            nullable=False,
            comment="relative to the data directory",
        ),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_reports.id"],
            name=op.f("fk_progress_evidence_report_id_progress_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_evidence")),
    )
    op.create_table(
        "progress_indicator_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("target_key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_reports.id"],
            name=op.f("fk_progress_indicator_values_report_id_progress_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_indicator_values")),
        sa.UniqueConstraint(
            "report_id",
            "target_key",
            name=op.f("uq_progress_indicator_values_report_id_target_key"),
        ),
    )
    op.create_table(
        "progress_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('accept', 'return')", name=op.f("ck_progress_reviews_decision_known")
        ),
        sa.CheckConstraint(
            "stage IN ('lead', 'office')", name=op.f("ck_progress_reviews_stage_known")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_reports.id"],
            name=op.f("fk_progress_reviews_report_id_progress_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reviews")),
    )


def downgrade() -> None:
    op.drop_table("progress_reviews")
    op.drop_table("progress_indicator_values")
    op.drop_table("progress_evidence")
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_reports_reporter")

    op.drop_table("progress_reports")
    op.drop_table("campaign_units")
    op.drop_table("campaign_tasks")
    op.drop_table("campaign_targets")
    op.drop_table("campaign_leaders")
    op.drop_table("campaign_calendar_days")
    op.drop_table("campaign_areas")
    with op.batch_alter_table("accountability_records", schema=None) as batch_op:
        batch_op.drop_index("ix_accountability_records_link")

    op.drop_table("accountability_records")
    op.drop_table("campaign_plans")
