"""Forecasts: the CSV exchange format, baseline forecasters and their skill (issue 7, seed task 40).

Pure (no database). A forecast is one *issued version*: who issued it (``source``), when
(``issued_at``), for which area, and a list of values, each the rolling-24-hour AQI over
``(valid_start, valid_end]`` — one hour (hourly forecasts: the rolling value ending at that hour)
or 24 hours (a 24-h block, the daily AQI of that block). Blocks become 24 equal hourly values for
the engine (:func:`hourly_values`).

Baselines, so that the platform works without an outside forecast:

* :class:`Persistence` — every future hour equals the last observed rolling-24-h AQI.
* :class:`SeasonalDiurnalPersistence` — the anomaly from the (month, hour-of-day) climatology of
  the station history decays toward that climatology at the hourly lag-1 autocorrelation of the
  anomalies; both are learned only from history before the forecast time (causal).

Skill (:func:`daily_skill`): for each natural day, the forecast issued at the start of the day
(00:00 = 24:00 of the day before) for the rolling value at 24:00 — the natural day's AQI — against
the observed; an "event" is a day above 200. Hit rate (POD) = hits / (hits + misses); false-alarm
ratio (FAR) = false alarms / (hits + false alarms); false-alarm rate (POFD) = false alarms /
(false alarms + correct negatives).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lantian.tabular import Column, TableSpec, read_table
from lantian.timeutil import CHINA_TZ

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class ForecastValue:
    valid_start: datetime
    valid_end: datetime
    aqi: int | None
    primary_pollutant: str = ""

    @property
    def hours(self) -> int:
        return int((self.valid_end - self.valid_start) / HOUR)


@dataclass(frozen=True)
class ForecastIssue:
    """One issued forecast version for one area."""

    area: str
    issued_at: datetime
    source: str
    values: tuple[ForecastValue, ...] = field(default_factory=tuple)


def hourly_values(issue: ForecastIssue, now: datetime, horizon: int) -> list[int | None]:
    """The issue's values for the hours ``now+1h .. now+horizon h`` (None where it says nothing)."""
    out: list[int | None] = [None] * horizon
    for value in issue.values:
        for k in range(value.hours):
            label = value.valid_start + HOUR * (k + 1)
            index = int((label - now) / HOUR) - 1
            if 0 <= index < horizon:
                out[index] = value.aqi
    return out


class ForecastRow(BaseModel):
    """One row of the forecast CSV: one value of one issued version."""

    model_config = ConfigDict(extra="forbid")

    area: str
    issued_at: datetime
    valid_start: datetime
    valid_end: datetime
    aqi: int | None = Field(default=None, ge=0, le=999)
    primary_pollutant: str = ""
    source: str = "unknown"

    @field_validator("issued_at", "valid_start", "valid_end", mode="before")
    @classmethod
    def _on_the_hour(cls, text: object) -> object:
        if not isinstance(text, str):
            return text
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                "不是ISO时间 / is not an ISO time (e.g. 2019-01-02T20:00+08:00)"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CHINA_TZ)  # Chinese forecasts are in Beijing time
        if moment.minute or moment.second or moment.microsecond:
            raise ValueError("须为整点 / must be on the hour")
        return moment

    @model_validator(mode="after")
    def _period(self) -> ForecastRow:
        hours = (self.valid_end - self.valid_start) / HOUR
        if hours not in (1, 24):
            raise ValueError(
                f"预报时段须为1小时或24小时（此处{hours:g}小时）/ a forecast period must be "
                f"1 or 24 hours (here {hours:g})"
            )
        return self


FORECAST_SPEC: Final = TableSpec(
    ForecastRow,
    (
        Column("area", "area", "区域", example="410183"),
        Column("issued_at", "issued_at", "发布时间", example="2019-01-01T08:00+08:00", width=24),
        Column("valid_start", "valid_start", "时段开始", example="2019-01-01T08:00+08:00", width=24),
        Column("valid_end", "valid_end", "时段结束", example="2019-01-02T08:00+08:00", width=24),
        Column("aqi", "aqi", "AQI", example="230", in_header=True),
        Column("primary_pollutant", "primary_pollutant", "首要污染物", example="PM2.5", in_header=True),
        Column("source", "source", "发布单位", example="气象台", in_header=True),
    ),
    unknown_columns="refuse",
)  # fmt: skip


