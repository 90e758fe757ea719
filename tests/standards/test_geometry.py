"""Point in polygon (ray casting) for the ban zone of task 12(1): inside, outside, on the edge, at a
vertex, in a hole, a concave polygon, and the ring checks of the plan's GeoJSON."""

from __future__ import annotations

from lantian.standards.geometry import in_any, in_polygon, in_ring, ring_problems

SQUARE = [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]]
HOLE = [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0], [1.0, 1.0]]
#: A "U": the notch between x 1…3 above y 1 is outside.
U_SHAPE = [
    [0.0, 0.0],
    [4.0, 0.0],
    [4.0, 4.0],
    [3.0, 4.0],
    [3.0, 1.0],
    [1.0, 1.0],
    [1.0, 4.0],
    [0.0, 4.0],
    [0.0, 0.0],
]


def test_inside_outside_and_the_boundary() -> None:
    assert in_ring(2.0, 2.0, SQUARE)
    assert not in_ring(5.0, 2.0, SQUARE)
    assert not in_ring(-0.001, 2.0, SQUARE)
    assert in_ring(4.0, 2.0, SQUARE)  # on an edge: inside
    assert in_ring(0.0, 0.0, SQUARE)  # on a vertex: inside
    # a ray through a vertex (y = 4 is the top edge; y = 0 the bottom) is counted once
    assert not in_ring(-1.0, 4.0, SQUARE) and not in_ring(-1.0, 0.0, SQUARE)


def test_a_concave_polygon() -> None:
    assert in_ring(0.5, 3.0, U_SHAPE) and in_ring(3.5, 3.0, U_SHAPE)
    assert not in_ring(2.0, 3.0, U_SHAPE)  # in the notch
    assert in_ring(2.0, 0.5, U_SHAPE)
    # the ray from the notch crosses the right arm's two edges: still outside
    assert not in_ring(2.0, 2.0, U_SHAPE)


def test_holes_and_several_polygons() -> None:
    with_hole = [SQUARE, HOLE]
    assert not in_polygon(1.5, 1.5, with_hole)
    assert in_polygon(1.0, 1.5, with_hole)  # on the hole's edge: still the zone's
    assert in_polygon(3.0, 3.0, with_hole)
    far = [[[10.0, 10.0], [11.0, 10.0], [11.0, 11.0], [10.0, 10.0]]]
    assert in_any(10.8, 10.5, [with_hole, far]) and not in_any(1.5, 1.5, [with_hole, far])
    assert not in_polygon(1.0, 1.0, [])


def test_ring_problems() -> None:
    assert ring_problems(SQUARE) == []
    assert ring_problems(SQUARE[:3])  # too few positions
    assert ring_problems([*SQUARE[:-1], [0.0, 1.0]])  # not closed
    assert ring_problems([[0.0, 0.0], [200.0, 0.0], [1.0, 1.0], [0.0, 0.0]])  # out of range
