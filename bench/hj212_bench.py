"""Benchmark: HJ 212 decoding, and end-to-end ingest through the receiver into SQLite and PostgreSQL.

Run: .venv/bin/python bench/hj212_bench.py [--clients 16] [--seconds 10] [--rate 1000]
                                          [--pg-workers 1,2] [--skip sqlite|postgresql]
                                          [--baseline-ref COMMIT|none]

1. Decode: every frame of the two captured files (real 2016 traffic, spec PROVENANCE §3), cut by
   the FrameSplitter and decoded (tolerant, as the receiver does) three ways, measured in the
   same run: ``parse_careful`` (the parser before the fast path: the baseline), ``parse`` per
   packet (fast path with careful fallback) and ``decode_batch`` (all frames at once into a
   DataFrame, same verdicts); then also with ``records_from_packet``.  Then the path the
   receiver really runs per packet, ``examine_frame`` (device lookup, parse, checks, values,
   the 9014 reply), for this code and for the baseline commit's code (its own process), in
   packets per second of the process's CPU time (robust to other work on the machine).
   Target ≥ 100,000 packets/s.
2. End-to-end: the receiver runs as its own process (``python -m lantian ingest hj212``), as in
   production.  Devices are the MNs of the captured files; the packets are the captured data
   uploads re-sent with Flag bit A (acknowledgement required) and replayed day after day
   (DataTime shifted) so every packet is new.  ``--clients`` concurrent connections on loopback
   each keep a window of packets in flight and count 9014 acknowledgements:
   * sustained: packets acknowledged per second (target ≥ 10,000 into PostgreSQL);
   * latency: the same clients paced at ``--rate`` packets/s in total; p50/p99 from the write of
     a packet to its 9014 (target p99 < 20 ms at 1,000 packets/s).
   An acknowledgement is only sent after the database commit (SQLite ``synchronous=FULL``;
   PostgreSQL with ``fsync=on`` and ``synchronous_commit=on`` — the test server's speed-ups
   are switched off here).  PostgreSQL runs once per ``--pg-workers`` count: receiver processes
   sharing the port (``lantian ingest hj212 --workers N``), each with its own group commit.
   Other work on the machine (the load average is printed) lowers every end-to-end figure.
   ``--baseline-ref COMMIT`` also runs that commit's receiver (its ``src/``, exported with
   ``git archive``) just before each end-to-end run and prints the ratio.  The default is
   ``e21ba9d``, the receiver before the durable-ingest work of issue 19; ``none`` skips it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.support.postgres: the throw-away PostgreSQL server

from tests.support.postgres import (  # noqa: E402
    PostgresServer,
    PostgresUnavailable,
    find_bin_dir,
    free_port,
)

from lantian.db import migrate  # noqa: E402
from lantian.db.engine import create_db_engine, session_factory, transaction  # noqa: E402
from lantian.monitoring.devices import add_device  # noqa: E402
from lantian.monitoring.hj212_models import ReceivedPacket  # noqa: E402
from lantian.standards.hj212 import (  # noqa: E402
    TOLERANT,
    CpArea,
    CpItem,
    FrameSplitter,
    Hj212Error,
    Packet,
    ParseOptions,
    build,
    parse,
    parse_data_time,
    records_from_packet,
)
from lantian.standards.hj212.batch import decode_batch  # noqa: E402
from lantian.standards.hj212.codec import parse_careful  # noqa: E402

SHARED = Path(os.environ.get("LANTIAN_SHARED", REPO / ".." / "shared")).resolve()
CAPTURED = SHARED / "data" / "hj212" / "captured"
DATA_COMMANDS = {"2011", "2021", "2031", "2041", "2051", "2061"}
DECODE_TARGET = 100_000
INGEST_TARGET = 10_000
P99_TARGET_MS = 20.0
#: The landed receiver before issue 19 ("durable ingest"): the default baseline.
DEFAULT_BASELINE = "e21ba9d"
QN_IN_REPLY = re.compile(rb"QN=(\d{17})")


# --- 1. decode ----------------------------------------------------------------------------------


def captured_frames() -> list[bytes]:
    frames: list[bytes] = []
    for path in sorted(CAPTURED.glob("*.h212")):
        splitter = FrameSplitter()
        frames += [f for f in splitter.feed(path.read_bytes()) if isinstance(f, bytes)]
    return frames


def bench_decode(frames: list[bytes], repeats: int = 5) -> None:
    """Decode throughput, each figure the best of ``repeats`` runs, all in this run.

    * ``parse_careful`` is the parser as it was before the fast path: the baseline;
    * ``parse`` is what the receiver calls per frame (fast path, careful fallback);
    * ``decode_batch`` decodes all frames at once into a Polars DataFrame (same verdicts).
    """

    def best(run: Callable[[], object]) -> float:
        seconds = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            seconds = min(seconds, time.perf_counter() - start)
        return len(frames) / seconds

    def per_packet(decode: Callable[[bytes, ParseOptions], Packet], records: bool) -> None:
        for frame in frames:
            try:
                packet = decode(frame, TOLERANT)
                if records and packet.cn in DATA_COMMANDS:
                    records_from_packet(packet)
            except Hj212Error:
                pass

    failures = sum(1 for row in decode_batch(frames, TOLERANT)["ok"].to_list() if not row)
    data = b"".join(frames)
    split_rate = best(lambda: FrameSplitter().feed(data))
    careful = best(lambda: per_packet(parse_careful, False))
    fast = best(lambda: per_packet(parse, False))
    batch = best(lambda: decode_batch(frames, TOLERANT))
    careful_records = best(lambda: per_packet(parse_careful, True))
    fast_records = best(lambda: per_packet(parse, True))

    def ratios(rate: float) -> str:
        return (
            f"{rate / DECODE_TARGET:.2f}× the target {DECODE_TARGET:,}, "
            f"{rate / careful:.2f}× the baseline"
        )

    print(f"decode: {len(frames):,} captured frames ({failures} rejected by the codec), tolerant")
    print(f"  FrameSplitter only                 {split_rate:>10,.0f} frames/s")
    print(f"  baseline: parse_careful per packet {careful:>10,.0f} packets/s   {ratios(careful)}")
    print(f"  parse per packet (fast path)       {fast:>10,.0f} packets/s   {ratios(fast)}")
    print(f"  decode_batch, all frames at once   {batch:>10,.0f} packets/s   {ratios(batch)}")
    print(
        f"  with records_from_packet: parse_careful {careful_records:,.0f}, "
        f"parse {fast_records:,.0f} packets/s"
    )


_RECEIVER_PATH = """
import json, sys, time
from datetime import UTC, datetime
from pathlib import Path
from lantian.ingest.hj212_session import examine_frame
from lantian.monitoring.devices import DeviceConfig
from lantian.standards.hj212 import TOLERANT, FrameSplitter, Hj212Error, ParseOptions, parse

