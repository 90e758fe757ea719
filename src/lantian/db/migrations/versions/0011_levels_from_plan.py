"""reduction measures: the level is a key of the plan's warning scheme, checked by the service

The warning levels are defined once, by the plan's ``warning_rules.toml``; a CHECK constraint
listing blue/yellow/orange/red defined them again and refused a plan with other levels. The
service checks the stored key against the plan's scheme instead; the column widens to the
length a scheme's key may have.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reduction_measures", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_reduction_measures_level_known"), type_="check")
        batch_op.alter_column(
            "level",
            existing_type=sa.String(length=8),
            type_=sa.String(length=40),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("reduction_measures", schema=None) as batch_op:
        batch_op.alter_column(
            "level",
            existing_type=sa.String(length=40),
            type_=sa.String(length=8),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_reduction_measures_level_known"),
            "level IN ('blue', 'yellow', 'orange', 'red')",
        )
