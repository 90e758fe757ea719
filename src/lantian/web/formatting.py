"""Template filters: numbers and pollutant names as people read them."""

from __future__ import annotations

from fractions import Fraction

#: Indicator keys of the standards kernels → how pages write them.
POLLUTANT_LABELS = {
    "PM25": "PM2.5",
    "PM10": "PM10",
    "SO2": "SO2",
    "NO2": "NO2",
    "CO": "CO",
    "O3": "O3",
    "O3_1H": "O3",
    "O3_8H": "O3(8h)",
    "pm2_5": "PM2.5",
    "pm10": "PM10",
    "so2": "SO2",
    "no2": "NO2",
    "co": "CO",
    "o3": "O3",
}


def pollutant_label(key: str) -> str:
    return POLLUTANT_LABELS.get(key, key)


def format_number(value: float | Fraction | None, decimals: int = 0) -> str:
    """A concentration for a table cell: fixed decimals, "—" when missing."""
    if value is None:
        return "—"
    return f"{float(value):,.{decimals}f}"