frames = []
for path in sorted(Path(sys.argv[1]).glob("*.h212")):
    frames += [f for f in FrameSplitter().feed(path.read_bytes()) if isinstance(f, bytes)]
mns = set()
for frame in frames:
    try:
        mn = parse(frame, TOLERANT).mn
    except Hj212Error:
        continue
    if mn:
        mns.add(mn)
# Every device registered as the bench's end-to-end runs register them (add_device defaults).
devices = {
    mn: DeviceConfig(
        id=number, mn=mn, password="123456", station_id=None, source_code=None,
        protocol="auto", crc_mode="hj212", parse_mode="tolerant", active=True,
        options=ParseOptions(mode="tolerant", crc_mode="hj212"),
    )
    for number, mn in enumerate(sorted(mns), 1)
}
received_at = datetime.now(UTC)
kinds = {}
best = float("inf")
for _ in range(int(sys.argv[2])):
    # CPU time of this process: on a machine shared with other work, wall time mostly measures
    # how long the process waited for a core.
    start = time.process_time()
    for frame in frames:
        examine_frame(frame, devices, "127.0.0.1:9", received_at)
    best = min(best, time.process_time() - start)
for frame in frames:
    outcome = examine_frame(frame, devices, "127.0.0.1:9", received_at)
    key = outcome.store.verdict + "/" + str(outcome.reply_kind)
    kinds[key] = kinds.get(key, 0) + 1
