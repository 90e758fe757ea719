"""Dashboard tiles that the domain packages contribute (active warning, targets, overdue tasks,
open cases …). A provider gets a database session and the signed-in principal and returns a tile
or ``None`` (nothing to show, or nothing this account may see). The office dashboard shows the
tiles in the order they were registered; a provider that fails is logged and left out rather
than taking the dashboard down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lantian.auth.permissions import Principal
from lantian.logs import get_logger

log = get_logger("lantian.web.tiles")


@dataclass(frozen=True)
class Tile:
    key: str  # element id on the page
    label_zh: str
    label_en: str
    value: str
    detail_zh: str = ""
    detail_en: str = ""
    href: str | None = None
    #: "normal", "good", "warn" or "alert": how urgently the value asks for attention
    tone: str = "normal"
    colour: str | None = None  # e.g. a warning level's colour


TileProvider = Callable[[Session, Principal], Tile | None]
_PROVIDERS: list[TileProvider] = []


def register_tile(provider: TileProvider) -> TileProvider:
    """Add a provider (usable as a decorator); registering the same one twice does nothing."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def dashboard_tiles(session: Session, who: Principal) -> list[Tile]:
    tiles = []
    for provider in _PROVIDERS:
        try:
            tile = provider(session, who)
        except Exception:  # one broken tile must not take the dashboard down
            log.exception("dashboard_tile_failed", provider=getattr(provider, "__name__", "?"))
            continue
        if tile is not None:
            tiles.append(tile)
    return tiles
