"""Demo step of the warnings package: a sample forecast, marked as sample in the data itself.

The values are invented in the shape of the January 2019 episode of the demo city (Zhengzhou): they
are *not* a real forecast, and the source column says so ("示例数据 / sample").
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.timeutil import CHINA_TZ
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


#: The sample township forecasts (seed task 42): daily AQI per township for the day of issue and
#: the four days after. 米村、牛店、平陌 border one another and reach orange together (>200 three
#: days, one >300): a regional linkage; 曲梁、大隗 reach orange too but are only two; 伏羲山 stays at
#: yellow; 矿区街道 and the 曲梁 industrial cluster have no forecast (shown as missing). Invented.
SAMPLE_TOWNSHIP_DAYS: dict[str, tuple[int, ...]] = {
    "410183001": (150, 185, 195, 190, 140),  # 青屏街街道
    "410183002": (150, 185, 195, 190, 140),  # 新华路街道
    "410183003": (150, 180, 190, 185, 140),  # 西大街街道
    "410183100": (160, 195, 210, 190, 145),  # 城关镇
    "410183101": (170, 240, 320, 260, 160),  # 米村镇
    "410183102": (165, 235, 310, 250, 155),  # 牛店镇
    "410183103": (160, 230, 305, 245, 150),  # 平陌镇
    "410183104": (150, 190, 205, 180, 140),  # 超化镇
    "410183105": (140, 175, 185, 170, 130),  # 苟堂镇
    "410183106": (165, 240, 315, 240, 150),  # 大隗镇
    "410183107": (155, 195, 215, 185, 140),  # 刘寨镇
    "410183108": (140, 170, 180, 160, 125),  # 白寨镇
    "410183109": (145, 180, 190, 175, 130),  # 岳村镇
    "410183110": (150, 185, 200, 180, 135),  # 来集镇
    "410183113": (170, 245, 325, 250, 155),  # 曲梁镇
    "410183200": (150, 190, 200, 185, 140),  # 袁庄乡
    "410183401": (160, 225, 230, 170, 140),  # 伏羲山风景区
}
SAMPLE_SOURCE = "示例数据 / sample（非真实预报 / not a real forecast）"


def sample_township_forecast_csv(issued_at: datetime) -> str:
    """The sample township forecasts issued at ``issued_at``: 24-h blocks of natural days (Beijing
    time) from the day of issue, in the forecast CSV format."""
    local = issued_at.astimezone(CHINA_TZ)
    first = datetime.combine(local.date(), time(0), CHINA_TZ)
    lines = ["area,issued_at,valid_start,valid_end,aqi,primary_pollutant,source"]
    for area, days in SAMPLE_TOWNSHIP_DAYS.items():
        for offset, aqi in enumerate(days):
            start = first + timedelta(days=offset)
            end = start + timedelta(days=1)
            lines.append(
                f"{area},{local.isoformat()},{start.isoformat()},{end.isoformat()},{aqi},PM2.5,"
                f"{SAMPLE_SOURCE}"
            )
    return "\n".join(lines) + "\n"


def load_sample_township_forecasts(sessions: sessionmaker[Session], now: datetime) -> str:
    """Import the sample township forecasts, issued at 08:00 of ``now``'s day (Beijing time; the
    day before when ``now`` is earlier), so that the office's warnings page shows a regional
    linkage to adopt. Idempotent: the same version again is skipped."""
    local = now.astimezone(CHINA_TZ)
    issued = datetime.combine(local.date(), time(8), CHINA_TZ)
    if issued > local:
        issued -= timedelta(days=1)
    name = "示例-乡镇预报.csv"
    with transaction(sessions) as session:
        result = import_forecasts(session, DEMO_ACTOR, sample_township_forecast_csv(issued), name)
    return (
        f"示例乡镇预报 sample township forecasts ({name}): +{result.new_issues} 新增 added, "
        f"{result.unchanged} 未变 unchanged"
    )
