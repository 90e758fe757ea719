"""The plan's station registry: the shipped Xinmi file loads; a bad file names every problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.demo import demo_loaded
from lantian.monitoring.models import Station
from lantian.monitoring.registry import RegistryError, load_station_registry, read_station_registry
from lantian.plan import plan_dir

XINMI = plan_dir(Settings())


def test_xinmi_plan_calls_for_two_urban_and_thirteen_township_stations(shared_dir: Path) -> None:
    entries = read_station_registry(XINMI / "stations.csv")
    tiers = [entry.tier for entry in entries]
    assert tiers.count("provincial") == 2 and tiers.count("township") == 13
    assert all(entry.status == "planned" for entry in entries)
    # Every township station sits in a real Xinmi township code of the NBS 2023 list.
    nbs = (shared_dir / "data/geo/zhengzhou_townships_nbs2023.csv").read_text(encoding="utf-8")
    codes = {line.split(",")[0]: line.split(",")[1] for line in nbs.splitlines()[1:]}
    for entry in entries:
        if entry.tier == "township":
            assert entry.area_code in codes
            assert entry.name.startswith(codes[entry.area_code])


def test_bad_registry_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "stations.csv"
    bad.write_text(
        "code,name,city,tier,area_code,longitude,latitude,status,pollutants,reporting_interval_s\n"
        "A1,甲,新密,township,,113.4,34.5,planned,so2 pm2_5,3600\n"
        "A2,,新密,village,,east,95,lost,so2 nox,-5\n"
        "A1,甲2,新密,micro,,,,operating,,\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as caught:
        read_station_registry(bad)
    problems = {(p.row, p.column): p.reason for p in caught.value.problems}
    assert sorted(problems) == [
        (3, "latitude"),
        (3, "longitude"),
        (3, "name"),
        (3, "pollutants"),
        (3, "reporting_interval_s"),
        (3, "status"),
        (3, "tier"),
        (4, "code"),
    ]
    assert "not a number" in problems[3, "longitude"]
    assert "outside" in problems[3, "latitude"]
    assert "nox" in problems[3, "pollutants"]
    assert "duplicate" in problems[4, "code"]
    assert "nothing was imported" in str(caught.value)


def test_registry_loads_idempotently_and_demo_checks_it(db_engine: Engine, tmp_path: Path) -> None:
    sessions = session_factory(db_engine)
    entries = read_station_registry(XINMI / "stations.csv")
    with transaction(sessions) as session:
        first = load_station_registry(session, entries, actor="test")
    with transaction(sessions) as session:
        second = load_station_registry(session, entries, actor="test")
    assert (first.added, second.added, second.unchanged) == (15, 0, 15)
    with sessions() as session:
        station = session.scalars(select(Station).where(Station.code == "XM-T104")).one()
        assert (station.name, station.area_code, station.status) == (
            "超化镇空气质量监测站",
            "410183104",
            "planned",
        )
        # The plan's stations alone are not the demo: its real hourly data are missing.
        assert not demo_loaded(session, XINMI)
