"""A real, throw-away PostgreSQL server for the test suite.

Where the binaries come from, in order: ``LANTIAN_PG_BIN``; Debian's ``/usr/lib/postgresql/<v>/bin``
(newest version); ``pg_config --bindir``; the binaries bundled in the ``pgserver`` wheel (a dev
dependency), so that a machine without a system server needs neither root nor apt.

PostgreSQL refuses to run as root; CI runs as root, so there the server runs as the ``postgres`` user
through ``runuser`` in a directory handed over to that user.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "lantian"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started; the message says what was tried."""


def find_bin_dir() -> Path:
    tried: list[str] = []
    explicit = os.environ.get("LANTIAN_PG_BIN")
    candidates: list[Path] = [Path(explicit)] if explicit else []
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += debian
    if shutil.which("pg_config"):
        bindir = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if bindir:
            candidates.append(Path(bindir))
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.submodule_search_locations:
        candidates.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    for candidate in candidates:
        tried.append(str(candidate))
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl) found; tried: " + ", ".join(tried)
    )


def unprivileged_user() -> str:
    """The account the server runs as under root: Debian's ``postgres``, else ``nobody``."""
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PostgresUnavailable("running as root, and neither a postgres nor a nobody account exists")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    bin_dir: Path
    base_dir: Path
    port: int
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"`{' '.join(command)}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.base_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self.base_dir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 1),
            ):
                return
            time.sleep(0.2)
        raise PostgresUnavailable(
            f"server did not open port {self.port}; see {self.base_dir}/server.log"
        )

    def stop(self) -> None:
        with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.base_dir, ignore_errors=True)


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a server in a temporary directory on a free port; stop and remove it afterwards."""
    bin_dir = find_bin_dir()
    run_as = None
    base_dir = Path(tempfile.mkdtemp(prefix="lantian-pg-"))
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        run_as = os.environ.get("LANTIAN_PG_USER") or unprivileged_user()
        if shutil.which("runuser") is None:
            raise PostgresUnavailable("running as root but `runuser` is missing")
        shutil.chown(base_dir, user=run_as)
        base_dir.chmod(0o700)
    server = PostgresServer(bin_dir, base_dir, free_port(), run_as)
    try:
        server.start()
        yield server
    finally:
        server.stop()