def parse_forecast_csv(content: str | bytes, name: str = "forecast.csv") -> list[ForecastIssue]:
    """Read the forecast CSV (columns :data:`FORECAST_SPEC`); rows group into issued versions.

    Times without an offset are Beijing time (UTC+8). ``valid_end - valid_start`` must be 1 or 24
    hours. An empty ``aqi`` is a hole in the forecast. Every problem is reported with file, row
    and column (:class:`~lantian.tabular.Rejected`), and then nothing is returned.
    """
    raw = content.encode("utf-8") if isinstance(content, str) else content
    read = read_table(raw, FORECAST_SPEC, name=name, kind="csv")
    read.raise_if_problems()
    groups: dict[tuple[str, datetime, str], list[ForecastValue]] = {}
    for row in read.values:
        value = ForecastValue(row.valid_start, row.valid_end, row.aqi, row.primary_pollutant)
        groups.setdefault((row.area, row.issued_at, row.source), []).append(value)
    return [
        ForecastIssue(area, issued, source, tuple(sorted(values, key=lambda v: v.valid_start)))
        for (area, issued, source), values in sorted(groups.items(), key=lambda kv: kv[0][1])
    ]


def latest_issue(issues: Sequence[ForecastIssue], area: str, now: datetime) -> ForecastIssue | None:
    """The newest version issued for ``area`` at or before ``now`` (every version is kept)."""
    best: ForecastIssue | None = None
    for issue in issues:
        newer = best is None or issue.issued_at >= best.issued_at
        if issue.area == area and issue.issued_at <= now and newer:
            best = issue
    return best


# --- baseline forecasters -----------------------------------------------------------------------


class Forecaster(Protocol):
    name: str

    def forecast(self, now_index: int, horizon: int) -> list[int | None]:
        """Forecast rolling-24-h AQI for the hours after ``now_index`` using data up to it."""
        ...


IntArray = npt.NDArray[np.int64]


def _last_valid(observed: IntArray, now_index: int, max_age: int) -> int | None:
    for i in range(now_index, max(-1, now_index - max_age - 1), -1):
        if observed[i] >= 0:
            return int(observed[i])
    return None


@dataclass
class Perfect:
    """The observed future itself (replay only): the engine's best case."""

    observed: IntArray
    name: str = "perfect"

    def forecast(self, now_index: int, horizon: int) -> list[int | None]:
        window = self.observed[now_index + 1 : now_index + 1 + horizon]
        out: list[int | None] = [int(v) if v >= 0 else None for v in window]
        return out + [None] * (horizon - len(out))


@dataclass
class Persistence:
    """Every future hour equals the last observed value (within ``max_age`` hours)."""

    observed: IntArray
    max_age: int = 6
    name: str = "persistence"

    def forecast(self, now_index: int, horizon: int) -> list[int | None]:
        last = _last_valid(self.observed, now_index, self.max_age)
        return [last] * horizon


