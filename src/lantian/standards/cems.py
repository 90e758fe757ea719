"""Judging the hourly values of a stack's CEMS (烟气排放连续监测) against its emission limits.

Pure and vectorised (numpy arrays of hours); no I/O. The rules (spec/standards.md):

* corrected (折算) concentration, reference-O2 form of HJ 212-2017 Appendix D (spec §6.2):
  ``C_折 = C × (21 − O2_ref) / (21 − O2_meas)``; a measured O2 of 21 % or more makes the
  conversion undefined, so the hour is invalid;
* hour validity from the instrument flag (HJ 212-2017 Table 8, spec §5.7): only ``N`` is valid for
  compliance; ``T`` (over the measuring range) is valid but marked; ``M``/``C``/``F``/``D``/``B``/``S``
  (maintenance, calibration, stopped, fault, communication fault, set value) are invalid and
  never count as an exceedance;
* exceedance of an hour: the valid hourly corrected mean above the limit (spec §6.4: "compare the
  hourly converted average with the applicable limit"), with the ratio ``(C − S) / S``;
* episodes: runs of exceeding valid hours; a new episode starts after ``gap_hours`` consecutive
  valid compliant hours (invalid or missing hours neither continue nor end an episode).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Flags whose hour counts for compliance (spec §5.7: N normal; T valid but over range).
VALID_FLAGS = frozenset({"N", "T"})
#: Flags of an instrument not measuring the stack (maintenance, calibration, stopped, fault,
#: communication fault, manually set value): the hour is invalid and opens no case.
INVALID_FLAGS = frozenset({"M", "C", "F", "D", "B", "S"})
#: Flags meaning the operator or the instrument declared the hour out of service (运维/校准/停运):
#: shown as maintenance on the stack's page.
MAINTENANCE_FLAGS = frozenset({"M", "C", "F"})
#: The oxygen content of air (%): the conversion is undefined at or above it.
AIR_O2 = 21.0


def corrected_concentration(
    measured: FloatArray, o2_measured: FloatArray, o2_reference: float
) -> FloatArray:
    """The corrected (折算) concentration of HJ 212-2017 Appendix D, reference-O2 form:
    ``C × (21 − O2_ref) / (21 − O2_meas)``; NaN where the measured O2 is ≥ 21 % or missing
    (conversion undefined, spec §6.2 guard) or the concentration is missing."""
    if not 0.0 <= o2_reference < AIR_O2:
        raise ValueError(f"reference O2 {o2_reference} must lie in [0, 21)")
    measured = np.asarray(measured, dtype=np.float64)
    o2 = np.asarray(o2_measured, dtype=np.float64)
    ok = np.isfinite(o2) & (o2 < AIR_O2) & (o2 >= 0.0)
    denominator = np.where(ok, AIR_O2 - o2, np.nan)
    return np.asarray(measured * (AIR_O2 - o2_reference) / denominator, dtype=np.float64)


def valid_hours(flags: Sequence[str | None]) -> BoolArray:
    """Whether each hour counts for compliance from its flag (spec §5.7): ``N`` and ``T`` do;
    a missing flag counts as normal (2005 data loggers send none); every other flag does not."""
    return np.array(
        [flag is None or flag.strip().upper() in VALID_FLAGS for flag in flags], dtype=np.bool_
    )


def exceedance_ratio(concentration: FloatArray, limit: float) -> FloatArray:
    """``(C − S) / S`` of each hour (negative when compliant; NaN where C is missing)."""
    if limit <= 0:
        raise ValueError(f"an emission limit must be positive, got {limit}")
    return np.asarray((np.asarray(concentration, dtype=np.float64) - limit) / limit)


def exceeding_hours(concentration: FloatArray, valid: BoolArray, limit: float) -> BoolArray:
    """Valid hours whose corrected concentration is strictly above the limit."""
    values = np.asarray(concentration, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        above = np.isfinite(values) & (values > limit)
    return np.asarray(above & np.asarray(valid, dtype=np.bool_))


def episodes(
    hours: IntArray, exceeding: BoolArray, valid: BoolArray, gap_hours: int = 1
) -> IntArray:
    """The episode number (0, 1, …) of each exceeding hour, −1 for every other hour.

    ``hours`` are sorted, distinct hour indices (e.g. hours since an epoch; missing hours are
    simply absent). An episode is a run of exceeding valid hours; it ends once ``gap_hours``
    valid compliant hours have followed one another without an exceedance. Invalid hours (and
    hours never received) neither extend nor end an episode: a stack's maintenance window inside
    an exceedance does not split it into two cases.
    """
    if gap_hours < 1:
        raise ValueError("gap_hours must be at least 1")
    hours = np.asarray(hours, dtype=np.int64)
    exceeding = np.asarray(exceeding, dtype=np.bool_)
    valid = np.asarray(valid, dtype=np.bool_)
    if hours.size > 1 and np.any(np.diff(hours) <= 0):
        raise ValueError("hours must be sorted and distinct")
    compliant = valid & ~exceeding
    # Count of compliant hours seen so far; an exceeding hour starts a new episode when at least
    # gap_hours compliant hours lie between it and the previous exceeding hour.
    compliant_seen = np.cumsum(compliant)
    result = np.full(hours.shape, -1, dtype=np.int64)
    positions = np.flatnonzero(exceeding)
    if positions.size == 0:
        return result
    seen_at = compliant_seen[positions]
    gaps = np.diff(seen_at)
    starts = np.concatenate(([True], gaps >= gap_hours))
    result[positions] = np.cumsum(starts) - 1
    return result


@dataclass(frozen=True)
class HourJudgement:
    """The judgement of a pollutant's hours: value judged, validity, exceedance and episodes."""

    concentration: FloatArray
    valid: BoolArray
    exceeding: BoolArray
    ratio: FloatArray
    episode: IntArray


def judge_hours(
    hours: IntArray,
    concentration: FloatArray,
    flags: Sequence[str | None],
    limit: float,
    gap_hours: int = 1,
) -> HourJudgement:
    """Judge one pollutant of one outlet: validity from the flags, exceedance against ``limit``,
    episodes of exceedance (see :func:`episodes`). An hour without a value is invalid."""
    values = np.asarray(concentration, dtype=np.float64)
    valid = valid_hours(flags) & np.isfinite(values)
    exceeding = exceeding_hours(values, valid, limit)
    return HourJudgement(
        concentration=values,
        valid=valid,
        exceeding=exceeding,
        ratio=exceedance_ratio(values, limit),
        episode=episodes(hours, exceeding, valid, gap_hours),
    )
