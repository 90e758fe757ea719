"""The boilers' register (coal boilers, tea and small commercial stoves, gas producers, gas boilers;
tasks 14–17) through the one write path, on both backends: import good and bad files (an excluded
elimination method refused citing task 16), re-import, lifecycle steps allowed and refused (closing
off needs the flue cut with a photo and the certificate cancelled by 市工商质监局), the rules opening
one case each (a boiler hidden after 10-01 marked for accountability), scope, the indicator."""

from __future__ import annotations

import io
from datetime import date, timedelta
from random import Random

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds.boilers import KIND, Boiler, BoilerRow
from lantian.sources.models import SourceImport
from lantian.sources.registry import SampleContext, kind_of
from lantian.sources.service import CheckInput, StepInput, UploadedFile
from lantian.supervision import service as supervision
from lantian.supervision.models import CaseOccurrence, InspectionCase
from lantian.tabular import Rejected, export_bytes, template_bytes
from lantian.tabular.writing import LISTS_SHEET

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE

GSZJJ = Principal("gszjj-user", "unit", "gszjj")  # 市工商质监局, task 16's cooperating unit
HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,类型,额定容量（蒸吨/小时）,"
    "列入2017年淘汰清单,淘汰方式,使用登记证编号,排查新发现（瞒报漏报）,发现日期,低氮燃烧,新建,"
    "城市建成区,使用单位"
)
ROWS = [
    "GL-100-0001,城关镇某宾馆燃煤锅炉,410183100,hbj,城关镇东关村,113.39,34.54,2017-10-31,"
    "燃煤锅炉,4,是,取缔关闭,锅豫A10001(17),否,,,否,否,某宾馆",
    "GL-100-0002,城关镇某学校燃煤锅炉,410183100,hbj,城关镇西关村,113.37,34.53,2017-11-15,"
    "coal_boiler,2,是,煤改气 gas,锅豫A10002(17),否,,,否,是,某学校",
    "GL-100-0003,城关镇某饭店茶水炉,410183100,hbj,城关镇南街,113.38,34.52,2017-08-31,"
    "茶水炉/茶炉大灶,,否,煤改电,,否,,,否,否,某饭店",
    "GL-100-0004,城关镇某医院天然气锅炉,410183100,hbj,城关镇北街,113.38,34.55,,"
    "天然气锅炉,6,否,,锅豫A10004(17),否,,是,是,是,某医院",
    "GL-101-0001,米村镇某耐材厂煤气发生炉,410183101,,米村镇,113.30,34.60,2017-10-31,"
    "煤气发生炉,,是,取缔关闭,锅豫A20001(17),否,,,,,某耐材厂",
]
GOOD = "\n".join([HEADER, *ROWS]).encode("utf-8")
PHOTO = UploadedFile("flue.jpg", b"\xff\xd8\xff\xe0 a photo of a cut flue \xff\xd9")
NOTICE = UploadedFile("注销通知书.pdf", b"%PDF-1.4 certificate cancelled %%EOF")


def import_file(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, content: bytes, who=OFFICE
) -> service.ImportResult:
    with transaction(sessions) as session:
        return service.import_register(
            session, who, KIND, content, "锅炉台账.csv", plan=plan, store=store
        )


def entry(session: Session, key: str) -> Boiler:
    found = session.scalar(select(Boiler).where(Boiler.key == key))
    assert found is not None
    return found


def rule_cases(session: Session, rule: str) -> list[InspectionCase]:
    return list(
        session.scalars(
            select(InspectionCase).where(InspectionCase.dedup_key.like(f"rule|boiler.{rule}|%"))
        )
    )


def test_the_template_offers_only_the_methods_task_16_allows() -> None:
    assert kind_of("boiler") is KIND
    workbook = load_workbook(io.BytesIO(template_bytes(KIND.spec)))
    headers = [cell.value for cell in workbook.worksheets[0][1]]
    assert "淘汰方式 method" in headers and "类型 type" in headers
    lists = workbook[LISTS_SHEET]
    method_list = next(
        [str(cell.value) for cell in column[1:] if cell.value]
        for column in lists.iter_cols()
        if column[0].value == "淘汰方式 method"
    )
    assert method_list == [
        "取缔关闭 ban",
        "集中供热替代 central_heating",
        "煤改气 gas",
        "煤改电 electric",
        "改用地热 geothermal",
        "改用风能 wind",
        "改用太阳能 solar",
    ]


