"""Unified social credit code (统一社会信用代码), GB 32100-2015: format and check digit.

Eighteen characters from the 31-character set 0–9 and A–Y without I, O, S, V, Z: registration
authority (1), organisation type (1), administrative division (6), organisation code (9, GB 11714),
check character (1). The check character is C18 = 31 − (Σ_{i=1..17} W_i × C_i mod 31), 31 → 0,
with W_i = 3^(i−1) mod 31 (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28).
"""

from __future__ import annotations

from lantian.errors import InputError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_VALUE = {character: index for index, character in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The check character of the first seventeen characters."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """Why ``code`` is not a valid credit code (Chinese / English), or None when it is."""
    if len(code) != 18:
        return f"应为 18 位，实为 {len(code)} 位 / must have 18 characters, has {len(code)}"
    wrong = sorted({c for c in code if c not in _VALUE})
    if wrong:
        return (
            f"含有不允许的字符 {''.join(wrong)}（不用 I、O、S、V、Z 及小写） / contains characters "
            f"outside the code set: {''.join(wrong)} (no I, O, S, V, Z, no lower case)"
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        return (
            f"校验码应为 {expected}，实为 {code[17]}（GB 32100） / check character should be "
            f"{expected}, is {code[17]} (GB 32100)"
        )
    return None


def validate(code: str, where: str = "") -> str:
    """The code, stripped; InputError naming ``where`` and the reason when it is invalid."""
    cleaned = code.strip()
    reason = problem(cleaned)
    if reason:
        prefix = f"{where}: " if where else ""
        raise InputError(
            f"{prefix}统一社会信用代码 {cleaned!r} 无效 / invalid unified social credit code: {reason}"
        )
    return cleaned


def make_code(first17: str) -> str:
    """Append the check character (for generated sample data)."""
    return first17 + check_character(first17)
