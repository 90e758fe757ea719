"""Excel export and import of the list (row-level validation) and the one-plan-per-factory sheets."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from lantian.auth.models import AuditEntry
from lantian.db.engine import transaction
from lantian.emissions import excel, service
from lantian.emissions.models import ReductionList
from lantian.emissions.sample import load_sample_inventory
from lantian.emissions.sheets import build_sheet, sheet_docx, sheet_xlsx
from lantian.emissions.targets import Pollutant, load_targets
from lantian.errors import InputError
from lantian.plan import DEFAULT_PLAN_DIR, default_plan
from lantian.tabular import Rejected

PLAN = DEFAULT_PLAN_DIR
LEVELS = default_plan().levels
SO2, NOX, PM, VOCS = tuple(Pollutant)
CODE = "91350100M000100Y43"
DAILY = {CODE: {SO2: 2.0, NOX: 10.0, PM: 4.0, VOCS: 1.0}}


def _row(**measures) -> excel.ExportRow:
    return excel.ExportRow("示例企业", CODE, "410183100", "cement", "B", DAILY[CODE], measures)


def _workbook(rows) -> bytes:
    return excel.export_list("新密市重污染天气应急减排项目清单", rows, LEVELS)


def test_export_layout_and_parse_back() -> None:
    half = {SO2: 1.0, NOX: 5.0, PM: 2.0, VOCS: 0.5}
    content = _workbook(
        [
            _row(
                yellow=("limit", "限产50%", 0.5, half),
                orange=("limit", "限产50%", 0.5, half),
                red=("stop", "全厂停产", 1.0, DAILY[CODE]),
            )
        ]
    )
    sheet = load_workbook(io.BytesIO(content))[excel.SHEET]
    assert sheet["A1"].value == "新密市重污染天气应急减排项目清单"
    assert sheet["C2"].value == "统一社会信用代码"
    assert sheet["K2"].value == "蓝色预警（Ⅳ级）" and sheet["R2"].value == "黄色预警（Ⅲ级）"
    assert sheet["R4"].value == "限产" and sheet["T4"].value == 50
    measures = excel.parse_list(content, DAILY, LEVELS)
    assert [(m.level, m.kind, m.output_cut) for m in measures] == [
        ("yellow", "limit", 0.5),
        ("orange", "limit", 0.5),
        ("red", "stop", 1.0),
    ]
    assert measures[2].reductions == DAILY[CODE]


def _edit(content: bytes, **cells) -> bytes:
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook[excel.SHEET]
    for ref, value in cells.items():
        sheet[ref] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_every_problem_named_by_row_column_and_reason() -> None:
    half = {SO2: 1.0, NOX: 5.0, PM: 2.0, VOCS: 0.5}
    good = _workbook(
        [_row(yellow=("limit", "", 0.5, half), red=("stop", "", 1.0, DAILY[CODE]))] * 2
    )
    # Row 4: yellow SO2 (column U) above the plant's 2 t/d; row 5 repeats the enterprise.
    content = _edit(good, U4=3.5)
    with pytest.raises(Rejected) as raised:
        excel.parse_list(content, DAILY, LEVELS)
    message = str(raised.value)
    assert "nothing was imported" in message
    assert "第4行 row 4 列 column U (黄色预警（Ⅲ级） SO₂ 减排量 (t/d)) '3.5'" in message
    found = {(p.row, p.column): p.reason for p in raised.value.problems}
    assert all(p.sheet == excel.SHEET for p in raised.value.problems)
    assert (
        "exceeds the enterprise's daily emission"
        in found[4, "U (黄色预警（Ⅲ级） SO₂ 减排量 (t/d))"]
    )
    assert found[5, "C (统一社会信用代码)"] == "与第 4 行重复 / the same enterprise as row 4"
    # Orange left empty between yellow and red: measures are cumulative.
    cumulative = found[4, "Y (橙色预警（Ⅱ级） 措施类型)"]
    assert cumulative.startswith("低一级已有措施")
    assert "the level below has a measure: measures are cumulative" in cumulative


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"C4": "91350100M000100Y44"}, "column C (统一社会信用代码): check character should be 3"),
        ({"R4": "减产"}, "column R (黄色预警（Ⅲ级） 措施类型): unknown measure type"),
        ({"T4": 150}, "column T (黄色预警（Ⅲ级） 限产比例 (%)): a limit needs its percentage"),
        ({"V4": "很多"}, "column V (黄色预警（Ⅲ级） NOx 减排量 (t/d)): not a number"),
        (
            {"AI4": 0.5},
            "column AI (红色预警（Ⅰ级） SO₂ 减排量 (t/d)): less than at the level below",
        ),
        ({"R3": "措施"}, "row 3, column R (黄色预警（Ⅲ级） 措施类型): the header should read"),
    ],
)
def test_single_cell_problems(cells, expected) -> None:
    half = {SO2: 1.0, NOX: 5.0, PM: 2.0, VOCS: 0.5}
    good = _workbook(
        [
            _row(
                yellow=("limit", "", 0.5, half),
                orange=("limit", "", 0.5, half),
                red=("stop", "", 1.0, DAILY[CODE]),
            )
        ]
    )
    where, why = expected.split(": ", 1)
    row = 3 if where.startswith("row 3, ") else 4
    column = where.removeprefix("row 3, ").removeprefix("column ")
    with pytest.raises(Rejected) as raised:
        excel.parse_list(_edit(good, **cells), DAILY, LEVELS)
    assert any(
        (p.row, p.column) == (row, column) and why in p.reason for p in raised.value.problems
    ), raised.value.problems


def test_unknown_enterprise_and_not_a_workbook() -> None:
    content = _workbook([_row(red=("stop", "", 1.0, DAILY[CODE]))])
    with pytest.raises(InputError, match="no such enterprise in the emission inventory"):
        excel.parse_list(content, {}, LEVELS)
    with pytest.raises(InputError, match=r"not a readable \.xlsx workbook"):
        excel.parse_list(b"PK not really", DAILY, LEVELS)


def test_round_trip_through_the_database(sessions) -> None:
    targets = load_targets(PLAN)
    with transaction(sessions) as session:
        load_sample_inventory(session, count=40, seed=3)
        listed, _ = service.optimise_inventory(session, "zhangsan", targets, 2016)
        assert listed is not None
        list_id = listed.id
    with sessions() as session:
        stored, check = service.check_stored_list(session, list_id, targets)
        content = excel.export_list(
            "示例清单", excel.rows_of_list(stored), targets.levels, check, targets
        )
        ratio_sheet = load_workbook(io.BytesIO(content))[excel.RATIO_SHEET]
        assert any(row[0].value == "全部达标 / every target met" for row in ratio_sheet.iter_rows())
    with transaction(sessions) as session:
        imported = excel.import_list(
            session,
            "lisi",
            content,
            name="导入",
            plan="xinmi-2017-2018",
            inventory_year=2016,
            levels=targets.levels,
        )
        imported_id = imported.id
    with sessions() as session:
        _, again = service.check_stored_list(session, imported_id, targets)
        assert again.passes
        for level in again.reductions:
            for pollutant, amount in again.reductions[level].items():
                assert amount == pytest.approx(check.reductions[level][pollutant], abs=1e-3)
        audit_before = session.scalar(select(func.count(AuditEntry.id)))
        lists_before = session.scalar(select(func.count(ReductionList.id)))
    broken = _edit(content, C5="91350100M000100Y44")
    with pytest.raises(InputError, match="row 5"), transaction(sessions) as session:
        excel.import_list(
            session, "lisi", broken, name="坏", plan="x", inventory_year=2016, levels=targets.levels
        )
    with sessions() as session:
        assert session.scalar(select(func.count(ReductionList.id))) == lists_before
        assert session.scalar(select(func.count(AuditEntry.id))) == audit_before
        # One plan per factory for the first enterprise with a measure.
        stored = service.get_list(session, list_id)
        measure = stored.measures[0]
        by_level = {m.level: m for m in stored.measures if m.enterprise_id == measure.enterprise_id}
        sheet = build_sheet(
            measure.enterprise, by_level, stored.name, targets.levels, ["采暖季错峰生产示例"]
        )
    document = Document(io.BytesIO(sheet_docx(sheet)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "一厂一策" in text and "采暖季错峰生产示例" in text
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert measure.enterprise.credit_code in cells and "红色预警（Ⅰ级）" in cells
    assert "示例数据 / sample：非真实企业" in cells
    workbook = load_workbook(io.BytesIO(sheet_xlsx(sheet)))
    values = [c for row in workbook.active.iter_rows(values_only=True) for c in row if c]
    assert measure.enterprise.name in values and "预警级别" in values


def test_text_that_looks_like_a_formula_is_exported_as_text() -> None:
    row = excel.ExportRow("=cmd|' /C calc'!A0", CODE, "410183100", "@SUM(1)", "B", DAILY[CODE], {})
    sheet = load_workbook(io.BytesIO(_workbook([row])))[excel.SHEET]
    assert (sheet["B4"].value, sheet["B4"].data_type) == ("=cmd|' /C calc'!A0", "s")
    assert (sheet["E4"].value, sheet["E4"].data_type) == ("@SUM(1)", "s")
    assert sheet["G4"].data_type == "n"  # numbers stay numbers