def test_import_good_file_then_reimport_is_idempotent(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    first = import_file(sessions, plan, store, GOOD)
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    again = import_file(sessions, plan, store, GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    third = import_file(sessions, plan, store, GOOD.replace(b",4,", b",6,"))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 4)
    with transaction(sessions) as session:
        boiler = entry(session, "GL-100-0001")
        assert (boiler.boiler_type, boiler.capacity_tph, boiler.on_2017_list) == (
            "coal_boiler",
            6.0,
            True,
        )
        assert boiler.method == "ban" and boiler.state == "registered"
        assert entry(session, "GL-100-0002").method == "gas"
        stove = entry(session, "GL-100-0003")
        assert (stove.boiler_type, str(stove.deadline)) == ("tea_stove", "2017-08-31")
        gas = entry(session, "GL-100-0004")
        assert (gas.low_nox, gas.new_build, gas.built_up_area) == (True, True, True)
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 3


def test_a_file_with_bad_rows_reports_each_excluded_method_and_writes_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    bad = "\n".join(
        [
            HEADER,
            ROWS[0],
            "GL-2,改型煤,410183100,hbj,,,,2017-10-31,燃煤锅炉,2,是,改燃洁净型煤,,否,,,否,否,",
            "GL-3,改水煤浆,410183100,hbj,,,,2017-10-31,燃煤锅炉,2,是,水煤浆,,否,,,否,否,",
            "GL-4,改无烟煤,410183100,hbj,,,,2017-10-31,燃煤锅炉,2,是,改用无烟煤,,否,,,否,否,",
            "GL-5,未知类型,410183100,hbj,,,,2017-10-31,电炉子,2,是,煤改电,,否,,,否,否,",
            "GL-6,容量为负,410183100,hbj,,,,2017-10-31,燃煤锅炉,-2,是,煤改电,,否,,,否,否,",
            "GL-7,未知乡镇,999999999,hbj,,,,2017-10-31,燃煤锅炉,2,是,煤改电,,否,,,否,否,",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, bad)
    problems = refused.value.problems
    assert sorted({p.row for p in problems}) == [3, 4, 5, 6, 7, 8]
    method_problems = {p.row: p.reason for p in problems if p.column == "淘汰方式"}
    assert sorted(method_problems) == [3, 4, 5]
    for reason in method_problems.values():
        assert "任务16" in reason and "不是淘汰方式" in reason
    assert "改燃洁净型煤" in method_problems[3] and "水煤浆" in method_problems[4]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Boiler)) == 0
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 0


def test_a_township_may_not_import_or_change_another_townships_boilers(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, GOOD, who=MICUN)
    assert {p.row for p in refused.value.problems} == {2, 3, 4, 5}
    import_file(sessions, plan, store, GOOD)
    with transaction(sessions) as session:
        chengguan_boiler = entry(session, "GL-100-0001").id
        micun_producer = entry(session, "GL-101-0001").id
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.get_entry(session, MICUN, KIND, chengguan_boiler)
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.take_step(session, MICUN, KIND, chengguan_boiler, StepInput(event="start"))
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.record_check(
            session, MICUN, KIND, chengguan_boiler, CheckInput(items={"no_coal": "pass"})
        )
    with transaction(sessions) as session:
        page = service.list_entries(session, MICUN, KIND, service.EntryFilter())
        assert [e.id for e in page.items] == [micun_producer]
        # the certificate bureau reads every township's boilers (it cancels their certificates)
        assert service.list_entries(session, GSZJJ, KIND, service.EntryFilter()).total == 5
        exported = service.export_register(session, GSZJJ, KIND, ".csv").decode("utf-8-sig")
        assert all(f"GL-{key}" in exported for key in ("100-0001", "100-0004", "101-0001"))
        micun_export = service.export_register(session, MICUN, KIND, ".csv").decode("utf-8-sig")
        assert "GL-101-0001" in micun_export and "GL-100-0001" not in micun_export


