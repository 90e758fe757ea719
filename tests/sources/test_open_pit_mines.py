"""The open-pit mines' register (task 35) through the one write path, on both backends: import good
and bad files, re-import, the lifecycle's guards (approvals on file, one-mine-one-plan accepted with
evidence before a restart, closure and restoration photographed, disclosure filled in), the rules
(not closed by 9-30, found producing after closure or before acceptance) opening one case each,
scope, the computed targets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources.kinds.open_pit_mines import KIND, OpenPitMine
from lantian.sources.registry import kind_of
from lantian.supervision.models import CaseOccurrence
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, indicator, step

HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,备注,整治类别,矿种,采矿权人,"
    "采矿许可证号,环评批复文号,一矿一策整治方案,媒体公开（媒体及链接）,公开日期"
)
GOOD_ROWS = [
    # to close by 9-30 (the frozen clock is 2017-10-10: already overdue)
    "KS-1,城关镇违法石料场,410183100,gtj,城关镇,113.39,34.54,2017-09-30,,依法关闭,建筑石料,某石料厂,,,,,",
    # stop and rectify, its plan on file
    "KS-2,城关镇石灰岩矿,410183100,hbj,城关镇,113.37,34.55,,,rectify,石灰岩,某矿业,C41-2,新环审〔2016〕2号,KS-2一矿一策方案,,",
    # orphan, to restore and disclose
    "KS-3,米村镇废弃矿坑,410183101,gtj,米村镇,113.30,34.60,,,责任主体灭失,耐火黏土,,,,,新密市人民政府网,2017-10-09",
    # approvals in order
    "KS-4,米村镇白云岩矿,410183101,gtj,米村镇,113.31,34.61,,,手续齐全,白云岩,某公司,C41-4,新环审〔2016〕4号,,,",
]
BAD_ROWS = [
    "KS-9,类别错误,410183100,gtj,,,,,,取缔,石灰岩,,,,,,",
    "KS-10,日期错误,410183100,gtj,,,,2017-09-31,,close,石灰岩,,,,,,",
    "KS-11,单位错误,410183100,nosuchunit,,,,,,close,石灰岩,,,,,,",
]
CLOSURE = {"mining_stopped": "pass", "equipment_removed": "pass", "power_cut": "pass"}


def csv(rows: list[str]) -> bytes:
    return "\n".join([HEADER, *rows]).encode("utf-8")


def accountability(sessions: sessionmaker[Session], case_id: int) -> list[bool]:
    """Whether each occurrence of the case is marked for accountability (问责)."""
    with transaction(sessions) as session:
        return [
            bool((o.details or {}).get("accountability"))
            for o in session.scalars(
                select(CaseOccurrence).where(CaseOccurrence.case_id == case_id)
            )
        ]


def test_the_kind_is_registered_after_the_permits(plan: Plan) -> None:
    assert kind_of("open_pit_mine") is KIND
    assert KIND.model.__tablename__ == "src_open_pit_mines"
    assert dict(KIND.column("category").choices or {})["close"] == "依法关闭"  # type: ignore[union-attr]


def test_import_good_file_then_reimport_is_idempotent(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    first = import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
    again = import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_a_file_with_bad_rows_reports_every_row_and_writes_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv([GOOD_ROWS[0], *BAD_ROWS]))
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(OpenPitMine)) == 0


def test_an_illegal_mine_not_closed_by_9_30_opens_one_case_closure_needs_photos(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    evaluate(sessions, 3, plan=plan)
    (overdue,) = cases(sessions, "open_pit_mine.overdue")
    assert "逾期未关闭" in overdue.title and overdue.area_code == "410183100"
    mine = entry_id(sessions, KIND, "KS-1")
    with pytest.raises(Conflict, match="停止开采"):
        step(sessions, CHENGGUAN, KIND, mine, "close")
    with pytest.raises(Invalid):
        check(sessions, store, CHENGGUAN, KIND, mine, CLOSURE, photo=False)
    check(sessions, store, CHENGGUAN, KIND, mine, CLOSURE)
    assert step(sessions, CHENGGUAN, KIND, mine, "close").state == "closed"
    evaluate(sessions, 2, plan=plan)
    assert len(cases(sessions, "open_pit_mine.overdue")) == 1


def test_a_closed_mine_found_producing_is_one_case_for_accountability(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    mine = entry_id(sessions, KIND, "KS-1")
    check(sessions, store, CHENGGUAN, KIND, mine, CLOSURE)
    step(sessions, CHENGGUAN, KIND, mine, "close")
    frozen.advance(timedelta(days=5))
    check(sessions, store, INSPECTOR, KIND, mine, {"not_producing": "fail"}, photo=False)
    evaluate(sessions, 3, plan=plan)
    (found,) = cases(sessions, "open_pit_mine.producing_after_closure")
    assert found.severity == "major" and accountability(sessions, found.id) == [True]


def test_one_mine_one_plan_accepted_with_evidence_before_a_restart(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    mine = entry_id(sessions, KIND, "KS-2")
    with pytest.raises(Conflict):
        step(sessions, CHENGGUAN, KIND, mine, "restart")
    step(sessions, CHENGGUAN, KIND, mine, "stop")
    step(sessions, CHENGGUAN, KIND, mine, "file_plan")
    # producing before the acceptance: one case, not for accountability (强制关闭 instead)
    check(sessions, store, INSPECTOR, KIND, mine, {"not_producing": "fail"}, photo=False)
    evaluate(sessions, 3, plan=plan)
    (unaccepted,) = cases(sessions, "open_pit_mine.producing_unaccepted")
    assert accountability(sessions, unaccepted.id) == [False]
    assert indicator(sessions, "open_pit_mines_producing_unaccepted").value == 1.0
    # the township may not accept; the inspectors accept only with the evidence and a note
    with pytest.raises(NotAllowed):
        step(sessions, CHENGGUAN, KIND, mine, "accept", "验收")
    with pytest.raises(Conflict, match="抑尘"):
        step(sessions, INSPECTOR, KIND, mine, "accept", "验收")
    frozen.advance(timedelta(days=3))
    check(
        sessions,
        store,
        INSPECTOR,
        KIND,
        mine,
        {"dust_controlled": "pass", "emissions_compliant": "pass", "not_producing": "pass"},
    )
    assert indicator(sessions, "open_pit_mines_producing_unaccepted").value == 0.0
    with pytest.raises(Invalid):
        step(sessions, INSPECTOR, KIND, mine, "accept")
    step(sessions, INSPECTOR, KIND, mine, "accept", "喷淋、覆盖到位，监测达标")
    assert step(sessions, CHENGGUAN, KIND, mine, "restart").state == "restarted"


def test_approvals_restoration_and_disclosure_guards(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    micun = MICUN
    approved = entry_id(sessions, KIND, "KS-4")
    orphan = entry_id(sessions, KIND, "KS-3")
    assert step(sessions, micun, KIND, approved, "verify").state == "approved"
    with pytest.raises(Conflict, match="采矿许可证"):
        step(sessions, micun, KIND, orphan, "verify")
    # an illegal mine is not restored before its closure
    with pytest.raises(Conflict, match="先关闭"):
        step(sessions, CHENGGUAN, KIND, entry_id(sessions, KIND, "KS-1"), "restore")
    with pytest.raises(Conflict, match="修复绿化"):
        step(sessions, micun, KIND, orphan, "restore")
    check(sessions, store, micun, KIND, orphan, {"greened": "pass"})
    step(sessions, micun, KIND, orphan, "restore")
    assert indicator(sessions, "open_pit_mine_restoration_disclosed_share").value == 0.0
    assert step(sessions, micun, KIND, orphan, "disclose").state == "disclosed"
    value = indicator(sessions, "open_pit_mine_restoration_disclosed_share")
    assert (value.value, value.records) == (100.0, 1)


def test_a_disclosure_needs_the_medium_and_date(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    rows = [GOOD_ROWS[2].replace("新密市人民政府网,2017-10-09", ",")]
    import_file(sessions, plan, store, KIND, csv(rows))
    orphan = entry_id(sessions, KIND, "KS-3")
    check(sessions, store, MICUN, KIND, orphan, {"greened": "pass"})
    step(sessions, MICUN, KIND, orphan, "restore")
    with pytest.raises(Conflict, match="媒体"):
        step(sessions, MICUN, KIND, orphan, "disclose")


def test_a_township_is_refused_another_townships_mine(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv(GOOD_ROWS), who=MICUN)
    assert sorted({p.row for p in refused.value.problems}) == [2, 3]
    import_file(sessions, plan, store, KIND, csv(GOOD_ROWS))
    with pytest.raises(NotAllowed):
        step(sessions, MICUN, KIND, entry_id(sessions, KIND, "KS-2"), "stop")


def test_the_share_of_illegal_mines_closed(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, frozen: clock.FrozenClock
) -> None:
    second = GOOD_ROWS[0].replace("KS-1,城关镇违法石料场", "KS-5,城关镇违法砂场")
    import_file(sessions, plan, store, KIND, csv([*GOOD_ROWS, second]))
    assert indicator(sessions, "illegal_open_pit_mines_closed_share").value == 0.0
    mine = entry_id(sessions, KIND, "KS-5")
    check(sessions, store, OFFICE, KIND, mine, CLOSURE)
    step(sessions, OFFICE, KIND, mine, "close")
    value = indicator(sessions, "illegal_open_pit_mines_closed_share")
    assert (value.value, value.records) == (50.0, 2)
    assert dict(value.detail) == {"城关镇 410183100": 50.0}
