"""Use cases of the emissions domain: inventory, reduction lists, their check and the optimiser.

Every change a person makes is written to the audit log in the same transaction
(:func:`lantian.auth.audit.record`). Seed tasks 37–39 and 41; spec/standards.md §4.3–4.4.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lantian import clock
from lantian.auth import audit
from lantian.db.audited import acting_as
from lantian.emissions.models import (
    EMISSION_SOURCES,
    GRADES,
    LIVELIHOOD_DUTIES,
    CityTotal,
    Enterprise,
    LivelihoodDuty,
    ProductionLine,
    ReductionList,
    ReductionMeasure,
    StaggeringOrder,
)
from lantian.emissions.optimiser import (
    DEFAULT_LIMITS,
    Candidate,
    EnterpriseOptions,
    MeasureKind,
    Problem,
    Solution,
    solve_greedy,
    solve_mip,
    standard_candidates,
)
from lantian.emissions.rules import CheckResult, ListEntry, check_list
from lantian.emissions.staggered import (
    EnterpriseFacts,
    LineFacts,
    OrderFacts,
    StaggeredPlan,
    obligations,
)
from lantian.emissions.targets import POLLUTANTS, Level, Pollutant, ReductionTargets
from lantian.emissions.uscc import validate as validate_credit_code
from lantian.errors import Conflict, InputError, Invalid, NotFound
from lantian.plan import LevelScheme

AREA_CODE = re.compile(r"^\d{9}$")


@dataclass
class LineInput:
    name: str
    so2: float = 0.0
    nox: float = 0.0
    pm: float = 0.0
    vocs: float = 0.0
    sources: Mapping[str, str] = field(default_factory=dict)  # pollutant → permit/cems/inventory
    process: str | None = None
    fuel: str | None = None
    meets_special_limits: bool = False


@dataclass
class DutyInput:
    duty: str
    max_load: float
    approval: str | None = None


@dataclass
class EnterpriseInput:
    credit_code: str
    name: str
    area_code: str
    industry: str
    grade: str | None = None
    permit_number: str | None = None
    output_value: float | None = None
    key_transport: bool = False
    sample: bool = False
    note: str | None = None
    #: 省级人民政府批准文号 (seed task 38); a city filing of task 37 is a duty's ``approval``.
    provincial_approval: str | None = None
    lines: list[LineInput] = field(default_factory=list)
    duties: list[DutyInput] = field(default_factory=list)


def _enterprise_fields(enterprise: Enterprise) -> dict[str, Any]:
    return {
        "credit_code": enterprise.credit_code,
        "name": enterprise.name,
        "area_code": enterprise.area_code,
        "industry": enterprise.industry,
        "grade": enterprise.grade,
        "permit_number": enterprise.permit_number,
        "output_value": enterprise.output_value,
        "key_transport": enterprise.key_transport,
        "provincial_approval": enterprise.provincial_approval,
        "sample": enterprise.sample,
        "lines": [
            {
                "name": line.name,
                "process": line.process,
                "fuel": line.fuel,
                "meets_special_limits": line.meets_special_limits,
                **{p.value: getattr(line, p.value) for p in POLLUTANTS},
                **{f"{p.value}_source": getattr(line, f"{p.value}_source") for p in POLLUTANTS},
            }
            for line in enterprise.lines
        ],
        "duties": [
            {"duty": d.duty, "max_load": d.max_load, "approval": d.approval}
            for d in enterprise.duties
        ],
    }


def _non_negative(value: float, where: str) -> float:
    number = float(value)
    if not number >= 0:
        raise InputError(f"{where}: 应为非负数，实为 {value} / must be ≥ 0, is {value}")
    return number


def _build_enterprise(data: EnterpriseInput) -> Enterprise:
    where = f"企业 / enterprise {data.name or data.credit_code}"
    code = validate_credit_code(data.credit_code, where)
    if not data.name.strip():
        raise InputError(f"{code}: 缺少企业名称 / the enterprise name is missing")
    if not AREA_CODE.match(data.area_code):
        raise InputError(
            f"{where}: 区域代码 {data.area_code!r} 应为 9 位统计区划代码 / the area code must be "
            "the 9-digit NBS township code"
        )
    grade = (data.grade or "").strip().upper() or None
    if grade is not None and grade not in GRADES:
        raise InputError(f"{where}: 绩效等级应为 A–D，实为 {grade} / grade must be A–D, is {grade}")
    enterprise = Enterprise(
        credit_code=code,
        name=data.name.strip(),
        area_code=data.area_code,
        industry=data.industry.strip(),
        grade=grade,
        permit_number=data.permit_number,
        output_value=None
        if data.output_value is None
        else _non_negative(data.output_value, f"{where}: 日产值 / output value"),
        key_transport=data.key_transport,
        provincial_approval=(data.provincial_approval or "").strip() or None,
        sample=data.sample,
        note=data.note,
    )
    for number, line in enumerate(data.lines, start=1):
        line_where = f"{where}, 生产线 / line {number} ({line.name})"
        sources = {}
        for pollutant in POLLUTANTS:
            source = line.sources.get(pollutant.value, "inventory")
            if source not in EMISSION_SOURCES:
                raise InputError(
                    f"{line_where}: {pollutant.label} 数据来源应为 {'/'.join(EMISSION_SOURCES)}，"
                    f"实为 {source} / the source must be one of {', '.join(EMISSION_SOURCES)}"
                )
            sources[f"{pollutant.value}_source"] = source
        enterprise.lines.append(
            ProductionLine(
                name=line.name,
                process=line.process,
                fuel=line.fuel,
                meets_special_limits=line.meets_special_limits,
                **{
                    p.value: _non_negative(getattr(line, p.value), f"{line_where}: {p.label}")
                    for p in POLLUTANTS
                },
                **sources,
            )
        )
    for duty in data.duties:
        if duty.duty not in LIVELIHOOD_DUTIES:
            raise InputError(
                f"{where}: 未知保民生任务 {duty.duty} / unknown livelihood duty (one of "
                f"{', '.join(LIVELIHOOD_DUTIES)})"
            )
        if not 0 <= duty.max_load <= 1:
            raise InputError(
                f"{where}: 最大允许负荷应为 0–1，实为 {duty.max_load} / the approved maximum load "
                "is a share between 0 and 1"
            )
        enterprise.duties.append(
            LivelihoodDuty(duty=duty.duty, max_load=duty.max_load, approval=duty.approval)
        )
    return enterprise


def add_enterprise(
    session: Session, actor: str, data: EnterpriseInput, reason: str | None = None
) -> Enterprise:
    """Add an enterprise with its lines and duties to the inventory (audited)."""
    enterprise = _build_enterprise(data)
    if session.scalar(
        select(Enterprise.id).where(Enterprise.credit_code == enterprise.credit_code)
    ):
        raise Conflict(
            f"统一社会信用代码 {enterprise.credit_code} 已在清单中 / the credit code "
            f"{enterprise.credit_code} is already in the inventory",
            field="credit_code",
        )
    session.add(enterprise)
    session.flush()
    audit.record(
        session,
        actor,
        "emission_enterprise.add",
        "emission_enterprise",
        enterprise.credit_code,
        None,
        _enterprise_fields(enterprise),
        reason,
    )
    return enterprise


def get_enterprise(session: Session, credit_code: str) -> Enterprise:
    enterprise = session.scalar(
        select(Enterprise)
        .where(Enterprise.credit_code == credit_code.strip())
        .options(
            selectinload(Enterprise.lines),
            selectinload(Enterprise.duties),
            selectinload(Enterprise.staggering_orders),
        )
    )
    if enterprise is None:
        raise NotFound(
            f"清单中没有统一社会信用代码为 {credit_code} 的企业 / no enterprise with credit code "
            f"{credit_code} in the inventory"
        )
    return enterprise


def set_permit_number(
    session: Session, actor: str, credit_code: str, permit_number: str | None, reason: str
) -> bool:
    """Record the enterprise's discharge permit number (排污许可证编号, seed task 22) as the permit
    register has it (None: no permit in force); audited. Returns whether it changed."""
    enterprise = get_enterprise(session, credit_code)
    if enterprise.permit_number == permit_number:
        return False
    before = {"permit_number": enterprise.permit_number}
    enterprise.permit_number = permit_number
    session.flush()
    audit.record(
        session,
        actor,
        "emission_enterprise.permit",
        "emission_enterprise",
        enterprise.credit_code,
        before,
        {"permit_number": permit_number},
        reason,
    )
    return True


def list_enterprises(session: Session, area_code: str | None = None) -> list[Enterprise]:
    query = select(Enterprise).options(
        selectinload(Enterprise.lines),
        selectinload(Enterprise.duties),
        selectinload(Enterprise.staggering_orders),
    )
    if area_code:
        query = query.where(Enterprise.area_code == area_code)
    return list(session.scalars(query.order_by(Enterprise.area_code, Enterprise.name)))


def enterprise_daily(enterprise: Enterprise) -> dict[Pollutant, float]:
    """Normal daily emissions of an enterprise: the sum of its lines, t/d."""
    return {p: sum(getattr(line, p.value) for line in enterprise.lines) for p in POLLUTANTS}


def set_city_total(
    session: Session,
    actor: str,
    inventory_year: int,
    sector: str,
    values: Mapping[Pollutant, float],
    source: str | None = None,
    sample: bool = False,
) -> CityTotal:
    """Set one sector's whole-city daily emissions for an inventory year (audited)."""
    row = session.scalar(
        select(CityTotal).where(
            CityTotal.inventory_year == inventory_year, CityTotal.sector == sector
        )
    )
    with acting_as(session, actor, action="emission_city_total.set"):
        if row is None:
            row = CityTotal(inventory_year=inventory_year, sector=sector)
            session.add(row)
        for pollutant in POLLUTANTS:
            setattr(
                row,
                pollutant.value,
                _non_negative(
                    values.get(pollutant, 0.0), f"{inventory_year} {sector} {pollutant.label}"
                ),
            )
        row.source = source
        row.sample = sample
    return row