def test_closing_off_a_banned_boiler_needs_the_flue_cut_photo_and_the_cancelled_certificate(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, GOOD)
    with transaction(sessions) as session:
        record_id = entry(session, "GL-100-0001").id
    with transaction(sessions) as session, pytest.raises(Conflict):  # not started yet
        service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="close_off"))
    with transaction(sessions) as session:
        service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="start"))
    with transaction(sessions) as session, pytest.raises(Conflict) as nothing_done:
        service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="close_off"))
    for missing in ("烟囱", "不具备复产条件", "现场无燃煤", "使用登记证"):
        assert missing in str(nothing_done.value)
    # the flue cut is a pass only with a photo
    with transaction(sessions) as session, pytest.raises(Invalid):
        service.record_check(
            session, CHENGGUAN, KIND, record_id, CheckInput(items={"chimney_removed": "pass"})
        )
    with transaction(sessions) as session:
        service.record_check(
            session,
            CHENGGUAN,
            KIND,
            record_id,
            CheckInput(
                items={"chimney_removed": "pass", "not_restorable": "pass", "no_coal": "pass"},
                longitude=113.39,
                latitude=34.54,
            ),
            files=[PHOTO],
            store=store,
        )
    with transaction(sessions) as session, pytest.raises(Conflict) as no_certificate:
        service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="close_off"))
    assert "使用登记证" in str(no_certificate.value) and "烟囱" not in str(no_certificate.value)
    # the certificate bureau records the cancellation, and nothing else, and takes no step
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.record_check(
            session,
            GSZJJ,
            KIND,
            record_id,
            CheckInput(items={"certificate_cancelled": "pass", "no_coal": "pass"}),
            files=[NOTICE],
            store=store,
        )
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.take_step(session, GSZJJ, KIND, record_id, StepInput(event="close_off"))
    with transaction(sessions) as session:
        service.record_check(
            session,
            GSZJJ,
            KIND,
            record_id,
            CheckInput(items={"certificate_cancelled": "pass"}, note="锅豫A10001(17) 已注销"),
            files=[NOTICE],
            store=store,
        )
        record = service.take_step(
            session, CHENGGUAN, KIND, record_id, StepInput(event="close_off")
        )
        assert record.state == "eliminated"
        events = [e.event for e, _ in service.timeline(session, KIND, record_id)]
        assert events == ["created", "start", "checked", "checked", "close_off"]


def test_a_method_must_be_given_and_a_substitution_must_be_in_use(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, GOOD)
    with transaction(sessions) as session:
        gas_boiler = entry(session, "GL-100-0004").id
        converted = entry(session, "GL-100-0002").id
    with transaction(sessions) as session, pytest.raises(Conflict, match="低氮"):
        service.take_step(session, CHENGGUAN, KIND, gas_boiler, StepInput(event="start"))
    with transaction(sessions) as session:
        service.take_step(session, CHENGGUAN, KIND, converted, StepInput(event="start"))
        service.record_check(
            session,
            CHENGGUAN,
            KIND,
            converted,
            CheckInput(items={"no_coal": "pass", "certificate_cancelled": "pass"}),
            files=[NOTICE],
            store=store,
        )
    with transaction(sessions) as session, pytest.raises(Conflict, match="替代能源"):
        service.take_step(session, CHENGGUAN, KIND, converted, StepInput(event="close_off"))
    with transaction(sessions) as session:
        service.record_check(
            session, INSPECTOR, KIND, converted, CheckInput(items={"substitute_in_use": "pass"})
        )
        assert (
            service.take_step(
                session, CHENGGUAN, KIND, converted, StepInput(event="close_off")
            ).state
            == "eliminated"
        )


