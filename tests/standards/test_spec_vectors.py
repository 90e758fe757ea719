"""All AQI, rounding, percentile and O3 validity test vectors of spec/standards.md §10.

The vectors are transcribed below (no YAML parser in the environment); a guard test checks that
every id present in the spec's AQI sections is transcribed, so the two cannot drift apart.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from lantian.standards.aqi import (
    HJ633_2012,
    aqi_level,
    daily_aqi,
    iaqi,
    level_info,
    realtime_aqi,
)
from lantian.standards.assessment import percentile
from lantian.standards.rounding import round_gbt8170
from lantian.standards.validity import o3_daily_max_8h

# (id, item, concentration, expected IAQI or None, over_range)
AQI_IAQI: list[tuple[str, str, float, int | None, bool]] = [
    ("AQI-01", "PM25_24H", 35, 50, False),
    ("AQI-02", "PM25_24H", 36, 52, False),
    ("AQI-03", "PM25_24H", 75, 100, False),
    ("AQI-04", "PM25_24H", 76, 102, False),
    ("AQI-05", "PM25_24H", 115, 150, False),
    ("AQI-06", "PM25_24H", 151, 201, False),
    ("AQI-07", "PM25_24H", 250, 300, False),
    ("AQI-08", "PM25_24H", 500, 500, False),
    ("AQI-09", "PM25_24H", 501, 500, True),
    ("AQI-10", "PM10_24H", 151, 101, False),
    ("AQI-11", "PM10_24H", 600, 500, False),
    ("AQI-12", "SO2_1H", 800, 200, False),
    ("AQI-13", "SO2_1H", 801, None, False),
    ("AQI-14", "SO2_24H", 801, 201, False),
    ("AQI-15", "O3_8H", 800, 300, False),
    ("AQI-16", "O3_8H", 801, None, False),
    ("AQI-17", "O3_1H", 801, 301, False),
    ("AQI-18", "CO_24H", 2.5, 63, False),
    ("AQI-F1", "CO_24H", 2.2, 55, False),
    ("AQI-F2", "CO_1H", 65.4, 218, False),
    ("AQI-19", "CO_1H", 10.1, 101, False),
    ("AQI-20", "NO2_1H", 250, 105, False),
    ("AQI-21", "NO2_24H", 81, 101, False),
    ("AQI-22", "O3_8H", 161, 101, False),
    ("AQI-23", "O3_1H", 201, 101, False),
    ("AQI-24", "PM25_24H", 0, 0, False),
    ("AQI-25", "PM25_24H", -1, None, False),
]

DAILY: list[dict[str, Any]] = [
    {
        "id": "DAY-01",
        "input": {
            "SO2": 15,
            "NO2": 48,
            "PM10": 160,
            "CO": 1.6,
            "O3_1H": 60,
            "O3_8H": 32,
            "PM25": 115,
        },
        "iaqi": {
            "SO2": 15,
            "NO2": 60,
            "PM10": 105,
            "CO": 40,
            "O3_1H": 19,
            "O3_8H": 16,
            "PM25": 150,
        },
        "aqi": 150,
        "level": 3,
        "category": "轻度污染",
        "primary": ["PM25"],
        "exceeding": ["PM10", "PM25"],
    },
    {
        "id": "DAY-02",
        "input": {
            "SO2": 10,
            "NO2": 30,
            "PM10": 150,
            "CO": 0.8,
            "O3_1H": 90,
            "O3_8H": 70,
            "PM25": 75,
        },
        "aqi": 100,
        "level": 2,
        "category": "良",
        "primary": ["PM10", "PM25"],
        "exceeding": [],
    },
    {
        "id": "DAY-03",
        "input": {
            "SO2": 8,
            "NO2": 20,
            "PM10": 40,
            "CO": 0.5,
            "O3_1H": 150,
            "O3_8H": 99,
            "PM25": 30,
        },
        "iaqi": {"O3_8H": 50, "O3_1H": 47, "PM25": 43},
        "aqi": 50,
        "level": 1,
        "category": "优",
        "primary": [],
        "exceeding": [],
    },
    {
        "id": "DAY-04",
        "input": {
            "SO2": 30,
            "NO2": 90,
            "PM10": 330,
            "CO": 3.1,
            "O3_1H": 40,
            "O3_8H": 25,
            "PM25": 251,
        },
        "iaqi": {"NO2": 105, "PM10": 190, "CO": 78, "PM25": 301},
        "aqi": 301,
        "level": 6,
        "category": "严重污染",
        "rgb": (126, 0, 35),
        "primary": ["PM25"],
        "exceeding": ["NO2", "PM10", "PM25"],
    },
    {
        "id": "DAY-05",
        "input": {
            "SO2": 10,
            "NO2": 20,
            "PM10": 50,
            "CO": 0.5,
            "O3_1H": 820,
            "O3_8H": 805,
            "PM25": 30,
        },
        "iaqi": {"O3_1H": 310, "O3_8H": 310},
        "aqi": 310,
        "level": 6,
        "primary_indicators": ["O3_1H", "O3_8H"],
        "primary": ["O3"],
    },
]

REALTIME: list[dict[str, Any]] = [
    {
        "id": "RT-01",
        "input": {
            "SO2": 850,
            "SO2_24H": 420,
            "NO2": 120,
            "CO": 1.2,
            "O3": 30,
            "PM10": 140,
            "PM25": 96,
        },
        "iaqi": {"SO2": 142, "NO2": 60, "CO": 12, "O3": 10, "PM10": 95, "PM25": 127},
        "aqi": 142,
        "primary": ["SO2"],
    },
    {
        "id": "RT-02",
        "input": {"SO2": 20, "NO2": 60, "CO": 0.9, "O3": 180, "PM10": 80, "PM25": 40},
        "iaqi": {"SO2": 7, "NO2": 30, "CO": 9, "O3": 75, "PM10": 65, "PM25": 57},
        "aqi": 75,
        "level": 2,
        "primary": ["O3"],
    },
]

ROUNDING = [
    ("34.5", 0, "34"),
    ("35.5", 0, "36"),
    ("34.51", 0, "35"),
    ("74.5", 0, "74"),
    ("75.5", 0, "76"),
    ("2.25", 1, "2.2"),
    ("2.35", 1, "2.4"),
    ("2.351", 1, "2.4"),
]

PERCENTILES: list[tuple[list[float], float, float]] = [
    ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 95, 95.5),
    ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90, 91),
    ([100, 20, 30], 50, 30),
    ([42], 98, 42),
]

MDA8_01 = [
    60,
    55,
    50,
    45,
    40,
    38,
    40,
    50,
    70,
    95,
    120,
    150,
    175,
    190,
    200,
    205,
    198,
    180,
    150,
    120,
    100,
    85,
    75,
    70,
]
MDA8_02: list[int | None] = [
    60,
    55,
    50,
    45,
    40,
    38,
    40,
    50,
    70,
    95,
    120,
    150,
    None,
    None,
    None,
    205,
    198,
    180,
    150,
    120,
    100,
    85,
    75,
    70,
]


def _section(spec_text: str, name: str) -> str:
    match = re.search(rf"^{name}:.*?(?=^\S)", spec_text + "\nend:", re.M | re.S)
    assert match, f"section {name} not in the spec"
    return match.group(0)


def test_every_aqi_vector_of_the_spec_is_transcribed(spec_text: str) -> None:
    ids = set(re.findall(r"id: ((?:AQI|DAY|RT|MDA8)-\w+)", spec_text))
    transcribed = {v[0] for v in AQI_IAQI} | {d["id"] for d in DAILY + REALTIME}
    transcribed |= {"MDA8-01", "MDA8-02"}
    assert ids == transcribed
    rounding = _section(spec_text, "rounding_gbt8170")
    assert len(re.findall(r"\{x:", rounding)) == len(ROUNDING)
    percentiles = _section(spec_text, "percentile_hj663")
    assert len(re.findall(r"\{values:", percentiles)) == len(PERCENTILES)


def test_transcribed_iaqi_vectors_match_the_spec_text(spec_text: str) -> None:
    for vector_id, item, conc, expect, _ in AQI_IAQI:
        line = re.search(rf"id: {vector_id}, item: (\w+), +c: ([-\d.]+), +expect: (\w+)", spec_text)
        assert line, vector_id
        assert line.group(1) == item
        assert Decimal(line.group(2)) == Decimal(str(conc))
        assert line.group(3) == ("null" if expect is None else str(expect))


@pytest.mark.parametrize(("vector_id", "item", "conc", "expect", "over"), AQI_IAQI)
def test_iaqi_vector(
    vector_id: str, item: str, conc: float, expect: int | None, over: bool
) -> None:
    value = int(iaqi(item, [conc], "hj633-2012")[0])
    assert value == (-1 if expect is None else expect), vector_id
    from lantian.standards.aqi import is_over_range
    from lantian.standards.rounding import quantize

    table = HJ633_2012.items[item]
    flagged = bool(is_over_range(table, quantize([conc], table.decimals), table.decimals)[0])
    assert flagged == over, vector_id


def test_float_pitfall_vectors_really_are_pitfalls() -> None:
    # AQI-F1 / AQI-F2: show that the naive float formula would fail (so the test can fail).
    naive_f1 = math.ceil((100 - 50) / (4 - 2) * (2.2 - 2) + 50)
    naive_f2 = math.ceil((300 - 200) / (90 - 60) * (65.4 - 60) + 200)
    assert (naive_f1, naive_f2) == (56, 219)
    assert iaqi("CO_24H", [2.2])[0] == 55
    assert iaqi("CO_1H", [65.4])[0] == 218


@pytest.mark.parametrize("vector", DAILY, ids=[d["id"] for d in DAILY])
def test_daily_vector(vector: dict[str, Any]) -> None:
    inputs = {k: [v] for k, v in vector["input"].items()}
    result = daily_aqi(inputs, "hj633-2012")
    assert result.indicators == ("SO2", "NO2", "PM10", "CO", "O3_1H", "O3_8H", "PM25")
    for name, expect in vector.get("iaqi", {}).items():
        assert int(result.iaqi[name][0]) == expect, name
    assert int(result.aqi[0]) == vector["aqi"]
    level = int(result.level[0])
    assert level == vector["level"]
    if "category" in vector:
        assert level_info(level).category_zh == vector["category"]
    if "rgb" in vector:
        assert level_info(level).rgb == vector["rgb"]
    mask = int(result.primary_mask[0])
    assert result.pollutants_in(mask) == vector["primary"]
    if "primary_indicators" in vector:
        assert result.indicators_in(mask) == vector["primary_indicators"]
    if "exceeding" in vector:
        assert result.pollutants_in(int(result.exceedance_mask[0])) == vector["exceeding"]


@pytest.mark.parametrize("vector", REALTIME, ids=[d["id"] for d in REALTIME])
def test_realtime_vector(vector: dict[str, Any]) -> None:
    inputs = {k: [v] for k, v in vector["input"].items()}
    result = realtime_aqi(inputs, "hj633-2012")
    assert result.indicators == ("SO2", "NO2", "CO", "O3", "PM10", "PM25")
    for name, expect in vector["iaqi"].items():
        assert int(result.iaqi[name][0]) == expect, name
    assert int(result.aqi[0]) == vector["aqi"]
    if "level" in vector:
        assert int(aqi_level(result.aqi)[0]) == vector["level"]
    assert result.primary_labels() == [",".join(vector["primary"])]


@pytest.mark.parametrize(("x", "digits", "expect"), ROUNDING)
def test_gbt8170_vector(x: str, digits: int, expect: str) -> None:
    assert round_gbt8170(x, digits) == Decimal(expect)
    from lantian.standards.rounding import quantize

    assert int(quantize([float(x)], digits)[0]) == int(Decimal(expect).scaleb(digits))


@pytest.mark.parametrize(("values", "p", "expect"), PERCENTILES)
def test_percentile_vector(values: list[float], p: float, expect: float) -> None:
    assert percentile(values, p) == pytest.approx(expect, abs=1e-12)


def test_mda8_01() -> None:
    result = o3_daily_max_8h(np.array(MDA8_01)[:, None])
    assert result.windows.exact()[0, 0, 0] == pytest.approx(47.25)
    assert result.exact_max[0, 0] == pytest.approx(181.0)
    assert int(result.valid_windows[0, 0]) == 17
    assert int(result.value[0, 0]) == 181
    best = int(np.argmax(result.windows.exact()[0, :, 0]))
    assert best + 8 == 19  # window labels 12..19 end at label 19
    assert int(iaqi("O3_8H", [181])[0]) == 120


def test_mda8_02_invalid_day() -> None:
    hourly = np.array([-1 if v is None else v for v in MDA8_02])[:, None]
    result = o3_daily_max_8h(hourly)
    assert result.exact_max[0, 0] == pytest.approx(158.8333, abs=1e-4)
    assert int(result.rounded[0, 0]) == 159
    assert int(result.valid_windows[0, 0]) == 11
    assert not bool(result.valid[0, 0])
    assert int(result.value[0, 0]) == -1
