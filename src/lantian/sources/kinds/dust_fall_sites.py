"""Dust-fall sampling sites (降尘监测点位, plan tasks 1 and 33).

Task 1: "城区要布设降尘量监测点位，做好数据质量控制，每月向省、郑州市环境监测站报送降尘量。"
Task 33: "以平均降尘量小于9吨/月·平方公里作为控制指标，纳入乡镇党政领导干部考核问责范围。"

One entry is one site (its code is the key) in one township: where the collector (集尘缸) stands,
its height above the ground (GB/T 15265: 5–12 m, 1–1.5 m above the platform it stands on) and
the collector used. Its monthly samples are the register
:mod:`lantian.sources.kinds.dust_fall_samples`; a township is judged on the samples of its own sites.

Lifecycle::

    planned ──commission (placement checked on site with a photo)──► operating
    operating ──retire (note: moved, demolished)──► retired
"""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import Float, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    ChecklistItem,
    Facts,
    RegisterKind,
    SampleContext,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

KEY = "dust_fall_site"
CLAUSE_SITES = "任务1：城区要布设降尘量监测点位，做好数据质量控制"
#: GB/T 15265-94 §5: the collector 5–12 m above the ground, 1–1.5 m above its platform, away
#: from local sources and obstacles.
PLACEMENT = ChecklistItem(
    "placement",
    "点位布设符合 GB/T 15265（距地面 5～12 m，周围无遮挡、无局部污染源）",
    "placed as GB/T 15265 asks (5–12 m above ground, no obstacle or local source nearby)",
    CLAUSE_SITES,
    evidence_required=True,
)
CHECKLIST = (PLACEMENT,)


class DustFallSite(RegisterRecord):
    __tablename__ = "src_dust_fall_sites"
    __audit_type__ = "dust_fall_site"

    #: Height of the collector's mouth above the ground (m).
    height_m: Mapped[float] = mapped_column(Float)
    #: The collector used (集尘缸: material, inner diameter), as the field sheet describes it.
    collector: Mapped[str | None] = mapped_column(String(100))


class DustFallSiteRow(RegisterRow):
    height_m: float = Field(gt=0, le=100)
    collector: str | None = Field(default=None, max_length=100)


def _placed(facts: Facts) -> list[Unmet]:
    return unproven(facts, CHECKLIST)


LIFECYCLE = Lifecycle(
    states=(
        State("planned", "拟布设", "planned"),
        State("operating", "运行中", "operating", closed=True),
        State("retired", "已撤销", "retired", closed=True),
    ),
    initial="planned",
    transitions=(
        step(
            "commission",
            ("投入运行", "commission"),
            {"planned"},
            "operating",
            KEEPERS,
            CLAUSE_SITES,
            guard=_placed,
        ),
        step(
            "retire",
            ("撤销点位", "retire"),
            {"planned", "operating"},
            "retired",
            OFFICE_ROLES,
            CLAUSE_SITES,
            note_required=True,
        ),
    ),
)


def site_count(session: Session) -> int:
    """How many sites are not retired."""
    return int(
        session.scalar(
            select(func.count()).select_from(DustFallSite).where(DustFallSite.state != "retired")
        )
        or 0
    )


def _sample(context: SampleContext) -> list[DustFallSiteRow]:
    """One site per township and sub-district, two in the seat (城关镇) and the sub-districts'
    first, as a city's monitoring station lays them out on roofs of schools and offices."""
    rng = context.rng
    rows = []
    places = ("镇政府楼顶", "中心小学楼顶", "卫生院楼顶", "派出所楼顶", "文化站楼顶")
    for code, area_name in context.areas:
        count = 2 if code.endswith("100") else 1
        for number in range(1, count + 1):
            rows.append(
                DustFallSiteRow(
                    key=f"JC-{code[-3:]}-{number:02d}",
                    name=f"{area_name}降尘点{number}",
                    area_code=code,
                    unit_code="hbj",
                    address=f"{area_name}{rng.choice(places)}",
                    longitude=round(113.2 + rng.random() * 0.35, 5),
                    latitude=round(34.4 + rng.random() * 0.2, 5),
                    note="示例数据 / sample",
                    height_m=round(rng.uniform(6, 11), 1),
                    collector="玻璃集尘缸 内径15cm",
                )
            )
    return rows


KIND = RegisterKind(
    key=KEY,
    zh="降尘监测点位",
    en="dust-fall sampling site",
    tasks=("1", "33"),
    model=DustFallSite,
    row=DustFallSiteRow,
    columns=columns(
        Column(
            "height_m",
            "height m",
            "采样高度（米）",
            example="8.5",
            note_zh="集尘缸口距地面高度，GB/T 15265 要求 5～12 米",
            note_en="the collector's mouth above the ground; GB/T 15265: 5–12 m",
            width=10,
        ),
        Column("collector", "collector", "集尘缸", example="玻璃集尘缸 内径15cm", width=18),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    sample=_sample,
    list_fields=("height_m", "collector"),
    order=1,
    pages=(("/sources/dust_fall_sample/report", "降尘月报", "monthly dust-fall report"),),
    notes=(
        (
            "每个点位一行，编号为点位编码；各月样品在「降尘样品」台账中按点位编码登记。",
            "One row per site, keyed by its code; its monthly samples are filed in the dust-fall "
            "sample register under that code.",
        ),
    ),
)