print(json.dumps({"rate": len(frames) / best, "outcomes": kinds}))
"""


def receiver_path_rate(source: Path | None, repeats: int = 5) -> tuple[float, dict[str, int]]:
    """``examine_frame`` over every captured frame, in a process of its own on ``source``'s code.

    Every MN is registered (as in the end-to-end runs), so each frame takes the whole path:
    device lookup, parse, password and version checks, values per code and the reply.
    """
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", _RECEIVER_PATH, str(CAPTURED), str(repeats)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    answer = json.loads(result.stdout)
    return float(answer["rate"]), dict(answer["outcomes"])


def bench_receiver_path(baseline: Path | None, ref: str | None) -> None:
    """The receiver's per-packet decision (``examine_frame``): this code and the baseline's."""
    rate, outcomes = receiver_path_rate(None)
    print(
        "receiver path: examine_frame per packet (device lookup, parse, checks, values, reply), "
        "per second of CPU"
    )
    if baseline is not None:
        before, before_outcomes = receiver_path_rate(baseline)
        print(
            f"  baseline {ref}: {before:>10,.0f} packets/s   "
            f"{before / DECODE_TARGET:.2f}× the target {DECODE_TARGET:,}"
        )
        if before_outcomes != outcomes:
            print(f"  — outcomes differ from the baseline's! {before_outcomes} vs {outcomes}")
    print(
        f"  this code:         {rate:>10,.0f} packets/s   "
        f"{rate / DECODE_TARGET:.2f}× the target {DECODE_TARGET:,}"
        + (f", {rate / before:.2f}× the baseline" if baseline is not None else "")
    )
    print(f"  outcomes (verdict/reply): {outcomes}")


# --- 2. end-to-end ------------------------------------------------------------------------------


def replay_packets(frames: list[bytes], count: int) -> tuple[list[str], list[bytes]]:
    """``count`` acked data uploads: the captured ones, replayed with DataTime shifted by days."""
    uploads: dict[tuple[object, ...], Packet] = {}
    for frame in frames:
        try:
            packet = parse(frame, TOLERANT)
        except Hj212Error:
            continue
        if packet.cn in DATA_COMMANDS and packet.mn and packet.data_time:
            uploads.setdefault((packet.mn, packet.cn, packet.data_time), packet)
    originals = list(uploads.values())
    mns = sorted({str(p.mn) for p in originals})
    out: list[bytes] = []
    day = 0
    while len(out) < count:
        for packet in originals:
            if len(out) == count:
                break
            original = str(packet.data_time)
            shifted = parse_data_time(original) + timedelta(days=day)
            stamp = shifted.strftime("%Y%m%d%H%M%S") + original[14:]
            cp = CpArea(
                tuple(
                    tuple(CpItem(i.key, stamp if i.key == "DataTime" else i.value) for i in group)
                    for group in packet.cp.groups
                )
            )
            flag = "5" if packet.flags is not None and packet.flags.version_bits == 1 else "1"
            qn = f"{len(out) + 1:017d}"
            out.append(build(replace(packet, qn=qn, flag=flag, cp=cp, crc=None, header_order=None)))
        day += 1
    return mns, out


def prepare_database(url: str, mns: list[str]) -> None:
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    with transaction(session_factory(engine)) as session:
        for mn in mns:
            add_device(session, mn, password="123456", crc_mode="hj212", parse_mode="tolerant")
    engine.dispose()


_PREPARE = """
import json, sys
from lantian.db import migrate
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.monitoring.devices import add_device
engine = create_db_engine(sys.argv[1])
migrate.upgrade(engine)
with transaction(session_factory(engine)) as session:
    for mn in json.loads(sys.stdin.read()):
        add_device(session, mn, password="123456", crc_mode="hj212", parse_mode="tolerant")
