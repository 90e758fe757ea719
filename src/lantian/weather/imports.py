"""The weather importer: a station CSV (or .xlsx) of hourly surface weather, all rows or none.

Columns (Chinese or English headers): the site (a monitoring station's code or an area code),
the time of observation (China time unless the cell gives a zone) — or separate year, month,
day and hour columns as the UCI Beijing multi-site files write them —, temperature (°C),
relative humidity (%) or the dew point (°C, humidity then follows by the Magnus formula), pressure
(hPa), wind speed (m/s), wind direction (degrees from north, or a 16-point compass name such as
``NNW`` or ``西北``) and precipitation (mm). Other columns (the UCI files' pollutants) are
ignored; ``NA`` and ``-`` mean missing.

Every bad row is reported (row, column, value, why); a file with any problem writes nothing; an
accepted file is kept in the file store, audited as ``weather_upload.add``, and replaces the
stored observations of its sites over the hours it covers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from lantian.auth import audit
from lantian.auth.permissions import Principal, can, resource
from lantian.db.audited import acting_as
from lantian.errors import Invalid, NotAllowed
from lantian.files import FileStore
from lantian.tabular import Column, TableSpec, read_table
from lantian.timeutil import CHINA_TZ
from lantian.weather.models import WeatherObservation, WeatherUpload
from lantian.weather.normalise import COMPASS_DEGREES, relative_humidity

#: Largest file accepted (four years of hourly weather of one station, as CSV, is ~3 MB).
MAX_FILE_BYTES = 50 * 1024 * 1024


class WeatherRow(BaseModel):
    """One hour of a site's weather as the file writes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site: str = Field(min_length=1, max_length=32)
    time: datetime | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    hour: int | None = Field(default=None, ge=0, le=24)
    temperature: float | None = Field(default=None, ge=-60, le=60)
    humidity: float | None = Field(default=None, ge=0, le=100)
    dewpoint: float | None = Field(default=None, ge=-80, le=60)
    pressure: float | None = Field(default=None, ge=500, le=1100)
    wind_speed: float | None = Field(default=None, ge=0, le=75)
    wind_direction: str | None = None
    precipitation: float | None = Field(default=None, ge=0, le=500)

    @model_validator(mode="after")
    def _time_given(self) -> WeatherRow:
        if self.time is None and None in (self.year, self.month, self.day, self.hour):
            raise ValueError(
                "缺少时间：填「时间」或「年、月、日、时」/ no time: give the time, or the year, "
                "month, day and hour"
            )
        if self.wind_direction is not None:
            self.direction_degrees()  # raises on a direction it cannot read
        return self

    def observed_at(self) -> datetime:
        """The instant of observation (China time unless the cell named a zone)."""
        if self.time is not None:
            moment = self.time
        else:
            assert self.year and self.month and self.day and self.hour is not None
            try:
                moment = datetime(self.year, self.month, self.day) + timedelta(hours=self.hour)
            except ValueError as error:
                raise ValueError(f"日期不存在 / no such date: {error}") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)

    def direction_degrees(self) -> float | None:
        text = self.wind_direction
        if text is None:
            return None
        upper = text.upper()
        if upper in COMPASS_DEGREES:
            return COMPASS_DEGREES[upper]
        if text in COMPASS_DEGREES:
            return COMPASS_DEGREES[text]
        try:
            degrees = float(text)
        except ValueError:
            raise ValueError(
                f"风向应为度数 (0–360) 或方位 (N、NNE…、北、东北…) / wind direction must be degrees "
                f"or a compass point: {text!r}"
            ) from None
        if not 0 <= degrees <= 360:
            raise ValueError(f"风向应在 0–360 度之间 / wind direction out of 0–360: {text}")
        return degrees % 360.0

    def relative_humidity(self) -> float | None:
        if self.humidity is not None:
            return self.humidity
        if self.dewpoint is not None and self.temperature is not None:
            value = relative_humidity(np.array([self.temperature]), np.array([self.dewpoint]))
            return float(value[0])
        return None


