"""The enforcement actions' register (safeguard 三, task 21's 按日计罚) through the one write path, on
both backends: import of good and bad rows (the daily fine's days and total computed, whatever is
typed), the lifecycle's guards, an action recorded from an inspection case a rule opened (the case's
subject, township and number filled in), kept off the public list until it is decided and
disclosed, and the monthly statistics per unit and township against a hand computation (service,
Excel and command line)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.penalties import disclosure, from_case, statistics
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds import permits
from lantian.sources.kinds.enforcement_actions import (
    KIND,
    EnforcementAction,
    daily_fine_days,
)
from lantian.sources.registry import kind_of
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, HBJ, MICUN, OFFICE
from .helpers import cases, entry_id, evaluate, import_file, step
from .test_permits import ABSENT, CEMENT, inventory

__all__ = ["inventory"]  # the permits' inventory fixture, used here by name

HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,备注,文书号,处罚对象类别,对象编号,"
    "统一社会信用代码,法律依据,处罚种类,罚款金额（元）,按日计罚每日金额（元）,按日计罚起始日,"
    "按日计罚截止日,按日计罚天数,罚没合计（元）,立案日期,决定日期,送达日期,执行（缴款）日期,"
    "来源案件编号,公开日期,公开摘要"
)
BASIS = "《中华人民共和国大气污染防治法》第九十九条"
DAILY_BASIS = "《中华人民共和国大气污染防治法》第一百二十三条"


def row(
    key: str,
    *,
    name: str = "城关镇某水泥厂",
    area: str = "410183100",
    unit: str = "hbj",
    subject: str = "enterprise",
    subject_key: str = "",
    credit: str = "",
    basis: str = BASIS,
    action: str = "fine",
    fine: str = "",
    daily: tuple[str, str, str] = ("", "", ""),
    typed: tuple[str, str] = ("", ""),
    filed: str = "2017-10-01",
    decided: str = "",
    served: str = "",
    disclosed: tuple[str, str] = ("", ""),
    case: str = "",
) -> str:
    return ",".join(
        (
            key, name, area, unit, "", "", "", "", "",
            f"新环罚决字〔2017〕{key[-2:]}号", subject, subject_key, credit, basis, action, fine,
            *daily, *typed, filed, decided, served, "", case, *disclosed,
        )
    )  # fmt: skip


def csv(rows: list[str]) -> bytes:
    return "\n".join([HEADER, *rows]).encode("utf-8")


def action(sessions: sessionmaker[Session], key: str) -> EnforcementAction:
    with transaction(sessions) as session:
        found = session.scalar(select(EnforcementAction).where(EnforcementAction.key == key))
        assert found is not None, key
        session.expunge(found)
        return found


def edit(sessions: sessionmaker[Session], plan: Plan, key: str, **changes: Any) -> None:
    """Change an entry through the one write path (the form's edit), every other field kept."""
    record = action(sessions, key)
    values = {name: getattr(record, name) for name in KIND.row.model_fields}
    with transaction(sessions) as session:
        service.save_entry(
            session,
            OFFICE,
            KIND,
            service.row_of(KIND, {**values, **changes}),
            plan=plan,
            expect="existing",
        )


def test_the_kind_is_registered() -> None:
    assert kind_of("enforcement_action") is KIND
    assert daily_fine_days(date(2017, 10, 1), date(2017, 10, 10)) == 10
    assert daily_fine_days(date(2017, 10, 1), date(2017, 10, 1)) == 1


def test_import_computes_daily_fines_refuses_bad_rows_and_reimports_unchanged(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    good = [
        row("XMHF-2017-01", credit=CEMENT, subject_key=CEMENT, fine="100000"),
        # a daily fine: the days and total typed in the file are wrong and replaced
        row(
            "XMHF-2017-02",
            credit=CEMENT,
            basis=DAILY_BASIS,
            action="按日计罚",
            fine="50000",
            daily=("20000", "2017-10-01", "2017-10-10"),
            typed=("99", "1"),
        ),
        row(
            "XMHF-2017-03",
            name="豫A·12345 重型柴油货车",
            subject="车辆",
            subject_key="豫A12345",
            action="warning",
        ),
    ]
    result = import_file(sessions, plan, store, KIND, csv(good))
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    fine = action(sessions, "XMHF-2017-01")
    assert (fine.state, fine.total_amount, fine.daily_days) == ("filed", 100000.0, None)
    daily = action(sessions, "XMHF-2017-02")
    assert daily.daily_days == 10
    assert daily.total_amount == 50000 + 20000 * 10
    warning = action(sessions, "XMHF-2017-03")
    assert (warning.subject_kind, warning.total_amount) == ("vehicle", None)

    again = import_file(sessions, plan, store, KIND, csv(good))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    bad = [
        row("XMHF-2017-11", action="fine"),  # row 2: a fine without its amount
        row(
            "XMHF-2017-12",
            action="daily_fine",
            daily=("1000", "2017-10-10", "2017-10-01"),
        ),  # row 3: last day before the first
        row("XMHF-2017-13", credit=ABSENT, fine="1"),  # row 4: not in the inventory
        row("XMHF-2017-14", subject="vehicle", credit=CEMENT, action="warning"),  # row 5
        row("XMHF-2017-15", fine="1", filed="2017-10-09", decided="2017-10-02"),  # row 6
        # row 7: disclosed, but the action is only filed (not decided)
        row("XMHF-2017-16", fine="1", decided="2017-10-02", disclosed=("2017-10-03", "公开")),
        row("XMHF-2017-17", action="detention"),  # row 8: not a type of action
        row("XMHF-2017-18", fine="1", decided="2017-10-02", disclosed=("2017-10-03", "")),
    ]
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, KIND, csv([*bad, good[0]]))
    by_row = {p.row: p.reason for p in refused.value.problems}
    assert sorted(by_row) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "罚款金额" in by_row[2]
    assert "早于起始日期" in by_row[3]
    assert "排放清单" in by_row[4]
    assert "只有企业" in by_row[5]
    assert "决定日期早于立案日期" in by_row[6]
    assert "已作出且未撤销" in by_row[7]
    assert "公开摘要" in by_row[9]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(EnforcementAction)) == 3


