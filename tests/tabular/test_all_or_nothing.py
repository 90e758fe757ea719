"""All-or-nothing through a real service: an .xlsx inventory with several bad rows writes nothing
and names every bad cell with its sheet, row, column and value."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from lantian.db.engine import session_factory, transaction
from lantian.emissions.inventory_import import INVENTORY_SPEC, import_inventory
from lantian.emissions.models import Enterprise
from lantian.tabular import Rejected

GOOD = ["91350100M000100Y43", "示例水泥", "410183100", "cement", "B", "熟料线", "1.5", "cems"]


def _workbook(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "清单"
    headers = {c.field: c.header for c in INVENTORY_SPEC.columns}
    fields = ["credit_code", "name", "area_code", "industry", "grade", "line", "so2", "so2_source"]
    sheet.append([headers[f] for f in fields])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.db
def test_several_bad_rows_write_nothing_and_are_all_named(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    content = _workbook(
        [
            GOOD,
            ["91110105771583283D", "示例炭素", "410183101", "carbon", "E", "焙烧1", "0.3", ""],
            ["91110105771583283D", "示例炭素", "410183101", "carbon", "", "焙烧2", "很多", "估算"],
            [*GOOD[:5], "粉磨线", "-0.5", "permit"],
        ]
    )
    with pytest.raises(Rejected) as caught, transaction(sessions) as session:
        import_inventory(session, "zhangsan", content, "清单.xlsx")
    found = [(p.sheet, p.row, p.column, p.value) for p in caught.value.problems]
    assert found == [
        ("清单", 3, "绩效等级 grade", "E"),
        ("清单", 4, "SO₂(t/d) so2", "很多"),
        ("清单", 4, "SO₂数据来源 so2_source", "估算"),
        ("清单", 5, "SO₂(t/d) so2", "-0.5"),
    ]
    with sessions() as session:
        assert session.scalar(select(func.count(Enterprise.id))) == 0
    # The same file with the bad cells fixed imports whole.
    fixed = _workbook(
        [
            GOOD,
            ["91110105771583283D", "示例炭素", "410183101", "carbon", "", "焙烧1", "0.3", ""],
            [
                "91110105771583283D",
                "示例炭素",
                "410183101",
                "carbon",
                "",
                "焙烧2",
                "0.2",
                "清单估算",
            ],
            [*GOOD[:5], "粉磨线", "0.5", "permit"],
        ]
    )
    with transaction(sessions) as session:
        assert import_inventory(session, "zhangsan", fixed, "清单.xlsx") == 2
