"""Tables of the execution checks (seed tasks 37–39, 41): imported facts of what happened.

Each row names an enterprise of the emission inventory and the upload it came from; the original
file of every upload is kept in the file store (:class:`ExecutionUpload`, audited). A re-import of
a corrected file replaces the values of the same (enterprise, line, day), (enterprise, plate,
time, direction) or (enterprise, plate).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.audited import Audited
from lantian.db.base import Base, CreatedAtMixin, UtcDateTime

#: What an upload holds.
UPLOAD_KINDS = ("electricity", "gate", "fleet")
#: Emission standards of trucks (国I–国VI; electric and gas trucks count as 国VI-equivalent clean).
VEHICLE_STANDARDS = ("china1", "china2", "china3", "china4", "china5", "china6", "electric")
#: Standards counted as 国IV or better (task 39: "国四及以上排放标准车辆").
CHINA4_PLUS = frozenset({"china4", "china5", "china6", "electric"})
DIRECTIONS = ("in", "out")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ExecutionUpload(Audited, CreatedAtMixin, Base):
    """One imported file of facts (electricity, gate records, fleet): the original kept in the
    file store by its SHA-256; audited as ``execution_upload.add``."""

    __tablename__ = "execution_uploads"
    __audit_type__ = "execution_upload"
    __table_args__ = (CheckConstraint(_in("kind", UPLOAD_KINDS), name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer)


class LineDay(Base):
    """A production line's day: electricity used (kWh, from the power company) and/or the share
    of normal output produced (production share), seed tasks 37–38 and 41(2)."""

    __tablename__ = "execution_line_days"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "line", "day"),
        CheckConstraint("kwh IS NULL OR kwh >= 0", name="kwh_not_negative"),
        CheckConstraint(
            "output_share IS NULL OR (output_share >= 0 AND output_share <= 2)",
            name="output_share_range",
        ),
        CheckConstraint("kwh IS NOT NULL OR output_share IS NOT NULL", name="kwh_or_share"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("emission_enterprises.id", ondelete="RESTRICT"), index=True
    )
    line: Mapped[str] = mapped_column(String(120), comment="生产线 (a line of the inventory)")
    day: Mapped[date] = mapped_column(Date, comment="natural day, China time")
    kwh: Mapped[float | None] = mapped_column(Float, comment="用电量 kWh")
    output_share: Mapped[float | None] = mapped_column(
        Float, comment="生产负荷: share of normal output produced"
    )
    upload_id: Mapped[int] = mapped_column(ForeignKey("execution_uploads.id"), index=True)


class GateMovement(Base):
    """A truck passing an enterprise's gate (门禁记录), seed task 39."""

    __tablename__ = "execution_gate_movements"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "plate", "passed_at", "direction"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction_known"),
        CheckConstraint(_in("standard", VEHICLE_STANDARDS), name="standard_known"),
        CheckConstraint("tonnes IS NULL OR tonnes >= 0", name="tonnes_not_negative"),
        Index("ix_execution_gate_enterprise_passed", "enterprise_id", "passed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("emission_enterprises.id", ondelete="RESTRICT")
    )
    plate: Mapped[str] = mapped_column(String(16), comment="车牌号")
    passed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    direction: Mapped[str] = mapped_column(String(3), comment="in 进 / out 出")
    standard: Mapped[str] = mapped_column(String(10), comment="排放标准")
    cargo: Mapped[str | None] = mapped_column(String(100), comment="货物")
    tonnes: Mapped[float | None] = mapped_column(Float, comment="载重 t")
    safety: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="保安全生产所需 (exempt during warnings)"
    )
    upload_id: Mapped[int] = mapped_column(ForeignKey("execution_uploads.id"), index=True)


class FleetVehicle(Base):
    """A truck of an enterprise's own fleet (自有车队) with its standard and whether it is sealed
    (封存), seed task 39."""

    __tablename__ = "execution_fleet"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "plate"),
        CheckConstraint(_in("standard", VEHICLE_STANDARDS), name="standard_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("emission_enterprises.id", ondelete="RESTRICT"), index=True
    )
    plate: Mapped[str] = mapped_column(String(16))
    standard: Mapped[str] = mapped_column(String(10))
    sealed: Mapped[bool] = mapped_column(Boolean, default=False, comment="封存")
    upload_id: Mapped[int] = mapped_column(ForeignKey("execution_uploads.id"), index=True)