def test_lifecycle_steps_need_their_dates_and_roles(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    import_file(sessions, plan, store, KIND, csv([row("XMHF-2017-01", fine="20000")]))
    record_id = entry_id(sessions, KIND, "XMHF-2017-01")
    with pytest.raises(Conflict, match="决定日期"):
        step(sessions, CHENGGUAN, KIND, record_id, "decide")
    edit(sessions, plan, "XMHF-2017-01", decided_on="2017-10-20")  # after today (10-10)
    with pytest.raises(Conflict, match="将来"):
        step(sessions, CHENGGUAN, KIND, record_id, "decide")
    edit(sessions, plan, "XMHF-2017-01", decided_on="2017-10-08")
    with pytest.raises(NotAllowed):  # another township's entry
        step(sessions, MICUN, KIND, record_id, "decide")
    assert step(sessions, CHENGGUAN, KIND, record_id, "decide").state == "decided"
    with pytest.raises(Conflict, match="送达日期"):
        step(sessions, HBJ, KIND, record_id, "serve")
    with pytest.raises(NotAllowed):  # only the office revokes a decision
        step(sessions, CHENGGUAN, KIND, record_id, "revoke", note="复议撤销")
    with pytest.raises(Invalid):  # a revocation says why
        step(sessions, OFFICE, KIND, record_id, "revoke")
    edit(sessions, plan, "XMHF-2017-01", served_on="2017-10-09")
    assert step(sessions, HBJ, KIND, record_id, "serve").state == "served"
    with pytest.raises(Conflict, match="执行"):
        step(sessions, HBJ, KIND, record_id, "execute")
    with pytest.raises(Conflict):  # a served decision is revoked, not withdrawn
        step(sessions, HBJ, KIND, record_id, "withdraw", note="撤回")
    edit(sessions, plan, "XMHF-2017-01", executed_on="2017-10-10")
    assert step(sessions, HBJ, KIND, record_id, "execute").state == "executed"
    assert step(sessions, HBJ, KIND, record_id, "close").state == "closed"


def test_an_action_from_a_case_is_public_only_once_decided_and_disclosed(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
) -> None:
    # A rule opens the case: the cement works still without a discharge permit after 10-31.
    permit_rows = [f"PW-1,城关镇某水泥厂,410183100,hbj,城关镇,113.39,34.54,,,{CEMENT},cement,,,"]
    import_file(sessions, plan, store, permits.KIND, permits_csv(permit_rows))
    frozen.moment = datetime(2017, 11, 5, 2, 0, tzinfo=UTC)
    evaluate(sessions, 2, plan=plan)
    (case,) = cases(sessions, "discharge_permit.unpermitted")

    with transaction(sessions) as session:
        values = from_case.prefill(session, case)
        url = from_case.new_action_url(session, case)
    assert values["case_number"] == str(case.id)
    assert values["credit_code"] == CEMENT
    assert values["subject_kind"] == "enterprise"
    assert values["subject_key"] == "PW-1"
    assert values["name"] == "城关镇某水泥厂"
    assert values["area_code"] == "410183100"
    assert values["filed_on"] == "2017-11-05"
    assert url.startswith("/sources/enforcement_action/new?") and f"case_number={case.id}" in url

    entry = {
        **values,
        "key": "XMHF-2017-21",
        "document_number": "新环罚决字〔2017〕21号",
        "legal_basis": "《中华人民共和国大气污染防治法》第九十九条第一项",
        "action_type": "fine",
        "fine_amount": "200000",
    }
    with transaction(sessions) as session:
        _, created = service.save_entry(
            session, HBJ, KIND, service.row_of(KIND, entry), plan=plan, expect="new"
        )
        assert created
    with transaction(sessions) as session:
        listed = service.list_entries(session, OFFICE, KIND, service.EntryFilter())
        assert [r.key for r in listed.items] == ["XMHF-2017-21"]
        assert [a.key for a in from_case.actions_of_case(session, case.id)] == ["XMHF-2017-21"]
        assert disclosure.disclosed_actions(session) == []

    # Disclosure of an action not yet decided is refused; decided, it is accepted.
    with pytest.raises(Invalid, match="已作出且未撤销"):
        edit(sessions, plan, "XMHF-2017-21", decided_on="2017-11-05", disclosed_on="2017-11-05",
             public_summary="无证排污，罚款二十万元")  # fmt: skip
    edit(sessions, plan, "XMHF-2017-21", decided_on="2017-11-05")
    record_id = entry_id(sessions, KIND, "XMHF-2017-21")
    step(sessions, HBJ, KIND, record_id, "decide")
    with transaction(sessions) as session:
        assert disclosure.disclosed_actions(session) == []  # decided, not disclosed
    edit(sessions, plan, "XMHF-2017-21", disclosed_on="2017-11-06", public_summary="无证排污")
    with transaction(sessions) as session:
        assert disclosure.disclosed_actions(session) == []  # disclosed tomorrow
    frozen.moment = datetime(2017, 11, 6, 2, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        (shown,) = disclosure.disclosed_actions(session)
    assert shown.decision_number == "新环罚决字〔2017〕21号"
    assert (shown.subject_name, shown.action_type, shown.amount) == ("城关镇某水泥厂", "fine", 2e5)
    assert shown.legal_basis.startswith("《中华人民共和国大气污染防治法》")
    assert not hasattr(shown, "subject_key") and not hasattr(shown, "credit_code")

    step(sessions, OFFICE, KIND, record_id, "revoke", note="行政复议撤销")
    with transaction(sessions) as session:
        assert disclosure.disclosed_actions(session) == []  # a revoked decision is taken down


def permits_csv(rows: list[str]) -> bytes:
    from .test_permits import HEADER as PERMIT_HEADER

    return "\n".join([PERMIT_HEADER, *rows]).encode("utf-8")


#: November 2017 by hand: (key, unit, area, type, fine, daily (per day, from, until), decided,
#: steps taken). Standing in November: 31 (hbj 城关 fine 50,000), 32 (hbj 米村 daily 10,000 × 5 days
#: + 0), 33 (gaj 城关 referral). Not counted: 34 decided then withdrawn, 35 decided in December, 36 undecided,
#: 37 decided in October.
MONTH_ROWS = (
    ("XMHF-2017-31", "hbj", "410183100", "fine", "50000", ("", "", ""), "2017-11-03", "decide"),
    (
        "XMHF-2017-32",
        "hbj",
        "410183101",
        "daily_fine",
        "",
        ("10000", "2017-11-01", "2017-11-05"),
        "2017-11-06",
        "decide",
    ),
    (
        "XMHF-2017-33",
        "gaj",
        "410183100",
        "police_referral",
        "",
        ("", "", ""),
        "2017-11-20",
        "decide",
    ),
    (
        "XMHF-2017-34",
        "hbj",
        "410183100",
        "fine",
        "30000",
        ("", "", ""),
        "2017-11-30",
        "decide withdraw",
    ),
    ("XMHF-2017-35", "hbj", "410183100", "fine", "99999", ("", "", ""), "2017-12-01", "decide"),
    ("XMHF-2017-36", "zfj", "410183101", "seal", "", ("", "", ""), "", ""),
    ("XMHF-2017-37", "hbj", "410183101", "fine", "7000", ("", "", ""), "2017-10-31", "decide"),
)


def test_monthly_statistics_per_unit_and_township_by_hand(
    sessions: sessionmaker[Session],
    plan: Plan,
    store: FileStore,
    frozen: clock.FrozenClock,
    inventory: None,
    lantian: Callable[..., Result],
    tmp_path: Path,
) -> None:
    frozen.moment = datetime(2017, 12, 10, 2, 0, tzinfo=UTC)
    rows = [
        row(key, name=f"对象{key[-2:]}", unit=unit, area=area, subject="other", action=kind,
            fine=fine, daily=daily, filed="2017-10-01", decided=decided)
        for key, unit, area, kind, fine, daily, decided, _ in MONTH_ROWS
    ]  # fmt: skip
    import_file(sessions, plan, store, KIND, csv(rows))
    for key, *_, steps in MONTH_ROWS:
        for event in steps.split():
            step(sessions, OFFICE, KIND, entry_id(sessions, KIND, key), event, note="撤回重办")

    with transaction(sessions) as session:
        month = statistics.monthly_statistics(session, OFFICE, date(2017, 11, 1), plan=plan)
        township = statistics.monthly_statistics(session, CHENGGUAN, date(2017, 11, 1), plan=plan)

    def summary(groups: Any) -> dict[str, tuple[int, float, int, dict[str, int]]]:
        return {
            g.code: (g.actions, g.fines_total, g.daily_fine_days, {k: n for k, n in g.by_type.items() if n})
            for g in groups
        }  # fmt: skip

    assert summary(month.by_unit) == {
        "gaj": (1, 0.0, 0, {"police_referral": 1}),
        "hbj": (2, 100000.0, 5, {"fine": 1, "daily_fine": 1}),
    }
    assert summary(month.by_township) == {
        "410183100": (2, 50000.0, 0, {"fine": 1, "police_referral": 1}),
        "410183101": (1, 50000.0, 5, {"daily_fine": 1}),
    }
    assert summary([month.total]) == {
        "": (3, 100000.0, 5, {"fine": 1, "daily_fine": 1, "police_referral": 1})
    }
    assert [g.name for g in month.by_unit] == ["市公安局", "市环保局"]
    # A township counts its own area's actions only.
    assert summary([township.total]) == {"": (2, 50000.0, 0, {"fine": 1, "police_referral": 1})}

    book = load_workbook(BytesIO(statistics.statistics_workbook(month)))
    by_unit = [list(r) for r in book["按单位 by unit"].iter_rows(min_row=3, values_only=True)]
    assert [(r[0], r[1], r[2], r[-2], r[-1]) for r in by_unit] == [
        ("市公安局", "gaj", 1, 0, 0),
        ("市环保局", "hbj", 2, 100000, 5),
        ("合计 total", None, 3, 100000, 5),
    ]
    townships = list(book["按乡镇 by township"].iter_rows(min_row=3, values_only=True))
    assert [(r[1], r[2], r[-2], r[-1]) for r in townships][:2] == [
        ("410183100", 2, 50000, 0),
        ("410183101", 1, 50000, 5),
    ]

    target = tmp_path / "stats.xlsx"
    answer = lantian("penalties", "stats", "--month", "2017-11", "--xlsx", str(target))
    assert answer.exit_code == 0, answer.output
    assert "100,000.00" in answer.output and "市公安局" in answer.output
    written = load_workbook(target)["按单位 by unit"]
    assert written.cell(5, 3).value == 3  # the total row: three actions
    refused = lantian("penalties", "stats", "--month", "2017-13")
    assert refused.exit_code != 0 and "YYYY-MM" in refused.output
