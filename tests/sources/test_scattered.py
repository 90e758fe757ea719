"""The scattered-polluting enterprises' register (tasks 4–5) through the one write path, on both
backends: import good and bad files, re-import, lifecycle steps allowed and refused, rules opening one
case, scope."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.models import AuditEntry
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds.scattered import KIND, ScatteredEnterprise
from lantian.sources.models import SourceImport
from lantian.sources.registry import kind_of, kinds
from lantian.sources.service import CheckInput, StepInput, UploadedFile
from lantian.supervision.models import InspectionCase
from lantian.tabular import Rejected, template_bytes

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE

HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,处置类别,行业,所属集群,集群挂牌督办"
)
GOOD = "\n".join(
    [
        HEADER,
        "SLW-100-0001,城关镇某塑料加工厂,410183100,hbj,城关镇东关村,113.39,34.54,2017-09-30,取缔,塑料加工,,否",
        "SLW-100-0002,城关镇某石材厂,410183100,hbj,城关镇西关村,113.37,34.53,2017-10-31,升级改造 upgrade,石材切割,城关石材集群,是",
        "SLW-101-0001,米村镇某铸造厂,410183101,,米村镇,113.30,34.60,2017-09-30,relocate,铸造,,",
    ]
).encode("utf-8")
PHOTO = UploadedFile("site.jpg", b"\xff\xd8\xff\xe0 a photo of a cut meter \xff\xd9")
FIVE = ("water_cut", "power_cut", "materials_cleared", "products_cleared", "equipment_cleared")


def import_file(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, content: bytes, who=OFFICE
) -> service.ImportResult:
    with transaction(sessions) as session:
        return service.import_register(
            session, who, KIND, content, "台账.csv", plan=plan, store=store
        )


def entry(session: Session, key: str) -> ScatteredEnterprise:
    found = session.scalar(select(ScatteredEnterprise).where(ScatteredEnterprise.key == key))
    assert found is not None
    return found


def test_the_kind_is_registered_with_its_table_and_template() -> None:
    assert kind_of("scattered_enterprise") is KIND
    assert "scattered_enterprise" in kinds()
    workbook = load_workbook(io.BytesIO(template_bytes(KIND.spec)))
    data = workbook.worksheets[0]
    headers = [cell.value for cell in data[1]]
    assert "编号 key" in headers and "处置类别 category" in headers
    # the category column offers the plan's three ways as a drop-down list
    validations = data.data_validations.dataValidation
    assert any("取缔" in str(v.formula1) or v.formula1 for v in validations)


def test_import_good_file_then_reimport_is_idempotent(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    first = import_file(sessions, plan, store, GOOD)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    again = import_file(sessions, plan, store, GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = GOOD.replace(
        b"\xe5\x9f\x8e\xe5\x85\xb3\xe9\x95\x87\xe4\xb8\x9c\xe5\x85\xb3\xe6\x9d\x91",
        "城关镇新址".encode(),
    )
    third = import_file(sessions, plan, store, changed)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    with transaction(sessions) as session:
        assert entry(session, "SLW-100-0001").address == "城关镇新址"
        assert entry(session, "SLW-100-0001").state == "registered"
        imports = session.scalars(select(SourceImport).order_by(SourceImport.id)).all()
        assert [i.created for i in imports] == [3, 0, 0]
        # the original upload is kept, byte for byte
        assert store.read(store.relative_path(imports[0].sha256), imports[0].sha256) == GOOD
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "scattered_enterprise.update")
            )
            == 1
        )


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    bad = "\n".join(
        [
            HEADER,
            "SLW-1,好的一行,410183100,hbj,,,,2017-09-30,取缔,,,",
            "SLW-2,未知乡镇,999999999,hbj,,,,2017-09-30,取缔,,,",
            "SLW-3,未知单位,410183100,nosuchunit,,,,2017-09-30,取缔,,,",
            "SLW-4,错误类别,410183100,hbj,,,,2017-09-30,改名,,,",
            "SLW-1,重复编号,410183100,hbj,,,,2017-09-30,取缔,,,",
            "SLW-6,错误日期,410183100,hbj,,,,九月底,取缔,,,",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, bad)
    rows = sorted({p.row for p in refused.value.problems})
    assert rows == [3, 4, 5, 6, 7]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(ScatteredEnterprise)) == 0
        assert session.scalar(select(func.count()).select_from(SourceImport)) == 0


def test_a_township_may_not_import_or_change_another_townships_entries(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, GOOD, who=MICUN)
    assert {p.row for p in refused.value.problems} == {2, 3}
    import_file(sessions, plan, store, GOOD)
    with transaction(sessions) as session:
        chengguan_entry = entry(session, "SLW-100-0001").id
        micun_entry = entry(session, "SLW-101-0001").id
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.get_entry(session, MICUN, KIND, chengguan_entry)
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.take_step(session, MICUN, KIND, chengguan_entry, StepInput(event="start"))
    with transaction(sessions) as session:
        page = service.list_entries(session, MICUN, KIND, service.EntryFilter())
        assert [e.id for e in page.items] == [micun_entry]
        assert service.list_entries(session, OFFICE, KIND, service.EntryFilter()).total == 3


def test_closing_off_needs_the_five_checks_each_with_a_photo(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, GOOD)
    with transaction(sessions) as session:
        record_id = entry(session, "SLW-100-0001").id
    with transaction(sessions) as session, pytest.raises(Conflict):
        service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="close_off"))
    with transaction(sessions) as session:
        service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="start"))
    # four of five done: refused, and the message names the missing check
    with transaction(sessions) as session:
        service.record_check(
            session,
            CHENGGUAN,
            KIND,
            record_id,
            CheckInput(items={k: "pass" for k in FIVE[:4]}, longitude=113.39, latitude=34.54),
            files=[PHOTO],
            store=store,
        )
    with transaction(sessions) as session, pytest.raises(Conflict, match="清除设备"):
        service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="close_off"))
    # a pass without a photo is refused at the check
    with transaction(sessions) as session, pytest.raises(Invalid):
        service.record_check(
            session, CHENGGUAN, KIND, record_id, CheckInput(items={"equipment_cleared": "pass"})
        )
    with transaction(sessions) as session:
        service.record_check(
            session,
            INSPECTOR,
            KIND,
            record_id,
            CheckInput(items={"equipment_cleared": "pass"}),
            files=[PHOTO],
            store=store,
        )
        record = service.take_step(
            session, CHENGGUAN, KIND, record_id, StepInput(event="close_off")
        )
        assert record.state == "closed_off"
        events = [e.event for e, _ in service.timeline(session, KIND, record_id)]
        # imported after its 9-30 deadline: the overdue rule opened a case at once
        assert events == ["created", "case_opened", "start", "checked", "checked", "close_off"]


def test_an_upgrade_restarts_only_after_the_joint_sign_off(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, GOOD)
    with transaction(sessions) as session:
        record_id = entry(session, "SLW-100-0002").id
        service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="start"))
    with transaction(sessions) as session, pytest.raises(Conflict):
        service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="restart"))
    with transaction(sessions) as session, pytest.raises(NotAllowed):  # the office signs
        service.take_step(
            session, CHENGGUAN, KIND, record_id, StepInput(event="sign_off", note="会审")
        )
    with transaction(sessions) as session, pytest.raises(Invalid):  # who signed must be said
        service.take_step(session, OFFICE, KIND, record_id, StepInput(event="sign_off"))
    with transaction(sessions) as session:
        service.take_step(
            session,
            OFFICE,
            KIND,
            record_id,
            StepInput(event="sign_off", note="环保、工信、安监 2017-10-09 会审签字"),
        )
        assert (
            service.take_step(session, CHENGGUAN, KIND, record_id, StepInput(event="restart")).state
            == "operating"
        )


def test_a_relapse_opens_one_case_however_often_evaluated(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, GOOD)
    with transaction(sessions) as session:
        record_id = entry(session, "SLW-101-0001").id
        micun_keeper = MICUN
        service.take_step(session, micun_keeper, KIND, record_id, StepInput(event="start"))
        service.record_check(
            session,
            micun_keeper,
            KIND,
            record_id,
            CheckInput(items={k: "pass" for k in FIVE}),
            files=[PHOTO],
            store=store,
        )
        service.take_step(session, micun_keeper, KIND, record_id, StepInput(event="close_off"))
    frozen.advance(timedelta(days=20))
    with transaction(sessions) as session:
        service.record_check(
            session,
            INSPECTOR,
            KIND,
            record_id,
            CheckInput(items={"idle": "fail"}, note="回访发现夜间生产"),
        )
    for _ in range(3):
        with transaction(sessions) as session:
            service.evaluate_all(session)
    with transaction(sessions) as session:
        cases = session.scalars(
            select(InspectionCase).where(
                InspectionCase.dedup_key.like("rule|scattered_enterprise.relapse|%")
            )
        ).all()
        assert len(cases) == 1
        assert cases[0].area_code == "410183101" and cases[0].severity == "major"
        assert cases[0].occurrences == 1


def test_an_overdue_entry_opens_one_case_and_the_indicator_counts_closed_entries(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, GOOD)  # T0 is 10-10: the two 9-30 entries are overdue
    with transaction(sessions) as session:
        service.evaluate_all(session)
        service.evaluate_all(session)
        overdue = session.scalars(
            select(InspectionCase).where(
                InspectionCase.dedup_key.like("rule|scattered_enterprise.overdue|%")
            )
        ).all()
        assert sorted(c.area_code or "" for c in overdue) == ["410183100", "410183101"]
        value = service.indicator_values(session)["scattered_polluting_enterprises"]
        assert (value.value, value.records) == (0.0, 3)
