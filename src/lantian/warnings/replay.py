"""Replay the warning engine over history, hour by hour, as if live (issue 7 "Replay").

The city series is built the way the standards say: hourly station concentrations -> city mean
per pollutant (HJ 663-2013 点位平均法, background stations left out) -> rolling 24-hour AQI
(:func:`lantian.standards.rolling.rolling_24h_aqi_fixed`). At each hour the engine sees the
observed series up to that hour and a forecast for the hours after it, and every proposal is
accepted, so the replay shows what the plan's rules would have done.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lantian.errors import InputError
from lantian.ingest.cnemc import CnemcFile, merge_hourly, read_cnemc
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.standards.aqi import realtime_aqi_fixed
from lantian.standards.assessment import station_mean
from lantian.standards.rolling import rolling_24h_aqi_fixed
from lantian.timeutil import CHINA_TZ
from lantian.warnings.engine import Action, Proposal, assess
from lantian.warnings.forecast import Forecaster
from lantian.warnings.rules import WarningRules

HOUR = timedelta(hours=1)
CNEMC_INPUTS = {"SO2": "SO2", "NO2": "NO2", "CO": "CO", "O3": "O3", "PM10": "PM10", "PM25": "PM2.5"}
OBSERVED_WINDOW = 24 * 14
"""Hours of observed history handed to the engine (enough for any ongoing heavy run)."""


@dataclass(frozen=True, eq=False)
class CitySeries:
    """Hourly city series on a regular grid (hour-ending labels, CST)."""

    area: str
    stations: tuple[str, ...]
    times: tuple[datetime, ...]
    rolling_aqi: npt.NDArray[np.int64]  # rolling 24-h AQI, -1 = missing
    hourly_aqi: npt.NDArray[np.int64]  # real-time AQI of the city means, -1 = missing
    station_counts: npt.NDArray[np.int64]  # stations with a PM2.5 value each hour

    def index_of(self, moment: datetime) -> int:
        return int((moment - self.times[0]) / HOUR)

    def observed(self, basis: str) -> npt.NDArray[np.int64]:
        return self.hourly_aqi if basis == "hourly" else self.rolling_aqi


def city_series(data: CnemcFile, stations: Sequence[str], area: str) -> CitySeries:
    """City series of the given stations of a CNEMC file (see :func:`series_from_stations`)."""
    columns = [data.stations.index(s) for s in stations if s in data.stations]
    if not columns:
        raise InputError(
            f"数据中没有{area}的站点（{', '.join(stations)}）/ the data hold none of the stations of "
            f"{area} ({', '.join(stations)})"
        )
    fixed = {key: data.fixed(name)[:, columns] for key, name in CNEMC_INPUTS.items()}
    return series_from_stations(
        area, tuple(data.stations[c] for c in columns), tuple(data.times), fixed
    )


def series_from_stations(
    area: str,
    stations: tuple[str, ...],
    times: tuple[datetime, ...],
    station_fixed: dict[str, npt.NDArray[np.int64]],
) -> CitySeries:
    """City means per pollutant and hour, then hourly and rolling 24-h AQI (pure arithmetic).

    ``station_fixed`` maps ``SO2, NO2, CO, O3, PM10, PM25`` to (hour, station) fixed-point arrays
    (CO in 0.1 mg/m³, -1 missing) on the regular grid ``times``.
    """
    means = {key: station_mean(values).value for key, values in station_fixed.items()}
    rolling = rolling_24h_aqi_fixed(means).aqi.astype(np.int64)
    hourly = realtime_aqi_fixed(means).aqi.astype(np.int64)
    counts = (station_fixed["PM25"] >= 0).sum(axis=1).astype(np.int64)
    return CitySeries(area, stations, times, rolling, hourly, counts)


def _file_day(path: Path) -> date | None:
    match = re.search(r"(\d{8})", path.name)
    if not match or re.search(r"\d{4}-\d{2}-\d{2}", path.name):
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def cnemc_files(data_dir: Path, first: date, last: date) -> list[Path]:
    """CNEMC files under ``data_dir`` that can hold hours of ``first - 2 d .. last + 7 d``.

    Daily files (``..._YYYYMMDD.csv``) are chosen by their date; multi-day extracts (names with
    ``YYYY-MM-DD``) are always read. Station lists and other layouts are skipped.
    """
    if data_dir.is_file():
        return [data_dir]
    found: list[Path] = []
    for path in sorted(data_dir.rglob("*.csv*")):
        lowered = path.name.lower()
        if "station" in lowered or "transposed" in lowered:
            continue
        day = _file_day(path)
        if day is None:
            if re.search(r"\d{4}-\d{2}-\d{2}", path.name):
                found.append(path)
            continue
        if first - timedelta(days=2) <= day <= last + timedelta(days=7):
            found.append(path)
    return found


def stations_of(area: str, data_dir: Path, station_list: Path | None = None) -> list[str]:
    """Station codes of a city name (from a CNEMC station list), background sites left out.

    The list is ``station_list``, else one found under ``data_dir``, else the bundled CNEMC list.

    ``area`` may also be a comma-separated list of station codes (e.g. ``1316A,1317A``).
    """
    if re.fullmatch(r"[0-9A-Za-z]+(,[0-9A-Za-z]+)*", area):
        return area.split(",")
    lists = [station_list] if station_list else sorted(data_dir.rglob("StationList*.csv"))
    lists += sorted(data_dir.rglob("station_list*.csv")) if not station_list else []
    if not lists:
        lists = [BUNDLED_STATION_LIST]  # the CNEMC list shipped with lantian
    codes: list[str] = []
    for path in lists:
        for record in read_station_list(path):
            wanted = record.city in (area, area.removesuffix("市"))
            if wanted and "对照点" not in record.name and record.code not in codes:
                codes.append(record.code)
        if codes:
            break
    if not codes:
        raise InputError(f"站点列表中没有城市“{area}” / no city {area!r} in the station list")
    return codes


def load_city(
    data_dir: Path, area: str, first: date, last: date, station_list: Path | None = None
) -> CitySeries:
    """Read the CNEMC files for the period and build the city series."""
    stations = stations_of(area, data_dir if data_dir.is_dir() else data_dir.parent, station_list)
    paths = cnemc_files(data_dir, first, last)
    if not paths:
        raise InputError(f"{data_dir}: 没有CNEMC数据文件 / no CNEMC data files")
    parts = [_only(read_cnemc(p), stations) for p in paths]
    return city_series(merge_hourly(parts), stations, area)


def _only(data: CnemcFile, stations: Iterable[str]) -> CnemcFile:
    """Keep the wanted station columns only (national files hold ~1,600 stations)."""
    keep = [i for i, s in enumerate(data.stations) if s in set(stations)]
    return CnemcFile(
        path=data.path,
        layout=data.layout,
        stations=tuple(data.stations[i] for i in keep),
        times=data.times,
        types=data.types,
        values=data.values[:, :, keep],
        skipped=data.skipped,
        rows_read=data.rows_read,
        in_file=data.in_file[:, :, keep],
    )


# --- the replay -----------------------------------------------------------------------------------


@dataclass
class Episode:
    """One warning from issue to lift, with every accepted change."""

    start: datetime
    changes: list[Proposal] = field(default_factory=list)
    end: datetime | None = None
    peak_rolling_aqi: int | None = None
    peak_at: datetime | None = None

    @property
    def max_rank(self) -> int:
        return max(p.to_rank for p in self.changes)

    @property
    def issue(self) -> Proposal:
        return self.changes[0]


@dataclass(frozen=True)
class ReplaySummary:
    hours: int
    warning_hours: int
    episodes_by_level: dict[int, int]
    heavy_days: int  # natural days with daily AQI (rolling at 24:00) > 200
    heavy_days_warned: int  # of those, days with a warning in force at some hour of the day
    changes: int


@dataclass(frozen=True)
class ReplayResult:
    area: str
    forecaster: str
    first: datetime
    last: datetime
    episodes: list[Episode]
    summary: ReplaySummary


def replay(
    series: CitySeries,
    forecaster: Forecaster,
    rules: WarningRules,
    first: datetime,
    last: datetime,
    horizon: int = 120,
) -> ReplayResult:
    """Walk ``first .. last`` hour by hour; accept every proposal; collect the episodes."""
    start = max(0, series.index_of(first))
    stop = min(len(series.times) - 1, series.index_of(last))
    if start > stop:
        raise InputError(
            f"回放时段不在数据范围内（{series.times[0]} … {series.times[-1]}）/ the replay period is "
            "outside the data"
        )
    observed_all = series.observed(rules.early_observed_basis)
    observed_list: list[int | None] = [int(v) if v >= 0 else None for v in observed_all]
    active = 0
    episodes: list[Episode] = []
    warned = np.zeros(len(series.times), dtype=bool)
    changes = 0
    for i in range(start, stop + 1):
        now = series.times[i]
        observed = observed_list[max(0, i - OBSERVED_WINDOW + 1) : i + 1]
        result = assess(now, observed, forecaster.forecast(i, horizon), rules, active)
        proposal = result.proposal
        if proposal is not None:
            changes += 1
            if proposal.action == Action.ISSUE:
                episodes.append(Episode(start=now))
            episodes[-1].changes.append(proposal)
            if proposal.action == Action.LIFT:
                episodes[-1].end = now
            active = proposal.to_rank
        warned[i] = active > 0
    for episode in episodes:
        a = series.index_of(episode.start)
        b = series.index_of(episode.end) if episode.end else stop
        window = series.rolling_aqi[a : b + 1]
        if (window >= 0).any():
            k = int(np.argmax(window))
            episode.peak_rolling_aqi = int(window[k])
            episode.peak_at = series.times[a + k]
    heavy_days = heavy_warned = 0
    for i in range(start, stop + 1):
        if (
            series.times[i].astimezone(CHINA_TZ).hour == 0
            and series.rolling_aqi[i] > rules.heavy_aqi
        ):
            heavy_days += 1
            heavy_warned += int(warned[max(start, i - 23) : i + 1].any())
    by_level: dict[int, int] = {}
    for episode in episodes:
        by_level[episode.max_rank] = by_level.get(episode.max_rank, 0) + 1
    summary = ReplaySummary(
        stop - start + 1,
        int(warned[start : stop + 1].sum()),
        by_level,
        heavy_days,
        heavy_warned,
        changes,
    )
    return ReplayResult(
        series.area, forecaster.name, series.times[start], series.times[stop], episodes, summary
    )
