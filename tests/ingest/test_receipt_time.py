"""Receipt times are the world's, judgements on them the platform's: a platform running "as of" a
past instant (``LANTIAN_AS_OF``) still stamps what its HJ 212 receiver receives with the real time,
and the QC job, whose cursor is a platform instant, converts it before comparing."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lantian import clock
from lantian.config import Settings
from lantian.db.audited import acting_as
from lantian.db.engine import create_db_engine, session_factory, transaction
from lantian.ingest.hj212_server import Hj212Receiver
from lantian.monitoring.hj212_models import RawFrame
from lantian.monitoring.jobs import qc_new_hours
from lantian.monitoring.models import Measurement, Station
from lantian.scheduler.registry import JobContext

AS_OF = datetime(2018, 1, 22, 2, 0, tzinfo=UTC)


def test_real_time_under_an_as_of_clock_and_the_clock_s_own_instant_otherwise() -> None:
    with clock.use(clock.AsOfClock(AS_OF)):
        assert clock.now() - AS_OF < timedelta(seconds=5)
        assert abs(clock.real_now() - datetime.now(UTC)) < timedelta(seconds=5)
        an_hour_ago = clock.now() - timedelta(hours=1)
        converted = clock.real_time_of(an_hour_ago)
        assert abs(converted - (datetime.now(UTC) - timedelta(hours=1))) < timedelta(seconds=5)
    frozen = clock.FrozenClock(AS_OF)
    with clock.use(frozen):  # tests and the demo's loading: the frozen instant is the world's
        assert clock.real_now() == AS_OF and clock.real_time_of(AS_OF) == AS_OF


@pytest.fixture
def engine(db_url: str) -> Engine:
    return create_db_engine(db_url)


@pytest.mark.db
def test_the_receiver_stamps_the_real_time_when_the_platform_runs_as_of(engine: Engine) -> None:
    async def main() -> None:
        receiver = Hj212Receiver(engine)
        port = await receiver.start("127.0.0.1", 0)
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"not a frame at all\r\n")
            await writer.drain()
            for _ in range(100):
                with session_factory(engine)() as session:
                    if session.scalar(select(func.count()).select_from(RawFrame)):
                        break
                await asyncio.sleep(0.05)
            writer.close()
        finally:
            await receiver.close()

    with clock.use(clock.AsOfClock(AS_OF), process_wide=True):
        assert clock.now().year == 2018
        asyncio.run(main())
    with session_factory(engine)() as session:
        received = session.scalar(select(RawFrame.received_at))
    assert received is not None
    assert abs(received - datetime.now(UTC)) < timedelta(minutes=2)


@pytest.mark.db
def test_the_qc_job_counts_as_new_only_what_was_received_since_its_last_run(
    engine: Engine, tmp_path: Path
) -> None:
    sessions = session_factory(engine)
    real = datetime.now(UTC)
    with transaction(sessions) as session, acting_as(session, "test"):
        station = Station(code="9999A", name="测试站", city="新密")
        session.add(station)
        session.flush()
        session.add(
            Measurement(station_id=station.id, pollutant="pm25", averaging="1h",
                        period_end=datetime(2018, 1, 21, 10, tzinfo=UTC), value=80.0,
                        flag="N", source="hj212", received_at=real - timedelta(hours=2))
        )  # fmt: skip
    with clock.use(clock.AsOfClock(AS_OF)):
        context = JobContext(
            sessions=sessions,
            settings=Settings(data_dir=tmp_path),
            now=clock.now(),
            last_success=clock.now() - timedelta(hours=1),
            actor="system:job:monitoring.qc",
        )
        # Received two hours ago, before the last run an hour ago: nothing new.
        assert "no new values" in qc_new_hours(context)
        earlier = dataclasses.replace(context, last_success=clock.now() - timedelta(hours=3))
        assert "no new values" not in qc_new_hours(earlier)
