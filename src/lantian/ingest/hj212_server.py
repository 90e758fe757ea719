"""The HJ 212 receiving centre: an asyncio TCP server with durable acknowledgements.

HJ 212-2017 §6.6.3 / spec §5.3: a data upload whose Flag has bit A set is answered with a 9014
data acknowledgement; requests that fail are answered with 9011 and a ``QnRtn`` code.  Here an
acknowledgement means "stored": every frame goes through one writer that commits batches of
frames from all connections (group commit) and only after the commit are the replies of that
batch written to their sockets.  A device that gets no 9014 re-sends (HJ 212-2017 Table 1:
timeout and retry count), and re-sent data is idempotent on (MN, CN, DataTime, PNO).

Bounds, so that one bad device cannot stall the others:

* frames longer than ``max_frame_size`` are dropped, and the stream resynchronises on the next
  ``##`` (HJ 212-2017 Table 2: 1036 bytes; a tolerance is kept for over-long legacy frames);
* at most ``max_connections`` connections; more are closed at once;
* a connection idle for ``idle_timeout`` seconds is closed;
* each connection has at most ``max_in_flight`` frames waiting for the commit; beyond that the
  server stops reading it (TCP flow control pushes back on that device alone);
* a peer that does not read its replies blocks only its own connection (``write_timeout``).

The database work runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lantian import clock as lantian_clock
from lantian.ingest.hj212_session import FrameOutcome, examine_frame, examine_garbage
from lantian.logs import get_logger
from lantian.monitoring.devices import DeviceConfig, load_device_configs
from lantian.monitoring.hj212_store import FrameToStore, store_frames
from lantian.standards.hj212 import FrameSplitter, GarbageChunk

log = get_logger("lantian.hj212")

#: HJ 212-2017 Table 2: 2 + 4 + 1024 + 4 + 2 bytes.
STANDARD_MAX_FRAME: Final = 1036
#: What the receiver accepts: the standard frame plus a tolerance for legacy devices that send
#: over-long data segments (the codec records them as a deviation in tolerant mode).
DEFAULT_MAX_FRAME: Final = STANDARD_MAX_FRAME + 1012


@dataclass(frozen=True, slots=True)
class ReceiverLimits:
    """Bounds of the receiver (see the module docstring)."""

    max_frame_size: int = DEFAULT_MAX_FRAME
    max_connections: int = 2000
    idle_timeout: float = 600.0
    max_in_flight: int = 64
    write_timeout: float = 30.0
    read_size: int = 65536
    max_batch: int = 1000
    registry_refresh: float = 10.0


@dataclass(slots=True)
class ReceiverStats:
    """Counters, for logs, tests and the benchmark."""

    connections: int = 0
    connections_refused: int = 0
    frames: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicate: int = 0
    unstored: int = 0
    commits: int = 0


@dataclass(slots=True)
class _Pending:
    outcome: FrameOutcome
    future: asyncio.Future[str | None]


def _make_sqlite_durable(engine: Engine) -> None:
    """SQLite: ``synchronous=FULL`` on the receiver's connections.

    The platform's default (WAL + NORMAL) survives a killed process but may lose the last
    transactions on power loss; an acknowledged packet must survive both.  Group commit pays for
    the extra fsync.
    """
    if engine.dialect.name != "sqlite":
        return

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections pooled before this point would keep the weaker setting


class Hj212Receiver:
    """The receiving centre over one engine; :meth:`start` listens, :meth:`close` stops."""

    def __init__(
        self,
        engine: Engine,
        limits: ReceiverLimits | None = None,
        *,
        # The receipt time is a fact about the world: real even when the platform runs "as of"
        # a past instant (the QC job converts its cursor, lantian.monitoring.jobs).
        clock: Callable[[], datetime] = lantian_clock.real_now,
    ) -> None:
        self.engine = engine
        self.limits = limits or ReceiverLimits()
        self.clock = clock
        self.stats = ReceiverStats()
        self._devices: dict[str, DeviceConfig] = {}
        self._queue: asyncio.Queue[_Pending] | None = None
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._connection_tasks: set[asyncio.Task[None]] = set()
        self._open_connections = 0
        _make_sqlite_durable(engine)

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(
        self, host: str = "0.0.0.0", port: int = 9212, *, reuse_port: bool = False
    ) -> int:
        """Load the device registry, start the writer and listen; returns the bound port.

        ``reuse_port``: several receiver processes share the port (SO_REUSEPORT, Linux spreads
        the connections over them) — each with its own group-commit writer.
        """
        await self.reload_devices()
        self._queue = asyncio.Queue()
        self._tasks = [
            asyncio.create_task(self._writer_loop(), name="hj212-writer"),
            asyncio.create_task(self._refresh_loop(), name="hj212-registry"),
        ]
        self._server = await asyncio.start_server(
            self._on_connection,
            host,
            port,
            limit=self.limits.read_size,
            reuse_address=True,
            reuse_port=reuse_port or None,
        )
        bound = int(self._server.sockets[0].getsockname()[1])
        log.info("hj212_listening", host=host, port=bound, devices=len(self._devices))
        return bound

    async def serve_forever(self) -> None:
        assert self._server is not None, "start() first"
        await self._server.serve_forever()

    async def close(self) -> None:
        """Stop listening, let open connections' pending frames commit, stop the writer."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connection_tasks):
            task.cancel()
        await asyncio.gather(*self._connection_tasks, return_exceptions=True)
        if self._queue is not None:
            await self._queue.join()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def reload_devices(self) -> None:
        """Re-read the registry (off the event loop); new devices are known within seconds."""
        self._devices = await asyncio.to_thread(self._load_devices)

    def _load_devices(self) -> dict[str, DeviceConfig]:
        with Session(self.engine) as session:
            return load_device_configs(session)

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.limits.registry_refresh)
            try:
                await self.reload_devices()
            except Exception:  # keep serving with the registry we have
                log.exception("hj212_registry_reload_failed")

    # --- the writer (group commit) ------------------------------------------------------------

    async def _writer_loop(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            batch = [await queue.get()]
            # Whatever arrived while the previous commit ran goes into this one: at low load a
            # frame is committed alone at once, under load batches grow and fsyncs are shared.
            while len(batch) < self.limits.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            frames = [pending.outcome.store for pending in batch]
            verdicts: Sequence[str | None]
            try:
                verdicts = await asyncio.to_thread(self._commit, frames)
            except Exception:
                log.exception("hj212_batch_commit_failed", frames=len(frames))
                verdicts = await asyncio.to_thread(self._commit_one_by_one, frames)
            self.stats.commits += 1
            for pending, verdict in zip(batch, verdicts, strict=True):
                self._count(verdict)
                if not pending.future.done():
                    pending.future.set_result(verdict)
                queue.task_done()

    def _count(self, verdict: str | None) -> None:
        if verdict == "accepted":
            self.stats.accepted += 1
        elif verdict == "rejected":
            self.stats.rejected += 1
        elif verdict == "duplicate":
            self.stats.duplicate += 1
        else:
            self.stats.unstored += 1

    def _commit(self, frames: Sequence[FrameToStore]) -> list[str]:
        with self.engine.begin() as connection:
            return store_frames(connection, frames)

    def _commit_one_by_one(self, frames: Sequence[FrameToStore]) -> list[str | None]:
        """After a failed batch: each frame alone, so one bad frame cannot sink the others.

        A frame that still fails is not stored and gets no reply; its device will re-send.
        """
        verdicts: list[str | None] = []
        for frame in frames:
            try:
                verdicts.append(self._commit([frame])[0])
            except OperationalError:
                # The database itself is unavailable: trying the rest one by one would only
                # hold the writer; none of them is acknowledged, the devices re-send.
                log.exception("hj212_database_unavailable", frames=len(frames) - len(verdicts))
                verdicts += [None] * (len(frames) - len(verdicts))
                break
            except Exception:
                log.exception("hj212_frame_commit_failed", peer=frame.peer, mn=frame.mn)
                verdicts.append(None)
        return verdicts

    # --- connections --------------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self._open_connections >= self.limits.max_connections:
            self.stats.connections_refused += 1
            log.warning("hj212_connection_refused", reason="max_connections")
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._connection_tasks.add(task)
        self._open_connections += 1
        self.stats.connections += 1
        try:
            await self._serve_connection(reader, writer)
        except asyncio.CancelledError:
            # Shutdown: the task ends here.  Not re-raised because asyncio's stream callback
            # would log a cancelled connection task as an error.
            pass
        finally:
            self._open_connections -= 1
            self._connection_tasks.discard(task)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        address = writer.get_extra_info("peername")
        peer = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address)
        limits = self.limits
        splitter = FrameSplitter(limits.max_frame_size)
        in_flight = asyncio.Semaphore(limits.max_in_flight)
        replies: asyncio.Queue[tuple[_Pending, bytes | None] | None] = asyncio.Queue()
        sender = asyncio.create_task(self._send_replies(writer, replies, in_flight, peer))
        log.info("hj212_connected", peer=peer)
        closing = False
        try:
            while True:
                try:
                    async with asyncio.timeout(limits.idle_timeout):
                        data = await reader.read(limits.read_size)
                except TimeoutError:
                    log.info("hj212_idle_timeout", peer=peer)
                    break
                if not data:
                    break
                received_at = self.clock()
                for item in splitter.feed(data):
                    await self._submit(item, peer, received_at, in_flight, replies)
        except (ConnectionError, OSError) as error:
            log.info("hj212_connection_lost", peer=peer, error=str(error))
        except asyncio.CancelledError:
            closing = True  # the receiver is shutting down
            raise
        finally:
            if closing:
                # Frames already queued still commit; their acks are dropped and the devices
                # re-send them (idempotent).
                sender.cancel()
            else:
                received_at = self.clock()
                for item in splitter.flush():
                    await self._submit(item, peer, received_at, in_flight, replies)
                replies.put_nowait(None)
                # Let the pending frames commit (their acks are still worth sending if the peer
                # only half-closed), then close.
                with contextlib.suppress(Exception):
                    await sender
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            log.info("hj212_disconnected", peer=peer)

    async def _submit(
        self,
        item: bytes | GarbageChunk,
        peer: str,
        received_at: datetime,
        in_flight: asyncio.Semaphore,
        replies: asyncio.Queue[tuple[_Pending, bytes | None] | None],
    ) -> None:
        assert self._queue is not None
        await in_flight.acquire()  # backpressure: this connection waits, the others do not
        self.stats.frames += 1
        if isinstance(item, GarbageChunk):
            outcome = examine_garbage(item, peer, received_at)
        else:
            outcome = examine_frame(item, self._devices, peer, received_at)
        pending = _Pending(outcome, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(pending)
        replies.put_nowait((pending, outcome.reply))

    async def _send_replies(
        self,
        writer: asyncio.StreamWriter,
        replies: asyncio.Queue[tuple[_Pending, bytes | None] | None],
        in_flight: asyncio.Semaphore,
        peer: str,
    ) -> None:
        """Write each frame's reply, in frame order, once its batch is committed.

        Replies already committed are written together (one send for many acks); a reply is
        never held back waiting for a later frame's commit.
        """
        broken = False
        out = bytearray()

        async def flush() -> None:
            nonlocal broken
            if not out or broken:
                out.clear()
                return
            try:
                writer.write(bytes(out))
                if writer.transport.get_write_buffer_size() > 65536:
                    async with asyncio.timeout(self.limits.write_timeout):
                        await writer.drain()
            except (TimeoutError, ConnectionError, OSError) as error:
                # Keep consuming so the frames of this connection still release their slots.
                log.info("hj212_reply_failed", peer=peer, error=str(error) or "timeout")
                broken = True
                writer.transport.abort()
            out.clear()

        while True:
            if replies.empty():
                await flush()
            item = await replies.get()
            if item is None:
                await flush()
                return
            pending, reply = item
            if not pending.future.done():
                await flush()
            verdict = await pending.future
            in_flight.release()
            if verdict is not None and reply is not None:
                out += reply


async def run_receiver(
    engine: Engine,
    host: str,
    port: int,
    limits: ReceiverLimits | None = None,
    *,
    reuse_port: bool = False,
    on_listening: Callable[[int], None] | None = None,
) -> None:
    """Serve until cancelled (Ctrl+C / SIGTERM), then close cleanly."""
    receiver = Hj212Receiver(engine, limits)
    bound = await receiver.start(host, port, reuse_port=reuse_port)
    if on_listening is not None:
        on_listening(bound)
    started = time.monotonic()
    try:
        await receiver.serve_forever()
    finally:
        await receiver.close()
        log.info(
            "hj212_stopped",
            seconds=round(time.monotonic() - started, 1),
            frames=receiver.stats.frames,
            accepted=receiver.stats.accepted,
            rejected=receiver.stats.rejected,
            duplicate=receiver.stats.duplicate,
        )
