"""PostgreSQL stopped and started again under a streaming device (issue 20, faults during ingest).

A PostgreSQL server of the test's own (tests/support/postgres.py, as the ``postgres`` user under
root) and the receiver as its own process (``python -m lantian ingest hj212``).  A device streams
hourly uploads, each asking for a 9014, and re-sends what is not acknowledged within a second.
Mid-stream the server is stopped (``pg_ctl stop -m fast`` or ``-m immediate``: a crash), kept down,
and started again on the same port and data folder.  Then:

* nothing acknowledged is missing, nothing is stored twice;
* no packet first sent while the server was down was acknowledged before it came back;
* the receiver, never restarted, stores and acknowledges every packet by itself.

The throwaway server runs with ``synchronous_commit=off`` (as the suite's does): the receiver
sets it on for its own connections, and the ``immediate`` case fails without that.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from lantian.db import migrate
from lantian.db.engine import create_db_engine
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
from tests.support.postgres import PostgresServer, free_port, running_postgres

PACKETS = 400
ACKED_BEFORE_STOP = 120
DOWN_SECONDS = 3.0


def stop_server(server: PostgresServer, mode: str) -> list[str]:
    """``pg_ctl stop -m mode``; returns the server's options, to start it again as it was."""
    command_line = (server.data_dir / "postmaster.opts").read_text().strip()
    arguments = shlex.split(command_line)[1:]
    options: list[str] = []
    skip = False
    for argument in arguments:
        if skip:
            skip = False
        elif argument == "-D":
            skip = True
        else:
            options.append(argument)
    server._run("pg_ctl", "-D", str(server.data_dir), "-m", mode, "-w", "stop")
    return options


def start_server(server: PostgresServer, options: list[str]) -> None:
    server._run(
        "pg_ctl",
        "-D",
        str(server.data_dir),
        "-o",
        shlex.join(options),
        "-l",
        str(server.base_dir / "server.log"),
        "-w",
        "-t",
        "60",
        "start",
    )


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_database_restart_mid_stream_loses_no_acknowledged_packet(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_postgres() as server:
        admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE lantian_restart"))
        admin.dispose()
        url = server.url("lantian_restart")
        engine = create_db_engine(url)
        migrate.upgrade(engine)
        register_devices(engine, [AMBIENT_MN])
        engine.dispose()

        frames = hourly_uploads(PACKETS)
        port = free_port()
        receiver = ReceiverProcess(
            url,
            port,
            tmp_path,
            settings={"LANTIAN_HJ212_DATABASE_RETRY_MAX": "1", "LANTIAN_LOG_LEVEL": "INFO"},
        )
        device = ResendingDevice(port, frames, timeout=1.0, pace=0.01)
        times: dict[str, float] = {}

        async def outage() -> None:
            loop = asyncio.get_running_loop()
            while len(device.acked_at) < ACKED_BEFORE_STOP:
                await asyncio.sleep(0.01)
            times["stop_begin"] = loop.time()
            options = await asyncio.to_thread(stop_server, server, mode)
            times["stop_done"] = loop.time()
            await asyncio.sleep(DOWN_SECONDS)
            times["start_begin"] = loop.time()
            await asyncio.to_thread(start_server, server, options)
            times["start_done"] = loop.time()

        async def main() -> None:
            await asyncio.gather(device.run(45), outage())

        started = time.monotonic()
        try:
            asyncio.run(main())
            still_running = receiver.process.poll() is None
        finally:
            receiver.stop()
        seconds = time.monotonic() - started

        engine = create_db_engine(url)
        stored = Counter(stored_data_times(engine))
        engine.dispose()

    acked = set(device.acked_at)
    acked_but_lost = [qn for qn in acked if stored[data_time_of_qn(qn)] == 0]
    during_outage = [
        qn
        for qn, at in device.acked_at.items()
        if device.first_sent[qn] > times["stop_done"] and at < times["start_begin"]
    ]
    after_restart = [at for at in device.acked_at.values() if at >= times["start_done"]]
    resumed_after = min(after_restart) - times["start_done"] if after_restart else float("nan")
    log = "".join(receiver.output)
    with capsys.disabled():
        print(
            f"\nFAULTS database restart (pg_ctl stop -m {mode}, down {DOWN_SECONDS:.0f} s): "
            f"packets sent {len(device.first_sent)} ({device.transmissions} transmissions), "
            f"acknowledged {len(acked)}, stored {sum(stored.values())}, "
            f"acknowledged-but-lost {len(acked_but_lost)}, "
            f"acknowledged while down {len(during_outage)}, "
            f"first ack {resumed_after:.2f} s after the restart, "
            f"device reconnects {device.reconnects}, ack p50 "
            f"{percentile(device.latencies, 0.5) * 1000:.0f} ms, {seconds:.0f} s in all"
        )

    assert still_running, "the receiver died with the database:\n" + log
    assert acked_but_lost == [], f"{len(acked_but_lost)} acknowledged packets were lost"
    assert during_outage == [], "packets first sent while the database was down were acked"
    assert device.all_acked, (
        f"ingest did not resume: {len(acked)} of {PACKETS} acknowledged\n" + log[-3000:]
    )
    assert set(stored) == {data_time_of_qn(qn) for qn in frames}
    assert set(stored.values()) == {1}, "a re-sent packet was stored twice"
    assert "hj212_database_unavailable" in log
    assert "hj212_database_back" in log
