"""Make (or check) the committed test data subset from the full shared data folder.

    python tests/shared/regenerate.py [--shared ../shared]          # write tests/shared/…, manifest
    python tests/shared/regenerate.py [--shared ../shared] --check  # compare, write nothing

Every file listed in SUBSET is taken whole, byte for byte, from ``../shared`` and compressed with
xz (preset 9, extreme; ``.xz``), unless the demo already ships it gzip-compressed in
``src/lantian/demo/data/`` (REUSED): then the demo's copy is checked against ``../shared`` and
referenced, not committed a second time. ``manifest.json`` records, for each path in
``../shared``, where it is stored and the SHA-256 and size of its original bytes;
``tests/support/shared_data.py`` lays the files out from it for the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DEMO_DATA = "src/lantian/demo/data"

#: What the tests read of ``../shared`` (traced with strace during a test run, and read off the tests).
SUBSET = (
    *(
        f"data/cnemc/national_daily/china_sites_{day}.csv"
        for day in (
            "20170101",
            "20190102",
            "20190103",
            "20190104",
            "20190105",
            "20190112",
            "20190113",
            "20190114",
            "20190220",
            "20190225",
            "20190226",
            "20190703",
        )
    ),
    "data/cnemc/other_layouts/china_sites_20180101_transposed.csv",
    "data/cnemc/stations/StationList-2020.01.01.csv",
    "data/cnemc/zhengzhou_extract/zhengzhou_sites_2019-01-01_2019-08-31.csv",
    "data/geo/zhengzhou_townships_nbs2023.csv",
    *(
        f"data/beijing/PRSA_Data_{site}_20130301-20170228.csv"
        for site in ("Dingling", "Dongsi", "Tiantan", "Wanshouxigong")
    ),
    "data/hj212/captured/AllData_2016-08-24_08.h212",
    "data/hj212/captured/AllData_2016-08-24_20.h212",
    "data/hj212/packets_catalog.jsonl",
    "seed/000_c14b292a439deac3.txt",
    "spec/standards.md",
)

#: Files the demo already ships (gzip, byte-for-byte copies): referenced, not committed again.
REUSED = {
    "data/cnemc/stations/StationList-2020.01.01.csv": (
        f"{DEMO_DATA}/StationList-2020.01.01.csv.gz"
    ),
    "data/cnemc/zhengzhou_extract/zhengzhou_sites_2019-01-01_2019-08-31.csv": (
        f"{DEMO_DATA}/zhengzhou_sites_2019-01-01_2019-08-31.csv.gz"
    ),
}


def stored_path(relative: str) -> str:
    return REUSED.get(relative) or f"tests/shared/{relative}.xz"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument("--check", action="store_true", help="compare only; write nothing")
    options = parser.parse_args()
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.shared_data import unpack

    files: dict[str, dict[str, str | int]] = {}
    problems: list[str] = []
    for relative in SUBSET:
        original = (options.shared / relative).read_bytes()
        stored = stored_path(relative)
        target = REPO_ROOT / stored
        if relative in REUSED or options.check:
            if not target.is_file() or unpack(target) != original:
                problems.append(f"{stored} differs from {options.shared / relative}")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(lzma.compress(original, preset=9 | lzma.PRESET_EXTREME))
        files[relative] = {
            "stored": stored,
            "sha256": hashlib.sha256(original).hexdigest(),
            "bytes": len(original),
        }
    manifest = json.dumps({"files": files}, indent=1, ensure_ascii=False) + "\n"
    manifest_path = HERE / "manifest.json"
    if options.check:
        if not manifest_path.is_file() or manifest_path.read_text("utf-8") != manifest:
            problems.append("tests/shared/manifest.json differs from the shared data")
    else:
        manifest_path.write_text(manifest, "utf-8")
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(files)} files {'match' if options.check else 'written'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
