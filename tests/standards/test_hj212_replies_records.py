"""Replies (9011-9014), measurement records with UTC+8 times, and the frame splitter."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from lantian.standards.hj212 import (
    STRICT,
    TOLERANT,
    BuildError,
    CrcMismatch,
    FieldError,
    FrameSplitter,
    GarbageChunk,
    ParseOptions,
    build,
    crc16_hj212,
    data_ack,
    execution_result,
    format_crc,
    hour_end_label,
    hour_start_from_end_label,
    notification_ack,
    parse,
    parse_data_time,
    records_from_packet,
    request_ack,
)
from lantian.standards.hj212.records import CHINA_STANDARD_TIME


def frame(segment: str) -> bytes:
    data = segment.encode()
    return b"##%04d" % len(data) + data + format_crc(crc16_hj212(data)).encode() + b"\r\n"


REQUEST_2017 = frame(
    "QN=20171115093000123;ST=22;CN=1012;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&SystemTime=20171115093000&&"
)
UPLOAD_2005 = frame(
    "ST=31;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003500000;"
    "01-Rtd=19.23,01-Flag=N;01-ZsRtd=20.94,01-Flag=D;S01-Rtd=15.4,S01-Flag=N&&"
)
REQUEST_2005 = frame(
    "QN=20160824081327000;ST=31;CN=1012;PW=123456;MN=LD130185000273;Flag=1;"
    "CP=&&SystemTime=20160824081327&&"
)


def test_replies_to_a_2017_request() -> None:
    request = parse(REQUEST_2017)
    for reply, cn, cp in (
        (request_ack(request, 1), "9011", [("QnRtn", "1")]),
        (request_ack(request, 9), "9011", [("QnRtn", "9")]),
        (execution_result(request, 100), "9012", [("ExeRtn", "100")]),
        (notification_ack(request), "9013", []),
        (data_ack(request), "9014", []),
    ):
        decoded = parse(build(reply), STRICT)  # replies are themselves strictly valid
        assert (decoded.qn, decoded.st, decoded.cn, decoded.flag) == (request.qn, "91", cn, "4")
        assert (decoded.pw, decoded.mn) == (request.pw, request.mn)
        assert decoded.flags is not None and not decoded.flags.ack_required
        assert [(i.key, i.value) for i in decoded.cp.items()] == cp


def test_replies_to_2005_peers_carry_qn_in_cp() -> None:
    reply = execution_result(parse(REQUEST_2005), 1)
    assert build(reply) == frame(
        "ST=91;CN=9012;PW=123456;MN=LD130185000273;CP=&&QN=20160824081327000;ExeRtn=1&&"
    )
    ack = data_ack(parse(UPLOAD_2005, TOLERANT))  # a 2005 upload without QN
    assert build(ack) == frame("ST=91;CN=9014;PW=123456;MN=LD130133000015;CP=&&&&")


def test_reply_codes_are_checked() -> None:
    request = parse(REQUEST_2017)
    with pytest.raises(BuildError):
        request_ack(request, 10)
    with pytest.raises(BuildError):
        execution_result(request, 7)


def test_records_of_a_2005_upload_take_the_flag_of_their_group() -> None:
    records = records_from_packet(parse(UPLOAD_2005, TOLERANT))
    summary = [(r.code, r.received_code, r.field, r.raw_value, r.flag) for r in records]
    assert summary == [
        ("a34013", "01", "Rtd", "19.23", "N"),
        ("a34013", "01", "ZsRtd", "20.94", "D"),
        ("a19001", "S01", "Rtd", "15.4", "N"),
    ]
    assert records[0].value == Decimal("19.23")
    assert records[0].data_time == datetime(2016, 8, 24, 0, 35, tzinfo=CHINA_STANDARD_TIME)
    assert records[0].period == "instant" and records[0].hour_end is None
    assert records[0].unit == "mg/m³" and records[2].unit == "%"


def test_hourly_records_start_of_hour_and_end_label() -> None:
    packet = parse(
        frame(
            "QN=20171115090000001;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
            "CP=&&DataTime=20171115230000;a21005-Avg=1.6,a21005-Flag=N;"
            "a34004-Avg=115,a34004-Flag=T&&"
        )
    )
    co, pm = records_from_packet(packet)
    assert co.period == "hour" and co.data_time_is_period_start
    assert co.data_time.isoformat() == "2017-11-15T23:00:00+08:00"
    assert co.hour_end is not None and co.hour_end.isoformat() == "2017-11-16T00:00:00+08:00"
    assert hour_start_from_end_label(co.hour_end) == co.data_time
    assert (co.unit, pm.unit, pm.flag) == ("mg/m³", "µg/m³", "T")
    assert hour_end_label(co.data_time) - co.data_time == timedelta(hours=1)


def test_parse_data_time() -> None:
    assert parse_data_time("20160824003500123").microsecond == 123000
    assert parse_data_time("20171115080000").utcoffset() == timedelta(hours=8)
    for bad in (
        "2017111508000",
        "20171315080000",
        "2017111508000x",
        "２０１７１１１５０８００００",
    ):
        with pytest.raises(FieldError):
            parse_data_time(bad)
    no_time = parse(
        frame("QN=20171115090000001;ST=22;CN=2061;PW=1;MN=1;Flag=4;CP=&&a21005-Avg=1&&")
    )
    with pytest.raises(FieldError):
        records_from_packet(no_time)


# --- frame splitter -----------------------------------------------------------------------------


def split_all(data: bytes, sizes: list[int], max_frame: int = 4096) -> list[bytes | GarbageChunk]:
    splitter = FrameSplitter(max_frame)
    out: list[bytes | GarbageChunk] = []
    position = 0
    for size in sizes:
        out += splitter.feed(data[position : position + size])
        position += size
    out += splitter.feed(data[position:])
    return out + splitter.flush()


def test_splitter_resynchronises_after_garbage() -> None:
    good = REQUEST_2017
    data = b"noise" + good + b"##xx garbage\r\n#" + good + b"###" + good + b"##12"
    for sizes in ([], [1] * len(data), [3, 5, 200, 7]):
        out = split_all(data, sizes)
        frames = [c for c in out if isinstance(c, bytes)]
        garbage = [(c.reason, c.data) for c in out if isinstance(c, GarbageChunk)]
        assert frames == [good, good, good]
        assert b"".join(c if isinstance(c, bytes) else c.data for c in out) == data
        assert (b"##12" in garbage[-1][1]) and garbage[-1][0] == "end_of_stream"
        assert any(reason == "bad_header" for reason, _ in garbage)


def test_splitter_bounds_the_frame_size() -> None:
    endless = b"##0100" + b"A" * 5000
    out = split_all(endless + REQUEST_2017, [100] * 60, max_frame=1036)
    assert [c for c in out if isinstance(c, bytes)] == [REQUEST_2017]
    assert any(isinstance(c, GarbageChunk) and c.reason == "oversize" for c in out)
    splitter = FrameSplitter(1036)
    splitter.feed(endless)
    assert splitter.buffered < 1036
    with pytest.raises(ValueError):
        FrameSplitter(5)


def test_crc_error_reply_from_a_packet_read_without_crc_check() -> None:
    """On a CRC error the centre may answer 9011 QnRtn=9 (spec §5.3): the fields needed for
    the reply are read with the CRC check off."""
    corrupted = REQUEST_2017[:-6] + b"0000\r\n"
    with pytest.raises(CrcMismatch):
        parse(corrupted)
    fields_only = parse(corrupted, ParseOptions(mode="tolerant", crc_mode="none"))
    reply = parse(build(request_ack(fields_only, 9)))
    assert (reply.cn, reply.qn, reply.cp.get("QnRtn")) == ("9011", "20171115093000123", "9")
