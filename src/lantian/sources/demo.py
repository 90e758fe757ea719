"""The registers' sample data for the demo: each kind's ``sample`` rows for the plan's areas,
then a realistic share of them taken through their lifecycle by the office and the inspectors —
field checks item by item with photos, steps with notes — through the one write path, as in
August–September 2017 (the plan's first months). Marked as sample (示例数据) everywhere.

Generic over :func:`lantian.sources.registry.kinds`: a kind's entries move along the transitions
its table offers the office; a guarded step is prepared by a field check passing every item with
photos (the evidence the plan asks for), so a closing-off happens only as the kind's guard allows.
"""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import ServiceError
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.registry import RegisterKind, SampleContext, kinds

#: Who acts in the demo: the office (steps) and the inspection team (field checks).
DEMO_OFFICE = Principal("demo-office", "campaign_office")
DEMO_INSPECTOR = Principal("demo-inspector", "inspector")
#: When the sample registers are drawn up, and how the steps spread over the weeks after.
SAMPLE_START = datetime(2017, 8, 1, 1, 0, tzinfo=UTC)
SEED = 2017
#: The share of entries taken through steps, and at most how many per kind (keeps the demo fast).
SHARE = 0.4
MOST = 40


def png_photo(width: int, height: int, colour: tuple[int, int, int], stripe: int) -> bytes:
    """A small valid PNG (a coloured field with a darker diagonal stripe), written by hand:
    the demo's site photos, without an imaging library."""
    red, green, blue = colour
    lines = []
    for y in range(height):
        line = bytearray([0])  # filter type 0 per scanline
        for x in range(width):
            dark = abs((x + stripe) % width - y * width // height) < 4
            line += bytes((red // 2, green // 2, blue // 2) if dark else (red, green, blue))
        lines.append(bytes(line))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(lines), 9))
        + chunk(b"IEND", b"")
    )


def _photos(kind: RegisterKind, rng: Random) -> list[service.UploadedFile]:
    return [
        service.UploadedFile(
            f"{item.key}.png",
            png_photo(
                48, 36, (rng.randint(90, 230), rng.randint(90, 230), rng.randint(90, 230)), i
            ),
        )
        for i, item in enumerate(kind.checklist)
        if item.evidence_required
    ] or [service.UploadedFile("site.png", png_photo(48, 36, (120, 160, 200), 0))]


def _walk(
    session: Session, kind: RegisterKind, record_id: int, rng: Random, store: FileStore,
    moment: clock.FrozenClock,
) -> int:  # fmt: skip
    """Take one entry forward along the office's transitions; returns the steps taken."""
    taken = 0
    checked = False
    for _ in range(4):
        record = session.get(kind.model, record_id)
        assert record is not None
        if kind.lifecycle.state(record.state).closed or (taken and rng.random() < 0.25):
            break
        candidates = kind.lifecycle.available(record.state, DEMO_OFFICE.role)
        rng.shuffle(candidates)
        moment.advance(timedelta(hours=rng.randint(20, 120)))
        moved = False
        for step in candidates:
            if step.guard is not None:
                unmet = step.guard(service.facts_of(session, kind, record))
                if unmet and kind.checklist and not checked:
                    # The inspectors go and check every item, photographing the evidence.
                    service.record_check(
                        session, DEMO_INSPECTOR, kind, record_id,
                        service.CheckInput(
                            items={item.key: "pass" for item in kind.checklist},
                            longitude=record.longitude, latitude=record.latitude,
                            note="示例核查 / sample check",
                        ),
                        files=_photos(kind, rng), store=store,
                    )  # fmt: skip
                    checked = True
                    moment.advance(timedelta(hours=rng.randint(2, 30)))
                    unmet = step.guard(service.facts_of(session, kind, record))
                if unmet:
                    continue
            try:
                with session.begin_nested():
                    service.take_step(
                        session, DEMO_OFFICE, kind, record_id,
                        service.StepInput(event=step.event, note=f"示例：{step.zh} / sample"),
                        files=[], store=store,
                    )  # fmt: skip
            except ServiceError:
                continue  # refused (the state, a guard): as a real step would be
            taken += 1
            moved = True
            break
        if not moved:
            break
    return taken


def load_sample_registers(sessions: sessionmaker[Session], plan: Plan, data_dir: Path) -> str:
    """Load each kind's sample register once (a second run changes nothing) and move a share
    of its entries through steps and checks; returns the demo's report line."""
    store = FileStore(data_dir)
    parts = []
    moment = clock.FrozenClock(SAMPLE_START)
    with clock.use(moment):
        for kind in kinds().values():
            if kind.sample is None:
                continue
            with sessions() as session:
                if session.scalar(
                    select(kind.model.id).where(kind.model.is_sample.is_(True)).limit(1)
                ):
                    parts.append(f"{kind.zh} 已加载 already loaded")
                    continue
            rng = Random(f"{SEED}:{kind.key}")
            with sessions() as session:
                context = SampleContext(
                    areas=[(a.code, a.name) for a in plan.areas],
                    units=[u.code for u in plan.units],
                    rng=rng,
                    today=moment.now().date(),
                    session=session,
                )
                rows = list(kind.sample(context))
            with transaction(sessions) as session:
                counts = service.save_samples(session, DEMO_OFFICE, kind, rows)
                ids = [r.id for r in counts.records]
            chosen = rng.sample(ids, min(MOST, int(len(ids) * SHARE)))
            steps = 0
            with transaction(sessions) as session:
                for record_id in sorted(chosen):
                    steps += _walk(session, kind, record_id, rng, store, moment)
            moment.moment = SAMPLE_START
            parts.append(f"{kind.zh} {len(rows)} 条 entries, {steps} 步 steps")
    return "示例台账 sample registers: " + "；".join(parts)
