"""The markers come from what a test uses (tests/conftest.py), so ``pytest -m`` selects reliably."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import (
    BACKENDS,
    BROWSER_FIXTURES,
    DB_FIXTURES,
    GROUPED_MODULES,
    MEASURED_FILE_SECONDS,
    REPO_ROOT,
    SLOW_MODULES,
    SPLIT_MODULES,
    unit_of_work,
)

#: A test id that names a backend among its parameters: ``test_x[sqlite]``, ``test_y[1-postgresql]``.
PER_BACKEND = re.compile(rf"\[(?:.*-)?(?:{'|'.join(BACKENDS)})(?:-.*)?\]$")


def collected(*args: str) -> list[str]:
    """The test ids ``pytest --collect-only`` selects with ``args``, in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 5), result.stdout + result.stderr  # 5: nothing selected
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_every_collected_test_carries_the_markers_of_its_fixtures_and_folder(
    request: pytest.FixtureRequest,
) -> None:
    items = request.session.items
    assert request.node in items
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        relative = item.path.relative_to(REPO_ROOT).as_posix()
        has = {name for name in ("db", "e2e", "browser", "slow") if item.get_closest_marker(name)}
        assert ("db" in has) == bool(fixtures & DB_FIXTURES), item.nodeid
        if PER_BACKEND.search(item.nodeid) and "db_backend" in fixtures:
            assert "db" in has, item.nodeid
        in_browser = relative.startswith("tests/browser/") or bool(fixtures & BROWSER_FIXTURES)
        assert ("e2e" in has) == in_browser == ("browser" in has), item.nodeid
        if relative in SLOW_MODULES:
            assert "slow" in has, item.nodeid


def test_the_slow_modules_exist() -> None:
    for relative in SLOW_MODULES:
        assert (REPO_ROOT / relative).is_file(), relative


def test_the_scheduled_modules_exist_and_a_group_is_one_unit_of_work() -> None:
    """The scheduler's lists name real files (a renamed file would silently lose its place), and
    the files of a group share one unit, so that their session fixture is made on one worker."""
    named = set(SPLIT_MODULES) | set(GROUPED_MODULES)
    named |= {path for path in MEASURED_FILE_SECONDS if not path.startswith("group:")}
    for relative in named:
        assert (REPO_ROOT / relative).is_file(), relative
    groups = {f"group:{group}" for group in GROUPED_MODULES.values()}
    assert groups <= set(MEASURED_FILE_SECONDS)
    for relative, group in GROUPED_MODULES.items():
        assert unit_of_work(f"{relative}::test_x[sqlite]") == f"group:{group}"
    walks = next(iter(SPLIT_MODULES))
    assert unit_of_work(f"{walks}::test_a[x]") != unit_of_work(f"{walks}::test_b[x]")
    assert unit_of_work("tests/test_clock.py::test_a") == "tests/test_clock.py"


def test_minus_m_splits_a_folder_into_database_and_other_tests() -> None:
    everything = collected("tests/auth")
    database = collected("tests/auth", "-m", "db")
    other = collected("tests/auth", "-m", "not db")
    assert database and other
    assert sorted(database + other) == sorted(everything)
    assert all(PER_BACKEND.search(test) for test in database)
    assert not any(PER_BACKEND.search(test) for test in other)


def test_minus_m_e2e_selects_the_browser_tests_only() -> None:
    browser = collected("tests/browser", "tests/auth/test_passwords.py", "-m", "e2e")
    assert browser and all(test.startswith("tests/browser/") for test in browser)
    # ``browser`` holds only tests/browser/ ids: it is what ``-m e2e`` selects of that folder
    # (one collection fewer: each is a fresh process importing the browser harness).
    assert collected("tests/browser", "-m", "browser") == browser
    assert collected("tests/browser", "-m", "not e2e") == []
