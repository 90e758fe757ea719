"""The station registry file of a plan (``stations.csv``): read, validate, load.

Columns (documented in src/lantian/plan/default/xinmi-2017-2018/README.md): code, name, city, tier, area_code,
longitude, latitude, status, pollutants (space-separated), reporting_interval_s. Every problem is
reported with file, line, column and reason; a file with any problem loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.db.audited import acting_as
from lantian.monitoring.models import POLLUTANTS, STATION_STATUSES, STATION_TIERS, Station
from lantian.tabular import Column, Problem, Rejected, TableSpec, read_table

COLUMNS = (
    "code",
    "name",
    "city",
    "tier",
    "area_code",
    "longitude",
    "latitude",
    "status",
    "pollutants",
    "reporting_interval_s",
)
REQUIRED = ("code", "name", "city", "tier")


class RegistryEntry(BaseModel):
    """One station of the registry file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name: str
    city: str
    tier: Literal[STATION_TIERS]  # type: ignore[valid-type]
    area_code: str | None = None
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    status: Literal[STATION_STATUSES] = "operating"  # type: ignore[valid-type]
    pollutants: list[str] = Field(default_factory=lambda: list(POLLUTANTS))
    reporting_interval_s: int = Field(default=3600, gt=0)

    @field_validator("pollutants")
    @classmethod
    def _pollutants(cls, names: list[str]) -> list[str]:
        unknown = [name for name in names if name not in POLLUTANTS]
        if unknown:
            raise ValueError(
                f"未知污染物 unknown {', '.join(unknown)}; known: {' '.join(POLLUTANTS)}"
            )
        return names


REGISTRY_SPEC: Final = TableSpec(
    RegistryEntry,
    (
        Column("code", "code", "站点编码", example="XM-T104"),
        Column("name", "name", "站点名称", example="超化镇空气质量监测站", width=24),
        Column("city", "city", "城市", example="新密"),
        Column(
            "tier",
            "tier",
            "级别",
            choices={"national": "国控", "provincial": "省控", "township": "乡镇", "micro": "微站"},
            example="乡镇 township",
        ),
        Column("area_code", "area_code", "区域代码", example="410183104"),
        Column("longitude", "longitude", "经度", example="113.43"),
        Column("latitude", "latitude", "纬度", example="34.45"),
        Column(
            "status",
            "status",
            "状态",
            choices={"planned": "规划", "operating": "运行", "retired": "撤销"},
            example="规划 planned",
        ),
        Column(
            "pollutants",
            "pollutants",
            "监测项目",
            example="so2 no2 pm10 pm2_5 co o3",
            note_zh="空格分隔，默认六项",
            note_en="space-separated; default all six",
        ),
        Column("reporting_interval_s", "reporting_interval_s", "上报间隔(秒)", example="3600"),
    ),
)


class RegistryError(Rejected):
    """A station registry with problems; ``problems`` lists each one."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        super().__init__(path.name, problems)


def read_station_registry(path: Path) -> list[RegistryEntry]:
    """Read and validate a registry file; raise :class:`RegistryError` listing every problem."""
    read = read_table(path, REGISTRY_SPEC)
    seen: set[str] = set()
    for row in read.rows:
        if row.value.code in seen:
            read.problem(row.number, "code", row.value.code, "重复 / duplicate station code")
        seen.add(row.value.code)
    if read.problems:
        raise RegistryError(path, list(read.ordered_problems()))
    return read.values


@dataclass(frozen=True)
class RegistryLoadResult:
    added: int
    updated: int
    unchanged: int


def load_station_registry(
    session: Session, entries: list[RegistryEntry], *, actor: str
) -> RegistryLoadResult:
    """Add or update stations by code (idempotent); audited (``station.add`` /
    ``station.update``) as ``actor``, the person or system job loading the registry."""
    with acting_as(session, actor):
        return _load_station_registry(session, entries)


def _load_station_registry(session: Session, entries: list[RegistryEntry]) -> RegistryLoadResult:
    codes = [entry.code for entry in entries]
    existing = {s.code: s for s in session.scalars(select(Station).where(Station.code.in_(codes)))}
    added = updated = unchanged = 0
    for entry in entries:
        fields = {
            "name": entry.name,
            "city": entry.city,
            "tier": entry.tier,
            "area_code": entry.area_code,
            "longitude": entry.longitude,
            "latitude": entry.latitude,
            "status": entry.status,
            "pollutants": entry.pollutants,
            "reporting_interval_s": entry.reporting_interval_s,
            "active": entry.status != "retired",
        }
        station = existing.get(entry.code)
        if station is None:
            session.add(Station(code=entry.code, is_background=False, **fields))
            added += 1
        elif all(getattr(station, key) == value for key, value in fields.items()):
            unchanged += 1
        else:
            for key, value in fields.items():
                setattr(station, key, value)
            updated += 1
    session.flush()
    return RegistryLoadResult(added, updated, unchanged)
