"""`lantian cases …` driven in process against each backend, the clock given on the command line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, select

from lantian import clock
from lantian.auth import service as accounts
from lantian.db.engine import session_factory, transaction
from lantian.supervision.models import CaseEvidence, InspectionCase
from lantian.supervision.rules import NotPermitted


@pytest.fixture
def campaign_day() -> Iterator[None]:
    """The platform's clock on a day of the campaign (a deadline may not lie before today)."""
    with clock.use(clock.FrozenClock(datetime(2017, 11, 20, 1, 0, tzinfo=UTC))):
        yield


def test_cases_from_the_command_line(
    lantian: Callable[..., Result], db_engine: Engine, tmp_path: Path, campaign_day: None
) -> None:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        accounts.add_user(session, username="micun", role="township", scope="410183101",
                          password="新密市-米村镇-2017", actor="test")  # fmt: skip
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 photo")
    added = lantian(
        "cases", "add", "--title", "工地未洒水降尘", "--area", "410183100", "--unit", "zjj",
        "--deadline", "2017-11-22T18:00", "--evidence", str(photo),
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    with sessions() as session:
        case = session.scalars(select(InspectionCase)).one()
        # 18:00 in Xinmi is 10:00 UTC.
        assert (
            case.deadline is not None and case.deadline.isoformat() == "2017-11-22T10:00:00+00:00"
        )
        assert session.scalars(select(CaseEvidence.filename)).all() == ["现场.jpg"]
    assert lantian("cases", "step", str(case.id), "forward").exit_code == 0
    refused = lantian("cases", "step", str(case.id), "accept", "--as", "micun")
    assert isinstance(refused.exception, NotPermitted)
    # Before the deadline nothing happens; a day after, the case is listed.
    quiet = lantian("cases", "escalate", "--now", "2017-11-22T17:00")
    assert "flagged 0" in quiet.output and "listed 0" in quiet.output
    late = lantian("cases", "escalate", "--now", "2017-11-23T08:00")
    assert "flagged 1" in late.output, late.output
    listed = lantian("cases", "escalate", "--now", "2017-11-23T19:00")
    assert f"listed 1: [{case.id}]" in listed.output
    shown = lantian("cases", "show", str(case.id))
    assert shown.exit_code == 0
    assert "挂牌督办" in shown.output and "现场.jpg" in shown.output and "逾期" in shown.output
    board = lantian("cases", "list", "--unit", "zjj")
    assert "工地未洒水降尘" in board.output and "挂牌 listed" in board.output
    assert "工地未洒水降尘" not in lantian("cases", "list", "--as", "micun").output
    progress = lantian("cases", "progress")
    assert "zjj" in progress.output
    proposed = lantian("cases", "propose", str(case.id), "--reasons", "挂牌后仍未整改")
    assert proposed.exit_code == 0, proposed.output
    # The operator proposed it, so the operator may not approve it too.
    own = lantian("cases", "review-proposal", "1", "--approve")
    assert isinstance(own.exception, NotPermitted)
    with transaction(sessions) as session:
        for name in ("head", "zhuize"):
            accounts.add_user(session, username=name, role="campaign_office",
                              password="新密市-攻坚办-2017", actor="test")  # fmt: skip
    assert lantian("cases", "review-proposal", "1", "--approve", "--as", "head").exit_code == 0
    unknown = lantian("cases", "decide", "1", "--decision", "罚款", "--measure", "fine",
                      "--as", "zhuize")  # fmt: skip
    assert "unknown measure" in str(unknown.exception)
    decided = lantian("cases", "decide", "1", "--decision", "约谈负责人", "--measure", "talk",
                      "--as", "zhuize")  # fmt: skip
    assert decided.exit_code == 0, decided.output
    assert f"talk (案件 case {case.id})" in decided.output
    listed = lantian("plan", "accountability", "--link-kind", "inspection_case")
    assert f"inspection_case {case.id}" in listed.output and "责任追究组" in listed.output
    assert "1 条" in listed.output and "约谈负责人" in listed.output
    assert "0 条" in lantian("plan", "accountability", "--link-kind", "task").output


def test_duty_from_the_command_line(lantian: Callable[..., Result]) -> None:
    listed = lantian("duty", "groups")
    assert listed.exit_code == 0 and "现场保障及案件查办组" in listed.output
    added = lantian("duty", "add-shift", "--person", "李根灿", "--start", "2017-11-20T00:00",
                    "--end", "2017-11-20T12:00")  # fmt: skip
    assert added.exit_code == 0, added.output
    roster = lantian("duty", "roster", "--day", "2017-11-20")
    assert "李根灿" in roster.output and "空岗 gap" in roster.output
    assert "2017-11-20 12:00 – 2017-11-21 00:00" in roster.output
    reported = lantian("duty", "report", "logistics", "--progress", "安排用车", "--tomorrow", "接送",
                       "--day", "2017-11-20")  # fmt: skip
    assert "submitted late" in reported.output  # the real clock is long past 17:00 of that day
    summary = lantian("duty", "summary", "--day", "2017-11-20")
    assert "后勤保障组（迟报）" in summary.output and "综合协调组（未报）" in summary.output
