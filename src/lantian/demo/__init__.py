"""The demo: real monitoring data shipped inside the package (see data/PROVENANCE.md).

`lantian demo` loads the CNEMC station list of the demo city. Later parts of the platform add their
own demo steps here (the hourly data of the Zhengzhou extract, the default plan, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.db.engine import transaction
from lantian.ingest.station_list import read_station_list
from lantian.monitoring import service as monitoring
from lantian.monitoring.models import Station

DEMO_DATA_DIR = Path(__file__).parent / "data"
STATION_LIST = DEMO_DATA_DIR / "StationList-2020.01.01.csv.gz"
#: The demo city's national stations are those of the bundled extract (Zhengzhou, 1316A–1324A).
DEMO_CITY = "郑州"


@dataclass
class DemoReport:
    steps: list[str] = field(default_factory=list)


def load_demo(sessions: sessionmaker[Session]) -> DemoReport:
    """Load every demo step; each step is idempotent, so a second run changes nothing."""
    report = DemoReport()
    with transaction(sessions) as session:
        records = [r for r in read_station_list(STATION_LIST) if r.city == DEMO_CITY]
        result = monitoring.upsert_stations(session, records)
        report.steps.append(
            f"站点 stations ({DEMO_CITY}): +{result.added} 新增 added, "
            f"{result.updated} 更新 updated, {result.unchanged} 未变 unchanged"
        )
    return report


def demo_loaded(session: Session) -> bool:
    """True when the demo city's stations are present (what `make run` checks before loading)."""
    return session.scalar(select(Station.id).where(Station.city == DEMO_CITY).limit(1)) is not None