def city_baseline(session: Session, inventory_year: int) -> dict[Pollutant, float]:
    """Whole-city daily emissions E_p of an inventory year: the sum over sectors (spec §4.4)."""
    sums = session.execute(
        select(
            func.coalesce(func.sum(CityTotal.so2), 0.0),
            func.coalesce(func.sum(CityTotal.nox), 0.0),
            func.coalesce(func.sum(CityTotal.pm), 0.0),
            func.coalesce(func.sum(CityTotal.vocs), 0.0),
            func.count(CityTotal.id),
        ).where(CityTotal.inventory_year == inventory_year)
    ).one()
    if not sums[4]:
        raise NotFound(
            f"{inventory_year} 年清单没有全社会排放总量 / the {inventory_year} inventory has no "
            "whole-city totals"
        )
    return {p: float(v) for p, v in zip(POLLUTANTS, sums[:4], strict=True)}


# ---------------------------------------------------------------- reduction lists


@dataclass
class MeasureInput:
    """One enterprise's measure in force at one level (reductions in t/d)."""

    credit_code: str
    level: Level
    kind: str
    description: str = ""
    output_cut: float = 0.0
    reductions: Mapping[Pollutant, float] = field(default_factory=dict)
    cost: float | None = None


def create_list(
    session: Session,
    actor: str,
    *,
    name: str,
    plan: str,
    inventory_year: int,
    method: str,
    measures: Iterable[MeasureInput],
    levels: LevelScheme,
    note: str | None = None,
    sample: bool = False,
    other_reductions: Mapping[Level, Mapping[Pollutant, float]] | None = None,
) -> ReductionList:
    """Store a reduction list (audited); every measure must name a known enterprise and a level
    of the plan's warning scheme (``levels``: the database stores the key as it is).

    ``other_reductions`` (t/d per level and pollutant) are measures outside the enterprise list
    (traffic, construction sites …) that the list's check adds to its own reductions.
    """
    for level in other_reductions or {}:
        levels.get(level)
    reduction_list = ReductionList(
        other_reductions={
            level: {p.value: float(v) for p, v in values.items()}
            for level, values in (other_reductions or {}).items()
            if values
        }
        or None,
        name=name,
        plan=plan,
        inventory_year=inventory_year,
        status="draft",
        method=method,
        created_by=actor,
        note=note,
        sample=sample,
    )
    codes: dict[str, int] = {
        code: enterprise_id
        for code, enterprise_id in session.execute(select(Enterprise.credit_code, Enterprise.id))
    }
    seen: set[tuple[str, Level]] = set()
    for measure in measures:
        enterprise_id = codes.get(measure.credit_code)
        if enterprise_id is None:
            raise InputError(
                f"措施引用了清单外企业 {measure.credit_code} / a measure names an enterprise "
                "outside the inventory"
            )
        scheme_level = levels.get(measure.level)
        if (measure.credit_code, measure.level) in seen:
            raise InputError(
                f"企业 {measure.credit_code} 在 {scheme_level.label} 有两条措施 / two measures "
                "for one enterprise at one level"
            )
        seen.add((measure.credit_code, measure.level))
        if measure.kind not in MeasureKind.__members__.values():
            raise InputError(f"未知措施类型 {measure.kind} / unknown measure kind")
        reduction_list.measures.append(
            ReductionMeasure(
                enterprise_id=enterprise_id,
                level=scheme_level.key,
                kind=measure.kind,
                description=measure.description,
                output_cut=measure.output_cut,
                cost=measure.cost,
                **{p.value: float(measure.reductions.get(p, 0.0)) for p in POLLUTANTS},
            )
        )
    with acting_as(session, actor):
        session.add(reduction_list)
    return reduction_list


