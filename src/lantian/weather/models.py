"""Tables of the weather observations: hourly surface weather of a site, and the uploads.

A site is a monitoring station's code (weather measured at the station, as the UCI Beijing
files give it) or an area code (the weather bureau's station of a township or of the city).
Every upload keeps its original file in the file store (:class:`WeatherUpload`, audited); a
re-import replaces the observations of the same sites over the hours the file covers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.audited import Audited
from lantian.db.base import Base, CreatedAtMixin, UtcDateTime


class WeatherUpload(Audited, CreatedAtMixin, Base):
    """One imported station CSV of weather: the original kept by its SHA-256; audited as
    ``weather_upload.add``."""

    __tablename__ = "weather_uploads"
    __audit_type__ = "weather_upload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer)


class WeatherObservation(Base):
    """The weather of a site at an hour (the instant of observation)."""

    __tablename__ = "weather_observations"
    __table_args__ = (
        UniqueConstraint("site", "observed_at"),
        CheckConstraint(
            "humidity IS NULL OR (humidity >= 0 AND humidity <= 100)", name="humidity_range"
        ),
        CheckConstraint(
            "wind_direction IS NULL OR (wind_direction >= 0 AND wind_direction < 360)",
            name="wind_direction_range",
        ),
        CheckConstraint("wind_speed IS NULL OR wind_speed >= 0", name="wind_speed_not_negative"),
        CheckConstraint(
            "precipitation IS NULL OR precipitation >= 0", name="precipitation_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(32), comment="监测点编码或行政区划代码")
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime(), comment="观测时刻")
    temperature: Mapped[float | None] = mapped_column(Float, comment="气温 °C")
    humidity: Mapped[float | None] = mapped_column(Float, comment="相对湿度 %")
    pressure: Mapped[float | None] = mapped_column(Float, comment="气压 hPa")
    wind_speed: Mapped[float | None] = mapped_column(Float, comment="风速 m/s")
    wind_direction: Mapped[float | None] = mapped_column(Float, comment="风向 ° from north")
    precipitation: Mapped[float | None] = mapped_column(Float, comment="降水量 mm")
    upload_id: Mapped[int] = mapped_column(ForeignKey("weather_uploads.id"), index=True)
