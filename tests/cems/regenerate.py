"""Rebuild ``data/stack_hours_2016-08-24.h212.xz``: the hourly stack uploads (ST=31, CN=2061) of
a few outlets, cut byte for byte from the real captures (see PROVENANCE.md).

Run from the repository: ``.venv/bin/python -m tests.cems.regenerate``.
"""

from __future__ import annotations

import lzma
from pathlib import Path

from lantian.standards.hj212 import TOLERANT, FrameSplitter, Hj212Error, parse
from tests.support.shared_data import shared_root

#: The outlets kept: two coal-boiler outlets of one county far above the SO2 limit, a power
#: outlet above the ultra-low NOx limit, one compliant, one used for maintenance and one for the
#: O2 conversion (their role is the test's, the bytes are the captures').
OUTLETS = (
    "LD130121000238",
    "LD130121000239",
    "LD130107000226",
    "LD130121000135",
    "LD130124000394",
    "LD130107000319",
)
CAPTURES = ("AllData_2016-08-24_08.h212", "AllData_2016-08-24_20.h212")
TARGET = Path(__file__).parent / "data" / "stack_hours_2016-08-24.h212.xz"


def frames() -> list[bytes]:
    kept: list[bytes] = []
    for name in CAPTURES:
        data = (shared_root() / "data" / "hj212" / "captured" / name).read_bytes()
        for item in FrameSplitter().feed(data):
            if not isinstance(item, bytes):
                continue
            try:
                packet = parse(item, TOLERANT)
            except Hj212Error:
                continue
            if packet.st == "31" and packet.cn == "2061" and packet.mn in OUTLETS:
                kept.append(item if item.endswith(b"\r\n") else item + b"\r\n")
    return kept


def main() -> None:
    TARGET.write_bytes(lzma.compress(b"".join(frames()), preset=9))
    print(TARGET, TARGET.stat().st_size)


if __name__ == "__main__":
    main()
