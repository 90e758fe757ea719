"""The Word exports open in python-docx and say what the case and the summary say."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from docx import Document
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.supervision import service
from lantian.supervision.documents import notice_document, summary_document
from lantian.supervision.groups import read_plan
from lantian.supervision.roster import ReportFacts, assemble_summary, day_status
from lantian.supervision.service import CaseDraft

PLAN = read_plan(DEFAULT_PLAN_DIR)
T0 = datetime(2017, 11, 20, 1, 0, tzinfo=UTC)


def text_of(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_summary_document() -> None:
    day = date(2017, 11, 20)
    due = datetime(2017, 11, 20, 9, 0, tzinfo=UTC)
    statuses = day_status(
        PLAN.reporting_groups,
        [ReportFacts("logistics", due + timedelta(hours=1), "落实用车 4 辆", "保障会议室")],
        day,
        due + timedelta(hours=2),
    )
    summary = assemble_summary(day, statuses, {g.code: g.name for g in PLAN.groups})
    text = text_of(summary_document(summary, PLAN))
    assert "2017年11月20日" in text and "报：总协调联络办公室主任" in text
    assert "5. 后勤保障组（迟报）" in text and "当日工作进展：落实用车 4 辆" in text
    assert "报送时间：2017年11月20日 18:00" in text
    assert "未报：综合协调组、文秘宣传组、现场保障及案件查办组、责任追究组" in text


def test_supervision_notice(sessions: sessionmaker[Session]) -> None:
    office = Principal("gongjianban", "campaign_office")
    with transaction(sessions) as session:
        case = service.record_case(
            session,
            Principal("duchazu", "inspector"),
            CaseDraft(
                source="inspection_team",
                title="搅拌站未密闭",
                area_code="410183104",
                site="超化镇某搅拌站",
                unit_code="zjj",
                deadline=T0 + timedelta(days=2),
                reference="第2批-017",
                longitude=113.5,
                latitude=34.5,
            ),
            T0,
        )
        service.take_step(session, office, case.id, "forward", T0 + timedelta(hours=1))
        service.take_step(session, office, case.id, "list", T0 + timedelta(days=3), note="逾期",
                          deadline=T0 + timedelta(days=6))  # fmt: skip
        events = [e for e, _ in service.timeline(session, case.id)]
        data = notice_document(case, events, {"zjj": "市住建局"}, {"410183104": "超化镇"})
    text = text_of(data)
    assert text.startswith("挂牌督办通知单")
    assert "第2批-017" in text and "搅拌站未密闭" in text
    assert "超化镇，超化镇某搅拌站" in text and "市住建局（zjj）" in text
    assert "2017年11月26日 09:00" in text  # the listed deadline in China time
    assert "挂牌督办（gongjianban）：逾期" in text