def get_list(session: Session, list_id: int) -> ReductionList:
    found = session.scalar(
        select(ReductionList)
        .where(ReductionList.id == list_id)
        .options(
            selectinload(ReductionList.measures)
            .selectinload(ReductionMeasure.enterprise)
            .selectinload(Enterprise.lines)
        )
    )
    if found is None:
        raise NotFound(f"没有编号为 {list_id} 的减排清单 / no reduction list {list_id}")
    return found


def all_lists(session: Session) -> list[ReductionList]:
    return list(session.scalars(select(ReductionList).order_by(ReductionList.id.desc())))


def set_list_status(
    session: Session, actor: str, list_id: int, status: str, reason: str | None = None
) -> ReductionList:
    """Put a list in force (the one in force before is superseded) or back to draft (audited)."""
    if status not in ("draft", "in_force", "superseded"):
        raise InputError(f"未知清单状态 {status} / unknown list status")
    reduction_list = get_list(session, list_id)
    if status == "in_force":
        in_force = session.scalars(
            select(ReductionList).where(
                ReductionList.status == "in_force", ReductionList.id != list_id
            )
        ).all()
        for other in in_force:
            replaced = f"replaced by list {list_id}"
            with acting_as(session, actor, action="reduction_list.status", reason=replaced):
                other.status = "superseded"
    with acting_as(session, actor, action="reduction_list.status", reason=reason):
        reduction_list.status = status
    return reduction_list


