"""`lantian sources import` refusing a file: every problem printed once, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian.sources.kinds.scattered import ScatteredEnterprise

pytestmark = pytest.mark.db

HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,处置类别,行业,所属集群,集群挂牌督办"
)


def test_a_refused_import_prints_each_problem_once(
    lantian: Callable[..., Result], sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = [
        "SLW-X-1,好厂,410183100,hbj,某村,113.31,34.51,2017-09-30,取缔,塑料加工,,否",
        "SLW-X-2,坏区,999999999,hbj,某村,113.32,34.52,2017-09-30,取缔,塑料加工,,否",
        "SLW-X-3,坏类别,410183100,hbj,某村,113.33,34.53,2017-09-30,搬走,塑料加工,,否",
        "SLW-X-4,坏日期,410183100,hbj,某村,113.34,34.54,2017-13-45,取缔,塑料加工,,否",
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("utf-8"))
    done = lantian("sources", "import", "scattered_enterprise", str(path))
    assert done.exit_code == 1, done.output
    output = done.output
    assert output.count("3 个问题") == 1 and output.count("未导入任何数据") == 1
    for bad in ("999999999", "搬走", "2017-13-45"):
        assert output.count(f"'{bad}'") == 1, output
    for row in (3, 4, 5):
        assert output.count(f"第{row}行 row {row}") == 1, output
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ScatteredEnterprise)) == 0
