"""`lantian warn import-forecasts / decide / status` against a fresh SQLite database."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run_lantian

SAMPLE = Path(__file__).resolve().parents[2] / "src/lantian/warnings/data/sample_forecast.csv"


run = run_lantian


def test_import_decide_status_and_the_audit_log(tmp_path: Path) -> None:
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    imported = run(["warn", "import-forecasts", str(SAMPLE), "--by", "张三"], tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "+2 新增 new" in imported.stdout
    assert "无预警" in run(["warn", "status"], tmp_path).stdout
    issued = run(
        [
            "warn",
            "decide",
            "issue",
            "--level",
            "yellow",
            "--areas",
            "410183100,410183113",
            "--reason",
            "预报日AQI>200持续2天",
            "--by",
            "张三",
            "--no-notify",
        ],
        tmp_path,
    )
    assert issued.returncode == 0, issued.stderr
    assert "新密市重污染天气黄色预警通知" in issued.stdout
    status = run(["warn", "status"], tmp_path).stdout
    assert "黄色预警 yellow alert" in status and "范围 areas: 城关镇、曲梁镇" in status
    notice = run(
        [
            "warn",
            "notice",
            "1",
            "--docx",
            str(tmp_path / "n.docx"),
            "--pdf",
            str(tmp_path / "n.pdf"),
        ],
        tmp_path,
    )
    assert notice.returncode == 0, notice.stderr
    assert "在城关镇、曲梁镇发布黄色预警" in notice.stdout and "notices 0" in notice.stdout
    assert (tmp_path / "n.docx").read_bytes()[:2] == b"PK"
    assert (tmp_path / "n.pdf").read_bytes()[:5] == b"%PDF-"
    again = run(
        ["warn", "decide", "issue", "--level", "red", "--areas", "410183100", "--reason", "x"],
        tmp_path,
    )
    assert again.returncode == 5 and "already in force" in again.stderr
    lifted = run(
        [
            "warn",
            "decide",
            "lift",
            "--areas",
            "410183100",
            "--reason",
            "预报AQI≤150持续36小时",
            "--no-notify",
        ],
        tmp_path,
    )
    # The warning covered 城关镇 and 曲梁镇 (issue 14): lifting it names them, not 「全市」.
    assert lifted.returncode == 0 and "解除城关镇、曲梁镇黄色预警" in lifted.stdout
    log = run(["audit", "show"], tmp_path)
    assert "warning.issue" in log.stdout and "warning.lift" in log.stdout, log.stdout + log.stderr
