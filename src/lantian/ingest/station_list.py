"""Reader of CNEMC station lists (监测点编码,监测点名称,城市,经度,纬度), plain or gzip-compressed."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lantian.errors import Invalid

#: The CNEMC national station list shipped with lantian (see demo/data/PROVENANCE.md).
BUNDLED_STATION_LIST = Path(__file__).parents[1] / "demo" / "data" / "StationList-2020.01.01.csv.gz"

REQUIRED_COLUMNS = {"监测点编码": "code", "监测点名称": "name", "城市": "city"}
OPTIONAL_COLUMNS = {"经度": "longitude", "纬度": "latitude"}
#: How the real station lists mark an unknown coordinate (the 2020 list uses "-").
MISSING_MARKS = frozenset({"", "-", "NA", "--"})


class StationListError(Invalid):
    """A station list that cannot be read; the message says which file, line and why."""


@dataclass(frozen=True)
class StationRecord:
    code: str
    name: str
    city: str
    longitude: float | None
    latitude: float | None


def open_text(path: Path) -> io.TextIOWrapper:
    """Open a UTF-8 text file (BOM tolerated), transparently decompressing ``.gz``."""
    # The caller closes the returned wrapper, which closes the raw stream with it.
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def read_station_list(path: Path) -> Iterator[StationRecord]:
    """Yield the stations of a CNEMC station list, columns found by their Chinese header names."""
    with open_text(path) as handle:
        reader = csv.reader(handle)
        try:
            header = [cell.strip() for cell in next(reader)]
        except StopIteration:
            raise StationListError(f"{path}: 文件为空 / the file is empty") from None
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            raise StationListError(
                f"{path}: 第1行缺少列 {', '.join(missing)} / line 1 lacks the column(s) "
                f"{', '.join(missing)}; found: {', '.join(header)}"
            )
        index = {
            name: header.index(name)
            for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
            if name in header
        }
        for line_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            cells = {key: (row[i].strip() if i < len(row) else "") for key, i in index.items()}
            if not cells["监测点编码"]:
                raise StationListError(
                    f"{path}:{line_number}: 监测点编码为空 / the station code is empty"
                )
            yield StationRecord(
                code=cells["监测点编码"],
                name=cells["监测点名称"],
                city=cells["城市"],
                longitude=_coordinate(cells.get("经度", ""), path, line_number, "经度 longitude"),
                latitude=_coordinate(cells.get("纬度", ""), path, line_number, "纬度 latitude"),
            )


def _coordinate(text: str, path: Path, line_number: int, what: str) -> float | None:
    if text in MISSING_MARKS:
        return None
    try:
        return float(text)
    except ValueError:
        raise StationListError(
            f"{path}:{line_number}: {what} 不是数字 / is not a number: {text!r}"
        ) from None
