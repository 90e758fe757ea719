"""The ``lantian`` command as its own process, as a user or a script runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def run_lantian(
    args: Sequence[str],
    data_dir: Path,
    *,
    stdin: str | None = None,
    timeout: float = 120,
    **settings: str,
) -> subprocess.CompletedProcess[str]:
    """``python -m lantian ARGS`` in ``data_dir``, with that data folder and only the ``LANTIAN_*``
    ``settings`` given (none inherited from the test's environment)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LANTIAN_")}
    environment |= {"LANTIAN_DATA_DIR": str(data_dir), "COLUMNS": "200", **settings}
    return subprocess.run(
        [sys.executable, "-m", "lantian", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=data_dir,
        timeout=timeout,
        check=False,
    )
