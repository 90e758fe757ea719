"""Write the default plan's ``townships.geojson``: approximate township polygons of Xinmi (task 34).

    .venv/bin/python tools/make_townships.py /work/shared/data/geo/410100_full.json \
        src/lantian/plan/default/xinmi-2017-2018/townships.geojson

No township boundary of Xinmi is available (../shared/data/PROVENANCE.md §4: only the county
outline). The polygons are therefore the cells of the township seats below (the part of the county
nearer to a seat than to any other) clipped to the county outline of ``410100_full.json``
(:func:`lantian.plan.cells.seat_cells`), every feature marked ``"approximate": true``.

The seats' coordinates are ESTIMATES: no public list of the seats' coordinates was found in the
indexed repositories or pages (one commented-out list gave 超化镇 at 113.408 E, 34.449 N, which
agrees with the estimate below; its other rows were wrong). They were placed from general
geographic knowledge of Xinmi — the urban sub-districts around the city centre (113.38 E, 34.54 N),
城关镇 around them, 曲梁/白寨 north-east toward Zhengzhou, 大隗/苟堂 south-east, 超化 south,
牛店/米村/平陌 and 伏羲山风景区 west, 刘寨/袁庄/岳村 north — the same reading as adjacency.csv.
Replace them with surveyed seats, or the file with the civil-affairs boundaries, when available.
The outline is DataV's (built from AutoNavi data, so most likely GCJ-02, a few hundred metres off
WGS-84); it is used as it is, so that the cells match the outline the pages' map draws.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lantian.plan.cells import seat_cells

#: Township-level units of Xinmi (NBS 2023 codes, areas.csv) → (name, estimated seat lon, lat).
SEATS: dict[str, tuple[str, float, float]] = {
    "410183001": ("青屏街街道", 113.372, 34.540),
    "410183002": ("新华路街道", 113.392, 34.546),
    "410183003": ("西大街街道", 113.356, 34.529),
    "410183100": ("城关镇", 113.388, 34.572),
    "410183101": ("米村镇", 113.255, 34.565),
    "410183102": ("牛店镇", 113.250, 34.472),
    "410183103": ("平陌镇", 113.318, 34.438),
    "410183104": ("超化镇", 113.408, 34.449),
    "410183105": ("苟堂镇", 113.520, 34.440),
    "410183106": ("大隗镇", 113.565, 34.495),
    "410183107": ("刘寨镇", 113.455, 34.610),
    "410183108": ("白寨镇", 113.530, 34.600),
    "410183109": ("岳村镇", 113.375, 34.622),
    "410183110": ("来集镇", 113.470, 34.525),
    "410183113": ("曲梁镇", 113.610, 34.560),
    "410183200": ("袁庄乡", 113.300, 34.615),
    "410183400": ("矿区街道", 113.410, 34.515),
    "410183401": ("伏羲山风景区", 113.200, 34.525),
    "410183402": ("郑州曲梁产业集聚区", 113.625, 34.525),
}

SOURCE = (
    "任务34：建立网格化监管制度 … 充分利用卫星遥感等手段密切监测各地秸秆禁烧情况。"
    "近似范围：乡镇驻地（估计位置）的泰森多边形裁剪到县界 / approximate: the cells of the "
    "estimated township seats clipped to the county outline"
)
NOTE = (
    "APPROXIMATE. Not a surveyed boundary: the part of Xinmi nearer to this unit's seat than to any "
    "other, clipped to DataV's county outline (GCJ-02 likely). The seat at {lon} E, {lat} N is an "
    "estimate from general geographic knowledge, not a published coordinate. Replace with the "
    "civil-affairs boundaries when available. 近似范围，驻地坐标为估计值，仅供示意。"
)


def build(outline_file: Path) -> dict[str, object]:
    document = json.loads(outline_file.read_text("utf-8"))
    (xinmi,) = [f for f in document["features"] if f["properties"]["adcode"] == 410183]
    (polygon,) = xinmi["geometry"]["coordinates"]
    outline = [(float(lon), float(lat)) for lon, lat in polygon[0]]
    cells = seat_cells(outline, {code: (lon, lat) for code, (_, lon, lat) in SEATS.items()})
    missing = sorted(set(SEATS) - set(cells))
    if missing:
        raise SystemExit(f"seats outside the outline: {missing}")
    return {
        "type": "FeatureCollection",
        "name": "新密市乡镇（街道）近似范围 / Xinmi township-level units, approximate cells",
        "features": [
            {
                "type": "Feature",
                "id": code,
                "properties": {
                    "code": code,
                    "name": name,
                    "approximate": True,
                    "source": SOURCE,
                    "note": NOTE.format(lon=lon, lat=lat),
                },
                "geometry": {"type": "Polygon", "coordinates": [cells[code]]},
            }
            for code, (name, lon, lat) in sorted(SEATS.items())
        ],
    }


def main() -> None:
    outline_file, target = Path(sys.argv[1]), Path(sys.argv[2])
    text = json.dumps(build(outline_file), ensure_ascii=False, separators=(",", ":"))
    # One feature per line: readable diffs without a multi-megabyte pretty print.
    target.write_text(text.replace(',{"type":"Feature"', ',\n{"type":"Feature"') + "\n", "utf-8")


if __name__ == "__main__":
    main()