engine.dispose()
"""


class DurablePostgres(PostgresServer):
    """The test suite's throw-away server, but durable: fsync and synchronous commit on.

    The test server trades durability for speed (``fsync=off``); an acknowledgement measured
    here must mean the packet survives a crash of the machine, so the defaults are kept.
    """

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data_dir), "-U", "lantian", "--auth=trust")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.base_dir} -c max_connections=100"
        )
        log = str(self.base_dir / "server.log")
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", log, "-w", "start")


@contextlib.contextmanager
def durable_postgres() -> Iterator[PostgresServer]:
    run_as = None
    base_dir = Path(tempfile.mkdtemp(prefix="lantian-bench-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses root; as in tests/support/postgres.py
        run_as = os.environ.get("LANTIAN_PG_USER", "postgres")
        if shutil.which("runuser") is None:
            raise PostgresUnavailable("running as root but `runuser` is missing")
        shutil.chown(base_dir, user=run_as)
        base_dir.chmod(0o700)
    server = DurablePostgres(find_bin_dir(), base_dir, free_port(), run_as)
    try:
        server.start()
        yield server
    finally:
        server.stop()


class Receiver:
    """The receiver process(es); ready when it prints its listening line."""

    def __init__(
        self, url: str, port: int, workdir: Path, workers: int = 1, source: Path | None = None
    ) -> None:
        env = {**os.environ, "LANTIAN_DATABASE_URL": url, "LANTIAN_LOG_LEVEL": "WARNING"}
        env["LANTIAN_DATA_DIR"] = str(workdir)
        # Each bench client stands for many devices: no per-connection rate limit (a real
        # logger sends a few frames a minute; the limit is for floods).
        env["LANTIAN_HJ212_MAX_FRAMES_PER_SECOND"] = "0"
        if source is not None:  # another version's code ahead of the installed one
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
        command = ["ingest", "hj212", "--host", "127.0.0.1", "--port", str(port)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lantian", *command, "--workers", str(workers)],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()

        def watch() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                if "listening on" in line:
                    ready.set()
                elif "error" in line.lower():
                    print("  receiver:", line.rstrip())

        threading.Thread(target=watch, daemon=True).start()
        if not ready.wait(60):
            self.process.kill()
            raise SystemExit("receiver did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


async def drive(
    port: int, frames: list[bytes], clients: int, window: int, rate: float | None
) -> tuple[float, list[float]]:
    """Send ``frames`` over ``clients`` connections; returns (elapsed s, ack latencies in s).

    Unpaced (``rate=None``): each client keeps ``window`` packets unacknowledged.  Paced: the
    clients together send ``rate`` packets/s on a fixed schedule.
    """
    shares = [frames[i::clients] for i in range(clients)]
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def client(index: int, share: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sent_at: dict[bytes, float] = {}
        slots = asyncio.Semaphore(window)
        done = asyncio.Event()
        remaining = len(share)

        async def receive() -> None:
            nonlocal remaining
            while remaining:
                line = await reader.readuntil(b"\r\n")
                match = QN_IN_REPLY.search(line)
                if match is None or b"CN=9014" not in line:
                    raise SystemExit(f"unexpected reply {line!r}")
                latencies.append(loop.time() - sent_at.pop(match.group(1)))
                slots.release()
                remaining -= 1
            done.set()

        receiver = asyncio.create_task(receive())
        interval = clients / rate if rate else 0.0
        first = start + index * interval / clients
        for number, frame in enumerate(share):
            if rate:
                delay = first + number * interval - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            await slots.acquire()
            qn = QN_IN_REPLY.search(frame)
            assert qn is not None
            sent_at[qn.group(1)] = loop.time()
            writer.write(frame)
            if writer.transport.get_write_buffer_size() > 65536:
                await writer.drain()
        await done.wait()
        await receiver
        writer.close()

    await asyncio.gather(*(client(i, share) for i, share in enumerate(shares)))
    return loop.time() - start, latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_backend(
    name: str,
    url: str,
    mns: list[str],
    frames: list[bytes],
    args: argparse.Namespace,
    workers: int = 1,
    source: Path | None = None,
    label: str = "",
) -> tuple[float, float]:
    """One end-to-end run; returns (sustained packets/s, paced p99 in ms).  ``source``: the
    receiver's code."""
    if source is None:
        prepare_database(url, mns)
    else:
        # That version's own migrations: a receiver refuses a schema newer than its own.
        subprocess.run(
            [sys.executable, "-c", _PREPARE, url],
            input=json.dumps(mns),
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(source)},
        )
    sustained_count = min(len(frames), int(args.seconds * args.expected_rate))
    sustained = frames[:sustained_count]
    paced = frames[sustained_count : sustained_count + int(args.rate * args.paced_seconds)]
    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        receiver = Receiver(url, port, Path(workdir), workers, source)
        try:
            asyncio.run(drive(port, frames[-200:], 4, 16, None))  # warm-up: connections, caches
            elapsed, latencies = asyncio.run(drive(port, sustained, args.clients, 64, None))
            rate = len(sustained) / elapsed
            _, paced_latencies = asyncio.run(drive(port, paced, args.clients, 64, args.rate))
        finally:
            receiver.stop()
    engine = create_engine(url)
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(ReceivedPacket.__table__))
    engine.dispose()
    expected = 200 + len(sustained) + len(paced)
    target = (
        f"  {rate / INGEST_TARGET:.2f}× the target {INGEST_TARGET:,}"
        if name == "PostgreSQL"
        else ""
    )
    print(
        f"end-to-end into {name}{label} ({workers} receiver process{'es' if workers > 1 else ''}, "
        f"{args.clients} clients, acks awaited, {stored:,} packets stored"
        f"{'' if stored == expected else f' — expected {expected:,}!'})"
    )
    print(f"  sustained        {rate:>10,.0f} packets/s over {len(sustained):,} packets{target}")
    print(
        f"  ack latency at full load: p50 {percentile(latencies, 0.5) * 1000:6.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms"
    )
    p99 = percentile(paced_latencies, 0.99) * 1000
    print(
        f"  paced {args.rate:,.0f}/s: p50 {percentile(paced_latencies, 0.5) * 1000:6.1f} ms, "
        f"p99 {p99:6.1f} ms   ({p99 / P99_TARGET_MS:.2f}× the {P99_TARGET_MS:.0f} ms limit; "
        "below 1 meets it)"
    )
    return rate, p99


