"""The command line, driven as a user would: a fresh data directory, upgrade, demo, serve."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from lantian import __version__
from lantian.demo.accounts import DEMO_PASSWORD
from tests.support.cli import run_lantian
from tests.support.demo_database import LoadedDemo
from tests.support.postgres import free_port

LANTIAN = [sys.executable, "-m", "lantian"]
#: HJ 212-2017 Appendix A's example packet (spec §5.4), from a device lantian does not know.
UNKNOWN_DEVICE_PACKET = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
)


run = run_lantian


def test_version_and_help(tmp_path: Path) -> None:
    assert run(["version"], tmp_path).stdout.strip() == f"lantian {__version__}"
    help_text = run(["--help"], tmp_path).stdout
    for command in ("version", "config", "serve", "demo", "db"):
        assert command in help_text


def test_config_hides_secrets(tmp_path: Path) -> None:
    result = run(
        ["config"],
        tmp_path,
        LANTIAN_SECRET_KEY="hunter2-very-secret",
        LANTIAN_DATABASE_URL="postgresql+psycopg://office:pa55word@db.local/lantian",
    )
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout and "pa55word" not in result.stdout
    assert "postgresql+psycopg://office:***@db.local/lantian" in result.stdout


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LANTIAN_PORT=8123\n", encoding="utf-8")
    assert "8123" in run(["config"], tmp_path).stdout


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = run(["serve", "--port", str(free_port())], tmp_path)
    assert result.returncode == 2
    assert "lantian db upgrade" in result.stdout


def test_upgrade_demo_and_serve_healthz(sqlite_demo: LoadedDemo, tmp_path: Path) -> None:
    # `lantian db upgrade` twice and `lantian demo` in a fresh data folder ran once for the tests
    # that need the demo (tests/support/demo_database.py); their output is read here, and the
    # rest runs on this test's own copy of the folder.
    first, again = sqlite_demo.upgrades
    assert first.returncode == 0 and "→" in first.stdout, first.stdout + first.stderr
    assert "already" in again.stdout
    # The demo loads its reporting history up to its instant too (about 3,400 reports).
    demo = sqlite_demo.demo
    assert demo.returncode == 0 and "+9" in demo.stdout, demo.stdout + demo.stderr
    shutil.copytree(sqlite_demo.data_dir, tmp_path, dirs_exist_ok=True)
    assert "already loaded" in run(["demo", "--if-needed"], tmp_path).stdout

    port, receiver_port = free_port(), free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LANTIAN_")}
    environment["LANTIAN_DATA_DIR"] = str(tmp_path)
    environment["LANTIAN_HJ212_PORT"] = str(receiver_port)
    # A file, not a pipe: the receiver's child processes inherit the descriptor, and a pipe would
    # only reach end-of-file when the last of them has gone.
    log_path = tmp_path / "serve.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [*LANTIAN, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, log_path.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "server did not answer within 30 s"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["status"] == "ok"
        # The HJ 212 receiver started beside the web server answers a device: unknown MN → 9011.
        with socket.create_connection(("127.0.0.1", receiver_port), timeout=10) as device:
            device.sendall(UNKNOWN_DEVICE_PACKET)
            reply = device.recv(1024)
        assert b"CN=9011" in reply and b"QnRtn=4" in reply
        home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text
        assert '<div class="value" id="station-count">9</div>' in home
        assert "规划中 15" in home
        # The demo's accounts sign in with the README's password, and land on the dashboard.
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as browser:
            form = browser.get("/login").text
            token = re.search(r'name="csrf" value="([^"]*)"', form)
            assert token
            signed_in = browser.post(
                "/login",
                data={"username": "office", "password": DEMO_PASSWORD, "csrf": token.group(1)},
            )
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/office"
            assert browser.get("/office").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    output = log_path.read_text(encoding="utf-8")
    assert f"http://127.0.0.1:{port}/" in output
    assert f"HJ 212 receiver on 127.0.0.1:{receiver_port}" in output
    assert "demo accounts active" in output


def test_demo_before_upgrade_says_what_to_do(tmp_path: Path) -> None:
    result = run(["demo"], tmp_path)
    assert result.returncode == 2
    assert "lantian db upgrade" in result.stdout and "Traceback" not in result.stderr
