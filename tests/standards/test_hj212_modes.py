"""Strict and tolerant modes: each known deviation is accepted (tolerant) and recorded, and
every error is typed and says what and where (HJ 212-2017 Tables 3-4)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from lantian.standards.hj212 import (
    STRICT,
    TOLERANT,
    BuildError,
    CpArea,
    CpError,
    CrcMismatch,
    DeviationKind,
    FieldError,
    FramingError,
    Hj212Error,
    LengthMismatch,
    Packet,
    ParseOptions,
    UnitOverride,
    build,
    crc16_hj212,
    format_crc,
    parse,
    records_from_packet,
)

HEAD_2017 = "QN=20171115090000001;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
HEAD_2005 = "ST=31;CN=2011;PW=123456;MN=LD130133000015;"


def frame(segment: str, *, length_delta: int = 0, lower: bool = False) -> bytes:
    """A frame around ``segment`` with a correct CRC (optionally lower case / skewed length)."""
    data = segment.encode("utf-8")
    crc = format_crc(crc16_hj212(data))
    crc = crc.lower() if lower else crc
    return b"##%04d" % (len(data) + length_delta) + data + crc.encode() + b"\r\n"


def kinds(raw: bytes, options: ParseOptions = TOLERANT) -> set[DeviationKind]:
    return {d.kind for d in parse(raw, options).deviations}


HOURLY = HEAD_2017 + "CP=&&DataTime=20171115080000;a34004-Avg=115,a34004-Flag=N&&"


# --- the deviations named in the issue ---------------------------------------------------------


def test_length_plus_6_only_in_tolerant_mode() -> None:
    raw = frame(HOURLY, length_delta=6)
    with pytest.raises(LengthMismatch) as excinfo:
        parse(raw, STRICT)
    assert excinfo.value.position == 2 and excinfo.value.field == "length"
    packet = parse(raw, TOLERANT)
    [deviation] = [d for d in packet.deviations if d.kind is DeviationKind.LENGTH_PLUS_6]
    assert deviation.position == 2
    # the emitter always writes the standard count
    assert build(packet) == frame(HOURLY)
    for delta in (1, 5, 7, -6):
        with pytest.raises(LengthMismatch):
            parse(frame(HOURLY, length_delta=delta), TOLERANT)


def test_lower_case_crc_accepted_recorded_and_kept() -> None:
    raw = frame(HOURLY, lower=True)
    for options in (STRICT, TOLERANT):
        packet = parse(raw, options)
        assert [d.kind for d in packet.deviations] == [DeviationKind.CRC_LOWERCASE]
        assert build(packet) == raw  # received case kept when re-encoding unchanged content
    changed = dataclasses.replace(packet, mn="010000A8900016F000169DC1")
    rebuilt = build(changed)
    assert rebuilt[-6:-2] == rebuilt[-6:-2].upper()  # new content -> fresh upper-case CRC
    assert parse(rebuilt).mn == "010000A8900016F000169DC1"


def test_2005_codes_mapped_to_2017() -> None:
    segment_2005 = HEAD_2005 + (
        "CP=&&DataTime=20160824003500;B02-Rtd=264.40;01-Rtd=19.23,01-Flag=N;"
        "02-Rtd=98.36,02-Flag=N;S01-Rtd=15.4,S01-Flag=N&&"
    )
    # a 2005 packet may use 2005 codes even in strict mode; the translation is recorded
    packet = parse(frame(segment_2005), STRICT)
    mapped = {d.field for d in packet.deviations if d.kind is DeviationKind.CODE_2005_MAPPED}
    assert mapped == {"B02", "01", "02", "S01"}
    assert list(packet.pollutants()) == ["a00000", "a34013", "a21026", "a19001"]
    assert packet.pollutants()["a34013"].received_code == "01"
    assert build(packet) == frame(segment_2005)  # codes are sent back as received
    # in a packet that says HJ 212-2017, a 2005 code is a deviation
    segment_2017 = HEAD_2017 + "CP=&&DataTime=20171115080000;02-Avg=15,02-Flag=N&&"
    with pytest.raises(CpError) as excinfo:
        parse(frame(segment_2017), STRICT)
    assert excinfo.value.field == "02"
    assert excinfo.value.position == 6 + segment_2017.index("02-Avg")
    assert DeviationKind.CODE_2005_MAPPED in kinds(frame(segment_2017))


def test_vendor_alias_pm25() -> None:
    segment = HEAD_2017 + "CP=&&DataTime=20171115080000;PM25-Avg=75,PM25-Flag=N&&"
    strict = parse(frame(segment), STRICT)  # strict applies no default aliases
    assert list(strict.pollutants()) == ["PM25"] and strict.deviations == ()
    tolerant = parse(frame(segment), TOLERANT)
    assert [d.kind for d in tolerant.deviations] == [DeviationKind.CODE_ALIAS_MAPPED]
    assert list(tolerant.pollutants()) == ["a34004"]
    assert records_from_packet(tolerant)[0].code == "a34004"
    # an explicit alias table is configuration: it applies (and is recorded) in strict mode
    custom = parse(frame(segment), ParseOptions(code_aliases={"PM25": "a34004"}))
    assert [d.kind for d in custom.deviations] == [DeviationKind.CODE_ALIAS_MAPPED]
    assert build(tolerant) == frame(segment)


def test_pm_in_nanograms_unit_override() -> None:
    segment = HEAD_2017 + "CP=&&DataTime=20171115080000;a34004-Avg=75600,a34004-Flag=N&&"
    options = ParseOptions(mode="tolerant", unit_overrides=(UnitOverride.ng_to_ug("a34004"),))
    packet = parse(frame(segment), options)
    [deviation] = packet.deviations
    assert deviation.kind is DeviationKind.UNIT_OVERRIDE and deviation.field == "a34004"
    [record] = records_from_packet(packet)
    assert (record.value, record.unit, record.raw_value) == (Decimal("75.600"), "µg/m³", "75600")
    other_device = ParseOptions(unit_overrides=(UnitOverride.ng_to_ug("a34004", mn="OTHER"),))
    assert records_from_packet(parse(frame(segment), other_device))[0].value == 75600


# --- other tolerated departures -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "kind", "field"),
    [
        (HOURLY.replace("Flag=5", "Flag=8"), DeviationKind.UNKNOWN_VERSION, "Flag"),
        (HOURLY.replace("ST=22", "ST=80"), DeviationKind.UNKNOWN_SYSTEM_CODE, "ST"),
        (HOURLY.replace("ST=22", "ST=\x00\x00"), DeviationKind.FIELD_FORMAT, "ST"),
        (HOURLY.replace("CN=2061", "CN=8013"), DeviationKind.UNKNOWN_COMMAND_CODE, "CN"),
        (HOURLY.replace("PW=123456", "PW=1234567"), DeviationKind.FIELD_FORMAT, "PW"),
        (HOURLY.replace("QN=20171115090000001;", ""), DeviationKind.MISSING_FIELD, "QN"),
        (
            HOURLY.replace("QN=20171115090000001", "QN=1617938542185"),
            DeviationKind.FIELD_FORMAT,
            "QN",
        ),
        (HOURLY.replace("Flag=5", "Flag=7"), DeviationKind.SPLIT_FIELDS, "Flag"),
        (HOURLY.replace("MN=", "XX=1;MN="), DeviationKind.UNKNOWN_HEADER_FIELD, "XX"),
        (HOURLY.replace("=115", "=1.1.5"), DeviationKind.NON_NUMERIC_VALUE, "a34004-Avg"),
        (HOURLY.replace("Flag=N", "Flag=NN"), DeviationKind.DATA_FLAG, "a34004-Flag"),
        (
            HOURLY.replace("=20171115080000", "=20171115080000000"),
            DeviationKind.TIME_FORMAT,
            "DataTime",
        ),
        (
            HOURLY.replace("=20171115080000", "=20171345080000"),
            DeviationKind.TIME_FORMAT,
            "DataTime",
        ),
        (
            HOURLY.replace("&&DataTime", "&&DataTime=20171115080000;;x"),
            DeviationKind.CP_SYNTAX,
            None,
        ),
    ],
)
def test_tolerated_departures_are_recorded_and_rejected_strictly(
    segment: str, kind: DeviationKind, field: str | None
) -> None:
    raw = frame(segment)
    with pytest.raises(FieldError) as excinfo:
        parse(raw, STRICT)
    assert excinfo.value.field == field
    assert excinfo.value.position is not None and 6 <= excinfo.value.position < len(raw)
    packet = parse(raw, TOLERANT)
    assert kind in {d.kind for d in packet.deviations}
    assert build(packet) == raw


def test_header_order_kept_byte_for_byte() -> None:
    segment = (
        "QN=20171115090000001;ST=22;CN=2061;MN=010000A8900016F000169DC0;PW=123456;Flag=4;CP=&&&&"
    )
    with pytest.raises(FieldError):
        parse(frame(segment), STRICT)
    packet = parse(frame(segment), TOLERANT)
    assert packet.header_order == ("QN", "ST", "CN", "MN", "PW", "Flag")
    assert build(packet) == frame(segment)


def test_split_packets_flag_d() -> None:
    segment = (
        HEAD_2017.replace("Flag=5;", "Flag=7;PNUM=2;PNO=1;") + "CP=&&DataTime=20171115080000&&"
    )
    packet = parse(frame(segment), STRICT)
    assert packet.flags is not None and packet.flags.split and packet.flags.ack_required
    assert (packet.pnum, packet.pno) == ("2", "1")


def test_invalid_utf8_bytes() -> None:
    segment = HOURLY.encode().replace(b"CP=&&", b"CP=&&Info=\xff\xfe;")
    raw = b"##%04d" % len(segment) + segment + format_crc(crc16_hj212(segment)).encode()
    with pytest.raises(FieldError) as excinfo:
        parse(raw, STRICT)
    assert excinfo.value.position == 6 + segment.index(b"\xff")
    packet = parse(raw, TOLERANT)
    assert DeviationKind.INVALID_UTF8 in {d.kind for d in packet.deviations}
    assert build(packet, crlf=False) == raw


def test_chinese_text_counts_bytes() -> None:
    segment = HEAD_2017.replace("CN=2061", "CN=3020") + "CP=&&i11001-Info=空气站一号&&"
    raw = frame(segment)
    assert int(raw[2:6]) == len(segment.encode()) > len(segment)
    packet = parse(raw, STRICT)
    assert packet.cp.get("i11001-Info") == "空气站一号"
    assert build(packet) == raw


# --- errors: typed, positioned, bilingual --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "error", "position", "field"),
    [
        (b"", FramingError, 0, None),
        (b"#@0087" + frame(HOURLY)[6:], FramingError, 0, None),
        (b"##00a7" + frame(HOURLY)[6:], FramingError, 2, "length"),
        (frame(HOURLY)[:-6] + b"1C8G\r\n", FramingError, len(frame(HOURLY)) - 6, "CRC"),
        (frame(HOURLY)[:-6] + b"0000\r\n", CrcMismatch, len(frame(HOURLY)) - 6, "CRC"),
        (frame(HOURLY)[:-1], FramingError, len(frame(HOURLY)) - 5, "CRC"),
        (frame(HOURLY.replace("CN=2061;", "")), FieldError, 6, "CN"),
        (frame(HOURLY.replace("CP=&&", "CQ=&&")), FieldError, 6, "CP"),
        (frame(HOURLY[:-2]), CpError, None, "CP"),
        (frame(HOURLY.replace("PW=", "PW")), FieldError, 6 + HOURLY.index("PW="), None),
        (frame(HOURLY.replace("PW=123456", "ST=22")), FieldError, 6 + HOURLY.index("PW="), "ST"),
    ],
)
def test_errors_say_what_and_where(
    raw: bytes, error: type[Hj212Error], position: int | None, field: str | None
) -> None:
    for options in (STRICT, TOLERANT):
        with pytest.raises(error) as excinfo:
            parse(raw, options)
        found = excinfo.value
        if position is not None:
            assert found.position == position
        assert found.field == field
        assert found.message_zh and found.message_en
        assert found.message_en in str(found) and found.message_zh in str(found)
        assert found.to_dict()["type"] == type(found).__name__


def test_oversized_segment() -> None:
    long_segment = HEAD_2017 + "CP=&&" + ";".join(f"x{i:04d}-Rtd=1" for i in range(90)) + "&&"
    raw = frame(long_segment)
    assert len(long_segment) > 1024
    with pytest.raises(FramingError):
        parse(raw, STRICT)
    packet = parse(raw, TOLERANT)
    assert DeviationKind.SEGMENT_TOO_LONG in {d.kind for d in packet.deviations}
    with pytest.raises(BuildError):
        build(packet)
    assert build(packet, max_segment_length=2000) == raw


def test_build_refuses_reserved_characters() -> None:
    for packet in (
        Packet(st="22", cn="2011", mn="A;B"),
        Packet(st="22", cn="2011", cp=CpArea.from_groups([[("a21026-Rtd", "1,2")]])),
        Packet(st="22", cn="2011", cp=CpArea.from_groups([[("a21026-Rtd", "1\r\n")]])),
        Packet(st="22", cn="2011", extra_header=(("", "1"),)),
        Packet(st="22", cn="2011", cp=CpArea.from_groups([[("a=b", "1")]])),
        Packet(st="22", cn="2011", crc="XYZ1"),
    ):
        with pytest.raises(BuildError):
            build(packet)


def test_built_packets_use_upper_case_crc_and_standard_length() -> None:
    packet = Packet(
        qn="20171115090000001",
        st="22",
        cn="2061",
        pw="123456",
        mn="010000A8900016F000169DC0",
        flag="5",
        cp=CpArea.from_groups([[("DataTime", "20171115080000")], [("a34004-Avg", "115")]]),
    )
    raw = build(packet)
    assert raw.startswith(b"##") and raw.endswith(b"\r\n")
    assert int(raw[2:6]) == len(raw) - 12
    assert raw[-6:-2] == format_crc(crc16_hj212(raw[6:-6])).encode()
    again = parse(raw, STRICT)
    assert dataclasses.replace(again, crc=None) == packet


def test_options_refuse_unknown_modes() -> None:
    with pytest.raises(ValueError):
        ParseOptions(crc_mode="crc32")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ParseOptions(mode="lenient")  # type: ignore[arg-type]
    with pytest.raises(BuildError):
        build(parse(frame(HOURLY)), crc_mode="CRC16")  # type: ignore[arg-type]


def test_deviations_are_bilingual_and_top_level_items_are_exposed() -> None:
    packet = parse(frame(HOURLY, length_delta=6, lower=True), TOLERANT)
    assert [d.kind for d in packet.deviations] == [
        DeviationKind.LENGTH_PLUS_6,
        DeviationKind.CRC_LOWERCASE,
    ]
    for deviation in packet.deviations:
        assert deviation.message_zh and deviation.message_en
        assert deviation.message == f"{deviation.message_zh} / {deviation.message_en}"
        assert deviation.to_dict()["kind"] == deviation.kind.value
    assert packet.cp.top_level() == {"DataTime": "20171115080000"}
    assert packet.to_dict()["top_level"] == {"DataTime": "20171115080000"}
