"""The fireworks findings' register (task 36) through the one write path, on both backends: import
good and bad files, re-import, a finding in the plan's fireworks ban zone opening one case, the
lifecycle (dealt with only with evidence), scope, the computed share dealt with."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import BAN_ZONES_FILE, DEFAULT_PLAN_DIR, Plan, read_plan
from lantian.sources import service
from lantian.sources.kinds.fireworks import KIND, FireworksFinding, fireworks_zone_geojson
from lantian.sources.kinds.loose_coal import in_ban_zone
from lantian.sources.registry import kind_of
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

HEADER = "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,备注,发现日期,违法行为,数量（箱）,当事人"
#: Two findings in the city seat (inside the shipped zone, which bans fuel and fireworks) and one
#: in 米村镇, far outside it.
GOOD_ROWS = [
    "YH-1,城关镇燃放烟花,410183100,gaj,青屏大街,113.385,34.537,2017-10-20,,2017-10-08,燃放,2,张某",
    "YH-2,城关镇销售烟花,410183100,gaj,西大街,113.380,34.540,2017-10-20,,2017-10-08,sale,30,某超市",
    "YH-3,米村镇燃放烟花,410183101,gaj,米村镇,113.250,34.450,2017-10-20,,2017-10-08,燃放,1,李某",
]
BAD_ROWS = [
    "YH-9,无坐标,410183100,gaj,,,,,,2017-10-08,燃放,1,",
    "YH-10,行为错误,410183100,gaj,,113.38,34.54,,,2017-10-08,燃烧,1,",
    "YH-11,乡镇错误,999999999,gaj,,113.38,34.54,,,2017-10-08,燃放,1,",
    "YH-12,数量为负,410183100,gaj,,113.38,34.54,,,2017-10-08,燃放,-1,",
]


def csv(rows: list[str]) -> bytes:
    return "\n".join([HEADER, *rows]).encode("utf-8")


def test_the_kind_is_registered_with_the_plans_fireworks_zone(plan: Plan) -> None:
    assert kind_of("fireworks_finding") is KIND
    layer = fireworks_zone_geojson(plan)
    assert layer is not None and len(layer["features"]) == 1
    assert "fireworks" in layer["features"][0]["properties"]["bans"]
    assert "违法行为 finding" in [f"{c.zh} {c.en}" for c in KIND.columns]


def test_import_good_file_then_reimport_is_idempotent(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    first = import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    again = import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    with transaction(sessions) as session:
        exported = service.export_register(session, OFFICE, KIND, ".csv")
    assert import_file(sessions, plan, store, KIND, exported).unchanged == 3


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv([*BAD_ROWS, GOOD_ROWS[0]]))
    assert sorted({p.row for p in refused.value.problems}) == [2, 3, 4, 5]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(FireworksFinding)) == 0


def test_a_finding_in_the_ban_zone_opens_one_case_however_often_evaluated(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    evaluate(sessions, 3, plan=plan)
    opened = cases(sessions, "fireworks_finding.in_ban_zone")
    assert sorted(c.dedup_key.rsplit(":", 1)[-1] for c in opened) == ["YH-1", "YH-2"]
    assert all(c.area_code == "410183100" for c in opened)
    assert "禁放区" in opened[0].title


def test_a_zone_banning_only_fuel_opens_no_fireworks_case(
    sessions: sessionmaker[Session], store: FileStore, frozen: clock.FrozenClock, tmp_path: Path
) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    path = folder / BAN_ZONES_FILE
    document = json.loads(path.read_text("utf-8"))
    del document["features"][0]["properties"]["bans"]  # as first written: a fuel ban zone
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    fuel_only = read_plan(folder)
    assert fuel_only.problems == []
    assert fireworks_zone_geojson(fuel_only) is None
    assert in_ban_zone(fuel_only, 113.385, 34.537)  # the loose-coal zone is still there
    import_file(sessions, fuel_only, store, KIND, csv(GOOD_ROWS))
    evaluate(sessions, 2, plan=fuel_only)
    assert cases(sessions, "fireworks_finding.in_ban_zone") == []


def test_dealt_with_only_with_evidence_and_dismissal_by_the_verifiers(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    one, three = entry_id(sessions, KIND, "YH-1"), entry_id(sessions, KIND, "YH-3")
    step(sessions, CHENGGUAN, KIND, one, "investigate")
    with pytest.raises(Conflict, match="收缴或处罚"):
        step(sessions, CHENGGUAN, KIND, one, "deal")
    # a failed confiscation (none found) is no evidence either
    check(sessions, store, INSPECTOR, KIND, one, {"confiscated": "fail"}, photo=False)
    with pytest.raises(Conflict):
        step(sessions, CHENGGUAN, KIND, one, "deal")
    # a confiscation's pass needs its photo
    with pytest.raises(Invalid):
        check(sessions, store, CHENGGUAN, KIND, one, {"confiscated": "pass"}, photo=False)
    check(sessions, store, CHENGGUAN, KIND, one, {"penalised": "pass"})
    assert step(sessions, CHENGGUAN, KIND, one, "deal").state == "dealt_with"
    # only the verifiers dismiss, and they say why
    micun = Principal("micun", "township", "410183101")
    with pytest.raises(NotAllowed):
        step(sessions, micun, KIND, three, "dismiss", "不属实")
    with pytest.raises(Invalid):
        step(sessions, INSPECTOR, KIND, three, "dismiss")
    assert step(sessions, INSPECTOR, KIND, three, "dismiss", "系合法婚庆燃放区外").state == (
        "dismissed"
    )
    with pytest.raises(Conflict):
        step(sessions, INSPECTOR, KIND, three, "deal")


def test_a_township_is_refused_another_townships_finding(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv(GOOD_ROWS), who=MICUN)
    assert sorted({p.row for p in refused.value.problems}) == [2, 3]
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    with pytest.raises(NotAllowed):
        step(sessions, MICUN, KIND, entry_id(sessions, KIND, "YH-1"), "investigate")
    with pytest.raises(NotAllowed):
        check(sessions, store, MICUN, KIND, entry_id(sessions, KIND, "YH-2"), {"not_again": "pass"})


def test_a_cooperating_unit_records_a_confiscation_only(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    supply = Principal("gxs-user", "unit", "gxs")  # 供销社, a cooperating unit of task 36
    two = entry_id(sessions, KIND, "YH-2")
    check(sessions, store, supply, KIND, two, {"confiscated": "pass"})
    with pytest.raises(NotAllowed):
        check(sessions, store, supply, KIND, two, {"penalised": "pass"})


def test_the_share_dealt_with_counts_the_findings_in_the_zone(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    before = indicator(sessions, "fireworks_ban_violations_dealt_share")
    assert (before.value, before.records) == (0.0, 2)
    one = entry_id(sessions, KIND, "YH-1")
    check(sessions, store, OFFICE, KIND, one, {"confiscated": "pass"})
    step(sessions, OFFICE, KIND, one, "deal")
    # dealing with the finding outside the zone does not change the share
    three = entry_id(sessions, KIND, "YH-3")
    check(sessions, store, OFFICE, KIND, three, {"confiscated": "pass"})
    step(sessions, OFFICE, KIND, three, "deal")
    after = indicator(sessions, "fireworks_ban_violations_dealt_share")
    assert (after.value, after.records) == (50.0, 2)
    assert dict(after.detail) == {"燃放 setting_off": 100.0, "销售 sale": 0.0}


def test_a_zone_with_an_unknown_ban_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    path = folder / BAN_ZONES_FILE
    document = json.loads(path.read_text("utf-8"))
    document["features"][0]["properties"]["bans"] = ["fireworks", "smoking"]
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), "utf-8")
    problems = read_plan(folder).problems
    assert [p.path for p in problems] == ["features[0].properties.bans[1]"]
    assert problems[0].file == BAN_ZONES_FILE and problems[0].line is not None
