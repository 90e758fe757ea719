"""A device flood against the receiver (issue 20, faults during ingest).

The receiver runs as its own process (``python -m lantian ingest hj212``) with its bounds set
through ``LANTIAN_HJ212_*`` settings.  From four other loopback addresses (127.0.0.2-5) hostile
clients open far more connections than one address may hold, and those let in misbehave: silent
ones, slowloris ones (a byte at a time of a frame that never ends), ones sending oversized frames,
random garbage, or a torrent of valid frames of an unregistered device.  Meanwhile a well-behaved
device on 127.0.0.1 uploads a packet every 0.2 s and must get each 9014 promptly; the receiver
must close the slow ones at the frame timeout and keep its memory bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from lantian.db.engine import create_db_engine
from lantian.standards.hj212 import CpArea, Packet, build
from tests.ingest.fault_support import (
    AMBIENT_MN,
    ResendingDevice,
    data_time_of_qn,
    hourly_uploads,
    percentile,
    stored_data_times,
)
from tests.ingest.hj212_support import register_devices
from tests.ingest.test_receiver_kill import ReceiverProcess
from tests.support.postgres import free_port

FLOOD_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
PER_ADDRESS = 20
ATTEMPTS_PER_ADDRESS = 50
FRAME_TIMEOUT = 2.0
GOOD_PACKETS = 40
KINDS = ("silent", "slowloris", "oversized", "garbage", "torrent")

SETTINGS = {
    "LANTIAN_HJ212_MAX_CONNECTIONS": "120",
    "LANTIAN_HJ212_MAX_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
    "LANTIAN_HJ212_FRAME_TIMEOUT": str(FRAME_TIMEOUT),
    "LANTIAN_HJ212_IDLE_TIMEOUT": "30",
    "LANTIAN_HJ212_MAX_FRAMES_PER_SECOND": "20",
    "LANTIAN_HJ212_FRAME_BURST": "40",
}


def unregistered_upload(index: int) -> bytes:
    return build(
        Packet(
            qn=f"20180101000000{index % 1000:03d}",
            st="22",
            cn="2011",
            pw="123456",
            mn="FLOOD0000000000000000001",
            flag="5",
            cp=CpArea.from_groups([[("DataTime", "20180101000000")], [("a34004-Rtd", "1")]]),
        )
    )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Flood:
    """The hostile clients and what happened to them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.outcomes: Counter[str] = Counter()
        #: Seconds from connecting to the receiver closing it, per slow connection.
        self.closed_after: dict[str, list[float]] = {
            kind: [] for kind in KINDS if kind != "torrent"
        }
        self.bytes_sent = 0
        #: Replies (9011, unknown MN) each torrent connection got: frames the receiver read.
        self.torrent_replies: list[int] = []

    async def client(self, address: str, kind: str, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", self.port, local_addr=(address, 0)
            )
        except OSError:
            self.outcomes["connect failed"] += 1
            return
        opened = loop.time()
        # Refused connections are closed by the receiver at once, before anything is sent.
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            if await asyncio.wait_for(reader.read(1), 0.5) == b"":
                self.outcomes["refused"] += 1
                writer.transport.abort()
                return
        self.outcomes[f"held {kind}"] += 1
        rng = random.Random(f"{address}-{opened}")
        closed = False

        replies = 0

        async def closed_by_server() -> None:
            nonlocal closed, replies
            with contextlib.suppress(ConnectionError, OSError):
                while data := await reader.read(65536):
                    replies += data.count(b"\r\n")
            closed = True

        watcher = asyncio.create_task(closed_by_server())
        first = True
        try:
            while loop.time() - opened < seconds and not closed:
                if kind == "silent":
                    await asyncio.sleep(0.1)
                    continue
                if kind == "slowloris":
                    data = b"##0999QN=2018" if first else b"1"
                    first = False
                    pause = 0.3
                elif kind == "oversized":
                    data = b"##9999" + b"A" * 60_000
                    pause = 0.05
                elif kind == "garbage":
                    data = rng.randbytes(4096)
                    pause = 0.05
                else:
                    data = b"".join(unregistered_upload(i) for i in range(50))
                    pause = 0.05
                writer.write(data)
                self.bytes_sent += len(data)
                await writer.drain()
                await asyncio.sleep(pause)
        except (ConnectionError, OSError):
            closed = True
        finally:
            await asyncio.sleep(0)
            if closed and kind in self.closed_after:
                self.closed_after[kind].append(loop.time() - opened)
                self.outcomes[f"closed by receiver {kind}"] += 1
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            writer.transport.abort()
            if kind == "torrent":
                self.torrent_replies.append(replies)


