"""The registers' command line and nightly job, on both backends: every kind through one command
group (template, import refused row by row, list scoped, step, export, evaluate), and the job that
finds a missed deadline once however often it runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import transaction
from lantian.scheduler.registry import get_job
from lantian.scheduler.service import Scheduler
from lantian.sources.kinds.scattered import ScatteredEnterprise
from lantian.sources.registry import kinds
from lantian.supervision.models import InspectionCase

pytestmark = pytest.mark.db
KIND = "scattered_enterprise"
HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,完成时限,处置类别,行业,所属集群,集群挂牌督办"
)
GOOD = "\n".join(
    [
        HEADER,
        "SLW-100-0001,城关镇某塑料加工厂,410183100,hbj,东关村,113.39,34.54,2030-09-30,取缔,塑料加工,,否",
        "SLW-100-0002,城关镇某石材厂,410183100,hbj,西关村,113.37,34.53,2017-09-30,整合搬迁,石材,,否",
        "SLW-101-0001,米村镇某铸造厂,410183101,,米村镇,113.30,34.60,2030-09-30,relocate,铸造,,",
    ]
)


def _cases(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(InspectionCase)) or 0)


def test_the_command_group_serves_every_kind(
    lantian: Callable[..., Result], sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    listed = lantian("sources", "kinds")
    assert listed.exit_code == 0 and all(key in listed.output for key in kinds())

    template = tmp_path / "模板.xlsx"
    assert lantian("sources", "template", KIND, str(template)).exit_code == 0
    headers = [c.value for c in load_workbook(template).worksheets[0][1]]
    assert "处置类别 category" in headers

    bad = tmp_path / "bad.csv"
    bad.write_text(
        GOOD.replace("410183101,,", "999999999,,").replace("整合搬迁", "拆迁") + "\n", "utf-8"
    )
    refused = lantian("sources", "import", KIND, str(bad))
    assert refused.exit_code == 1
    assert "第 3 行" in refused.output or "row 3" in refused.output
    assert "999999999" in refused.output and "拆迁" in refused.output
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ScatteredEnterprise)) == 0

    good = tmp_path / "good.csv"
    good.write_text(GOOD + "\n", "utf-8")
    with transaction(sessions) as session:
        add_user(session, username="micun", role="township", scope="410183101",
                 password="灰霾退散-2017-blue", actor="test")  # fmt: skip
    # A township imports only its own rows: this file has 城关镇's too.
    assert lantian("sources", "import", KIND, str(good), "--as", "micun").exit_code == 1
    first = lantian("sources", "import", KIND, str(good))
    assert first.exit_code == 0 and "新增 3" in first.output, first.output
    again = lantian("sources", "import", KIND, str(good))
    assert "未变 3" in again.output

    mine = lantian("sources", "list", KIND, "--as", "micun")
    assert "SLW-101-0001" in mine.output and "SLW-100-0001" not in mine.output
    assert "1 条" in mine.output
    assert lantian("sources", "step", KIND, "SLW-100-0001", "start", "--as", "micun").exit_code == 4
    started = lantian("sources", "step", KIND, "SLW-100-0001", "start")
    assert started.exit_code == 0 and "整治中" in started.output
    assert lantian("sources", "step", KIND, "SLW-100-0001", "start").exit_code == 5
    assert lantian("sources", "step", KIND, "SLW-100-0001", "close_off").exit_code == 5
    assert lantian("sources", "step", KIND, "NO-SUCH", "start").exit_code == 3

    exported = tmp_path / "out.csv"
    assert lantian("sources", "export", KIND, str(exported), "--as", "micun").exit_code == 0
    assert exported.read_text("utf-8-sig").count("SLW-") == 1

    # The import already evaluated the rules: the overdue firm (9-30 passed) has its case.
    opened = _cases(sessions)
    assert opened >= 1
    evaluated = lantian("sources", "evaluate")
    assert evaluated.exit_code == 0 and "0 件新案件" in evaluated.output
    assert _cases(sessions) == opened


def test_the_nightly_job_opens_one_case_for_a_missed_deadline(
    lantian: Callable[..., Result], sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD + "\n", "utf-8")
    assert lantian("sources", "import", KIND, str(good)).exit_code == 0
    before = _cases(sessions)
    job = get_job("sources.evaluate")
    assert job is not None

    class Clock:
        def __init__(self, now: datetime) -> None:
            self.now = now

        def __call__(self) -> datetime:
            return self.now

    # 2030-10-02: the two firms due 2030-09-30 are overdue now; nobody touched them.
    clock = Clock(datetime(2030, 10, 2, 1, tzinfo=UTC))
    scheduler = Scheduler(sessions, Settings(data_dir=tmp_path), [job], clock=clock)
    first = scheduler.run_now("sources.evaluate", "admin")
    assert first.summary is not None and "新开案件 2 件" in first.summary, first.summary
    assert _cases(sessions) == before + 2
    second = scheduler.run_now("sources.evaluate", "admin")
    assert second.summary is not None and "新开案件 0 件" in second.summary
    assert _cases(sessions) == before + 2
