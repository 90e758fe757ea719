"""station registry fields, measurement reviews, month audits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "station_month_audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False, comment="first day of the month"),
        sa.Column("audited_by", sa.String(length=64), nullable=False),
        sa.Column("audited_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_station_month_audits_station_id_stations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_month_audits")),
        sa.UniqueConstraint(
            "station_id", "month", name=op.f("uq_station_month_audits_station_id_month")
        ),
    )
    op.create_table(
        "measurement_reviews",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "measurement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column(
            "value", sa.Float(), nullable=False, comment="value in force (raw unless corrected)"
        ),
        sa.Column("qc_flags", sa.JSON(), nullable=False),
        sa.Column(
            "reviewer", sa.String(length=64), nullable=False, comment="'system:qc' or a person"
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["measurement_id"],
            ["measurements.id"],
            name=op.f("fk_measurement_reviews_measurement_id_measurements"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurement_reviews")),
        sa.UniqueConstraint(
            "measurement_id", "version", name=op.f("uq_measurement_reviews_measurement_id_version")
        ),
    )
    with op.batch_alter_table("measurement_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measurement_reviews_measurement_id"), ["measurement_id"], unique=False
        )

    # Existing stations measure the six pollutants and operate; the column is filled, then required.
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.String(length=12),
                server_default="operating",
                nullable=False,
                comment="planned, operating, retired",
            )
        )
        batch_op.add_column(
            sa.Column("pollutants", sa.JSON(), nullable=True, comment="what the station measures")
        )
        batch_op.add_column(
            sa.Column(
                "reporting_interval_s",
                sa.Integer(),
                server_default="3600",
                nullable=False,
                comment="expected seconds between values",
            )
        )
        batch_op.create_check_constraint(
            "status_known", "status IN ('planned', 'operating', 'retired')"
        )
    stations = sa.table("stations", sa.column("pollutants", sa.JSON()))
    op.execute(stations.update().values(pollutants=["so2", "no2", "pm10", "pm2_5", "co", "o3"]))
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.alter_column("pollutants", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_stations_status_known"), type_="check")
        batch_op.drop_column("reporting_interval_s")
        batch_op.drop_column("pollutants")
        batch_op.drop_column("status")

    with op.batch_alter_table("measurement_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurement_reviews_measurement_id"))

    op.drop_table("measurement_reviews")
    op.drop_table("station_month_audits")
