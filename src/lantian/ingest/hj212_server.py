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
* at most ``max_connections`` connections, and at most ``max_connections_per_address`` from one
  IP address; more are closed at once;
* a connection idle for ``idle_timeout`` seconds is closed, and so is one that sends no first
  frame, or does not finish a frame it began, within ``frame_timeout`` seconds (slowloris: a byte
  at a time, or nothing at all);
* once a connection has spent its burst of ``frame_burst`` frames, it is read at
  ``max_frames_per_second`` (the reading waits; TCP pushes back on that device alone), so that one
  device's flood — valid frames or garbage, each of which is stored — cannot take the writer;
* each connection has at most ``max_in_flight`` frames waiting for the commit; beyond that the
  server stops reading it (TCP flow control pushes back on that device alone);
* a peer that does not read its replies blocks only its own connection (``write_timeout``).

The database work runs in a worker thread, never on the event loop.

Faults of the database (stopped, restarted, unreachable, disk full): a batch whose commit fails
is not acknowledged — no frame is spooled anywhere, the devices keep them and re-send on the
missing 9014 — and the writer tries again after a back-off (0.2 s doubling to
``database_retry_max``); frames that arrive meanwhile wait for that attempt.  Ingest resumes by
itself once the database answers; the pool's pre-ping replaces the connections the restart
broke.  A full disk is reported as such (``hj212_storage_full``).
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from lantian import clock as lantian_clock
from lantian.ingest.hj212_session import FrameOutcome, examine_frame, examine_garbage
from lantian.logs import get_logger
from lantian.monitoring.devices import DeviceConfig, load_device_configs
from lantian.monitoring.hj212_store import FrameToStore, store_frames
from lantian.standards.hj212 import FrameSplitter, GarbageChunk

if TYPE_CHECKING:
    from lantian.config import Settings

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
    max_connections_per_address: int = 100
    idle_timeout: float = 600.0
    frame_timeout: float = 60.0
    #: 0: no rate limit.
    max_frames_per_second: float = 50.0
    frame_burst: int = 1500
    max_in_flight: int = 64
    write_timeout: float = 30.0
    read_size: int = 65536
    max_batch: int = 1000
    registry_refresh: float = 10.0
    database_retry_initial: float = 0.2
    database_retry_max: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ReceiverLimits:
        """The bounds an installation configured (``LANTIAN_HJ212_*``), with ``overrides``."""
        configured: dict[str, Any] = {
            "max_connections": settings.hj212_max_connections,
            "max_connections_per_address": settings.hj212_max_connections_per_address,
            "idle_timeout": settings.hj212_idle_timeout,
            "frame_timeout": settings.hj212_frame_timeout,
            "max_frame_size": settings.hj212_max_frame_size,
            "max_frames_per_second": settings.hj212_max_frames_per_second,
            "frame_burst": settings.hj212_frame_burst,
            "database_retry_max": settings.hj212_database_retry_max,
        }
        configured.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**configured)


@dataclass(slots=True)
class ReceiverStats:
    """Counters, for logs, tests and the benchmark."""

    connections: int = 0
    connections_refused: int = 0
    #: Of ``connections_refused``: refused for the per-address bound.
    refused_per_address: int = 0
    idle_timeouts: int = 0
    frame_timeouts: int = 0
    #: Times a connection's reading waited for the rate limit.
    throttled: int = 0
    frames: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicate: int = 0
    unstored: int = 0
    commits: int = 0
    #: Commits that failed because the database could not be reached (or its disk was full).
    database_failures: int = 0


@dataclass(slots=True)
class _Pending:
    outcome: FrameOutcome
    future: asyncio.Future[str | None]


