"""Dashboard tiles contributed by domain packages: shown in order, a broken one left out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lantian.auth.permissions import Principal
from lantian.db.engine import session_factory, transaction
from lantian.supervision.service import CaseDraft, record_case, run_escalation
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


def test_open_cases_tile_counts_what_the_account_may_see(db_engine: Engine, tmp_path: Path) -> None:
    from lantian.web.supervision_pages import open_cases_tile

    sessions = session_factory(db_engine)
    now = datetime(2026, 11, 1, 9, tzinfo=UTC)
    with transaction(sessions) as session:
        # 12 hours late: overdue, not yet listed (the default policy lists after 24 hours).
        for area, hours in (("410183100", 120), ("410183101", -12)):
            record_case(
                session,
                OFFICE,
                CaseDraft(
                    source="patrol",
                    title="裸土未覆盖",
                    area_code=area,
                    unit_code="zjj",
                    deadline=now + timedelta(hours=hours),
                ),
                now - timedelta(days=3),
            )
        run_escalation(session, now)
    with sessions() as session:
        office = open_cases_tile(session, OFFICE)
        township = open_cases_tile(session, Principal("chengguan", "township", "410183100"))
    assert office is not None and (office.value, office.detail_en) == ("2", "1 overdue")
    assert office.tone == "alert"
    assert township is not None and (township.value, township.detail_en) == ("1", "0 overdue")
