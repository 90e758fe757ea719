"""The command line starts without importing the platform: groups load when they are invoked."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from lantian.cli import LAZY_COMMANDS, app

HEAVY = ("fastapi", "highspy", "openpyxl", "polars", "numpy", "sqlalchemy")


def imported_after(code: str) -> list[str]:
    """Which of the heavy libraries a fresh interpreter has imported after running ``code``."""
    probe = (
        f"{code}\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_imports_no_heavy_library() -> None:
    assert imported_after("import lantian.cli") == []


def test_version_and_help_import_no_heavy_library() -> None:
    for args in (["version"], ["--help"]):
        code = (
            "from lantian.cli import app\n"
            f"try:\n    app(args={args!r}, prog_name='lantian')\n"
            "except SystemExit:\n    pass"
        )
        assert imported_after(code) == [], args


def test_a_group_loads_its_module_when_invoked() -> None:
    code = (
        "from lantian.cli import app\n"
        "try:\n    app(args=['aqi', '--help'], prog_name='lantian')\n"
        "except SystemExit:\n    pass"
    )
    assert "polars" in imported_after(code)


def test_the_static_help_table_matches_each_group() -> None:
    for entry in LAZY_COMMANDS:
        loaded = entry.load()
        assert loaded.help is not None
        assert loaded.help.strip().splitlines()[0] == entry.help, entry.name


def test_help_lists_every_group_and_runs_a_lazy_one() -> None:
    runner = CliRunner()
    listing = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0
    for entry in LAZY_COMMANDS:
        assert entry.name in listing.output and entry.help in listing.output
    group_help = runner.invoke(app, ["hj212", "--help"], env={"COLUMNS": "200"})
    assert group_help.exit_code == 0 and "decode" in group_help.output
    typo = runner.invoke(app, ["hj21"])
    assert typo.exit_code != 0 and "hj212" in typo.output
