"""HJ 212 test vectors of spec/standards.md: §5.10 example packets and every §10 HJ 212 vector.

The packets and CRC lines are read from the spec text itself (no YAML parser here), so a vector
added to the spec is tested without touching this file; guard tests check the counts.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from lantian.standards.hj212 import (
    STRICT,
    TOLERANT,
    CrcMismatch,
    DeviationKind,
    FieldError,
    LengthMismatch,
    Packet,
    ParseOptions,
    UnitOverride,
    build,
    check_frame,
    crc16_hj212,
    crc16_modbus,
    data_ack,
    execution_result,
    format_crc,
    hour_end_label,
    parse,
    records_from_packet,
    request_ack,
)
from lantian.standards.hj212.records import CHINA_STANDARD_TIME
from tests.support.shared_data import shared_file


def _spec() -> str:
    return shared_file("spec/standards.md").read_text("utf-8")


SPEC = _spec()
SECTION_5_10 = SPEC.split("### 5.10", 1)[1].split("\n## ", 1)[0]
SECTION_10 = SPEC.split("## 10. Machine-readable test vectors", 1)[1]
HJ212_CRC_YAML = SECTION_10.split("hj212_crc:", 1)[1].split("hj212_packets:", 1)[0]
HJ212_PACKETS_YAML = SECTION_10.split("hj212_packets:", 1)[1].split("\ncems:", 1)[0]

# §5.10 table rows "| P1 | `##…` | origin | status |"; P4 gives a segment and its CRC.
EXAMPLES: dict[str, str] = dict(re.findall(r"^\| ([PN]\d+) \| `(##[^`]+)`", SECTION_5_10, re.M))
P4 = re.search(
    r"^\| P4 \| segment `([^`]+)` → CRC `([0-9A-F]{4})` \(length (\d{4})\)", SECTION_5_10, re.M
)
assert P4 is not None
# The spec prints "length 0383" for P4, but its segment has 379 bytes (and CRC 5440 validates
# those 379 bytes); the frame is built with the real count, the discrepancy is tested below.
P4_SEGMENT, P4_CRC, P4_SPEC_LENGTH = P4.group(1), P4.group(2), P4.group(3)
EXAMPLES["P4"] = f"##{len(P4_SEGMENT.encode()):04d}{P4_SEGMENT}{P4_CRC}"

CRC_VECTORS = [
    {key: value for key, value in re.findall(r'(\w+): "?([^",}]*)"?', line)}
    for line in HJ212_CRC_YAML.splitlines()
    if line.strip().startswith("- {segment:")
]
PACKET_VECTORS = re.findall(r'raw: "(##[^"]+)"', HJ212_PACKETS_YAML)


def test_all_vectors_were_found() -> None:
    assert sorted(EXAMPLES) == sorted([f"P{i}" for i in range(1, 13)] + ["N1"])
    assert len(CRC_VECTORS) == HJ212_CRC_YAML.count("- {segment:") == 8
    assert len(PACKET_VECTORS) == HJ212_PACKETS_YAML.count("raw:") == 4


def _segment_of(vector: dict[str, str]) -> bytes:
    # The regex above stops at ',' inside segments; re-read the full quoted segment.
    match = re.search(
        r'segment: "([^"]+)"',
        next(line for line in HJ212_CRC_YAML.splitlines() if vector["crc"] in line),
    )
    assert match is not None
    return match.group(1).encode()


@pytest.mark.parametrize("vector", CRC_VECTORS, ids=[v["crc"] for v in CRC_VECTORS])
def test_crc_vectors_of_section_10(vector: dict[str, str]) -> None:
    segment = _segment_of(vector)
    assert len(segment) == int(vector["length"])
    assert format_crc(crc16_hj212(segment)) == vector["crc"]
    if "modbus_crc" in vector:
        assert format_crc(crc16_modbus(segment)) == vector["modbus_crc"]


def test_appendix_a_example_crc_and_modbus() -> None:
    segment = (
        b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
        b"CP=&&RtdInterval=30&&"
    )
    assert format_crc(crc16_hj212(segment)) == "1C80"
    assert format_crc(crc16_modbus(segment)) == "0759"


def _reference_crc(data: bytes) -> int:
    """The normative steps of HJ 212-2017 Appendix A, spelled out bit by bit (test oracle)."""
    register = 0xFFFF
    for byte in data:
        register = (register >> 8) ^ byte
        for _ in range(8):
            carry = register & 1
            register >>= 1
            if carry:
                register ^= 0xA001
    return register


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_table_driven_crc_equals_the_normative_steps(name: str) -> None:
    segment = EXAMPLES[name].encode()[6:-4]
    assert crc16_hj212(segment) == _reference_crc(segment)


STRICT_VALID = ["P1", "P7", "P8", "P9", "P10", "P11", "P12"]


@pytest.mark.parametrize("name", STRICT_VALID)
def test_standard_packets_parse_strictly_and_round_trip(name: str) -> None:
    raw = EXAMPLES[name]
    packet = parse(raw, STRICT)
    assert packet.deviations == ()
    assert build(packet, crlf=False) == raw.encode()
    assert build(packet) == raw.encode() + b"\r\n"
    assert parse(raw + "\r\n", STRICT) == packet


def test_packet_vectors_of_section_10() -> None:
    p1, p11, p12, p5 = (
        PACKET_VECTORS[0],
        PACKET_VECTORS[1],
        PACKET_VECTORS[2],
        PACKET_VECTORS[3],
    )
    packet = parse(p1)
    assert (packet.qn, packet.st, packet.cn, packet.pw, packet.mn, packet.flag) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
        "010000A8900016F000169DC0",
        "5",
    )
    assert packet.flags is not None
    assert (packet.flags.version_bits, packet.flags.split, packet.flags.ack_required) == (
        1,
        False,
        True,
    )
    assert [(i.key, i.value) for i in packet.cp.items()] == [("RtdInterval", "30")]

    hourly = parse(p11)
    assert (hourly.st, hourly.cn, hourly.data_time) == ("22", "2061", "20171115080000")
    expected = {
        "a21026": "15",
        "a21004": "48",
        "a34002": "160",
        "a34004": "115",
        "a21005": "1.6",
        "a05024": "32",
    }
    pollutants = hourly.pollutants()
    assert {code: p.fields["Avg"] for code, p in pollutants.items()} == expected
    assert all(p.flag == "N" for p in pollutants.values())
    # period 2017-11-15 08:00-09:00; the platform labels it 09:00
    records = records_from_packet(hourly)
    start = records[0].data_time
    assert start.isoformat() == "2017-11-15T08:00:00+08:00"
    assert records[0].hour_end == hour_end_label(start)
    assert hour_end_label(start).hour == 9
    assert records[0].data_time_is_period_start
    # Flag A=1 -> the reply is a 9014 with the same QN
    assert hourly.flags is not None and hourly.flags.ack_required
    ack = parse(build(data_ack(hourly)))
    assert (ack.cn, ack.st, ack.qn) == ("9014", "91", hourly.qn)

    flue = parse(p12)
    assert (flue.st, flue.cn) == ("31", "2011")
    assert flue.pollutants()["a21026"].fields == {"Rtd": "28.5", "ZsRtd": "31.2", "Flag": "N"}

    with pytest.raises(LengthMismatch) as excinfo:
        parse(p5, STRICT)
    assert (excinfo.value.declared, excinfo.value.actual) == (223, 217)
    lenient = parse(p5, TOLERANT)
    assert DeviationKind.LENGTH_PLUS_6 in {d.kind for d in lenient.deviations}
    check = check_frame(p5)
    assert check.crc_ok_hj212 and not check.length_ok


def test_p2_lower_case_crc_and_non_standard_flag() -> None:
    raw = EXAMPLES["P2"]
    with pytest.raises(FieldError) as excinfo:
        parse(raw, STRICT)
    assert excinfo.value.field == "Flag"
    packet = parse(raw, TOLERANT)
    kinds = {d.kind for d in packet.deviations}
    assert {DeviationKind.CRC_LOWERCASE, DeviationKind.UNKNOWN_VERSION} <= kinds
    assert packet.crc == "7d00"
    assert build(packet, crlf=False) == raw.encode()  # received CRC case kept on re-encoding


def test_p3_2005_packet_without_qn_and_flag() -> None:
    packet = parse(EXAMPLES["P3"], TOLERANT)
    assert packet.qn is None and packet.flag is None
    assert packet.version.value == "HJ/T 212-2005"
    assert packet.cp.get("ele01-Rtd") == "1"


def test_p4_pm_in_nanograms_with_unit_override() -> None:
    raw = EXAMPLES["P4"]
    options = ParseOptions(
        mode="tolerant",
        unit_overrides=(
            UnitOverride.ng_to_ug("a34004", mn="LXHB0CS0306310"),
            UnitOverride.ng_to_ug("a34002"),
            UnitOverride.ng_to_ug("a34001", mn="some other device"),
        ),
    )
    packet = parse(raw, options)
    overridden = {d.field for d in packet.deviations if d.kind is DeviationKind.UNIT_OVERRIDE}
    assert overridden == {"a34004", "a34002"}
    values = {r.code: (r.value, r.unit) for r in records_from_packet(packet)}
    assert values["a34004"] == (Decimal("75.600000"), "µg/m³")
    assert values["a34002"] == (Decimal("140.600000"), "µg/m³")
    assert values["a34001"][0] == Decimal("178000.000")  # not configured for this MN
    # a unit override is configuration, not a protocol deviation: allowed in strict mode too
    strict = parse(raw, ParseOptions(mode="strict", unit_overrides=options.unit_overrides))
    assert records_from_packet(strict)[0].value == Decimal("75.600000")


def test_p5_p6_aliases_mapped_in_tolerant_mode() -> None:
    packet = parse(EXAMPLES["P5"], TOLERANT)
    mapped = {d.field for d in packet.deviations if d.kind is DeviationKind.CODE_ALIAS_MAPPED}
    assert mapped == {"SO2", "NO2", "CO", "O3", "PM25", "PM10"}
    assert list(packet.pollutants()) == ["a21026", "a21004", "a21005", "a05024", "a34004", "a34002"]
    records = records_from_packet(packet)
    pm25 = next(r for r in records if r.code == "a34004")
    assert (pm25.received_code, pm25.value, pm25.flag) == ("PM25", Decimal("75.0"), "N")
    assert pm25.data_time.isoformat() == "2018-03-28T23:50:00+08:00"
    assert pm25.data_time.tzinfo == CHINA_STANDARD_TIME
    tianjin = parse(EXAMPLES["P6"], TOLERANT)
    assert set(tianjin.pollutants()) == {"a34002", "a34001"}


def test_p4_length_printed_in_the_spec_is_inconsistent() -> None:
    """Finding: spec §5.10 P4 says length 0383; the segment is 379 bytes (CRC 5440 matches)."""
    assert len(P4_SEGMENT.encode()) == 379 and P4_SPEC_LENGTH == "0383"
    as_printed = f"##{P4_SPEC_LENGTH}{P4_SEGMENT}{P4_CRC}"
    for options in (STRICT, TOLERANT):  # +4 is not the known +6 deviation
        with pytest.raises(LengthMismatch):
            parse(as_printed, options)


def test_n1_modbus_crc_device() -> None:
    raw = EXAMPLES["N1"]
    with pytest.raises(CrcMismatch) as excinfo:
        parse(raw)
    assert excinfo.value.computed == "0140" and excinfo.value.declared == "30A5"
    # Flag=3 claims a split packet without PNUM/PNO: only tolerant mode takes it
    with pytest.raises(FieldError):
        parse(raw, ParseOptions(crc_mode="modbus"))
    packet = parse(raw, ParseOptions(mode="tolerant", crc_mode="modbus"))
    assert build(packet, crc_mode="modbus", crlf=False) == raw.encode()
    assert parse(raw, ParseOptions(mode="tolerant", crc_mode="none")).crc == "30A5"


def test_replies_reproduce_the_table_c_examples() -> None:
    request = parse(EXAMPLES["P7"])  # 1061 request, Flag=5 (ack required)
    assert build(request_ack(request, 1), crlf=False) == EXAMPLES["P8"].encode()
    assert build(execution_result(request, 1), crlf=False) == EXAMPLES["P9"].encode()
    upload = Packet(
        qn="20160801090000001",
        st="22",
        cn="2061",
        pw="123456",
        mn="010000A8900016F000169DC0",
        flag="5",
    )
    assert build(data_ack(upload), crlf=False) == EXAMPLES["P10"].encode()


def test_spec_file_is_where_the_tests_expect_it() -> None:
    assert shared_file("data/hj212/packets_catalog.jsonl").is_file()
