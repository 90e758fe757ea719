"""Discharge permits of the key sectors (重点行业排污许可证核发, plan task 22).

Task 22: "在2017年10月底前，全部完成电力、水泥企业排污许可证发放工作。2017年12月底前，完成铜铅锌
冶炼、电解铝、原料药制造、农药等行业排污许可证核发工作。未依法取得排污许可证排放污染物的，依法依规予以
处罚。对不按证排污的，依法实施停产整治，并处罚款，拒不改正的，依法实施按日计罚。"

The sectors and their deadlines are plan data (``permit_sectors`` of task 22 in the plan's
tasks.yaml, :meth:`lantian.plan.Plan.permit_sectors`): another city's plan sets its own. One entry
is one enterprise of the emission inventory (:class:`lantian.emissions.models.Enterprise`, named by
its 统一社会信用代码) in one sector: its permit's number, issue date and validity. An entry must
name a firm of the inventory, in the entry's township, of an industry of its sector; its deadline
is the sector's. The permit the register issues is the inventory's ``permit_number`` (written
through :func:`lantian.emissions.service.set_permit_number`, audited); an entry without a permit in
force clears it there.

Lifecycle::

    pending ──issue (number and date filled, the permit photographed)──► issued
    pending / issued ──stop (停产整治: production stopped, photographed)──► stopped
    stopped ──issue──► issued

A firm of these sectors still pending after its sector's deadline operates without a permit, and a
stopped firm found producing does so too: one case per firm (rule ``unpermitted``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator
from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.emissions.models import Enterprise
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    Indicator,
    IndicatorValue,
    RegisterKind,
    Rule,
    SampleContext,
    end_of_day,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

if TYPE_CHECKING:
    from lantian.plan import Plan
    from lantian.plan.schema import PermitSector

CLAUSE_22 = (
    "任务22：在2017年10月底前，全部完成电力、水泥企业排污许可证发放工作。2017年12月底前，完成铜铅锌"
    "冶炼、电解铝、原料药制造、农药等行业排污许可证核发工作"
)
CLAUSE_UNPERMITTED = "任务22：未依法取得排污许可证排放污染物的，依法依规予以处罚"
CLAUSE_STOP = "任务22：对不按证排污的，依法实施停产整治，并处罚款，拒不改正的，依法实施按日计罚"
CREDIT_CODE = r"^[0-9A-HJ-NPQRTUWXY]{18}$"


class DischargePermit(RegisterRecord):
    __tablename__ = "src_discharge_permits"
    __audit_type__ = "discharge_permit"

    #: 统一社会信用代码 of the inventory's enterprise (``emission_enterprises.credit_code``).
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    #: The plan's sector key (tasks.yaml, task 22 ``permit_sectors``).
    sector: Mapped[str] = mapped_column(String(40), index=True)
    permit_number: Mapped[str | None] = mapped_column(String(40))
    issued_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)


class PermitRow(RegisterRow):
    credit_code: str = Field(pattern=CREDIT_CODE)
    sector: str = Field(min_length=1, max_length=40)
    permit_number: str | None = Field(default=None, max_length=40)
    issued_on: date | None = None
    valid_until: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> PermitRow:
        if self.valid_until and self.issued_on and self.valid_until <= self.issued_on:
            raise ValueError("有效期至应晚于发证日期 / valid until must be after the issue date")
        return self


PERMIT_SEEN = ChecklistItem(
    "permit_seen", "许可证正本核验（拍照）", "permit certificate seen", CLAUSE_22, True
)
PRODUCTION_STOPPED = ChecklistItem(
    "production_stopped", "停产到位（拍照）", "production stopped", CLAUSE_STOP, True
)
DISCHARGE_PER_PERMIT = ChecklistItem(
    "discharge_per_permit", "按证排污", "discharging as the permit allows", CLAUSE_STOP
)
CHECKLIST = (PERMIT_SEEN, PRODUCTION_STOPPED, DISCHARGE_PER_PERMIT)


def _issue_holds(facts: Facts) -> list[Unmet]:
    record: Any = facts.record
    unmet: list[Unmet] = []
    if not record.permit_number:
        unmet.append(("未填写许可证编号", "the permit number is not filled in"))
    if record.issued_on is None:
        unmet.append(("未填写发证日期", "the issue date is not filled in"))
    elif record.issued_on > facts.today:
        unmet.append(("发证日期在将来", "the issue date is in the future"))
    return [*unmet, *unproven(facts, (PERMIT_SEEN,))]


def _stop_holds(facts: Facts) -> list[Unmet]:
    return unproven(facts, (PRODUCTION_STOPPED,))


LIFECYCLE = Lifecycle(
    states=(
        State("pending", "未发证", "no permit yet"),
        State("issued", "已核发", "permit issued", closed=True),
        State("stopped", "停产整治", "stopped"),
    ),
    initial="pending",
    transitions=(
        step(
            "issue",
            ("核发许可证", "issue the permit"),
            {"pending", "stopped"},
            "issued",
            OFFICE_ROLES | {"unit"},
            CLAUSE_22,
            guard=_issue_holds,
        ),
        step(
            "stop",
            ("责令停产整治", "order a stop"),
            {"pending", "issued"},
            "stopped",
            KEEPERS | VERIFIERS,
            CLAUSE_STOP,
            guard=_stop_holds,
            note_required=True,
        ),
    ),
)


@lru_cache(maxsize=8)
def _sectors(plan: Plan) -> dict[str, PermitSector]:
    """The plan's sectors, read once per plan (rules and imports ask for every entry)."""
    return plan.permit_sectors()


