"""The registers' demo data: each kind's sample for the plan's areas, marked as sample, a share
taken through steps and checks (some closed off with their photos), loaded once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian.plan import Plan
from lantian.sources.demo import load_sample_registers, png_photo
from lantian.sources.kinds.scattered import ScatteredEnterprise
from lantian.sources.models import SourceCheck, SourceEvent, SourceFile


def test_png_photo_is_a_valid_png() -> None:
    data = png_photo(16, 12, (200, 100, 50), 3)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")
    assert png_photo(16, 12, (200, 100, 50), 4) != data


def test_the_demo_loads_each_kind_s_sample_once_and_walks_a_share(
    sessions: sessionmaker[Session], plan: Plan, tmp_path: Path
) -> None:
    line = load_sample_registers(sessions, plan, tmp_path)
    assert "“散乱污”企业" in line
    with sessions() as session:
        model = ScatteredEnterprise
        total = session.scalar(select(func.count()).select_from(model)) or 0
        samples = session.scalar(select(func.count()).where(model.is_sample.is_(True))) or 0
        areas = set(session.scalars(select(model.area_code).distinct()))
        states = {
            str(state): int(n)
            for state, n in session.execute(
                select(model.state, func.count()).group_by(model.state)
            ).all()
        }
        closed = session.scalars(select(model.id).where(model.state == "closed_off")).all()
        assert total > 300 and samples == total
        assert areas == {a.code for a in plan.areas}
        assert states["registered"] > total / 2 and len(closed) >= 5
        # Each closed-off firm was checked item by item with a photo per item of 两断三清.
        for record_id in closed:
            check = session.scalar(select(SourceCheck).where(SourceCheck.record_id == record_id))
            assert check is not None and check.passed
            photos = session.scalar(select(func.count()).where(SourceFile.check_id == check.id))
            assert photos == 5
        events = session.scalar(select(func.count()).select_from(SourceEvent)) or 0
    again = load_sample_registers(sessions, plan, tmp_path)
    assert "已加载 already loaded" in again
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SourceEvent)) == events
