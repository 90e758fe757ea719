"""One tabular reader: the same rows from every encoding and format, every problem, templates,
exports that do not run formulas, and unsafe or mislabelled files refused."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Literal

import openpyxl
import pytest
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lantian.errors import Conflict, InputError
from lantian.tabular import (
    Column,
    Rejected,
    TableSpec,
    append_row,
    export_bytes,
    open_sheet,
    read_rows,
    read_table,
    template_bytes,
    workbook_bytes,
    write_template,
)


class BoilerRow(BaseModel):
    """A small register row: text, an enumeration, numbers with bounds, a yes/no."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    fuel: Literal["coal", "gas", "electric"]
    capacity_mw: float = Field(gt=0)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    in_service: bool = True

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not value.startswith("B"):
            raise ValueError("编码应以 B 开头 / the code starts with B")
        return value


SPEC = TableSpec(
    BoilerRow,
    (
        Column("code", "code", "编码", example="B001"),
        Column("name", "name", "名称", aliases=("锅炉名称",), example="一号锅炉"),
        Column(
            "fuel",
            "fuel",
            "燃料",
            choices={"coal": "燃煤", "gas": "燃气", "electric": "电"},
            example="燃气 gas",
        ),
        Column("capacity_mw", "capacity_mw", "容量", example="2.8"),
        Column("latitude", "latitude", "纬度", example="34.5"),
        Column("in_service", "in_service", "在用", example="是"),
    ),
)

ROWS = [
    ["B001", "一号锅炉", "燃煤", "2.8", "34.51", "是"],
    ["B002", "二号锅炉（备用）", "gas", "1.4", "", "否"],
    ["B003", "电锅炉", "电 electric", "0.7", "-34.5", ""],
]
EXPECTED = [
    BoilerRow(code="B001", name="一号锅炉", fuel="coal", capacity_mw=2.8, latitude=34.51),
    BoilerRow(code="B002", name="二号锅炉（备用）", fuel="gas", capacity_mw=1.4, in_service=False),
    BoilerRow(code="B003", name="电锅炉", fuel="electric", capacity_mw=0.7, latitude=-34.5),
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "锅炉"
    sheet.append(["某县燃煤锅炉台账"])  # a title line above the header, as offices write
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("utf-8", ["code", "name", "fuel", "capacity_mw", "latitude", "in_service"]),
        ("utf-8-sig", ["编码", "锅炉名称", "燃料", "容量", "纬度", "在用"]),
        ("gb18030", ["编码 code", "名称 name", "燃料(fuel)", "容量", "纬度", "在用 in_service"]),
        ("xlsx", ["编码 code", "名称", "fuel", "Capacity MW", "LATITUDE", "在用"]),
    ],
)
def test_every_encoding_and_format_gives_the_same_rows(
    tmp_path: Path, kind: str, header: list[str]
) -> None:
    if kind == "xlsx":
        # Excel cells hold numbers as numbers; the reader turns them into the same models.
        typed = [
            [*row[:3], float(row[3]), float(row[4]) if row[4] else None, row[5]] for row in ROWS
        ]
        path = write_xlsx(tmp_path / "boilers.xlsx", header, typed)
    else:
        path = write_csv(tmp_path / "boilers.csv", header, ROWS, kind)
    rows, problems = read_rows(path, SPEC)
    assert problems == []
    assert rows == EXPECTED
    # The bytes of an upload read the same as the file on disk.
    assert read_rows(path.read_bytes(), SPEC, name=path.name) == (EXPECTED, [])


