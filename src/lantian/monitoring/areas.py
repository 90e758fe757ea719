"""Which area a station belongs to, and what areas are called.

Townships rank by their stations (seed tasks 1 and 33 ask for township stations and their
ranking). A station registered without an area gets one from the boundary polygons that lantian
ships for its map (``web/static/geo``, the 2023 administrative boundaries of the prefecture), by
the even–odd ray-casting rule: a point is inside a polygon when a ray from it crosses the
polygon's rings an odd number of times. Area names come from the same boundaries and, for
townships, from the plan's ``areas.csv`` when the plan has one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.db.audited import acting_as
from lantian.monitoring.models import Station
from lantian.plan import Plan

BUNDLED_BOUNDARIES = (
    Path(__file__).resolve().parents[1] / "web" / "static" / "geo" / "410100_full.json"
)

Ring = np.ndarray  # (n, 2) longitude, latitude


@dataclass(frozen=True)
class Boundary:
    code: str
    name: str
    polygons: tuple[tuple[Ring, ...], ...]  # each polygon: outer ring, then holes

    def contains(self, longitude: float, latitude: float) -> bool:
        return any(_in_polygon(polygon, longitude, latitude) for polygon in self.polygons)


def _crossings(ring: Ring, x: float, y: float) -> int:
    x1, y1 = ring[:, 0], ring[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    straddles = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    return int(np.count_nonzero(straddles & (x < x_cross)))


def _in_polygon(rings: Sequence[Ring], x: float, y: float) -> bool:
    # Outer ring and holes together: even–odd over all rings handles holes.
    return sum(_crossings(ring, x, y) for ring in rings) % 2 == 1


def read_boundaries(path: Path = BUNDLED_BOUNDARIES) -> list[Boundary]:
    """The GeoJSON features with an ``adcode`` (Polygon or MultiPolygon) as boundaries."""
    document = json.loads(path.read_text(encoding="utf-8"))
    boundaries = []
    for feature in document.get("features", []):
        properties, geometry = feature.get("properties") or {}, feature.get("geometry") or {}
        if "adcode" not in properties or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        parts = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        polygons = tuple(
            tuple(np.asarray(ring, dtype=float)[:, :2] for ring in polygon) for polygon in parts
        )
        boundaries.append(Boundary(str(properties["adcode"]), str(properties["name"]), polygons))
    return boundaries


def locate(boundaries: Iterable[Boundary], longitude: float, latitude: float) -> Boundary | None:
    return next((b for b in boundaries if b.contains(longitude, latitude)), None)


def assign_station_areas(
    session: Session, boundaries: Sequence[Boundary], *, actor: str
) -> dict[str, str]:
    """Give every station without an area the area its coordinates lie in; audit-logged.

    Returns station code → area code for the stations changed. Stations that already have an
    area keep it: a person's (or the plan's) assignment is never overwritten.
    """
    changed: dict[str, str] = {}
    stations = session.scalars(
        select(Station).where(
            Station.area_code.is_(None),
            Station.longitude.is_not(None),
            Station.latitude.is_not(None),
        )
    ).all()
    for station in stations:
        assert station.longitude is not None and station.latitude is not None
        found = locate(boundaries, station.longitude, station.latitude)
        if found is None:
            continue
        # The hook logs the change (area_code before and after); the reason names the area.
        with acting_as(
            session,
            actor,
            action="station.area_from_boundary",
            reason=f"坐标落在{found.name}边界内 / coordinates inside the boundary of {found.name}",
        ):
            station.area_code = found.code
        changed[station.code] = found.code
    return changed


def area_names(plan: Plan | None = None, boundaries: Iterable[Boundary] = ()) -> dict[str, str]:
    """Area code → name: the boundaries' names, then the plan's ``areas.csv`` (code, name)."""
    return {b.code: b.name for b in boundaries} | (plan.area_names() if plan is not None else {})
