"""Helpers of the fault tests (issue 20): a data logger that re-sends, and what was stored.

The device behaves as HJ 212-2017 Table 1 describes: every upload asks for a 9014; one that is
not acknowledged within ``timeout`` seconds is sent again, until it is.  The device counts what it
sent, when, and which acknowledgements came back, so that a test can hold them against the
database afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from lantian.db.engine import session_factory
from lantian.monitoring.hj212_models import Device, ReceivedPacket
from lantian.standards.hj212 import (
    TOLERANT,
    CpArea,
    Hj212Error,
    Packet,
    build,
    parse,
    parse_data_time,
)
from tests.ingest.hj212_support import reply_qn

AMBIENT_MN = "410183160889201000212505"  # a Xinmi (410183) MN seen in public test fixtures
FIRST_HOUR = datetime(2017, 1, 1)


def hourly_uploads(count: int, *, mn: str = AMBIENT_MN) -> dict[str, bytes]:
    """``count`` HJ 212-2017 hourly ambient uploads (2061, Flag=5: ack requested), by QN."""
    frames = {}
    for index in range(count):
        data_time = (FIRST_HOUR + timedelta(hours=index)).strftime("%Y%m%d%H%M%S")
        qn = f"{data_time}000"
        packet = Packet(
            qn=qn,
            st="22",
            cn="2061",
            pw="123456",
            mn=mn,
            flag="5",
            cp=CpArea.from_groups(
                [
                    [("DataTime", data_time)],
                    [("a21026-Avg", str(10 + index % 40)), ("a21026-Flag", "N")],
                    [("a21004-Avg", "48"), ("a21004-Flag", "N")],
                    [("a34002-Avg", "160"), ("a34002-Flag", "N")],
                    [("a34004-Avg", "115"), ("a34004-Flag", "N")],
                ]
            ),
        )
        frames[qn] = build(packet)
    return frames


def data_time_of_qn(qn: str) -> datetime:
    return parse_data_time(qn[:14])


def stored_data_times(engine: Engine, mn: str = AMBIENT_MN) -> list[datetime]:
    """DataTime of every stored upload of ``mn`` (one per row: duplicates would show twice)."""
    with session_factory(engine)() as session:
        rows = session.scalars(
            select(ReceivedPacket.data_time)
            .join(Device, Device.id == ReceivedPacket.device_id)
            .where(Device.mn == mn)
        ).all()
    return list(rows)


@dataclass
class ResendingDevice:
    """One data logger on loopback that sends ``frames`` in order and re-sends until acked."""

    port: int
    frames: dict[str, bytes]
    timeout: float = 1.0
    pace: float = 0.01
    local_host: str = "127.0.0.1"
    first_sent: dict[str, float] = field(default_factory=dict)
    last_sent: dict[str, float] = field(default_factory=dict)
    acked_at: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    transmissions: int = 0
    reconnects: int = 0
    #: Set to hold back new packets (the ones not sent yet); re-sends go on.
    hold_new: bool = False

    @property
    def all_acked(self) -> bool:
        return len(self.acked_at) == len(self.frames)

    async def run(self, seconds: float) -> None:
        """Send and re-send until every packet is acknowledged or ``seconds`` have passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        order = list(self.frames)
        next_index = 0
        while not self.all_acked and loop.time() < deadline:
            try:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", self.port, local_addr=(self.local_host, 0)
                )
            except OSError:
                await asyncio.sleep(0.2)
                continue
            receiving = asyncio.create_task(self._receive(reader))
            try:
                while not self.all_acked and loop.time() < deadline and not receiving.done():
                    now = loop.time()
                    due = [
                        qn
                        for qn, sent in self.last_sent.items()
                        if qn not in self.acked_at and now - sent >= self.timeout
                    ][:20]
                    if not self.hold_new and next_index < len(order):
                        due.append(order[next_index])
                        self.first_sent[order[next_index]] = now
                        next_index += 1
                    if due:
                        writer.write(b"".join(self.frames[qn] for qn in due))
                        for qn in due:
                            self.last_sent[qn] = now
                        self.transmissions += len(due)
                        await writer.drain()
                    await asyncio.sleep(self.pace)
            except (ConnectionError, OSError):
                pass
            finally:
                receiving.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await receiving
                writer.transport.abort()
            if not self.all_acked and loop.time() < deadline:
                self.reconnects += 1

    async def _receive(self, reader: asyncio.StreamReader) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError):
            while True:
                line = await reader.readuntil(b"\r\n")
                try:
                    reply = parse(line, TOLERANT)
                except Hj212Error:
                    raise AssertionError(f"undecodable reply {line!r}") from None
                assert reply.cn == "9014", f"unexpected reply {line!r}"
                qn = str(reply_qn(reply))
                if qn in self.frames and qn not in self.acked_at:
                    now = loop.time()
                    self.acked_at[qn] = now
                    self.latencies.append(now - self.last_sent[qn])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