def test_every_bad_row_is_reported_with_sheet_row_column_and_value(tmp_path: Path) -> None:
    header = ["编码 code", "名称 name", "燃料 fuel", "容量 capacity_mw", "纬度 latitude", "在用"]
    bad = [
        ["B001", "一号锅炉", "燃煤", 2.8, 34.5, "是"],  # row 3: fine
        ["X002", "", "柴油", 1.4, None, "否"],  # row 4: code, name, fuel
        ["B003", "三号", "gas", "大", 95, "也许"],  # row 5: capacity, latitude, in_service
        ["B004", "四号", "coal", -1, None, None],  # row 6: capacity not > 0
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", header, bad)
    read = read_table(path, SPEC)
    found = [(p.sheet, p.row, p.column, p.value, p.reason) for p in read.ordered_problems()]
    assert found == [
        ("锅炉", 4, "编码 code", "X002", "编码应以 B 开头 / the code starts with B"),
        ("锅炉", 4, "名称 name", "", "不能为空 / must not be empty"),
        (
            "锅炉",
            4,
            "燃料 fuel",
            "柴油",
            "应为 燃煤 coal、燃气 gas、电 electric 之一 / must be one of coal, gas, electric",
        ),
        ("锅炉", 5, "容量 capacity_mw", "大", "应为数字 / not a number"),
        ("锅炉", 5, "纬度 latitude", "95", "超出范围 -90…90 / outside -90…90"),
        ("锅炉", 5, "在用", "也许", "应为 是/否 或 1/0 / must be yes/no or 1/0"),
        ("锅炉", 6, "容量 capacity_mw", "-1", "应为正数 / must be > 0"),
    ]
    assert [row.number for row in read.rows] == [3]
    with pytest.raises(Rejected) as caught:
        read.raise_if_problems()
    assert isinstance(caught.value, InputError)
    assert len(caught.value.problems) == 7
    assert str(caught.value).startswith(
        "bad.xlsx: 发现 7 个问题，未导入任何数据 / 7 problems found"
    )
    assert "bad.xlsx [锅炉] 第5行 row 5 列 column 纬度 latitude '95': 超出范围" in str(caught.value)


def test_missing_and_unknown_columns_are_problems_of_the_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", ["编码", "名称", "容量", "颜色"], [], "utf-8")
    rows, problems = read_rows(path, SPEC)
    assert rows == []
    assert [(p.row, p.column, p.reason) for p in problems] == [
        (1, "", "缺少列 燃料 / missing columns: fuel; 未知列 颜色 / unknown columns: 颜色")
    ]
    strict = TableSpec(BoilerRow, SPEC.columns, unknown_columns="refuse")
    path = write_csv(tmp_path / "u.csv", [*SPEC.headers, "颜色", "fuel"], [ROWS[0]], "utf-8")
    _, problems = read_rows(path, strict)
    assert [(p.row, p.column, p.reason.split(" / ")[0]) for p in problems] == [
        (1, "颜色", "未知列 颜色"),
        (1, "fuel", "列重复"),
    ]


def test_template_round_trip_and_drop_down_lists(tmp_path: Path) -> None:
    template = tmp_path / "锅炉模板.xlsx"
    write_template(template, SPEC)
    with pytest.raises(Conflict, match="already exists"):
        write_template(template, SPEC)

    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames == ["数据 data", "说明 notes", "示例 example", "选项 lists"]
    data = workbook["数据 data"]
    assert [cell.value for cell in data[1]] == [
        "编码 code",
        "名称 name",
        "燃料 fuel",
        "容量 capacity_mw",
        "纬度 latitude",
        "在用 in_service",
    ]
    assert data.freeze_panes == "A2"
    assert data.column_dimensions["A"].width == 16
    (validation,) = data.data_validations.dataValidation
    assert validation.type == "list" and str(validation.sqref) == "C2:C5000"
    assert validation.formula1 == "'选项 lists'!$A$2:$A$4"
    lists = workbook["选项 lists"]
    assert lists.sheet_state == "hidden"
    assert [lists.cell(r, 1).value for r in (2, 3, 4)] == ["燃煤 coal", "燃气 gas", "电 electric"]
    notes = [row for row in workbook["说明 notes"].iter_rows(values_only=True)]
    assert notes[3][:2] == ("燃料 fuel", "是 yes") and "燃煤 coal" in str(notes[3][2])

    # The example sheet is itself a valid file of the kind.
    assert read_rows(template, SPEC, sheet="示例 example") == (
        [BoilerRow(code="B001", name="一号锅炉", fuel="gas", capacity_mw=2.8, latitude=34.5)],
        [],
    )
    # A person fills the data sheet: the example row copied, then a row of their own.
    example = [cell.value for cell in workbook["示例 example"][2]]
    data.append(example)
    data.append(["B009", "九号", "燃煤 coal", 4.2, None, "否"])
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)
    rows, problems = read_rows(filled, SPEC)
    assert problems == []
    assert [(r.code, r.fuel, r.in_service) for r in rows] == [
        ("B001", "gas", True),
        ("B009", "coal", False),
    ]
    # The CSV template is the header line, UTF-8 with BOM for Excel.
    assert template_bytes(SPEC, ".csv") == (",".join(SPEC.headers) + "\r\n").encode("utf-8-sig")


def test_exports_write_formula_like_text_as_text(tmp_path: Path) -> None:
    rows = [
        ["B001", '=HYPERLINK("http://x","点")', "coal", 2.8, -34.5, True],
        ["B002", "+1+1", "gas", 1.0, None, False],
        ["B003", "@SUM(A1:A2)", "gas", 1.0, None, False],
        ["B004", "-2+3", "gas", 1.0, None, False],
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(export_bytes(SPEC, rows, ".xlsx")))
    sheet = workbook["数据 data"]
    names = [sheet.cell(r, 2) for r in range(2, 6)]
    assert [c.value for c in names] == [row[1] for row in rows]
    assert all(c.data_type == "s" for c in names)
    assert sheet.cell(2, 5).value == -34.5 and sheet.cell(2, 5).data_type == "n"

    text = export_bytes(SPEC, rows, ".csv").decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text)))
    assert records[0] == SPEC.headers
    assert [r[1] for r in records[1:]] == [
        '\'=HYPERLINK("http://x","点")',
        "'+1+1",
        "'@SUM(A1:A2)",
        "'-2+3",
    ]
    assert records[1][4] == "-34.5"  # a negative number stays a number
    with pytest.raises(InputError, match=r"an export is \.xlsx or \.csv"):
        export_bytes(SPEC, rows, ".ods")

    # Workbooks in a layout of their own append rows the same safe way.
    book = openpyxl.Workbook()
    own = book.active
    assert own is not None
    append_row(own, ["标题"])
    append_row(own, ["=1+1", 3, "-x"])
    again = openpyxl.load_workbook(io.BytesIO(workbook_bytes(book))).active
    assert again is not None
    assert [(c.value, c.data_type) for c in again[2]] == [("=1+1", "s"), (3, "n"), ("-x", "s")]


