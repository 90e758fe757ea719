"""The registers' demo data: each kind's sample for the plan's areas, marked as sample, every entry
walked to where it stands on the demo's day — most entries due by then closed before their
deadlines with the checks their guards want, a handful late or stuck with their cases, nothing dated
after the demo's instant — loaded once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lantian.auth.models import AuditEntry
from lantian.db.engine import create_db_engine, session_factory
from lantian.demo import DEMO_AS_OF
from lantian.demo.accounts import DEMO_ACCOUNTS
from lantian.plan import Plan
from lantian.sources.demo import (
    OUTCOMES,
    distances,
    load_sample_registers,
    longest_route,
    png_photo,
    wanted_items,
)
from lantian.sources.kinds import boilers, clean_heating, scattered
from lantian.sources.kinds.scattered import ScatteredEnterprise
from lantian.sources.models import SourceCheck, SourceEvent, SourceFile
from lantian.sources.registry import Facts, kinds
from lantian.supervision.models import InspectionCase
from lantian.timeutil import CHINA_TZ
from tests.support.demo_database import DemoCopy

#: Entries a guard keeps from closing whatever is checked (the village under the 80 % floor).
REFUSED_BY_GUARDS = 2
#: Open cases the registers' rules may leave on the demo's day, per register: those of its overdue
#: entries and of entries still open with a breach (outlets open in converted townships, failed
#: coal samples not yet dealt with …); the cases of entries closed since are closed.
OPEN_CASES_PER_KIND = 20


def test_png_photo_is_a_valid_png() -> None:
    data = png_photo(16, 12, (200, 100, 50), 3)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")
    assert png_photo(16, 12, (200, 100, 50), 4) != data


def test_routes_come_from_the_transition_table() -> None:
    firm = scattered.LIFECYCLE
    found = distances(firm)
    assert found["registered"] == 2 and found["rectifying"] == 1 and found["closed_off"] == 0
    # An upgraded firm goes the long way: signed off, then restarted.
    assert longest_route(firm, "registered", found) == 3
    village = clean_heating.LIFECYCLE
    assert distances(village)["registered"] == 3


def test_a_guard_is_asked_which_items_it_wants() -> None:
    kind = kinds()["boiler"]
    close_off = kind.lifecycle.by_event["close_off"]
    assert close_off.guard is not None
    boiler = boilers.Boiler(id=1, key="B", name="b", area_code="410183100", state="eliminating",
                            boiler_type="coal_boiler", method="ban", capacity_tph=4,
                            on_2017_list=True)  # fmt: skip
    facts = Facts(boiler, [], DEMO_AS_OF.date())
    wanted = wanted_items(kind, close_off.guard, facts)
    assert wanted is not None and {"chimney_removed", "no_coal"} <= set(wanted)
    assert "low_nox_burner" not in wanted
    # A gas boiler is never eliminated, whatever a check finds.
    gas = boilers.Boiler(id=2, key="G", name="g", area_code="410183100", state="registered",
                         boiler_type="gas_boiler", capacity_tph=4, on_2017_list=False)  # fmt: skip
    start = kind.lifecycle.by_event["start"]
    assert start.guard is not None
    assert wanted_items(kind, start.guard, Facts(gas, [], DEMO_AS_OF.date())) is None


def test_the_demo_walks_every_kind_to_a_coherent_day(demo: DemoCopy, plan: Plan) -> None:
    # What `lantian demo` loaded (once per backend for the tests that need it; this test reads and
    # writes its own copy): the sample inventory first (the industrial registers name its firms),
    # then the registers.
    engine = create_db_engine(demo.url)
    sessions = session_factory(engine)
    line = next(step for step in demo.loaded.steps if step.startswith("示例台账"))
    assert "“散乱污”企业" in line
    day = DEMO_AS_OF.astimezone(CHINA_TZ).date()
    demo_names = {account.username for account in DEMO_ACCOUNTS}
    with sessions() as session:
        overdue_somewhere = 0
        for kind in kinds().values():
            if kind.sample is None:
                continue
            model = kind.model
            records = session.scalars(select(model)).all()
            assert records and all(r.is_sample for r in records), kind.key
            closed = kind.lifecycle.closed_states
            due = [r for r in records if r.deadline is not None and r.deadline < day]
            behind = [r for r in due if r.state not in closed]
            overdue_somewhere += len(behind)
            assert len(behind) <= OUTCOMES.most_behind + REFUSED_BY_GUARDS, (kind.key, behind)
            if len(due) >= 20:
                assert 0.85 <= 1 - len(behind) / len(due) < 1, kind.key
            # Entries due later or without a deadline: some closed, some under way.
            if kind.lifecycle.initial not in closed and len(records) >= 20:
                assert any(r.state in closed for r in records), kind.key
            # Steps taken by the demo's accounts, each event in the past of the demo's instant.
            actors = set(
                session.scalars(
                    select(SourceEvent.actor).where(
                        SourceEvent.kind == kind.key, SourceEvent.from_state.is_not(None)
                    )
                )
            )
            assert actors <= demo_names, (kind.key, actors)
            open_cases = (
                session.scalar(
                    select(func.count()).where(
                        InspectionCase.source == "rule",
                        InspectionCase.state != "closed",
                        InspectionCase.reference.like(f"{kind.key}.%"),
                    )
                )
                or 0
            )
            assert open_cases <= OPEN_CASES_PER_KIND, (kind.key, open_cases)
            overdue_cases = (
                session.scalar(
                    select(func.count()).where(InspectionCase.reference == f"{kind.key}.overdue")
                )
                or 0
            )
            assert overdue_cases <= OUTCOMES.most_behind + REFUSED_BY_GUARDS, kind.key
        assert overdue_somewhere >= 5  # the office has overdue entries to chase
        latest = session.scalar(select(func.max(AuditEntry.at)))
        assert latest is not None and latest <= DEMO_AS_OF
        latest_event = session.scalar(select(func.max(SourceEvent.at)))
        assert latest_event is not None and latest_event <= DEMO_AS_OF
        earliest = session.scalar(select(func.min(SourceEvent.at)))
        assert earliest is not None and earliest >= DEMO_AS_OF - timedelta(days=200)

        # Each closed-off firm was checked item by item with a photo per item of 两断三清, by the
        # inspectors, before it was closed off and before its deadline (bar the late ones).
        model = ScatteredEnterprise
        closed_off = session.scalars(select(model).where(model.state == "closed_off")).all()
        assert len(closed_off) > 300
        late = 0
        for firm in closed_off:
            check = session.scalar(
                select(SourceCheck).where(
                    SourceCheck.kind == "scattered_enterprise", SourceCheck.record_id == firm.id
                )
            )
            assert check is not None and check.passed and check.checked_by == "inspector"
            assert check.checked_at <= firm.state_since
            photos = session.scalar(select(func.count()).where(SourceFile.check_id == check.id))
            assert photos == 5
            assert firm.deadline is not None
            late += firm.state_since.astimezone(CHINA_TZ).date() > firm.deadline
        assert 0 < late <= OUTCOMES.most_behind
        # The cases of entries dealt with since were taken to 办结 through their own steps; those
        # of entries still open remain for the office to chase.
        settled = session.scalars(
            select(InspectionCase).where(
                InspectionCase.source == "rule", InspectionCase.state == "closed"
            )
        ).all()
        assert len(settled) >= 20
        assert all(case.updated_at <= DEMO_AS_OF for case in settled)
        events = session.scalar(select(func.count()).select_from(SourceEvent)) or 0
    again = load_sample_registers(sessions, plan, demo.data_dir, as_of=DEMO_AS_OF)
    assert "已加载 already loaded" in again
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SourceEvent)) == events
    engine.dispose()
