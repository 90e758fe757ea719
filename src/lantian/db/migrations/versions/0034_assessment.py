"""township assessment: the recorded monthly rankings

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_rankings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_code", sa.String(length=64), nullable=False, comment="plan.yaml code"),
        sa.Column("month", sa.Date(), nullable=False, comment="first day of the month"),
        sa.Column("area_code", sa.String(length=9), nullable=False, comment="township code (NBS)"),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True, comment="weighted score 0–100"),
        sa.Column("rank", sa.Integer(), nullable=True, comment="1 = best; null: not ranked"),
        sa.Column("computed_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("computed_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_rankings")),
        sa.UniqueConstraint(
            "plan_code",
            "month",
            "area_code",
            name=op.f("uq_assessment_rankings_plan_code_month_area_code"),
        ),
    )
    with op.batch_alter_table("assessment_rankings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_rankings_month"), ["month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assessment_rankings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_rankings_month"))
    op.drop_table("assessment_rankings")
