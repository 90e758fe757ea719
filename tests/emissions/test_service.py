"""Inventory and reduction lists in the database, on SQLite and PostgreSQL, with the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lantian.auth import audit
from lantian.auth.models import AuditEntry
from lantian.db.engine import transaction
from lantian.emissions import service
from lantian.emissions.models import Enterprise
from lantian.emissions.sample import load_sample_inventory
from lantian.emissions.service import DutyInput, EnterpriseInput, LineInput, MeasureInput
from lantian.emissions.targets import Pollutant, load_targets
from lantian.errors import InputError
from lantian.plan import DEFAULT_PLAN_DIR

PLAN = DEFAULT_PLAN_DIR
SO2, NOX, PM, VOCS = tuple(Pollutant)
ACTOR = "zhangsan"


def _plant(code: str = "91350100M000100Y43") -> EnterpriseInput:
    return EnterpriseInput(
        credit_code=code,
        name="新密示例水泥有限公司",
        area_code="410183100",
        industry="cement",
        grade="b",
        output_value=50.0,
        lines=[
            LineInput("1号线", so2=1.0, nox=4.0, pm=2.0, sources={"so2": "cems", "nox": "cems"}),
            LineInput("2号线", so2=1.0, nox=6.0, pm=2.0, vocs=1.0),
        ],
        duties=[DutyInput("heating", 0.6, "新政备〔2017〕1号")],
    )


def test_enterprise_is_stored_and_audited(sessions) -> None:
    with transaction(sessions) as session:
        service.add_enterprise(session, ACTOR, _plant())
    with sessions() as session:
        stored = service.get_enterprise(session, "91350100M000100Y43")
        assert stored.grade == "B"
        assert service.enterprise_daily(stored) == {SO2: 2.0, NOX: 10.0, PM: 4.0, VOCS: 1.0}
        assert [line.so2_source for line in stored.lines] == ["cems", "inventory"]
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.actor, entry.action, entry.entity_id) == (
            ACTOR,
            "emission_enterprise.add",
            "91350100M000100Y43",
        )
        assert entry.after["duties"] == [
            {"duty": "heating", "max_load": 0.6, "approval": "新政备〔2017〕1号"}
        ]
        assert audit.verify(session).intact


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"credit_code": "91350100M000100Y44"}, "check character should be 3"),
        ({"area_code": "4101831"}, "9-digit NBS township code"),
        ({"grade": "E"}, "grade must be A–D"),
    ],
)
def test_bad_enterprise_writes_nothing(sessions, change, message) -> None:
    data = _plant()
    for key, value in change.items():
        setattr(data, key, value)
    with pytest.raises(InputError, match=message), transaction(sessions) as session:
        service.add_enterprise(session, ACTOR, data)
    with sessions() as session:
        assert session.scalars(select(Enterprise)).all() == []
        assert session.scalars(select(AuditEntry)).all() == []


def test_manual_list_checked_against_city_totals(sessions) -> None:
    """City 10/50/20/10 t/d; the plant's yellow limit 50 %: SO2 1 (10 %), NOx 5 (10 %), PM 2
    (10 %), VOCs 0.5 (5 % < 10 %: short 0.5 t/d); blue nothing: PM and VOCs short 5 points."""
    targets = load_targets(PLAN)
    with transaction(sessions) as session:
        service.add_enterprise(session, ACTOR, _plant())
        service.set_city_total(session, ACTOR, 2016, "industry", {SO2: 6, NOX: 30, PM: 8, VOCS: 4})
        service.set_city_total(session, ACTOR, 2016, "other", {SO2: 4, NOX: 20, PM: 12, VOCS: 6})
        half = {SO2: 1.0, NOX: 5.0, PM: 2.0, VOCS: 0.5}
        listed = service.create_list(
            session,
            ACTOR,
            name="测试清单",
            plan="xinmi-2017-2018",
            inventory_year=2016,
            method="manual",
            levels=targets.levels,
            measures=[
                MeasureInput("91350100M000100Y43", level, "limit", "限产50%", 0.5, half)
                for level in ("yellow", "orange", "red")
            ],
        )
        list_id = listed.id
    with sessions() as session:
        assert service.city_baseline(session, 2016) == {SO2: 10, NOX: 50, PM: 20, VOCS: 10}
        _, result = service.check_stored_list(session, list_id, targets)
    yellow = {s.pollutants: s.missing_tonnes for s in result.shortfalls_at("yellow")}
    assert yellow == {(VOCS,): {VOCS: pytest.approx(0.5)}}
    blue = {s.pollutants: s.missing_ratio for s in result.shortfalls_at("blue")}
    assert blue == {(PM,): pytest.approx(0.05), (VOCS,): pytest.approx(0.05)}
    # The same measures plus traffic and site measures outside the list close blue and yellow.
    with transaction(sessions) as session:
        helped = service.create_list(
            session,
            ACTOR,
            name="含清单外措施",
            plan="xinmi-2017-2018",
            inventory_year=2016,
            method="manual",
            levels=targets.levels,
            measures=[
                MeasureInput("91350100M000100Y43", level, "limit", "限产50%", 0.5, half)
                for level in ("yellow", "orange", "red")
            ],
            other_reductions={"blue": {PM: 1.0, VOCS: 0.5}, "yellow": {VOCS: 0.5}},
        )
        helped_id = helped.id
    with sessions() as session:
        _, with_other = service.check_stored_list(session, helped_id, targets)
    assert with_other.shortfalls_at("blue") == ()
    assert with_other.shortfalls_at("yellow") == ()
    assert with_other.shortfalls_at("orange")  # 10 % of 20 %: still short


def test_sample_inventory_optimised_into_a_list(sessions) -> None:
    targets = load_targets(PLAN)
    with transaction(sessions) as session:
        loaded = load_sample_inventory(session, count=60, seed=5)
        assert loaded.added == 60
    with transaction(sessions) as session:
        again = load_sample_inventory(session, count=60, seed=5)
        assert again.already and again.added == 0
    with transaction(sessions) as session:
        listed, solution = service.optimise_inventory(session, ACTOR, targets, 2016)
        assert listed is not None and solution.feasible
        list_id = listed.id
        service.set_list_status(session, ACTOR, list_id, "in_force")
    with sessions() as session:
        stored, result = service.check_stored_list(session, list_id, targets)
        assert result.passes, [s.message() for s in result.shortfalls]
        assert stored.sample and stored.status == "in_force"
        assert service.list_in_force(session).id == list_id
        heating = [e for e in service.list_enterprises(session) if e.duties]
        by_id = {m.enterprise_id: m for m in stored.measures if m.level == "red"}
        # Livelihood duties keep their approved load: never cut beyond 1 − max_load.
        for enterprise in heating:
            if enterprise.id in by_id:
                assert by_id[enterprise.id].output_cut <= 1 - enterprise.duties[0].max_load + 1e-9


def test_heating_season_counts_only_what_measures_add() -> None:
    """Staggered production (task 37) stops cement for the heating season; a heating duty caps
    that at 1 − 60 % = 40 %. Measures then add only beyond 40 %, and the duty allows no more."""
    from dataclasses import replace as with_changes

    from lantian.emissions.optimiser import admissible
    from lantian.emissions.staggered import load_staggered

    rules = load_staggered(PLAN)
    targets = load_targets(PLAN)
    plant = service._build_enterprise(_plant())
    cuts = service.heating_season_cuts(plant, rules)
    assert cuts == {"1号线": pytest.approx(0.4), "2号线": pytest.approx(0.4)}
    options = service.options_of(plant, already_cut=cuts)
    # limit 30 % adds nothing; limit 60 % adds 20 % of each line; a stop adds 60 %.
    assert [c.code for c in options.candidates] == ["limit-60", "stop"]
    assert options.candidates[0].reductions[NOX] == pytest.approx(0.2 * 10.0)
    assert options.candidates[0].cost == pytest.approx(50.0 * 0.2)
    assert options.candidates[1].reductions[SO2] == pytest.approx(0.6 * 2.0)
    assert admissible(options, targets) == ()  # the duty's 60 % load may not be cut further
    # Without the duty the plant is stopped all season: nothing is left to cut.
    no_duty = service._build_enterprise(with_changes(_plant(), duties=[]))
    stopped = service.heating_season_cuts(no_duty, rules)
    assert stopped == {"1号线": 1.0, "2号线": 1.0}
    assert service.options_of(no_duty, already_cut=stopped).candidates == ()
