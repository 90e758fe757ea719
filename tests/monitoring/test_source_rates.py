"""Stack (pollution-source) transmission rates from real captured HJ 212 hourly uploads."""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.ingest.hj212_server import Hj212Receiver
from lantian.monitoring.devices import add_device
from lantian.monitoring.quality import source_transmission_rates
from lantian.standards.hj212 import (
    TOLERANT,
    CpArea,
    Hj212Error,
    Packet,
    build,
    parse,
    parse_data_time,
)
from lantian.web.app import create_app
from tests.ingest.hj212_support import CAPTURED, captured_frames


@functools.cache
def hourly_uploads(shared_dir: Path) -> list[bytes]:
    """The valid CN 2061 (hourly) frames of the 08:00 captured file, plus two made-up hours of a
    stack whose second hour was sent during calibration (flag C)."""
    frames = [
        build(made_up_hour("20160824060000", "N")),
        build(made_up_hour("20160824070000", "C")),
    ]
    for name in CAPTURED[:1]:
        for frame in captured_frames(shared_dir, name):
            try:
                packet = parse(frame, TOLERANT)
            except Hj212Error:
                continue
            if packet.cn == "2061" and packet.data_time and packet.mn in SAMPLE_MNS:
                frames.append(frame)
    return frames


#: A sample of the captured file's stacks (Hebei flue-gas and waste-water loggers) keeps the test
#: quick; every hourly upload of these devices is sent.
SAMPLE_MNS = frozenset(
    {
        "LD130102000002",
        "LD130184000004",
        "LD130184000005",
        "LD130185000006",
        "ZG130182201602",
        "ZG132331201603",
        "ZG130104201604",
        "ZG130103201605",
        "ZG130182201808",
    }
)


MADE_UP_MN = "410183160889201000000031"


def made_up_hour(data_time: str, flag: str) -> Packet:
    return Packet(
        st="31",
        cn="2061",
        pw="123456",
        mn=MADE_UP_MN,
        flag="4",
        qn=data_time + "000",
        cp=CpArea.from_groups(
            [[("DataTime", data_time)], [("a21026-Avg", "28.5"), ("a21026-Flag", flag)]]
        ),
    )


def test_stack_rates_count_hours_and_flags(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    frames = hourly_uploads(shared_dir)
    packets = [parse(frame, TOLERANT) for frame in frames]
    expected_received: dict[str, set[str]] = defaultdict(set)
    expected_abnormal: dict[str, set[str]] = defaultdict(set)
    for packet in packets:
        assert packet.mn and packet.data_time
        expected_received[packet.mn].add(packet.data_time[:12])
        flags = [item.value for item in packet.cp.items() if item.field == "Flag"]
        if any(flag != "N" for flag in flags):
            expected_abnormal[packet.mn].add(packet.data_time[:12])
    with transaction(session_factory(db_engine)) as session:
        for mn in sorted(expected_received):
            add_device(session, mn, password=None, source_code=f"stack-{mn[-6:]}")

    async def send_all() -> None:
        receiver = Hj212Receiver(db_engine)
        port = await receiver.start("127.0.0.1", 0)
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"".join(frames))
            await writer.drain()
            deadline = asyncio.get_running_loop().time() + 60
            while receiver.stats.accepted + receiver.stats.duplicate < len(frames):
                assert asyncio.get_running_loop().time() < deadline, receiver.stats
                await asyncio.sleep(0.05)
            writer.close()
        finally:
            await receiver.close()

    asyncio.run(send_all())
    days = {parse_data_time(p.data_time).date() for p in packets if p.data_time}  # type: ignore[arg-type]
    with session_factory(db_engine)() as session:
        rows = source_transmission_rates(session, min(days), max(days), "day")
    assert {row.mn for row in rows} == set(expected_received)
    for row in rows:
        received = {
            t
            for t in expected_received[row.mn]
            if parse_data_time(t + "00").date() == row.period_start
        }
        abnormal = {t for t in expected_abnormal[row.mn] if t in received}
        assert row.expected_hours == 24
        assert row.received_hours == len(received)
        assert row.valid_hours == len(received - abnormal)
    made_up = next(
        row for row in rows if row.mn == MADE_UP_MN and row.period_start == date(2016, 8, 24)
    )
    assert (made_up.received_hours, made_up.valid_hours) == (2, 1)
    with session_factory(db_engine)() as session:
        monthly = source_transmission_rates(session, date(2016, 8, 1), date(2016, 8, 31), "month")
    assert all(row.expected_hours == 31 * 24 and not row.meets_target for row in monthly)
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    api = client.get(
        "/api/v1/monitoring/source-transmission-rates",
        params={"start": "2016-08-24", "end": "2016-08-24"},
    ).json()
    made_up_api = next(row for row in api if row["mn"] == MADE_UP_MN)
    assert (made_up_api["received_hours"], made_up_api["valid_hours"]) == (2, 1)
    assert made_up_api["valid_rate"] == round(1 / 24, 4) and not made_up_api["meets_target"]
