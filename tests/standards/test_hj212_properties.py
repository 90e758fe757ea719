"""Property tests of the HJ 212 codec (hypothesis)."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantian.standards.hj212 import (
    STRICT,
    TOLERANT,
    CpArea,
    DeviationKind,
    FrameSplitter,
    GarbageChunk,
    Hj212Error,
    Packet,
    PacketFlags,
    build,
    crc16_hj212,
    format_crc,
    parse,
)
from lantian.standards.hj212.codes import COMMAND_CODES, POLLUTANT_CODES, SYSTEM_CODES

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
timestamps = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))
numbers = st.decimals(
    min_value=-(10**6), max_value=10**6, allow_nan=False, allow_infinity=False, places=3
).map(str)


@st.composite
def cp_areas(draw: st.DrawFn) -> CpArea:
    groups: list[list[tuple[str, str]]] = [
        [("DataTime", draw(timestamps).strftime("%Y%m%d%H%M%S"))]
    ]
    for code in draw(st.lists(st.sampled_from(sorted(POLLUTANT_CODES)), max_size=6, unique=True)):
        fields = draw(
            st.lists(
                st.sampled_from(["Rtd", "Avg", "Min", "Max", "Cou", "ZsRtd", "ZsAvg"]),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
        group = [(f"{code}-{name}", draw(numbers)) for name in fields]
        group.append((f"{code}-Flag", draw(st.sampled_from("NFMSDCTB"))))
        groups.append(group)
    return CpArea.from_groups(groups)


@st.composite
def standard_packets(draw: st.DrawFn) -> Packet:
    """Packets conforming to HJ 212-2017 (strictly valid)."""
    split = draw(st.booleans())
    pnum = draw(st.integers(1, 9999)) if split else None
    return Packet(
        qn=draw(timestamps).strftime("%Y%m%d%H%M%S") + f"{draw(st.integers(0, 999)):03d}",
        st=draw(st.sampled_from(sorted(SYSTEM_CODES))),
        cn=draw(st.sampled_from(sorted(COMMAND_CODES))),
        pw=draw(st.text(ALNUM, min_size=1, max_size=6)),
        mn=draw(st.text("0123456789ABCDEF", min_size=1, max_size=24)),
        flag=PacketFlags.compose(split=split, ack_required=draw(st.booleans())),
        pnum=None if pnum is None else str(pnum),
        pno=None if pnum is None else str(draw(st.integers(1, pnum))),
        cp=draw(cp_areas()),
    )


def reframe(segment: bytes) -> bytes:
    return b"##%04d" % len(segment) + segment + format_crc(crc16_hj212(segment)).encode() + b"\r\n"


@PROFILE
@given(standard_packets())
def test_random_standard_packets_round_trip(packet: Packet) -> None:
    raw = build(packet)
    decoded = parse(raw, STRICT)
    assert decoded.deviations == ()
    assert dataclasses.replace(decoded, crc=None) == packet
    assert build(decoded) == raw
    assert parse(raw, TOLERANT) == decoded


@PROFILE
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_the_documented_error(data: bytes) -> None:
    for options in (STRICT, TOLERANT):
        with contextlib.suppress(Hj212Error):
            parse(data, options)


# Segments that pass framing and CRC, so the field and CP logic is what gets fuzzed.
segment_alphabet = st.sampled_from([*"QNSTCPWMFlag=;,&-_.0123456789aAzZ#\r\n\x00é空", "&&"])


@PROFILE
@given(st.lists(segment_alphabet, max_size=80), standard_packets(), st.integers(0, 400))
def test_mangled_segments_with_valid_crc(chars: list[str], packet: Packet, at: int) -> None:
    """Whatever sits between a correct length and a correct CRC: the documented error, or a
    packet that encodes back to exactly the same bytes."""
    base = build(packet)[6:-6].decode()
    at = min(at, len(base))
    for segment in ("".join(chars), base[:at] + "".join(chars) + base[at:]):
        raw = reframe(segment.encode("utf-8"))
        for options in (STRICT, TOLERANT):
            try:
                decoded = parse(raw, options)
            except Hj212Error:
                continue
            assert build(decoded, max_segment_length=9999) == raw


@PROFILE
@given(standard_packets(), st.data())
def test_single_byte_corruptions_are_detected(packet: Packet, data: st.DataObject) -> None:
    raw = build(packet)
    position = data.draw(st.integers(0, len(raw) - 1))
    replacement = data.draw(st.integers(0, 255).filter(lambda b: b != raw[position]))
    corrupted = raw[:position] + bytes([replacement]) + raw[position + 1 :]
    crc_case_flip = position in range(len(raw) - 6, len(raw) - 2) and (
        chr(replacement).upper() == chr(raw[position]).upper()
    )
    try:
        decoded = parse(corrupted, STRICT)
    except Hj212Error:
        assert not crc_case_flip
    else:
        # only a change of letter case in the CRC digits leaves the content intact
        assert crc_case_flip
        assert DeviationKind.CRC_LOWERCASE in {d.kind for d in decoded.deviations}
        assert dataclasses.replace(decoded, crc=None, deviations=()) == packet
    try:
        tolerant = parse(corrupted, TOLERANT)
    except Hj212Error:
        return
    assert {d.kind for d in tolerant.deviations} & {
        DeviationKind.CRC_LOWERCASE,
        DeviationKind.LENGTH_PLUS_6,
    }


@PROFILE
@given(
    st.lists(
        st.one_of(
            standard_packets().map(lambda packet: (True, build(packet))),
            st.binary(max_size=40).map(lambda noise: (False, noise)),
        ),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.integers(1, 300), min_size=1, max_size=30),
)
def test_splitter_is_lossless_and_finds_every_frame(
    tagged: list[tuple[bool, bytes]], chunk_sizes: list[int]
) -> None:
    pieces = [piece for _is_packet, piece in tagged]
    stream = b"".join(pieces)
    splitter = FrameSplitter()
    out: list[bytes | GarbageChunk] = []
    position, index = 0, 0
    while position < len(stream):
        size = chunk_sizes[index % len(chunk_sizes)]
        out += splitter.feed(stream[position : position + size])
        position, index = position + size, index + 1
    out += splitter.flush()
    assert b"".join(c if isinstance(c, bytes) else c.data for c in out) == stream
    frames = [c for c in out if isinstance(c, bytes)]
    for frame in frames:
        assert frame.startswith(b"##") and frame.endswith(b"\r\n") and frame[2:6].isdigit()
    # every packet preceded by clean frames or nothing comes out intact
    # (Random noise may look like a frame's ends, b"##\r\n" say, without being one: only the
    # packets built by the strategy count.)
    clean_prefix = 0
    for is_packet, _piece in tagged:
        if not is_packet:
            break
        clean_prefix += 1
    assert frames[:clean_prefix] == pieces[:clean_prefix]
