"""Dashboard tiles contributed by domain packages: shown in order, a broken one left out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lantian.auth.permissions import Principal
from lantian.web import tiles
from lantian.web.tiles import Tile, dashboard_tiles, register_tile

OFFICE = Principal("office", "campaign_office")


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    saved = list(tiles._PROVIDERS)
    tiles._PROVIDERS.clear()
    yield
    tiles._PROVIDERS[:] = saved


def test_tiles_in_order_without_the_broken_or_empty_ones() -> None:
    def warning(_session: object, _who: Principal) -> Tile:
        return Tile("warning", "预警", "Warning", "橙色", tone="warn")

    def nothing(_session: object, _who: Principal) -> None:
        return None

    def broken(_session: object, _who: Principal) -> Tile:
        raise RuntimeError("table missing")

    def cases(_session: object, who: Principal) -> Tile:
        return Tile("cases", "未办结案件", "Open cases", "3", href="/cases")

    for provider in (warning, nothing, broken, cases, warning):
        register_tile(provider)  # type: ignore[arg-type]
    shown = dashboard_tiles(None, OFFICE)  # type: ignore[arg-type]
    assert [tile.key for tile in shown] == ["warning", "cases"]
