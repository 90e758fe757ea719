"""HJ 663-2013 station-year assessment over the Parquet archive, in one process or on Dask.

Two steps, the same functions either way:

1. :func:`month_daily` — one archived month (its group files) → the daily statistics of every
   station-day (24-h means, O3 daily max 8-h, O3 max 1-h, daily AQI), with the kernels of
   :mod:`lantian.standards` (validity, AQI). A month holds whole natural days (a value ending at
   midnight on the 1st belongs to the month before), so months are independent tasks.
2. :func:`station_years` — the daily statistics of one year's months → per station: annual means,
   HJ 663 percentiles, validity, good/exceedance/heavy/severe day counts and the composite index
   (:mod:`lantian.standards.assessment`).

:func:`assess` runs step 1 for every month and step 2 for every year, in this process when no
scheduler is given and as Dask tasks otherwise (``tcp://host:8786``: an existing cluster whose
workers read the same archive path; a :class:`distributed.Client` for a LocalCluster). The
results are identical: same functions, same inputs, exact integer arithmetic.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lantian.standards.aqi import daily_aqi_fixed
from lantian.standards.assessment import (
    ANNUAL_PERCENTILES,
    composite_index,
    day_counts,
    percentile_fixed,
)
from lantian.standards.rounding import MISSING, quantize
from lantian.standards.validity import (
    annual_valid,
    daily_average,
    daily_max,
    o3_daily_max_8h,
    period_average,
)

if TYPE_CHECKING:
    import polars as pl
    from distributed import Client

#: Archive pollutant -> indicator of the kernels; fixed-point decimals (CO in 0.1 mg/m³).
INDICATOR = {"so2": "SO2", "no2": "NO2", "co": "CO", "o3": "O3", "pm10": "PM10", "pm2_5": "PM25"}
DECIMALS = {"co": 1}
#: Daily statistics a station-day carries (fixed point, MISSING = -1).
DAILY_COLUMNS = ("SO2", "NO2", "PM10", "PM25", "CO", "O3_1H", "O3_8H", "AQI")
#: Annual statistic of each indicator: mean, or the HJ 663-2013 percentile (Table 1).
ANNUAL_STATISTIC = {"SO2": "mean", "NO2": "mean", "PM10": "mean", "PM25": "mean", "CO": "p95",
                    "O3_8H": "p90"}  # fmt: skip


def month_daily(files: Sequence[str | Path], month: date) -> pl.DataFrame:
    """Daily statistics of every station-day of one archived month."""
    import polars as pl

    hourly = (
        pl.scan_parquet([str(f) for f in files])
        .filter(pl.col("averaging") == "1h")
        .select("station", "pollutant", "period_end", "value")
        .collect()
    )
    n_days = calendar.monthrange(month.year, month.month)[1]
    stations = sorted(hourly["station"].unique().to_list())
    if not stations:
        return _empty_daily()
    first_hour = np.datetime64(f"{month:%Y-%m-%d}T00:00", "us") - np.timedelta64(8, "h")
    # Hour index from the month's first hour, labels 01:00…24:00 of each natural day (UTC+8).
    hour = (
        (hourly["period_end"].dt.replace_time_zone(None).to_numpy() - first_hour)
        // np.timedelta64(1, "h")
    ).astype(np.int64) - 1
    station_index = {code: i for i, code in enumerate(stations)}
    column = hourly["station"].replace_strict(station_index, return_dtype=pl.Int64).to_numpy()
    values = hourly["value"].to_numpy()
    pollutants = hourly["pollutant"].to_numpy()
    inside = (hour >= 0) & (hour < n_days * 24)
    fixed: dict[str, np.ndarray] = {}
    for pollutant in INDICATOR:
        grid = np.full((n_days * 24, len(stations)), np.nan)
        mine = inside & (pollutants == pollutant)
        grid[hour[mine], column[mine]] = values[mine]
        fixed[pollutant] = quantize(grid, DECIMALS.get(pollutant, 0))
    stats = {
        INDICATOR[p]: daily_average(fixed[p]).value for p in ("so2", "no2", "co", "pm10", "pm2_5")
    }
    stats["O3_1H"] = daily_max(fixed["o3"], min_count=20)[0]
    stats["O3_8H"] = o3_daily_max_8h(fixed["o3"]).value
    stats["AQI"] = daily_aqi_fixed(
        {k: v for k, v in stats.items() if k != "AQI"}, on=month
    ).aqi.astype(np.int64)
    days = [month + timedelta(days=d) for d in range(n_days)]
    return pl.DataFrame(
        {
            "station": np.tile(np.array(stations, dtype=object), n_days).tolist(),
            "day": np.repeat(np.array(days, dtype="datetime64[D]"), len(stations)),
            **{name: stats[name].reshape(-1).astype(np.int64) for name in DAILY_COLUMNS},
        }
    )


def _empty_daily() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(
        schema={"station": pl.String, "day": pl.Date, **dict.fromkeys(DAILY_COLUMNS, pl.Int64)}
    )


def station_years(year: int, *months: pl.DataFrame) -> pl.DataFrame:
    """Annual HJ 663-2013 statistics of every station from its year's daily statistics."""
    import polars as pl

    daily = pl.concat(months).sort("station", "day")
    if daily.height == 0:
        return _empty_years()
    stations = sorted(daily["station"].unique().to_list())
    n_days = 366 if calendar.isleap(year) else 365
    # (days of the year, stations) arrays, MISSING where a station-day is absent.
    day_index = (daily["day"].to_numpy() - np.datetime64(f"{year}-01-01", "D")).astype(np.int64)
    column = (
        daily["station"]
        .replace_strict({c: i for i, c in enumerate(stations)}, return_dtype=pl.Int64)
        .to_numpy()
    )
    month_of_day = np.array(
        [(date(year, 1, 1) + timedelta(days=d)).month - 1 for d in range(n_days)]
    )
    grids: dict[str, np.ndarray] = {}
    for name in DAILY_COLUMNS:
        grid = np.full((n_days, len(stations)), MISSING, dtype=np.int64)
        grid[day_index, column] = daily[name].to_numpy()
        grids[name] = grid
    out: dict[str, Any] = {"station": stations, "year": [year] * len(stations)}
    statistics: dict[str, np.ndarray] = {}
    for indicator, how in ANNUAL_STATISTIC.items():
        values = grids[indicator]
        counts = np.stack(
            [((values >= 0) & (month_of_day == m)[:, None]).sum(axis=0) for m in range(12)]
        )
        if how == "mean":
            statistic = period_average(values, min_days=1).value
        else:
            statistic = percentile_fixed(values, ANNUAL_PERCENTILES[indicator])
        statistics[indicator] = statistic
        out[indicator] = statistic
        out[f"{indicator}_days"] = (values >= 0).sum(axis=0).astype(np.int64)
        out[f"{indicator}_valid"] = annual_valid(counts, year)
    counts_of = [day_counts(grids["AQI"][:, s]) for s in range(len(stations))]
    out["aqi_days"] = [c.valid_days for c in counts_of]
    out["good_days"] = [c.good_days for c in counts_of]
    out["exceedance_days"] = [c.exceedance_days for c in counts_of]
    out["heavy_days"] = [c.heavy_days for c in counts_of]
    out["severe_days"] = [c.severe_days for c in counts_of]
    numerators: list[int | None] = []
    denominators: list[int | None] = []
    primaries: list[str | None] = []
    for s in range(len(stations)):
        stat = {k: int(v[s]) for k, v in statistics.items()}
        if min(stat.values()) < 0:
            numerators.append(None)
            denominators.append(None)
            primaries.append(None)
            continue
        index = composite_index(
            {k: Fraction(v, 10 ** DECIMALS.get(k.lower(), 0)) for k, v in stat.items()}
        )
        numerators.append(index.total.numerator)
        denominators.append(index.total.denominator)
        primaries.append(index.primary)
    out["composite_numerator"] = numerators
    out["composite_denominator"] = denominators
    out["composite"] = [
        None if n is None or d is None else round(n / d, 3)
        for n, d in zip(numerators, denominators, strict=True)
    ]
    out["primary"] = primaries
    return pl.DataFrame(out, schema=year_schema())


