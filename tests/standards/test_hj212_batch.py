"""``decode_batch`` gives, row for row, what ``parse`` gives frame by frame.

The column-wise decoder takes the plain frames itself and leaves the others to ``parse``; every
row must equal ``packet_row(i, parse(frame))``: verdict and error text, header fields, CP items
with their groups, code map and deviations (kind, field, byte position), in order.
"""

from __future__ import annotations

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
    crc16_hj212,
    format_crc,
    parse,
)
from lantian.standards.hj212.batch import SCHEMA, crc16_hj212_batch, decode_batch, packet_row

OPTIONS = {
    "tolerant": TOLERANT,
    "strict": STRICT,
    "tolerant-modbus": ParseOptions(mode="tolerant", crc_mode="modbus"),
    "tolerant-none": ParseOptions(mode="tolerant", crc_mode="none"),
    "tolerant-units": ParseOptions(
        mode="tolerant", unit_overrides=(UnitOverride.ng_to_ug("a34013"),)
    ),
    "tolerant-short": ParseOptions(mode="tolerant", max_segment_length=200),
}


def expected_rows(frames: list[bytes], options: ParseOptions) -> list[dict[str, object]]:
    rows = []
    for index, frame in enumerate(frames):
        try:
            outcome: Packet | Hj212Error = parse(frame, options)
        except Hj212Error as error:
            outcome = error
        rows.append(packet_row(index, outcome))
    return rows


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_batch_rows_equal_parse_on_every_real_frame(real_frames: list[bytes], name: str) -> None:
    options = OPTIONS[name]
    table = decode_batch(real_frames, options)
    assert table.schema == SCHEMA
    assert table.height == len(real_frames)
    for row, expected in zip(
        table.iter_rows(named=True), expected_rows(real_frames, options), strict=True
    ):
        assert row == expected, real_frames[row["frame"]]


def test_batch_takes_most_real_frames_column_wise(real_frames: list[bytes]) -> None:
    """The point of it: few frames should need ``parse`` (a test of coverage, not correctness)."""
    from lantian.standards.hj212 import batch

    indexes, _, _ = batch._plain_frames(real_frames, TOLERANT)
    done = batch._column_wise(*batch._plain_frames(real_frames, TOLERANT), TOLERANT)
    assert done.height > 0.9 * len(real_frames)
    assert set(done["frame"].to_list()) <= set(indexes)


def test_crc_batch_equals_the_per_frame_crc(real_frames: list[bytes]) -> None:
    segments = [frame[6:-6] for frame in real_frames] + [b"", b"a", b"\xff" * 3000]
    assert crc16_hj212_batch(segments).tolist() == [crc16_hj212(s) for s in segments]


def test_empty_and_odd_inputs() -> None:
    assert decode_batch([], TOLERANT).height == 0
    frames: list[bytes] = [b"", b"#", b"##", b"\r\n", b"##0000" + b"\r\n", b"\xff" * 20]
    table = decode_batch(frames, TOLERANT)
    assert table.to_dicts() == expected_rows(frames, TOLERANT)


def reframe(segment: bytes) -> bytes:
    return b"##%04d" % len(segment) + segment + format_crc(crc16_hj212(segment)).encode() + b"\r\n"


pieces = st.sampled_from(
    [
        *"QNSTCPWMFlag=;,&-_.0123456789aAzZ#\x00é",
        "&&",
        "CP=&&",
        "QN=20160824082647000;",
        "QN=00000000000000001;",
        "ST=22;",
        "CN=2011;",
        "CN=8013;",
        "PW=123456;",
        "MN=LD130124000122;",
        "Flag=5;",
        "Flag=4;",
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
HEADERS = ["", "QN=20160824082647000;ST=22;CN=2011;PW=123456;MN=LD1;Flag=5;CP=&&", "ST=32;CP=&&"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2), st.lists(pieces, max_size=30)), max_size=25))
def test_batch_rows_equal_parse_on_fuzzed_batches(batch: list[tuple[int, list[str]]]) -> None:
    frames = [reframe((HEADERS[h] + "".join(parts) + "&&").encode()) for h, parts in batch]
    frames += [reframe((HEADERS[h] + "".join(parts)).encode()) for h, parts in batch]
    for options in (TOLERANT, STRICT):
        assert decode_batch(frames, options).to_dicts() == expected_rows(frames, options)
