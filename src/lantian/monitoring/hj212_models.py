"""Tables of the HJ 212 receiver: the device registry, every frame as received, and device data.

* ``devices`` — who may send (MN, password, what it belongs to, how to decode it);
* ``raw_frames`` — every frame received, accepted or rejected, byte for byte, with time and peer
  (raw data is never overwritten: the architecture's first principle for received data);
* ``received_packets`` — one row per stored data upload, unique on (device, CN, DataTime, PNO):
  the idempotency key that makes a re-sent packet a duplicate instead of a second copy;
* ``device_measurements`` — the values of each upload, one row per pollutant code, with the
  instrument's data flag (HJ 212-2017 Table 8).  Devices attached to a station additionally feed
  the station series in ``measurements`` (see :mod:`lantian.monitoring.hj212_store`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, CreatedAtMixin, UtcDateTime

#: Verdicts of a received frame.
FRAME_VERDICTS = ("accepted", "rejected", "duplicate")

#: CRC variants a device may use (spec §5.4): the standard's, CRC-16/MODBUS, or none checked.
CRC_MODES = ("hj212", "modbus", "none")

#: Protocol editions a device speaks; "auto" follows the Flag version bits of each packet.
PROTOCOLS = ("auto", "2017", "2005")

_BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class Device(CreatedAtMixin, Base):
    """A data logger (数采仪) allowed to send HJ 212 data, identified by its MN."""

    __tablename__ = "devices"
    __table_args__ = (
        CheckConstraint("crc_mode IN ('hj212', 'modbus', 'none')", name="crc_mode_known"),
        CheckConstraint("protocol IN ('auto', '2017', '2005')", name="protocol_known"),
        CheckConstraint("parse_mode IN ('strict', 'tolerant')", name="parse_mode_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mn: Mapped[str] = mapped_column(String(32), unique=True, comment="设备唯一标识 MN")
    password: Mapped[str | None] = mapped_column(
        String(16), comment="访问密码 PW; empty = not checked (2005 devices without PW)"
    )
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("stations.id", ondelete="RESTRICT"), comment="监测点, for ambient stations"
    )
    source_code: Mapped[str | None] = mapped_column(
        String(64), comment="排放口/企业编码 (stack or outfall), free code for now"
    )
    name: Mapped[str | None] = mapped_column(String(100))
    protocol: Mapped[str] = mapped_column(String(8), default="auto")
    crc_mode: Mapped[str] = mapped_column(String(8), default="hj212")
    parse_mode: Mapped[str] = mapped_column(String(8), default="tolerant")
    code_aliases: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="vendor code -> HJ 212-2017 code"
    )
    unit_overrides: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="code -> {factor, unit, received_unit}"
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RawFrame(Base):
    """One frame (or undecodable chunk) exactly as received, and what the receiver made of it.

    Partitioned by month of ``received_at`` in PostgreSQL (migration 0010)."""

    __tablename__ = "raw_frames"
    __table_args__ = (
        CheckConstraint("verdict IN ('accepted', 'rejected', 'duplicate')", name="verdict_known"),
        Index("ix_raw_frames_received_at", "received_at"),
        Index("ix_raw_frames_device_id", "device_id"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    peer: Mapped[str] = mapped_column(String(64), comment="remote address:port")
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="RESTRICT"))
    mn: Mapped[str | None] = mapped_column(String(64), comment="MN as sent, even if unknown")
    data: Mapped[bytes] = mapped_column(LargeBinary, comment="the bytes as received")
    verdict: Mapped[str] = mapped_column(String(12))
    error: Mapped[str | None] = mapped_column(Text)
    qn: Mapped[str | None] = mapped_column(String(20))
    cn: Mapped[str | None] = mapped_column(String(8))
    data_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), comment="DataTime as sent")


class ReceivedPacket(Base):
    """A stored data upload; the unique key makes re-sent data idempotent."""

    __tablename__ = "received_packets"
    __table_args__ = (
        UniqueConstraint(
            "device_id", "cn", "data_time", "part", name="uq_received_packets_natural_key"
        ),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="RESTRICT"))
    cn: Mapped[str] = mapped_column(String(4))
    data_time: Mapped[datetime] = mapped_column(UtcDateTime(), comment="DataTime as sent")
    part: Mapped[int] = mapped_column(Integer, default=1, comment="PNO of split packets, else 1")
    # No foreign key: in PostgreSQL ``raw_frames`` is partitioned by month of received_at (its
    # key includes it) and an archived month must be detachable; the receiver stores the frame
    # first, in the same transaction.
    raw_frame_id: Mapped[int] = mapped_column(_BIG_ID)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeviceMeasurement(Base):
    """The values of one pollutant code in one upload (HJ 212-2017 Table 4 fields).

    ``value`` is the period's main value: ``Avg`` for minute/hour/day data, ``Rtd`` for real-time
    data, else the first other value field (``RS``, ``RT``, ``Data``…). ``zs_value`` is the
    converted (折算) counterpart.  ``data_time`` is ``DataTime`` as sent: the START of the period
    for minute, hour and day data (spec §5.2).  Fields not kept here stay in the raw frame.
    """

    __tablename__ = "device_measurements"
    __table_args__ = (
        Index("ix_device_measurements_device_id_data_time", "device_id", "data_time"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    packet_id: Mapped[int] = mapped_column(
        ForeignKey("received_packets.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(32), comment="HJ 212-2017 code after mapping")
    period: Mapped[str] = mapped_column(String(8), comment="instant, minute, hour, day")
    data_time: Mapped[datetime] = mapped_column(UtcDateTime())
    value: Mapped[float | None] = mapped_column(Float)
    min: Mapped[float | None] = mapped_column(Float)
    max: Mapped[float | None] = mapped_column(Float)
    cou: Mapped[float | None] = mapped_column(Float, comment="cumulative amount (排放量)")
    zs_value: Mapped[float | None] = mapped_column(Float, comment="converted (折算) value")
    flag: Mapped[str | None] = mapped_column(String(2), comment="instrument flag, Table 8")
    unit: Mapped[str | None] = mapped_column(String(16))
