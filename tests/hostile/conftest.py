"""The hostile-file figure in the test summary: files × faces tried, and how many were refused."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tried = refused = 0
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            properties = dict(getattr(report, "user_properties", ()))
            tried += int(properties.get("hostile_tried", 0))
            refused += int(properties.get("hostile_refused", 0))
    if tried:
        terminalreporter.write_sep("=", "hostile files")
        terminalreporter.write_line(
            f"hostile files × faces tried: {tried}, refused with the message and nothing "
            f"written: {refused}"
        )