def list_in_force(session: Session) -> ReductionList | None:
    """The list an active warning links to: measures of its level are those in force."""
    return session.scalar(select(ReductionList).where(ReductionList.status == "in_force"))


def list_entries(reduction_list: ReductionList) -> list[ListEntry]:
    """The list as the checker reads it: fractions per level against each enterprise's emissions."""
    by_enterprise: dict[int, list[ReductionMeasure]] = {}
    for measure in reduction_list.measures:
        by_enterprise.setdefault(measure.enterprise_id, []).append(measure)
    entries = []
    for measures in by_enterprise.values():
        enterprise = measures[0].enterprise
        daily = enterprise_daily(enterprise)
        fractions: dict[Level, dict[Pollutant, float]] = {}
        for measure in measures:
            fractions[measure.level] = {
                p: (getattr(measure, p.value) / daily[p]) if daily[p] > 0 else 0.0
                for p in POLLUTANTS
            }
        entries.append(ListEntry(enterprise.credit_code, daily, fractions))
    return entries


def check_stored_list(
    session: Session, list_id: int, targets: ReductionTargets
) -> tuple[ReductionList, CheckResult]:
    """Check a stored list against the targets and its inventory year's whole-city totals."""
    reduction_list = get_list(session, list_id)
    for measure in reduction_list.measures:
        # A list stored under another scheme (say with blue, checked under a three-level plan)
        # is named as such rather than read with levels the plan does not have.
        targets.levels.get(measure.level)
    baseline = city_baseline(session, reduction_list.inventory_year)
    other = {
        targets.levels.get(level).key: {Pollutant(p): float(v) for p, v in values.items()}
        for level, values in (reduction_list.other_reductions or {}).items()
    }
    return reduction_list, check_list(list_entries(reduction_list), baseline, targets, other)