def _workbook_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(SPEC.headers)
    sheet.append(ROWS[0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _replace_part(content: bytes, part: str, data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, data if item.filename == part else source.read(item))
    return buffer.getvalue()


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    good = _workbook_bytes()
    assert read_rows(good, SPEC, name="good.xlsx")[1] == []
    # 64 MB of zeros in one part compresses to about 64 kB: a ratio no real sheet has.
    padding = b"<x/>" + b" " * (64 * 1024 * 1024)
    bomb = _replace_part(good, "xl/worksheets/sheet1.xml", padding)
    assert len(bomb) < 200_000
    (tmp_path / "bomb.xlsx").write_bytes(bomb)
    with pytest.raises(InputError, match=r"bomb\.xlsx: .*a zip bomb\?"):
        read_rows(tmp_path / "bomb.xlsx", SPEC)


def test_xml_entity_expansion_is_refused() -> None:
    good = _workbook_bytes()
    sheet = zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml").decode()
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
            for i in range(1, 10)
        )
        + "]>\n"
    )
    body = sheet.split("?>", 1)[1] if sheet.startswith("<?xml") else sheet
    # The entity is expanded where the worksheet's first tag begins (a billion "lol"s).
    evil = laughs + body.replace("<sheetData>", "<sheetData>&lol9;", 1)
    content = _replace_part(good, "xl/worksheets/sheet1.xml", evil.encode())
    with pytest.raises(InputError, match=r"laughs\.xlsx: .*an XML entity attack"):
        read_rows(content, SPEC, name="laughs.xlsx")


def test_a_file_of_another_format_than_its_name_is_refused(tmp_path: Path) -> None:
    csv_file = write_csv(tmp_path / "boilers.csv", SPEC.headers, ROWS, "utf-8")
    disguised = tmp_path / "boilers.xlsx"
    disguised.write_bytes(csv_file.read_bytes())
    with pytest.raises(
        InputError, match=r"named \.xlsx but not a readable \.xlsx workbook.*text \(CSV\?\)"
    ):
        read_rows(disguised, SPEC)
    workbook = tmp_path / "book.csv"
    workbook.write_bytes(_workbook_bytes())
    with pytest.raises(InputError, match=r"named \.csv but is an Excel workbook"):
        read_rows(workbook, SPEC)
    undecodable = tmp_path / "latin.csv"
    undecodable.write_bytes("code,name\nB1,Café\xff\n".encode("latin-1") + b"\x80\x81")
    with pytest.raises(InputError, match="cannot decode the file as UTF-8 or GBK/GB18030"):
        read_rows(undecodable, SPEC)
    with pytest.raises(InputError, match=r"big\.csv: .*the file is too large"):
        open_sheet(csv_file.read_bytes(), name="big.csv", max_bytes=10)


class UnitRow(BaseModel):
    """A plan-style row model with no hand-written spec: names from the fields, titles in Chinese."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(title="单位代码")
    name: str = Field(title="单位名称")
    aliases: list[str] = Field(default_factory=list, title="别名")


def test_a_model_alone_is_a_spec(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "units.csv",
        ["code", "单位名称", "aliases"],
        [["U01", "市生态环境局", "环保局 | 生态环境局"], ["U02", "市住建局", ""]],
        "utf-8",
    )
    rows, problems = read_rows(path, UnitRow)
    assert problems == []
    assert rows == [
        UnitRow(code="U01", name="市生态环境局", aliases=["环保局", "生态环境局"]),
        UnitRow(code="U02", name="市住建局"),
    ]
    # A model that forbids unknown keys refuses an unknown column: a typo names file and column.
    typo = write_csv(
        tmp_path / "typo.csv", ["code", "name", "alias_list"], [["U01", "x", ""]], "utf-8"
    )
    _, problems = read_rows(typo, UnitRow)
    assert [(p.file, p.row, p.column, p.reason.split(" / ")[0]) for p in problems] == [
        ("typo.csv", 1, "alias_list", "未知列 alias_list")
    ]
