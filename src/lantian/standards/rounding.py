"""Numeric rounding (数值修约) per GB/T 8170-2008 and exact fixed-point helpers.

GB/T 8170-2008 §3.3 ("进舍规则"): when the first discarded digit is 5 followed by nothing
(or only zeros), keep the last retained digit if it is even and raise it if it is odd; anything
non-zero after the 5 rounds up. That is round-half-to-even *on the decimal representation*, not on
the binary float, which is why this module works on decimals and integers, never on raw floats.

Concentrations inside lantian are carried as non-negative fixed-point integers
(value x 10**decimals, int64) with :data:`MISSING` (-1) for "no valid value"; spec/standards.md §0.2.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

import numpy as np
import numpy.typing as npt

MISSING: Final[int] = -1
"""Sentinel for a missing / invalid value in fixed-point concentration and IAQI arrays."""

IntArray = npt.NDArray[np.int64]

MAX_FIXED: Final[float] = 1e15
"""Largest fixed-point magnitude accepted by :func:`quantize`; larger inputs are invalid."""


def round_gbt8170(value: Decimal | str | int, digits: int) -> Decimal:
    """Round ``value`` to ``digits`` decimals per GB/T 8170-2008 §3.3 (half to even).

    Exact: the value is taken as a decimal number (pass a string, not a float, when the
    decimal representation matters). Spec vectors ``rounding_gbt8170`` (spec/standards.md §10).
    """
    exponent = Decimal(1).scaleb(-digits)
    return Decimal(value).quantize(exponent, rounding=ROUND_HALF_EVEN)


def round_half_even_div(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> IntArray:
    """Exact ``numerator / denominator`` rounded half to even, on integers (GB/T 8170 §3.3).

    Used to round exact means (integer sum / count) of fixed-point values without ever leaving
    integer arithmetic. ``denominator`` must be positive; where it is 0 the result is MISSING.
    """
    num = np.asarray(numerator, dtype=np.int64)
    den = np.asarray(denominator, dtype=np.int64)
    safe_den = np.where(den > 0, den, 1)
    quotient, remainder = np.divmod(num, safe_den)  # floor division: 0 <= remainder < den
    twice = 2 * remainder
    round_up = (twice > safe_den) | ((twice == safe_den) & (quotient % 2 == 1))
    result = quotient + round_up.astype(np.int64)
    return np.where(den > 0, result, MISSING).astype(np.int64)


QUANTIZE_CHUNK: Final[int] = 1 << 15
"""Values converted per pass: small enough for the temporaries to stay in the CPU cache."""


def quantize(values: npt.ArrayLike, decimals: int) -> IntArray:
    """Convert concentrations to fixed-point integers (x 10**decimals), rounding per GB/T 8170.

    A float is read as the decimal it represents (its shortest repr): a product that lies near a
    half (e.g. ``1.015 * 100 = 101.49999999999999``) is re-rounded from that decimal, half to
    even (GB/T 8170-2008 §3.3). Everything else is rounded to the nearest integer in one pass.
    NaN, infinities and negative values (invalid concentrations, spec §1.2) become MISSING.
    """
    given = np.asarray(values, dtype=np.float64)
    flat = given.reshape(-1)
    out = np.empty(flat.shape, dtype=np.int64)
    scale = float(10**decimals)
    for start in range(0, flat.size, QUANTIZE_CHUNK):
        stop = min(start + QUANTIZE_CHUNK, flat.size)
        out[start:stop] = _quantize_chunk(flat[start:stop], scale, decimals)
    return out.reshape(given.shape)


def _quantize_chunk(x: npt.NDArray[np.float64], scale: float, decimals: int) -> IntArray:
    scaled = x * scale
    rounded = np.rint(scaled)
    # distance to the nearest integer, computed in place
    with np.errstate(invalid="ignore"):
        np.subtract(scaled, rounded, out=scaled)
    np.abs(scaled, out=scaled)
    # |scaled - rint(scaled)| <= 0.5, so only values within a whisker of 0.5 are near a half, and
    # only those can depend on their decimal digits.
    near_half = scaled > 0.5 - 1e-6
    if near_half.any():
        positions = np.flatnonzero(near_half)
        rounded[positions] = [
            int(round_gbt8170(repr(float(x[p])), decimals).scaleb(decimals)) for p in positions
        ]
    invalid = ~(x >= 0.0)  # True for NaN and negatives
    invalid |= rounded > MAX_FIXED  # infinities and values beyond the fixed-point range
    rounded[invalid] = MISSING
    return rounded.astype(np.int64)


def rescale(fixed: npt.ArrayLike, from_decimals: int, to_decimals: int) -> IntArray:
    """Change the number of decimals of fixed-point values, rounding half to even when dropping.

    MISSING stays MISSING. GB/T 8170-2008 §3.3.
    """
    arr = np.asarray(fixed, dtype=np.int64)
    if to_decimals >= from_decimals:
        out = arr * (10 ** (to_decimals - from_decimals))
    else:
        out = round_half_even_div(arr, 10 ** (from_decimals - to_decimals))
    return np.where(arr >= 0, out, MISSING).astype(np.int64)


def to_float(fixed: npt.ArrayLike, decimals: int) -> npt.NDArray[np.float64]:
    """Fixed-point integers back to floats for display; MISSING becomes NaN."""
    arr = np.asarray(fixed, dtype=np.int64)
    out = arr.astype(np.float64) / float(10**decimals)
    return np.where(arr >= 0, out, np.nan)
