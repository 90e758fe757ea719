"""Helpers of the receiver tests: real frames, device registration, a loopback device client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine

from lantian.db.engine import session_factory, transaction
from lantian.ingest.hj212_session import DATA_UPLOAD_COMMANDS
from lantian.monitoring.devices import add_device
from lantian.standards.hj212 import (
    TOLERANT,
    FrameSplitter,
    Hj212Error,
    Packet,
    build,
    parse,
)

CAPTURED = ("AllData_2016-08-24_08.h212", "AllData_2016-08-24_20.h212")


def captured_frames(shared_dir: Path, name: str = CAPTURED[0]) -> list[bytes]:
    """Every frame of a captured file as the splitter cuts it (valid and corrupt ones)."""
    splitter = FrameSplitter()
    data = (shared_dir / "data" / "hj212" / "captured" / name).read_bytes()
    return [item for item in splitter.feed(data) if isinstance(item, bytes)]


def decodable(frames: Iterable[bytes]) -> list[tuple[bytes, Packet]]:
    out = []
    for frame in frames:
        try:
            out.append((frame, parse(frame, TOLERANT)))
        except Hj212Error:
            continue
    return out


def catalogue_packets(shared_dir: Path) -> list[dict[str, object]]:
    path = shared_dir / "data" / "hj212" / "packets_catalog.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def upload_key(packet: Packet) -> tuple[str | None, str, str | None, str | None]:
    return (packet.mn, packet.cn, packet.data_time, packet.pno)


def is_data_upload(packet: Packet) -> bool:
    return packet.cn in DATA_UPLOAD_COMMANDS and packet.data_time is not None


def with_ack_requested(packet: Packet, qn: str) -> bytes:
    """The same packet re-encoded with a QN and Flag bit A set (keeping its protocol edition)."""
    version_bits = (
        1 if packet.flag is not None and packet.flags and packet.flags.version_bits else 0
    )
    flag = str((version_bits << 2) | 1)
    return build(replace(packet, qn=qn, flag=flag, crc=None, header_order=None))


def register_devices(
    engine: Engine,
    mns: Iterable[str],
    *,
    password: str | None = "123456",
    station_code: str | None = None,
    crc_mode: str = "hj212",
) -> None:
    with transaction(session_factory(engine)) as session:
        for mn in sorted(set(mns)):
            add_device(
                session,
                mn,
                password=password,
                station_code=station_code,
                crc_mode=crc_mode,
                parse_mode="tolerant",
            )


@dataclass
class DeviceClient:
    """A device on loopback: sends frames, collects the centre's replies (parsed)."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    replies: list[Packet]

    @classmethod
    async def connect(cls, port: int) -> DeviceClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, [])

    async def send(self, *frames: bytes) -> None:
        self.writer.write(b"".join(frames))
        await self.writer.drain()

    async def read_replies(self, count: int, timeout: float = 20.0) -> list[Packet]:
        """Wait until ``count`` more replies have arrived; returns them."""
        got: list[Packet] = []
        async with asyncio.timeout(timeout):
            while len(got) < count:
                line = await self.reader.readuntil(b"\r\n")
                got.append(parse(line, TOLERANT))
        self.replies += got
        return got

    async def expect_silence(self, seconds: float = 0.3) -> None:
        try:
            async with asyncio.timeout(seconds):
                data = await self.reader.read(1)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected reply bytes {data!r}")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


def qn_rtn(reply: Packet) -> str | None:
    return reply.cp.get("QnRtn")


def reply_qn(reply: Packet) -> str | None:
    """QN a reply echoes: header QN (2017) or inside CP (2005 style)."""
    return reply.qn if reply.qn is not None else reply.cp.get("QN")


def chunks(items: Sequence[bytes], parts: int) -> list[list[bytes]]:
    return [list(items[index::parts]) for index in range(parts)]
