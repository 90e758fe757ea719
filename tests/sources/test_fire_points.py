"""Straw and open burning (task 34): fire points from a satellite CSV (NASA FIRMS layout) and from
patrols, located to the township by the plan's township polygons, one case per township and China
day, accountability during a warning, the lifecycle of a check on the spot, scope, indicators, and
the plan file ``townships.geojson`` — on both backends."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from random import Random

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import DEFAULT_PLAN_DIR, TOWNSHIPS_FILE, Plan, read_plan
from lantian.plan.cells import seat_cells
from lantian.plan.schema import TownshipsFile
from lantian.sources import service
from lantian.sources.kinds.fire_points import KIND, FirePoint, FirePointRow, _burning
from lantian.sources.models import SourceImport
from lantian.sources.registry import Facts, SampleContext
from lantian.standards.geometry import in_polygon
from lantian.supervision.models import CaseOccurrence
from lantian.tabular import Rejected
from lantian.warnings.rules import load_rules
from lantian.warnings.service import decide, level_in_force

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

YUECUN = "410183109"  # 岳村镇
CHAOHUA = "410183104"  # 超化镇
#: Points well inside the two townships' polygons.
SEATS = {YUECUN: (113.375, 34.61), CHAOHUA: (113.408, 34.449)}
FIRMS_HEADER = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
    "confidence,version,bright_ti5,frp,daynight"
)


def firms_row(lon: float, lat: float, day: str, hhmm: str, confidence: str = "n") -> str:
    return f"{lat},{lon},331.2,0.39,0.36,{day},{hhmm},N,VIIRS,{confidence},2.0NRT,290.1,3.4,D"


def shared_edge_point(plan: Plan) -> tuple[float, float, list[str]]:
    """A point on an edge two township polygons share (found in the shipped file)."""
    assert plan.townships is not None
    features = {f.properties.code: f.geometry.polygons()[0] for f in plan.townships.features}
    ring = features[CHAOHUA][0]
    for a, b in pairwise(ring):
        point = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        holders = sorted(code for code, poly in features.items() if in_polygon(*point, poly))
        if len(holders) == 2:
            return point[0], point[1], holders
    raise AssertionError("no shared edge found")


def satellite_csv(plan: Plan) -> bytes:
    edge_lon, edge_lat, _ = shared_edge_point(plan)
    lines = [
        FIRMS_HEADER,
        firms_row(*SEATS[YUECUN], "2017-10-15", "0536"),
        firms_row(SEATS[YUECUN][0] + 0.002, SEATS[YUECUN][1], "2017-10-15", "0536", "h"),
        # 17:50 UTC is 01:50 of 10-16 in China: the next day's case.
        firms_row(SEATS[YUECUN][0] - 0.002, SEATS[YUECUN][1], "2017-10-15", "1750", "l"),
        firms_row(*SEATS[CHAOHUA], "2017-10-15", "0536"),
        firms_row(edge_lon, edge_lat, "2017-10-16", "518"),
        firms_row(113.02, 34.50, "2017-10-15", "0536"),  # 登封, outside Xinmi
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def points(sessions: sessionmaker[Session]) -> dict[str, FirePoint]:
    with transaction(sessions) as session:
        found = {p.key: p for p in session.scalars(select(FirePoint))}
        session.expunge_all()
        return found


# --- the plan's township polygons ---------------------------------------------------------------


def test_the_shipped_townships_are_approximate_cells_covering_every_area() -> None:
    plan = read_plan(DEFAULT_PLAN_DIR)
    assert plan.problems == [] and plan.townships is not None
    codes = {f.properties.code for f in plan.townships.features}
    assert codes == set(plan.area_names())
    assert all(f.properties.approximate for f in plan.townships.features)
    for code, (lon, lat) in SEATS.items():
        assert plan.townships.township_at(lon, lat) == code
    assert plan.townships.township_at(113.02, 34.50) is None


def test_a_point_on_a_shared_edge_gets_the_lower_code_whatever_the_order() -> None:
    square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
    right = [[1.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 0.0]]

    def feature(code: str, ring: list[list[float]]) -> dict[str, object]:
        return {
            "type": "Feature",
            "properties": {"code": code, "name": code, "source": "test"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }

    for order in ((("410183200", square), ("410183101", right)),) * 1 + (
        (("410183101", right), ("410183200", square)),
    ):
        file = TownshipsFile.model_validate(
            {"type": "FeatureCollection", "features": [feature(c, r) for c, r in order]}
        )
        assert file.township_at(1.0, 0.5) == "410183101"
        assert file.township_at(0.5, 0.5) == "410183200"
        assert file.township_at(2.5, 0.5) is None


def test_seat_cells_split_the_outline_at_the_bisector() -> None:
    outline = [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
    cells = seat_cells(outline, {"a": (0.5, 0.5), "b": (1.5, 0.5), "far": (9.0, 9.0)})
    assert set(cells) == {"a", "b"}  # a seat outside the outline gets no cell
    assert max(p[0] for p in cells["a"]) == pytest.approx(1.0, abs=1e-6)
    assert min(p[0] for p in cells["b"]) == pytest.approx(1.0, abs=1e-6)
    assert cells["a"][0] == cells["a"][-1]


def copied(tmp_path: Path) -> Path:
    folder = tmp_path / "plan"
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    return folder


def test_the_plan_file_names_each_problem_with_file_and_place(tmp_path: Path) -> None:
    folder = copied(tmp_path)
    path = folder / TOWNSHIPS_FILE
    document = json.loads(path.read_text("utf-8"))
    document["features"][1]["properties"]["code"] = "410183997"
    document["features"][2]["properties"]["code"] = document["features"][0]["properties"]["code"]
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    problems = read_plan(folder).problems
    assert any(
        p.file == TOWNSHIPS_FILE and "features[1]" in p.path and "unknown area" in p.reason
        for p in problems
    )
    assert any(
        p.file == TOWNSHIPS_FILE and "features[2]" in p.path and "already" in p.reason
        for p in problems
    )
    document = json.loads((DEFAULT_PLAN_DIR / TOWNSHIPS_FILE).read_text("utf-8"))
    document["features"][3]["geometry"] = {"type": "Point", "coordinates": [113.38, 34.54]}
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    problems = read_plan(folder).problems
    assert any(p.file == TOWNSHIPS_FILE and "features[3].geometry" in p.path for p in problems)
    path.unlink()
    plan = read_plan(folder)
    assert plan.problems == [] and plan.townships is None


# --- import -------------------------------------------------------------------------------------


def test_a_satellite_csv_lands_in_the_townships_and_opens_one_case_per_township_and_day(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore
) -> None:
    edge_lon, edge_lat, holders = shared_edge_point(plan)
    result = import_file(sessions, plan, store, KIND, satellite_csv(plan), filename="fire.csv")
    assert (result.rows, result.created) == (5, 5)
    (outside,) = result.set_aside
    assert outside.row == 7 and "outside the city" in outside.reason
    found = points(sessions)
    assert len(found) == 5
    by_place = {(round(p.longitude or 0, 4), round(p.latitude or 0, 4)): p for p in found.values()}
    assert by_place[SEATS[YUECUN]].area_code == YUECUN
    assert by_place[SEATS[CHAOHUA]].area_code == CHAOHUA
    edge = by_place[(round(edge_lon, 4), round(edge_lat, 4))]
    assert edge.area_code == holders[0]  # the lower code of the two polygons
    late = by_place[(round(SEATS[YUECUN][0] - 0.002, 4), SEATS[YUECUN][1])]
    assert str(late.observed_on) == "2017-10-16" and late.acq_time == "1750"
    assert late.observed_at == datetime(2017, 10, 15, 17, 50, tzinfo=UTC)
    assert all(p.state == "found" and p.source == "satellite" for p in found.values())
    opened = cases(sessions, "fire_point.burning")
    assert len(opened) == 4  # 岳村 10-15 (two points), 岳村 10-16, 超化 10-15, the edge's 10-16
    by_title = {c.title: c for c in opened}
    yuecun_day = next(c for t, c in by_title.items() if "岳村镇 2017-10-15" in t)
    assert yuecun_day.area_code == YUECUN
    two = [
        k for k, p in found.items() if p.area_code == YUECUN and str(p.observed_on) == "2017-10-15"
    ]
    assert len(two) == 2 and all(key in yuecun_day.description for key in two)
    # Each point's timeline names its case; evaluating again adds nothing.
    evaluate(sessions)
    assert len(cases(sessions, "fire_point.burning")) == 4
    with transaction(sessions) as session:
        for key in two:
            events = service.timeline(session, KIND, entry_id(sessions, KIND, key))
            assert [e.details["case_id"] for e, _ in events if e.event == "case_opened"] == [
                yuecun_day.id
            ]


def test_a_reimport_adds_nothing_and_the_upload_is_kept(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore
) -> None:
    content = satellite_csv(plan)
    import_file(sessions, plan, store, KIND, content)
    again = import_file(sessions, plan, store, KIND, content)
    assert (again.created, again.updated, again.unchanged, len(again.set_aside)) == (0, 0, 5, 1)
    assert len(points(sessions)) == 5 and len(cases(sessions, "fire_point.burning")) == 4
    with transaction(sessions) as session:
        exported = service.export_register(session, OFFICE, KIND, ".xlsx")
    back = import_file(sessions, plan, store, KIND, exported, filename="export.xlsx")
    assert (back.created, back.updated, back.unchanged) == (0, 0, 5)
    with transaction(sessions) as session:
        kept = session.scalars(select(SourceImport).where(SourceImport.kind == KIND.key)).all()
        assert (
            len(kept) == 3
            and store.read(store.relative_path(kept[0].sha256), kept[0].sha256) == content
        )


def test_bad_rows_are_each_reported_and_nothing_is_written(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore
) -> None:
    lines = [
        FIRMS_HEADER,
        firms_row(*SEATS[YUECUN], "2017-10-15", "0536"),
        ",113.40,331,0.4,0.4,2017-10-15,0536,N,VIIRS,n,2.0NRT,290,3.1,D",  # no latitude
        firms_row(*SEATS[CHAOHUA], "2017-10-15", "2575"),  # 25:75 is no time
        firms_row(*SEATS[CHAOHUA], "2017-10-15", "0536", "x"),  # VIIRS: l, n or h
        firms_row(*SEATS[CHAOHUA], "2017-13-01", "0536"),  # no such date
        f"{SEATS[CHAOHUA][1]},{SEATS[CHAOHUA][0]},330,1,1,2017-10-15,0300,Aqua,MODIS,150,6.1NRT,"
        "290,9.9,D",  # MODIS: 0–100
    ]
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, ("\n".join(lines) + "\n").encode())
    rows = sorted({p.row for p in refused.value.problems})
    assert rows == [3, 4, 5, 6, 7]
    reasons = " ".join(p.reason for p in refused.value.problems)
    assert "latitude" in reasons and "HHMM" in reasons and "l, n or h" in reasons
    assert "0–100" in reasons
    assert points(sessions) == {} and cases(sessions, "fire_point.burning") == []


def test_a_patrol_finding_is_a_row_like_any_other(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore
) -> None:
    with transaction(sessions) as session:
        record, created = service.save_entry(
            session,
            OFFICE,
            KIND,
            FirePointRow(
                longitude=SEATS[CHAOHUA][0],
                latitude=SEATS[CHAOHUA][1],
                observed_at=datetime(2017, 10, 20, 16, 30),  # China time
                note="巡查发现",
            ),
            plan=plan,
        )
        assert created and record.area_code == CHAOHUA
        assert record.source == "patrol" and record.key.startswith("FP-PATROL-")
        assert record.observed_at == datetime(2017, 10, 20, 8, 30, tzinfo=UTC)
        with pytest.raises(Invalid, match="outside the city"):
            service.save_entry(
                session,
                OFFICE,
                KIND,
                FirePointRow(longitude=113.02, latitude=34.5, observed_at=datetime(2017, 10, 20)),
                plan=plan,
            )
    assert len(cases(sessions, "fire_point.burning")) == 1


# --- lifecycle, scope, warning, indicators ------------------------------------------------------


def test_a_point_is_confirmed_or_dismissed_on_the_spot_with_a_photo(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, satellite_csv(plan))
    keys = sorted(k for k, p in points(sessions).items() if p.area_code == YUECUN)
    burning, flare = entry_id(sessions, KIND, keys[0]), entry_id(sessions, KIND, keys[1])
    with pytest.raises(Conflict, match="photo"):
        step(sessions, INSPECTOR, KIND, burning, "confirm")
    check(sessions, store, INSPECTOR, KIND, burning, {"on_spot": "pass", "no_burning": "pass"})
    with pytest.raises(Conflict, match="did not find burning"):
        step(sessions, INSPECTOR, KIND, burning, "confirm")
    check(sessions, store, INSPECTOR, KIND, burning, {"on_spot": "pass", "no_burning": "fail"})
    step(sessions, INSPECTOR, KIND, burning, "confirm")
    with pytest.raises(Conflict, match="put out"):
        step(sessions, INSPECTOR, KIND, burning, "deal")
    check(sessions, store, INSPECTOR, KIND, burning, {"put_out": "pass"})
    assert step(sessions, INSPECTOR, KIND, burning, "deal").state == "dealt"
    # A factory's flare: a false alarm, with a note saying what it was.
    check(sessions, store, INSPECTOR, KIND, flare, {"on_spot": "pass", "no_burning": "pass"})
    with pytest.raises(Invalid):
        step(sessions, INSPECTOR, KIND, flare, "dismiss")
    assert step(sessions, INSPECTOR, KIND, flare, "dismiss", note="工厂火炬").state == "false_alarm"
    with pytest.raises(NotAllowed):  # a township does not reopen its own false alarm
        step(sessions, CHENGGUAN, KIND, flare, "reopen", note="再查")
    # The false alarm leaves the township's count and adds no case.
    value = indicator(sessions, "straw_burning_fire_points")
    assert value.value == 4 and value.records == 5
    assert ("岳村镇 410183109 2017-10", 2.0) in value.detail  # three points, one a flare
    evaluate(sessions)
    assert len(cases(sessions, "fire_point.burning")) == 4


def test_a_township_is_refused_another_townships_point(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore
) -> None:
    import_file(sessions, plan, store, KIND, satellite_csv(plan))
    key = next(k for k, p in points(sessions).items() if p.area_code == YUECUN)
    record_id = entry_id(sessions, KIND, key)
    with pytest.raises(NotAllowed):
        check(sessions, store, MICUN, KIND, record_id, {"on_spot": "pass"})
    with pytest.raises(NotAllowed):
        step(sessions, CHENGGUAN, KIND, record_id, "confirm")
    with pytest.raises(Rejected, match="outside your scope"):
        import_file(sessions, plan, store, KIND, satellite_csv(plan), who=MICUN)


def test_burning_during_a_warning_is_marked_for_accountability(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore
) -> None:
    rules = load_rules(DEFAULT_PLAN_DIR)
    start = datetime(2017, 10, 20, 4, tzinfo=UTC)
    with transaction(sessions) as session:
        for action, level, at in (("issue", "orange", start), ("lift", None, start + timedelta(2))):
            decide(
                session, OFFICE, rules, action=action, scope="410183", areas=sorted(plan.area_names()),
                level=level, reason="预报重污染", effective_at=at, now=at,
                area_names=plan.area_names(),
            )  # fmt: skip
        assert level_in_force(session, YUECUN, start + timedelta(hours=1)) == "orange"
        assert level_in_force(session, YUECUN, start - timedelta(hours=1)) is None
        assert level_in_force(session, YUECUN, start + timedelta(days=3)) is None
        # A warning for 米村镇 alone covers no other township.
        later = start + timedelta(days=10)
        decide(
            session, OFFICE, rules, action="issue", scope="410183101", areas=["410183101"],
            level="yellow", reason="米村镇预报重污染", effective_at=later, now=later,
            area_names=plan.area_names(),
        )  # fmt: skip
        assert level_in_force(session, "410183101", later + timedelta(hours=1)) == "yellow"
        assert level_in_force(session, YUECUN, later + timedelta(hours=1)) is None
    lines = [
        FIRMS_HEADER,
        firms_row(*SEATS[YUECUN], "2017-10-21", "0530"),  # during the warning
        firms_row(*SEATS[CHAOHUA], "2017-10-25", "0530"),  # after it was lifted
    ]
    import_file(sessions, plan, store, KIND, ("\n".join(lines) + "\n").encode())
    opened = {c.area_code: c for c in cases(sessions, "fire_point.burning")}
    assert "一律严肃问责" in opened[YUECUN].title and opened[YUECUN].severity == "major"
    assert "问责" not in opened[CHAOHUA].title
    with transaction(sessions) as session:
        marks = {
            o.case_id: o.details["accountability"]
            for o in session.scalars(select(CaseOccurrence))
            if o.details
        }
    assert marks == {opened[YUECUN].id: True, opened[CHAOHUA].id: False}
    # The rule itself, on the facts: the mark follows the warning in the context.
    with transaction(sessions) as session:
        point = session.scalars(select(FirePoint).where(FirePoint.area_code == YUECUN)).one()
        during = _burning(
            Facts(point, (), point.observed_on, plan=plan, context={"warning": "orange"})
        )
        outside = _burning(Facts(point, (), point.observed_on, plan=plan, context={}))
    assert during is not None and during.accountability
    assert outside is not None and not outside.accountability


def test_the_share_checked_by_the_deadline(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    frozen.moment = datetime(2017, 10, 16, 2, tzinfo=UTC)  # 10-16 10:00 in Xinmi
    import_file(sessions, plan, store, KIND, satellite_csv(plan))
    found = points(sessions)
    assert all(str(p.deadline) == str(p.observed_on + timedelta(days=1)) for p in found.values())
    on_time = next(k for k, p in found.items() if p.area_code == CHAOHUA)
    late = next(
        k for k, p in found.items() if str(p.observed_on) == "2017-10-15" and p.area_code == YUECUN
    )
    check(sessions, store, INSPECTOR, KIND, entry_id(sessions, KIND, on_time),
          {"on_spot": "pass", "no_burning": "fail"})  # fmt: skip
    step(sessions, INSPECTOR, KIND, entry_id(sessions, KIND, on_time), "confirm")
    frozen.moment = datetime(2017, 10, 20, 2, tzinfo=UTC)  # past 10-16, the deadline
    check(sessions, store, INSPECTOR, KIND, entry_id(sessions, KIND, late),
          {"on_spot": "pass", "no_burning": "fail"})  # fmt: skip
    step(sessions, INSPECTOR, KIND, entry_id(sessions, KIND, late), "confirm")
    value = indicator(sessions, "straw_fire_points_checked_in_time")
    assert value.records == 5 and value.value == 20.0  # 1 of 5 in time
    assert (CHAOHUA, 100.0) in value.detail and (YUECUN, 0.0) in value.detail


def test_the_list_filters_a_township_day_as_the_case_links_it(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore
) -> None:
    import_file(sessions, plan, store, KIND, satellite_csv(plan))
    with transaction(sessions) as session:
        page = service.list_entries(
            session,
            OFFICE,
            KIND,
            service.entry_filter(area_code=YUECUN, choices={"observed_on": "2017-10-15"}),
        )
    assert page.total == 2


def test_the_sample_csv_imports_as_is_and_the_demo_saves_its_points(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore
) -> None:
    from lantian.sources.kinds.fire_points import SAMPLE_CSV

    content = SAMPLE_CSV.read_bytes()
    assert content.startswith("# 示例数据".encode())
    result = import_file(sessions, plan, store, KIND, content, filename=SAMPLE_CSV.name)
    assert result.created >= 30 and len(result.set_aside) >= 2
    assert result.created + len(result.set_aside) == content.count(b"\n") - 2
    found = points(sessions)
    days = {(p.area_code, p.observed_on) for p in found.values()}
    assert len(cases(sessions, "fire_point.burning")) == len(days) < len(found)
    # The demo's sample rows are the same points, marked as sample.
    assert KIND.sample is not None
    rows = KIND.sample(SampleContext((), (), Random(7), date(2017, 10, 1)))
    assert len(rows) == result.created + len(result.set_aside)
    with transaction(sessions) as session:
        counts = service.save_samples(session, OFFICE, KIND, rows)
        assert counts.created == 0 and len(counts.records) == result.created  # same keys
