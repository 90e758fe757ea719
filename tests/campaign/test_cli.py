"""`lantian plan load|escalations|export` through the command line, against each backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import Result

from lantian import clock
from lantian.auth.models import AuditEntry
from lantian.campaign.demo import load_sample_progress
from tests.campaign.conftest import PLAN_DIR

pytestmark = pytest.mark.db


def test_load_twice_then_escalate_and_export(
    lantian: Callable[..., Result], sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    first = lantian("plan", "load", str(PLAN_DIR), "--actor", "zhang.office")
    assert first.exit_code == 0, first.output
    assert "已更新 / updated" in first.output
    second = lantian("plan", "load", str(PLAN_DIR))
    assert second.exit_code == 0 and "无变化 / unchanged" in second.output
    with sessions() as session:
        assert set(session.scalars(select(AuditEntry.actor))) == {"zhang.office"}
    load_sample_progress(sessions, PLAN_DIR, tmp_path)
    late = lantian("plan", "escalations", "--as-of", "2018-01-10", "--kind", "late_report")
    assert late.exit_code == 0, late.output
    assert "米村镇" in late.output and "1 项" in late.output
    out = tmp_path / "matrix.xlsx"
    exported = lantian("plan", "export", str(out), "--month", "2017-11", "--as-of", "2018-01-10")
    assert exported.exit_code == 0, exported.output
    book = load_workbook(out)
    summary = book["2017年11月汇总"]
    row = next(
        r for r in summary.iter_rows(values_only=True) if r[2] == "开展“电代煤”、“气代煤”工程"
    )
    assert "迟报1" in row[7]  # 米村镇's November report
    assert "完成气代煤、电代煤户数：8460（目标 ≥23400 households）未达标" in row[8]


def test_escalations_judge_by_the_one_clock_in_china_time(
    lantian: Callable[..., Result], sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Without --as-of the command judges by the clock's day in China, not the host's date."""
    assert lantian("plan", "load", str(PLAN_DIR)).exit_code == 0
    load_sample_progress(sessions, PLAN_DIR, tmp_path)
    # 17:30 UTC on 9 January is already 10 January in China.
    with clock.use(clock.FrozenClock(datetime(2018, 1, 9, 17, 30, tzinfo=UTC))):
        late = lantian("plan", "escalations")
    assert late.exit_code == 0, late.output
    assert "米村镇" in late.output and "as of 2018-01-10" in late.output
    with clock.use(clock.FrozenClock(datetime(2017, 11, 1, tzinfo=UTC))):
        early = lantian("plan", "escalations")
    assert early.exit_code == 0, early.output
    assert "as of 2017-11-01" in early.output

    def count(output: str) -> int:
        return int(output.rsplit(" 项 / item(s)", 1)[0].split()[-1])

    # Deadlines missed by 10 January have not come yet on 1 November.
    assert count(early.output) < count(late.output)


def test_duties_listed_and_marked_overdue_once(
    lantian: Callable[..., Result], sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """`lantian plan duties`: the table by duty and state, one reporter's items, and --mark (what
    the daily job campaign.duties does) recording the overdue items once."""
    assert lantian("plan", "load", str(PLAN_DIR)).exit_code == 0
    table = lantian("plan", "duties", "--as-of", "2017-10-20")
    assert table.exit_code == 0, table.output
    assert "five_lists" in table.output and "non_road_machinery_weekly" in table.output
    mine = lantian(
        "plan", "duties", "--as-of", "2017-10-20", "--reporter", "area:410183101",
        "--state", "overdue", "--mark",
    )  # fmt: skip
    assert mine.exit_code == 0, mine.output
    assert "elevated_sources_list" in mine.output and "specific_work_plans" in mine.output
    first = int(mine.output.split("新标记逾期 ")[1].split(" ")[0])
    again = lantian("plan", "duties", "--as-of", "2017-10-20", "--mark")
    assert first > 0 and "新标记逾期 0 项" in again.output
    with sessions() as session:
        marked = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "duty.overdue")
        ).all()
    assert len(marked) == first and {e.actor for e in marked} == {"cli"}