def _make_durable(engine: Engine) -> None:
    """Commits that outlive a crash, on the receiver's connections whatever the server's setting.

    SQLite: ``synchronous=FULL``.  The platform's default (WAL + NORMAL) survives a killed
    process but may lose the last transactions on power loss; an acknowledged packet must survive
    both.  Group commit pays for the extra fsync.

    PostgreSQL: ``synchronous_commit=on``.  A server run with ``synchronous_commit=off`` returns
    from COMMIT before the WAL is written, and an immediate stop or crash then loses commits the
    receiver has acknowledged (the database-restart test shows it on such a server).
    """
    if engine.dialect.name == "sqlite":
        statement = "PRAGMA synchronous=FULL"
    elif engine.dialect.name == "postgresql":
        statement = "SET synchronous_commit TO on"
    else:
        return

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        if engine.dialect.name == "postgresql":
            dbapi_connection.commit()  # psycopg opened a transaction for the SET

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
        self._connections_of: Counter[str] = Counter()
        #: Database outage: loop time of the next attempt, the current back-off, when it began.
        self._retry_at = 0.0
        self._retry_delay = 0.0
        self._outage_since: float | None = None
        self._outage_problem: str | None = None
        _make_durable(engine)

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
            except DBAPIError as error:
                # The database is down: the writer reports the outage; keep the registry we have.
                log.warning("hj212_registry_reload_failed", error=type(error.orig).__name__)
            except Exception:  # keep serving with the registry we have
                log.exception("hj212_registry_reload_failed")

    # --- the writer (group commit) ------------------------------------------------------------

    async def _writer_loop(self) -> None:
        assert self._queue is not None
        queue = self._queue
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            wait = self._retry_at - loop.time()
            if wait > 0:
                # The database failed a moment ago: the next attempt waits for the back-off,
                # and what arrives meanwhile joins it (bounded per connection by max_in_flight).
                await asyncio.sleep(wait)
            # Whatever arrived while the previous commit ran goes into this one: at low load a
            # frame is committed alone at once, under load batches grow and fsyncs are shared.
            while len(batch) < self.limits.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            frames = [pending.outcome.store for pending in batch]
            verdicts: Sequence[str | None]
            try:
                verdicts = await asyncio.to_thread(self._commit, frames)
            except DBAPIError as error:
                if not _database_unavailable(error):
                    log.exception("hj212_batch_commit_failed", frames=len(frames))
                    verdicts = await asyncio.to_thread(self._commit_one_by_one, frames)
                else:
                    # Nothing of the batch is stored, so nothing is acknowledged; the devices
                    # re-send (HJ 212-2017 Table 1: timeout and retry count).
                    self._database_failed(error, len(frames), loop.time())
                    verdicts = [None] * len(frames)
            except Exception:
                log.exception("hj212_batch_commit_failed", frames=len(frames))
                verdicts = await asyncio.to_thread(self._commit_one_by_one, frames)
            else:
                self._database_answered(loop.time())
            self.stats.commits += 1
            for pending, verdict in zip(batch, verdicts, strict=True):
                self._count(verdict)
                if not pending.future.done():
                    pending.future.set_result(verdict)
                queue.task_done()

    def _database_failed(self, error: DBAPIError, frames: int, now: float) -> None:
        """Back off (doubling up to ``database_retry_max``) and say what is wrong, once."""
        self.stats.database_failures += 1
        limits = self.limits
        self._retry_delay = min(
            limits.database_retry_max, max(limits.database_retry_initial, self._retry_delay * 2)
        )
        self._retry_at = now + self._retry_delay
        first = self._outage_since is None
        if first:
            self._outage_since = now
        detail = str(error.orig) if error.orig is not None else str(error)
        detail = detail.strip().splitlines()[0] if detail.strip() else ""
        problem = _storage_problem(error)
        if not first and problem == self._outage_problem:
            log.info("hj212_database_still_unavailable", retry_in=round(self._retry_delay, 2))
            return
        self._outage_problem = problem
        context = {"frames": frames, "retry_in": round(self._retry_delay, 2), "error": detail}
        if problem == "full":
            log.error(
                "hj212_storage_full",
                message="数据库所在磁盘已满：数据包未入库、不予确认（设备将重发），请释放空间 / "
                "the disk holding the database is full: packets are not stored and not "
                "acknowledged (devices re-send them) until space is freed",
                **context,
            )
        elif problem == "unwritable":
            soft_limit, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
            limit = (
                f"; a file-size limit (RLIMIT_FSIZE) of {soft_limit} bytes is in force"
                if soft_limit != resource.RLIM_INFINITY
                else ""
            )
            log.error(
                "hj212_storage_unwritable",
                message="数据库文件无法写入（磁盘已满、文件大小限制或磁盘故障）：数据包未入库、"
                "不予确认（设备将重发） / the database's files cannot be written (the disk is "
                "full, a file-size limit is reached, or the disk fails): packets are not stored "
                f"and not acknowledged (devices re-send them) until it is resolved{limit}",
                **context,
            )
        else:
            log.error(
                "hj212_database_unavailable",
                message="数据库不可用：数据包不予确认，设备将重发；自动重连 / the database is "
                "unavailable: packets are not acknowledged (devices re-send them); reconnecting",
                **context,
            )

    def _database_answered(self, now: float) -> None:
        if self._outage_since is not None:
            log.warning("hj212_database_back", outage_seconds=round(now - self._outage_since, 1))
        self._outage_since = None
        self._outage_problem = None
        self._retry_delay = 0.0
        self._retry_at = 0.0

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
            except (OperationalError, InterfaceError):
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
        address = writer.get_extra_info("peername")
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        if self._open_connections >= self.limits.max_connections:
            self._refuse(writer, host, "max_connections")
            return
        if self._connections_of[host] >= self.limits.max_connections_per_address:
            self.stats.refused_per_address += 1
            self._refuse(writer, host, "max_connections_per_address")
            return
        task = asyncio.current_task()
        assert task is not None
        self._connection_tasks.add(task)
        self._open_connections += 1
        self._connections_of[host] += 1
        self.stats.connections += 1
        try:
            await self._serve_connection(reader, writer)
        except asyncio.CancelledError:
            # Shutdown: the task ends here.  Not re-raised because asyncio's stream callback
            # would log a cancelled connection task as an error.
            pass
        finally:
            self._open_connections -= 1
            self._connections_of[host] -= 1
            if self._connections_of[host] <= 0:
                del self._connections_of[host]
            self._connection_tasks.discard(task)

    def _refuse(self, writer: asyncio.StreamWriter, host: str, reason: str) -> None:
        self.stats.connections_refused += 1
        # Once per hundred: a flood of refused connections must not flood the log as well.
        if self.stats.connections_refused % 100 == 1:
            log.warning(
                "hj212_connection_refused",
                reason=reason,
                address=host,
                refused_so_far=self.stats.connections_refused,
            )
        writer.close()

    async def _read(
        self, reader: asyncio.StreamReader, frame_deadline: float | None, peer: str
    ) -> bytes | None:
        """The next bytes, or ``None`` when the connection is to be closed for its slowness."""
        limits = self.limits
        timeout = limits.idle_timeout
        if frame_deadline is not None:
            timeout = min(timeout, frame_deadline - asyncio.get_running_loop().time())
        try:
            if timeout <= 0:
                raise TimeoutError
            async with asyncio.timeout(timeout):
                return await reader.read(limits.read_size)
        except TimeoutError:
            if timeout < limits.idle_timeout:
                self.stats.frame_timeouts += 1
                log.info("hj212_frame_timeout", peer=peer, seconds=limits.frame_timeout)
            else:
                self.stats.idle_timeouts += 1
                log.info("hj212_idle_timeout", peer=peer)
            return None

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        address = writer.get_extra_info("peername")
        peer = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address)
        limits = self.limits
        loop = asyncio.get_running_loop()
        splitter = FrameSplitter(limits.max_frame_size)
        in_flight = asyncio.Semaphore(limits.max_in_flight)
        replies: asyncio.Queue[tuple[_Pending, bytes | None] | None] = asyncio.Queue()
        sender = asyncio.create_task(self._send_replies(writer, replies, in_flight, peer))
        log.info("hj212_connected", peer=peer)
        closing = False
        # The first frame is due within frame_timeout of connecting; later, a frame once begun
        # is due within frame_timeout of the first byte after the previous frame.
        frame_deadline: float | None = loop.time() + limits.frame_timeout
        rate = limits.max_frames_per_second
        tokens = float(limits.frame_burst)
        refilled = loop.time()
        try:
            while True:
                data = await self._read(reader, frame_deadline, peer)
                if not data:
                    break
                received_at = self.clock()
                items = splitter.feed(data)
                if any(type(item) is bytes for item in items):
                    # A frame is complete; what is left over began in this read.
                    frame_deadline = (
                        loop.time() + limits.frame_timeout if splitter.buffered else None
                    )
                elif frame_deadline is None:
                    # Bytes after the last frame begin the next one — garbage too, so that a
                    # trickle of stray bytes cannot hold the connection either.
                    frame_deadline = loop.time() + limits.frame_timeout
                for item in items:
                    if rate > 0:
                        now = loop.time()
                        tokens = min(float(limits.frame_burst), tokens + (now - refilled) * rate)
                        refilled = now
                        if tokens < 1:
                            # This connection is read more slowly; the others are not.
                            self.stats.throttled += 1
                            await asyncio.sleep((1 - tokens) / rate)
                            tokens, refilled = 1.0, loop.time()
                        tokens -= 1
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
            unstored=receiver.stats.unstored,
            connections_refused=receiver.stats.connections_refused,
            frame_timeouts=receiver.stats.frame_timeouts,
            throttled=receiver.stats.throttled,
            database_failures=receiver.stats.database_failures,
        )


