"""Rebuild ``NotoSansSC-lantian.otf`` (see :mod:`lantian.fonts`): ``python -m lantian.fonts.subset``.

Needs Debian's ``fonts-noto-cjk`` (``apt-get install fonts-noto-cjk``) and fontTools (installed with
fpdf2). The character set is fixed by this file and the shipped plans, so the same source font
gives the same subset.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lantian.fonts import CJK_FONT, SYSTEM_CJK_FONT, SYSTEM_SC_INDEX

#: Blocks kept whole: ASCII, Latin-1, general punctuation, letterlike symbols and Roman numerals,
#: arrows, enclosed alphanumerics (①…), CJK symbols and punctuation, full-width forms.
BLOCKS = (
    (0x20, 0x7E),
    (0xA0, 0xFF),
    (0x2000, 0x206F),
    (0x2100, 0x218F),
    (0x2190, 0x21FF),
    (0x2460, 0x24FF),
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),
)


def gb2312_characters() -> set[int]:
    """Every character of GB 2312 (its 6,763 hanzi and its symbols)."""
    found: set[int] = set()
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found


def plan_characters() -> set[int]:
    """Every character of the text files of the plans shipped in the package."""
    from lantian.plan import PLANS_DIR

    found: set[int] = set()
    for path in sorted(PLANS_DIR.rglob("*")):
        if path.is_file() and path.suffix in {".csv", ".toml", ".yaml", ".yml", ".md", ".txt"}:
            found.update(ord(c) for c in path.read_text("utf-8", errors="ignore"))
    return found


def character_set() -> set[int]:
    wanted = gb2312_characters() | plan_characters()
    for first, last in BLOCKS:
        wanted.update(range(first, last + 1))
    return {c for c in wanted if c >= 0x20}


def build(source: Path = SYSTEM_CJK_FONT, target: Path = CJK_FONT) -> int:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = []  # horizontal text only: no vertical forms, no ligatures
    options.hinting = False
    options.name_IDs = ["*"]  # keep the copyright and licence entries of the name table
    options.notdef_outline = True
    # recalcTimestamp=False: the head table keeps the source's date, so a rebuild is byte-identical
    with TTFont(source, fontNumber=SYSTEM_SC_INDEX, recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=character_set())
        subsetter.subset(font)
        font.save(target)
    return len(TTFont(target).getBestCmap())


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SYSTEM_CJK_FONT
    if not source.is_file():
        sys.exit(f"{source}: not found (apt-get install fonts-noto-cjk)")
    count = build(source)
    print(f"wrote {CJK_FONT} ({CJK_FONT.stat().st_size} bytes, {count} characters)")


if __name__ == "__main__":
    main()
