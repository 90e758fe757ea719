"""Plane geometry on longitude/latitude pairs: is a point inside a polygon (with holes)?

Used for the high-polluting-fuel ban zone of task 12(1) ("城市建成区应划定为高污染燃料禁燃区"): a
loose-coal finding inside the zone is a breach. The zones are a few kilometres across, so treating
longitude and latitude as plane coordinates (no projection) is exact enough for "inside or not";
shapely is not a dependency of lantian, and this is all that is needed of it.

Rings follow GeoJSON (RFC 7946 §3.1.6): ``[[lon, lat], …]``, closed (the last position equals the
first); the first ring of a polygon is its outer boundary, the others are holes. A point on a
boundary counts as inside (a finding on the zone's edge is in the zone).
"""

from __future__ import annotations

from collections.abc import Sequence

Position = Sequence[float]
Ring = Sequence[Position]
Polygon = Sequence[Ring]


def _on_segment(x: float, y: float, a: Position, b: Position, tolerance: float = 1e-12) -> bool:
    (ax, ay), (bx, by) = (a[0], a[1]), (b[0], b[1])
    cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax)
    if abs(cross) > tolerance:
        return False
    return min(ax, bx) - tolerance <= x <= max(ax, bx) + tolerance and (
        min(ay, by) - tolerance <= y <= max(ay, by) + tolerance
    )


def in_ring(x: float, y: float, ring: Ring) -> bool:
    """Whether (x, y) lies inside the closed ``ring`` or on its boundary (ray casting)."""
    inside = False
    count = len(ring)
    for index in range(count - 1 if count > 1 and ring[0] == ring[-1] else count):
        a, b = ring[index], ring[(index + 1) % count]
        if _on_segment(x, y, a, b):
            return True
        ax, ay, bx, by = a[0], a[1], b[0], b[1]
        # Half-open on y so that a ray through a vertex is counted once.
        if (ay > y) != (by > y):
            crossing = ax + (y - ay) * (bx - ax) / (by - ay)
            if x < crossing:
                inside = not inside
    return inside


def in_polygon(x: float, y: float, polygon: Polygon) -> bool:
    """Inside the outer ring (or on it) and not strictly inside any hole."""
    if not polygon or not in_ring(x, y, polygon[0]):
        return False
    for hole in polygon[1:]:
        if in_ring(x, y, hole) and not any(
            _on_segment(x, y, hole[i], hole[i + 1]) for i in range(len(hole) - 1)
        ):
            return False
    return True


def in_any(x: float, y: float, polygons: Sequence[Polygon]) -> bool:
    """Inside at least one of ``polygons`` (a MultiPolygon's parts, or several zones)."""
    return any(in_polygon(x, y, polygon) for polygon in polygons)


def ring_problems(ring: Ring) -> list[str]:
    """Why ``ring`` is not a usable GeoJSON linear ring (empty when it is)."""
    problems = []
    if len(ring) < 4:
        problems.append("a ring needs at least 4 positions / 环至少需要 4 个点")
    elif list(ring[0]) != list(ring[-1]):
        problems.append("a ring must end where it starts / 环须首尾相同")
    for position in ring:
        if len(position) < 2:
            problems.append("a position needs longitude and latitude / 坐标需有经度和纬度")
            break
        if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
            problems.append(
                f"position {list(position)} is outside longitude −180…180, latitude −90…90 / "
                "坐标超出范围"
            )
            break
    return problems
