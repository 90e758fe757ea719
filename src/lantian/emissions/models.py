"""Tables of the emissions domain: the inventory (enterprises, lines, city totals) and reduction lists.

Seed tasks 37–39 and 41; spec/standards.md §4.4. Emissions are normal daily amounts in t/d; each
line records where each of its four numbers comes from (permit, stack monitoring, inventory).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lantian.db.audited import Audited
from lantian.db.base import Base, CreatedAtMixin, UtcDateTime, utc_now

#: Where a normal daily emission comes from (排污许可 / 在线监测 / 清单估算).
EMISSION_SOURCES = ("permit", "cems", "inventory")
#: Performance grades (绩效分级) where known.
GRADES = ("A", "B", "C", "D")
#: Livelihood duties (保民生任务) of seed task 37.
LIVELIHOOD_DUTIES = ("heating", "waste_coprocessing", "hazardous_waste", "other")
#: Life of a reduction list.
LIST_STATUSES = ("draft", "in_force", "superseded")
MEASURE_KINDS = ("limit", "stop_line", "stop_process", "stop", "stop_transport", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Enterprise(CreatedAtMixin, Base):
    """An enterprise of the emission inventory (排放清单企业)."""

    __tablename__ = "emission_enterprises"
    __table_args__ = (
        CheckConstraint(f"grade IS NULL OR {_in('grade', GRADES)}", name="grade_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(
        String(18), unique=True, comment="统一社会信用代码 (GB 32100)"
    )
    name: Mapped[str] = mapped_column(String(200), comment="企业名称")
    area_code: Mapped[str] = mapped_column(String(9), index=True, comment="乡镇/街道 NBS code")
    industry: Mapped[str] = mapped_column(String(40), index=True, comment="行业 code")
    grade: Mapped[str | None] = mapped_column(String(1), comment="绩效等级 A–D, if known")
    permit_number: Mapped[str | None] = mapped_column(String(40), comment="排污许可证编号")
    output_value: Mapped[float | None] = mapped_column(
        Float, comment="日产值 (万元/d): the default cost of stopping"
    )
    key_transport: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="重点用车企业 (seed task 39)"
    )
    provincial_approval: Mapped[str | None] = mapped_column(
        String(200),
        comment="省级人民政府批准文号: production despite a task-38 stop (not a city filing)",
    )
    sample: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="示例数据: generated, not a real enterprise"
    )
    note: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[ProductionLine]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="ProductionLine.id"
    )
    duties: Mapped[list[LivelihoodDuty]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="LivelihoodDuty.id"
    )
    staggering_orders: Mapped[list[StaggeringOrder]] = relationship(
        back_populates="enterprise", order_by="StaggeringOrder.id"
    )


class LivelihoodDuty(Base):
    """A livelihood duty and its approved maximum load (seed task 37: 核定最大允许生产负荷)."""

    __tablename__ = "emission_livelihood_duties"
    __table_args__ = (
        CheckConstraint(_in("duty", LIVELIHOOD_DUTIES), name="duty_known"),
        CheckConstraint("max_load >= 0 AND max_load <= 1", name="max_load_fraction"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("emission_enterprises.id", ondelete="CASCADE"), index=True
    )
    duty: Mapped[str] = mapped_column(String(24))
    max_load: Mapped[float] = mapped_column(Float, comment="approved maximum load, share of normal")
    approval: Mapped[str | None] = mapped_column(String(200), comment="备案文号")

    enterprise: Mapped[Enterprise] = relationship(back_populates="duties")


class ProductionLine(Base):
    """A production line or process with its normal daily emissions and their sources."""

    __tablename__ = "emission_lines"
    __table_args__ = (
        *(
            CheckConstraint(_in(f"{p}_source", EMISSION_SOURCES), name=f"{p}_source_known")
            for p in ("so2", "nox", "pm", "vocs")
        ),
        *(
            CheckConstraint(f"{p} >= 0", name=f"{p}_not_negative")
            for p in ("so2", "nox", "pm", "vocs")
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("emission_enterprises.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120), comment="生产线/工序")
    process: Mapped[str | None] = mapped_column(
        String(60), comment="工序 code (e.g. casting, vocs) for staggered rules"
    )
    fuel: Mapped[str | None] = mapped_column(String(20), comment="gas, electric, coal …")
    meets_special_limits: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="达到特别排放限值"
    )
    so2: Mapped[float] = mapped_column(Float, default=0.0, comment="t/d")
    nox: Mapped[float] = mapped_column(Float, default=0.0, comment="t/d")
    pm: Mapped[float] = mapped_column(Float, default=0.0, comment="t/d")
    vocs: Mapped[float] = mapped_column(Float, default=0.0, comment="t/d")
    so2_source: Mapped[str] = mapped_column(String(10), default="inventory")
    nox_source: Mapped[str] = mapped_column(String(10), default="inventory")
    pm_source: Mapped[str] = mapped_column(String(10), default="inventory")
    vocs_source: Mapped[str] = mapped_column(String(10), default="inventory")

    enterprise: Mapped[Enterprise] = relationship(back_populates="lines")


class CityTotal(Audited, CreatedAtMixin, Base):
    """Whole-city daily emissions of one sector in one inventory year (全社会排放量, t/d); audited
    as ``emission_city_total.set`` under ``<year>:<sector>``."""

    __tablename__ = "emission_city_totals"
    __audit_type__ = "emission_city_total"
    __audit_ignore__ = frozenset({"id", "created_at"})

    def audit_key(self, session: Session) -> str:
        return f"{self.inventory_year}:{self.sector}"

    __table_args__ = (UniqueConstraint("inventory_year", "sector"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inventory_year: Mapped[int] = mapped_column(Integer)
    sector: Mapped[str] = mapped_column(String(40), comment="industry, power, mobile, dust …")
    so2: Mapped[float] = mapped_column(Float, default=0.0)
    nox: Mapped[float] = mapped_column(Float, default=0.0)
    pm: Mapped[float] = mapped_column(Float, default=0.0)
    vocs: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str | None] = mapped_column(String(200), comment="where the totals come from")
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class ReductionList(Audited, CreatedAtMixin, Base):
    """An emergency reduction list (应急减排项目清单) against one inventory year; audited
    (``reduction_list.create``, status changes as ``reduction_list.status``)."""

    __tablename__ = "reduction_lists"
    __audit_type__ = "reduction_list"
    __audit_verbs__: ClassVar[Mapping[str, str]] = {"add": "reduction_list.create"}
    __audit_ignore__ = frozenset({"id", "created_at"})
    __table_args__ = (CheckConstraint(_in("status", LIST_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(60))
    inventory_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    method: Mapped[str] = mapped_column(String(20), comment="manual, import, mip, greedy")
    created_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    other_reductions: Mapped[dict[str, dict[str, float]] | None] = mapped_column(
        JSON, comment="t/d per level and pollutant from measures outside the list"
    )
    sample: Mapped[bool] = mapped_column(Boolean, default=False)

    measures: Mapped[list[ReductionMeasure]] = relationship(
        back_populates="reduction_list", cascade="all, delete-orphan"
    )


class ReductionMeasure(Base):
    """The measure in force for one enterprise at one level (cumulative: contains lower levels)."""

    __tablename__ = "reduction_measures"
    __table_args__ = (
        UniqueConstraint("list_id", "enterprise_id", "level"),
        CheckConstraint(_in("kind", MEASURE_KINDS), name="kind_known"),
        CheckConstraint("output_cut >= 0 AND output_cut <= 1", name="output_cut_fraction"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("reduction_lists.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("emission_enterprises.id", ondelete="RESTRICT"), index=True
    )
    #: A level key of the plan's warning scheme (the service checks it against the plan).
    level: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    output_cut: Mapped[float] = mapped_column(Float, default=0.0, comment="share of output stopped")
    so2: Mapped[float] = mapped_column(Float, default=0.0, comment="reduction t/d")
    nox: Mapped[float] = mapped_column(Float, default=0.0, comment="reduction t/d")
    pm: Mapped[float] = mapped_column(Float, default=0.0, comment="reduction t/d")
    vocs: Mapped[float] = mapped_column(Float, default=0.0, comment="reduction t/d")
    cost: Mapped[float | None] = mapped_column(Float, comment="万元/d")

    reduction_list: Mapped[ReductionList] = relationship(back_populates="measures")
    enterprise: Mapped[Enterprise] = relationship()


class StaggeringOrder(Audited, Base):
    """An order putting an enterprise (or some of its lines) on the winter staggered-production
    list (纳入冬季错峰生产方案) because a register entry found it not compliant: seed task 19
    ("未落实无组织排放控制要求的企业，要依法予以处罚，实施停产整治，纳入冬季错峰生产方案") and task 20
    ("2017 年 10 月底前，未完成治理改造的企业，纳入冬季错峰生产方案"). While in force (from–until) the
    ordered lines stop in the heating season (:func:`lantian.emissions.staggered.obligations`).
    Audited as ``staggering_order.add``."""

    __tablename__ = "emission_staggering_orders"
    __audit_type__ = "staggering_order"
    __table_args__ = (CheckConstraint("until >= from_date", name="until_after_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("emission_enterprises.id", ondelete="RESTRICT"), index=True
    )
    #: Names of the ordered lines; empty: every line of the enterprise.
    lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text)
    clause: Mapped[str] = mapped_column(Text, default="")
    #: The register entry it came from: kind key and entry key (e.g. ``fugitive``, ``WZZ-0001``).
    source_kind: Mapped[str] = mapped_column(String(40))
    source_key: Mapped[str] = mapped_column(String(64), index=True)
    from_date: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    ordered_by: Mapped[str] = mapped_column(String(100))
    ordered_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)

    enterprise: Mapped[Enterprise] = relationship(back_populates="staggering_orders")
