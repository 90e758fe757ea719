"""Task 21 end to end on both backends: real captured HJ 212 stack traffic replayed through the
receiver into a database with a stacks register and the plan's limits → one exceedance case per
outlet and episode (即超即罚), daily-penalty day counts (按日计罚), monthly transmission rates and
listed supervision (挂牌督办) per township and month; maintenance-flagged hours open nothing."""

from __future__ import annotations

import asyncio
import json
import lzma
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.service import add_user
from lantian.cems.jobs import judge_stacks
from lantian.cems.judge import (
    RULE_EXCEEDANCE,
    RULE_LISTED,
    JudgeResult,
    judge,
    judged_hours,
    monthly_rates,
    penalty_days,
)
from lantian.config import Settings
from lantian.db.engine import transaction
from lantian.emissions import service as emissions
from lantian.emissions.service import EnterpriseInput, LineInput
from lantian.emissions.uscc import make_code
from lantian.files import FileStore
from lantian.ingest.hj212_server import Hj212Receiver
from lantian.monitoring.hj212_models import Device
from lantian.plan import Plan
from lantian.scheduler.registry import JobContext, all_jobs
from lantian.sources.kinds.stacks import KIND
from lantian.standards.hj212 import TOLERANT, CpArea, FrameSplitter, Packet, build, parse
from lantian.supervision.models import InspectionCase
from lantian.web.app import create_app
from tests.ingest.hj212_support import DeviceClient, register_devices
from tests.sources.helpers import import_file

FIXTURE = Path(__file__).parent / "data" / "stack_hours_2016-08-24.h212.xz"
FIRM_A = make_code("91410183MA41000A1")  # 城关镇, two coal-boiler outlets
FIRM_B = make_code("91410183MA41000B2")  # 城关镇, a power outlet
FIRM_C = make_code("91410183MA41000C3")  # 米村镇, a compliant outlet and one in maintenance
FIRM_D = make_code("91410183MA41000D4")  # 米村镇, an outlet sending no converted values
MAINTENANCE_MN = "LD130124000394"
NO_ZS_MN = "LD130107000319"
HEADER = "编号,名称,乡镇代码,责任单位代码,统一社会信用代码,数采仪MN,排气筒高度(m),行业,燃料,执行限值,监测污染物"
STACKS = "\n".join(
    [
        HEADER,
        f"A-01,城关热力 1#锅炉,410183100,hbj,{FIRM_A},LD130121000238,50,燃煤锅炉,煤,标准限值,",
        f"A-02,城关热力 2#锅炉,410183100,hbj,{FIRM_A},LD130121000239,50,coal_boiler,coal,standard,",
        f"B-01,城关电厂 1#机组,410183100,hbj,{FIRM_B},LD130107000226,180,火电,煤,超低排放限值,",
        f"C-01,米村电厂 1#机组,410183101,hbj,{FIRM_C},LD130121000135,150,power,coal,ultra_low,",
        f"C-02,米村电厂 2#机组,410183101,hbj,{FIRM_C},{MAINTENANCE_MN},150,power,coal,special,",
        f"D-01,米村热电 1#机组,410183101,hbj,{FIRM_D},{NO_ZS_MN},120,power,coal,ultra_low,氮氧化物",
    ]
).encode()
#: 2016-08-26 10:00 in Xinmi: two days after the captured hours.
T_JUDGE = datetime(2016, 8, 26, 2, 0, tzinfo=UTC)


def captured_stack_frames() -> list[Packet]:
    """The fixture's frames, decoded (real captured bytes, see tests/cems/PROVENANCE.md)."""
    data = lzma.decompress(FIXTURE.read_bytes())
    return [parse(item, TOLERANT) for item in FrameSplitter().feed(data) if isinstance(item, bytes)]


def _rewritten(packet: Packet) -> Packet:
    """The maintenance outlet's hours marked ``M`` (运维) on every pollutant and O2, and the
    converted values dropped from the conversion outlet (so the platform computes them from
    O2): the only changes made to the captured packets."""
    if packet.mn == MAINTENANCE_MN:
        groups = [
            [(item.key, item.value or "") for item in group]
            + (
                [(f"{group[0].code}-Flag", "M")]
                if group and group[0].code in ("01", "02", "03", "S01")
                else []
            )
            for group in packet.cp.groups
        ]
    elif packet.mn == NO_ZS_MN:
        groups = [
            [(item.key, item.value or "") for item in group if "-Zs" not in item.key]
            for group in packet.cp.groups
        ]
        groups = [group for group in groups if group]
    else:
        return packet
    return replace(packet, cp=CpArea.from_groups(groups), crc=None, header_order=None)


