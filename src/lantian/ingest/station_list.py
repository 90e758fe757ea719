"""Reader of CNEMC station lists (监测点编码,监测点名称,城市,经度,纬度), plain or gzip-compressed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict

from lantian.errors import Invalid
from lantian.tabular import Column, TableSpec, read_table

#: The CNEMC national station list shipped with lantian (see demo/data/PROVENANCE.md).
BUNDLED_STATION_LIST = Path(__file__).parents[1] / "demo" / "data" / "StationList-2020.01.01.csv.gz"

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


class StationListRow(BaseModel):
    """One row of a CNEMC station list."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    city: str
    longitude: float | None = None
    latitude: float | None = None


STATION_LIST_SPEC: Final = TableSpec(
    StationListRow,
    (
        Column("code", "code", "监测点编码", example="1316A"),
        Column("name", "name", "监测点名称", example="烟厂"),
        Column("city", "city", "城市", example="郑州"),
        Column("longitude", "longitude", "经度", example="113.6844"),
        Column("latitude", "latitude", "纬度", example="34.7622"),
    ),
    missing_marks=MISSING_MARKS,
)


def read_station_list(path: Path) -> Iterator[StationRecord]:
    """The stations of a CNEMC station list (CSV, plain or ``.gz``), columns found by header name.

    The list is read whole first; its first problem raises :class:`StationListError`.
    """
    read = read_table(path, STATION_LIST_SPEC)
    if read.problems:
        problem = read.ordered_problems()[0]
        if not problem.column:
            raise StationListError(f"{path}: 第{problem.row}行{problem.reason}")
        english = next(
            (c.en for c in STATION_LIST_SPEC.columns if read.header.get(c.field) == problem.column),
            "",
        )
        raise StationListError(
            f"{path}:{problem.row}: {problem.column} {english} {problem.reason}: {problem.value!r}"
        )
    for row in read.values:
        yield StationRecord(row.code, row.name, row.city, row.longitude, row.latitude)
