"""The CNEMC reader: header mapping, hour-ending times, truncation, layouts, long format."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from lantian.ingest.cnemc import CST, merge_hourly, read_cnemc


def test_columns_are_mapped_by_header_name(tmp_path: Path) -> None:
    path = tmp_path / "china_sites_20190101.csv"
    path.write_text(
        "date,hour,type,B,A\r\n20190101,0,PM2.5,10,20\r\n20190101,0,CO,0.5,\r\n"
        "20190101,1,PM2.5,11,21\r\n20190101,1,Bogus,1,2\r\n20190101,2,PM2.5,12",
        "utf-8",
    )
    data = read_cnemc(path)
    assert data.stations == ("B", "A")
    assert data.times[0] == datetime(2019, 1, 1, 0, tzinfo=CST)
    assert data.series("PM2.5")[:, 1].tolist()[:2] == [20.0, 21.0]
    assert data.fixed("CO")[0].tolist() == [5, -1]
    kinds = {note.kind for note in data.skipped}
    assert {"unknown_type", "truncated_row", "missing_hour"} <= kinds
    assert not data.cells_read("PM2.5")[2, 1] and data.cells_read("PM2.5")[2, 0]
    long = data.long()
    assert set(long.columns) == {"station", "time", "type", "value"}
    assert long.filter(long["station"] == "A").height == 2
    assert long.filter(long["station"] == "B").height == 4
    assert long["time"][0] == "2019-01-01T00:00+08:00"


def test_truncated_national_file(cnemc_dir: Path) -> None:
    data = read_cnemc(cnemc_dir / "national_daily" / "china_sites_20190220.csv")
    notes = [n for n in data.skipped if n.kind == "truncated_row"]
    assert len(notes) == 1 and "929 of 1605" in notes[0].detail
    assert len(data.times) == 8
    aqi_read = data.cells_read("AQI")[7]
    assert aqi_read.sum() == 929 and not data.cells_read("PM2.5")[7].any()


def test_multi_day_extract_and_merge(cnemc_dir: Path) -> None:
    data = read_cnemc(cnemc_dir / "zhengzhou_extract" / "zhengzhou_sites_2019-01-01_2019-08-31.csv")
    assert len(data.stations) == 9 and data.stations[0] == "1316A"
    assert data.times[0] == datetime(2019, 1, 1, 0, tzinfo=CST)
    assert any("2019-04-08" in n.detail for n in data.skipped) or len(data.times) < 242 * 24
    grid = merge_hourly([data])
    steps = np.diff(np.array([t.timestamp() for t in grid.times]))
    assert (steps == 3600).all()


def test_fast_and_careful_parsers_agree(cnemc_dir: Path, tmp_path: Path) -> None:
    source = cnemc_dir / "national_daily" / "china_sites_20190220.csv"
    lines = source.read_text("utf-8").split("\r\n")
    # A blank line in the middle forces the careful line-by-line parser.
    careful_path = tmp_path / source.name
    careful_path.write_text("\r\n".join([*lines[:50], "", *lines[50:]]), "utf-8")
    fast = read_cnemc(source)
    careful = read_cnemc(careful_path)
    assert fast.stations == careful.stations and fast.times == careful.times
    assert np.array_equal(fast.values, careful.values, equal_nan=True)
    assert np.array_equal(fast.in_file, careful.in_file)
    assert [n.detail for n in fast.skipped] == [n.detail for n in careful.skipped]
