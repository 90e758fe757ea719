"""Staggered production and transport rules of seed tasks 37–39, from the plan's data."""

from __future__ import annotations

from datetime import date

import pytest

from lantian.emissions.staggered import (
    EnterpriseFacts,
    LineFacts,
    TransportDay,
    calendar,
    load_staggered,
    obligations,
    parse_staggered,
    production_compliance,
    transport_compliance,
)
from lantian.errors import InputError
from lantian.plan import DEFAULT_PLAN_DIR

PLAN = DEFAULT_PLAN_DIR


@pytest.fixture(scope="module")
def plan():
    return load_staggered(PLAN)


def _cuts(enterprise, plan) -> dict[str, tuple[str, float]]:
    return {o.line: (o.rule.id, o.required_cut) for o in obligations(enterprise, plan)}


def test_building_materials_stop_unless_gas_or_electric(plan) -> None:
    kilns = EnterpriseFacts(
        "K", "brick_kiln", (LineFacts("coal kiln", fuel="coal"), LineFacts("gas kiln", fuel="gas"))
    )
    assert _cuts(kilns, plan) == {"coal kiln": ("37-building-materials", 1.0)}
    wool = EnterpriseFacts(
        "W", "rock_wool", (LineFacts("电炉", fuel="electric"), LineFacts("冲天炉", fuel="coke"))
    )
    assert _cuts(wool, plan) == {"冲天炉": ("37-building-materials", 1.0)}
    # Cement has no fuel exception: even a gas-fired line stops.
    cement = EnterpriseFacts("C", "cement", (LineFacts("熟料线", fuel="gas"),))
    assert _cuts(cement, plan) == {"熟料线": ("37-building-materials", 1.0)}


def test_livelihood_load_caps_the_cut(plan) -> None:
    heating = EnterpriseFacts("H", "cement", (LineFacts("熟料线"),), livelihood_max_load=0.6)
    (duty,) = obligations(heating, plan)
    assert duty.required_cut == pytest.approx(0.4)
    assert "核定最大负荷 60%" in duty.describe()


def test_carbon_by_special_limits_and_line(plan) -> None:
    carbon = EnterpriseFacts(
        "T", "carbon", (LineFacts("焙烧1", meets_special_limits=True), LineFacts("焙烧2"))
    )
    assert _cuts(carbon, plan) == {"焙烧1": ("38-carbon", 0.5), "焙烧2": ("38-carbon", 1.0)}
    assert plan.min_limits() == {"carbon": 0.5, "nonferrous_secondary": 0.5}


def test_processes_and_provincial_approval(plan) -> None:
    smelter = EnterpriseFacts(
        "N", "nonferrous_secondary", (LineFacts("熔铸", process="casting"), LineFacts("破碎"))
    )
    assert _cuts(smelter, plan) == {"熔铸": ("38-nonferrous-casting", 0.5)}
    pharma = EnterpriseFacts("P", "pharmaceutical", (LineFacts("合成", process="vocs"),))
    assert _cuts(pharma, plan) == {"合成": ("38-pharma-pesticide-vocs", 1.0)}
    approved = EnterpriseFacts(
        "P", "pharmaceutical", (LineFacts("合成", process="vocs"),), approved_exception=True
    )
    assert obligations(approved, plan) == []


