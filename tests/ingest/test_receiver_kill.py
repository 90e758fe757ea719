"""Acknowledged means stored: SIGKILL the receiver mid-stream, restart, re-send, count.

The receiver runs as its own process (`python -m lantian ingest hj212`), as in production.  A
device streams real captured uploads, each asking for a 9014 acknowledgement; after a third of
them are acknowledged the process is killed with SIGKILL (no cleanup, no flush).  Every packet
acknowledged before the kill must already be in the database exactly once; then the device
re-sends everything not acknowledged plus some that were, and every packet ends up stored
exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from lantian.db.engine import create_db_engine, session_factory
from lantian.monitoring.hj212_models import (
    Device,
    DeviceMeasurement,
    RawFrame,
    ReceivedPacket,
)
from lantian.standards.hj212 import TOLERANT, parse, parse_data_time, records_from_packet
from tests.ingest.hj212_support import (
    captured_frames,
    decodable,
    is_data_upload,
    register_devices,
    reply_qn,
    upload_key,
    with_ack_requested,
)
from tests.support.postgres import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKETS = 1500

StoredKey = tuple[str, str, datetime]


class ReceiverProcess:
    """`lantian ingest hj212` in a child process, ready once it prints its listening line."""

    def __init__(
        self, db_url: str, port: int, workdir: Path, settings: dict[str, str] | None = None
    ) -> None:
        env = {
            **os.environ,
            "LANTIAN_DATABASE_URL": db_url,
            "LANTIAN_DATA_DIR": str(workdir),
            "LANTIAN_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO_ROOT / "src"),
            **(settings or {}),  # LANTIAN_* settings of this receiver
        }
        command = ["-m", "lantian", "ingest", "hj212", "--host", "127.0.0.1", "--port", str(port)]
        self.process = subprocess.Popen(
            [sys.executable, *command],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()
        self.output: list[str] = []

        def watch() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line)
                if "listening on" in line:
                    ready.set()

        threading.Thread(target=watch, daemon=True).start()
        if not ready.wait(30):
            self.process.kill()
            raise AssertionError("receiver did not start:\n" + "".join(self.output))

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        assert self.process.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def stored_keys(engine: Engine) -> Counter[StoredKey]:
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Device.mn, ReceivedPacket.cn, ReceivedPacket.data_time).join(
                Device, Device.id == ReceivedPacket.device_id
            )
        ).all()
    return Counter((mn, cn, data_time) for mn, cn, data_time in rows)


async def stream_until_killed(
    port: int, frames: dict[str, bytes], kill_after: int, kill: Callable[[], None]
) -> set[str]:
    """Send every frame (paced, pipelined), collect 9014s; SIGKILL the server midway."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    acked: set[str] = set()
    killed = asyncio.Event()

    async def send() -> None:
        items = list(frames.values())
        with contextlib.suppress(ConnectionError, OSError):
            for start in range(0, len(items), 10):
                if killed.is_set():
                    return
                writer.write(b"".join(items[start : start + 10]))
                await writer.drain()
                await asyncio.sleep(0.002)

    async def receive() -> None:
        with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError):
            while True:
                line = await reader.readuntil(b"\r\n")
                reply = parse(line, TOLERANT)
                assert reply.cn == "9014"
                acked.add(str(reply_qn(reply)))
                if len(acked) >= kill_after and not killed.is_set():
                    kill()  # mid-stream: frames are in flight, some committed, some not
                    killed.set()

    sender = asyncio.create_task(send())
    await asyncio.wait_for(receive(), 60)
    assert killed.is_set(), "the stream ended before the kill"
    sender.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sender
    writer.transport.abort()
    return acked


async def resend_and_wait(port: int, frames: list[bytes], qns: set[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"".join(frames))
    await writer.drain()
    waiting = set(qns)
    async with asyncio.timeout(60):
        while waiting:
            reply = parse(await reader.readuntil(b"\r\n"), TOLERANT)
            assert reply.cn == "9014"
            waiting.discard(str(reply_qn(reply)))
    writer.close()


def test_sigkill_mid_stream_loses_no_acknowledged_packet(
    db_url: str, shared_dir: Path, tmp_path: Path
) -> None:
    engine = create_db_engine(db_url)
    uploads = {}
    for _, packet in decodable(captured_frames(shared_dir)):
        if is_data_upload(packet) and packet.mn:
            uploads.setdefault(upload_key(packet), packet)
    chosen = list(uploads.values())[:PACKETS]
    register_devices(engine, {packet.mn for packet in chosen if packet.mn})
    frames = {
        f"20160824{i:09d}": with_ack_requested(p, f"20160824{i:09d}") for i, p in enumerate(chosen)
    }
    key_of_qn: dict[str, StoredKey] = {
        qn: (str(p.mn), p.cn, parse_data_time(str(p.data_time)))
        for qn, p in zip(frames, chosen, strict=True)
    }
    port = free_port()

    server = ReceiverProcess(db_url, port, tmp_path)
    try:
        acked = asyncio.run(stream_until_killed(port, frames, PACKETS // 3, server.kill))
    finally:
        server.stop()
    assert PACKETS // 3 <= len(acked) < PACKETS

    stored = stored_keys(engine)
    missing = [qn for qn in acked if stored[key_of_qn[qn]] != 1]
    assert missing == [], f"{len(missing)} acknowledged packets lost or doubled by SIGKILL"

    # Restart; the device re-sends what was not acknowledged, and some that were (its acks may
    # have been lost in transit).
    again = [qn for qn in frames if qn not in acked] + sorted(acked)[:100]
    server = ReceiverProcess(db_url, port, tmp_path)
    try:
        asyncio.run(resend_and_wait(port, [frames[qn] for qn in again], set(again)))
    finally:
        server.stop()

    stored = stored_keys(engine)
    assert {key_of_qn[qn] for qn in frames} == set(stored)
    assert set(stored.values()) == {1}
    with session_factory(engine)() as session:
        duplicates = session.scalar(
            select(func.count()).select_from(RawFrame).where(RawFrame.verdict == "duplicate")
        )
        values = session.scalar(select(func.count()).select_from(DeviceMeasurement))
    assert duplicates is not None and duplicates >= 100
    # One row per pollutant code of each packet: nothing doubled by the re-sends.
    assert values == sum(len({r.code for r in records_from_packet(p)}) for p in chosen)
    engine.dispose()
