"""Load the generated sample inventory (示例数据 / sample) into the database, for the demo.

The enterprises come from :func:`lantian.emissions.synthetic.generate_city` (deterministic seed);
every enterprise, city total and list made from them is flagged ``sample`` and its name says 示例.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.db.audited import system_actor
from lantian.emissions.models import Enterprise
from lantian.emissions.service import (
    DutyInput,
    EnterpriseInput,
    LineInput,
    add_enterprise,
    set_city_total,
)
from lantian.emissions.synthetic import SAMPLE_MARK, generate_city
from lantian.emissions.targets import POLLUTANTS
from lantian.plan import Plan, cached_plan

SAMPLE_ACTOR = system_actor("demo")
#: Industries whose enterprises are key transport users (seed task 39: 钢铁、焦化、有色、电力、化工).
KEY_TRANSPORT_INDUSTRIES = frozenset(
    {"cement", "power", "chemical", "nonferrous_secondary", "carbon", "refractory"}
)
#: Processes named for the staggered-production rules (seed task 38).
_PROCESS_OF_INDUSTRY = {
    "nonferrous_secondary": "casting",
    "pharmaceutical": "vocs",
    "pesticide": "vocs",
    "cement_grinding": "grinding",
}


@dataclass(frozen=True)
class SampleLoad:
    added: int
    already: bool
    inventory_year: int


def load_sample_inventory(
    session: Session,
    *,
    count: int = 300,
    seed: int = 2017,
    area_codes: Sequence[str] = ("410183100",),
    inventory_year: int = 2016,
) -> SampleLoad:
    """Add ``count`` sample enterprises and the year's whole-city totals; idempotent."""
    present = session.scalar(select(func.count(Enterprise.id)).where(Enterprise.sample.is_(True)))
    if present:
        return SampleLoad(0, True, inventory_year)
    city = generate_city(count, seed=seed, area_codes=area_codes)
    rng_fuel = ("gas", "coal", "electric")
    for number, sample in enumerate(city.enterprises):
        shares = [1.0 / sample.lines] * sample.lines
        process = _PROCESS_OF_INDUSTRY.get(sample.industry)
        lines = [
            LineInput(
                name=f"{index + 1}号生产线 line {index + 1}",
                sources=dict.fromkeys((p.value for p in POLLUTANTS), sample.source),
                process=process,
                fuel=rng_fuel[(number + index) % 3],
                meets_special_limits=(number + index) % 2 == 0,
                **{p.value: round(sample.daily[p] * share, 6) for p in POLLUTANTS},
            )
            for index, share in enumerate(shares)
        ]
        duties = (
            [DutyInput("heating", sample.livelihood_load, "示例备案 sample filing")]
            if sample.livelihood_load is not None
            else []
        )
        add_enterprise(
            session,
            SAMPLE_ACTOR,
            EnterpriseInput(
                credit_code=sample.credit_code,
                name=sample.name,
                area_code=sample.area_code,
                industry=sample.industry,
                grade=sample.grade,
                permit_number=f"示例{sample.key}",
                output_value=sample.output_value,
                key_transport=sample.industry in KEY_TRANSPORT_INDUSTRIES,
                sample=True,
                note=SAMPLE_MARK,
                lines=lines,
                duties=duties,
            ),
            reason=SAMPLE_MARK,
        )
    industrial = {p: sum(e.daily[p] for e in city.enterprises) for p in POLLUTANTS}
    set_city_total(
        session, SAMPLE_ACTOR, inventory_year, "industry", industrial,
        f"{SAMPLE_MARK}: 清单企业合计 / sum of the listed enterprises", sample=True,
    )  # fmt: skip
    set_city_total(
        session,
        SAMPLE_ACTOR,
        inventory_year,
        "other",
        {p: city.baseline[p] - industrial[p] for p in POLLUTANTS},
        f"{SAMPLE_MARK}: 移动源、扬尘、生活源等 / mobile, dust, residential …",
        sample=True,
    )
    return SampleLoad(len(city.enterprises), False, inventory_year)


def sample_area_codes(plan: Plan) -> list[str]:
    """Township codes of the plan's stations, where the demo places its sample enterprises."""
    codes = sorted({station.area_code for station in plan.stations if station.area_code})
    return codes or ["000000000"]


def load_emission_demo(session: Session, plan: Path) -> str:
    """The demo step: the sample inventory and, once, a least-cost list put in force."""
    from lantian.emissions.service import all_lists, optimise_inventory, set_list_status
    from lantian.emissions.staggered import plan_staggered
    from lantian.emissions.targets import plan_targets

    plan_data = cached_plan(plan)
    loaded = load_sample_inventory(session, area_codes=sample_area_codes(plan_data))
    if any(item.sample for item in all_lists(session)):
        return f"示例排放清单 sample emission inventory ({SAMPLE_MARK}): 已加载 already loaded"
    targets = plan_targets(plan_data)
    stored, solution = optimise_inventory(
        session,
        SAMPLE_ACTOR,
        targets,
        loaded.inventory_year,
        min_limits=plan_staggered(plan_data).min_limits(),
        name=f"示例应急减排清单（最低成本）/ sample least-cost list {loaded.inventory_year}",
    )
    if stored is None:
        return "示例排放清单：目标不可达 / sample inventory: targets unreachable"
    set_list_status(session, SAMPLE_ACTOR, stored.id, "in_force", SAMPLE_MARK)
    return (
        f"示例排放清单 sample emission inventory ({SAMPLE_MARK}): +{loaded.added} 企业 enterprises, "
        f"清单 list {stored.id} 生效 in force (gap {solution.gap or 0:.2%})"
    )