def test_a_boiler_hidden_after_october_1_opens_one_case_marked_for_accountability(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    found = "\n".join(
        [
            HEADER,
            "GL-100-0099,城关镇某浴池燃煤锅炉,410183100,hbj,城关镇,113.39,34.54,,"
            "燃煤锅炉,1,否,,,是,2017-10-08,,否,否,某浴池",
            # declared before 10-01 (found on 09-20): no accountability
            "GL-100-0098,城关镇某厂燃煤锅炉,410183100,hbj,城关镇,113.39,34.54,,"
            "燃煤锅炉,1,否,,,是,2017-09-20,,否,否,某厂",
            # a tea stove is not what task 14 holds to account
            "GL-100-0097,城关镇某饭店茶水炉,410183100,hbj,城关镇,113.39,34.54,,"
            "茶水炉/茶炉大灶,,否,,,是,2017-10-08,,否,否,某饭店",
        ]
    ).encode()
    import_file(sessions, plan, store, found)
    for _ in range(3):
        with transaction(sessions) as session:
            service.evaluate_all(session)
    frozen.advance(timedelta(days=3))
    with transaction(sessions) as session:
        service.evaluate_all(session)
    with transaction(sessions) as session:
        cases = rule_cases(session, "hidden")
        assert len(cases) == 1
        case = cases[0]
        assert case.dedup_key is not None and case.dedup_key.endswith("boiler:GL-100-0099")
        assert (case.area_code, case.severity, case.occurrences) == ("410183100", "major", 1)
        occurrence = session.scalar(select(CaseOccurrence).where(CaseOccurrence.case_id == case.id))
        assert occurrence is not None and occurrence.details is not None
        assert occurrence.details["accountability"] is True
        assert "问责" in case.description
        case_id = case.id
    # the case is dealt with and closed: the concealment does not open a second case later
    with transaction(sessions) as session:
        now = clock.now()
        supervision.take_step(session, OFFICE, case_id, "forward", now, unit_code="hbj")
        supervision.take_step(session, OFFICE, case_id, "accept", now)
        supervision.take_step(session, OFFICE, case_id, "report", now, note="已约谈乡镇负责人")
        supervision.take_step(session, OFFICE, case_id, "close", now)
    frozen.advance(timedelta(days=1))
    for _ in range(2):
        with transaction(sessions) as session:
            service.evaluate_all(session)
    with transaction(sessions) as session:
        assert [c.id for c in rule_cases(session, "hidden")] == [case_id]
        assert rule_cases(session, "hidden")[0].state == "closed"


def test_deadlines_missed_and_boilers_operating_again_open_one_case_each(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, GOOD)  # T0 is 10-10: the tea stove was due 8-31
    with transaction(sessions) as session:
        service.evaluate_all(session)
        overdue = rule_cases(session, "overdue")
        assert [c.dedup_key.rsplit(":", 1)[-1] for c in overdue if c.dedup_key] == ["GL-100-0003"]
        record_id = entry(session, "GL-101-0001").id
        service.take_step(session, MICUN, KIND, record_id, StepInput(event="start"))
        service.record_check(
            session,
            MICUN,
            KIND,
            record_id,
            CheckInput(
                items={
                    "chimney_removed": "pass",
                    "not_restorable": "pass",
                    "no_coal": "pass",
                    "certificate_cancelled": "pass",
                }
            ),
            files=[PHOTO, NOTICE],
            store=store,
        )
        service.take_step(session, MICUN, KIND, record_id, StepInput(event="close_off"))
    frozen.advance(timedelta(days=30))  # 11-09: the list's 10-31 passed, the producer is closed
    with transaction(sessions) as session:
        service.record_check(
            session,
            INSPECTOR,
            KIND,
            record_id,
            CheckInput(items={"not_operating": "fail"}, note="回访发现烟道重新接通"),
        )
    for _ in range(3):
        with transaction(sessions) as session:
            service.evaluate_all(session)
    with transaction(sessions) as session:
        again = rule_cases(session, "operating_again")
        assert len(again) == 1 and again[0].area_code == "410183101"
        assert again[0].occurrences == 1
        overdue_keys = sorted(
            c.dedup_key.rsplit(":", 1)[-1] for c in rule_cases(session, "overdue") if c.dedup_key
        )
        assert overdue_keys == ["GL-100-0001", "GL-100-0003"]
    with transaction(sessions) as session, pytest.raises(Invalid):
        service.take_step(session, INSPECTOR, KIND, record_id, StepInput(event="reopen"))
    with transaction(sessions) as session:
        reopened = service.take_step(
            session, INSPECTOR, KIND, record_id, StepInput(event="reopen", note="恢复使用")
        )
        assert reopened.state == "eliminating"


def test_a_new_gas_boiler_without_low_nox_is_a_breach_and_retrofit_needs_the_burner(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    no_low_nox = GOOD.decode().replace("否,,是,是,是,某医院", "否,,否,是,是,某医院").encode()
    assert no_low_nox != GOOD
    import_file(sessions, plan, store, no_low_nox)
    with transaction(sessions) as session:
        service.evaluate_all(session)
        service.evaluate_all(session)
        cases = rule_cases(session, "gas_boiler_low_nox")
        assert len(cases) == 1 and cases[0].dedup_key is not None
        assert cases[0].dedup_key.endswith("GL-100-0004")
        gas_boiler = entry(session, "GL-100-0004").id
    with transaction(sessions) as session, pytest.raises(Conflict, match="低氮"):
        service.take_step(session, CHENGGUAN, KIND, gas_boiler, StepInput(event="retrofit"))
    with transaction(sessions) as session:
        service.record_check(
            session,
            CHENGGUAN,
            KIND,
            gas_boiler,
            CheckInput(items={"low_nox_burner": "pass"}),
            files=[PHOTO],
            store=store,
        )
        assert (
            service.take_step(
                session, CHENGGUAN, KIND, gas_boiler, StepInput(event="retrofit")
            ).state
            == "retrofitted"
        )
    with transaction(sessions) as session, pytest.raises(NotAllowed):  # inspectors revoke
        service.take_step(
            session, CHENGGUAN, KIND, gas_boiler, StepInput(event="revoke_retrofit", note="x")
        )
    with transaction(sessions) as session, pytest.raises(Conflict):  # not an elimination
        service.take_step(session, INSPECTOR, KIND, gas_boiler, StepInput(event="reopen", note="x"))


def test_the_indicator_is_the_share_of_the_2017_list_eliminated(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, GOOD)  # three entries on the list: 0001, 0002, 101-0001
    with transaction(sessions) as session:
        value = service.indicator_values(session)["boilers_on_2017_list_eliminated"]
        assert (value.value, value.records) == (0.0, 3)
        # the tea stove is off the list: eliminating it does not move the list's share
        stove = entry(session, "GL-100-0003").id
        listed = entry(session, "GL-100-0002").id
        for record_id in (stove, listed):
            service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="start"))
            service.record_check(
                session,
                CHENGGUAN,
                KIND,
                record_id,
                CheckInput(
                    items={
                        "no_coal": "pass",
                        "substitute_in_use": "pass",
                        "certificate_cancelled": "pass",
                    }
                ),
                files=[NOTICE],
                store=store,
            )
            service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="close_off"))
        value = service.indicator_values(session)["boilers_on_2017_list_eliminated"]
        assert (value.value, value.records) == (33.3, 3)
        detail = dict(value.detail)
        assert detail["2017年度淘汰清单 已淘汰销号 / on the list, eliminated"] == 1.0
        assert detail["燃煤锅炉 登记 / coal_boiler registered"] == 2.0
        assert detail["茶水炉/茶炉大灶 已淘汰销号 / tea_stove eliminated"] == 1.0
        assert detail["煤气发生炉 登记 / gas_producer registered"] == 1.0
        assert detail["城市建成区天然气锅炉 登记 / built-up-area gas boilers"] == 1.0