@pytest.mark.parametrize("db_backend", ["sqlite", "postgresql"])
def test_a_flood_of_hostile_connections_does_not_starve_a_good_device(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_db_engine(db_url)
    register_devices(engine, [AMBIENT_MN])
    port = free_port()
    receiver = ReceiverProcess(db_url, port, tmp_path, settings=SETTINGS)
    rss_before = rss_kib(receiver.process.pid)
    flood = Flood(port)
    device = ResendingDevice(port, hourly_uploads(GOOD_PACKETS), timeout=5.0, pace=0.2)
    peak_rss = rss_before

    async def watch_memory() -> None:
        nonlocal peak_rss
        while not device.all_acked:
            peak_rss = max(peak_rss, rss_kib(receiver.process.pid))
            await asyncio.sleep(0.2)

    async def main() -> None:
        clients = [
            flood.client(address, KINDS[index % len(KINDS)], seconds=FRAME_TIMEOUT * 3)
            for index in range(ATTEMPTS_PER_ADDRESS)
            for address in FLOOD_ADDRESSES
        ]
        flooding = asyncio.gather(*clients)
        await asyncio.sleep(0.5)  # the flood is in place before the good device starts
        await asyncio.gather(device.run(40), watch_memory())
        await flooding

    started = time.monotonic()
    try:
        asyncio.run(main())
        still_running = receiver.process.poll() is None
    finally:
        receiver.stop()
    seconds = time.monotonic() - started
    stored = Counter(stored_data_times(engine))
    engine.dispose()

    held = sum(count for outcome, count in flood.outcomes.items() if outcome.startswith("held"))
    attempts = ATTEMPTS_PER_ADDRESS * len(FLOOD_ADDRESSES)
    latencies = device.latencies
    with capsys.disabled():
        print(
            f"\nFAULTS flood ({db_url.split(':')[0]}): {attempts} hostile connections from "
            f"{len(FLOOD_ADDRESSES)} addresses, {flood.outcomes['refused']} refused at once, "
            f"{held} let in (≤ {PER_ADDRESS} per address) and "
            + " + ".join(
                f"{flood.outcomes[f'closed by receiver {kind}']} {kind}"
                for kind in flood.closed_after
            )
            + f" closed at the {FRAME_TIMEOUT:.0f} s frame timeout, torrents read at most "
            f"{max(flood.torrent_replies, default=0)} frames each; "
            f"{flood.bytes_sent / 1e6:.1f} MB of flood sent; "
            f"good device: {len(device.acked_at)}/{GOOD_PACKETS} acknowledged, "
            f"{device.transmissions - GOOD_PACKETS} re-sends, ack latency p50 "
            f"{percentile(latencies, 0.5) * 1000:.0f} ms, max {max(latencies, default=0) * 1000:.0f}"
            f" ms; receiver RSS {rss_before / 1024:.0f} → peak {peak_rss / 1024:.0f} MiB; "
            f"{seconds:.0f} s"
        )

    assert still_running, "the receiver died under the flood"
    assert device.all_acked and device.transmissions == GOOD_PACKETS, (
        "the good device missed acknowledgements"
    )
    assert set(stored) == {data_time_of_qn(qn) for qn in device.frames}
    assert percentile(latencies, 0.5) < 0.5 and max(latencies) < 4.0, latencies
    # Each flood address was held to its bound, the rest refused at once.
    assert held <= PER_ADDRESS * len(FLOOD_ADDRESSES)
    assert flood.outcomes["refused"] >= attempts - PER_ADDRESS * len(FLOOD_ADDRESSES)
    # Connections that never complete a frame (silent, a byte at a time, oversized, garbage)
    # were closed by the receiver at the frame timeout, not left to idle.
    slow = [after for kind in flood.closed_after for after in flood.closed_after[kind]]
    assert sum(flood.outcomes[f"held {kind}"] for kind in flood.closed_after) == len(slow)
    assert all(FRAME_TIMEOUT / 2 < after < FRAME_TIMEOUT + 3.0 for after in slow), slow
    # A torrent of valid frames is read at the rate limit once its burst is spent.
    flood_seconds = FRAME_TIMEOUT * 3
    assert flood.torrent_replies and max(flood.torrent_replies) <= 40 + 20 * flood_seconds + 10
    assert peak_rss - rss_before < 200 * 1024, "the receiver's memory grew with the flood"