#: Text of the errors a full disk gives: SQLite ``SQLITE_FULL``, PostgreSQL's ``could not
#: extend file`` (SQLSTATE 53100), the operating system's ENOSPC.
_DISK_FULL_TEXTS: Final = ("disk is full", "no space left on device", "could not extend file")
#: SQLite primary result codes (``sqlite_errorcode & 0xFF``) and PostgreSQL SQLSTATEs.
_SQLITE_FULL: Final = 13
_SQLITE_IOERR: Final = 10
_PG_DISK_FULL: Final = "53100"
_PG_IO_ERROR: Final = "58030"


def _storage_problem(error: DBAPIError) -> str | None:
    """``"full"`` (no space left), ``"unwritable"`` (a write failed: a full disk, a file-size
    limit — SQLite reports EFBIG as an I/O error — or a failing disk) or ``None``."""
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    text = str(original if original is not None else error).lower()
    if (
        sqlstate == _PG_DISK_FULL
        or (isinstance(sqlite_code, int) and sqlite_code & 0xFF == _SQLITE_FULL)
        or any(marker in text for marker in _DISK_FULL_TEXTS)
    ):
        return "full"
    if sqlstate == _PG_IO_ERROR or (
        isinstance(sqlite_code, int) and sqlite_code & 0xFF == _SQLITE_IOERR
    ):
        return "unwritable"
    return None


def _database_unavailable(error: DBAPIError) -> bool:
    """An error of the database rather than of the frames: retrying them one by one is futile.

    Lost or refused connections (OperationalError, InterfaceError, a connection SQLAlchemy
    invalidated), a locked SQLite file, a full disk.
    """
    return (
        isinstance(error, OperationalError | InterfaceError)
        or error.connection_invalidated
        or _storage_problem(error) is not None
    )
