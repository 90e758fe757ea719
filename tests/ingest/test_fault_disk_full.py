"""The disk of the data folder fills up under a streaming device (issue 20, faults during ingest).

The SQLite database of the receiver (its own process, ``python -m lantian ingest hj212``) lives in
a data folder that runs out of space mid-stream, in one of two ways:

* ``tmpfs``: the data folder is a small tmpfs mounted for the test and filled with a filler file
  until the kernel answers ENOSPC (needs the right to mount: root with CAP_SYS_ADMIN; skipped
  otherwise, with the reason);
* ``fsize``: the receiver's largest writable file size (RLIMIT_FSIZE, set on the running process
  with ``prlimit``) is cut to the size its write-ahead log has, so every commit fails to write —
  possible as any user, so this case always runs.

While the disk is full no packet may be acknowledged that is not stored, and the receiver says
plainly what is wrong.  Once space is back the device's re-sends are stored and acknowledged
without restarting the receiver; then the database passes ``PRAGMA integrity_check`` and holds
every acknowledged packet exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import resource
import shutil
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lantian.db.engine import create_db_engine
from tests.ingest.fault_support import (
    AMBIENT_MN,
    ResendingDevice,
    data_time_of_qn,
    hourly_uploads,
    stored_data_times,
)
from tests.ingest.hj212_support import register_devices
from tests.ingest.test_receiver_kill import ReceiverProcess
from tests.support.postgres import free_port

PACKETS = 150
ACKED_BEFORE_FULL = 40
FULL_SECONDS = 3.0


@contextlib.contextmanager
def small_tmpfs(path: Path, size: int) -> Iterator[None]:
    path.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip()}); the fsize case runs")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Write a filler file until the file system has no space left."""
    filler = folder / "filler"
    block = b"\0" * 65536
    with open(filler, "wb", buffering=0) as out:
        while True:
            try:
                out.write(block)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
                break
        while True:  # the last partial block
            try:
                out.write(b"\0" * 512)
            except OSError:
                break
    return filler


@pytest.mark.parametrize("how", ["tmpfs", "fsize"])
def test_disk_full_acknowledges_nothing_unstored_and_corrupts_nothing(
    how: str, sqlite_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    with contextlib.ExitStack() as stack:
        if how == "tmpfs":
            stack.enter_context(small_tmpfs(data, sqlite_template.stat().st_size + (4 << 20)))
        else:
            data.mkdir()
        database = data / "lantian.sqlite3"
        shutil.copyfile(sqlite_template, database)
        url = f"sqlite:///{database}"
        engine = create_db_engine(url)
        register_devices(engine, [AMBIENT_MN])
        engine.dispose()

        port = free_port()
        receiver = ReceiverProcess(
            url, port, data, settings={"LANTIAN_HJ212_DATABASE_RETRY_MAX": "0.5"}
        )
        stack.callback(receiver.stop)
        device = ResendingDevice(port, hourly_uploads(PACKETS), timeout=1.0, pace=0.01)
        times: dict[str, float] = {}
        make_room: list[Callable[[], None]] = []

        def make_full() -> None:
            if how == "tmpfs":
                filler = fill(data)
                make_room.append(filler.unlink)
            else:
                # The write-ahead log, where every commit goes, cannot grow any more (nor can
                # any other file past that size).  The soft limit only: raising it back needs
                # no privilege.
                log_size = (data / "lantian.sqlite3-wal").stat().st_size
                pid = receiver.process.pid
                _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
                resource.prlimit(pid, resource.RLIMIT_FSIZE, (log_size, hard))
                make_room.append(
                    lambda: resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard, hard)) and None
                )

        async def disk_fills() -> None:
            loop = asyncio.get_running_loop()
            while len(device.acked_at) < ACKED_BEFORE_FULL:
                await asyncio.sleep(0.01)
            device.hold_new = True
            await asyncio.sleep(0.3)  # what was in flight settles
            await asyncio.to_thread(make_full)
            times["full"] = loop.time()
            device.hold_new = False
            await asyncio.sleep(FULL_SECONDS)
            times["room"] = loop.time()
            make_room[0]()

        async def main() -> None:
            await asyncio.gather(device.run(45), disk_fills())

        started = time.monotonic()
        asyncio.run(main())
        seconds = time.monotonic() - started
        still_running = receiver.process.poll() is None
        receiver.stop()
        log = "".join(receiver.output)

        with sqlite3.connect(database) as connection:
            integrity = connection.execute("PRAGMA integrity_check").fetchall()
        engine = create_db_engine(url)
        stored = Counter(stored_data_times(engine))
        engine.dispose()

    acked_while_full = [
        qn
        for qn, at in device.acked_at.items()
        if device.first_sent[qn] > times["full"] and at < times["room"]
    ]
    acked_but_lost = [qn for qn in device.acked_at if stored[data_time_of_qn(qn)] == 0]
    with capsys.disabled():
        print(
            f"\nFAULTS disk full ({how}, {FULL_SECONDS:.0f} s): packets sent "
            f"{len(device.first_sent)} ({device.transmissions} transmissions), acknowledged "
            f"{len(device.acked_at)}, stored {sum(stored.values())}, acknowledged-but-lost "
            f"{len(acked_but_lost)}, first sent and acknowledged while full "
            f"{len(acked_while_full)}, integrity_check {integrity[0][0]}, {seconds:.0f} s"
        )

    assert still_running, "the receiver died when the disk filled:\n" + log
    assert integrity == [("ok",)]
    assert acked_but_lost == []
    assert acked_while_full == [], "packets were acknowledged while nothing could be stored"
    if how == "tmpfs":
        assert "hj212_storage_full" in log, log[-3000:]
        assert "the disk holding the database is full" in log
    else:
        # SQLite reports EFBIG as an I/O error; the receiver names the limit in force.
        assert "hj212_storage_unwritable" in log, log[-3000:]
        assert "a file-size limit (RLIMIT_FSIZE) of" in log
    assert device.all_acked, f"ingest did not resume: {len(device.acked_at)} of {PACKETS}"
    assert set(stored) == {data_time_of_qn(qn) for qn in device.frames}
    assert set(stored.values()) == {1}
