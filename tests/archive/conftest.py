"""Real CNEMC national day files imported into a fresh database, and an archive of them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from lantian.db.engine import session_factory
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring.cnemc_import import import_cnemc_file

NATIONAL = "data/cnemc/national_daily"


def import_days(engine: Engine, shared_dir: Path, uploads: Path, days: list[str]) -> None:
    """Import the national files of ``days`` (``20190102``…) through the platform's importer."""
    stations = read_station_list(BUNDLED_STATION_LIST)
    for day in days:
        import_cnemc_file(
            session_factory(engine),
            shared_dir / NATIONAL / f"china_sites_{day}.csv",
            uploads,
            stations,
        )