# ---------------------------------------------------------------- optimiser over the inventory


def _candidates_after_staggering(
    enterprise: Enterprise, shares: Sequence[float], already: Mapping[str, float]
) -> tuple[Candidate, ...]:
    """Limits and a stop on top of what staggered production already cuts, line by line.

    A measure cutting a share s of normal output adds, on a line already cut by c, (s − c) of
    that line's emissions when s > c, nothing otherwise. Output is taken as shared equally by
    the lines (the inventory has no output per line), so the added cost is the output value
    times the mean added cut.
    """
    lines = enterprise.lines
    output_value = enterprise.output_value or 0.0
    chain: list[Candidate] = []
    for share in [*sorted(shares), 1.0]:
        added = [max(0.0, share - already.get(line.name, 0.0)) for line in lines]
        if not lines or not any(added):
            continue
        reductions = {
            p: sum(a * getattr(line, p.value) for a, line in zip(added, lines, strict=True))
            for p in POLLUTANTS
        }
        stop = share >= 1.0
        chain.append(
            Candidate(
                code="stop" if stop else f"limit-{round(share * 100)}",
                description="全厂停产 / whole plant stopped"
                if stop
                else f"限产 {share:.0%}（含错峰生产） / limit output by {share:.0%} (staggering included)",
                kind=MeasureKind.STOP if stop else MeasureKind.LIMIT,
                reductions=reductions,
                cost=output_value * sum(added) / len(lines),
                output_cut=share,
            )
        )
    return tuple(chain)


def options_of(
    enterprise: Enterprise,
    min_limits: Mapping[str, float] | None = None,
    limits: Sequence[float] = DEFAULT_LIMITS,
    already_cut: Mapping[str, float] | None = None,
) -> EnterpriseOptions:
    """The optimiser's view of an inventory enterprise (livelihood load caps the output cut).

    ``already_cut`` maps line names to the share of output staggered production already stops
    (heating season): measures then count only what they add on top of it.
    """
    if enterprise.output_value is None:
        raise InputError(
            f"企业 {enterprise.name}（{enterprise.credit_code}）缺少日产值，无法计算措施成本 / "
            "has no output value per day: the cost of its measures is unknown"
        )
    min_limit = (min_limits or {}).get(enterprise.industry, 0.0)
    offered = sorted({max(share, min_limit) for share in limits})
    max_cut = min((1.0 - d.max_load for d in enterprise.duties), default=1.0)
    if already_cut:
        candidates = _candidates_after_staggering(enterprise, offered, already_cut)
    else:
        candidates = standard_candidates(
            enterprise_daily(enterprise), enterprise.output_value, offered
        )
    return EnterpriseOptions(
        key=enterprise.credit_code,
        candidates=candidates,
        grade=enterprise.grade,
        max_output_cut=max_cut,
        min_limit=min_limit,
    )


