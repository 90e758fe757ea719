"""The HJ 212 codec against ~19,600 real packets (PROVENANCE.md §3 of the shared data).

* packets_catalog.jsonl: 1010 packets with their expected length/CRC verdicts;
* two captured .h212 files (one packet per CR LF line, incl. corrupt, NUL and truncated lines).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from lantian.standards.hj212 import (
    STRICT,
    TOLERANT,
    CrcMismatch,
    FrameSplitter,
    FramingError,
    GarbageChunk,
    Hj212Error,
    LengthMismatch,
    ParseOptions,
    build,
    check_frame,
    parse,
    records_from_packet,
)
from tests.support.shared_data import shared_file

CAPTURED = {
    "08": "data/hj212/captured/AllData_2016-08-24_08.h212",
    "20": "data/hj212/captured/AllData_2016-08-24_20.h212",
}


@pytest.fixture(scope="module")
def catalogue() -> list[dict[str, Any]]:
    path = shared_file("data/hj212/packets_catalog.jsonl")
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def test_catalogue_counts_match_provenance(catalogue: list[dict[str, Any]]) -> None:
    verdicts = Counter((row["len_ok"], row["crc_ok_hj212"]) for row in catalogue)
    assert len(catalogue) == 1010
    assert verdicts == {(True, True): 932, (False, False): 68, (True, False): 9, (False, True): 1}


def test_catalogue_length_and_crc_verdicts(catalogue: list[dict[str, Any]]) -> None:
    for row in catalogue:
        check = check_frame(row["packet"])
        assert check.declared_length == row["len_declared"], row["packet"]
        assert check.actual_length == row["len_actual"], row["packet"]
        assert check.length_ok is row["len_ok"], row["packet"]
        assert check.crc_ok_hj212 is row["crc_ok_hj212"], row["packet"]
        assert check.crc_ok_modbus is row["crc_ok_modbus"], row["packet"]
        assert check.crc_hj212 == row["crc_computed_hj212"].upper(), row["packet"]


def test_catalogue_parse_verdicts_round_trip_and_fields(catalogue: list[dict[str, Any]]) -> None:
    valid = 0
    for row in catalogue:
        raw: str = row["packet"]
        is_valid = row["len_ok"] and row["crc_ok_hj212"]
        if not is_valid:
            with pytest.raises(Hj212Error) as excinfo:
                parse(raw, TOLERANT)
            # the first failing check is reported: length before CRC
            if not row["len_ok"]:
                expected_error: type[Hj212Error] = LengthMismatch
                if row["len_declared"] == row["len_actual"] + 6:
                    expected_error = CrcMismatch  # +6 is tolerated; the CRC is then wrong
            else:
                expected_error = CrcMismatch
            assert isinstance(excinfo.value, expected_error), raw
            continue
        valid += 1
        packet = parse(raw, TOLERANT)
        assert build(packet, crlf=False) == raw.encode("utf-8"), raw
        assert build(packet) == raw.encode("utf-8") + b"\r\n"
        assert (packet.qn, packet.st, packet.cn, packet.mn, packet.flag) == (
            row["QN"],
            row["ST"],
            row["CN"],
            row["MN"],
            row["Flag"],
        ), raw
        # strict mode either accepts the same packet or names a documented reason
        try:
            strict = parse(raw, STRICT)
        except Hj212Error as error:
            assert error.message_en and (error.field is not None or error.position is not None)
        else:
            assert build(strict, crlf=False) == raw.encode("utf-8")
    assert valid == 932


def test_catalogue_crc_modes(catalogue: list[dict[str, Any]]) -> None:
    """A valid HJ 212 packet fails in modbus mode (no catalogued packet uses Modbus CRC);
    with CRC checking off, every packet with a correct length parses."""
    for row in catalogue:
        raw = row["packet"]
        if row["len_ok"] and row["crc_ok_hj212"]:
            with pytest.raises(CrcMismatch):
                parse(raw, ParseOptions(mode="tolerant", crc_mode="modbus"))
        if row["len_ok"]:
            packet = parse(raw, ParseOptions(mode="tolerant", crc_mode="none"))
            # one catalogued packet has a 1025-byte segment: building it needs an explicit limit
            rebuilt = build(packet, crc_mode="none", crlf=False, max_segment_length=9999)
            assert rebuilt == raw.encode("utf-8")


def _lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    assert data.endswith(b"\r\n")
    return [line + b"\r\n" for line in data.split(b"\r\n")[:-1]]


# PROVENANCE §3.1: (lines, pass, fail both length and CRC, garbage with NULs, truncated)
EXPECTED = {"08": (8626, 8621, 4, 1, 0), "20": (9021, 9018, 2, 0, 1)}


@pytest.mark.parametrize("name", sorted(CAPTURED))
def test_captured_file_line_by_line(name: str) -> None:
    lines = _lines(shared_file(CAPTURED[name]))
    total, passing, fail_both, garbage, truncated = EXPECTED[name]
    assert len(lines) == total
    outcome: Counter[str] = Counter()
    for line in lines:
        try:
            packet = parse(line, TOLERANT)
        except (LengthMismatch, CrcMismatch) as error:
            check = check_frame(line)
            assert not check.crc_ok_hj212, line  # every rejected line also fails its CRC
            segment = line[6:-6]
            kind = "fail_both" if segment.endswith(b"&&") else "truncated"
            assert isinstance(error, LengthMismatch)
            outcome[kind] += 1
            continue
        except FramingError:
            assert b"\x00" in line
            outcome["garbage"] += 1
            continue
        outcome["pass"] += 1
        check = check_frame(line)
        assert check.length_ok and check.crc_ok_hj212
        assert build(packet) == line
        if packet.cp.data_time is not None and packet.cn in ("2011", "2051", "2061", "2031"):
            for record in records_from_packet(packet):
                assert record.data_time.utcoffset() is not None
    assert outcome == Counter(
        {
            key: value
            for key, value in {
                "pass": passing,
                "fail_both": fail_both,
                "garbage": garbage,
                "truncated": truncated,
            }.items()
            if value
        }
    )


@pytest.mark.parametrize("name", sorted(CAPTURED))
def test_captured_file_through_the_frame_splitter(name: str) -> None:
    data = shared_file(CAPTURED[name]).read_bytes()
    lines = _lines(shared_file(CAPTURED[name]))
    rng = random.Random(f"hj212-{name}")
    splitter = FrameSplitter()
    chunks: list[bytes | GarbageChunk] = []
    position = 0
    while position < len(data):
        size = rng.choice((1, 2, 3, 7, 64, 500, 1500, 4096))
        chunks += splitter.feed(data[position : position + size])
        position += size
    chunks += splitter.flush()
    frames = [chunk for chunk in chunks if isinstance(chunk, bytes)]
    garbage = [chunk for chunk in chunks if isinstance(chunk, GarbageChunk)]
    # lossless, and exactly the lines that start with "##" + 4 digits come out as frames
    assert b"".join(c if isinstance(c, bytes) else c.data for c in chunks) == data
    assert frames == [line for line in lines if line[2:6].isdigit()]
    assert [g.data for g in garbage] == [line for line in lines if not line[2:6].isdigit()]
    assert len(garbage) == EXPECTED[name][3]
    assert all(g.reason == "bad_header" for g in garbage)
