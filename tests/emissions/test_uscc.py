"""GB 32100 unified social credit codes: check character against published real codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantian.emissions.uscc import ALPHABET, check_character, make_code, problem, validate
from lantian.errors import InputError

#: Codes of registered organisations quoted in public validator test suites.
REAL_CODES = [
    "91350100M000100Y43",
    "91110105771583283D",
    "91110000802100433B",
    "91110108740084270C",
    "112302070019030687",
    "91110108735106340Y",
    "911101077776591113",
    "51610700305332460K",
    "91440300359143307G",
    "91440300708461136T",
    "91110108551385082Q",
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_pass(code: str) -> None:
    assert problem(code) is None
    assert check_character(code[:17]) == code[17]


def test_reasons() -> None:
    assert "check character should be 3, is 4" in (problem("91350100M000100Y44") or "")
    assert "must have 18 characters, has 17" in (problem("91350100M000100Y4") or "")
    assert "outside the code set: I" in (problem("91350100M000100I43") or "")
    with pytest.raises(InputError, match="第 3 行 / row 3: 统一社会信用代码"):
        validate("91350100M000100Y44", "第 3 行 / row 3")
    assert validate(" 91350100M000100Y43 ") == "91350100M000100Y43"


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_caught(body: str, replacement: str) -> None:
    """The weights are non-zero mod 31, so changing one character always changes the check."""
    code = make_code(body)
    assert problem(code) is None
    position = len(body) // 2
    if replacement != code[position]:
        altered = code[:position] + replacement + code[position + 1 :]
        assert problem(altered) is not None
