"""emission inventory (enterprises, livelihood duties, lines, city totals) and reduction lists (issue 8)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 17:19:01.216016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "emission_city_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inventory_year", sa.Integer(), nullable=False),
        sa.Column(
            "sector",
            sa.String(length=40),
            nullable=False,
            comment="industry, power, mobile, dust …",
        ),
        sa.Column("so2", sa.Float(), nullable=False),
        sa.Column("nox", sa.Float(), nullable=False),
        sa.Column("pm", sa.Float(), nullable=False),
        sa.Column("vocs", sa.Float(), nullable=False),
        sa.Column(
            "source", sa.String(length=200), nullable=True, comment="where the totals come from"
        ),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emission_city_totals")),
        sa.UniqueConstraint(
            "inventory_year", "sector", name=op.f("uq_emission_city_totals_inventory_year_sector")
        ),
    )
    op.create_table(
        "emission_enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "credit_code",
            sa.String(length=18),
            nullable=False,
            comment="统一社会信用代码 (GB 32100)",
        ),
        sa.Column("name", sa.String(length=200), nullable=False, comment="企业名称"),
        sa.Column("area_code", sa.String(length=9), nullable=False, comment="乡镇/街道 NBS code"),
        sa.Column("industry", sa.String(length=40), nullable=False, comment="行业 code"),
        sa.Column("grade", sa.String(length=1), nullable=True, comment="绩效等级 A–D, if known"),
        sa.Column("permit_number", sa.String(length=40), nullable=True, comment="排污许可证编号"),
        sa.Column(
            "output_value",
            sa.Float(),
            nullable=True,
            comment="日产值 (万元/d): the default cost of stopping",
        ),
        sa.Column(
            "key_transport", sa.Boolean(), nullable=False, comment="重点用车企业 (seed task 39)"
        ),
        sa.Column(
            "sample",
            sa.Boolean(),
            nullable=False,
            comment="示例数据: generated, not a real enterprise",
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "grade IS NULL OR grade IN ('A', 'B', 'C', 'D')",
            name=op.f("ck_emission_enterprises_grade_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emission_enterprises")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_emission_enterprises_credit_code")),
    )
    with op.batch_alter_table("emission_enterprises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emission_enterprises_area_code"), ["area_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_emission_enterprises_industry"), ["industry"], unique=False
        )

    op.create_table(
        "reduction_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("plan", sa.String(length=60), nullable=False),
        sa.Column("inventory_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "method", sa.String(length=20), nullable=False, comment="manual, import, mip, greedy"
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "other_reductions",
            sa.JSON(),
            nullable=True,
            comment="t/d per level and pollutant from measures outside the list",
        ),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'in_force', 'superseded')",
            name=op.f("ck_reduction_lists_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reduction_lists")),
    )
    op.create_table(
        "emission_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False, comment="生产线/工序"),
        sa.Column(
            "process",
            sa.String(length=60),
            nullable=True,
            comment="工序 code (e.g. casting, vocs) for staggered rules",
        ),
        sa.Column("fuel", sa.String(length=20), nullable=True, comment="gas, electric, coal …"),
        sa.Column("meets_special_limits", sa.Boolean(), nullable=False, comment="达到特别排放限值"),
        sa.Column("so2", sa.Float(), nullable=False, comment="t/d"),
        sa.Column("nox", sa.Float(), nullable=False, comment="t/d"),
        sa.Column("pm", sa.Float(), nullable=False, comment="t/d"),
        sa.Column("vocs", sa.Float(), nullable=False, comment="t/d"),
        sa.Column("so2_source", sa.String(length=10), nullable=False),
        sa.Column("nox_source", sa.String(length=10), nullable=False),
        sa.Column("pm_source", sa.String(length=10), nullable=False),
        sa.Column("vocs_source", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "nox_source IN ('permit', 'cems', 'inventory')",
            name=op.f("ck_emission_lines_nox_source_known"),
        ),
        sa.CheckConstraint(
            "pm_source IN ('permit', 'cems', 'inventory')",
            name=op.f("ck_emission_lines_pm_source_known"),
        ),
        sa.CheckConstraint(
            "so2_source IN ('permit', 'cems', 'inventory')",
            name=op.f("ck_emission_lines_so2_source_known"),
        ),
        sa.CheckConstraint(
            "vocs_source IN ('permit', 'cems', 'inventory')",
            name=op.f("ck_emission_lines_vocs_source_known"),
        ),
        sa.CheckConstraint("nox >= 0", name=op.f("ck_emission_lines_nox_not_negative")),
        sa.CheckConstraint("pm >= 0", name=op.f("ck_emission_lines_pm_not_negative")),
        sa.CheckConstraint("so2 >= 0", name=op.f("ck_emission_lines_so2_not_negative")),
        sa.CheckConstraint("vocs >= 0", name=op.f("ck_emission_lines_vocs_not_negative")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["emission_enterprises.id"],
            name=op.f("fk_emission_lines_enterprise_id_emission_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emission_lines")),
    )
    with op.batch_alter_table("emission_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emission_lines_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "emission_livelihood_duties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("duty", sa.String(length=24), nullable=False),
        sa.Column(
            "max_load", sa.Float(), nullable=False, comment="approved maximum load, share of normal"
        ),
        sa.Column("approval", sa.String(length=200), nullable=True, comment="备案文号"),
        sa.CheckConstraint(
            "duty IN ('heating', 'waste_coprocessing', 'hazardous_waste', 'other')",
            name=op.f("ck_emission_livelihood_duties_duty_known"),
        ),
        sa.CheckConstraint(
            "max_load >= 0 AND max_load <= 1",
            name=op.f("ck_emission_livelihood_duties_max_load_fraction"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["emission_enterprises.id"],
            name=op.f("fk_emission_livelihood_duties_enterprise_id_emission_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emission_livelihood_duties")),
    )
    with op.batch_alter_table("emission_livelihood_duties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emission_livelihood_duties_enterprise_id"),
            ["enterprise_id"],
            unique=False,
        )

    op.create_table(
        "reduction_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("output_cut", sa.Float(), nullable=False, comment="share of output stopped"),
        sa.Column("so2", sa.Float(), nullable=False, comment="reduction t/d"),
        sa.Column("nox", sa.Float(), nullable=False, comment="reduction t/d"),
        sa.Column("pm", sa.Float(), nullable=False, comment="reduction t/d"),
        sa.Column("vocs", sa.Float(), nullable=False, comment="reduction t/d"),
        sa.Column("cost", sa.Float(), nullable=True, comment="万元/d"),
        sa.CheckConstraint(
            "kind IN ('limit', 'stop_line', 'stop_process', 'stop', 'stop_transport', 'other')",
            name=op.f("ck_reduction_measures_kind_known"),
        ),
        sa.CheckConstraint(
            "level IN ('blue', 'yellow', 'orange', 'red')",
            name=op.f("ck_reduction_measures_level_known"),
        ),
        sa.CheckConstraint(
            "output_cut >= 0 AND output_cut <= 1",
            name=op.f("ck_reduction_measures_output_cut_fraction"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["emission_enterprises.id"],
            name=op.f("fk_reduction_measures_enterprise_id_emission_enterprises"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["reduction_lists.id"],
            name=op.f("fk_reduction_measures_list_id_reduction_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reduction_measures")),
        sa.UniqueConstraint(
            "list_id",
            "enterprise_id",
            "level",
            name=op.f("uq_reduction_measures_list_id_enterprise_id_level"),
        ),
    )
    with op.batch_alter_table("reduction_measures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reduction_measures_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reduction_measures_list_id"), ["list_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reduction_measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reduction_measures_list_id"))
        batch_op.drop_index(batch_op.f("ix_reduction_measures_enterprise_id"))

    op.drop_table("reduction_measures")
    with op.batch_alter_table("emission_livelihood_duties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emission_livelihood_duties_enterprise_id"))

    op.drop_table("emission_livelihood_duties")
    with op.batch_alter_table("emission_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emission_lines_enterprise_id"))

    op.drop_table("emission_lines")
    op.drop_table("reduction_lists")
    with op.batch_alter_table("emission_enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emission_enterprises_industry"))
        batch_op.drop_index(batch_op.f("ix_emission_enterprises_area_code"))

    op.drop_table("emission_enterprises")
    op.drop_table("emission_city_totals")
