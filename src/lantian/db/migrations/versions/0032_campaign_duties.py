"""duty items (every one-off and recurring duty of the plan), the floor measure of targets, and the
provincial approval of task 38 on inventory enterprises

Revision ID: 0032
Revises: 0029
Create Date: 2026-12-03 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
    with op.batch_alter_table("campaign_targets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_campaign_targets_measure_known"), type_="check")
        batch_op.create_check_constraint("measure_known", "measure IN ('cumulative', 'level')")
    with op.batch_alter_table("emission_enterprises", schema=None) as batch_op:
        batch_op.drop_column("provincial_approval")
