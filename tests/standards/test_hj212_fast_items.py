"""The fast path's item shortcuts: items built without ``__init__``, numeric checks memoised."""

from __future__ import annotations

import dataclasses

import pytest

from lantian.standards.hj212 import TOLERANT, CpArea, CpItem, Packet, build, parse
from lantian.standards.hj212.codec import _cp_item, _number_memo, _number_ok, parse_careful
from lantian.standards.hj212.model import NUMBER_PATTERN


def test_cp_item_is_the_dataclass_item() -> None:
    item = _cp_item("a34004-Rtd", "35.2")
    assert type(item) is CpItem
    assert item == CpItem("a34004-Rtd", "35.2")
    assert hash(item) == hash(CpItem("a34004-Rtd", "35.2"))
    assert (item.key, item.value, item.code, item.field) == ("a34004-Rtd", "35.2", "a34004", "Rtd")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.value = "1"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["35", "-0.5", "+.5", "1.", "3x5", "", "1e3", " 1", "NaN", "1,2"])
def test_number_memo_agrees_with_the_pattern(text: str) -> None:
    _number_memo.clear()
    expected = NUMBER_PATTERN.fullmatch(text) is not None
    assert _number_ok(text) is expected
    assert _number_ok(text) is expected  # from the memo
    assert _number_memo[text] is expected


def _upload(value: str, qn: str) -> bytes:
    cp = CpArea.from_groups(
        [[("DataTime", "20160824080000")], [("a34004-Rtd", value), ("a34004-Flag", "N")]]
    )
    return build(Packet(st="22", cn="2011", qn=qn, pw="123456", mn="M1", flag="5", cp=cp))


def test_a_memoised_key_does_not_let_a_bad_value_through() -> None:
    """A reading key seen with numbers, then with a non-number: the deviation is recorded."""
    frames = [
        _upload("35.2", "20160824080000001"),
        _upload("35.2", "20160824080000002"),  # key and value both memoised now
        _upload("3x5", "20160824080000003"),
        _upload("36", "20160824080000004"),
    ]
    for frame in frames * 2:
        assert parse(frame, TOLERANT) == parse_careful(frame, TOLERANT)
    bad = parse(frames[2], TOLERANT)
    assert bad.deviations, "a non-numeric reading is a deviation in tolerant mode"
