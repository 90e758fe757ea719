"""`lantian emissions …` driven as a user would, on a fresh SQLite data directory."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from openpyxl import load_workbook

from tests.test_cli import run


def test_sample_optimise_check_export_import_sheet(tmp_path: Path) -> None:
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    loaded = run(["emissions", "sample", "--count", "40", "--seed", "3"], tmp_path)
    assert "+40" in loaded.stdout, loaded.stderr
    optimised = run(["emissions", "optimise", "--year", "2016", "--by", "zhangsan"], tmp_path)
    assert optimised.returncode == 0, optimised.stderr
    assert "every target met" in optimised.stdout and "saved as draft list 1" in optimised.stdout
    checked = run(["emissions", "check", "1"], tmp_path)
    assert checked.returncode == 0 and "every target met" in checked.stdout

    workbook = tmp_path / "list.xlsx"
    assert run(["emissions", "export", "1", "--out", str(workbook)], tmp_path).returncode == 0
    imported = run(["emissions", "import", str(workbook), "--year", "2016"], tmp_path)
    assert "imported as draft list 2" in imported.stdout, imported.stderr

    # A wrong credit code in row 4: exit 1, the row named, nothing imported.
    book = load_workbook(io.BytesIO(workbook.read_bytes()))
    book["应急减排项目清单"]["C4"] = "91350100M000100Y44"
    broken = tmp_path / "broken.xlsx"
    book.save(broken)
    refused = run(["emissions", "import", str(broken), "--year", "2016"], tmp_path)
    assert refused.returncode == 1
    assert (
        "broken.xlsx [应急减排项目清单] 第4行 row 4 列 column C (统一社会信用代码)"
        in refused.stderr
    )
    assert "nothing was imported" in refused.stderr

    database = tmp_path / "lantian.sqlite3"
    with sqlite3.connect(database) as connection:
        (lists,) = connection.execute("SELECT count(*) FROM reduction_lists").fetchone()
        (code,) = connection.execute(
            "SELECT e.credit_code FROM emission_enterprises e "
            "JOIN reduction_measures m ON m.enterprise_id = e.id LIMIT 1"
        ).fetchone()
        actors = {a for (a,) in connection.execute("SELECT DISTINCT actor FROM audit_log")}
    assert lists == 2
    assert "zhangsan" in actors
    sheet = tmp_path / "sheet.docx"
    assert (
        run(["emissions", "sheet", code, "--list", "1", "--out", str(sheet)], tmp_path).returncode
        == 0
    )
    assert sheet.read_bytes()[:2] == b"PK"
    days = run(
        ["emissions", "calendar", code, "--from", "2017-11-14", "--to", "2017-11-15"], tmp_path
    )
    assert "2017-11-15" in days.stdout