def sector_of(plan: Plan | None, key: str) -> PermitSector | None:
    """The plan's sector ``key`` (None without a plan or such a sector)."""
    if plan is None:
        return None
    return _sectors(plan).get(key)


def _admit(session: Session, plan: Plan, row: PermitRow) -> list[tuple[str, str]]:
    """The entry's firm is the inventory's, in the entry's township and of an industry of its
    sector; the sector is the plan's and the deadline its own (filled in when left empty)."""
    problems: list[tuple[str, str]] = []
    sectors = _sectors(plan)
    named = next((s for s in sectors.values() if row.sector in (s.name, f"{s.name} {s.key}")), None)
    if named is not None:  # the sector as the document names it (水泥) stands for its key
        row.sector = named.key
    sector = sectors.get(row.sector)
    if sector is None:
        known = "、".join(f"{s.key}（{s.name}）" for s in sectors.values()) or "无 none"
        problems.append(
            (
                "sector",
                f"行业 {row.sector} 不是计划任务22的行业（可选：{known}）/ {row.sector!r} is not a "
                "sector of the plan's task 22",
            )
        )
    elif row.deadline is None:
        row.deadline = sector.deadline
    elif row.deadline != sector.deadline:
        problems.append(
            (
                "deadline",
                f"{sector.name}行业的完成时限为 {sector.deadline}（计划）/ the plan sets "
                f"{sector.deadline} for the sector",
            )
        )
    firm = session.scalar(select(Enterprise).where(Enterprise.credit_code == row.credit_code))
    if firm is None:
        problems.append(
            (
                "credit_code",
                f"排放清单中没有统一社会信用代码为 {row.credit_code} 的企业 / no enterprise "
                "with this credit code in the emission inventory",
            )
        )
    else:
        if firm.area_code != row.area_code:
            problems.append(
                (
                    "area_code",
                    f"清单中该企业位于 {firm.area_code} / the inventory places the firm in "
                    f"{firm.area_code}",
                )
            )
        if sector is not None and firm.industry not in sector.industries:
            problems.append(
                (
                    "sector",
                    f"清单中该企业行业为 {firm.industry}，不属于{sector.name} / the firm's industry "
                    f"{firm.industry} is not one of the sector's ({', '.join(sector.industries)})",
                )
            )
    twin = session.scalar(
        select(DischargePermit.key).where(
            DischargePermit.credit_code == row.credit_code,
            DischargePermit.sector == row.sector,
            DischargePermit.key != row.key,
        )
    )
    if twin is not None:
        problems.append(
            (
                "credit_code",
                f"该企业该行业已登记为 {twin} / the firm is registered for the sector as {twin}",
            )
        )
    return problems