@dataclass
class SeasonalDiurnalPersistence:
    """Anomaly persistence toward the (month, hour-of-day) climatology, learned causally.

    ``times`` are the hour labels of ``observed``. At ``now_index`` the climatology and the decay
    use only indices <= ``now_index``; with fewer than ``min_history`` values for a (month, hour)
    cell the model falls back to the hour-of-day mean, then to plain persistence.
    """

    observed: IntArray
    times: Sequence[datetime]
    min_history: int = 10
    max_age: int = 6
    name: str = "seasonal-diurnal"
    _month_hour: npt.NDArray[np.int64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        local = [t.astimezone(CHINA_TZ) for t in self.times]
        self._month_hour = np.array([(t.month - 1) * 24 + t.hour for t in local], dtype=np.int64)
        self._hour = self._month_hour % 24
        valid = self.observed >= 0
        values = np.where(valid, self.observed, 0).astype(np.float64)
        # cumulative sums per cell let the climatology at any index be read causally in O(1)
        cells = 12 * 24
        onehot_sum = np.zeros((len(values) + 1, cells))
        onehot_cnt = np.zeros((len(values) + 1, cells))
        idx = np.arange(len(values))
        onehot_sum[idx + 1, self._month_hour] = values
        onehot_cnt[idx + 1, self._month_hour] = valid
        self._cum_sum = np.cumsum(onehot_sum, axis=0)
        self._cum_cnt = np.cumsum(onehot_cnt, axis=0)

    def _climatology(self, now_index: int) -> npt.NDArray[np.float64]:
        """Mean per (month, hour) cell from history up to ``now_index``; NaN where unknown."""
        sums = self._cum_sum[now_index + 1]
        counts = self._cum_cnt[now_index + 1]
        hour_sums = sums.reshape(12, 24).sum(axis=0)
        hour_counts = counts.reshape(12, 24).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            cell = np.where(counts >= self.min_history, sums / counts, np.nan)
            hourly = np.where(hour_counts >= self.min_history, hour_sums / hour_counts, np.nan)
        fallback = np.tile(hourly, 12)
        result: npt.NDArray[np.float64] = np.where(np.isnan(cell), fallback, cell)
        return result

    def _decay(self, now_index: int, table: npt.NDArray[np.float64]) -> float:
        start = max(0, now_index - 24 * 60)  # the last 60 days are enough for a lag-1 estimate
        obs = self.observed[start : now_index + 1].astype(np.float64)
        means = table[self._month_hour[start : now_index + 1]]
        anomaly = np.where(obs >= 0, obs - means, np.nan)
        a, b = anomaly[:-1], anomaly[1:]
        ok = ~np.isnan(a) & ~np.isnan(b)
        if ok.sum() < 48 or float(np.sum(a[ok] * a[ok])) == 0.0:
            return 0.99
        phi = float(np.sum(a[ok] * b[ok]) / np.sum(a[ok] * a[ok]))
        return min(max(phi, 0.0), 0.999)

    def forecast(self, now_index: int, horizon: int) -> list[int | None]:
        last = _last_valid(self.observed, now_index, self.max_age)
        if last is None:
            return [None] * horizon
        table = self._climatology(now_index)
        base_now = float(table[self._month_hour[now_index]])
        if np.isnan(base_now):
            return [last] * horizon
        phi = self._decay(now_index, table)
        anomaly = last - base_now
        start = self.times[now_index]
        out: list[int | None] = []
        for k in range(1, horizon + 1):
            t = (start + HOUR * k).astimezone(CHINA_TZ)
            base = float(table[(t.month - 1) * 24 + t.hour])
            value = (base_now if np.isnan(base) else base) + anomaly * phi**k
            out.append(max(0, round(value)))
        return out


@dataclass
class FromIssues:
    """Imported forecasts: at each hour the newest version issued for the area by then."""

    issues: Sequence[ForecastIssue]
    area: str
    times: Sequence[datetime]
    name: str = "file"

    def __post_init__(self) -> None:
        self._mine = sorted(
            (i for i in self.issues if i.area == self.area), key=lambda i: i.issued_at
        )

    def forecast(self, now_index: int, horizon: int) -> list[int | None]:
        now = self.times[now_index]
        issue = latest_issue(self._mine, self.area, now)
        return [None] * horizon if issue is None else hourly_values(issue, now, horizon)


# --- skill ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skill:
    """Contingency table of forecast vs observed days above the threshold."""

    forecaster: str
    threshold: int
    lead_hours: int
    days: int
    hits: int
    misses: int
    false_alarms: int
    correct_negatives: int

    @property
    def hit_rate(self) -> float | None:
        """POD = hits / (hits + misses)."""
        events = self.hits + self.misses
        return self.hits / events if events else None

    @property
    def false_alarm_ratio(self) -> float | None:
        """FAR = false alarms / (hits + false alarms)."""
        warned = self.hits + self.false_alarms
        return self.false_alarms / warned if warned else None

    @property
    def false_alarm_rate(self) -> float | None:
        """POFD = false alarms / (false alarms + correct negatives)."""
        quiet = self.false_alarms + self.correct_negatives
        return self.false_alarms / quiet if quiet else None


def daily_skill(
    forecaster: Forecaster,
    observed: IntArray,
    times: Sequence[datetime],
    threshold: int = 200,
    lead_hours: int = 24,
    first: int = 0,
    last: int | None = None,
) -> Skill:
    """Skill for natural days: forecast issued at a day's 00:00 for the value at its 24:00."""
    hits = misses = false_alarms = correct = days = 0
    end = len(times) if last is None else last
    for i in range(first, end):
        if times[i].astimezone(CHINA_TZ).hour != 0:
            continue
        target = i + lead_hours
        if target >= end or observed[target] < 0:
            continue
        predicted = forecaster.forecast(i, lead_hours)[lead_hours - 1]
        if predicted is None:
            continue
        days += 1
        event, warned = observed[target] > threshold, predicted > threshold
        hits += int(event and warned)
        misses += int(event and not warned)
        false_alarms += int(warned and not event)
        correct += int(not warned and not event)
    return Skill(forecaster.name, threshold, lead_hours, days, hits, misses, false_alarms, correct)
