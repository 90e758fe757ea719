"""Task 39 during the replayed January 2019 warning: a truck not needed for safety passing the
gate on a warning day and an own fleet below 80 % 国IV+ each open their case; gate and fleet files
with bad rows are refused whole. Both backends; also through ``lantian execution``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import Result

from lantian.db.engine import transaction
from lantian.execution import service
from lantian.execution.imports import import_facts
from lantian.execution.models import FleetVehicle, GateMovement
from lantian.files import FileStore
from lantian.supervision.models import InspectionCase
from lantian.tabular import Rejected
from lantian.warnings.replay import Episode
from tests.execution.support import (
    GOOD,
    IDLE,
    OFFICE,
    PLAN,
    WARNED,
    electricity_csv,
    set_up,
)

FLEET = "\n".join(
    [
        "统一社会信用代码,车牌号,排放标准,封存",
        f"{GOOD},豫A10001,国III,否",
        f"{GOOD},豫A10002,国III,否",
        f"{GOOD},豫A10003,国V,否",
        f"{GOOD},豫A10004,国VI,否",
        f"{GOOD},豫A10005,国III,是",  # sealed: not counted
    ]
)


def gate_csv() -> str:
    rows = ["统一社会信用代码,车牌号,通行时间,进出,排放标准,货物,载重吨,保安全生产"]
    day = date(2018, 12, 18)
    while day <= date(2019, 1, 8):
        if day not in WARNED:
            for hour, direction in ((8, "进"), (9, "出"), (14, "进"), (15, "出")):
                rows.append(f"{GOOD},豫A10003,{day} {hour:02d}:10,{direction},国V,熟料,30,否")
        day += timedelta(days=1)
    rows.append(f"{GOOD},豫A10004,2019-01-03 10:00,进,国VI,脱硝氨水,8,是")  # safety: exempt
    rows.append(f"{GOOD},豫A10001,2019-01-04 07:30,进,国III,原煤,32,否")
    rows.append(f"{GOOD},豫A10001,2019-01-04 11:45,出,国III,,,否")
    return "\n".join(rows) + "\n"


def test_freight_and_fleet_breaches_open_their_cases(
    sessions: sessionmaker[Session],
    first_episode: Episode,
    tmp_path: Path,
) -> None:
    store = FileStore(tmp_path / "files")
    set_up(sessions, first_episode, store)
    with transaction(sessions) as session:
        import_facts(session, OFFICE, "fleet", FLEET.encode(), "车队.csv", store=store)
        import_facts(session, OFFICE, "gate", gate_csv().encode("gbk"), "门禁.csv", store=store)
    with sessions() as session:
        assert len(session.scalars(select(FleetVehicle)).all()) == 5
        # Gate times without a zone are China time.
        first = session.scalars(select(GateMovement).order_by(GateMovement.passed_at)).first()
        assert first is not None and first.passed_at.isoformat() == "2018-12-18T00:10:00+00:00"
    with transaction(sessions) as session:
        result = service.check_recent(session, PLAN, today=date(2019, 1, 10))[0]
    rows = {row.credit_code: row for row in result.rows}
    good, idle = rows[GOOD], rows[IDLE]
    assert good.production.status == "complied" and good.transport.status == "breached"
    found = {(v.day, v.subject, v.rule) for v in good.transport.violations}
    assert found == {
        (date(2019, 1, 2), "fleet", "39-fleet-china4"),  # 2 of 4 unsealed trucks 国IV+
        (date(2019, 1, 4), "transport", "39-no-movements"),  # the 国III truck in and out
    }
    assert idle.transport.status == "not_required"  # no gate records, fleet or transport duty
    assert result.cases_opened == 3 and len(good.case_ids) == 2
    with sessions() as session:
        rules = sorted(c.reference or "" for c in session.scalars(select(InspectionCase)))
    assert rules == ["execution.fleet", "execution.production", "execution.transport"]


def test_bad_gate_and_fleet_rows_are_all_reported(
    sessions: sessionmaker[Session],
    first_episode: Episode,
    tmp_path: Path,
) -> None:
    store = FileStore(tmp_path / "files")
    set_up(sessions, first_episode, None)
    gate = "\n".join(
        [
            "统一社会信用代码,车牌号,通行时间,进出,排放标准,货物,载重吨,保安全生产",
            f"{GOOD},豫A10001,2019-01-04 07:30,进,国III,原煤,32,否",
            f"{GOOD},A10001,2019-01-04 07:30,进,国III,原煤,32,否",  # no province
            f"{GOOD},豫A10002,2019-01-04 07:30,横,国III,原煤,32,否",  # no such direction
            f"{GOOD},豫A10002,2019-01-04 08:30,进,国七,原煤,32,否",  # no such standard
            f"{GOOD},豫A10002,昨天,进,国V,原煤,32,否",  # not a time
            f"{GOOD},豫A10001,2019-01-04 07:30,进,国III,原煤,30,否",  # repeats row 2
        ]
    )
    with pytest.raises(Rejected) as refused, transaction(sessions) as session:
        import_facts(session, OFFICE, "gate", gate.encode(), "门禁.csv", store=store)
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5, 6, 7]
    fleet = FLEET + f"\n{IDLE},豫A2000,国V,否\n{GOOD},豫A10001,国V,否\n"
    with pytest.raises(Rejected) as refused, transaction(sessions) as session:
        import_facts(session, OFFICE, "fleet", fleet.encode(), "车队.csv", store=store)
    assert sorted({p.row for p in refused.value.problems}) == [7, 8]
    with sessions() as session:
        assert session.scalars(select(GateMovement)).all() == []
        assert session.scalars(select(FleetVehicle)).all() == []


def test_the_command_imports_and_checks(
    lantian: Callable[..., Result],
    first_episode: Episode,
    db_url: str,
    tmp_path: Path,
) -> None:
    from lantian.db.engine import create_db_engine, session_factory

    engine = create_db_engine(db_url)
    set_up(session_factory(engine), first_episode, None)
    engine.dispose()
    power = tmp_path / "供电公司.csv"
    power.write_bytes(electricity_csv(date(2018, 12, 10), date(2019, 1, 9), WARNED))
    template = tmp_path / "gate.xlsx"
    assert lantian("execution", "template", "gate", str(template)).exit_code == 0
    assert template.stat().st_size > 0
    imported = lantian("execution", "import", "electricity", str(power))
    assert imported.exit_code == 0, imported.output
    assert "124" in imported.output
    bad = tmp_path / "bad.csv"
    bad.write_text("统一社会信用代码,生产线,日期,用电量\n" + f"{IDLE},9号窑,2019-01-02,1\n")
    refused = lantian("execution", "import", "electricity", str(bad))
    assert refused.exit_code != 0 and "9号窑" in refused.output
    checked = lantian("execution", "check", "--episode", "1")
    assert checked.exit_code == 0, checked.output
    assert "新开案件 1" in checked.output and "breached" in checked.output
