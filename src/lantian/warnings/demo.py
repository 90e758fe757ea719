"""Demo step of the warnings package: a sample forecast, marked as sample in the data itself.

The values are invented in the shape of the January 2019 episode of the demo city (Zhengzhou): they
are *not* a real forecast, and the source column says so ("示例数据 / sample").
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.warnings.service import import_forecasts

SAMPLE_FORECAST = Path(__file__).parent / "data" / "sample_forecast.csv"
DEMO_ACTOR = Principal("system:demo", "administrator")


def load_sample_forecast(sessions: sessionmaker[Session], years_earlier: int = 0) -> str:
    """Import the sample forecast (idempotent: an unchanged version is skipped).

    ``years_earlier`` moves its dates as the demo moves its monitoring data (lantian.demo).
    """
    text = SAMPLE_FORECAST.read_text("utf-8")
    if years_earlier:
        text = re.sub(
            r"\b(20\d\d)-(\d\d-\d\dT)",
            lambda found: f"{int(found[1]) - years_earlier}-{found[2]}",
            text,
        )
    with transaction(sessions) as session:
        result = import_forecasts(session, DEMO_ACTOR, text, SAMPLE_FORECAST.name)
    return (
        f"示例预报 sample forecasts ({SAMPLE_FORECAST.name}): +{result.new_issues} 新增 added, "
        f"{result.unchanged} 未变 unchanged"
    )
