"""The typed row every register's import, API body and form starts with, and its columns.

A kind's row model derives from :class:`RegisterRow` and adds its own fields; its columns are
:data:`COMMON_COLUMNS` followed by its own (:func:`columns`). The state is never a column people
import: it changes only through the lifecycle's steps.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from lantian.tabular import Column


class RegisterRow(BaseModel):
    """The attributes every entry has (the kind's row adds its own)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$")
    name: str = Field(min_length=1, max_length=200)
    area_code: str = Field(pattern=r"^\d{9}$")
    unit_code: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=300)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    deadline: date | None = None
    note: str = ""


#: The common columns, in the order a township's spreadsheet has them.
COMMON_COLUMNS: tuple[Column, ...] = (
    Column("key", "key", "编号", aliases=("台账编号", "序号编号"), example="XM-0001", width=14),
    Column("name", "name", "名称", aliases=("企业名称", "单位名称"), example="示例企业", width=24),
    Column(
        "area_code",
        "area",
        "乡镇代码",
        aliases=("乡镇", "区域代码", "area_code"),
        example="410183100",
        note_zh="国家统计局 9 位乡级代码（见计划的 areas.csv）",
        note_en="the 9-digit NBS township code (the plan's areas.csv)",
        width=12,
    ),
    Column("unit_code", "unit", "责任单位代码", aliases=("unit_code",), example="hbj", width=10),
    Column("address", "address", "地址", example="新密市某镇某村", width=24),
    Column("longitude", "longitude", "经度", example="113.38", width=10),
    Column("latitude", "latitude", "纬度", example="34.54", width=10),
    Column("deadline", "deadline", "完成时限", example="2017-09-30", width=12),
    Column("note", "note", "备注", width=20),
)


def columns(*own: Column) -> tuple[Column, ...]:
    """A kind's columns: the common ones, then its own."""
    return (*COMMON_COLUMNS, *own)