WEATHER_SPEC: TableSpec[WeatherRow] = TableSpec(
    WeatherRow,
    (
        Column(
            "site",
            "site",
            "站点",
            aliases=("station", "站点编码", "监测点", "区划代码"),
            example="1316A",
        ),
        Column(
            "time",
            "time",
            "时间",
            aliases=("观测时间", "datetime", "日期时间"),
            example="2018-01-15 08:00",
            note_zh="北京时间",
            note_en="China time",
        ),
        Column("year", "year", "年", example=""),
        Column("month", "month", "月", example=""),
        Column("day", "day", "日", example=""),
        Column("hour", "hour", "时", aliases=("小时",), example=""),
        Column("temperature", "temperature", "气温", aliases=("TEMP", "温度"), example="-2.5"),
        Column("humidity", "humidity", "相对湿度", aliases=("RH", "湿度"), example="45"),
        Column(
            "dewpoint",
            "dewpoint",
            "露点温度",
            aliases=("DEWP", "露点"),
            example="",
            note_zh="无相对湿度时用于计算",
            note_en="gives the humidity when none is given",
        ),
        Column("pressure", "pressure", "气压", aliases=("PRES",), example="1021.3"),
        Column("wind_speed", "wind_speed", "风速", aliases=("WSPM", "ws"), example="2.1"),
        Column(
            "wind_direction",
            "wind_direction",
            "风向",
            aliases=("wd",),
            example="NNW",
            note_zh="度数或方位",
            note_en="degrees or compass point",
        ),
        Column(
            "precipitation",
            "precipitation",
            "降水量",
            aliases=("RAIN", "降水", "雨量"),
            example="0",
        ),
    ),
    title="逐时气象观测 / hourly weather observations of a site",
    unknown_columns="ignore",
    missing_marks=frozenset({"NA", "-", "N/A", "null"}),
)


@dataclass(frozen=True)
class WeatherImport:
    filename: str
    rows: int
    sites: tuple[str, ...]
    first: datetime
    last: datetime
    upload_id: int
    sha256: str


def may_import(who: Principal) -> bool:
    """Bringing data in is ``write`` on ``measurement`` (the office, the administrator)."""
    return can(who, "write", resource("measurement"))


def import_weather(
    session: Session, who: Principal, content: bytes, filename: str, *, store: FileStore
) -> WeatherImport:
    """Import a weather file: every row or none (:class:`~lantian.tabular.Rejected` lists each
    bad row); the original kept in ``store``; the sites' observations over the file's hours
    replaced by the file's."""
    if not may_import(who):
        raise NotAllowed("无权导入气象数据 / not allowed to import weather data")
    if len(content) > MAX_FILE_BYTES:
        raise Invalid(f"{filename}: 文件过大 / the file is too large")
    read = read_table(content, WEATHER_SPEC, name=filename)
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, datetime], int] = {}
    for row in read.rows:
        model = row.value
        try:
            observed_at = model.observed_at()
        except ValueError as error:
            read.problem(row.number, "time", row.cells.get("time", ""), str(error))
            continue
        key = (model.site, observed_at)
        if key in seen:
            read.problem(
                row.number,
                "time",
                row.cells.get("time") or row.cells.get("hour", ""),
                f"与第 {seen[key]} 行重复（同一站点同一时刻）/ repeats row {seen[key]} "
                "(same site and time)",
            )
            continue
        seen[key] = row.number
        records.append(
            {
                "site": model.site,
                "observed_at": observed_at,
                "temperature": model.temperature,
                "humidity": model.relative_humidity(),
                "pressure": model.pressure,
                "wind_speed": model.wind_speed,
                "wind_direction": model.direction_degrees(),
                "precipitation": model.precipitation,
            }
        )
    if not read.rows and not read.problems:
        read.problem(0, "", "", "文件中没有数据行 / the file holds no data rows")
    read.raise_if_problems()
    spans: dict[str, list[datetime]] = defaultdict(list)
    for record in records:
        spans[record["site"]].append(record["observed_at"])
    audit.lock_chain(session)
    kept = store.put_bytes(content)
    actor = who.username or "public"
    with session.begin_nested():
        with acting_as(session, actor, action="weather_upload.add"):
            upload = WeatherUpload(
                filename=Path(filename).name[:255],
                sha256=kept.sha256,
                imported_by=actor,
                rows=len(records),
            )
            session.add(upload)
            session.flush()
        for site, times in spans.items():
            session.execute(
                delete(WeatherObservation).where(
                    WeatherObservation.site == site,
                    WeatherObservation.observed_at >= min(times),
                    WeatherObservation.observed_at <= max(times),
                )
            )
        for start in range(0, len(records), 5000):
            batch = [record | {"upload_id": upload.id} for record in records[start : start + 5000]]
            session.execute(insert(WeatherObservation), batch)
        session.flush()
    every = [t for times in spans.values() for t in times]
    return WeatherImport(
        upload.filename,
        len(records),
        tuple(sorted(spans)),
        min(every),
        max(every),
        upload.id,
        kept.sha256,
    )
