"""The stacks register (task 21) through the one write path, on both backends: outlets of the
inventory's firms, imports good and bad (limits of the plan), lifecycle guards (an MN, a
registered device), the coverage rule opening one case, scope, indicators."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.engine import transaction
from lantian.emissions import service as emissions
from lantian.emissions.service import EnterpriseInput, LineInput
from lantian.emissions.uscc import make_code
from lantian.errors import Conflict, Invalid
from lantian.files import FileStore
from lantian.monitoring.devices import add_device
from lantian.monitoring.hj212_models import Device
from lantian.plan import Plan
from lantian.sources.kinds.stacks import KIND, Stack, parse_pollutants
from lantian.sources.registry import kind_of
from lantian.tabular import Rejected

from .conftest import INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

POWER = make_code("91410183MA42000A1")
KILN = make_code("91410183MA42000B2")
STRANGER = make_code("91410183MA4299999")
HEADER = "编号,名称,乡镇代码,责任单位代码,统一社会信用代码,数采仪MN,排气筒高度(m),行业,燃料,执行限值,监测污染物"
GOOD = [
    f"PK-1,城关电厂 1#,410183100,hbj,{POWER},LD4101830001,180,火电,煤,超低排放限值,",
    f"PK-2,城关电厂 2#,410183100,hbj,{POWER},,60,power,coal,ultra_low,烟尘、SO2",
    f"PK-3,城关砖厂 1#,410183100,hbj,{KILN},,30,砖瓦,煤,special,",
    f"PK-4,城关砖厂 烘干,410183100,hbj,{KILN},,20,other,none,standard,颗粒物",
]
BAD = [
    f"PK-5,陌生企业,410183100,hbj,{STRANGER},,50,power,coal,standard,",  # not in the inventory
    f"PK-6,高度为负,410183100,hbj,{POWER},,-5,power,coal,standard,",  # height
    f"PK-7,未知污染物,410183100,hbj,{POWER},,50,power,coal,standard,汞",  # pollutant
    f"PK-8,未知行业,410183100,hbj,{POWER},,50,steel,coal,standard,",  # sector
    f"PK-9,玻璃超低,410183100,hbj,{KILN},,50,glass,gas,ultra_low,",  # no such limits in the plan
]
#: 2017-11-05 in Xinmi: after task 21's deadline (2017 年 10 月底).
AFTER = datetime(2017, 11, 5, 2, 0, tzinfo=UTC)


def csv(rows: list[str]) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


@pytest.fixture
def inventory(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for code, name, industry in (
            (POWER, "城关电厂", "power"),
            (KILN, "城关砖厂", "brick_kiln"),
        ):
            emissions.add_enterprise(
                session,
                "tester",
                EnterpriseInput(
                    credit_code=code,
                    name=name,
                    area_code="410183100",
                    industry=industry,
                    output_value=10.0,
                    lines=[LineInput("1号线", pm=0.2)],
                ),
            )


def test_the_kind_is_registered_and_reads_pollutants() -> None:
    assert kind_of("stacks") is KIND and KIND.enterprise_field == "credit_code"
    assert parse_pollutants("烟尘、SO2，03") == ["a34013", "a21026", "a21002"]
    with pytest.raises(ValueError):
        parse_pollutants("汞")


def test_import_good_file_then_reimport_is_idempotent(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    first = import_file(sessions, plan, store, KIND, csv(GOOD))
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
    again = import_file(sessions, plan, store, KIND, csv(GOOD))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    with transaction(sessions) as session:
        rows = {
            r.key: (r.sector, r.limit_set, r.pollutants, r.device_mn)
            for r in session.scalars(select(Stack))
        }
    assert rows == {
        "PK-1": ("power", "ultra_low", "a34013,a21026,a21002", "LD4101830001"),
        "PK-2": ("power", "ultra_low", "a34013,a21026", None),
        "PK-3": ("brick", "special", "a34013,a21026,a21002", None),
        "PK-4": ("other", "standard", "a34013", None),
    }


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv([GOOD[0], *BAD]))
    by_row = {p.row: p.reason for p in refused.value.problems}
    assert sorted(by_row) == [3, 4, 5, 6, 7]
    assert "排放清单" in by_row[3]
    assert "汞" in by_row[5]
    assert "coal_boiler" in by_row[6]  # "steel" is not a sector of the limits
    assert "超低排放限值" in by_row[7]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Stack)) == 0


def test_online_needs_an_mn_and_the_acceptance_with_a_photo_and_the_device_names_the_outlet(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD))
    without_mn = entry_id(sessions, KIND, "PK-2")
    with pytest.raises(Conflict, match="MN"):
        step(sessions, OFFICE, KIND, without_mn, "install_cems")
    fitted = entry_id(sessions, KIND, "PK-1")
    step(sessions, OFFICE, KIND, fitted, "install_cems")
    with pytest.raises(Conflict, match="验收"):
        step(sessions, OFFICE, KIND, fitted, "accept_online")
    with pytest.raises(Invalid, match="照片"):  # the acceptance is proven with a photo
        check(sessions, store, INSPECTOR, KIND, fitted, {"cems_accepted": "pass"}, photo=False)
    check(sessions, store, INSPECTOR, KIND, fitted, {"cems_accepted": "pass"})
    assert step(sessions, OFFICE, KIND, fitted, "accept_online").state == "online"
    with transaction(sessions) as session:
        add_device(session, "LD4101830001", password="123456")
    # Saving the entry again (a re-import) names the outlet on the device registered since.
    import_file(sessions, plan, store, KIND, csv([GOOD[0].replace(",180,", ",181,")]))
    with transaction(sessions) as session:
        device = session.scalar(select(Device).where(Device.mn == "LD4101830001"))
        assert device is not None and device.source_code == "PK-1"


def test_a_covered_stack_without_cems_after_october_is_one_case(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD))
    evaluate(sessions, plan=plan)
    assert cases(sessions, "stacks.no_cems") == []  # before 10-31 nothing is due
    with clock.use(clock.FrozenClock(AFTER)):
        evaluate(sessions, plan=plan)
    found = cases(sessions, "stacks.no_cems")
    # PK-1 (180 m), PK-2 (power), PK-3 (brick): covered; PK-4 (20 m, other): not.
    assert sorted(c.title.split("（")[1].rstrip("）") for c in found) == ["PK-1", "PK-2", "PK-3"]


def test_a_township_is_refused_another_townships_outlets(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv(GOOD[:2]), who=MICUN)
    assert sorted({p.row for p in refused.value.problems}) == [2, 3]


def test_the_coverage_indicators(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD))
    fitted = entry_id(sessions, KIND, "PK-1")
    step(sessions, OFFICE, KIND, fitted, "install_cems")
    check(sessions, store, INSPECTOR, KIND, fitted, {"cems_accepted": "pass"})
    step(sessions, OFFICE, KIND, fitted, "accept_online")
    elevated = indicator(sessions, "elevated_sources_with_cems")
    # Above 45 m: PK-1 (online) and PK-2 (60 m, surveyed).
    assert (elevated.value, elevated.records) == (50.0, 2)
    coverage = indicator(sessions, "cems_coverage")
    assert (coverage.value, coverage.records) == (33.3, 3)


def test_an_elevated_stack_entered_after_the_list_of_october_18_is_one_case(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD))  # on 10-10, in time
    late = f"PK-5,城关电厂 3#,410183100,hbj,{POWER},,90,power,coal,standard,"
    with clock.use(clock.FrozenClock(AFTER)):
        import_file(sessions, plan, store, KIND, csv([late]))
        evaluate(sessions, plan=plan)
    found = cases(sessions, "stacks.listed_late")
    assert [c.title for c in found] == ["高架源未列入10月18日清单：城关电厂 3#（PK-5）"]
