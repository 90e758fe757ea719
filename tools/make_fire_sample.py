"""Write the demo's satellite fire points: a CSV in the NASA FIRMS layout (示例数据, task 34).

    .venv/bin/python tools/make_fire_sample.py src/lantian/sources/data/fire_points_firms_sample.csv

Seeded, so the file is the same on every run: VIIRS (Suomi NPP, about 13:30 local time, 05:xx UTC)
and MODIS (Aqua, Terra) detections over Xinmi's farmland in the 2017 autumn harvest (9-25 … 11-05),
a few of them outside the county (they are reported as outside, not filed). Made up for the demo,
not real detections: the first line says so (the import finds the header below it).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from random import Random

HEADER = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
    "confidence,version,bright_ti5,frp,daynight"
)
#: Farmland around which the made-up points cluster (lon, lat).
FIELDS = (
    (113.47, 34.60),
    (113.55, 34.47),
    (113.27, 34.56),
    (113.43, 34.45),
    (113.60, 34.55),
    (113.33, 34.60),
)
#: Outside Xinmi: 登封 (west) and 新郑 (east).
OUTSIDE = ((113.05, 34.47), (113.78, 34.40))


def rows(rng: Random) -> list[str]:
    out = []
    for number in range(40):
        day = date(2017, 9, 25) + timedelta(days=rng.randint(0, 41))
        lon, lat = OUTSIDE[number % 2] if number % 13 == 12 else rng.choice(FIELDS)
        viirs = rng.random() < 0.7
        hhmm = f"{5 if viirs else rng.choice((2, 3))}{rng.randint(0, 59):02d}"
        satellite, instrument = (
            ("N", "VIIRS") if viirs else (rng.choice(("Aqua", "Terra")), "MODIS")
        )
        confidence = rng.choice(("n", "n", "h", "l")) if viirs else str(rng.randint(30, 95))
        out.append(
            f"{lat + rng.uniform(-0.02, 0.02):.5f},{lon + rng.uniform(-0.03, 0.03):.5f},"
            f"{rng.uniform(310, 367):.2f},0.39,0.36,{day},{hhmm.zfill(4)},{satellite},{instrument},"
            f"{confidence},2.0NRT,{rng.uniform(280, 300):.2f},{rng.uniform(0.8, 12):.2f},D"
        )
    return out


def main() -> None:
    target = Path(sys.argv[1])
    lines = [
        "# 示例数据（非真实卫星火点）/ sample data, not real detections — NASA FIRMS VIIRS/MODIS layout",
        HEADER,
        *rows(Random("lantian:fire_points:2017")),  # noqa: S311 — seeded randomness for a reproducible sample file; nothing secret
    ]
    target.write_text("\n".join(lines) + "\n", "utf-8")


if __name__ == "__main__":
    main()