def heating_season_cuts(enterprise: Enterprise, rules: StaggeredPlan) -> dict[str, float]:
    """Share of output each line stops for the whole heating season (tasks 37–38)."""
    cuts: dict[str, float] = {}
    for duty in obligations(facts_of(enterprise), rules):
        if duty.period == "heating_season":
            cuts[duty.line] = max(cuts.get(duty.line, 0.0), duty.required_cut)
    return cuts


def optimise_inventory(
    session: Session,
    actor: str,
    targets: ReductionTargets,
    inventory_year: int,
    *,
    method: str = "mip",
    min_limits: Mapping[str, float] | None = None,
    other_reductions: Mapping[Level, Mapping[Pollutant, float]] | None = None,
    name: str | None = None,
    time_limit: float = 25.0,
    heating_season: StaggeredPlan | None = None,
) -> tuple[ReductionList | None, Solution]:
    """Choose the least-cost nested list for the inventory and store it as a draft (audited).

    Returns no list when no choice of measures meets every target; the solution's check says by
    how much even the strongest measures fall short. ``heating_season`` (the staggered rules)
    plans for the heating season: lines stopped or limited by staggered production count only the
    emissions they still have.
    """
    enterprises = list_enterprises(session)
    # In the heating season what staggered production already stops cannot be cut again: with
    # ``heating_season`` the measures count only what they add on top of it.
    options = [
        options_of(
            e,
            min_limits,
            already_cut=heating_season_cuts(e, heating_season) if heating_season else None,
        )
        for e in enterprises
    ]
    baseline = city_baseline(session, inventory_year)
    problem = Problem(options, baseline, targets, other_reductions or {})
    solution = (
        solve_mip(problem, time_limit=time_limit) if method == "mip" else solve_greedy(problem)
    )
    if not solution.feasible:
        return None, solution
    measures = []
    for enterprise in enterprises:
        for level, candidate in zip(
            problem.levels, solution.measures[enterprise.credit_code], strict=True
        ):
            if candidate is None:
                continue
            measures.append(
                MeasureInput(
                    credit_code=enterprise.credit_code,
                    level=level,
                    kind=candidate.kind.value,
                    description=candidate.description,
                    output_cut=candidate.output_cut,
                    reductions=candidate.reductions,
                    cost=candidate.cost,
                )
            )
    gap = "" if solution.gap is None else f", gap {solution.gap:.3%}"
    reduction_list = create_list(
        session,
        actor,
        name=name or f"{targets.plan} {inventory_year} {method}",
        plan=targets.plan,
        inventory_year=inventory_year,
        method=method,
        measures=measures,
        levels=targets.levels,
        note=f"{solution.status}{gap}, cost {solution.weighted_cost:.2f} 万元"
        + ("，错峰生产之外 / on top of staggered production" if heating_season else ""),
        sample=any(e.sample for e in enterprises),
        other_reductions=other_reductions,
    )
    return reduction_list, solution


