"""The plan's two headline targets computed from the stored measurements.

Seed, 一、总体目标: "2017 年 10 月至 2018 年 3 月，我市 PM2.5 平均浓度同比下降 20%以上，重污染天数
同比下降 15%以上" — plan.yaml targets ``pm25_reduction`` and ``heavy_pollution_days_reduction`` over
``periods.campaign``. Nobody types these numbers: they follow from the measurements.

How (spec/standards.md §2.2, §3.3, §3.4):

1. Each evaluation station's daily values of the natural day (24-h means valid with ≥ 20 hours,
   GB 3095-2012 Table 4; O3 daily max 1-h and 8-h), from the values in force after review
   (:func:`lantian.monitoring.publication.values_in_force`); background (对照点) stations left out.
2. The city's daily concentration = the mean of its valid stations' daily values (HJ 663-2013
   点位平均法), then the city's daily AQI (HJ 633, the version in force on the period's first day).
3. The period's PM2.5 mean = the mean of the city's daily values with a value; heavy-pollution
   days = days with city daily AQI > 200. Days without a value are counted and shown as missing,
   never filled.
4. The same period a year before (same month and day, 29 February → 28) is the baseline, read from
   the same store (import it with ``lantian import hourly``, UCI layout included).
5. **To date**: the campaign's days that have ended by the as-of day against the same days a year
   before. **Projected** to the period's end: the days still to come taken as the same days of the
   year before (no further improvement assumed), so projected mean = (this period's daily values so
   far + last year's values of the remaining days) / their count, and projected heavy days = heavy
   days so far + last year's heavy days of the remaining days.
6. **Heavy days still allowed**: the period's heavy days may not exceed ⌊baseline × (100 − 15)/100⌋
   (−15 % at least); allowed = that ceiling − heavy days so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, Final

from sqlalchemy.orm import Session

from lantian import clock
from lantian.monitoring.publication import city_daily_values
from lantian.sources.registry import IndicatorValue
from lantian.standards.aqi import MISSING
from lantian.timeutil import year_before

PM25_TARGET: Final = "pm25_reduction"
HEAVY_TARGET: Final = "heavy_pollution_days_reduction"
HEADLINE_TARGETS: Final = (PM25_TARGET, HEAVY_TARGET)
#: Daily AQI above which a day is a heavy-pollution day (重污染, HJ 633 levels 5–6; spec §3.4).
HEAVY_AQI: Final = 200


@dataclass(frozen=True)
class CityDay:
    """The city's values of one natural day (China time)."""

    day: date
    pm2_5: int | None
    """City daily PM2.5 (µg/m³, GB/T 8170-rounded mean of the valid stations' 24-h means)."""
    aqi: int | None
    stations_with_pm2_5: int
    """How many evaluation stations had a valid PM2.5 24-h mean (≥ 20 hours) that day."""
    stations: int

    @property
    def heavy(self) -> bool:
        return self.aqi is not None and self.aqi > HEAVY_AQI


@dataclass(frozen=True)
class PeriodSummary:
    """What a run of city days adds up to."""

    first: date
    last: date
    days: int
    pm25_days: int
    pm25_total: int
    aqi_days: int
    heavy_days: int

    @property
    def pm25_mean(self) -> Fraction | None:
        return None if self.pm25_days == 0 else Fraction(self.pm25_total, self.pm25_days)

    @property
    def missing_pm25_days(self) -> int:
        return self.days - self.pm25_days

    @property
    def missing_aqi_days(self) -> int:
        return self.days - self.aqi_days


def summarise(days: list[CityDay], first: date, last: date) -> PeriodSummary:
    """The summary of the days of ``days`` within ``first … last`` (an empty span has 0 days)."""
    inside = [d for d in days if first <= d.day <= last]
    span = max(0, (last - first).days + 1)
    return PeriodSummary(
        first,
        last,
        span,
        sum(d.pm2_5 is not None for d in inside),
        sum(d.pm2_5 for d in inside if d.pm2_5 is not None),
        sum(d.aqi is not None for d in inside),
        sum(d.heavy for d in inside),
    )