def test_calendar_and_compliance(plan) -> None:
    """Heating season from 15 November; the grinding station stops only on warning days."""
    grinder = EnterpriseFacts("G", "cement_grinding", (LineFacts("粉磨", process="grinding"),))
    smelter = EnterpriseFacts("N", "nonferrous_secondary", (LineFacts("熔铸", process="casting"),))
    warnings = {date(2017, 11, 16): "orange"}
    days = calendar(grinder, plan, date(2017, 11, 14), date(2017, 11, 17), warnings)
    assert [(d.day.day, d.heating_season, dict(d.required)) for d in days] == [
        (14, False, {}),
        (15, True, {}),
        (16, True, {"粉磨": 1.0}),
        (17, True, {}),
    ]
    smelter_days = calendar(smelter, plan, date(2018, 3, 14), date(2018, 3, 16))
    assert [dict(d.required) for d in smelter_days] == [{"熔铸": 0.5}, {"熔铸": 0.5}, {}]
    # It limited by 40 % on the 14th and 50 % on the 15th: one violation.
    actual = {date(2018, 3, 14): {"熔铸": 0.4}, date(2018, 3, 15): {"熔铸": 0.5}}
    (violation,) = production_compliance(smelter_days, actual)
    assert (violation.day, violation.required, violation.actual) == (date(2018, 3, 14), 0.5, 0.4)
    assert "要求 50%，实际 40%" in violation.message()


def test_transport_rules(plan) -> None:
    warnings = {date(2017, 12, 2): "yellow", date(2017, 12, 3): "red"}
    log = [
        TransportDay(date(2017, 12, 1), 120, 0, 3000.0),
        TransportDay(date(2017, 12, 2), 10, 10, 200.0),  # only safety trucks
        TransportDay(date(2017, 12, 3), 14, 8, 1800.0),  # 6 other trucks, freight −40 %
    ]
    found = transport_compliance(plan, 50, 38, 3000.0, log, warnings)
    assert [(v.day.day, v.rule) for v in found] == [
        (1, "39-fleet-china4"),  # 38/50 = 76 % < 80 %
        (3, "39-no-movements"),
        (3, "39-freight"),
    ]
    assert found[0].actual == pytest.approx(0.76)
    assert found[2].actual == pytest.approx(0.4)
    assert "6 truck movements" in found[1].message()
    assert transport_compliance(plan, 50, 40, 3000.0, log[:2], warnings) == []


def test_bad_rule_data_is_named() -> None:
    with pytest.raises(InputError, match=r"rules\[1\] \(x\): .*unknown period 'always'"):
        parse_staggered({"rules": [{"id": "x", "period": "always", "action": "stop"}]})
    with pytest.raises(InputError, match="must be MM-DD"):
        parse_staggered({"heating_season": {"start": "11-31"}})


def test_task38_stop_yields_to_the_province_not_to_a_city_filing(plan) -> None:
    """Seed task 38: 原料药/农药 VOCs lines "确需生产的，应报省级人民政府批准". A livelihood duty filed
    with the city (task 37: "报市人民政府备案") neither exempts the stop nor caps it."""
    filed_with_city = EnterpriseFacts(
        "P", "pharmaceutical", (LineFacts("合成", process="vocs"),), livelihood_max_load=0.6
    )
    assert _cuts(filed_with_city, plan) == {"合成": ("38-pharma-pesticide-vocs", 1.0)}


def test_livelihood_cap_applies_to_task37_only(plan) -> None:
    """The approved load (task 37) caps task 37's stops but not task 38's limits or stops."""
    cement = EnterpriseFacts("H", "cement", (LineFacts("熟料线"),), livelihood_max_load=0.6)
    assert _cuts(cement, plan) == {"熟料线": ("37-building-materials", pytest.approx(0.4))}
    carbon = EnterpriseFacts("T", "carbon", (LineFacts("焙烧"),), livelihood_max_load=0.6)
    assert _cuts(carbon, plan) == {"焙烧": ("38-carbon", 1.0)}
    smelter = EnterpriseFacts(
        "N",
        "nonferrous_secondary",
        (LineFacts("熔铸", process="casting"),),
        livelihood_max_load=0.9,
    )
    assert _cuts(smelter, plan) == {"熔铸": ("38-nonferrous-casting", 0.5)}
    # The plan may name other tasks; an empty list caps nothing.
    uncapped = parse_staggered(
        {"rules": [{"id": "r", "task": 37, "industries": ["cement"], "period": "heating_season",
                    "action": "stop"}], "livelihood": {"tasks": []}}
    )  # fmt: skip
    assert _cuts(cement, uncapped) == {"熟料线": ("r", 1.0)}
