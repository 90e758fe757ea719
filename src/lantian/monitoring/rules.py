"""Automatic quality-control rules for hourly ambient data (pure, vectorised, no I/O).

Each rule looks at a (time, station) array of one pollutant — float64, NaN = no value — on a regular
hourly grid and returns a boolean mask of the values it flags. Flags never change a value: raw data
are kept as received; a flag only marks a value as suspect or invalid for statistics, and a person's
review decides in the end. Thresholds are arguments (:class:`QcOptions`), not hidden constants.

Instrument flags follow HJ 212-2017 Table 8 (spec §5.7): only ``N`` is valid; ``T`` (above the
measuring range) is kept and marked over-range; M, C, F, D, B and S count as missing for statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

FloatGrid = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


class QcFlag(StrEnum):
    """Why a value is suspect (stored as text; several may apply to one value)."""

    NEGATIVE = "negative"
    OVER_RANGE = "over_range"
    STUCK = "stuck"
    SPIKE = "spike"
    PM25_ABOVE_PM10 = "pm25_above_pm10"
    INSTRUMENT = "instrument"


#: HJ 212-2017 Table 8 flags that make a value invalid for statistics (spec §5.7 platform rule).
INVALID_INSTRUMENT_FLAGS = frozenset({"F", "M", "S", "D", "C", "B"})

#: Flags that invalidate a value; the others (stuck, spike) mark it for review but keep it valid.
INVALIDATING = frozenset(
    {QcFlag.NEGATIVE, QcFlag.OVER_RANGE, QcFlag.PM25_ABOVE_PM10, QcFlag.INSTRUMENT}
)


@dataclass(frozen=True)
class QcOptions:
    """Thresholds of the automatic checks (settings; defaults documented in docs/monitoring.md).

    ``upper_limits`` are the analysers' measuring ranges (µg/m³, CO mg/m³): HJ 653-2013 gives
    0–1000 µg/m³ for the PM monitors; the gas limits are typical analyser full scales and depend
    on the installed instrument, so each station may override them.
    """

    upper_limits: dict[str, float] = field(
        default_factory=lambda: {
            "pm2_5": 1000.0,
            "pm10": 1000.0,
            "so2": 2620.0,
            "no2": 940.0,
            "o3": 1200.0,
            "co": 60.0,
        }
    )
    #: A run of this many identical consecutive hourly values (or more) is "stuck".
    stuck_hours: int = 8
    #: Identical values at or below this floor are not "stuck" (clean air reads flat near zero).
    stuck_floor: dict[str, float] = field(
        default_factory=lambda: {
            "pm2_5": 5.0,
            "pm10": 10.0,
            "so2": 5.0,
            "no2": 5.0,
            "o3": 10.0,
            "co": 0.3,
        }
    )
    #: A value is a spike when it exceeds both neighbours by this factor and by ``spike_min_jump``.
    spike_factor: float = 3.0
    spike_min_jump: dict[str, float] = field(
        default_factory=lambda: {
            "pm2_5": 100.0,
            "pm10": 150.0,
            "so2": 100.0,
            "no2": 100.0,
            "o3": 100.0,
            "co": 2.0,
        }
    )
    #: PM2.5 above PM10 by more than this many µg/m³ is physically impossible beyond measurement noise.
    pm25_above_pm10_tolerance: float = 0.0


DEFAULT_QC_OPTIONS = QcOptions()


def negative(values: FloatGrid) -> Mask:
    """Values below zero (a concentration cannot be negative; HJ 633-2012 §5: no IAQI)."""
    return np.asarray(values < 0, dtype=np.bool_)


def over_range(values: FloatGrid, upper_limit: float) -> Mask:
    """Values above the analyser's measuring range."""
    return np.asarray(values > upper_limit, dtype=np.bool_)


def stuck(values: FloatGrid, run_hours: int, floor: float) -> Mask:
    """Members of runs of ``run_hours`` or more identical consecutive values above ``floor``.

    A frozen analyser or data logger repeats its last value; a run is broken by any change or gap.
    """
    n_time = values.shape[0]
    if n_time == 0:
        return np.zeros(values.shape, dtype=np.bool_)
    same_as_previous = np.zeros(values.shape, dtype=np.bool_)
    same_as_previous[1:] = (values[1:] == values[:-1]) & ~np.isnan(values[1:])
    # Length of the run of equal values ending at each hour (1 for a fresh value).
    run_end = np.zeros(values.shape, dtype=np.int64)
    run_end[0] = ~np.isnan(values[0])
    for t in range(1, n_time):  # one pass over time, vectorised across stations
        run_end[t] = np.where(same_as_previous[t], run_end[t - 1] + 1, ~np.isnan(values[t]))
    # Propagate each run's final length back to all its members.
    run_total = run_end.copy()
    for t in range(n_time - 2, -1, -1):
        run_total[t] = np.where(same_as_previous[t + 1], run_total[t + 1], run_end[t])
    return np.asarray((run_total >= run_hours) & (values > floor), dtype=np.bool_)


def spike(values: FloatGrid, factor: float, min_jump: float) -> Mask:
    """Isolated one-hour peaks: above ``factor`` × both neighbours and by at least ``min_jump``."""
    flagged = np.zeros(values.shape, dtype=np.bool_)
    if values.shape[0] < 3:
        return flagged
    middle, before, after = values[1:-1], values[:-2], values[2:]
    with np.errstate(invalid="ignore"):
        peak = (
            (middle > factor * before)
            & (middle > factor * after)
            & (middle - np.fmax(before, after) >= min_jump)
        )
    flagged[1:-1] = peak
    return flagged


def pm25_above_pm10(pm25: FloatGrid, pm10: FloatGrid, tolerance: float) -> Mask:
    """Hours whose PM2.5 exceeds the PM10 of the same station and hour (PM2.5 is part of PM10)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(pm25 > pm10 + tolerance, dtype=np.bool_)


def instrument_invalid(flags: npt.NDArray[np.str_]) -> Mask:
    """Values whose HJ 212 data flag marks them invalid for statistics (Table 8: F M S D C B)."""
    return np.isin(flags, list(INVALID_INSTRUMENT_FLAGS))


def check_pollutant(
    pollutant: str, values: FloatGrid, options: QcOptions = DEFAULT_QC_OPTIONS
) -> dict[QcFlag, Mask]:
    """All single-pollutant checks for one pollutant's (time, station) grid."""
    return {
        QcFlag.NEGATIVE: negative(values),
        QcFlag.OVER_RANGE: over_range(values, options.upper_limits.get(pollutant, np.inf)),
        QcFlag.STUCK: stuck(values, options.stuck_hours, options.stuck_floor.get(pollutant, 0.0)),
        QcFlag.SPIKE: spike(
            values, options.spike_factor, options.spike_min_jump.get(pollutant, 0.0)
        ),
    }