def replay(engine: Engine, packets: list[Packet]) -> None:
    """Send the packets to a receiver on loopback, as one device connection each."""

    async def main() -> None:
        receiver = Hj212Receiver(engine)
        port = await receiver.start("127.0.0.1", 0)
        try:
            for packet in packets:
                client = await DeviceClient.connect(port)
                await client.send(build(packet))
                await client.close()
            # The captured 2005 loggers ask for no ack: wait until the receiver stored them all.
            for _ in range(200):
                with Session(engine) as session:
                    from lantian.monitoring.hj212_models import ReceivedPacket

                    stored = len(session.scalars(select(ReceivedPacket.id)).all())
                if stored >= len(packets):
                    break
                await asyncio.sleep(0.05)
        finally:
            await receiver.close()

    asyncio.run(main())


def add_inventory(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for code, name, area, industry in (
            (FIRM_A, "城关热力公司", "410183100", "other"),
            (FIRM_B, "城关电厂", "410183100", "power"),
            (FIRM_C, "米村电厂", "410183101", "power"),
            (FIRM_D, "米村热电厂", "410183101", "power"),
        ):
            emissions.add_enterprise(
                session,
                "tester",
                EnterpriseInput(
                    credit_code=code,
                    name=name,
                    area_code=area,
                    industry=industry,
                    output_value=10.0,
                    lines=[LineInput("1号线", pm=0.2)],
                ),
            )


def run_judge(sessions: sessionmaker[Session], plan: Plan, settings: Settings) -> JudgeResult:
    with transaction(sessions) as session:
        return judge(session, plan, settings)


def exceedance_cases(sessions: sessionmaker[Session], rule: str) -> list[InspectionCase]:
    with transaction(sessions) as session:
        found = session.scalars(
            select(InspectionCase)
            .where(InspectionCase.dedup_key.like(f"rule|{rule}|%"))
            .order_by(InspectionCase.dedup_key)
        ).all()
        session.expunge_all()
        return list(found)


@pytest.fixture
def replayed(
    db_engine: Engine, sessions: sessionmaker[Session], plan: Plan, tmp_path: Path
) -> sessionmaker[Session]:
    packets = [_rewritten(packet) for packet in captured_stack_frames()]
    assert len(packets) == 12 and {p.mn for p in packets} >= {MAINTENANCE_MN, NO_ZS_MN}
    register_devices(db_engine, {p.mn for p in packets if p.mn})
    replay(db_engine, packets)
    add_inventory(sessions)
    with clock.use(clock.FrozenClock(T_JUDGE)):
        result = import_file(sessions, plan, FileStore(tmp_path / "files"), KIND, STACKS)
    assert result.created == 6, result
    return sessions


def test_replayed_traffic_opens_one_case_per_outlet_and_episode(
    replayed: sessionmaker[Session], plan: Plan
) -> None:
    settings = Settings()
    with clock.use(clock.FrozenClock(T_JUDGE)):
        first = run_judge(replayed, plan, settings)
        again = run_judge(replayed, plan, settings)
    assert first.outlets == 6 and first.hours == 12
    # A-01, A-02 (SO2 ≈ 2,700 and 1,900 mg/m³ against 400), B-01 (NOx ≈ 296 against the ultra-low
    # 50) and D-01 (NOx computed from O2) exceed at 08:00 and 20:00: one episode each.
    assert first.exceeding_hours == 8 and first.episodes == 4 and first.cases_opened == 4
    assert first.maintenance_hours == 2
    assert again.cases_opened == 0 and again.listed_opened == 0
    cases = exceedance_cases(replayed, RULE_EXCEEDANCE)
    outlets = sorted(case.dedup_key.split("|")[2].split(":")[1] for case in cases)  # type: ignore[union-attr]
    assert outlets == ["A-01", "A-02", "B-01", "D-01"]
    # The maintenance outlet C-02 sent NOx ≈ 570 mg/m³, above any limit, flagged M: no case.
    assert all("C-02" not in (case.dedup_key or "") for case in cases)
    by_outlet = {case.dedup_key.split(":")[1]: case for case in cases}  # type: ignore[union-attr]
    assert by_outlet["A-01"].area_code == "410183100" and by_outlet["D-01"].area_code == "410183101"
    assert FIRM_A in by_outlet["A-01"].description
    # 城关镇 has two exceeding firms in August 2016 (多家企业超标): listed at once; 米村镇 one.
    listed = exceedance_cases(replayed, RULE_LISTED)
    assert [case.dedup_key for case in listed] == ["rule|cems.listed|area:410183100:2016-08"]


def test_computed_from_o2_and_the_days_of_the_daily_penalty(
    replayed: sessionmaker[Session], plan: Plan
) -> None:
    moment = clock.FrozenClock(T_JUDGE)
    with clock.use(moment):
        run_judge(replayed, plan, Settings())
        with transaction(replayed) as session:
            days = {row.outlet: row for row in penalty_days(session)}
            (d01,) = penalty_days(session, "D-01")
        # NOx 218.33 mg/m³ at O2 8.56 % (08:00) and 229.30 at 9.19 % (20:00), corrected to the
        # power reference of 6 %: 263.3 and 291.2, computed (the device sent no ZsAvg).
        with transaction(replayed) as session:
            stack = session.scalar(select(KIND.model).where(KIND.model.key == "D-01"))
            hours = judged_hours(session, plan, stack, T_JUDGE - timedelta(days=3), T_JUDGE)
        assert [(h.value, h.computed, h.exceeding) for h in hours] == [
            (pytest.approx(218.33 * 15 / 12.44, abs=0.01), True, True),
            (pytest.approx(229.30 * 15 / 11.81, abs=0.01), True, True),
        ]
        case = exceedance_cases(replayed, RULE_EXCEEDANCE)
        details = next(c for c in case if "D-01" in (c.dedup_key or "")).description
        assert "291.236 mg/m³" in details and "特别" not in details and "超低排放限值" in details
    assert set(days) == {"A-01", "A-02", "B-01", "D-01"}
    assert {row.days for row in days.values()} == {3}  # 08-24, 08-25, 08-26: not rectified
    # The case itself counts the whole days gone by: its episode, then 08-24 and 08-25.
    assert {case.occurrences for case in exceedance_cases(replayed, RULE_EXCEEDANCE)} == {3}
    assert d01.first_day == date(2016, 8, 24)
    moment.advance(timedelta(days=2))
    with clock.use(moment), transaction(replayed) as session:
        assert penalty_days(session, "D-01")[0].days == 5
    with clock.use(moment):
        assert run_judge(replayed, plan, Settings()).penalty_days == 4 * 2  # 08-26 and 08-27
        assert run_judge(replayed, plan, Settings()).penalty_days == 0
    assert {case.occurrences for case in exceedance_cases(replayed, RULE_EXCEEDANCE)} == {5}


def test_monthly_rates_and_listed_supervision_once_per_township_and_month(
    replayed: sessionmaker[Session], plan: Plan
) -> None:
    with clock.use(clock.FrozenClock(T_JUDGE)):
        run_judge(replayed, plan, Settings())
    with transaction(replayed) as session:
        rates = {row.outlet: row for row in monthly_rates(session, date(2016, 8, 1))}
    assert set(rates) == {"A-01", "A-02", "B-01", "C-01", "C-02", "D-01"}
    assert all(row.expected_hours == 31 * 24 and row.received_hours == 2 for row in rates.values())
    assert rates["A-01"].valid_hours == 2 and rates["A-01"].valid_rate == 0.3
    assert rates["C-02"].valid_hours == 0  # the maintenance hours are not valid transmission
    # After August ended, every township with an outlet below 90 % is listed, once.
    september = clock.FrozenClock(datetime(2016, 9, 2, 2, 0, tzinfo=UTC))
    with clock.use(september):
        later = run_judge(replayed, plan, Settings())
        again = run_judge(replayed, plan, Settings())
    assert later.listed == ["area:410183101:2016-08"] and again.listed_opened == 0
    listed = exceedance_cases(replayed, RULE_LISTED)
    assert sorted(case.area_code for case in listed) == ["410183100", "410183101"]
    assert all(case.severity == "major" for case in listed)
    # The title names the township as people do, not by its code.
    assert any(case.title.startswith("挂牌督办：城关镇 ") for case in listed), [
        case.title for case in listed
    ]
    # A month still running is judged to date: on 08-26 (China time) August counts 25 days.
    running = clock.FrozenClock(datetime(2016, 8, 26, 2, 0, tzinfo=UTC))
    with clock.use(running), transaction(replayed) as session:
        to_date = monthly_rates(session, date(2016, 8, 1))
    assert {row.expected_hours for row in to_date} == {25 * 24}


def test_devices_name_their_outlet(replayed: sessionmaker[Session]) -> None:
    with transaction(replayed) as session:
        device = session.scalar(select(Device).where(Device.mn == NO_ZS_MN))
        assert device is not None and device.source_code == "D-01"


def test_the_scheduled_job_and_the_command_judge_the_same_way(
    replayed: sessionmaker[Session], lantian: Callable[..., Result]
) -> None:
    context = JobContext(
        sessions=replayed,
        settings=Settings(),
        now=T_JUDGE,
        last_success=None,
        actor="system:job:cems.judge",
    )
    assert "4 cases opened, 1 listed" in judge_stacks(context)
    assert "0 cases opened, 0 listed" in judge_stacks(context)
    assert [job.name for job in all_jobs() if job.name == "cems.judge"] == ["cems.judge"]
    with clock.use(clock.FrozenClock(T_JUDGE)):
        done = lantian("cems", "judge", "--since", "2016-08-01")
        rates = lantian("cems", "rates", "--month", "2016-08")
    assert done.exit_code == 0, done.output
    assert "0 cases opened" in done.output and "12 hours" in done.output
    assert rates.exit_code == 0 and "C-02" in rates.output and "0.3" in rates.output


def test_the_pages_show_the_judged_hours_rates_cases_and_scope(
    replayed: sessionmaker[Session], plan: Plan, db_engine: Engine, tmp_path: Path
) -> None:
    with clock.use(clock.FrozenClock(T_JUDGE)):
        run_judge(replayed, plan, Settings())
    with transaction(replayed) as session:
        add_user(session, username="office", role="campaign_office", password=PASSWORD, actor="t")
        add_user(
            session,
            username="micun",
            role="township",
            scope="410183101",
            password=PASSWORD,
            actor="t",
        )
    office = signed_in(TestClient(create_app(Settings(data_dir=tmp_path), db_engine)), "office")
    with clock.use(clock.FrozenClock(T_JUDGE)):
        overview = office.get("/cems", params={"month": "2016-08"})
        outlet = office.get("/cems/D-01")
    assert overview.status_code == 200
    row = re.search(r'<tr data-outlet="A-01">(.*?)</tr>', overview.text, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', row.group(1))
    assert cells == ["0.3", "2", "1", "3"]  # rate %, exceeding hours, open cases, days
    assert "area:" not in overview.text and "挂牌督办" in overview.text
    assert outlet.status_code == 200
    chart = re.search(r'<script id="cems-json" type="application/json">(.*?)</script>', outlet.text)
    assert chart is not None
    data = json.loads(chart.group(1))
    assert data["hours"] == ["08-24 08:00", "08-24 20:00"]
    assert [s["code"] for s in data["series"]] == ["a21002"]
    assert data["series"][0]["limit"] == 50 and data["series"][0]["exceeding"] == [True, True]
    assert 'id="panel-cems_cases"' in outlet.text and "/cases/" in outlet.text
    township = signed_in(TestClient(create_app(Settings(data_dir=tmp_path), db_engine)), "micun")
    mine = township.get("/cems", params={"month": "2016-08"})
    assert 'data-outlet="D-01"' in mine.text and 'data-outlet="A-01"' not in mine.text
    assert township.get("/cems/A-01").status_code == 403
    assert township.get("/cems/C-02").status_code == 200


PASSWORD = "灰霾退散-2017-blue"


def signed_in(client: TestClient, username: str) -> TestClient:
    login = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', login.text)
    assert token
    client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token.group(1), "next": "/"},
    )
    return client
