"""The offline dependency audit (tools/audit_dependencies.py): the lock passes, a vulnerable pin
fails, an acceptance needs a reason and a stale one fails (issue 20, "Dependencies")."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "audit_dependencies", ROOT / "tools" / "audit_dependencies.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


checker = load_checker()


def test_the_locked_dependencies_pass_the_audit(capsys: pytest.CaptureFixture[str]) -> None:
    assert checker.main([]) == 0
    assert "0 affected" in capsys.readouterr().out


def test_every_snapshot_entry_is_well_formed() -> None:
    snapshot = json.loads((ROOT / "tools/security/advisories.json").read_text("utf-8"))
    assert snapshot["snapshot_taken"] and "pypa/advisory-database" in snapshot["source"]
    for name, entry in snapshot["packages"].items():
        assert entry["coverage"], name
        for advisory in entry["advisories"]:
            assert advisory["id"].startswith("PYSEC-") and advisory["ranges"], advisory
            for bounds in advisory["ranges"]:
                assert {"fixed", "last_affected"} & set(bounds), advisory["id"]


def write(tmp_path: Path, lock: str, accepted: list[dict[str, str]]) -> list[str]:
    (tmp_path / "lock").write_text(lock, "utf-8")
    (tmp_path / "accepted.json").write_text(json.dumps({"accepted": accepted}), "utf-8")
    return ["--lock", str(tmp_path / "lock"), "--accepted", str(tmp_path / "accepted.json")]


def test_a_vulnerable_pin_fails_and_names_the_advisory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Starlette 0.26.1 is inside PYSEC-2023-83 (introduced 0.13.5, fixed 0.27.0); 0.13.4 is not.
    assert checker.main(write(tmp_path, "starlette==0.26.1\nJinja2==3.1.6\n", [])) == 1
    err = capsys.readouterr().err
    assert "VULNERABLE starlette==0.26.1: PYSEC-2023-83" in err and "fixed in 0.27.0" in err
    assert "PYSEC-2023-48" not in err  # fixed in 0.25.0
    found = {
        f.advisory
        for f in checker.audit(
            {"starlette": "0.13.4"},
            checker.json.loads((ROOT / "tools/security/advisories.json").read_text("utf-8")),
        )
    }
    assert found == {"PYSEC-2023-48"}


def test_an_acceptance_covers_a_finding_only_with_a_reason_and_while_it_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accepted = {"id": "PYSEC-2020-150", "package": "uvicorn", "version": "0.11.6"}
    assert checker.main(write(tmp_path, "uvicorn==0.11.6\n", [{**accepted, "why": ""}])) == 1
    assert "has no reason" in capsys.readouterr().err
    why = {**accepted, "why": "access log goes to a file no terminal shows"}
    args = write(tmp_path, "uvicorn==0.11.6\n", [why])
    assert checker.main(args) == 1  # PYSEC-2020-151 is not accepted
    assert "PYSEC-2020-151" in capsys.readouterr().err
    both = [why, {**why, "id": "PYSEC-2020-151"}]
    assert checker.main(write(tmp_path, "uvicorn==0.11.6\n", both)) == 0
    assert checker.main(write(tmp_path, "uvicorn==0.54.0\n", both)) == 1
    assert "STALE acceptance PYSEC-2020-150" in capsys.readouterr().err
