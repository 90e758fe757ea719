"""store_frames on both backends: ids drawn before the inserts link rows exactly as before."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from lantian.db.engine import session_factory, transaction
from lantian.monitoring.devices import add_device
from lantian.monitoring.hj212_models import DeviceMeasurement, RawFrame, ReceivedPacket
from lantian.monitoring.hj212_store import CodeValues, FrameToStore, UploadData, store_frames

_RECEIVED = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def _upload_frame(device_id: int, hour: int, tag: str, codes: int) -> FrameToStore:
    data_time = datetime(2016, 8, 24, hour, tzinfo=UTC)
    return FrameToStore(
        received_at=_RECEIVED,
        peer="127.0.0.1:1",
        data=f"##frame {tag}\r\n".encode(),
        verdict="accepted",
        device_id=device_id,
        mn="M1",
        cn="2061",
        data_time=data_time,
        upload=UploadData(
            device_id=device_id,
            station_id=None,
            st="22",
            cn="2061",
            data_time=data_time,
            part=1,
            values=[
                CodeValues(code=f"a0000{n}", period="hour", value=n + 0.5) for n in range(codes)
            ],
        ),
    )


def _rejected(tag: str) -> FrameToStore:
    return FrameToStore(
        received_at=_RECEIVED, peer="127.0.0.1:2", data=tag.encode(), verdict="rejected", error="x"
    )


def test_store_frames_links_packets_and_values_to_their_frames(db_engine: Engine) -> None:
    with transaction(session_factory(db_engine)) as session:
        device_id = add_device(session, "M1", password="123456").id
    first = [
        _upload_frame(device_id, 8, "a", 2),
        _rejected("garbage"),
        _upload_frame(device_id, 8, "a-again", 2),  # same key in the same batch
        _upload_frame(device_id, 9, "b", 3),
    ]
    with db_engine.begin() as connection:
        assert store_frames(connection, first) == ["accepted", "rejected", "duplicate", "accepted"]
    second = [_upload_frame(device_id, 9, "b-resent", 3), _upload_frame(device_id, 10, "c", 1)]
    with db_engine.begin() as connection:
        assert store_frames(connection, second) == ["duplicate", "accepted"]
    with db_engine.begin() as connection:
        assert store_frames(connection, [_rejected("only garbage")]) == ["rejected"]

    with db_engine.connect() as connection:
        frames = {row.id: row for row in connection.execute(select(RawFrame.__table__))}
        packets = list(connection.execute(select(ReceivedPacket.__table__)))
        values = list(connection.execute(select(DeviceMeasurement.__table__)))
    assert sorted(row.verdict for row in frames.values()) == [
        "accepted", "accepted", "accepted", "duplicate", "duplicate", "rejected", "rejected"
    ]  # fmt: skip
    assert len(frames) == 7 and len({*frames}) == 7
    by_data = {}
    for packet in packets:
        frame = frames[packet.raw_frame_id]
        assert frame.verdict == "accepted"
        assert frame.data_time is not None and frame.data_time == packet.data_time
        by_data[frame.data] = packet
    assert sorted(by_data) == [b"##frame a\r\n", b"##frame b\r\n", b"##frame c\r\n"]
    counts = {packet.id: 0 for packet in packets}
    for value in values:
        counts[value.packet_id] += 1
        assert value.data_time == next(p.data_time for p in packets if p.id == value.packet_id)
    assert counts[by_data[b"##frame a\r\n"].id] == 2
    assert counts[by_data[b"##frame b\r\n"].id] == 3
    assert counts[by_data[b"##frame c\r\n"].id] == 1
