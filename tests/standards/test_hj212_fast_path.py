"""The fast path of ``parse`` gives exactly what the careful parser gives.

``parse`` first tries a memoised one-pass decoder for well-formed frames and falls back to the
careful parser (``parse_careful``) for anything unusual.  These tests hold the two together:
the same :class:`Packet` (header, CP items, code map, deviations with their messages and
positions) for every frame that decodes, and the same exception (type, message, position,
field) for every frame that does not — over every frame of both captured files and of the
catalogue, in both modes, under every CRC variant and with aliases and unit overrides, and
over fuzzed frames.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantian.standards.hj212 import (
    STRICT,
    TOLERANT,
    Hj212Error,
    Packet,
    ParseOptions,
    UnitOverride,
    build,
    crc16_hj212,
    format_crc,
    parse,
)
from lantian.standards.hj212.codec import _FastParser, parse_careful

OPTIONS = {
    "strict": STRICT,
    "tolerant": TOLERANT,
    "tolerant-modbus": ParseOptions(mode="tolerant", crc_mode="modbus"),
    "tolerant-none": ParseOptions(mode="tolerant", crc_mode="none"),
    "strict-none": ParseOptions(mode="strict", crc_mode="none"),
    "strict-aliases": ParseOptions(
        mode="strict", crc_mode="none", code_aliases={"B01": "a00000", "011": "a01011"}
    ),
    "tolerant-units": ParseOptions(
        mode="tolerant",
        unit_overrides=(
            UnitOverride.ng_to_ug("a34013"),
            UnitOverride.ng_to_ug("a21026", mn="LD130124000122"),
        ),
    ),
    "tolerant-short": ParseOptions(mode="tolerant", max_segment_length=200),
}

Outcome = Packet | tuple[type[Hj212Error], str, int | None, str | None]


def outcome(decode: object, frame: bytes, options: ParseOptions) -> Outcome:
    assert callable(decode)
    try:
        packet = decode(frame, options)
    except Hj212Error as error:
        return (type(error), str(error), error.position, error.field)
    assert isinstance(packet, Packet)
    return packet


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_fast_equals_careful_on_every_real_frame(real_frames: list[bytes], name: str) -> None:
    options = OPTIONS[name]
    for frame in real_frames:
        fast, careful = outcome(parse, frame, options), outcome(parse_careful, frame, options)
        assert fast == careful, frame
        if isinstance(fast, Packet):
            assert isinstance(careful, Packet)
            # Deviation messages are part of equality, but say so explicitly: they are shown.
            assert [d.message for d in fast.deviations] == [d.message for d in careful.deviations]
    # A second pass runs on warm memos: still the same.
    for frame in real_frames[::7]:
        assert outcome(parse, frame, options) == outcome(parse_careful, frame, options), frame


@pytest.mark.parametrize("name", ["strict", "tolerant"])
def test_fast_equals_careful_when_the_qn_varies(real_frames: list[bytes], name: str) -> None:
    """One memo entry serves a header whatever its QN: valid, invalid, odd, each its own."""
    options = OPTIONS[name]
    packets = []
    for frame in real_frames[:3000]:
        with contextlib.suppress(Hj212Error):
            packets.append(parse_careful(frame, TOLERANT))
    qns = ["20160824082647123", "00000000000000001", "20161324082647000", "2016082408264712x"]
    qns += ["00000000000000002", "QN=00000000000000", "1" * 16, None]
    for number, packet in enumerate(packets):
        qn = qns[number % len(qns)]
        frame = build(replace(packet, qn=qn, header_order=None, crc=None))
        assert outcome(parse, frame, options) == outcome(parse_careful, frame, options), frame


def test_fast_path_takes_the_common_case(real_frames: list[bytes]) -> None:
    """Not a correctness property, but the point of the fast path: most real frames use it."""
    taken = sum(_FastParser(TOLERANT).fast_run(frame, None) is not None for frame in real_frames)
    assert taken > 0.95 * len(real_frames)


def reframe(segment: bytes, *, lower: bool = False) -> bytes:
    crc = format_crc(crc16_hj212(segment))
    return b"##%04d" % len(segment) + segment + (crc.lower() if lower else crc).encode() + b"\r\n"


PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pieces = st.sampled_from(
    [
        *"QNSTCPWMFlag=;,&-_.0123456789aAzZ#\x00é",
        "&&",
        "CP=&&",
        "QN=20160824082647000;",
        "QN=20161324082647000;",
        "QN=00000000000000001;",
        "QN=00000000000000002;",
        "ST=22;",
        "ST=32;",
        "CN=2011;",
        "CN=8013;",
        "PW=123456;",
        "MN=LD130124000122;",
        "Flag=5;",
        "Flag=4;",
        "Flag=1;",
        "PNUM=2;PNO=1;",
        "DataTime=20160824082647;",
        "DataTime=20160824082647000",
        "a21026-Rtd=1.5,a21026-Flag=N",
        "011-Rtd=384.2,011-Flag=N",
        "B01-Rtd=4.70",
        "PM25-Avg=3",
        "SB1-RS=0",
        "a21026-Rtd=abc",
        "a21026-Flag=NN",
    ]
)


@PROFILE
@given(
    st.lists(pieces, max_size=40),
    st.integers(0, 2),
    st.booleans(),
    st.sampled_from(sorted(OPTIONS)),
)
def test_fast_equals_careful_on_fuzzed_segments(
    parts: list[str], prefix: int, lower: bool, name: str
) -> None:
    header = ["", "QN=20160824082647000;ST=22;CN=2011;PW=123456;MN=LD1;Flag=5;CP=&&", "ST=32;"]
    segment = (header[prefix] + "".join(parts)).encode("utf-8")
    options = OPTIONS[name]
    for frame in (reframe(segment, lower=lower), reframe(segment + b"&&"), segment):
        assert outcome(parse, frame, options) == outcome(parse_careful, frame, options), frame


@PROFILE
@given(st.data(), st.sampled_from(sorted(OPTIONS)))
def test_fast_equals_careful_on_corrupted_real_frames(data: st.DataObject, name: str) -> None:
    frame = data.draw(st.sampled_from(SAMPLE_FRAMES))
    position = data.draw(st.integers(0, len(frame) - 1))
    byte = data.draw(st.integers(0, 255))
    corrupted = frame[:position] + bytes([byte]) + frame[position + 1 :]
    options = OPTIONS[name]
    for candidate in (corrupted, reframe(corrupted[6:-6])):
        assert outcome(parse, candidate, options) == outcome(parse_careful, candidate, options)


SAMPLE_FRAMES = [
    b"##0141ST=32;CN=2011;PW=123456;MN=LD130124000122;CP=&&DataTime=20160824082647000;"
    b"B01-Rtd=624.00;011-Rtd=384.2,011-Flag=N;060-Rtd=24.150,060-Flag=N&&D941\r\n",
    b"##0091ST=91;CN=9015;PW=123456;MN=LD130101000229;Flag=0;CP=&&DataTime=20160824075711000;"
    b"CON-RT=0&&7800\r\n",
    reframe(
        b"QN=20171115080000123;ST=22;CN=2061;PW=123456;MN=410183160889201000212505;Flag=5;"
        b"CP=&&DataTime=20171115080000;a34004-Avg=35,a34004-Flag=N;PM25-Avg=3;"
        b"a21026-Avg=15.2,a21026-Min=1,a21026-Flag=N&&"
    ),
]
