"""Clean-briquette production and storage centres and distribution outlets (洁净型煤, plan task 11).

Task 11: "全市建成2座洁净型煤生产仓储供应中心，建设14个配送网点建设，实现洁净型煤生产仓储配送中心全覆盖。"
(annex: 2017年10月底前完成2个洁净型煤生产仓储供应中心、14个配送网点建设). The targets
``briquette_centres`` and ``briquette_outlets`` count the sites built, each checked in service.

Lifecycle::

    planned ──start──► building ──complete (checked in service, with a photo)──► built
    built ──reopen (a revisit found it not supplying; note required)──► building
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field
from sqlalchemy import Float, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.kinds._coal import CLAUSE_11, SAMPLE_NOTE, sample_point
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
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
    overdue_rule,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

SITE_TYPES = {"centre": "生产仓储供应中心", "outlet": "配送网点"}
SiteType = Literal["centre", "outlet"]


class BriquetteSite(RegisterRecord):
    __tablename__ = "src_briquette_sites"
    __audit_type__ = "briquette_site"

    site_type: Mapped[str] = mapped_column(String(10), index=True)
    #: Production (centre) or storage (outlet) capacity, t.
    capacity_t: Mapped[float | None] = mapped_column(Float)
    #: The centre an outlet is supplied from (its key).
    supplied_by: Mapped[str | None] = mapped_column(String(64))
    operator: Mapped[str | None] = mapped_column(String(100))


class BriquetteSiteRow(RegisterRow):
    site_type: SiteType
    capacity_t: float | None = Field(default=None, gt=0)
    supplied_by: str | None = Field(default=None, max_length=64)
    operator: str | None = Field(default=None, max_length=100)


IN_SERVICE = ChecklistItem(
    "in_service", "建成并供应洁净型煤", "built and supplying briquettes", CLAUSE_11, True
)
CHECKLIST = (IN_SERVICE,)


def _in_service(facts: Facts) -> list[Unmet]:
    return unproven(facts, (IN_SERVICE,))


LIFECYCLE = Lifecycle(
    states=(
        State("planned", "规划", "planned"),
        State("building", "建设中", "being built"),
        State("built", "已建成", "built", closed=True),
    ),
    initial="planned",
    transitions=(
        step("start", ("开工建设", "start building"), {"planned"}, "building", KEEPERS, CLAUSE_11),
        step(
            "complete",
            ("建成验收", "complete"),
            {"building"},
            "built",
            KEEPERS,
            CLAUSE_11,
            guard=_in_service,
        ),
        step(
            "reopen",
            ("重新整改", "reopen"),
            {"built"},
            "building",
            VERIFIERS,
            CLAUSE_11,
            note_required=True,
        ),
    ),
)


def _not_supplying(facts: Facts) -> Breach | None:
    """A site counted as built found not supplying at a check after it was built."""
    record = facts.record
    if record.state != "built":
        return None
    for check in facts.checks:
        if check.checked_at < record.state_since:
            break
        entry = (check.items or {}).get(IN_SERVICE.key)
        if entry is not None and entry["result"] == "fail":
            return Breach(
                title=f"洁净型煤网点未正常供应：{record.name}",
                description=f"{check.checked_at:%Y-%m-%d} 核查发现已建成的 {record.key} 未供应"
                "洁净型煤 / a site counted as built was found not supplying",
                observed_at=check.checked_at,
                severity="general",
            )
    return None


def _built(site_type: SiteType, target_key: str, zh: str, en: str) -> Indicator:
    def compute(session: Session) -> IndicatorValue:
        model = BriquetteSite
        rows = session.execute(
            select(model.area_code, model.state, func.count())
            .where(model.site_type == site_type)
            .group_by(model.area_code, model.state)
        ).all()
        total = sum(int(n) for _, _, n in rows)
        by_area: dict[str, int] = {}
        for area, state, count in rows:
            if state == "built":
                by_area[area] = by_area.get(area, 0) + int(count)
        return IndicatorValue(
            target_key,
            float(sum(by_area.values())),
            total,
            f"台账 {total} 个{zh}中已建成的个数",
            f"{en} built, of {total} registered",
            tuple((area, float(n)) for area, n in sorted(by_area.items())),
        )

    return Indicator(target_key, compute)


def _sample(context: SampleContext) -> list[BriquetteSiteRow]:
    rng = context.rng
    areas = list(context.areas)
    rows = []
    centres = []
    for number, (code, area_name) in enumerate(rng.sample(areas, min(2, len(areas))), start=1):
        key = f"XMZX-{number:02d}"
        centres.append(key)
        longitude, latitude = sample_point(rng)
        rows.append(
            BriquetteSiteRow(
                key=key,
                name=f"示例{area_name}洁净型煤生产仓储供应中心",
                area_code=code,
                unit_code="gszjj",
                address=f"{area_name}示例产业园",
                longitude=longitude,
                latitude=latitude,
                deadline=date(2017, 10, 31),
                note=SAMPLE_NOTE,
                site_type="centre",
                capacity_t=float(rng.choice((100_000, 150_000, 200_000))),
                operator=f"新密市示例洁净煤有限公司{number}",
            )
        )
    for number in range(1, 15):
        code, area_name = areas[(number - 1) % len(areas)]
        longitude, latitude = sample_point(rng)
        rows.append(
            BriquetteSiteRow(
                key=f"XMWD-{number:02d}",
                name=f"示例{area_name}洁净型煤配送网点",
                area_code=code,
                unit_code="gszjj",
                address=f"{area_name}示例村",
                longitude=longitude,
                latitude=latitude,
                deadline=date(2017, 10, 31),
                note=SAMPLE_NOTE,
                site_type="outlet",
                capacity_t=float(rng.choice((500, 800, 1_000, 2_000))),
                supplied_by=rng.choice(centres) if centres else None,
            )
        )
    return rows


KIND = RegisterKind(
    key="briquette_site",
    zh="洁净型煤中心及网点",
    en="clean-briquette centre or outlet",
    tasks=("11",),
    model=BriquetteSite,
    row=BriquetteSiteRow,
    columns=columns(
        Column("site_type", "site type", "类型", choices=SITE_TYPES, example="配送网点", width=18),
        Column(
            "capacity_t", "capacity t", "产能或储量（吨）", aliases=("产能", "储量"), example="1000"
        ),
        Column("supplied_by", "supplied by", "供应中心编号", example="XMZX-01"),
        Column("operator", "operator", "运营单位", example="新密市某洁净煤有限公司"),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        overdue_rule(
            lifecycle=LIFECYCLE,
            clause=CLAUSE_11,
            title=lambda record: (
                f"洁净型煤{SITE_TYPES.get(record.site_type, '')}逾期未建成：{record.name}"
            ),
            label=("逾期未建成", "not built by the deadline"),
            done=frozenset({"built"}),
        ),
        Rule("not_supplying", "未正常供应", "not supplying", CLAUSE_11, _not_supplying),
    ),
    indicators=(
        _built("centre", "briquette_centres", "生产仓储供应中心", "production and storage centres"),
        _built("outlet", "briquette_outlets", "配送网点", "distribution outlets"),
    ),
    sample=_sample,
    list_fields=("site_type", "capacity_t"),
    filter_fields=("site_type",),
    order=11,
)
