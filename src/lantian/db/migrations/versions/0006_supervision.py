"""supervision: inspection cases, their timeline, evidence and occurrences, accountability
proposals, duty roster and the working groups' daily reports (issue 9)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

One open case per deduplication key: ``open_dedup_key`` is unique and cleared at closure (NULLs
never collide on either backend), which needs no partial index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_accountability_proposals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("link_kind", sa.String(length=40), nullable=False),
        sa.Column("link_id", sa.String(length=64), nullable=False),
        sa.Column("target_unit", sa.String(length=32), nullable=True),
        sa.Column("target_person", sa.String(length=100), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("proposed_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed', 'approved', 'declined', 'decided')",
            name=op.f("ck_case_accountability_proposals_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_accountability_proposals")),
    )
    with op.batch_alter_table("case_accountability_proposals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_accountability_proposals_link", ["link_kind", "link_id"], unique=False
        )

    op.create_table(
        "duty_shifts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_code", sa.String(length=32), nullable=False),
        sa.Column("person", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("starts_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("handover_note", sa.Text(), nullable=True),
        sa.Column("handed_over_at", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("handed_over_by", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_duty_shifts_ends_after_start")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_shifts")),
    )
    with op.batch_alter_table("duty_shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_shifts_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "group_daily_reports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_code", sa.String(length=32), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("submitted_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_daily_reports")),
        sa.UniqueConstraint(
            "group_code", "report_date", name=op.f("uq_group_daily_reports_group_code_report_date")
        ),
    )
    with op.batch_alter_table("group_daily_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_daily_reports_report_date"), ["report_date"], unique=False
        )

    op.create_table(
        "inspection_cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("dedup_key", sa.String(length=200), nullable=True),
        sa.Column("open_dedup_key", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("area_code", sa.String(length=9), nullable=True),
        sa.Column("site", sa.String(length=200), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("deadline", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("listed_at", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("overdue_since", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "severity IN ('general', 'serious', 'major')",
            name=op.f("ck_inspection_cases_severity_known"),
        ),
        sa.CheckConstraint(
            "source IN ('inspection_team', 'patrol', 'hotline', 'rule')",
            name=op.f("ck_inspection_cases_source_known"),
        ),
        sa.CheckConstraint(
            "state IN ('assigned', 'forwarded', 'rectifying', 'reported', 'closed')",
            name=op.f("ck_inspection_cases_state_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_cases")),
        sa.UniqueConstraint("open_dedup_key", name=op.f("uq_inspection_cases_open_dedup_key")),
    )
    with op.batch_alter_table("inspection_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_cases_area_code"), ["area_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspection_cases_dedup_key"), ["dedup_key"], unique=False
        )
        batch_op.create_index(
            "ix_inspection_cases_state_unit", ["state", "unit_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspection_cases_unit_code"), ["unit_code"], unique=False
        )

    op.create_table(
        "case_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["inspection_cases.id"],
            name=op.f("fk_case_events_case_id_inspection_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_occurrences",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("observed_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("recorded_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["inspection_cases.id"],
            name=op.f("fk_case_occurrences_case_id_inspection_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_occurrences")),
        sa.UniqueConstraint(
            "case_id", "observed_at", name=op.f("uq_case_occurrences_case_id_observed_at")
        ),
    )
    with op.batch_alter_table("case_occurrences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_occurrences_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_evidence",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "size_bytes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["inspection_cases.id"],
            name=op.f("fk_case_evidence_case_id_inspection_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["case_events.id"],
            name=op.f("fk_case_evidence_event_id_case_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_evidence")),
    )
    with op.batch_alter_table("case_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_evidence_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_evidence_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_evidence_sha256"))
        batch_op.drop_index(batch_op.f("ix_case_evidence_case_id"))

    op.drop_table("case_evidence")
    with op.batch_alter_table("case_occurrences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_occurrences_case_id"))

    op.drop_table("case_occurrences")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("inspection_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_cases_unit_code"))
        batch_op.drop_index("ix_inspection_cases_state_unit")
        batch_op.drop_index(batch_op.f("ix_inspection_cases_dedup_key"))
        batch_op.drop_index(batch_op.f("ix_inspection_cases_area_code"))

    op.drop_table("inspection_cases")
    with op.batch_alter_table("group_daily_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_daily_reports_report_date"))

    op.drop_table("group_daily_reports")
    with op.batch_alter_table("duty_shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_shifts_starts_at"))

    op.drop_table("duty_shifts")
    with op.batch_alter_table("case_accountability_proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_case_accountability_proposals_link")

    op.drop_table("case_accountability_proposals")
