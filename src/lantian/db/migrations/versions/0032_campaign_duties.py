"""duty items (every one-off and recurring duty of the plan), the floor measure of targets, and the
provincial approval of task 38 on inventory enterprises

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_duty_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column(
            "duty_key",
            sa.String(length=64),
            nullable=False,
            comment="reporting duty key or task duty",
        ),
        sa.Column("reporter_kind", sa.String(length=10), nullable=False),
        sa.Column(
            "reporter_code", sa.String(length=32), nullable=False, comment="unit code or area code"
        ),
        sa.Column(
            "period_start",
            sa.Date(),
            nullable=False,
            comment="the period's first day (one-off: due)",
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("submitted_at", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=100), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column(
            "file_path", sa.String(length=300), nullable=True, comment="relative to the data dir"
        ),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "escalated_on",
            sa.Date(),
            nullable=True,
            comment="the day the daily job found it overdue",
        ),
        sa.Column(
            "is_sample",
            sa.Boolean(),
            nullable=False,
            comment="示例数据 / demo sample, not real data",
        ),
        sa.CheckConstraint(
            "reporter_kind IN ('unit', 'area')",
            name=op.f("ck_campaign_duty_items_reporter_kind_known"),
        ),
        sa.CheckConstraint(
            "state IN ('overdue', 'submitted', 'accepted', 'returned')",
            name=op.f("ck_campaign_duty_items_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["campaign_plans.id"],
            name=op.f("fk_campaign_duty_items_plan_id_campaign_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_duty_items")),
        sa.UniqueConstraint(
            "plan_id",
            "duty_key",
            "reporter_kind",
            "reporter_code",
            "period_start",
            name="uq_campaign_duty_items_one_per_period",
        ),
    )
    with op.batch_alter_table("campaign_duty_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_duty_items_reporter", ["reporter_kind", "reporter_code"], unique=False
        )

    with op.batch_alter_table("emission_enterprises", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "provincial_approval",
                sa.String(length=200),
                nullable=True,
                comment="省级人民政府批准文号: production despite a task-38 stop (not a city filing)",
            )
        )
    with op.batch_alter_table("campaign_targets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_campaign_targets_measure_known"), type_="check")
        batch_op.create_check_constraint(
            "measure_known", "measure IN ('cumulative', 'level', 'floor')"
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_duty_items", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_duty_items_reporter")
    op.drop_table("campaign_duty_items")
    with op.batch_alter_table("campaign_targets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_campaign_targets_measure_known"), type_="check")
        batch_op.create_check_constraint("measure_known", "measure IN ('cumulative', 'level')")
    with op.batch_alter_table("emission_enterprises", schema=None) as batch_op:
        batch_op.drop_column("provincial_approval")
