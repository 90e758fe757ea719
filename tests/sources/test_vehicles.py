"""Task 23 through the one write path, on both backends: vehicle emission tests imported from the
remote-sensing vendor's own CSV (``data/remote_sensing_vendor_201710.csv``, GBK, made to look like
a vendor export by ``data/make_remote_sensing_vendor.py``, with nine bad rows), routed by weight and
verdict to the environment bureau or the traffic police, and the testing agencies' monthly ≥ 20 %
spot-check share judged month by month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.config import Settings
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.scheduler.registry import get_job
from lantian.scheduler.service import Scheduler
from lantian.sources import service
from lantian.sources.kinds import testing_agencies, vehicle_tests
from lantian.sources.kinds.testing_agencies import TestingAgency as Agency
from lantian.sources.kinds.vehicle_tests import VehicleTest, VehicleTestRow
from lantian.sources.models import SourceImport
from lantian.sources.registry import kind_of
from lantian.supervision.models import InspectionCase
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

VENDOR_FILE = Path(__file__).parent / "data" / "remote_sensing_vendor_201710.csv"
#: The file's bad rows (line numbers: a title line, then the header on line 2) and the column
#: each is reported in.
BAD_ROWS = {
    19: "车牌号码",  # no plate
    20: "检测时间",  # 2017/10/32
    21: "车速(km/h)",  # -5
    22: "不透光烟度(%)",  # 135 %
    23: "检测结果",  # 不合格 is not one of the vendor's words
    24: "总质量(kg)",  # an exceeding diesel lorry without its weight cannot be routed
    25: "经度",  # outside the city's townships
    27: "检测流水号",  # the serial repeats line 5
    28: "",  # no valid measurement at all
}
VEHICLE = vehicle_tests.KIND
AGENCY = testing_agencies.KIND
QUALITY = Principal("gszjj-user", "unit", "gszjj")


def vendor_text() -> str:
    return VENDOR_FILE.read_bytes().decode("gbk")


def good_vendor_file() -> bytes:
    """The vendor's file without its bad rows, saved as UTF-8 (both encodings are accepted)."""
    lines = vendor_text().splitlines()
    kept = [line for number, line in enumerate(lines, start=1) if number not in BAD_ROWS]
    return ("\n".join(kept) + "\n").encode("utf-8")


def by_serial(session: Session, serial: str) -> VehicleTest:
    found = session.scalar(select(VehicleTest).where(VehicleTest.key == serial))
    assert found is not None, serial
    return found


def test_both_kinds_are_registered() -> None:
    assert kind_of("vehicle_test") is VEHICLE
    assert kind_of("testing_agency") is AGENCY
    assert "车牌号码 plate" in VEHICLE.spec.headers
    assert [layout.key for layout in VEHICLE.layouts] == ["remote_sensing_vendor"]


def test_the_vendor_file_with_bad_rows_reports_every_one_and_writes_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, VEHICLE, VENDOR_FILE.read_bytes(), filename="遥感.csv")
    problems = refused.value.problems
    assert {p.row for p in problems} == set(BAD_ROWS)
    for number, column in BAD_ROWS.items():
        assert any(p.row == number and p.column == column for p in problems), (number, problems)
    assert any(p.row == 27 and "第 5 行" in p.reason for p in problems)
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(VehicleTest)) == 0
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 0


