"""Approximate township polygons from the county outline and the township seats (task 34).

A plan needs its townships' polygons to locate a satellite fire point to the township whose grid
answers for it ("建立网格化监管制度"). Where the surveyed boundaries are not at hand, the cells of
the seats (the part of the county nearer to a seat than to any other: a Voronoi diagram) clipped
to the county outline stand in for them; ``tools/make_townships.py`` writes the default plan's
``townships.geojson`` with :func:`seat_cells` and marks every feature as approximate.

Pure plane geometry: longitude is scaled by the cosine of the mean latitude so that "nearer" is
measured in kilometres rather than degrees (a county is a few tens of kilometres across). Each
cell is the outline clipped by the half-planes of the perpendicular bisectors between its seat and
every other seat (Sutherland–Hodgman against one straight edge at a time, which is exact for any
simple outline, convex or not, up to zero-width slivers along the cut that do not change what lies
inside).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Point = tuple[float, float]


def clip_half_plane(ring: Sequence[Point], a: Point, b: Point) -> list[Point]:
    """The part of the open ``ring`` (no repeated closing position) on the left of a→b or on it."""

    def side(p: Point) -> float:
        return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])

    out: list[Point] = []
    count = len(ring)
    for index in range(count):
        current, following = ring[index], ring[(index + 1) % count]
        s_current, s_following = side(current), side(following)
        if s_current >= 0:
            out.append(current)
        if (s_current >= 0) != (s_following >= 0) and s_current != s_following:
            t = s_current / (s_current - s_following)
            out.append(
                (
                    current[0] + t * (following[0] - current[0]),
                    current[1] + t * (following[1] - current[1]),
                )
            )
    return out


def seat_cells(
    outline: Sequence[Point], seats: Mapping[str, Point], digits: int = 6
) -> dict[str, list[list[float]]]:
    """Code → the closed ring (GeoJSON order ``[lon, lat]``) of the seat's cell inside ``outline``.

    ``outline`` is the county's outer ring (closed or open); ``seats`` the seats' ``(lon, lat)``.
    A seat whose cell is empty (outside the outline) is left out. Positions are rounded to
    ``digits`` decimals (about 0.1 m at 6: the outline's own precision)."""
    ring = list(outline[:-1] if outline and outline[0] == outline[-1] else outline)
    mean_latitude = sum(p[1] for p in ring) / len(ring)
    scale = math.cos(math.radians(mean_latitude))

    def plane(p: Point) -> Point:
        return (p[0] * scale, p[1])

    projected = [plane(p) for p in ring]
    cells: dict[str, list[list[float]]] = {}
    for code, seat in seats.items():
        cell = projected
        own = plane(seat)
        for other_code, other_seat in seats.items():
            if other_code == code:
                continue
            other = plane(other_seat)
            middle = ((own[0] + other[0]) / 2, (own[1] + other[1]) / 2)
            # The bisector's direction, turned so that the seat lies on its left.
            direction = (-(other[1] - own[1]), other[0] - own[0])
            cell = clip_half_plane(
                cell, middle, (middle[0] + direction[0], middle[1] + direction[1])
            )
            if len(cell) < 3:
                break
        if len(cell) < 3:
            continue
        closed = [[round(x / scale, digits), round(y, digits)] for x, y in cell]
        deduplicated = [p for i, p in enumerate(closed) if i == 0 or p != closed[i - 1]]
        if deduplicated[0] != deduplicated[-1]:
            deduplicated.append(list(deduplicated[0]))
        if len(deduplicated) >= 4:
            cells[code] = deduplicated
    return cells
