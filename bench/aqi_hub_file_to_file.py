"""Baseline for ``bench/aqi_bench.py``: the file-to-file job done with aqi-hub, end to end.

Run: python bench/aqi_hub_file_to_file.py OUT.csv china_sites_*.csv

What a user of aqi-hub (PyPI ``aqi_hub``, which has no file reader or writer) would write for the
job ``lantian aqi`` does: read each national file with the standard ``csv`` module, turn its
(hour, type) rows into station-hours, call ``cal_aqi_cn(..., "hourly")`` on each station-hour
with any of the six 1-h concentrations, add the primary pollutants and the level
(``cal_primary_pollutant``, ``get_aqi_level``) and write one CSV row per station-hour: station,
time, the six concentrations, the six IAQIs, AQI, primary pollutants, level. One process, one
file at a time (memory flat), as a plain script would. Warnings aqi-hub prints for missing
values are silenced (they would otherwise dominate the time).
"""

from __future__ import annotations

import csv
import sys
import warnings
from pathlib import Path

from aqi_hub.aqi_cn.aqi import cal_aqi_cn, cal_primary_pollutant, get_aqi_level

POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")
"""The argument order of ``cal_aqi_cn``."""


def number(cell: str) -> float | None:
    return float(cell) if cell else None


def convert(paths: list[Path], out: Path) -> int:
    rows = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "station",
                "time",
                *POLLUTANTS,
                *(f"iaqi_{p}" for p in POLLUTANTS),
                "aqi",
                "primary",
                "level",
            ]
        )
        for path in paths:
            with path.open(newline="", encoding="utf-8-sig") as source:
                reader = csv.reader(source)
                header = next(reader)
                stations = header[3:]
                # (date, hour) -> type -> cells of every station
                hours: dict[tuple[str, str], dict[str, list[str]]] = {}
                for row in reader:
                    if len(row) >= 3 and row[2] in POLLUTANTS:
                        hours.setdefault((row[0], row[1]), {})[row[2]] = row[3:]
            for (day, hour), by_type in hours.items():
                time = f"{day[:4]}-{day[4:6]}-{day[6:8]}T{int(hour):02d}:00+08:00"
                columns = [by_type.get(p, []) for p in POLLUTANTS]
                for s, station in enumerate(stations):
                    values = [number(c[s]) if s < len(c) else None for c in columns]
                    if all(v is None for v in values):
                        continue
                    aqi, iaqi = cal_aqi_cn(*values, data_type="hourly")
                    writer.writerow(
                        [
                            station,
                            time,
                            *("" if v is None else v for v in values),
                            *("" if iaqi[p] is None else iaqi[p] for p in POLLUTANTS),
                            "" if aqi is None else aqi,
                            ",".join(cal_primary_pollutant(iaqi)),
                            "" if aqi is None else get_aqi_level(aqi),
                        ]
                    )
                    rows += 1
    return rows


def main() -> None:
    out, *files = sys.argv[1:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = convert([Path(f) for f in files], Path(out))
    print(f"{rows} station-hours written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
