"""The receiver's per-packet shortcuts give exactly what the plain way gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantian.ingest import hj212_session
from lantian.ingest.hj212_session import _data_time_of, _peek_field, _peek_header, code_values
from lantian.standards.hj212 import TOLERANT, CpArea, Hj212Error, Packet, parse, parse_data_time
from tests.ingest.hj212_support import CAPTURED, captured_frames

_ODD_HEADERS = [
    b"##0000MN=123;QN=1;CN=2011;CP=&&&&0000\r\n",  # MN first, right after the length
    b"##0000;MN=first;MN=second;CP=&&&&0000\r\n",  # a leading empty part; the first MN wins
    b"##0000QN=9;XMN=not;MN=yes;CP=&&&&0000\r\n",  # "XMN" is not "MN"
    b"##0000ST=22;MN=1=2;CN=2011CP=&&&&0000\r\n",  # "=" in a value; no ";" before CP
    b"##0000ST=22;MN=;CN=;CP=&&&&0000\r\n",  # empty values
    b"##0000ST=22;MN\xe4\xb8\xad=1;MN=\xff\xfe;CP=&&&&0000\r\n",  # non-ASCII name and value
    b"##0000ST=22;CN=2011;CP=&&MN=inside&&0000\r\n",  # an MN in CP is not a header field
    b"##0000ST=22;QN;MN=7;CP=&&&&0000\r\n",  # a part without "="
]


@pytest.mark.parametrize("frame", _ODD_HEADERS)
def test_peek_field_equals_the_header_split_on_odd_headers(frame: bytes) -> None:
    end = frame.find(b"CP=&&")
    header = _peek_header(frame)
    for name in ("MN", "QN", "CN", "ST"):
        assert _peek_field(frame, end, name.encode() + b"=") == header.get(name), name


@pytest.mark.parametrize("name", CAPTURED)
def test_peek_field_equals_the_header_split_on_real_traffic(shared_dir: Path, name: str) -> None:
    frames = captured_frames(shared_dir, name)
    assert len(frames) > 5_000
    for frame in frames:
        end = frame.find(b"CP=&&")
        if end < 6:
            continue
        header = _peek_header(frame)
        for field in ("MN", "QN", "CN"):
            assert _peek_field(frame, end, field.encode() + b"=") == header.get(field), frame


def _upload(data_time: str | None) -> Packet:
    items = [] if data_time is None else [("DataTime", data_time)]
    return Packet(st="22", cn="2061", cp=CpArea.from_groups([items]))


def test_data_time_memo_gives_the_parsed_time_and_none_for_invalid_ones() -> None:
    hj212_session._data_times.clear()
    for _ in range(2):  # the second round is answered from the memo
        assert _data_time_of(_upload("20160824080000")) == parse_data_time("20160824080000")
        assert _data_time_of(_upload("20160824080000123")) == parse_data_time("20160824080000123")
        assert _data_time_of(_upload("20161324080000")) is None  # month 13
        assert _data_time_of(_upload("2016082408")) is None
        assert _data_time_of(_upload(None)) is None
        assert _data_time_of(None) is None
    assert "20160824080000" in hj212_session._data_times


def test_data_time_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hj212_session, "_MEMO_LIMIT", 8)
    hj212_session._data_times.clear()
    for hour in range(24):
        text = f"20160824{hour:02d}0000"
        assert _data_time_of(_upload(text)) == parse_data_time(text)
        assert len(hj212_session._data_times) <= 8


def test_code_values_with_memos_emptied_on_every_packet(
    shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memos filled by earlier packets (or emptied when full) never change a packet's values."""
    packets = []
    for frame in captured_frames(shared_dir)[:3000]:
        try:
            packets.append(parse(frame, TOLERANT))
        except Hj212Error:
            continue
    warm = [code_values(packet) for packet in packets]
    monkeypatch.setattr(hj212_session, "_MEMO_LIMIT", 1)
    for memo in (hj212_session._key_parts, hj212_session._field_choice, hj212_session._unit_memo):
        memo.clear()
    cold = [code_values(packet) for packet in packets]
    assert cold == warm
    assert sum(len(values) for values in warm) > 10_000
    assert len(hj212_session._field_choice) <= 1 and len(hj212_session._unit_memo) <= 1
