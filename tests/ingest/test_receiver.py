"""The HJ 212 receiver over loopback: real packets, concurrent devices, replies, bounds."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lantian.db.audited import acting_as
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.ingest.hj212_server import Hj212Receiver, ReceiverLimits
from lantian.monitoring.hj212_models import DeviceMeasurement, RawFrame, ReceivedPacket
from lantian.monitoring.models import Measurement, Station
from lantian.standards.hj212 import CpArea, Packet, build
from tests.ingest.hj212_support import (
    DeviceClient,
    captured_frames,
    chunks,
    decodable,
    is_data_upload,
    qn_rtn,
    register_devices,
    reply_qn,
    upload_key,
    with_ack_requested,
)

AMBIENT_MN = "410183160889201000212505"  # a Xinmi (410183) MN seen in public test fixtures


def run_with_receiver(
    engine: Engine,
    scenario: Callable[[Hj212Receiver, int], Awaitable[None]],
    limits: ReceiverLimits | None = None,
) -> Hj212Receiver:
    async def main() -> Hj212Receiver:
        receiver = Hj212Receiver(engine, limits)
        port = await receiver.start("127.0.0.1", 0)
        try:
            await scenario(receiver, port)
        finally:
            await receiver.close()
        return receiver

    return asyncio.run(main())


def count(engine: Engine, *where: object, model: type = RawFrame) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


@pytest.fixture
def engine(db_url: str) -> Engine:
    return create_db_engine(db_url)


def test_concurrent_devices_send_real_captured_packets(engine: Engine, shared_dir: Path) -> None:
    """Eight devices at once send a real captured hour of traffic; every ack follows storage."""
    frames = captured_frames(shared_dir)
    packets = decodable(frames)
    register_devices(engine, {packet.mn for _, packet in packets if packet.mn})
    # Data uploads are re-sent with a QN and Flag bit A (the captured 2005 loggers mostly did not
    # ask for acks); everything else — heartbeats, replies, corrupt frames — goes as captured.
    uploads = {id(frame) for frame, packet in packets if is_data_upload(packet)}
    to_send: list[bytes] = []
    acked_qns: set[str] = set()
    keys: set[tuple[str | None, str, str | None, str | None]] = set()
    by_frame = {id(frame): packet for frame, packet in packets}
    for index, frame in enumerate(frames):
        if id(frame) in uploads:
            qn = f"20160824{index:09d}"
            acked_qns.add(qn)
            keys.add(upload_key(by_frame[id(frame)]))
            to_send.append(with_ack_requested(by_frame[id(frame)], qn))
        else:
            to_send.append(frame)
    assert len(acked_qns) > 5000

    async def device(port: int, share: list[bytes]) -> list[Packet]:
        expected = {packet.qn for _, packet in decodable(share) if packet.qn in acked_qns}
        client = await DeviceClient.connect(port)
        for batch in chunks(share, max(1, len(share) // 40)):
            await client.send(*batch)
        got: list[Packet] = []
        while expected:
            (reply,) = await client.read_replies(1)
            got.append(reply)
            if reply.cn == "9014":
                expected.discard(reply_qn(reply))
        await client.close()
        return got

    async def scenario(receiver: Hj212Receiver, port: int) -> None:
        shares = chunks(to_send, 8)
        results = await asyncio.gather(*(device(port, share) for share in shares))
        data_acks = Counter(reply_qn(r) for got in results for r in got if r.cn == "9014")
        assert set(data_acks) >= acked_qns
        assert all(data_acks[qn] == 1 for qn in acked_qns)

    receiver = run_with_receiver(engine, scenario)
    assert count(engine) == len(frames)
    assert count(engine, model=ReceivedPacket) == len(keys)
    assert count(engine, RawFrame.verdict == "duplicate") == len(acked_qns) - len(keys)
    assert receiver.stats.commits < len(frames) / 5, "frames of many connections share commits"
    # Corrupt captured frames are kept raw too, rejected with the codec's reason.
    assert count(engine, RawFrame.verdict == "rejected") >= 4
    with session_factory(engine)() as session:
        flags = set(session.scalars(select(DeviceMeasurement.flag).distinct()))
    assert "N" in flags and flags <= {None, "N", "F", "M", "S", "D", "C", "T", "B"}


def _ambient_packet(
    data_time: str, *, qn: str, pw: str = "123456", mn: str = AMBIENT_MN, flag: str = "5"
) -> Packet:
    """An HJ 212-2017 hourly ambient upload (the values of spec §5.10 P11, one flagged M)."""
    return Packet(
        qn=qn,
        st="22",
        cn="2061",
        pw=pw,
        mn=mn,
        flag=flag,
        cp=CpArea.from_groups(
            [
                [("DataTime", data_time)],
                [("a21026-Avg", "15"), ("a21026-Flag", "N")],
                [("a21004-Avg", "48"), ("a21004-Flag", "N")],
                [("a34002-Avg", "160"), ("a34002-Flag", "N")],
                [("a34004-Avg", "115"), ("a34004-Flag", "M")],
                [("a21005-Avg", "1.6"), ("a21005-Flag", "N")],
                [("a05024-Avg", "32"), ("a05024-Flag", "N")],
            ]
        ),
    )


def _station(engine: Engine) -> None:
    with transaction(session_factory(engine)) as session, acting_as(session, "test"):
        session.add(Station(code="XM01", name="新密测试点", city="新密", tier="township"))


def test_replies_by_the_standard_and_idempotent_resend(engine: Engine) -> None:
    _station(engine)
    register_devices(engine, [AMBIENT_MN], station_code="XM01")
    good = build(_ambient_packet("20171115080000", qn="20171115090000001"))
    wrong_pw = build(_ambient_packet("20171115090000", qn="20171115100000001", pw="654321"))
    unknown = build(_ambient_packet("20171115080000", qn="20171115090000002", mn="UNKNOWN0001"))
    bad_crc = bytearray(build(_ambient_packet("20171115100000", qn="20171115110000001")))
    bad_crc[-4:-2] = b"00" if bad_crc[-4:-2] != b"00" else b"11"
    next_hour = build(_ambient_packet("20171115090000", qn="20171115100000002"))

    async def scenario(receiver: Hj212Receiver, port: int) -> None:
        client = await DeviceClient.connect(port)
        await client.send(good)
        (ack,) = await client.read_replies(1)
        assert (ack.cn, ack.st, ack.qn, ack.mn, ack.flag) == (
            "9014",
            "91",
            "20171115090000001",
            AMBIENT_MN,
            "4",
        )
        await client.send(good)  # re-sent: acknowledged again, stored once
        (again,) = await client.read_replies(1)
        assert again.cn == "9014" and again.qn == "20171115090000001"
        for frame, code, qn in (
            (wrong_pw, "3", "20171115100000001"),
            (unknown, "4", "20171115090000002"),
            (bytes(bad_crc), "9", "20171115110000001"),
        ):
            await client.send(frame)
            (reply,) = await client.read_replies(1)
            assert (reply.cn, qn_rtn(reply), reply.qn) == ("9011", code, qn)
        # NUL bytes inside header fields (seen in the captured traffic) are kept, not fatal.
        nul = build(_ambient_packet("20171115080000", qn="2017111509000\x00003", mn="XM\x0001"))
        await client.send(nul)
        (reply,) = await client.read_replies(1)
        assert (reply.cn, qn_rtn(reply)) == ("9011", "4")
        # Garbage and an oversized non-frame before a good frame: the stream resynchronises.
        await client.send(b"\x00\x00garbage##test1391\r\n", b"##0999" + b"x" * 3000, next_hour)
        (late,) = await client.read_replies(1)
        assert late.cn == "9014" and late.qn == "20171115100000002"
        await client.expect_silence()
        await client.close()

    run_with_receiver(engine, scenario)
    assert count(engine, RawFrame.verdict == "accepted") == 2
    assert count(engine, RawFrame.verdict == "duplicate") == 1
    assert count(engine, RawFrame.verdict == "rejected") >= 6
    assert count(engine, RawFrame.mn == "XM\\001") == 1
    assert count(engine, model=ReceivedPacket) == 2
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Measurement.pollutant, Measurement.period_end, Measurement.flag)
            .where(Measurement.source == "hj212")
            .order_by(Measurement.period_end, Measurement.pollutant)
        ).all()
        frames = session.execute(select(RawFrame.verdict, RawFrame.error, RawFrame.data)).all()
    # Hourly DataTime is the hour start (08:00 CST); lantian labels the hour end (09:00 CST).
    first_hour = datetime(2017, 11, 15, 1, 0, tzinfo=UTC)
    assert [(p, f) for p, end, f in rows if end == first_hour] == [
        ("co", "N"),
        ("no2", "N"),
        ("o3", "N"),
        ("pm10", "N"),
        ("pm2_5", "M"),
        ("so2", "N"),
    ]
    assert len(rows) == 12
    assert any(b"garbage" in data for verdict, _, data in frames if verdict == "rejected")
    assert any("CrcMismatch" in (error or "") for verdict, error, _ in frames)


def test_stack_values_keep_hj212_codes_and_flags(engine: Engine) -> None:
    """A flue-gas (ST=31) device without a station: values per code, 2005 codes mapped."""
    mn = "ZG130182201205"
    register_devices(engine, [mn])
    packet = Packet(
        st="31",
        cn="2061",
        pw="123456",
        mn=mn,
        flag="1",
        qn="20160824090000001",
        cp=CpArea.from_groups(
            [
                [("DataTime", "20160824080000")],
                [("02-Avg", "28.5"), ("02-Min", "20.1"), ("02-Max", "31.0"), ("02-Cou", "1.2")],
                [("02-ZsAvg", "31.2"), ("02-Flag", "T")],
                [("01-Avg", "4.2"), ("01-Flag", "C")],
            ]
        ),
    )

    async def scenario(receiver: Hj212Receiver, port: int) -> None:
        client = await DeviceClient.connect(port)
        await client.send(build(packet))
        (ack,) = await client.read_replies(1)
        # HJ/T 212-2005 peer: the QN travels inside CP, no Flag (codec replies module).
        assert ack.cn == "9014" and reply_qn(ack) == "20160824090000001"
        await client.close()

    run_with_receiver(engine, scenario)
    with session_factory(engine)() as session:
        rows = session.execute(
            select(
                DeviceMeasurement.code,
                DeviceMeasurement.value,
                DeviceMeasurement.min,
                DeviceMeasurement.max,
                DeviceMeasurement.cou,
                DeviceMeasurement.zs_value,
                DeviceMeasurement.flag,
                DeviceMeasurement.period,
            ).order_by(DeviceMeasurement.code)
        ).all()
    assert rows == [
        ("a21026", 28.5, 20.1, 31.0, 1.2, 31.2, "T", "hour"),
        ("a34013", 4.2, None, None, None, None, "C", "hour"),
    ]
    assert count(engine, model=Measurement) == 0  # no station: not a station series
    with session_factory(engine)() as session:
        # Written by the driver-level fast path, read back through the ORM: the same instant.
        stored_time = session.scalars(select(ReceivedPacket.data_time)).one()
        frame_time = session.scalars(select(RawFrame.data_time)).one()
    assert stored_time == frame_time == datetime(2016, 8, 24, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_bounds_connections_idle_time_and_a_stalled_device(engine: Engine) -> None:
    register_devices(engine, [AMBIENT_MN])
    limits = ReceiverLimits(max_connections=3, idle_timeout=0.5, max_in_flight=8)

    async def scenario(receiver: Hj212Receiver, port: int) -> None:
        # A device that floods acks and never reads them stalls only itself.
        stalled = await DeviceClient.connect(port)
        flood = b"".join(
            build(
                _ambient_packet(f"2017111{day}{hour:02d}0000", qn=f"2017111{day}{hour:02d}0000000")
            )
            for day in range(1, 10)
            for hour in range(24)
        )
        stalled.writer.transport.set_write_buffer_limits(high=len(flood) * 200)
        stalled.writer.write(flood * 200)  # ~ 43,000 acked frames, replies never read
        polite = await DeviceClient.connect(port)
        started = asyncio.get_running_loop().time()
        await polite.send(build(_ambient_packet("20171201000000", qn="20171201010000000")))
        (ack,) = await polite.read_replies(1, timeout=5)
        assert ack.cn == "9014"
        assert asyncio.get_running_loop().time() - started < 2.0
        third = await DeviceClient.connect(port)
        fourth = await DeviceClient.connect(port)  # over the limit: closed at once
        assert await asyncio.wait_for(fourth.reader.read(), 2) == b""
        assert receiver.stats.connections_refused == 1
        # Idle connections are closed after idle_timeout.
        assert await asyncio.wait_for(third.reader.read(), 3) == b""
        for client in (stalled, polite, third, fourth):
            client.writer.transport.abort()

    run_with_receiver(engine, scenario, limits)


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_a_frame_that_cannot_be_stored_is_not_acknowledged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One failing frame does not sink its batch; while the database is down nothing is acked."""
    from sqlalchemy.exc import OperationalError

    import lantian.ingest.hj212_server as server_module
    from lantian.monitoring.hj212_store import store_frames

    register_devices(engine, [AMBIENT_MN])
    database_down = False

    def flaky_store(connection: object, frames: list[object]) -> list[str]:
        if database_down:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        if any(getattr(frame, "qn", None) == "20171115100000666" for frame in frames):
            raise ValueError("this frame cannot be stored")
        return store_frames(connection, frames)  # type: ignore[arg-type]

    monkeypatch.setattr(server_module, "store_frames", flaky_store)
    good = build(_ambient_packet("20171115080000", qn="20171115090000001"))
    bad = build(_ambient_packet("20171115090000", qn="20171115100000666"))
    later = build(_ambient_packet("20171115100000", qn="20171115110000001"))
    after_outage = build(_ambient_packet("20171115110000", qn="20171115120000001"))

    async def scenario(receiver: Hj212Receiver, port: int) -> None:
        nonlocal database_down
        client = await DeviceClient.connect(port)
        await client.send(good, bad, later)
        replies = await client.read_replies(2)
        assert [r.qn for r in replies] == ["20171115090000001", "20171115110000001"]
        await client.expect_silence()
        database_down = True
        await client.send(after_outage)
        # Wait for the failed store itself, not a fixed time: on a loaded machine the receiver
        # may reach the frame only after the "outage" would have ended.
        deadline = asyncio.get_running_loop().time() + 30
        while receiver.stats.unstored < 2:
            assert asyncio.get_running_loop().time() < deadline, receiver.stats
            await asyncio.sleep(0.02)
        await client.expect_silence(0.3)
        database_down = False
        await client.send(after_outage)  # the device re-sends after its timeout
        (ack,) = await client.read_replies(1)
        assert ack.qn == "20171115120000001"
        await client.close()

    receiver = run_with_receiver(engine, scenario)
    assert receiver.stats.unstored == 2
    assert count(engine, model=ReceivedPacket) == 3