def test_the_sample_looks_like_a_townships_sheet_and_imports_as_sample(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    areas = list(plan.area_names().items())[:3]
    assert KIND.sample is not None

    def sample() -> list[BoilerRow]:
        context = SampleContext(areas, list(plan.unit_names()), Random(17), date(2017, 8, 1))
        return [row for row in KIND.sample(context) if isinstance(row, BoilerRow)]

    rows = sample()
    assert rows == sample()  # seeded: the same sheet every time
    assert {row.area_code for row in rows} == {code for code, _ in areas}
    assert {row.boiler_type for row in rows} >= {"coal_boiler", "tea_stove", "small_stove"}
    for row in rows:
        assert "示例" in row.name and "sample" in row.note
        if row.boiler_type in ("tea_stove", "small_stove"):
            assert row.deadline == date(2017, 8, 31)
        if row.on_2017_list:
            assert row.deadline is not None and row.method is not None
    fields = [c.field for c in KIND.columns]
    sheet = export_bytes(
        KIND.spec, ([getattr(row, name) for name in fields] for row in rows), suffix=".xlsx"
    )
    with transaction(sessions) as session:
        result = service.import_register(
            session, OFFICE, KIND, sheet, "示例.xlsx", plan=plan, store=store, is_sample=True
        )
        assert result.created == len(rows)
        assert session.scalar(
            select(func.count()).select_from(Boiler).where(Boiler.is_sample.is_(True))
        ) == len(rows)
        value = service.indicator_values(session)["boilers_on_2017_list_eliminated"]
        assert value.records == sum(1 for row in rows if row.on_2017_list)