def _keep_inventory(session: Session, actor: str, record: DischargePermit) -> None:
    """The inventory shows the permit the register has in force (none while pending)."""
    from lantian.emissions.service import set_permit_number

    in_force = record.state != "pending" and record.issued_on is not None
    shown = record.permit_number if in_force else None
    if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == record.credit_code)):
        set_permit_number(
            session,
            actor,
            record.credit_code,
            shown,
            f"排污许可台账 {record.key}（{LIFECYCLE.state(record.state).zh}）/ permit register",
        )


def _unpermitted(facts: Facts) -> Breach | None:
    """A firm of the plan's sectors operating without a permit after its sector's deadline:
    still pending then, or stopped and found producing at a check after the stop."""
    record: Any = facts.record
    sector = sector_of(facts.plan, record.sector)
    deadline = sector.deadline if sector is not None else record.deadline
    if deadline is None:
        return None
    name = sector.name if sector is not None else record.sector
    if record.state == "pending" and deadline < facts.today:
        return Breach(
            title=f"无证排污：{record.name}",
            description=f"{name}行业排污许可证核发时限 {deadline} 已过，{record.name}"
            f"（{record.credit_code}）仍未取得排污许可证 / no permit after the sector's "
            f"deadline {deadline}",
            observed_at=end_of_day(deadline),
            severity="serious",
            deadline=end_of_day(deadline) + timedelta(days=15),
        )
    if record.state != "stopped":
        return None
    for check in facts.checks:
        if check.checked_at < record.state_since:
            break
        entry = (check.items or {}).get(PRODUCTION_STOPPED.key)
        if entry is not None:
            if entry["result"] != "fail" or check.checked_at.date() <= deadline:
                return None
            return Breach(
                title=f"无证排污：{record.name}",
                description=f"{check.checked_at:%Y-%m-%d} 核查发现责令停产的{record.name}"
                f"（{record.credit_code}）未取得排污许可证仍在生产 / a stopped firm without a "
                "permit was found producing",
                observed_at=check.checked_at,
                severity="serious",
            )
    return None


def _permitted_share(session: Session) -> IndicatorValue:
    """Of the inventory's firms of the plan's sectors, the share issued a permit by their
    sector's deadline (each sector's share behind the figure)."""
    from lantian.plan import plan_in_force

    sectors = plan_in_force().permit_sectors()
    industries = {industry: s for s in sectors.values() for industry in s.industries}
    firms = session.execute(
        select(Enterprise.credit_code, Enterprise.industry).where(
            Enterprise.industry.in_(list(industries))
        )
    ).all()
    permits = {
        (credit_code, sector): issued_on
        for credit_code, sector, issued_on in session.execute(
            select(
                DischargePermit.credit_code, DischargePermit.sector, DischargePermit.issued_on
            ).where(DischargePermit.state == "issued")
        )
    }
    total: dict[str, int] = {}
    done: dict[str, int] = {}
    for credit_code, industry in firms:
        sector = industries[industry]
        total[sector.key] = total.get(sector.key, 0) + 1
        issued_on = permits.get((credit_code, sector.key))
        if issued_on is not None and issued_on <= sector.deadline:
            done[sector.key] = done.get(sector.key, 0) + 1
    permitted = sum(done.values())
    return IndicatorValue(
        "discharge_permits_issued_share",
        round(100.0 * permitted / len(firms), 1) if firms else None,
        len(firms),
        f"排放清单中重点行业企业 {len(firms)} 家，按期取得排污许可证 {permitted} 家",
        f"{permitted} of the inventory's {len(firms)} firms of the key sectors permitted by "
        "their deadline",
        tuple(
            (f"{s.name} {s.key}（{s.deadline}）", round(100.0 * done.get(key, 0) / total[key], 1))
            for key, s in sectors.items()
            if total.get(key)
        ),
    )


