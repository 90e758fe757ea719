"""The ``lantian aqi`` command over real CNEMC files (hourly and daily rows)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from lantian.cli import app
from lantian.ingest.cnemc import read_cnemc
from lantian.monitoring.aqi_cli import run_aqi
from lantian.standards.options import AqiOptions

REQUIRED = [
    "station",
    "time",
    "SO2",
    "NO2",
    "CO",
    "O3",
    "PM10",
    "PM2.5",
    "iaqi_SO2",
    "iaqi_NO2",
    "iaqi_CO",
    "iaqi_O3",
    "iaqi_PM10",
    "iaqi_PM2.5",
    "aqi",
    "primary",
    "level",
]


def test_cli_hourly_rows_match_published_aqi(cnemc_dir: Path, tmp_path: Path) -> None:
    files = [
        cnemc_dir / "national_daily" / name
        for name in ("china_sites_20190104.csv", "china_sites_20190220.csv")
    ]
    out = tmp_path / "hourly.csv"
    result = CliRunner().invoke(
        app,
        [
            "aqi",
            *map(str, files),
            "--format",
            "cnemc",
            "--standard",
            "hj633-2012",
            "--so2-substitute",
            "none",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "truncated_row" in result.output and "hours 8-23 absent" in result.output
    frame = pl.read_csv(out, infer_schema_length=0)
    assert frame.columns[:2] == ["station", "time"]
    assert set(REQUIRED) <= set(frame.columns)
    assert frame["time"].str.contains(r"^\d{4}-\d\d-\d\dT\d\d:00\+08:00$").all()
    # hour 0 of 20190104 is 2019-01-04T00:00+08:00 (end of the hour)
    assert frame.filter(pl.col("time") == "2019-01-04T00:00+08:00").height > 1000
    # compare with the published AQI of the same station-hours
    published = []
    for path in files:
        data = read_cnemc(path)
        aqi = data.fixed("AQI")
        t_idx, s_idx = np.nonzero(aqi >= 0)
        times = np.array(data.time_strings())
        published.append(
            pl.DataFrame(
                {
                    "station": np.array(data.stations)[s_idx],
                    "time": times[t_idx],
                    "published": aqi[t_idx, s_idx],
                }
            )
        )
    joined = frame.join(pl.concat(published), on=["station", "time"], how="inner")
    joined = joined.filter(pl.col("aqi") != "").with_columns(pl.col("aqi").cast(pl.Int64))
    assert joined.height > 40_000
    assert (joined["aqi"] == joined["published"]).all()


def test_cli_daily_means_match_published_hour_zero(cnemc_dir: Path, tmp_path: Path) -> None:
    files = [cnemc_dir / "national_daily" / f"china_sites_2019010{d}.csv" for d in (3, 4)]
    out = tmp_path / "daily.csv"
    err = io.StringIO()
    summary = run_aqi(files, out, "auto", daily=True, options=AqiOptions(), err=err)
    frame = pl.read_csv(out)
    assert set(frame["date"].unique()) == {"2019-01-03", "2019-01-04"}
    assert summary.rows == frame.height
    assert "2019-01-02: only 1 of its 24 hours" in err.getvalue()
    day = frame.filter(pl.col("date") == "2019-01-03")
    # The hour-0 row of the next file carries the previous natural day's 24-h PM means.
    nxt = read_cnemc(files[1])
    pub = nxt.fixed("PM2.5_24h")[0]
    published = pl.DataFrame({"station": list(nxt.stations), "published": pub})
    joined = day.join(published, on="station").filter(
        (pl.col("n_PM2.5") == 24) & (pl.col("published") >= 0)
    )
    assert joined.height > 1000
    agreement = (joined["PM2.5"] == joined["published"]).mean()
    assert agreement is not None and float(agreement) > 0.99  # type: ignore[arg-type]
    assert {"O3_1H", "O3_8H", "iaqi_O3_1H", "iaqi_O3_8H", "n_O3_8H"} <= set(frame.columns)
    with_aqi = day.filter(pl.col("aqi").is_not_null())
    assert (with_aqi["level"] >= 1).all() and with_aqi.height > 1000


def test_cli_rejects_unknown_format(cnemc_dir: Path, tmp_path: Path) -> None:
    path = cnemc_dir / "national_daily" / "china_sites_20190104.csv"
    result = CliRunner().invoke(
        app, ["aqi", str(path), "--format", "xls", "--out", str(tmp_path / "x.csv")]
    )
    assert result.exit_code != 0


def test_cli_marks_over_range_and_exceedance(cnemc_dir: Path, tmp_path: Path) -> None:
    # 2017-01-01 00:00, Beijing Dongsi (1003A): PM10 601, PM2.5 501 -> both capped at 500.
    path = cnemc_dir / "national_daily" / "china_sites_20170101.csv"
    out = tmp_path / "severe.csv"
    run_aqi([path], out, "hj633-2012", err=io.StringIO())
    frame = pl.read_csv(out, infer_schema_length=0)
    row = frame.filter(
        (pl.col("station") == "1003A") & (pl.col("time") == "2017-01-01T00:00+08:00")
    )
    assert row["aqi"].to_list() == ["500"] and row["category"].to_list() == ["严重污染"]
    assert row["over_range"].to_list() == ["PM10,PM2.5"]
    assert row["primary"].to_list() == ["PM10,PM2.5"]
    assert row["exceedance"].to_list() == ["PM10,PM2.5"]


def test_cli_writes_readable_files_and_fails_on_an_unreadable_one(
    cnemc_dir: Path, tmp_path: Path
) -> None:
    bogus = tmp_path / "stations.csv"
    bogus.write_text("监测点编码,监测点名称\n1001A,x\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    day = cnemc_dir / "national_daily" / "china_sites_20190220.csv"
    result = CliRunner().invoke(
        app, ["aqi", str(bogus), str(day), "--format", "cnemc", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "skipped unreadable file" in result.output and "stations.csv" in result.output
    assert out.read_text(encoding="utf-8").count("\n") > 10_000  # the readable day is written


def test_parquet_output_equals_csv_output_cell_for_cell(cnemc_dir: Path, tmp_path: Path) -> None:
    national = cnemc_dir / "national_daily"
    files = [national / f"china_sites_2019010{d}.csv" for d in (3, 4)]
    files.append(national / "china_sites_20170101.csv")  # over-range and exceedance labels
    for daily in (False, True):
        csv_out, parquet_out = tmp_path / f"{daily}.csv", tmp_path / f"{daily}.parquet"
        csv_run = run_aqi(files, csv_out, "auto", daily=daily, err=io.StringIO())
        parquet_run = run_aqi(files, parquet_out, "auto", daily=daily, err=io.StringIO())
        parquet = pl.read_parquet(parquet_out)
        assert parquet_run.rows == csv_run.rows == parquet.height > 1000
        # Typed columns: numbers stay numbers, missing stays null.
        assert parquet.schema["aqi"] == pl.Int32 and parquet.schema["CO"] == pl.Float64
        assert parquet["primary"].null_count() > 0 and parquet["SO2"].null_count() > 0
        # The same cells: the Parquet table printed as CSV is the CSV file, byte for byte ...
        assert parquet.write_csv() == csv_out.read_text(encoding="utf-8")
        # ... and the CSV read with the Parquet types is the Parquet table.
        assert pl.read_csv(csv_out, schema=parquet.schema).equals(parquet)


def test_cli_writes_parquet_by_extension_or_option(cnemc_dir: Path, tmp_path: Path) -> None:
    day = cnemc_dir / "national_daily" / "china_sites_20190104.csv"
    by_extension, by_option = tmp_path / "a.parquet", tmp_path / "b.out"
    runner = CliRunner()
    assert runner.invoke(app, ["aqi", str(day), "--out", str(by_extension)]).exit_code == 0
    result = runner.invoke(
        app, ["aqi", str(day), "--out", str(by_option), "--out-format", "parquet"]
    )
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(by_extension).equals(pl.read_parquet(by_option))
    bad = runner.invoke(app, ["aqi", str(day), "--out", str(by_option), "--out-format", "xlsx"])
    assert bad.exit_code != 0


def test_jobs_two_equal_jobs_one_cell_for_cell(cnemc_dir: Path, tmp_path: Path) -> None:
    """Files spread over worker processes come out as one process writes them: same bytes, same
    notes in the same order, same counts (hourly CSV, hourly Parquet and the daily report)."""
    national = cnemc_dir / "national_daily"
    bogus = tmp_path / "stations.csv"
    bogus.write_text("监测点编码,监测点名称\n1001A,x\n", encoding="utf-8")
    files = [
        national / "china_sites_20190104.csv",
        national / "china_sites_20190103.csv",  # out of order on purpose: sorted by date
        bogus,  # unreadable: reported, the rest written
        national / "china_sites_20190220.csv",  # truncated: notes
        national / "china_sites_20190105.csv",
    ]
    for name, daily in (("hourly.csv", False), ("hourly.parquet", False), ("daily.csv", True)):
        outputs, notes, summaries = [], [], []
        for jobs in (1, 2):
            out, err = tmp_path / f"{jobs}-{name}", io.StringIO()
            summary = run_aqi(files, out, "auto", daily=daily, err=err, jobs=jobs)
            outputs.append(out.read_bytes())
            notes.append(err.getvalue())
            summaries.append(
                (summary.files, summary.rows, summary.station_hours, summary.unreadable)
            )
        assert summaries[0][1] > 4_000 and summaries[0][3] == [bogus]
        assert "truncated_row" in notes[0] and "skipped unreadable file" in notes[0]
        assert summaries[1] == summaries[0] and notes[1] == notes[0]
        if name.endswith(".parquet"):
            one, two = (pl.read_parquet(io.BytesIO(b)) for b in outputs)
            assert two.equals(one)
        else:
            assert outputs[1] == outputs[0]


def test_cli_jobs_option(cnemc_dir: Path, tmp_path: Path) -> None:
    days = [cnemc_dir / "national_daily" / f"china_sites_2019010{d}.csv" for d in (2, 3)]
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"{jobs}.csv"
        result = CliRunner().invoke(
            app, ["aqi", *map(str, days), "--out", str(out), "--jobs", jobs]
        )
        assert result.exit_code == 0, result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0].count(b"\n") > 60_000
    bad = CliRunner().invoke(
        app, ["aqi", str(days[0]), "--out", str(tmp_path / "x.csv"), "-j", "0"]
    )
    assert bad.exit_code != 0