def year_schema() -> dict[str, Any]:
    """Columns of the station-year table (fixed point as in the daily values; -1 = missing)."""
    import polars as pl

    schema: dict[str, Any] = {"station": pl.String, "year": pl.Int64}
    for indicator in ANNUAL_STATISTIC:
        schema[indicator] = pl.Int64
        schema[f"{indicator}_days"] = pl.Int64
        schema[f"{indicator}_valid"] = pl.Boolean
    for name in ("aqi_days", "good_days", "exceedance_days", "heavy_days", "severe_days"):
        schema[name] = pl.Int64
    schema["composite_numerator"] = pl.Int64
    schema["composite_denominator"] = pl.Int64
    schema["composite"] = pl.Float64
    schema["primary"] = pl.String
    return schema


def _empty_years() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema=year_schema())


def _by_year(archive: dict[date, list[Path]], years: Sequence[int] | None) -> dict[int, list[date]]:
    grouped: dict[int, list[date]] = {}
    for month in sorted(archive):
        if years is None or month.year in years:
            grouped.setdefault(month.year, []).append(month)
    return grouped


def assess(
    root: Path,
    years: Sequence[int] | None = None,
    scheduler: str | Client | None = None,
) -> pl.DataFrame:
    """Station-year statistics of the archive at ``root`` (all years, or those given).

    ``scheduler``: None = in this process; a Dask scheduler address (``tcp://host:8786``) or a
    :class:`distributed.Client` = month tasks and year tasks on that cluster.
    """
    import polars as pl

    from lantian.archive.parquet import archive_files

    archive = archive_files(root)
    grouped = _by_year(archive, years)
    if scheduler is None:
        results = [
            station_years(year, *(month_daily(archive[m], m) for m in months))
            for year, months in grouped.items()
        ]
    else:
        results = _on_dask(scheduler, archive, grouped)
    results = [r for r in results if r.height]
    if not results:
        return _empty_years()
    return pl.concat(results).sort("year", "station")


def _on_dask(
    scheduler: str | Client, archive: dict[date, list[Path]], grouped: dict[int, list[date]]
) -> list[pl.DataFrame]:
    from distributed import Client

    # distributed ships no type hints for these calls.
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)  # type: ignore[no-untyped-call]
    try:
        futures = []
        for year, months in grouped.items():
            daily = [client.submit(month_daily, [str(f) for f in archive[m]], m) for m in months]
            futures.append(client.submit(station_years, year, *daily))
        return list(client.gather(futures))  # type: ignore[no-untyped-call]
    finally:
        if client is not scheduler:
            client.close()  # type: ignore[no-untyped-call]