@contextlib.contextmanager
def baseline_source(ref: str | None) -> Iterator[Path | None]:
    """``src/`` of the git commit ``ref``, exported to a temporary directory (or ``None``)."""
    if ref is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="lantian-baseline-") as directory:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "src"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", directory], input=archive, check=True)
        yield Path(directory) / "src"


def compare(
    run: Callable[[Path | None, str], tuple[float, float]],
    baseline: Path | None,
    ref: str | None,
) -> None:
    """Run the baseline receiver (if any) and then the current one, and print the ratios."""
    before = run(baseline, f" — baseline {ref}") if baseline is not None else None
    after = run(None, "")
    if before is not None:
        print(
            f"  against the baseline {ref} measured just before: sustained "
            f"{after[0] / before[0]:.2f}×, paced p99 {after[1] / before[1]:.2f}× "
            "(below 1 is faster)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the sustained run")
    parser.add_argument("--expected-rate", type=float, default=10000.0, help="sizes the run")
    parser.add_argument("--rate", type=float, default=1000.0, help="paced packets/s")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument(
        "--pg-workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2],
        help="receiver processes sharing the port, one PostgreSQL run each (e.g. 1,2)",
    )
    parser.add_argument("--skip", choices=["sqlite", "postgresql"], action="append", default=[])
    parser.add_argument(
        "--baseline-ref",
        default=DEFAULT_BASELINE,
        help="git commit whose receiver also runs, just before, for the ratio "
        f"(default {DEFAULT_BASELINE}; 'none' for no baseline)",
    )
    args = parser.parse_args()
    if args.baseline_ref in ("", "none"):
        args.baseline_ref = None

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (other work shares them)")
    frames = captured_frames()
    bench_decode(frames)
    total = int(args.seconds * args.expected_rate + args.rate * args.paced_seconds) + 200
    mns, packets = replay_packets(frames, total)
    print(f"replayed {len(packets):,} acknowledged uploads of {len(mns)} devices")
    with baseline_source(args.baseline_ref) as baseline:
        bench_receiver_path(baseline, args.baseline_ref)
        if "sqlite" not in args.skip:

            def sqlite_run(source: Path | None, label: str) -> tuple[float, float]:
                with tempfile.TemporaryDirectory() as directory:
                    url = f"sqlite:///{directory}/bench.sqlite3"
                    return bench_backend("SQLite", url, mns, packets, args, 1, source, label)

            compare(sqlite_run, baseline, args.baseline_ref)
        if "postgresql" not in args.skip:
            with durable_postgres() as server:
                admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    fsync = connection.execute(text("SHOW fsync")).scalar()
                    synchronous = connection.execute(text("SHOW synchronous_commit")).scalar()
                    print(f"PostgreSQL: fsync={fsync}, synchronous_commit={synchronous}")
                    for workers in args.pg_workers:

                        def postgres_run(
                            source: Path | None, label: str, n: int = workers
                        ) -> tuple[float, float]:
                            database = f"hj212_bench_{n}{'_baseline' if source else ''}"
                            # Each run starts with the previous run's writes flushed, so that
                            # its checkpoint does not fall into the next run (run order bias).
                            connection.execute(text("CHECKPOINT"))
                            connection.execute(text(f"CREATE DATABASE {database}"))
                            url = make_url(server.url()).set(database=database)
                            return bench_backend(
                                "PostgreSQL",
                                url.render_as_string(False),
                                mns,
                                packets,
                                args,
                                n,
                                source,
                                label,
                            )

                        compare(postgres_run, baseline, args.baseline_ref)
                admin.dispose()


if __name__ == "__main__":
    main()
