"""Township (area) ranking over a period: HJ 663-2013 statistics and the composite index.

Each area's daily concentration is the mean of its stations' valid daily values (点位平均法,
HJ 663-2013; spec §3.3), never a mean of AQIs. Over the period, SO2, NO2, PM10 and PM2.5 are the
means of the valid days, CO the 95th percentile of the daily means and O3 the 90th percentile of
the daily maximum 8-h means (HJ 663-2013 Table 1), each rounded per GB/T 8170. The composite
index I_sum = Σ C_i / S_i (城市环境空气质量排名技术规定; spec §3.5) ranks the areas, the
cleanest first; equal indices share a rank. Background stations (对照点) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

import numpy as np
from sqlalchemy.orm import Session

from lantian.monitoring.models import POLLUTANTS
from lantian.monitoring.publication import DECIMALS, INDICATOR, fixed_values, values_in_force
from lantian.monitoring.quality import load_span
from lantian.standards.assessment import composite_index, percentile_fixed, station_mean
from lantian.standards.rounding import MISSING, round_half_even_div
from lantian.standards.validity import daily_average, o3_daily_max_8h
from lantian.timeutil import CHINA_TZ

#: Statistic of each composite-index indicator and the daily series it is taken over.
PERIOD_STATISTIC = {
    "SO2": "mean",
    "NO2": "mean",
    "PM10": "mean",
    "PM25": "mean",
    "CO": "p95",
    "O3_8H": "p90",
}


@dataclass(frozen=True)
class AreaRank:
    area_code: str
    stations: list[str]
    valid_days: int  # days with a valid PM2.5 area mean
    #: period statistic per indicator in real units (µg/m³; CO mg/m³), None without valid days
    statistics: dict[str, Fraction | None]
    composite: Fraction | None
    primary: str | None
    rank: int | None  # 1 = cleanest; None when the index cannot be computed

    @property
    def pm2_5(self) -> Fraction | None:
        return self.statistics["PM25"]


def _period_mean(daily: np.ndarray) -> int:
    ok = daily >= 0
    count = int(ok.sum())
    if count == 0:
        return MISSING
    return int(round_half_even_div(np.int64(np.where(ok, daily, 0).sum()), np.int64(count)))


def area_ranking(session: Session, first_day: date, last_day: date) -> list[AreaRank]:
    """Rank every area with operating, non-background stations over ``first_day…last_day``."""
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    start = datetime.combine(first_day, datetime.min.time(), CHINA_TZ)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), CHINA_TZ)
    grid = load_span(session, start, end)
    members: dict[str, list[int]] = {}
    for index, station in enumerate(grid.stations):
        if station.area_code and not station.is_background:
            members.setdefault(station.area_code, []).append(index)
    if not members:
        return []
    fixed = fixed_values(values_in_force(session, grid))
    daily = {
        INDICATOR[p]: daily_average(fixed[p]).value for p in POLLUTANTS if p != "o3"
    }  # (days, stations)
    daily["O3_8H"] = o3_daily_max_8h(fixed["o3"]).value
    scale = {"CO": 10 ** DECIMALS["co"]}
    rows: list[AreaRank] = []
    for code, columns in sorted(members.items()):
        statistics: dict[str, Fraction | None] = {}
        valid_days = 0
        for indicator, how in PERIOD_STATISTIC.items():
            area_daily = station_mean(daily[indicator][:, columns]).value  # (days,)
            if indicator == "PM25":
                valid_days = int((area_daily >= 0).sum())
            if how == "mean":
                value = _period_mean(area_daily)
            else:
                value = int(percentile_fixed(area_daily, 95 if how == "p95" else 90))
            statistics[indicator] = None if value < 0 else Fraction(value, scale.get(indicator, 1))
        complete = {k: v for k, v in statistics.items() if v is not None}
        composite = composite_index(complete) if len(complete) == len(PERIOD_STATISTIC) else None
        rows.append(
            AreaRank(
                area_code=code,
                stations=[grid.stations[c].code for c in columns],
                valid_days=valid_days,
                statistics=statistics,
                composite=composite.total if composite else None,
                primary=composite.primary if composite else None,
                rank=None,
            )
        )
    ranked = sorted(
        (r for r in rows if r.composite is not None), key=lambda r: r.composite or Fraction(0)
    )
    result: list[AreaRank] = []
    previous: Fraction | None = None
    rank = 0
    for position, row in enumerate(ranked, start=1):
        if row.composite != previous:
            rank, previous = position, row.composite
        result.append(AreaRank(**{**row.__dict__, "rank": rank}))
    result.extend(r for r in rows if r.composite is None)
    return result
