"""The CJK font that server-made documents carry (issue 14: a PDF or image made on the server must
not depend on a font the reader's machine may lack).

``NotoSansSC-lantian.otf`` is a subset of Noto Sans CJK SC Regular (SIL Open Font License 1.1,
``OFL.txt`` beside it): ASCII and Latin-1, general and CJK punctuation, Roman numerals (Ⅰ–Ⅻ, the
response grades), enclosed numbers, full-width forms, all 6,763 hanzi of GB 2312 and every character
of the plans shipped with lantian. ``python -m lantian.fonts.subset`` rebuilds it reproducibly from
Debian's ``fonts-noto-cjk``; ``PROVENANCE.md`` says from which file and version.

Where a text holds a character outside the subset (a rare hanzi in a typed reason), the full Noto
Sans CJK of the machine is used as a fallback when it is installed; :func:`missing_characters` tells
which characters neither covers.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
#: The shipped subset (what every PDF embeds).
CJK_FONT = FONT_DIR / "NotoSansSC-lantian.otf"
#: Debian's full Noto Sans CJK (``apt-get install fonts-noto-cjk``), used only as a fallback.
SYSTEM_CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
#: The Simplified Chinese face in Debian's collection (JP, KR, SC, TC, HK, then the Mono faces).
SYSTEM_SC_INDEX = 2


@cache
def covered_characters(path: Path = CJK_FONT, index: int = 0) -> frozenset[int]:
    """The code points a font maps to a glyph (its best cmap)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap())


def system_fallback() -> Path | None:
    """Debian's full Noto Sans CJK collection when the machine has it."""
    return SYSTEM_CJK_FONT if SYSTEM_CJK_FONT.is_file() else None


def missing_characters(text: str) -> list[str]:
    """Characters of ``text`` (other than line breaks) that neither the shipped font nor the
    machine's fallback can draw, in order of first appearance."""
    covered = covered_characters()
    fallback = system_fallback()
    extra = covered_characters(fallback, SYSTEM_SC_INDEX) if fallback else frozenset()
    seen: list[str] = []
    for char in text:
        if char in "\r\n\t" or ord(char) in covered or ord(char) in extra or char in seen:
            continue
        seen.append(char)
    return seen
