"""The one ban-zone check and map layer of the registers (``lantian.sources.registry``), as the
loose-coal, fireworks and non-road machinery kinds use it, on the default plan's zones."""

from __future__ import annotations

from dataclasses import replace

from lantian.plan import default_plan
from lantian.sources import registry
from lantian.sources.kinds import fireworks, loose_coal, nonroad_machinery

PLAN = default_plan()
CITY_SEAT = (113.385, 34.537)  # inside the built-up area: every zone of the plan
MICUN = (113.30, 34.60)  # 米村镇: outside them all


def test_each_kind_judges_by_its_own_ban() -> None:
    kinds = {
        "fuel": loose_coal.in_ban_zone,
        "fireworks": fireworks.in_fireworks_zone,
        "machinery": nonroad_machinery.in_ban_zone,
    }
    for ban, judged in kinds.items():
        assert registry.in_ban_zone(ban, PLAN, *CITY_SEAT) and judged(PLAN, *CITY_SEAT)
        assert not registry.in_ban_zone(ban, PLAN, *MICUN) and not judged(PLAN, *MICUN)
        # no point, no plan, or a plan without zones: never in a zone
        assert not judged(PLAN, None, CITY_SEAT[1]) and not judged(None, *CITY_SEAT)
        assert not judged(replace(PLAN, ban_zones=None), *CITY_SEAT)


def test_each_kind_maps_the_zones_of_its_ban() -> None:
    layers = {
        "fuel": loose_coal.ban_zone_geojson,
        "fireworks": fireworks.fireworks_zone_geojson,
        "machinery": nonroad_machinery.ban_zone_geojson,
    }
    assert PLAN.ban_zones is not None
    for ban, layer in layers.items():
        shown = layer(PLAN)
        assert shown == registry.ban_zone_layer(ban, PLAN) == PLAN.ban_zones.collection(ban)
        assert shown is not None and shown["features"]
        assert layer(replace(PLAN, ban_zones=None)) is None
