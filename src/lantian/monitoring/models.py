"""Tables of the monitoring domain: stations, measurements and the imports that brought them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.db.audited import Audited
from lantian.db.base import Base, CreatedAtMixin, UtcDateTime

#: The six pollutants of GB 3095-2012 Table 1 (code names used throughout lantian).
POLLUTANTS = ("so2", "no2", "pm10", "pm2_5", "co", "o3")

#: Station tiers (国控站 / 省控站 / 乡镇站 / 微站).
STATION_TIERS = ("national", "provincial", "township", "micro")

#: Life of a station: called for by a plan, reporting, or taken out of service.
STATION_STATUSES = ("planned", "operating", "retired")


class Station(Audited, CreatedAtMixin, Base):
    """A monitoring station (监测点位).

    Audited by code (``station.add`` / ``station.update``, or the writer's verb such as
    ``station.register``): every write runs inside :func:`lantian.db.audited.acting_as`, with the
    person or the system job (a file import) that makes it.
    """

    __tablename__ = "stations"
    __audit_type__ = "station"
    __audit_ignore__ = frozenset({"id", "created_at"})
    __table_args__ = (
        CheckConstraint(
            "tier IN ('national', 'provincial', 'township', 'micro')", name="tier_known"
        ),
        CheckConstraint("status IN ('planned', 'operating', 'retired')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, comment="监测点编码, e.g. 1316A")
    name: Mapped[str] = mapped_column(String(100), comment="监测点名称")
    city: Mapped[str] = mapped_column(String(50), comment="城市")
    tier: Mapped[str] = mapped_column(String(16), default="national")
    area_code: Mapped[str | None] = mapped_column(String(12), comment="乡镇/街道 code, if any")
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    is_background: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="对照点: not part of city evaluation"
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(
        String(12),
        default="operating",
        server_default="operating",
        comment="planned, operating, retired",
    )
    pollutants: Mapped[list[str]] = mapped_column(
        JSON,
        default=lambda: list(POLLUTANTS),
        comment="what the station measures",
    )
    reporting_interval_s: Mapped[int] = mapped_column(
        Integer,
        default=3600,
        server_default="3600",
        comment="expected seconds between values",
    )

    def audit_key(self, session: Session) -> str:
        return self.code


class ImportBatch(CreatedAtMixin, Base):
    """One file brought into lantian; the original upload is kept at ``stored_path``."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("kind", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), comment="cnemc, stations, …")
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    stored_path: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="loaded")
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Measurement(Base):
    """One averaged concentration as received (raw, never overwritten).

    In PostgreSQL the table is partitioned by China-time month of ``period_end`` (migration 0010,
    :mod:`lantian.archive.partitions`); there the primary key is (id, period_end), the id still
    unique from its sequence.

    ``period_end`` is the end of the averaging period: the hourly value labelled 16:00 covers
    15:00–16:00 (HJ 663-2013 Table A.1 note; CNEMC practice). Units: µg/m³, CO in mg/m³.
    """

    __tablename__ = "measurements"
    __table_args__ = (
        UniqueConstraint(
            "station_id",
            "pollutant",
            "averaging",
            "period_end",
            "source",
            name="uq_measurements_natural_key",
        ),
        Index("ix_measurements_period_end", "period_end"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="RESTRICT"))
    pollutant: Mapped[str] = mapped_column(String(8))
    averaging: Mapped[str] = mapped_column(String(4), default="1h")
    period_end: Mapped[datetime] = mapped_column(UtcDateTime())
    value: Mapped[float] = mapped_column(Float)
    flag: Mapped[str] = mapped_column(String(2), default="N", comment="HJ 212 data flag")
    source: Mapped[str] = mapped_column(String(16), comment="cnemc, hj212, manual")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MeasurementReview(Base):
    """A version of a measurement's standing: automatic QC flags or a person's decision.

    The raw :class:`Measurement` never changes; each review is a new version (1, 2, …) saying
    whether the value is valid for statistics, the value in force (a person may correct it), the
    QC flags, who decided, when and why. The newest version is in force.
    """

    __tablename__ = "measurement_reviews"
    __table_args__ = (UniqueConstraint("measurement_id", "version"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # No foreign key: in PostgreSQL ``measurements`` is partitioned by month (its key includes
    # period_end) and an archived month must be detachable; ``review.decide`` checks the id.
    measurement_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    valid: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[float] = mapped_column(Float, comment="value in force (raw unless corrected)")
    qc_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    reviewer: Mapped[str] = mapped_column(String(64), comment="'system:qc' or a person")
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StationMonthAudit(Base):
    """The sign-off that makes a station's month of data audited (HJ 633-2012 §5.1.5).

    Real-time data are provisional; they are revised and confirmed in the first ten days of the
    next month. Before the sign-off a month is provisional; after it, audited.
    """

    __tablename__ = "station_month_audits"
    __table_args__ = (UniqueConstraint("station_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="RESTRICT"))
    month: Mapped[date] = mapped_column(Date, comment="first day of the month")
    audited_by: Mapped[str] = mapped_column(String(64))
    audited_at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(Text)
