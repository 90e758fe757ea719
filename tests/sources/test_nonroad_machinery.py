"""The non-road mobile machinery register (task 24) through the one write path, on both backends:
import good and bad files, re-import, the built-up area's ban on high-emission and black-smoking
machines opening one case each however often evaluated, the lifecycle to elimination, scope, the
computed count of banned machines still in use."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.engine import transaction
from lantian.errors import Conflict, NotAllowed
from lantian.files import FileStore
from lantian.plan import BAN_ZONES_FILE, DEFAULT_PLAN_DIR, Plan, read_plan
from lantian.sources import service
from lantian.sources.kinds.nonroad_machinery import (
    KIND,
    NonroadMachine,
    ban_zone_geojson,
    in_ban_zone,
    is_high_emission,
)
from lantian.sources.registry import kind_of
from lantian.supervision.models import InspectionCase
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,备注,"
    "机械类型,排放阶段,生产日期,登记编码,所有/使用单位,使用场所类别"
)
#: FDL-1: 国I in the city seat (inside the built-up area) — banned. FDL-2: written 国II but made
#: before 2009-10-01, in the seat — banned. FDL-3: 国III in the seat — allowed. FDL-4: 国I in
#: 米村镇, outside the zone — allowed there (an elimination deadline binds it).
GOOD_ROWS = [
    "FDL-1,挖掘机一号,410183100,hbj,青屏大街工地,113.385,34.537,,,挖掘机,国I及以下,2006-05-01,"
    "HB01,某建设工程项目部,施工工地",
    "FDL-2,装载机二号,410183100,hbj,西大街物流园,113.380,34.540,,,loader,stage2,2009-03-01,"
    "HB02,某物流园,物流场所 logistics",
    "FDL-3,压路机三号,410183100,hbj,新华路,113.390,34.530,,,压路机,国III,2015-06-01,HB03,"
    "某道路改造工程,construction",
    "FDL-4,叉车四号,410183101,hbj,米村镇,113.250,34.450,2017-12-31,,叉车,stage1,2005-01-01,"
    "HB04,某耐材厂,工厂企业",
]
BAD_ROWS = [
    "FDL-9,类型错误,410183100,hbj,,113.38,34.54,,,推土车,国III,2015-01-01,,某工地,施工工地",
    "FDL-10,阶段错误,410183100,hbj,,113.38,34.54,,,挖掘机,国V,2015-01-01,,某工地,施工工地",
    "FDL-11,乡镇错误,999999999,hbj,,113.38,34.54,,,挖掘机,国III,2015-01-01,,某工地,施工工地",
    "FDL-12,缺使用单位,410183100,hbj,,113.38,34.54,,,挖掘机,国III,2015-01-01,,,施工工地",
    "FDL-13,日期错误,410183100,hbj,,113.38,34.54,,,挖掘机,国III,去年,,某工地,施工工地",
]


def csv(rows: list[str]) -> bytes:
    return "\n".join([HEADER, *rows]).encode("utf-8")


def test_the_kind_is_registered_with_the_plans_machinery_zone(plan: Plan) -> None:
    assert kind_of("nonroad_machinery") is KIND
    layer = ban_zone_geojson(plan)
    assert layer is not None and len(layer["features"]) == 1
    assert "machinery" in layer["features"][0]["properties"]["bans"]
    assert in_ban_zone(plan, 113.385, 34.537) and not in_ban_zone(plan, 113.25, 34.45)
    # 国 I and below, or made before 2009-10-01 whatever the stage written
    assert is_high_emission("stage1", None)
    assert is_high_emission("stage3", date(2009, 9, 30))
    assert not is_high_emission("stage3", date(2009, 10, 1))
    assert not is_high_emission("stage2", None)


def test_import_good_file_then_reimport_is_idempotent(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    first = import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
    again = import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    with transaction(sessions) as session:
        exported = service.export_register(session, OFFICE, KIND, ".csv")
        two = session.scalar(select(NonroadMachine).where(NonroadMachine.key == "FDL-2"))
        assert two is not None
        assert (two.machine_type, two.stage, two.site_kind) == ("loader", "stage2", "logistics")
        assert two.state == "in_use"
    assert import_file(sessions, plan, store, KIND, exported).unchanged == 4


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv([*BAD_ROWS, GOOD_ROWS[0]]))
    assert sorted({p.row for p in refused.value.problems}) == [2, 3, 4, 5, 6]
    columns = {(p.row, p.column) for p in refused.value.problems}
    assert (
        (2, "机械类型") in columns
        and (3, "排放阶段") in columns
        and (5, "所有/使用单位") in columns
    )
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(NonroadMachine)) == 0


def test_high_emission_machines_in_the_built_up_area_open_one_case_each(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    evaluate(sessions, 3, plan=plan)
    opened = cases(sessions, "nonroad_machinery.high_emission_in_zone")
    assert sorted(c.dedup_key.rsplit(":", 1)[-1] for c in opened) == ["FDL-1", "FDL-2"]
    assert all(c.area_code == "410183100" and c.unit_code == "hbj" for c in opened)
    assert all("顶格处罚" in c.description and "按日计罚" in c.description for c in opened)
    # the 国I machine outside the zone is not banned there (its deadline is not yet past)
    assert cases(sessions, "nonroad_machinery.overdue") == []
    value = indicator(sessions, "nonroad_high_emission_in_built_up_area")
    assert value.value == 2.0 and value.records == 4
    assert ("城关镇 410183100", 2.0) in value.detail


def test_a_zone_without_the_machinery_ban_opens_no_case(
    sessions: sessionmaker[Session], store: FileStore, frozen: clock.FrozenClock, tmp_path: Path
) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    path = folder / BAN_ZONES_FILE
    document = json.loads(path.read_text("utf-8"))
    document["features"][0]["properties"]["bans"] = ["fuel"]
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    fuel_only = read_plan(folder)
    assert fuel_only.problems == [] and ban_zone_geojson(fuel_only) is None
    import_file(sessions, fuel_only, store, KIND, csv(GOOD_ROWS))
    evaluate(sessions, 2, plan=fuel_only)
    assert cases(sessions, "nonroad_machinery.high_emission_in_zone") == []


def test_black_smoke_in_the_zone_opens_one_case_and_outside_none(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    three = entry_id(sessions, KIND, "FDL-3")  # 国III, allowed in the zone until it smokes
    four = entry_id(sessions, KIND, "FDL-4")
    evaluate(sessions, 1, plan=plan)
    assert cases(sessions, "nonroad_machinery.black_smoke_in_zone") == []
    # the helper's check is recorded at 113.39, 34.54: inside the built-up area
    check(sessions, store, INSPECTOR, KIND, three, {"smoke_free": "fail"}, photo=False)
    evaluate(sessions, 3, plan=plan)
    opened = cases(sessions, "nonroad_machinery.black_smoke_in_zone")
    assert [c.dedup_key.rsplit(":", 1)[-1] for c in opened] == ["FDL-3"]
    with transaction(sessions) as session:
        found = session.get(InspectionCase, opened[0].id)
        assert found is not None and "冒黑烟" in found.title
        # recorded outside the zone, the same finding is no breach of the zone's ban
        service.record_check(
            session,
            INSPECTOR,
            KIND,
            four,
            service.CheckInput(items={"smoke_free": "fail"}, longitude=113.25, latitude=34.45),  # type: ignore[arg-type]
            files=[],
            store=store,
        )
    evaluate(sessions, 2, plan=plan)
    assert len(cases(sessions, "nonroad_machinery.black_smoke_in_zone")) == 1


def test_elimination_needs_scrapping_proven_and_resumption_is_refused_in_the_zone(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    one = entry_id(sessions, KIND, "FDL-1")
    three = entry_id(sessions, KIND, "FDL-3")
    step(sessions, CHENGGUAN, KIND, one, "stop")
    with pytest.raises(Conflict, match="建成区"):
        step(sessions, CHENGGUAN, KIND, one, "resume", note="已整改", plan=plan)
    with pytest.raises(Conflict, match="报废拆解"):
        step(sessions, CHENGGUAN, KIND, one, "eliminate", plan=plan)
    check(sessions, store, CHENGGUAN, KIND, one, {"scrapped": "fail"}, photo=False)
    with pytest.raises(Conflict):  # found not yet scrapped
        step(sessions, CHENGGUAN, KIND, one, "eliminate", plan=plan)
    check(sessions, store, INSPECTOR, KIND, one, {"scrapped": "pass"})
    assert step(sessions, CHENGGUAN, KIND, one, "eliminate", plan=plan).state == "eliminated"
    # only the verifiers reopen an eliminated machine found working again
    with pytest.raises(NotAllowed):
        step(sessions, CHENGGUAN, KIND, one, "reopen", note="又见")
    assert step(sessions, INSPECTOR, KIND, one, "reopen", note="又见使用").state == "stopped"
    # a 国III machine stopped for black smoke resumes once a check finds it clean
    check(sessions, store, INSPECTOR, KIND, three, {"smoke_free": "fail"}, photo=False)
    step(sessions, INSPECTOR, KIND, three, "stop")
    with pytest.raises(Conflict, match="冒黑烟"):
        step(sessions, CHENGGUAN, KIND, three, "resume", note="已维修", plan=plan)
    check(sessions, store, INSPECTOR, KIND, three, {"smoke_free": "pass"}, photo=False)
    assert step(sessions, CHENGGUAN, KIND, three, "resume", note="已维修", plan=plan).state == (
        "in_use"
    )
    # the eliminated machine no longer counts among those in use in the zone
    assert indicator(sessions, "nonroad_high_emission_in_built_up_area").value == 1.0


def test_a_township_is_refused_another_townships_machine(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    one = entry_id(sessions, KIND, "FDL-1")
    with pytest.raises(NotAllowed):
        step(sessions, MICUN, KIND, one, "stop")
    with pytest.raises(Rejected):
        import_file(sessions, plan, store, KIND, csv(GOOD_ROWS[:1]), who=MICUN)
