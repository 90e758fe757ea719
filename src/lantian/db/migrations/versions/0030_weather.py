"""weather observations and their uploads (issue 18: the effect of the measures net of weather)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weather_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weather_uploads")),
    )
    op.create_table(
        "weather_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False, comment="监测点编码或行政区划代码"),
        sa.Column(
            "observed_at",
            lantian.db.base.UtcDateTime(timezone=True),
            nullable=False,
            comment="观测时刻",
        ),
        sa.Column("temperature", sa.Float(), nullable=True, comment="气温 °C"),
        sa.Column("humidity", sa.Float(), nullable=True, comment="相对湿度 %"),
        sa.Column("pressure", sa.Float(), nullable=True, comment="气压 hPa"),
        sa.Column("wind_speed", sa.Float(), nullable=True, comment="风速 m/s"),
        sa.Column("wind_direction", sa.Float(), nullable=True, comment="风向 ° from north"),
        sa.Column("precipitation", sa.Float(), nullable=True, comment="降水量 mm"),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "humidity IS NULL OR (humidity >= 0 AND humidity <= 100)",
            name=op.f("ck_weather_observations_humidity_range"),
        ),
        sa.CheckConstraint(
            "wind_direction IS NULL OR (wind_direction >= 0 AND wind_direction < 360)",
            name=op.f("ck_weather_observations_wind_direction_range"),
        ),
        sa.CheckConstraint(
            "wind_speed IS NULL OR wind_speed >= 0",
            name=op.f("ck_weather_observations_wind_speed_not_negative"),
        ),
        sa.CheckConstraint(
            "precipitation IS NULL OR precipitation >= 0",
            name=op.f("ck_weather_observations_precipitation_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["weather_uploads.id"],
            name=op.f("fk_weather_observations_upload_id_weather_uploads"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weather_observations")),
        sa.UniqueConstraint(
            "site", "observed_at", name=op.f("uq_weather_observations_site_observed_at")
        ),
    )
    with op.batch_alter_table("weather_observations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_weather_observations_upload_id"), ["upload_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("weather_observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weather_observations_upload_id"))
    op.drop_table("weather_observations")
    op.drop_table("weather_uploads")
