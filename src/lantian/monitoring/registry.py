"""The station registry file of a plan (``stations.csv``): read, validate, load.

Columns (documented in plans/xinmi-2017-2018/README.md): code, name, city, tier, area_code,
longitude, latitude, status, pollutants (space-separated), reporting_interval_s. Every problem is
reported with file, line, column and reason; a file with any problem loads nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.errors import Invalid
from lantian.ingest.station_list import open_text
from lantian.monitoring.models import POLLUTANTS, STATION_STATUSES, STATION_TIERS, Station

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


@dataclass(frozen=True)
class RegistryEntry:
    code: str
    name: str
    city: str
    tier: str
    area_code: str | None
    longitude: float | None
    latitude: float | None
    status: str
    pollutants: list[str]
    reporting_interval_s: int


class RegistryError(Invalid):
    """A station registry with problems; ``problems`` lists each one."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  … +{len(problems) - 20}" if len(problems) > 20 else ""
        super().__init__(
            f"{path}: {len(problems)} 处问题，未导入 / {len(problems)} problem(s), nothing loaded:\n"
            f"{shown}{more}",
            problems=problems,
        )


def read_station_registry(path: Path) -> list[RegistryEntry]:
    """Read and validate a registry file; raise :class:`RegistryError` listing every problem."""
    problems: list[str] = []
    entries: list[RegistryEntry] = []
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise RegistryError(path, [f"line 1: 缺少列 missing column(s) {', '.join(missing)}"])
        seen: set[str] = set()
        for line, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            entry = _entry(row, line, problems)
            if entry is None:
                continue
            if entry.code in seen:
                problems.append(f"line {line}, code: 重复 duplicate station code {entry.code!r}")
                continue
            seen.add(entry.code)
            entries.append(entry)
    if problems:
        raise RegistryError(path, problems)
    return entries


def _entry(row: dict[str, str], line: int, problems: list[str]) -> RegistryEntry | None:
    before = len(problems)

    def problem(column: str, why: str) -> None:
        problems.append(f"line {line}, {column}: {why} (value {row.get(column, '')!r})")

    for column in REQUIRED:
        if not row.get(column):
            problem(column, "不能为空 / must not be empty")
    if row.get("tier") and row["tier"] not in STATION_TIERS:
        problem("tier", f"应为 one of {', '.join(STATION_TIERS)}")
    status = row.get("status") or "operating"
    if status not in STATION_STATUSES:
        problem("status", f"应为 one of {', '.join(STATION_STATUSES)}")
    coordinates: dict[str, float | None] = {}
    for column, low, high in (("longitude", -180.0, 180.0), ("latitude", -90.0, 90.0)):
        text = row.get(column, "")
        try:
            value = float(text) if text else None
        except ValueError:
            problem(column, "不是数字 / not a number")
            value = None
        if value is not None and not low <= value <= high:
            problem(column, f"超出范围 / outside {low}…{high}")
        coordinates[column] = value
    pollutants = (row.get("pollutants") or " ".join(POLLUTANTS)).split()
    unknown = [p for p in pollutants if p not in POLLUTANTS]
    if unknown:
        problem(
            "pollutants", f"未知污染物 unknown {', '.join(unknown)}; known: {' '.join(POLLUTANTS)}"
        )
    interval_text = row.get("reporting_interval_s") or "3600"
    interval = int(interval_text) if interval_text.isdigit() else 0
    if interval <= 0:
        problem("reporting_interval_s", "应为正整数秒 / must be a positive number of seconds")
    if len(problems) > before:
        return None
    return RegistryEntry(
        code=row["code"],
        name=row["name"],
        city=row["city"],
        tier=row["tier"],
        area_code=row.get("area_code") or None,
        longitude=coordinates["longitude"],
        latitude=coordinates["latitude"],
        status=status,
        pollutants=pollutants,
        reporting_interval_s=interval,
    )


@dataclass(frozen=True)
class RegistryLoadResult:
    added: int
    updated: int
    unchanged: int


def load_station_registry(session: Session, entries: list[RegistryEntry]) -> RegistryLoadResult:
    """Add or update stations by code (idempotent)."""
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
