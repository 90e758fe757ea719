"""Inventory CSV import: lines grouped by enterprise, every problem with row and column."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lantian.cli import app
from lantian.db.engine import session_factory, transaction
from lantian.emissions import service
from lantian.emissions.inventory_import import import_inventory, parse_inventory
from lantian.emissions.models import Enterprise
from lantian.emissions.targets import Pollutant
from lantian.errors import Conflict, InputError
from lantian.tabular import Rejected

HEADER = (
    "credit_code,name,area_code,industry,grade,output_value,line,process,fuel,"
    "meets_special_limits,so2,nox,pm,vocs,so2_source,livelihood_duty,max_load,approval\n"
)
GOOD = HEADER + (
    "91350100M000100Y43,示例水泥,410183100,cement,B,60,熟料线,,coal,否,1.5,6,2,0.1,cems,heating,60,新政备1号\n"
    "91350100M000100Y43,示例水泥,410183100,cement,B,60,粉磨线,grinding,electric,否,0,0,0.5,0,,heating,60,新政备1号\n"
    "91110105771583283D,示例炭素,410183101,carbon,,20,焙烧1,,gas,是,0.3,0.2,0.2,0.05,permit,,,\n"
)


def test_lines_grouped_by_enterprise() -> None:
    cement, carbon = parse_inventory(GOOD)
    assert [line.name for line in cement.lines] == ["熟料线", "粉磨线"]
    assert cement.duties[0].max_load == pytest.approx(0.6)
    assert (
        cement.lines[0].sources["so2"] == "cems" and cement.lines[1].sources["so2"] == "inventory"
    )
    assert carbon.grade is None and carbon.lines[0].meets_special_limits


def test_every_problem_named() -> None:
    bad = GOOD.replace("410183101,carbon", "4101831,carbon").replace(",B,60,粉磨线", ",C,60,粉磨线")
    bad = bad.replace("0.3,0.2,0.2,0.05", "0.3,lots,0.2,-1")
    with pytest.raises(Rejected) as raised:
        parse_inventory(bad)
    assert isinstance(raised.value, InputError)
    message = str(raised.value)
    assert "4 problems found, nothing was imported" in message
    found = [(p.row, p.column, p.value, p.reason) for p in raised.value.problems]
    assert found == [
        (
            3,
            "grade",
            "C",
            "与第 2 行同一企业的值不一致 / differs from row 2 of the same enterprise",
        ),
        (
            4,
            "area_code",
            "4101831",
            "应为 9 位统计区划代码 / must be the 9-digit NBS township code",
        ),
        (4, "nox", "lots", "应为数字 / not a number"),
        (4, "vocs", "-1", "应为非负数 / must be ≥ 0"),
    ]
    with pytest.raises(InputError, match="missing columns: line"):
        parse_inventory("credit_code,name,area_code,industry\n")


def test_import_is_all_or_nothing(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        assert import_inventory(session, "zhangsan", GOOD) == 2
    with sessions() as session:
        cement = service.get_enterprise(session, "91350100M000100Y43")
        assert service.enterprise_daily(cement)[Pollutant.PM] == pytest.approx(2.5)
        assert service.facts_of(cement).livelihood_max_load == pytest.approx(0.6)
        # The city filing of the load (task 37) is not the provincial approval of task 38.
        assert not service.facts_of(cement).approved_exception
    again = GOOD.replace("91110105771583283D", "91440300359143307G")
    with (
        pytest.raises(Conflict, match="already in the inventory"),
        transaction(sessions) as session,
    ):
        import_inventory(session, "zhangsan", again)
    with sessions() as session:
        assert session.scalar(select(func.count(Enterprise.id))) == 2


def test_the_template_fills_and_imports_back(tmp_path: Path) -> None:
    template = tmp_path / "清单模板.xlsx"
    result = CliRunner().invoke(app, ["emissions", "inventory-template", "--out", str(template)])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(template)
    data = workbook["数据 data"]
    headers = [cell.value for cell in data[1]]
    assert headers[:2] == ["统一社会信用代码 credit_code", "企业名称 name"]
    lists = {str(v.sqref).split(":")[0][:-1] for v in data.data_validations.dataValidation}
    assert {headers.index(h) for h in ("绩效等级 grade", "保民生任务 livelihood_duty")} <= {
        openpyxl.utils.column_index_from_string(letter) - 1 for letter in lists
    }
    data.append([cell.value for cell in workbook["示例 example"][2]])
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)
    (cement,) = parse_inventory(filled.read_bytes(), name=filled.name)
    assert (cement.credit_code, cement.grade, cement.lines[0].name) == (
        "91350100M000100Y43",
        "B",
        "熟料线",
    )
    assert cement.lines[0].sources["so2"] == "cems"
    assert cement.duties[0].duty == "heating" and cement.duties[0].max_load == pytest.approx(0.6)


def test_provincial_approval_is_its_own_column(db_engine: Engine) -> None:
    """Task 38's exception needs the provincial government's approval, a column of its own."""
    content = GOOD.replace(",approval\n", ",approval,provincial_approval\n")
    lines = content.splitlines()
    lines[1:] = [line + "," for line in lines[1:]]
    lines[-1] = lines[-1] + "豫政文〔2017〕1号"
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        assert import_inventory(session, "zhangsan", "\n".join(lines) + "\n") == 2
    with sessions() as session:
        carbon = service.get_enterprise(session, "91110105771583283D")
        cement = service.get_enterprise(session, "91350100M000100Y43")
        assert carbon.provincial_approval == "豫政文〔2017〕1号"
        assert service.facts_of(carbon).approved_exception
        assert not service.facts_of(cement).approved_exception
