"""monitoring: stations, import batches, measurements

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False, comment="cnemc, stations, …"),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("finished_at", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint("kind", "sha256", name=op.f("uq_import_batches_kind_sha256")),
    )
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False, comment="监测点编码, e.g. 1316A"),
        sa.Column("name", sa.String(length=100), nullable=False, comment="监测点名称"),
        sa.Column("city", sa.String(length=50), nullable=False, comment="城市"),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column(
            "area_code", sa.String(length=12), nullable=True, comment="乡镇/街道 code, if any"
        ),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column(
            "is_background",
            sa.Boolean(),
            nullable=False,
            comment="对照点: not part of city evaluation",
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "tier IN ('national', 'provincial', 'township', 'micro')",
            name=op.f("ck_stations_tier_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("code", name=op.f("uq_stations_code")),
    )
    op.create_table(
        "measurements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("pollutant", sa.String(length=8), nullable=False),
        sa.Column("averaging", sa.String(length=4), nullable=False),
        sa.Column("period_end", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("flag", sa.String(length=2), nullable=False, comment="HJ 212 data flag"),
        sa.Column("source", sa.String(length=16), nullable=False, comment="cnemc, hj212, manual"),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("received_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_measurements_batch_id_import_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_measurements_station_id_stations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
        sa.UniqueConstraint(
            "station_id",
            "pollutant",
            "averaging",
            "period_end",
            "source",
            name=op.f("uq_measurements_natural_key"),
        ),
    )
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.create_index("ix_measurements_period_end", ["period_end"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index("ix_measurements_period_end")

    op.drop_table("measurements")
    op.drop_table("stations")
    op.drop_table("import_batches")
