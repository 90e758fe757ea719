"""hj212 receiver: devices, raw frames, received packets, device measurements

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mn", sa.String(length=32), nullable=False, comment="设备唯一标识 MN"),
        sa.Column(
            "password",
            sa.String(length=16),
            nullable=True,
            comment="访问密码 PW; empty = not checked (2005 devices without PW)",
        ),
        sa.Column(
            "station_id", sa.Integer(), nullable=True, comment="监测点, for ambient stations"
        ),
        sa.Column(
            "source_code",
            sa.String(length=64),
            nullable=True,
            comment="排放口/企业编码 (stack or outfall), free code for now",
        ),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("crc_mode", sa.String(length=8), nullable=False),
        sa.Column("parse_mode", sa.String(length=8), nullable=False),
        sa.Column(
            "code_aliases", sa.JSON(), nullable=True, comment="vendor code -> HJ 212-2017 code"
        ),
        sa.Column(
            "unit_overrides",
            sa.JSON(),
            nullable=True,
            comment="code -> {factor, unit, received_unit}",
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "crc_mode IN ('hj212', 'modbus', 'none')", name=op.f("ck_devices_crc_mode_known")
        ),
        sa.CheckConstraint(
            "parse_mode IN ('strict', 'tolerant')", name=op.f("ck_devices_parse_mode_known")
        ),
        sa.CheckConstraint(
            "protocol IN ('auto', '2017', '2005')", name=op.f("ck_devices_protocol_known")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_devices_station_id_stations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("mn", name=op.f("uq_devices_mn")),
    )
    op.create_table(
        "raw_frames",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("peer", sa.String(length=64), nullable=False, comment="remote address:port"),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("mn", sa.String(length=64), nullable=True, comment="MN as sent, even if unknown"),
        sa.Column("data", sa.LargeBinary(), nullable=False, comment="the bytes as received"),
        sa.Column("verdict", sa.String(length=12), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("qn", sa.String(length=20), nullable=True),
        sa.Column("cn", sa.String(length=8), nullable=True),
        sa.Column(
            "data_time",
            lantian.db.base.UtcDateTime(timezone=True),
            nullable=True,
            comment="DataTime as sent",
        ),
        sa.CheckConstraint(
            "verdict IN ('accepted', 'rejected', 'duplicate')",
            name=op.f("ck_raw_frames_verdict_known"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_raw_frames_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_frames")),
    )
    with op.batch_alter_table("raw_frames", schema=None) as batch_op:
        batch_op.create_index("ix_raw_frames_device_id", ["device_id"], unique=False)
        batch_op.create_index("ix_raw_frames_received_at", ["received_at"], unique=False)

    op.create_table(
        "received_packets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cn", sa.String(length=4), nullable=False),
        sa.Column(
            "data_time",
            lantian.db.base.UtcDateTime(timezone=True),
            nullable=False,
            comment="DataTime as sent",
        ),
        sa.Column("part", sa.Integer(), nullable=False, comment="PNO of split packets, else 1"),
        sa.Column(
            "raw_frame_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("received_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_received_packets_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["raw_frame_id"],
            ["raw_frames.id"],
            name=op.f("fk_received_packets_raw_frame_id_raw_frames"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_packets")),
        sa.UniqueConstraint(
            "device_id", "cn", "data_time", "part", name="uq_received_packets_natural_key"
        ),
    )
    op.create_table(
        "device_measurements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "packet_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column(
            "code", sa.String(length=32), nullable=False, comment="HJ 212-2017 code after mapping"
        ),
        sa.Column(
            "period", sa.String(length=8), nullable=False, comment="instant, minute, hour, day"
        ),
        sa.Column("data_time", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("cou", sa.Float(), nullable=True, comment="cumulative amount (排放量)"),
        sa.Column("zs_value", sa.Float(), nullable=True, comment="converted (折算) value"),
        sa.Column("flag", sa.String(length=2), nullable=True, comment="instrument flag, Table 8"),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_measurements_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["packet_id"],
            ["received_packets.id"],
            name=op.f("fk_device_measurements_packet_id_received_packets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_measurements")),
    )
    with op.batch_alter_table("device_measurements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_device_measurements_device_id_data_time", ["device_id", "data_time"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_device_measurements_packet_id"), ["packet_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("device_measurements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_measurements_packet_id"))
        batch_op.drop_index("ix_device_measurements_device_id_data_time")

    op.drop_table("device_measurements")
    op.drop_table("received_packets")
    with op.batch_alter_table("raw_frames", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_frames_received_at")
        batch_op.drop_index("ix_raw_frames_device_id")

    op.drop_table("raw_frames")
    op.drop_table("devices")