def _sample(context: SampleContext) -> Sequence[PermitRow]:
    """One entry per inventory firm of the plan's sectors (the demo's inventory): most with the
    certificate on file, a few still pending."""
    if context.session is None or context.plan is None:
        return []
    rng = context.rng
    sectors = context.plan.permit_sectors()
    by_industry = {industry: s for s in sectors.values() for industry in s.industries}
    areas = dict(context.areas)
    firms = context.session.scalars(
        select(Enterprise)
        .where(Enterprise.industry.in_(list(by_industry)), Enterprise.sample.is_(True))
        .order_by(Enterprise.credit_code)
    ).all()
    rows = []
    for firm in firms:
        if firm.area_code not in areas:
            continue
        sector = by_industry[firm.industry]
        # Most certificates were issued in the national rollout of mid-2017 and are on file by
        # the time the register is drawn up; the office confirms each (``issue``). One firm in
        # fifty has none yet and stays pending past its deadline (the office's case).
        issued_on = date(2017, 7, rng.randint(1, 31)) if rng.random() < 0.98 else None
        rows.append(
            PermitRow(
                key=f"PW-{firm.credit_code}",
                name=firm.name,
                area_code=firm.area_code,
                unit_code="hbj",
                address=f"新密市{areas[firm.area_code]}",
                deadline=sector.deadline,
                note="示例数据 / sample",
                credit_code=firm.credit_code,
                sector=sector.key,
                permit_number=f"{firm.credit_code}001P" if issued_on else None,
                issued_on=issued_on,
                valid_until=issued_on.replace(year=issued_on.year + 3) if issued_on else None,
            )
        )
    return rows


KIND = RegisterKind(
    key="discharge_permit",
    zh="排污许可证核发",
    en="discharge permit",
    tasks=("22",),
    model=DischargePermit,
    row=PermitRow,
    columns=columns(
        Column(
            "credit_code",
            "credit code",
            "统一社会信用代码",
            example="91410183MA0000000X",
            note_zh="排放清单中企业的统一社会信用代码",
            note_en="the credit code of the enterprise in the emission inventory",
            width=22,
        ),
        Column(
            "sector",
            "sector",
            "行业",
            example="cement",
            note_zh="计划任务22的行业（代码或名称）：power 电力、cement 水泥、copper_lead_zinc 铜铅锌冶炼、"
            "aluminium 电解铝、pharmaceutical 原料药制造、pesticide 农药（以计划为准）",
            note_en="the plan's task-22 sector, its key or name (power, cement, copper_lead_zinc, "
            "aluminium, pharmaceutical, pesticide in the default plan)",
            width=14,
        ),
        Column("permit_number", "permit number", "许可证编号", example="91410183MA0000000X001P"),
        Column("issued_on", "issued on", "发证日期", example="2017-10-20", width=12),
        Column("valid_until", "valid until", "有效期至", example="2020-10-19", width=12),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "unpermitted",
            "逾期无证排污",
            "operating without a permit after the deadline",
            CLAUSE_UNPERMITTED,
            _unpermitted,
        ),
    ),
    indicators=(Indicator("discharge_permits_issued_share", _permitted_share),),
    sample=_sample,
    list_fields=("credit_code", "sector", "permit_number", "issued_on"),
    filter_fields=("sector",),
    order=22,
    admit=_admit,
    after_change=_keep_inventory,
    notes=(
        (
            "企业须已在排放清单中（统一社会信用代码一致、乡镇一致）；完成时限可空，按计划中该行业的时限填写。",
            "The firm must be in the emission inventory (same credit code and township); the "
            "deadline may be left empty: the plan's deadline of the sector applies.",
        ),
    ),
)