def test_the_vendor_layout_imports_and_routes_by_weight_and_verdict(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    content = good_vendor_file()
    result = import_file(sessions, plan, store, VEHICLE, content, filename="遥感.csv")
    assert (result.created, result.layout) == (19, "remote_sensing_vendor")
    with transaction(sessions) as session:
        kept = session.get(SourceImport, result.import_id)
        assert kept is not None
        assert store.read(store.relative_path(kept.sha256), kept.sha256) == content
        heavy = by_serial(session, "XMYG201710160007")  # 31 t diesel, opacity 46.3 %
        assert (heavy.verdict, heavy.unit_code, heavy.gross_weight_t) == ("exceed", "hbj", 31.0)
        light = by_serial(session, "XMYG201710230008")  # 3.2 t diesel exceeding
        assert (light.verdict, light.unit_code) == ("exceed", "gaj")
        smoke = next(v for v in session.scalars(select(VehicleTest)) if v.verdict == "black_smoke")
        assert (smoke.unit_code, smoke.ringelmann, smoke.gross_weight_t) == ("gaj", 2, 25.0)
        judged = [v for v in session.scalars(select(VehicleTest)) if v.no_ppm == 1720]
        assert [(v.verdict, v.unit_code) for v in judged] == [("exceed", "hbj")]
        passing = session.scalars(select(VehicleTest).where(VehicleTest.verdict == "pass")).all()
        assert len(passing) == 15 and {v.unit_code for v in passing} == {"hbj"}
        assert {v.method for v in passing} == {"remote_sensing"}
        # each site located to the township its coordinates lie in
        located = {(v.address, v.area_code) for v in session.scalars(select(VehicleTest))}
        assert located == {
            ("S316省道来集段遥感点", "410183110"),
            ("G207国道曲梁段遥感点", "410183105"),
            ("郑少高速新密出口遥感点", "410183200"),
        }
    evaluate(sessions)
    opened = cases(sessions, "vehicle_test.exceeding")
    assert sorted(c.unit_code or "" for c in opened) == ["gaj", "gaj", "hbj", "hbj"]
    assert any("溯源" in c.description and "新密市安达" in c.description for c in opened)
    again = import_file(sessions, plan, store, VEHICLE, content, filename="遥感.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 19)
    assert len(cases(sessions, "vehicle_test.exceeding")) == 4


def template_row(key: str, weight: float | None, **more: object) -> VehicleTestRow:
    values: dict[str, object] = {
        "key": key,
        "name": f"豫A{key[-5:]} 路检",
        "area_code": "410183100",
        "unit_code": "gaj",  # a file's unit is replaced by the routing rule's
        "address": "新密市青屏大街卡口",
        "plate": f"豫A{key[-5:]}",
        "tested_at": "2017-10-09 10:30",
        "method": "roadside",
        "fuel": "diesel",
        "gross_weight_t": weight,
        "verdict": "exceed",
    }
    values.update(more)
    return VehicleTestRow.model_validate(values)


def save(sessions: sessionmaker[Session], plan: Plan, row: VehicleTestRow, who=OFFICE) -> int:
    with transaction(sessions) as session:
        record, _ = service.save_entry(session, who, VEHICLE, row, plan=plan)
        return record.id


def test_routing_by_weight_and_the_lifecycle(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    at_limit = save(sessions, plan, template_row("LJ-00350", 3.5))
    above = save(sessions, plan, template_row("LJ-00351", 3.51))
    petrol = save(sessions, plan, template_row("LJ-00352", 12.0, fuel="petrol"))
    fine = save(sessions, plan, template_row("LJ-00353", 20.0, verdict=None, opacity_pct=12.0))
    with transaction(sessions) as session:
        units = {
            r.key: (r.unit_code, r.verdict)
            for r in session.scalars(select(VehicleTest).order_by(VehicleTest.key))
        }
    assert units == {
        "LJ-00350": ("gaj", "exceed"),  # 3.5 t is not above 3.5 t: the traffic police
        "LJ-00351": ("hbj", "exceed"),  # a heavy diesel vehicle: the environment bureau
        "LJ-00352": ("gaj", "exceed"),  # exceeding but not diesel: the traffic police
        "LJ-00353": ("hbj", "pass"),  # judged against the limits: opacity 12 % < 30 %
    }
    with pytest.raises(Invalid) as unroutable:
        save(sessions, plan, template_row("LJ-00354", None))
    assert unroutable.value.field == "gross_weight_t"
    assert {c.unit_code for c in cases(sessions, "vehicle_test.exceeding")} == {"gaj", "hbj"}
    # dealt with only once the penalty is recorded; a passing vehicle is filed, never dealt with
    with pytest.raises(Conflict, match="依法处罚"):
        step(sessions, OFFICE, VEHICLE, above, "deal", "罚款并劝返")
    check(sessions, store, OFFICE, VEHICLE, above, {"penalised": "pass"})
    with pytest.raises(Conflict, match="劝返"):
        step(sessions, OFFICE, VEHICLE, above, "deal", "罚款并劝返")
    check(sessions, store, OFFICE, VEHICLE, above, {"turned_back": "pass"})
    assert step(sessions, OFFICE, VEHICLE, above, "deal", "罚款并劝返").state == "dealt_with"
    with pytest.raises(Conflict):
        step(sessions, OFFICE, VEHICLE, petrol, "file")
    assert step(sessions, OFFICE, VEHICLE, fine, "file").state == "filed"
    # a township keeps its own area's records only
    with pytest.raises(NotAllowed):
        step(sessions, MICUN, VEHICLE, at_limit, "file")
    with pytest.raises(NotAllowed):
        save(sessions, plan, template_row("LJ-00355", 30.0), who=MICUN)
    assert save(sessions, plan, template_row("LJ-00356", 30.0), who=CHENGGUAN) > 0


AGENCIES = "\n".join(
    [
        "编号,名称,乡镇代码,责任单位代码,地址,检验检测机构资质认定证书编号,检测线数",
        *(
            f"JYJG-{n:03d},新密市第{n}机动车检测有限公司,410183100,gszjj,新密市青屏大街,"
            f"16161234{n:04d},4"
            for n in range(1, 11)
        ),
        "JYJG-011,新密市安达机动车检测有限公司,410183100,,新密市开阳路,161612340011,3",
    ]
).encode("utf-8")


def test_the_monthly_share_of_agencies_checked_is_judged_month_by_month(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    """October: 3 of 11 agencies checked (27 %) passes; November: 2 of 11 (18 %) fails and stays
    a breach after December's good month."""
    assert import_file(sessions, plan, store, AGENCY, AGENCIES).created == 11
    ids = [entry_id(sessions, AGENCY, f"JYJG-{n:03d}") for n in range(1, 12)]
    with transaction(sessions) as session:
        assert {a.unit_code for a in session.scalars(select(Agency))} == {"hbj"}
    good = {"reports_genuine": "pass", "equipment_valid": "pass", "method_followed": "pass"}
    for agency in ids[:2]:  # the quality bureau records its spot checks on any agency
        check(sessions, store, QUALITY, AGENCY, agency, good)
    false_report = {**good, "reports_genuine": "fail"}
    check(sessions, store, QUALITY, AGENCY, ids[2], false_report)
    frozen.advance(timedelta(days=31))  # 2017-11-10
    check(sessions, store, QUALITY, AGENCY, ids[0], good)
    check(sessions, store, QUALITY, AGENCY, ids[3], good)
    frozen.advance(timedelta(days=25))  # 2017-12-05: November has ended
    evaluate(sessions)
    monthly = cases(sessions, "testing_agency.monthly_checks")
    assert [(c.unit_code, c.title[:7], c.is_sample) for c in monthly] == [
        ("gszjj", "2017-11", False)
    ]
    fake = cases(sessions, "testing_agency.false_report")
    assert [(c.unit_code, c.severity) for c in fake] == [("hbj", "major")]
    for agency in ids[:5]:  # December is good, November stays a breach
        check(sessions, store, QUALITY, AGENCY, agency, good)
    frozen.advance(timedelta(days=30))  # 2018-01-04
    evaluate(sessions)
    assert len(cases(sessions, "testing_agency.monthly_checks")) == 1
    value = indicator(sessions, "inspection_agency_check_ratio")
    assert value.value == pytest.approx(18.2)  # the worst month, never an average
    assert [label.split()[0] for label, _ in value.detail] == [
        "2017-10",
        "2017-11",
        "2017-12",
        "2018-01",
    ]
    assert [share for _, share in value.detail][:3] == [27.3, 18.2, 45.5]
    with transaction(sessions) as session:
        shares = testing_agencies.monthly_shares(session)
        assert [(m.month, m.checked, m.agencies, m.complete) for m in shares][:2] == [
            ("2017-10", 3, 11, True),
            ("2017-11", 2, 11, True),
        ]
    # a unit that neither keeps nor cooperates records no check
    with pytest.raises(NotAllowed):
        check(sessions, store, Principal("gaj-user", "unit", "gaj"), AGENCY, ids[0], good)


def test_the_agency_page_ranks_agencies_named_by_exceeding_vehicles(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, AGENCY, AGENCIES)
    import_file(sessions, plan, store, VEHICLE, good_vendor_file(), filename="遥感.csv")
    with transaction(sessions) as session:
        anda = session.scalar(select(Agency).where(Agency.key == "JYJG-011"))
        assert anda is not None and AGENCY.panels is not None
        ranking, vehicles = AGENCY.panels(session, anda)
        assert ranking.rows[0] == ("新密市安达机动车检测有限公司", "2")
        assert ranking.links[0] == f"/sources/testing_agency/{anda.id}"
        assert sorted(row[2] for row in vehicles.rows) == ["超标", "超标"]
        assert all(link and link.startswith("/sources/vehicle_test/") for link in vehicles.links)


def test_the_command_imports_the_vendor_file_and_the_nightly_job_judges_the_months(
    lantian: Callable[..., Result],
    sessions: sessionmaker[Session],
    tmp_path: Path,
    store: FileStore,
    plan: Plan,
) -> None:
    refused = lantian("sources", "import", "vehicle_test", str(VENDOR_FILE))
    assert refused.exit_code == 1
    assert all(f"{number}" in refused.output for number in BAD_ROWS)
    good = tmp_path / "遥感导出.csv"
    good.write_bytes(good_vendor_file())
    imported = lantian("sources", "import", "vehicle_test", str(good))
    assert imported.exit_code == 0 and "layout remote_sensing_vendor" in imported.output
    assert "19" in imported.output
    # agencies registered in October 2017, none checked: the nightly job of 2017-12-01 finds
    # October and November below 20 % (one case each), and again adds nothing
    with clock.use(clock.FrozenClock(datetime(2017, 10, 9, 2, tzinfo=UTC))):
        import_file(sessions, plan, store, AGENCY, AGENCIES)
    job = get_job("sources.evaluate")
    assert job is not None
    moment = datetime(2017, 11, 30, 17, tzinfo=UTC)  # 2017-12-01 01:00 in China
    scheduler = Scheduler(sessions, Settings(data_dir=tmp_path), [job], clock=lambda: moment)

    def case_count() -> int:
        with transaction(sessions) as session:
            return session.scalar(select(func.count()).select_from(InspectionCase)) or 0

    before = case_count()
    first = scheduler.run_now("sources.evaluate", "admin")
    # Other registers' rules run in the same job (every unit's missing weekly machinery patrol
    # reports, task 24): the summary counts every case the run opened, the agencies' two among them.
    opened = case_count() - before
    assert first.summary is not None and f"新开案件 {opened} 件" in first.summary, first.summary
    second = scheduler.run_now("sources.evaluate", "admin")
    assert second.summary is not None and "新开案件 0 件" in second.summary
    titles = sorted(c.title[:7] for c in cases(sessions, "testing_agency.monthly_checks"))
    assert titles == ["2017-10", "2017-11"]
