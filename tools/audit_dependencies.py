"""Offline vulnerability audit of the locked dependencies (issue 20, docs/security.md "Dependencies").

pip-audit asks PyPI's JSON API or OSV over the network, which the build machines cannot reach, so
this checker matches ``requirements.lock`` against a committed snapshot of the PyPA advisory
database (``tools/security/advisories.json``: where it was read, when, and how much of each
package it covers) with ``packaging``'s version rules. A locked version inside an advisory's
affected range fails the audit unless ``tools/security/accepted.json`` accepts that advisory for
that version with a reason; an acceptance that no longer matches anything fails too, so none
outlives its cause.

Run by ``make lint`` (so by ``make test``): ``python tools/audit_dependencies.py``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
SNAPSHOT = ROOT / "tools" / "security" / "advisories.json"
ACCEPTED = ROOT / "tools" / "security" / "accepted.json"

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    aliases: tuple[str, ...]
    summary: str
    fixed: str | None


def read_lock(text: str) -> dict[str, str]:
    """``name==version`` pins of a lock file, by canonical name."""
    pins = {}
    for line in text.splitlines():
        found = _PIN.match(line)
        if found:
            pins[canonicalize_name(found[1])] = found[2]
    return pins


def in_range(version: Version, event_range: dict[str, str]) -> bool:
    """OSV ECOSYSTEM semantics: introduced ≤ version < fixed (or ≤ last_affected)."""
    introduced = event_range.get("introduced", "0")
    if introduced != "0" and version < Version(introduced):
        return False
    if "fixed" in event_range:
        return version < Version(event_range["fixed"])
    if "last_affected" in event_range:
        return version <= Version(event_range["last_affected"])
    return True


def audit(pins: dict[str, str], snapshot: dict[str, Any]) -> list[Finding]:
    """Every advisory of the snapshot whose affected ranges hold a locked version."""
    findings = []
    for name, entry in snapshot["packages"].items():
        locked = pins.get(canonicalize_name(name))
        if locked is None:
            continue
        try:
            version = Version(locked)
        except InvalidVersion:
            findings.append(Finding(name, locked, "UNPARSEABLE", (), "version not PEP 440", None))
            continue
        for advisory in entry["advisories"]:
            hit = next((r for r in advisory["ranges"] if in_range(version, r)), None)
            if hit is not None:
                findings.append(
                    Finding(
                        name, locked, advisory["id"], tuple(advisory.get("aliases", ())),
                        advisory.get("summary", ""), hit.get("fixed"),
                    )
                )  # fmt: skip
    return findings


def judge(
    findings: list[Finding], accepted: list[dict[str, str]]
) -> tuple[list[Finding], list[dict[str, str]]]:
    """The findings no acceptance covers, and the acceptances that cover no finding (stale)."""
    keys = {(canonicalize_name(a["package"]), a["version"], a["id"]) for a in accepted}
    open_findings = [
        f for f in findings if (canonicalize_name(f.package), f.version, f.advisory) not in keys
    ]
    found = {(canonicalize_name(f.package), f.version, f.advisory) for f in findings}
    stale = [
        a for a in accepted if (canonicalize_name(a["package"]), a["version"], a["id"]) not in found
    ]
    return open_findings, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    parser.add_argument("--accepted", type=Path, default=ACCEPTED)
    args = parser.parse_args(argv)
    pins = read_lock(args.lock.read_text("utf-8"))
    snapshot = json.loads(args.snapshot.read_text("utf-8"))
    accepted = json.loads(args.accepted.read_text("utf-8"))["accepted"]
    for entry in accepted:
        if not entry.get("why", "").strip():
            print(f"accepted {entry.get('id')} has no reason ('why')", file=sys.stderr)
            return 1
    findings = audit(pins, snapshot)
    open_findings, stale = judge(findings, accepted)
    covered = [n for n in snapshot["packages"] if canonicalize_name(n) in pins]
    advisories = sum(len(snapshot["packages"][n]["advisories"]) for n in covered)
    print(
        f"dependency audit: {len(pins)} locked packages; snapshot of {snapshot['snapshot_taken']} "
        f"({snapshot['source'].split(' (')[0]}) covers {len(covered)} of them with {advisories} "
        f"advisories; {len(findings)} affected, {len(findings) - len(open_findings)} accepted"
    )
    for name in covered:
        coverage = snapshot["packages"][name]["coverage"]
        if coverage != "complete":
            print(f"  note: {name}: {coverage}")
    for finding in open_findings:
        fix = f"; fixed in {finding.fixed}" if finding.fixed else ""
        print(
            f"VULNERABLE {finding.package}=={finding.version}: {finding.advisory} "
            f"({', '.join(finding.aliases)}) {finding.summary}{fix}",
            file=sys.stderr,
        )
    for entry in stale:
        print(
            f"STALE acceptance {entry['id']} for {entry['package']}=={entry['version']}: "
            "it matches nothing locked any more; remove it",
            file=sys.stderr,
        )
    return 1 if open_findings or stale else 0


if __name__ == "__main__":
    sys.exit(main())