def city_daily_series(session: Session, first: date, last: date) -> list[CityDay]:
    """The city's daily PM2.5 and AQI of every natural day ``first … last`` (HJ 663 点位平均法).

    Every day of the span is returned; a day without a valid city value has ``None``.
    """
    if last < first:
        return []
    n_days = (last - first).days + 1
    city = city_daily_values(session, first, last, standard="auto")
    if city is None:
        return [CityDay(first + timedelta(days=d), None, None, 0, 0) for d in range(n_days)]
    pm25 = city.means["PM25"]
    aqi = city.result.aqi[:, 0]
    return [
        CityDay(
            first + timedelta(days=d),
            int(pm25[d]) if pm25[d] != MISSING else None,
            int(aqi[d]) if aqi[d] != MISSING else None,
            int(city.pm25_stations[d]),
            city.stations,
        )
        for d in range(n_days)
    ]


def reduction(current: Fraction | int | None, baseline: Fraction | int | None) -> Fraction | None:
    """Year-on-year decrease in % (positive = lower than the year before); None without a base."""
    if current is None or baseline is None or baseline == 0:
        return None
    return (Fraction(baseline) - Fraction(current)) * 100 / Fraction(baseline)


@dataclass(frozen=True)
class Headline:
    """The two headline targets as of a day: to date, projected, and the series behind them."""

    period_first: date
    period_last: date
    as_of: date
    through: date | None
    """The last campaign day counted (ended before the as-of day); None before the period."""
    current: PeriodSummary
    baseline_same_days: PeriodSummary
    baseline: PeriodSummary
    remainder_baseline: PeriodSummary
    series: tuple[tuple[CityDay | None, CityDay], ...]
    """(this period's day or None when still to come, the same day a year before)."""

    @property
    def baseline_first(self) -> date:
        return year_before(self.period_first)

    @property
    def baseline_last(self) -> date:
        return year_before(self.period_last)

    @property
    def complete(self) -> bool:
        return self.through == self.period_last

    @property
    def pm25_reduction(self) -> Fraction | None:
        """PM2.5 decrease to date against the same days a year before (%)."""
        return reduction(self.current.pm25_mean, self.baseline_same_days.pm25_mean)

    @property
    def heavy_reduction(self) -> Fraction | None:
        """Heavy-day decrease to date against the same days a year before (%)."""
        return reduction(self.current.heavy_days, self.baseline_same_days.heavy_days)

    @property
    def projected_pm25_mean(self) -> Fraction | None:
        days = self.current.pm25_days + self.remainder_baseline.pm25_days
        total = self.current.pm25_total + self.remainder_baseline.pm25_total
        return None if days == 0 else Fraction(total, days)

    @property
    def projected_pm25_reduction(self) -> Fraction | None:
        return reduction(self.projected_pm25_mean, self.baseline.pm25_mean)

    @property
    def projected_heavy_days(self) -> int:
        return self.current.heavy_days + self.remainder_baseline.heavy_days

    @property
    def projected_heavy_reduction(self) -> Fraction | None:
        return reduction(self.projected_heavy_days, self.baseline.heavy_days)

    def heavy_days_ceiling(self, required_reduction: float) -> int | None:
        """The most heavy days the whole period may have to meet −``required_reduction`` %; None
        when the year before has no daily AQI at all (nothing to compare with)."""
        if self.baseline.aqi_days == 0:
            return None
        share = Fraction(100) - Fraction(str(required_reduction))
        return int(self.baseline.heavy_days * share // 100)

    def heavy_days_allowed(self, required_reduction: float) -> int | None:
        """Heavy days still allowed for the rest of the period (negative: already too many)."""
        ceiling = self.heavy_days_ceiling(required_reduction)
        return None if ceiling is None else ceiling - self.current.heavy_days


def campaign_period(periods: dict[str, Any]) -> tuple[date, date]:
    """``periods.campaign`` of plan.yaml as dates."""
    campaign = periods["campaign"]
    return date.fromisoformat(str(campaign["start"])), date.fromisoformat(str(campaign["end"]))


def headline(session: Session, first: date, last: date, as_of: date | None = None) -> Headline:
    """The headline figures of the period ``first … last`` as of ``as_of`` (default: the clock's
    today). Only days that ended before the as-of day (and before the clock's today) count."""
    as_of = as_of or clock.today()
    through = min(last, as_of - timedelta(days=1), clock.today() - timedelta(days=1))
    if as_of >= last and clock.today() > last:
        # A finished campaign is judged at its last day (campaign.service.judged_day): that day
        # has ended too, so the whole period counts.
        through = last
    base_first, base_last = year_before(first), year_before(last)
    baseline_days = city_daily_series(session, base_first, base_last)
    current_days = city_daily_series(session, first, through) if through >= first else []
    counted = through if through >= first else None
    if counted is None:
        current = summarise([], first, first - timedelta(days=1))
        same_days = summarise(baseline_days, base_first, base_first - timedelta(days=1))
        remainder = summarise(baseline_days, base_first, base_last)
    else:
        current = summarise(current_days, first, counted)
        same_days = summarise(baseline_days, base_first, year_before(counted))
        remainder = summarise(baseline_days, year_before(counted) + timedelta(days=1), base_last)
    by_day = {d.day: d for d in current_days}
    series = tuple(
        (by_day.get(first + timedelta(days=n)), base)
        for n, base in enumerate(_aligned(baseline_days, first, last))
    )
    baseline = summarise(baseline_days, base_first, base_last)
    return Headline(first, last, as_of, counted, current, same_days, baseline, remainder, series)


def _aligned(baseline_days: list[CityDay], first: date, last: date) -> list[CityDay]:
    """The year-before day of each day of ``first … last`` (29 February repeats the 28th)."""
    by_day = {d.day: d for d in baseline_days}
    aligned = []
    for n in range((last - first).days + 1):
        day = year_before(first + timedelta(days=n))
        aligned.append(by_day.get(day) or CityDay(day, None, None, 0, 0))
    return aligned


def _float(value: int | None) -> float | None:
    return None if value is None else float(value)


def _rows(*rows: tuple[str, float | None]) -> tuple[tuple[str, float], ...]:
    """Detail rows with a value (a figure that cannot be computed is left out, never shown as 0)."""
    return tuple((label, value) for label, value in rows if value is not None)


def _number(value: Fraction | None, places: int = 1) -> float | None:
    """A figure for display and comparison, rounded half to even (GB/T 8170) to ``places``."""
    if value is None:
        return None
    scaled = value * 10**places
    return float(Fraction(round(scaled), 10**places))


@dataclass(frozen=True)
class HeadlineValue(IndicatorValue):
    """A headline target's computed value, with the whole computation behind it."""

    headline: Headline | None = None


def headline_of(session: Session, periods: dict[str, Any], as_of: date) -> Headline:
    """The plan's campaign period (``periods.campaign``) as of ``as_of``."""
    first, last = campaign_period(periods)
    return headline(session, first, last, as_of)


def headline_values(
    session: Session, periods: dict[str, Any], targets: Sequence[Any], as_of: date
) -> dict[str, HeadlineValue]:
    """The computed values of ``pm25_reduction`` and ``heavy_pollution_days_reduction`` (those of
    the plan's targets that exist), once the campaign has any measured day: from then on no
    typed report sets them. ``value`` is the decrease to date (%), None while it cannot be
    computed (no value the year before): the reason is in the detail, nothing is filled in."""
    keys = {target.key: target for target in targets if target.key in HEADLINE_TARGETS}
    if not keys or "campaign" not in periods:
        return {}
    result = headline_of(session, periods, as_of)
    if result.current.pm25_days == 0 and result.current.aqi_days == 0:
        return {}
    current, same, whole = result.current, result.baseline_same_days, result.baseline
    span = f"{current.first}…{result.through}"
    span_before = f"{same.first}…{same.last}"
    values: dict[str, HeadlineValue] = {}
    if PM25_TARGET in keys:
        values[PM25_TARGET] = HeadlineValue(
            PM25_TARGET,
            _number(result.pm25_reduction),
            current.pm25_days,
            f"由监测数据计算：{span} 城市日均 PM2.5 的均值与上年同期 {span_before} 相比"
            f"（HJ 663 点位平均，日均值需≥20小时）；缺测 {current.missing_pm25_days} 天",
            f"computed from the measurements: mean of the city's daily PM2.5 {span} against "
            f"the same days a year before {span_before} (HJ 663 station means, ≥ 20 h a day); "
            f"{current.missing_pm25_days} day(s) missing",
            _rows(
                (f"PM2.5 均值 mean {span} µg/m³", _number(current.pm25_mean)),
                (f"上年同期 year before {span_before} µg/m³", _number(same.pm25_mean)),
                ("有效天数 valid days", float(current.pm25_days)),
                ("缺测天数 days missing", float(current.missing_pm25_days)),
                ("上年同期缺测 days missing the year before", float(same.missing_pm25_days)),
                (
                    "预计全期均值 projected period mean µg/m³",
                    _number(result.projected_pm25_mean),
                ),
                (
                    "预计全期降幅 projected decrease %",
                    _number(result.projected_pm25_reduction),
                ),
            ),
            result,
        )
    if HEAVY_TARGET in keys:
        required = float(keys[HEAVY_TARGET].value)
        values[HEAVY_TARGET] = HeadlineValue(
            HEAVY_TARGET,
            _number(result.heavy_reduction),
            current.aqi_days,
            f"由监测数据计算：{span} 城市日 AQI>200 的天数与上年同期 {span_before} 相比；"
            f"缺测 {current.missing_aqi_days} 天",
            f"computed from the measurements: days with city daily AQI > 200 {span} against "
            f"the same days a year before {span_before}; {current.missing_aqi_days} day(s) "
            "missing",
            _rows(
                (f"重污染天数 heavy days {span}", float(current.heavy_days)),
                (
                    f"上年同期 year before {span_before}",
                    float(same.heavy_days) if same.aqi_days else None,
                ),
                (
                    "上年全期 the whole period a year before",
                    float(whole.heavy_days) if whole.aqi_days else None,
                ),
                ("预计全期 projected for the period", float(result.projected_heavy_days)),
                (
                    "预计全期降幅 projected decrease %",
                    _number(result.projected_heavy_reduction),
                ),
                (
                    "剩余允许重污染天数 heavy days still allowed",
                    _float(result.heavy_days_allowed(required)),
                ),
            ),
            result,
        )
    return values


def figures(result: Headline, required_heavy_reduction: float | None = None) -> dict[str, Any]:
    """The headline's figures as shown (page, tile, command): means and changes to one decimal
    (GB/T 8170), counts as integers, None where a figure cannot be computed."""
    current, same, whole = result.current, result.baseline_same_days, result.baseline
    shown: dict[str, Any] = {
        "through": result.through,
        "days": current.days,
        "days_before": same.days,
        "pm25_mean": _number(current.pm25_mean),
        "pm25_mean_before": _number(same.pm25_mean),
        "pm25_mean_before_whole": _number(whole.pm25_mean),
        "pm25_reduction": _number(result.pm25_reduction),
        "projected_pm25_mean": _number(result.projected_pm25_mean),
        "projected_pm25_reduction": _number(result.projected_pm25_reduction),
        "missing_pm25_days": current.missing_pm25_days,
        "missing_pm25_days_before": same.missing_pm25_days,
        "missing_aqi_days": current.missing_aqi_days,
        "missing_aqi_days_before": same.missing_aqi_days,
        "heavy_days": current.heavy_days,
        # A year before without any daily AQI has no heavy-day count (not 0): "—".
        "heavy_days_before": same.heavy_days if same.aqi_days else None,
        "heavy_days_before_whole": whole.heavy_days if whole.aqi_days else None,
        "heavy_reduction": _number(result.heavy_reduction),
        "projected_heavy_days": result.projected_heavy_days,
        "projected_heavy_reduction": _number(result.projected_heavy_reduction),
        "heavy_days_ceiling": None,
        "heavy_days_allowed": None,
    }
    if required_heavy_reduction is not None:
        shown["heavy_days_ceiling"] = result.heavy_days_ceiling(required_heavy_reduction)
        shown["heavy_days_allowed"] = result.heavy_days_allowed(required_heavy_reduction)
    return shown
