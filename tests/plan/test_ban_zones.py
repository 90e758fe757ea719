"""The optional ban_zones.geojson of a plan folder (task 12(1)): read into typed polygons, its rings
and area codes checked, absent without complaint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lantian.plan import BAN_ZONES_FILE, DEFAULT_PLAN_DIR, read_plan


def copied(tmp_path: Path) -> Path:
    folder = tmp_path / "plan"
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    return folder


def test_the_shipped_zone_is_an_approximate_polygon_around_the_city_seat() -> None:
    plan = read_plan(DEFAULT_PLAN_DIR)
    assert plan.problems == [] and plan.ban_zones is not None
    (feature,) = plan.ban_zones.features
    assert feature.properties.approximate and "410183100" in feature.properties.area_codes
    (polygon,) = plan.ban_zones.polygons()
    longitudes = [p[0] for p in polygon[0]]
    latitudes = [p[1] for p in polygon[0]]
    assert 113.3 < min(longitudes) < 113.385 < max(longitudes) < 113.5
    assert 34.45 < min(latitudes) < 34.537 < max(latitudes) < 34.6


def test_a_plan_without_the_file_has_no_zone_and_no_problem(tmp_path: Path) -> None:
    folder = copied(tmp_path)
    (folder / BAN_ZONES_FILE).unlink()
    plan = read_plan(folder)
    assert plan.problems == [] and plan.ban_zones is None


def test_an_open_ring_and_a_wrong_geometry_are_refused(tmp_path: Path) -> None:
    folder = copied(tmp_path)
    path = folder / BAN_ZONES_FILE
    document = json.loads(path.read_text("utf-8"))
    ring = document["features"][0]["geometry"]["coordinates"][0]
    ring[-1] = [113.0, 34.0]  # no longer ends where it starts
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    problems = read_plan(folder).problems
    assert any(p.file == BAN_ZONES_FILE and "end where it starts" in p.reason for p in problems)
    document["features"][0]["geometry"] = {"type": "Point", "coordinates": [113.38, 34.54]}
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    problems = read_plan(folder).problems
    assert any(p.file == BAN_ZONES_FILE and "geometry" in p.path for p in problems)
    document["features"][0]["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [[[113.3, 34.5], [113.4, 34.5], [113.4, 34.6], [113.3, 34.5]]],
    }
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    problems = read_plan(folder).problems
    assert any(p.file == BAN_ZONES_FILE and "MultiPolygon" in p.reason for p in problems)
