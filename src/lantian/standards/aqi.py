"""Air quality index per HJ 633 (2012 and 2026), vectorised and exact.

All kernels work on fixed-point integer concentrations (value x 10**decimals, int64, negative =
missing; see :mod:`lantian.standards.rounding`). The interpolation of HJ 633-2012 §6.1 formula (1)

    IAQI = IAQI_lo + (IAQI_hi - IAQI_lo) x (C - BP_lo) / (BP_hi - BP_lo),  rounded *up* (§6.2)

is done as one integer ceil-division, so no floating-point ceiling error can occur (spec §0.2,
vector AQI-F1: CO 24-h 2.2 mg/m³ -> 55). At the native resolution of each item (integer µg/m³,
CO 0.1 mg/m³) the exact kernel is evaluated once for every representable concentration at import
time and stored as a lookup table, so an hourly AQI is a handful of array gathers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from functools import cached_property
from importlib import resources
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from lantian.standards.options import (
    DEFAULT_AQI_OPTIONS,
    AqiOptions,
    StandardChoice,
    StandardName,
)
from lantian.standards.rounding import MISSING, quantize, rescale

IaqiArray = npt.NDArray[np.int16]
FixedArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

HJ633_2026_EFFECTIVE: Final = date(2026, 3, 1)
"""HJ 633-2026 is in force from 2026-03-01 (spec §1.8)."""

LEVEL_UPPER_BOUNDS: Final = (50, 100, 150, 200, 300)
"""Upper AQI bound of levels 1..5; level 6 is everything above 300 (HJ 633-2012 Table 2)."""

AboveTopRule = Literal["cap", "use_item", "fixed"]


@dataclass(frozen=True, eq=False)
class IaqiTable:
    """One column of the breakpoint table (HJ 633-2012 Table 1 / HJ 633-2026 Table 3).

    ``breakpoints`` are exact concentrations (units of ``unit``); ``iaqi_points`` the IAQI at each
    breakpoint. ``above_top_rule`` says what happens strictly above the last breakpoint:
    ``"cap"`` -> the over-range IAQI (500, spec §1.3), ``"use_item"`` -> not computed here, the
    composer substitutes ``above_top_item`` (2012 notes 2 and 3), ``"fixed"`` -> ``above_top_iaqi``
    (2026 notes b and c).
    """

    item: str
    pollutant: str
    unit: str
    decimals: int
    breakpoints: tuple[Fraction, ...]
    iaqi_points: tuple[int, ...]
    above_top_rule: AboveTopRule
    above_top_item: str | None
    above_top_iaqi: int | None
    clause: str

    def breakpoints_fixed(self, decimals: int) -> FixedArray:
        """Breakpoints as fixed-point integers at ``decimals``; exact (all are whole numbers)."""
        scale = 10**decimals
        scaled = [bp * scale for bp in self.breakpoints]
        if any(s.denominator != 1 for s in scaled):
            raise ValueError(f"{self.item}: breakpoints not representable at {decimals} decimals")
        return np.array([int(s) for s in scaled], dtype=np.int64)

    def above_top_value(self, over_range_iaqi: int) -> int:
        """IAQI used strictly above the top breakpoint, or MISSING when another item substitutes."""
        if self.above_top_rule == "cap":
            return over_range_iaqi
        if self.above_top_rule == "fixed" and self.above_top_iaqi is not None:
            return self.above_top_iaqi
        return MISSING

    @cached_property
    def lookup(self) -> IaqiArray:
        """IAQI for every native fixed-point concentration, indexed by ``c + 1``.

        Entry 0 is MISSING (c = -1, and every negative index clips to it); the last entry is the
        above-top value (every larger index clips to it). Built with :func:`iaqi_exact`.
        """
        top = int(self.breakpoints_fixed(self.decimals)[-1])
        domain = np.arange(-1, top + 2, dtype=np.int64)
        values = iaqi_exact(self, domain, self.decimals, DEFAULT_AQI_OPTIONS.over_range_iaqi)
        return values.astype(np.int16)


@dataclass(frozen=True)
class LevelInfo:
    """One row of HJ 633-2012 Table 2 (表2) with Appendix A texts (unchanged in 2026)."""

    level: int
    aqi_max: int | None
    level_zh: str
    category_zh: str
    category_en: str
    colour_zh: str
    colour_en: str
    rgb: tuple[int, int, int]
    hex: str
    cmyk: tuple[int, int, int, int]
    health_effect_zh: str
    health_effect_en: str
    advice_zh: str
    advice_en: str


@dataclass(frozen=True, eq=False)
class AqiStandard:
    """A versioned HJ 633 reference table: items, indicator sets and reporting rules."""

    name: StandardName
    title: str
    effective_from: date
    source: str
    items: Mapping[str, IaqiTable]
    realtime_indicators: Mapping[str, str]
    daily_indicators: Mapping[str, str]
    reports_exceedance_pollutants: bool
    primary_threshold: int
    exceedance_threshold: int
    levels: tuple[LevelInfo, ...] = field(default_factory=tuple)


def _read_table(filename: str) -> dict[str, Any]:
    text = resources.files("lantian.standards.tables").joinpath(filename).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _levels() -> tuple[LevelInfo, ...]:
    rows = _read_table("levels.json")["levels"]
    return tuple(
        LevelInfo(
            level=int(r["level"]),
            aqi_max=None if r["aqi_max"] is None else int(r["aqi_max"]),
            level_zh=r["level_zh"],
            category_zh=r["category_zh"],
            category_en=r["category_en"],
            colour_zh=r["colour_zh"],
            colour_en=r["colour_en"],
            rgb=(int(r["rgb"][0]), int(r["rgb"][1]), int(r["rgb"][2])),
            hex=r["hex"],
            cmyk=(int(r["cmyk"][0]), int(r["cmyk"][1]), int(r["cmyk"][2]), int(r["cmyk"][3])),
            health_effect_zh=r["health_effect_zh"],
            health_effect_en=r["health_effect_en"],
            advice_zh=r["advice_zh"],
            advice_en=r["advice_en"],
        )
        for r in rows
    )


def _load_standard(filename: str) -> AqiStandard:
    data = _read_table(filename)
    points: list[int] = [int(p) for p in data["iaqi_points"]]
    items: dict[str, IaqiTable] = {}
    for key, spec in data["items"].items():
        bps = tuple(Fraction(b) for b in spec["breakpoints"])
        above = spec.get("above_top")
        rule: AboveTopRule = "cap" if above is None else above["rule"]
        items[key] = IaqiTable(
            item=key,
            pollutant=spec["pollutant"],
            unit=spec["unit"],
            decimals=int(spec["decimals"]),
            breakpoints=bps,
            iaqi_points=tuple(points[: len(bps)]),
            above_top_rule=rule,
            above_top_item=None if above is None else above.get("item"),
            above_top_iaqi=None if above is None or "iaqi" not in above else int(above["iaqi"]),
            clause=data["source"] if above is None else above["clause"],
        )
    name: StandardName = "hj633-2026" if data["id"] == "hj633-2026" else "hj633-2012"
    return AqiStandard(
        name=name,
        title=data["title"],
        effective_from=date.fromisoformat(data["effective_from"]),
        source=data["source"],
        items=items,
        realtime_indicators=dict(data["realtime_indicators"]),
        daily_indicators=dict(data["daily_indicators"]),
        reports_exceedance_pollutants=bool(data["exceedance_pollutants"]),
        primary_threshold=int(data["primary_threshold"]),
        exceedance_threshold=int(data["exceedance_threshold"]),
        levels=_levels(),
    )


HJ633_2012: Final = _load_standard("hj633_2012.json")
HJ633_2026: Final = _load_standard("hj633_2026.json")
STANDARDS: Final[Mapping[str, AqiStandard]] = {s.name: s for s in (HJ633_2012, HJ633_2026)}


def select_standard(choice: StandardChoice | AqiStandard, on: date | None = None) -> AqiStandard:
    """Pick the HJ 633 version: explicitly, or ``"auto"`` by the date the data refer to.

    HJ 633-2026 applies from 2026-03-01 (spec §1.8); earlier dates use HJ 633-2012. ``"auto"``
    needs ``on`` because this module has no clock.
    """
    if isinstance(choice, AqiStandard):
        return choice
    if choice == "auto":
        if on is None:
            raise ValueError("standard 'auto' needs the date of the data")
        return HJ633_2026 if on >= HJ633_2026_EFFECTIVE else HJ633_2012
    try:
        return STANDARDS[choice]
    except KeyError:
        raise ValueError(f"unknown AQI standard {choice!r}") from None


# --- sub-index kernels -------------------------------------------------------------------------


def iaqi_exact(
    table: IaqiTable,
    concentration_fixed: npt.ArrayLike,
    decimals: int,
    over_range_iaqi: int = 500,
) -> IaqiArray:
    """Exact IAQI of fixed-point concentrations at any resolution (HJ 633-2012 §6.1 formula (1)).

    Integer arithmetic throughout: the breakpoints are scaled to ``decimals`` and the interpolation
    term is an integer ceil-division (round *up*, HJ 633-2012 §6.2; HJ 633-2026 §4.2.6). A value on
    a breakpoint uses the lower segment (spec §1.2). Negative values (MISSING) give MISSING; above
    the top breakpoint the item's above-top rule applies (spec §1.3, Table 1 notes).
    """
    c = np.asarray(concentration_fixed, dtype=np.int64)
    bp = table.breakpoints_fixed(decimals)
    pts = np.asarray(table.iaqi_points, dtype=np.int64)
    upper = np.clip(np.searchsorted(bp, c, side="left"), 1, len(bp) - 1)
    lower = upper - 1
    numerator = (pts[upper] - pts[lower]) * (c - bp[lower])
    denominator = bp[upper] - bp[lower]
    value = pts[lower] - ((-numerator) // denominator)  # ceil(a / b) == -((-a) // b) for b > 0
    value = np.where(c > bp[-1], table.above_top_value(over_range_iaqi), value)
    value = np.where(c < 0, MISSING, value)
    return value.astype(np.int16)


def iaqi_lookup(table: IaqiTable, concentration_fixed: npt.NDArray[np.integer[Any]]) -> IaqiArray:
    """IAQI of native fixed-point concentrations by table lookup (same numbers as :func:`iaqi_exact`).

    ``concentration_fixed`` must be at ``table.decimals``; negative = missing. One add and one
    clipped gather per value (HJ 633-2012 §6.1-6.2).
    """
    return np.take(table.lookup, concentration_fixed + 1, mode="clip")


def iaqi(
    item: str,
    concentration: npt.ArrayLike,
    standard: StandardChoice | AqiStandard = "hj633-2012",
    options: AqiOptions = DEFAULT_AQI_OPTIONS,
    on: date | None = None,
) -> IaqiArray:
    """IAQI of concentrations given in natural units (µg/m³; CO mg/m³), NaN = missing.

    With ``options.round_before_iaqi`` (spec §0.2 default; HJ 633-2026 §4.2.2) the value is first
    rounded per GB/T 8170 to the item's reporting resolution; otherwise it is kept to
    ``fine_decimals`` more decimals (a float is read as the decimal it represents). Items and
    breakpoints: HJ 633-2012 Table 1 / HJ 633-2026 Table 3.
    """
    table = select_standard(standard, on).items[item]
    if options.round_before_iaqi:
        fixed = quantize(concentration, table.decimals)
        if options.over_range_iaqi == DEFAULT_AQI_OPTIONS.over_range_iaqi:
            return iaqi_lookup(table, fixed)
        return iaqi_exact(table, fixed, table.decimals, options.over_range_iaqi)
    decimals = table.decimals + options.fine_decimals
    return iaqi_exact(table, quantize(concentration, decimals), decimals, options.over_range_iaqi)


def is_over_range(table: IaqiTable, concentration_fixed: npt.ArrayLike, decimals: int) -> BoolArray:
    """True where the concentration is above the top breakpoint of a capped item (spec §1.3)."""
    if table.above_top_rule != "cap":
        return np.zeros(np.shape(concentration_fixed), dtype=np.bool_)
    top = table.breakpoints_fixed(decimals)[-1]
    return np.asarray(np.asarray(concentration_fixed) > top, dtype=np.bool_)


# --- AQI, level, primary and exceedance pollutants ---------------------------------------------


def aqi_level(aqi_values: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """AQI level 1..6 (HJ 633-2012 Table 2); 0 where the AQI is missing."""
    a = np.asarray(aqi_values)
    level = np.searchsorted(np.asarray(LEVEL_UPPER_BOUNDS), a, side="left") + 1
    return np.where(a >= 0, level, 0).astype(np.int8)


def level_info(level: int, standard: AqiStandard = HJ633_2012) -> LevelInfo:
    """Category, colour and health advice (zh/en) of an AQI level (HJ 633-2012 Table 2, App. A)."""
    if not 1 <= level <= len(standard.levels):
        raise ValueError(f"AQI level must be 1..6, got {level}")
    return standard.levels[level - 1]


def pollutant_of(indicator: str) -> str:
    """Pollutant of an indicator key (``O3_1H`` and ``O3_8H`` are both ``O3``)."""
    return indicator.split("_", 1)[0]


@dataclass(frozen=True, eq=False)
class AqiResult:
    """Sub-indices, AQI and derived fields for an array of station-hours or station-days.

    ``iaqi`` maps each indicator (e.g. ``"PM25"``, ``"O3_8H"``) to an int16 array, MISSING = -1.
    ``aqi`` is the maximum of the available sub-indices (HJ 633-2012 §6.1 formula (2)); MISSING
    where no indicator is available. ``missing`` lists per indicator where it was absent, which the
    report must state (HJ 633-2012 §5.1.1 table notes).
    """

    standard: AqiStandard
    indicators: tuple[str, ...]
    iaqi: Mapping[str, IaqiArray]
    over_range: Mapping[str, BoolArray]
    aqi: IaqiArray

    @cached_property
    def level(self) -> npt.NDArray[np.int8]:
        """AQI level 1..6, 0 where missing (HJ 633-2012 Table 2)."""
        return aqi_level(self.aqi)

    @cached_property
    def primary_mask(self) -> npt.NDArray[np.uint16]:
        """Bit i set where indicator i is primary: IAQI == AQI and AQI > 50, ties all set.

        HJ 633-2012 §3.5 and §6.2 (首要污染物): only when AQI > 50; tied pollutants are all primary.
        """
        mask = np.zeros(self.aqi.shape, dtype=np.uint16)
        relevant = self.aqi > self.standard.primary_threshold
        for bit, name in enumerate(self.indicators):
            hit = relevant & (self.iaqi[name] == self.aqi)
            mask |= hit.astype(np.uint16) << np.uint16(bit)
        return mask

    @cached_property
    def exceedance_mask(self) -> npt.NDArray[np.uint16]:
        """Bit i set where indicator i has IAQI > 100 (超标污染物, HJ 633-2012 §3.6).

        HJ 633-2026 removed the definition; under that version the mask is all zero.
        """
        mask = np.zeros(self.aqi.shape, dtype=np.uint16)
        if not self.standard.reports_exceedance_pollutants:
            return mask
        for bit, name in enumerate(self.indicators):
            hit = self.iaqi[name] > self.standard.exceedance_threshold
            mask |= hit.astype(np.uint16) << np.uint16(bit)
        return mask

    @cached_property
    def over_range_mask(self) -> npt.NDArray[np.uint16]:
        """Bit i set where indicator i is above its top breakpoint and capped (spec §1.3, 爆表)."""
        mask = np.zeros(self.aqi.shape, dtype=np.uint16)
        for bit, name in enumerate(self.indicators):
            flags = self.over_range.get(name)
            if flags is not None:
                mask |= flags.astype(np.uint16) << np.uint16(bit)
        return mask

    def indicators_in(self, mask: int) -> list[str]:
        """Indicator names whose bits are set in one mask value."""
        return [name for bit, name in enumerate(self.indicators) if mask >> bit & 1]

    def pollutants_in(self, mask: int) -> list[str]:
        """Pollutant names in one mask value, each once (O3 1-h and 8-h report as ``O3``)."""
        names: list[str] = []
        for indicator in self.indicators_in(mask):
            pollutant = pollutant_of(indicator)
            if pollutant not in names:
                names.append(pollutant)
        return names

    def primary_labels(self, separator: str = ",") -> list[str]:
        """Primary pollutants per row as text ('' where none), via the distinct mask values."""
        return _labels(self.primary_mask, self.pollutants_in, separator)

    def exceedance_labels(self, separator: str = ",") -> list[str]:
        """Exceedance pollutants per row as text ('' where none)."""
        return _labels(self.exceedance_mask, self.pollutants_in, separator)

    def over_range_labels(self, separator: str = ",") -> list[str]:
        """Indicators above their top breakpoint per row as text ('' where none)."""
        return _labels(self.over_range_mask, self.indicators_in, separator)


def _labels(mask: npt.NDArray[np.uint16], names: Any, separator: str) -> list[str]:
    uniques, inverse = np.unique(mask, return_inverse=True)
    texts = np.array([separator.join(names(int(u))) for u in uniques], dtype=object)
    out: list[str] = texts[inverse.reshape(-1)].tolist()
    return out


def _max_of(arrays: list[IaqiArray], shape: tuple[int, ...]) -> IaqiArray:
    result = np.full(shape, MISSING, dtype=np.int16)
    for arr in arrays:
        np.maximum(result, arr, out=result)
    return result


def _as_fixed(values: npt.ArrayLike) -> npt.NDArray[np.integer[Any]]:
    arr = np.asarray(values)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError("fixed-point kernels take integer arrays; use quantize() first")
    return arr


def realtime_aqi_fixed(
    concentrations: Mapping[str, npt.ArrayLike],
    standard: StandardChoice | AqiStandard = "hj633-2012",
    options: AqiOptions = DEFAULT_AQI_OPTIONS,
    on: date | None = None,
) -> AqiResult:
    """Real-time (hourly) AQI from native fixed-point concentrations (HJ 633-2012 §5.1.3).

    Keys: ``SO2, NO2, CO, O3, PM10, PM25`` = 1-h values (CO in 0.1 mg/m³, others in µg/m³);
    optional ``SO2_24H, PM10_24H, PM25_24H`` = 24-h moving means ending at the hour and ``O3_8H``
    = the 8-h moving mean. Absent keys are treated as missing. Defaults (spec §1.5): the six 1-h
    indicators, PM 1-h values against the 24-h breakpoints, SO2 1-h > 800 replaced by the SO2 24-h
    moving IAQI (2012, Table 1 note 2) or IAQI 200 (2026, Table 3 note b).
    """
    std = select_standard(standard, on)
    arrays = {k: _as_fixed(v) for k, v in concentrations.items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else (0,)

    def get(key: str) -> npt.NDArray[np.integer[Any]]:
        found = arrays.get(key)
        return np.full(shape, MISSING, dtype=np.int64) if found is None else found

    inputs: dict[str, tuple[str, npt.NDArray[np.integer[Any]]]] = {
        "SO2": ("SO2_1H", get("SO2")),
        "NO2": ("NO2_1H", get("NO2")),
        "CO": ("CO_1H", get("CO")),
        "O3": ("O3_1H", get("O3")),
    }
    if options.realtime_pm_basis == "1h":
        inputs["PM10"] = ("PM10_24H", get("PM10"))
        inputs["PM25"] = ("PM25_24H", get("PM25"))
    else:
        inputs["PM10"] = ("PM10_24H", get("PM10_24H"))
        inputs["PM25"] = ("PM25_24H", get("PM25_24H"))
    if options.realtime_include_o3_8h:
        inputs["O3_8H"] = ("O3_8H", get("O3_8H"))

    sub: dict[str, IaqiArray] = {}
    over: dict[str, BoolArray] = {}
    for indicator, (item, conc) in inputs.items():
        table = std.items[item]
        sub[indicator] = iaqi_lookup(table, conc)
        over[indicator] = is_over_range(table, conc, table.decimals)

    so2_table = std.items["SO2_1H"]
    if so2_table.above_top_rule == "use_item" and options.realtime_so2_substitute == "24h_moving":
        above = get("SO2") > so2_table.breakpoints_fixed(0)[-1]
        if "SO2_24H" in arrays and bool(above.any()):
            substitute = iaqi_lookup(std.items["SO2_24H"], get("SO2_24H"))
            sub["SO2"] = np.where(above, substitute, sub["SO2"]).astype(np.int16)
    if "O3_8H" in sub:
        sub["O3_8H"] = _substitute_o3_8h(std, get("O3_8H"), sub["O3_8H"], sub["O3"])

    indicators = tuple(inputs)
    aqi = _max_of([sub[i] for i in indicators], shape)
    return AqiResult(std, indicators, sub, over, aqi)


def _substitute_o3_8h(
    std: AqiStandard,
    o3_8h: npt.NDArray[np.integer[Any]],
    iaqi_8h: IaqiArray,
    iaqi_1h: IaqiArray,
) -> IaqiArray:
    """HJ 633-2012 Table 1 note 3: O3 8-h > 800 -> report the O3 1-h IAQI instead."""
    table = std.items["O3_8H"]
    if table.above_top_rule != "use_item":
        return iaqi_8h
    above = o3_8h > table.breakpoints_fixed(0)[-1]
    return np.where(above, iaqi_1h, iaqi_8h).astype(np.int16)


def daily_aqi_fixed(
    concentrations: Mapping[str, npt.ArrayLike],
    standard: StandardChoice | AqiStandard = "hj633-2012",
    options: AqiOptions = DEFAULT_AQI_OPTIONS,
    on: date | None = None,
) -> AqiResult:
    """Daily AQI from native fixed-point daily statistics (HJ 633-2012 §5.1.2; 2026 §4.2.5).

    Keys: ``SO2, NO2, PM10, CO, PM25`` = 24-h means; ``O3_1H`` = daily max 1-h O3;
    ``O3_8H`` = daily max 8-h moving mean. HJ 633-2012 uses 7 indicators (O3 1-h max included) and
    replaces an O3 8-h value > 800 by the O3 1-h IAQI (Table 1 note 3); HJ 633-2026 uses 6 and
    gives O3 8-h > 800 the IAQI 300 (Table 3 note c).
    """
    del options  # the daily report has no open choices beyond rounding, done by the caller
    std = select_standard(standard, on)
    arrays = {k: _as_fixed(v) for k, v in concentrations.items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else (0,)

    def get(key: str) -> npt.NDArray[np.integer[Any]]:
        found = arrays.get(key)
        return np.full(shape, MISSING, dtype=np.int64) if found is None else found

    sub: dict[str, IaqiArray] = {}
    over: dict[str, BoolArray] = {}
    for indicator, item in std.daily_indicators.items():
        table = std.items[item]
        conc = get(indicator)
        sub[indicator] = iaqi_lookup(table, conc)
        over[indicator] = is_over_range(table, conc, table.decimals)
    if "O3_8H" in sub:
        o3_1h = iaqi_lookup(std.items["O3_1H"], get("O3_1H"))
        sub["O3_8H"] = _substitute_o3_8h(std, get("O3_8H"), sub["O3_8H"], o3_1h)
    indicators = tuple(std.daily_indicators)
    aqi = _max_of([sub[i] for i in indicators], shape)
    return AqiResult(std, indicators, sub, over, aqi)


_INDICATOR_DECIMALS: Final = {"CO": 1}


def indicator_decimals(indicator: str) -> int:
    """Reporting decimals of an indicator key: CO one decimal, all others integers (spec §0.2)."""
    return _INDICATOR_DECIMALS.get(pollutant_of(indicator), 0)


def quantize_inputs(
    concentrations: Mapping[str, npt.ArrayLike], options: AqiOptions = DEFAULT_AQI_OPTIONS
) -> dict[str, FixedArray]:
    """Round natural-unit inputs to fixed point per GB/T 8170 (spec §0.2 step 3)."""
    if not options.round_before_iaqi:
        raise ValueError(
            "the composed AQI works at reporting resolution; use iaqi() for fine input"
        )
    return {k: quantize(v, indicator_decimals(k)) for k, v in concentrations.items()}


def realtime_aqi(
    concentrations: Mapping[str, npt.ArrayLike],
    standard: StandardChoice | AqiStandard = "hj633-2012",
    options: AqiOptions = DEFAULT_AQI_OPTIONS,
    on: date | None = None,
) -> AqiResult:
    """Real-time AQI from natural-unit concentrations (NaN = missing); see :func:`realtime_aqi_fixed`."""
    return realtime_aqi_fixed(quantize_inputs(concentrations, options), standard, options, on)


def daily_aqi(
    concentrations: Mapping[str, npt.ArrayLike],
    standard: StandardChoice | AqiStandard = "hj633-2012",
    options: AqiOptions = DEFAULT_AQI_OPTIONS,
    on: date | None = None,
) -> AqiResult:
    """Daily AQI from natural-unit daily statistics (NaN = missing); see :func:`daily_aqi_fixed`."""
    return daily_aqi_fixed(quantize_inputs(concentrations, options), standard, options, on)


__all__ = [
    "HJ633_2012",
    "HJ633_2026",
    "MISSING",
    "AqiResult",
    "AqiStandard",
    "IaqiTable",
    "LevelInfo",
    "aqi_level",
    "daily_aqi",
    "daily_aqi_fixed",
    "iaqi",
    "iaqi_exact",
    "iaqi_lookup",
    "indicator_decimals",
    "is_over_range",
    "level_info",
    "pollutant_of",
    "quantize_inputs",
    "realtime_aqi",
    "realtime_aqi_fixed",
    "rescale",
    "select_standard",
]