def facts_of(enterprise: Enterprise) -> EnterpriseFacts:
    """The staggered-production view of an inventory enterprise (tasks 37–38).

    Only the provincial government's approval exempts a task-38 stop ("由于民生等需求存在特殊情况确需
    生产的，应报省级人民政府批准", seed task 38): the livelihood duty's ``approval`` is the filing with
    the city government of task 37 ("报市人民政府备案") and caps task 37's cuts, nothing more.
    """
    loads = [d.max_load for d in enterprise.duties]
    return EnterpriseFacts(
        key=enterprise.credit_code,
        industry=enterprise.industry,
        lines=tuple(
            LineFacts(line.name, line.process, line.fuel, line.meets_special_limits)
            for line in enterprise.lines
        ),
        livelihood_max_load=max(loads) if loads else None,
        approved_exception=bool(enterprise.provincial_approval),
        orders=tuple(
            OrderFacts(
                task=_order_task(order.source_kind),
                reason=order.reason,
                source=f"{order.source_kind}:{order.source_key}",
                first=order.from_date,
                last=order.until,
                lines=frozenset(order.lines or ()),
            )
            for order in enterprise.staggering_orders
            if order.until >= clock.today()
        ),
    )


# ---------------------------------------------------------------- staggered-production orders

#: The plan task a register kind's orders come from (fugitive emissions 19, VOCs 20).
_ORDER_TASKS = {"fugitive": 19, "vocs": 20}


def _order_task(source_kind: str) -> int:
    return _ORDER_TASKS.get(source_kind, 19)


class StaggeringOrderInput(BaseModel):
    """An order putting an enterprise on the winter staggered-production list (tasks 19–20)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    credit_code: str = Field(min_length=18, max_length=18)
    reason: str = Field(min_length=1, max_length=4000)
    clause: str = Field(default="", max_length=2000)
    source_kind: str = Field(min_length=1, max_length=40)
    source_key: str = Field(min_length=1, max_length=64)
    from_date: date
    until: date
    #: Names of the ordered lines; empty: the whole enterprise.
    lines: list[str] = Field(default_factory=list)
    sample: bool = False

    @model_validator(mode="after")
    def _until_after_from(self) -> StaggeringOrderInput:
        if self.until < self.from_date:
            raise ValueError("until precedes from_date")
        return self


def order_staggering(
    session: Session, actor: str, data: StaggeringOrderInput, reason: str | None = None
) -> StaggeringOrder:
    """Put an enterprise of the inventory (or the named lines) on the winter staggered-production
    list (tasks 19–20: "纳入冬季错峰生产方案"); audited as ``staggering_order.add``. From then on
    its obligations (:func:`facts_of` → :func:`lantian.emissions.staggered.obligations`) stop the
    ordered lines in the heating season between ``from_date`` and ``until``, and the reduction
    list's computation (:func:`heating_season_cuts`) counts them as already stopped."""
    enterprise = get_enterprise(session, data.credit_code)
    known = {line.name for line in enterprise.lines}
    unknown = sorted(set(data.lines) - known)
    if unknown:
        raise Invalid(
            f"企业 {enterprise.name} 没有这些生产线：{'、'.join(unknown)} / the enterprise has no "
            f"lines {', '.join(unknown)}",
            field="lines",
        )
    with acting_as(session, actor, action="staggering_order.add", reason=reason or data.reason):
        order = StaggeringOrder(
            enterprise_id=enterprise.id,
            lines=sorted(set(data.lines)),
            reason=data.reason,
            clause=data.clause,
            source_kind=data.source_kind,
            source_key=data.source_key,
            from_date=data.from_date,
            until=data.until,
            ordered_by=actor,
            ordered_at=clock.now(),
            sample=data.sample,
        )
        session.add(order)
        session.flush()
    session.refresh(enterprise, ["staggering_orders"])
    return order


def known_credit_codes(session: Session, codes: Iterable[str]) -> set[str]:
    """Which of ``codes`` name an enterprise of the inventory (registers linking to it check theirs)."""
    wanted = {c for c in codes if c}
    if not wanted:
        return set()
    return set(
        session.scalars(select(Enterprise.credit_code).where(Enterprise.credit_code.in_(wanted)))
    )
