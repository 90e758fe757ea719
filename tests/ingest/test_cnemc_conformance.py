"""Conformance of the standards engine with every station-hour of the shared CNEMC files.

1. Hourly AQI: for every station-hour where the file publishes an AQI *and* the six 1-h
   concentration rows it is computed from are in the file, our HJ 633-2012 real-time AQI must
   equal the published one (0 differences). The CNEMC practice (data/PROVENANCE.md §1.5) is the
   default profile except that SO2 > 800 is dropped rather than replaced by its 24-h IAQI
   (``realtime_so2_substitute="none"``).
2. Rolling 24-h means: our 24-point moving means (crossing midnight, previous day's file used
   as history when it is in the set) are compared with the published ``*_24h`` columns, and the
   rolling 24-h O3 maximum with ``O3_24h``. Every disagreement is classified (see KINDS).

The per-file report goes to test-artifacts/cnemc_conformance.txt and is printed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from lantian.ingest.cnemc import CnemcFile, merge_hourly, read_cnemc
from lantian.standards.aqi import realtime_aqi_fixed
from lantian.standards.options import AqiOptions
from lantian.standards.validity import rolling_average, rolling_max

REPORT = Path(__file__).resolve().parents[2] / "test-artifacts" / "cnemc_conformance.txt"
CNEMC_OPTIONS = AqiOptions(realtime_so2_substitute="none")
POLLUTANT_TYPES = {
    "SO2": "SO2",
    "NO2": "NO2",
    "CO": "CO",
    "O3": "O3",
    "PM10": "PM10",
    "PM25": "PM2.5",
}
MEAN_TYPES = ("PM2.5", "PM10", "SO2", "NO2", "CO")

KINDS = {
    "gap_in_window": "fewer than 24 published 1-h values in the window: the official mean used "
    "hourly values that are blank or absent in the published file (invalidated or not "
    "transmitted at publication time)",
    "tie_of_rounded_inputs": "24 values, the exact mean of the *rounded* published 1-h values is a "
    "tie at the reporting resolution (x.x5 mg/m3 for CO): CNEMC averages unrounded values, so the "
    "hidden digits decide the side; off by one unit",
    "input_rounding": "24 values, not a tie, |exact mean - published| <= 1 unit: within the "
    "rounding error of the published integer / 0.1 mg/m3 hourly inputs",
    "revised_hourly_values": "24 values and |exact mean - published| > 1 unit: the published 1-h "
    "values cannot produce the published mean; hourly data were revised after the mean was "
    "computed",
}


@dataclass
class FileReport:
    name: str
    layout: str
    station_hours: int = 0
    published_aqi: int = 0
    compared: int = 0
    differ: int = 0
    excluded_rows_absent: int = 0
    skipped: list[str] = field(default_factory=list)
    means: dict[str, tuple[int, int]] = field(default_factory=dict)
    full_window: dict[str, tuple[int, int]] = field(default_factory=dict)
    kinds: dict[str, Counter[str]] = field(default_factory=dict)
    not_comparable: dict[str, int] = field(default_factory=dict)


def _files(cnemc_dir: Path) -> list[Path]:
    files = sorted(p for p in cnemc_dir.rglob("*.csv") if p.parent.name != "stations")
    assert len(files) >= 14, (
        "expected the 12 national days, the Zhengzhou extract and the transposed file"
    )
    return files


def _check_aqi(data: CnemcFile, report: FileReport) -> list[str]:
    conc = {k: data.fixed(t) for k, t in POLLUTANT_TYPES.items()}
    result = realtime_aqi_fixed(conc, "hj633-2012", CNEMC_OPTIONS)
    published = data.fixed("AQI")
    has_published = published >= 0
    rows_present = np.logical_and.reduce([data.cells_read(t) for t in POLLUTANT_TYPES.values()])
    comparable = has_published & rows_present & (result.aqi >= 0)
    differ = comparable & (result.aqi != published)
    report.station_hours = int((~np.isnan(data.values).all(axis=1)).sum())
    report.published_aqi = int(has_published.sum())
    report.compared = int(comparable.sum())
    report.differ = int(differ.sum())
    report.excluded_rows_absent = int((has_published & ~rows_present).sum())
    examples = []
    for t, s in np.argwhere(differ)[:5]:
        values = {k: int(v[t, s]) for k, v in conc.items()}
        examples.append(
            f"{data.times[t]} {data.stations[s]} published {published[t, s]} "
            f"ours {result.aqi[t, s]} inputs {values}"
        )
    return examples


def _classify_means(grid: CnemcFile, first_own: int, report: FileReport) -> None:
    idx = np.arange(len(grid.times))
    # A window is comparable only when all 24 of its time points lie inside the data set.
    inside = ((idx >= 23) & (idx >= first_own))[:, None]
    own = (idx >= first_own)[:, None]
    for type_name in MEAN_TYPES:
        ours = rolling_average(grid.fixed(type_name), 24, 1)
        published = grid.fixed(f"{type_name}_24h")
        has = published >= 0
        comparable = inside & has & (ours.value >= 0)
        agree = comparable & (ours.value == published)
        report.means[type_name] = (int(agree.sum()), int(comparable.sum()))
        complete = comparable & (ours.count == 24)
        report.full_window[type_name] = (int((agree & complete).sum()), int(complete.sum()))
        report.not_comparable[type_name] = int((own & has & ~inside).sum())
        disagree = comparable & ~agree
        full = disagree & (ours.count == 24)
        twice_rem = 2 * (ours.total % 24)
        tie = full & (twice_rem == 24)
        distance = np.abs(ours.total - 24 * published)  # |exact - published| in 1/24 units
        near = full & ~tie & (distance <= 24)
        kinds: Counter[str] = Counter()
        kinds["gap_in_window"] = int((disagree & (ours.count < 24)).sum())
        kinds["tie_of_rounded_inputs"] = int((tie & (np.abs(ours.value - published) == 1)).sum())
        kinds["input_rounding"] = int(near.sum())
        kinds["revised_hourly_values"] = int((full & ~tie & ~near).sum()) + int(
            (tie & (np.abs(ours.value - published) != 1)).sum()
        )
        report.kinds[type_name] = kinds
    peak, count = rolling_max(grid.fixed("O3"), 24, 1)
    published = grid.fixed("O3_24h")
    comparable = inside & (published >= 0) & (peak >= 0)
    agree = comparable & (peak == published)
    report.means["O3_24h(max)"] = (int(agree.sum()), int(comparable.sum()))
    complete = comparable & (count == 24)
    report.full_window["O3_24h(max)"] = (int((agree & complete).sum()), int(complete.sum()))
    o3_kinds: Counter[str] = Counter()
    o3_kinds["gap_in_window"] = int((comparable & ~agree & (count < 24)).sum())
    o3_kinds["revised_hourly_values"] = int((comparable & ~agree & (count == 24)).sum())
    report.kinds["O3_24h(max)"] = o3_kinds
    report.not_comparable["O3_24h(max)"] = int((own & (published >= 0) & ~inside).sum())
    _o3_8h_within_day(grid, own, report)


def _o3_8h_within_day(grid: CnemcFile, own: npt.NDArray[np.bool_], report: FileReport) -> None:
    """CNEMC ``O3_8h``: mean of the last <= 8 hourly O3 values *within* the natural day.

    (data/PROVENANCE.md §1.5: it restarts at 01:00, so at hour 1 it equals the 1-h O3.) This is
    the publishing convention of the national platform, not the crossing-midnight moving mean
    of spec §2.3; it is checked here with the same exact averaging kernel, per day block.
    """
    o3 = grid.fixed("O3")
    published = grid.fixed("O3_8h")
    day_of = np.array([(t - timedelta(hours=1)).toordinal() for t in grid.times])
    label = np.array([(t - timedelta(hours=1)).hour + 1 for t in grid.times])
    ours = np.full(o3.shape, -1, dtype=np.int64)
    count = np.zeros(o3.shape, dtype=np.int64)
    for day in np.unique(day_of):
        rows = np.flatnonzero(day_of == day)
        moving = rolling_average(o3[rows], 8, 1)
        ours[rows], count[rows] = moving.value, moving.count
    # the day's 01:00 must lie inside the data for the window to be known
    day_start_inside = (np.arange(len(grid.times)) - (label - 1) >= 0)[:, None]
    comparable = own[:, :1] & day_start_inside & (published >= 0) & (ours >= 0)
    agree = comparable & (ours == published)
    complete = comparable & (count == np.minimum(label, 8)[:, None])
    report.means["O3_8h(day)"] = (int(agree.sum()), int(comparable.sum()))
    report.full_window["O3_8h(day)"] = (int((agree & complete).sum()), int(complete.sum()))
    kinds: Counter[str] = Counter()
    kinds["gap_in_window"] = int((comparable & ~agree & ~complete).sum())
    kinds["revised_hourly_values"] = int((complete & ~agree).sum())
    report.kinds["O3_8h(day)"] = kinds
    report.not_comparable["O3_8h(day)"] = int(
        (own[:, :1] & ~day_start_inside & (published >= 0)).sum()
    )


def _previous_day(files: dict[Path, CnemcFile], path: Path) -> CnemcFile | None:
    data = files[path]
    if len(data.times) == 0 or data.layout != "wide" or "china_sites_" not in path.name:
        return None
    day = data.times[0].date() - timedelta(days=1)
    candidate = path.with_name(f"china_sites_{day:%Y%m%d}.csv")
    return files.get(candidate)


def _format(reports: list[FileReport]) -> str:
    lines = [
        "CNEMC conformance of lantian.standards (HJ 633-2012 real-time AQI; rolling 24-h means)",
        "",
        "Hourly AQI per file: compared = published AQI present and its six 1-h input rows "
        "in the file",
        "",
    ]
    header = (
        f"{'file':46} {'layout':10} {'st-hours':>9} {'published':>9} {'compared':>9} "
        f"{'differ':>6} {'excl(rows absent)':>17}"
    )
    lines.append(header)
    for r in reports:
        lines.append(
            f"{r.name:46} {r.layout:10} {r.station_hours:9d} {r.published_aqi:9d} "
            f"{r.compared:9d} {r.differ:6d} {r.excluded_rows_absent:17d}"
        )
    total_c = sum(r.compared for r in reports)
    total_d = sum(r.differ for r in reports)
    lines += [
        f"{'TOTAL':46} {'':10} {sum(r.station_hours for r in reports):9d} "
        f"{sum(r.published_aqi for r in reports):9d} {total_c:9d} {total_d:6d} "
        f"{sum(r.excluded_rows_absent for r in reports):17d}",
        "",
    ]
    lines.append("Rolling 24-point means vs published *_24h (agree/compared; disagreement kinds)")
    for r in reports:
        lines.append(f"  {r.name}")
        for type_name, (agree, compared) in r.means.items():
            pct = 100.0 * agree / compared if compared else float("nan")
            kinds = r.kinds.get(type_name, Counter())
            detail = ", ".join(f"{k}={v}" for k, v in kinds.items() if v)
            nc = r.not_comparable.get(type_name, 0)
            fa, fc = r.full_window.get(type_name, (0, 0))
            fpct = 100.0 * fa / fc if fc else float("nan")
            lines.append(
                f"    {type_name:12} {agree:6d}/{compared:<6d} ({pct:6.2f}%) "
                f"24 values: {fa}/{fc} ({fpct:6.2f}%) window before data={nc} {detail}"
            )
        for note in r.skipped:
            lines.append(f"    reader: {note}")
    lines += ["", "Totals per pollutant:"]
    for type_name in (*MEAN_TYPES, "O3_24h(max)", "O3_8h(day)"):
        agree = sum(r.means[type_name][0] for r in reports if type_name in r.means)
        compared = sum(r.means[type_name][1] for r in reports if type_name in r.means)
        kinds: Counter[str] = Counter()
        for r in reports:
            kinds.update(r.kinds.get(type_name, Counter()))
        detail = ", ".join(f"{k}={v}" for k, v in kinds.items() if v)
        fa = sum(r.full_window[type_name][0] for r in reports if type_name in r.full_window)
        fc = sum(r.full_window[type_name][1] for r in reports if type_name in r.full_window)
        lines.append(
            f"  {type_name:12} all windows {agree:7d}/{compared:<7d} "
            f"({100.0 * agree / max(compared, 1):6.2f}%); windows with 24 values "
            f"{fa}/{fc} ({100.0 * fa / max(fc, 1):6.2f}%); {detail}"
        )
    lines += ["", "Kinds of disagreement:"]
    lines += [f"  {k}: {v}" for k, v in KINDS.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_every_cnemc_station_hour_conforms(
    cnemc_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _files(cnemc_dir)
    files = {p: read_cnemc(p) for p in paths}
    reports: list[FileReport] = []
    examples: list[str] = []
    for path in paths:
        data = files[path]
        report = FileReport(name=str(path.relative_to(cnemc_dir)), layout=data.layout)
        report.skipped = [f"{n.kind} (line {n.line}): {n.detail}" for n in data.skipped][:8]
        if len(data.skipped) > 8:
            report.skipped.append(f"... {len(data.skipped) - 8} more notes")
        examples += _check_aqi(data, report)
        previous = _previous_day(files, path)
        parts = [previous, data] if previous is not None else [data]
        grid = merge_hourly(parts)
        first_own = int((data.times[0] - grid.times[0]) / timedelta(hours=1))
        _classify_means(grid, first_own, report)
        reports.append(report)

    text = _format(reports)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, "utf-8")
    with capsys.disabled():
        print("\n" + text)

    assert examples == [], "\n".join(examples)
    assert all(r.differ == 0 for r in reports)
    assert sum(r.compared for r in reports) > 450_000
    assert {r.layout for r in reports} == {"wide", "transposed"}
    for type_name in MEAN_TYPES:
        kinds: Counter[str] = Counter()
        compared = 0
        for r in reports:
            kinds.update(r.kinds[type_name])
            compared += r.means[type_name][1]
        # Unexplained disagreements (hourly values revised after publication) stay rare.
        assert kinds["revised_hourly_values"] <= 0.001 * compared, type_name
        agree = sum(r.means[type_name][0] for r in reports)
        assert agree >= 0.9 * compared, type_name
        full_agree = sum(r.full_window[type_name][0] for r in reports)
        full_compared = sum(r.full_window[type_name][1] for r in reports)
        explained_ties = kinds["tie_of_rounded_inputs"]
        assert full_agree + explained_ties >= 0.999 * full_compared, type_name
    o3_agree, o3_compared = (sum(r.means["O3_24h(max)"][i] for r in reports) for i in (0, 1))
    assert o3_agree >= 0.99 * o3_compared
    o3_8h_agree, o3_8h_compared = (
        sum(r.full_window["O3_8h(day)"][i] for r in reports) for i in (0, 1)
    )
    # 2019-02-20/25/26 hold ~950 complete windows whose published O3_8h the published 1-h O3
    # cannot reproduce (off by 1-3 µg/m3 at any hour): every other file agrees 100 %.
    assert o3_8h_compared > 200_000 and o3_8h_agree >= 0.995 * o3_8h_compared


def _aqi_of(data: CnemcFile) -> npt.NDArray[np.int16]:
    conc = {k: data.fixed(t) for k, t in POLLUTANT_TYPES.items()}
    return realtime_aqi_fixed(conc, "hj633-2012", CNEMC_OPTIONS).aqi


def test_transposed_file_equals_its_layout_independent_content(cnemc_dir: Path) -> None:
    data = read_cnemc(cnemc_dir / "other_layouts" / "china_sites_20180101_transposed.csv")
    assert data.layout == "transposed" and len(data.stations) == 1597 and len(data.times) == 24
    published = data.fixed("AQI")
    ours = _aqi_of(data)
    both = (published >= 0) & (ours >= 0)
    assert both.sum() > 20_000 and (ours[both] == published[both]).all()
