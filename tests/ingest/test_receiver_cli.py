"""`lantian devices add|list`, and the receiver process that `lantian serve` starts beside the web."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from lantian.errors import InputError
from lantian.ingest.receiver_cli import start_receiver_process, stop_receiver_process
from lantian.standards.hj212 import build
from tests.ingest.hj212_support import DeviceClient, register_devices
from tests.ingest.test_receiver import AMBIENT_MN, _ambient_packet
from tests.support.cli import run_lantian
from tests.support.postgres import free_port

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])


def lantian(db_url: str, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_lantian(args, workdir, timeout=60, LANTIAN_DATABASE_URL=db_url)


def test_devices_add_and_list(db_url: str, tmp_path: Path) -> None:
    added = lantian(
        db_url,
        tmp_path,
        *("devices", "add", "LD130124000122", "--password", "123456", "--source", "LD-outfall-1"),
        *("--crc-mode", "modbus", "--units", '{"a34004": {"factor": 0.001, "unit": "µg/m³"}}'),
    )
    assert added.returncode == 0, added.stdout + added.stderr
    listed = lantian(db_url, tmp_path, "devices", "list")
    assert listed.returncode == 0, listed.stderr
    assert "LD130124000122" in listed.stdout and "modbus" in listed.stdout
    assert "123456" not in listed.stdout  # passwords are never shown
    again = lantian(db_url, tmp_path, "devices", "add", "LD130124000122", "--password", "x")
    assert again.returncode == 5 and "已登记" in again.stderr and "already" in again.stderr
    nowhere = lantian(db_url, tmp_path, "devices", "add", "X1", "--station", "NOPE")
    assert nowhere.returncode == 3 and "NOPE" in nowhere.stderr
    bad_crc = lantian(db_url, tmp_path, "devices", "add", "X2", "--crc-mode", "crc32")
    assert bad_crc.returncode == 1 and "crc32" in bad_crc.stderr
    changed = lantian(db_url, tmp_path, "devices", "set", "LD130124000122", "--inactive")
    assert changed.returncode == 0 and "inactive" in changed.stdout, changed.stderr
    assert "✗" in lantian(db_url, tmp_path, "devices", "list").stdout
    unknown = lantian(db_url, tmp_path, "devices", "set", "NOBODY", "--active")
    assert unknown.returncode == 3 and "not registered" in unknown.stderr


def test_receiver_process_beside_the_web_server(db_url: str) -> None:
    from lantian.db.engine import create_db_engine

    register_devices(create_db_engine(db_url), [AMBIENT_MN])
    port = free_port()
    process = start_receiver_process(db_url, "127.0.0.1", port)
    try:

        async def device() -> str:
            client = await DeviceClient.connect(port)
            await client.send(build(_ambient_packet("20171115080000", qn="20171115090000001")))
            (ack,) = await client.read_replies(1)
            await client.close()
            return ack.cn

        assert asyncio.run(device()) == "9014"
        with pytest.raises(InputError, match="did not start"):
            start_receiver_process(db_url, "127.0.0.1", port)  # the port is taken
    finally:
        stop_receiver_process(process)
    assert process.exitcode == 0  # SIGTERM: a clean stop, not a kill
