"""What the earth-order and road registers (plan tasks 30–32) share: the clauses they cite, the
built-up area and heating season they judge by, distances on the ground, and sample places.

Not a kind itself (no ``KIND``): :func:`lantian.sources.registry.kinds` skips it.
"""

from __future__ import annotations

import math
from random import Random
from typing import TYPE_CHECKING

from lantian.sources.kinds.loose_coal import in_ban_zone

if TYPE_CHECKING:
    from lantian.plan import Plan

#: Sample rows say what they are (the demo's registers are not a real township's sheet).
SAMPLE_NOTE = "示例数据 / sample"
CLAUSE_30 = (
    "任务30：采暖季期间，城市建成区内停止各类道路工程、水利工程等土石方作业和房屋拆迁（拆除）施工等"
)
CLAUSE_30_EXEMPTION = (
    "任务30：对于重大民生工程和重点项目涉及土石方作业确实无法停工的，由项目建设单位申请、"
    "行业主管部门初审，报市人民政府同意后实施"
)
CLAUSE_30_ENFORCEMENT = "任务30：各相关部门要将其作为检查重点，严格监管。出现违规的企业，按相关规定上限处罚，并向社会公开"
CLAUSE_31 = (
    "任务31(1)：中心城区主干道机械化清扫冲洗率达到 100%，增加道路冲洗保洁频次；"
    "逐步提高次干道和背街小巷的机械化清扫率"
)
CLAUSE_31_GRAMS = "任务31(1)：严格实施城区道路“以克论净”考核"
CLAUSE_31_OUTSIDE = "任务31(2)：严格市区外道路扬尘。逐步提高城乡结合部、国省道机械化清扫率"
CLAUSE_32 = "任务32：2017 年 10 月起，每周集中组织开展城市清洁大行动"

#: Road classes of tasks 31(1)–(2): value → Chinese label (the road register's choices).
ROAD_CLASSES = {
    "main": "主干道",
    "secondary": "次干道",
    "back_street": "背街小巷",
    "highway": "国省道",
}

#: The city seat's centre (the built-up area of the plan's ban zone lies around it).
SEAT = (113.385, 34.537)
EARTH_RADIUS_M = 6_371_000.0


def in_built_up_area(plan: Plan | None, longitude: float | None, latitude: float | None) -> bool:
    """Whether a point lies in the city's built-up area (城市建成区): the plan's
    ``ban_zones.geojson``, which task 12(1) draws around the built-up area (城市建成区应划定为高污染
    燃料禁燃区). False without the zone or the point."""
    return in_ban_zone(plan, longitude, latitude)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance in metres between two (longitude, latitude) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def seat_point(rng: Random, spread: float = 0.012) -> tuple[float, float]:
    """A point in the city seat's built-up area (sample entries)."""
    return (
        round(SEAT[0] + rng.uniform(-spread, spread), 5),
        round(SEAT[1] + rng.uniform(-spread * 0.7, spread * 0.7), 5),
    )


def seat_area(areas: list[tuple[str, str]]) -> tuple[str, str]:
    """The area of the city seat (城关镇, code …100) among the plan's, else the first."""
    return next((a for a in areas if a[0].endswith("100")), areas[0])
