"""Where a warning applies, said in its notice, and the notice as Word and PDF (issue 14)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine, func, select

from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.errors import NotAllowed
from lantian.fonts import CJK_FONT, covered_characters, missing_characters, system_fallback
from lantian.plan import DEFAULT_PLAN_DIR, default_plan
from lantian.warnings.documents import notice_docx, notice_parts, notice_pdf
from lantian.warnings.models import WarningDecisionRow
from lantian.warnings.notify import NotifySettings, recipients
from lantian.warnings.rules import load_rules
from lantian.warnings.service import (
    active_warning,
    decide,
    describe_areas,
    preview_decision,
)
from lantian.web.app import create_app
from tests.support.hashing import FAST_HASHER

RULES = load_rules(DEFAULT_PLAN_DIR)
OFFICE = Principal("office", "campaign_office")
TOWNSHIP = Principal("quliang", "township", "410183113")
CITY = "410183"
MICUN = "410183101"  # 米村镇
T0 = datetime(2017, 12, 1, 12, tzinfo=UTC)
NAMES = default_plan().area_names()
PASSWORD = "灰霾退散-2017-blue"


def test_the_areas_are_named_and_only_every_township_is_the_whole_city() -> None:
    assert describe_areas([MICUN], NAMES) == "米村镇"
    assert describe_areas(["410183113", MICUN], NAMES) == "米村镇、曲梁镇"  # code order
    assert describe_areas(sorted(NAMES), NAMES) == "全市"
    assert describe_areas(sorted(NAMES)[1:], NAMES) != "全市"
    assert describe_areas(["410183999"], NAMES) == "410183999"  # a code the plan does not name


def test_a_warning_for_one_township_says_where_it_applies(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        row = decide(
            session,
            OFFICE,
            RULES,
            action="issue",
            scope=CITY,
            areas=[MICUN],
            level="blue",
            reason="预报米村镇日AQI>150持续2天",
            now=T0,
        )
        assert "在米村镇发布蓝色预警" in row.notice_text and "全市" not in row.notice_text
    with sessions() as session:
        view = active_warning(session, RULES, CITY)
        assert view is not None
        assert (view.area_names, view.areas_text) == (("米村镇",), "米村镇")
    with transaction(sessions) as session:
        whole = decide(
            session,
            OFFICE,
            RULES,
            action="upgrade",
            scope=CITY,
            areas=sorted(NAMES),
            level="yellow",
            reason="全域预报AQI>200",
            now=T0,
        )
        assert "将全市蓝色预警升级为黄色预警" in whole.notice_text


def test_the_preview_is_the_notice_that_would_be_sent_and_records_nothing(
    db_engine: Engine,
) -> None:
    sessions = session_factory(db_engine)
    fields = {
        "action": "issue",
        "scope": CITY,
        "areas": [MICUN],
        "level": "blue",
        "reason": "预报日AQI>150",
        "now": T0,
    }
    draft = preview_decision(sessions, OFFICE, RULES, **fields)
    assert "在米村镇发布蓝色预警" in draft.notice_text
    with sessions() as session:
        assert session.scalar(select(func.count(WarningDecisionRow.id))) == 0
        assert session.scalar(select(func.count(AuditEntry.id))) == 0
        assert active_warning(session, RULES, CITY) is None
    with pytest.raises(NotAllowed):  # the same checks as recording it
        preview_decision(sessions, TOWNSHIP, RULES, **fields)
    with transaction(sessions) as session:
        recorded = decide(session, OFFICE, RULES, **fields)  # type: ignore[arg-type]
        # The same notice; the number is given on recording (the preview shows □ in its place).
        assert "攻坚办预警〔2017〕□号" in draft.notice_text
        assert recorded.notice_text == draft.notice_text.replace("□号", f"{recorded.id}号")


def _notice_text(db_engine: Engine) -> str:
    with transaction(session_factory(db_engine)) as session:
        return decide(
            session,
            OFFICE,
            RULES,
            action="issue",
            scope=CITY,
            areas=[MICUN],
            level="blue",
            reason="预报米村镇日AQI>150持续2天",
            now=T0,
        ).notice_text


def test_word_and_pdf_hold_the_notice_with_the_cjk_font_embedded(db_engine: Engine) -> None:
    text = _notice_text(db_engine)
    parts = notice_parts(text)
    assert parts.title == "新密市重污染天气蓝色预警通知"
    assert parts.number == "攻坚办预警〔2017〕1号" and parts.date == "2017年12月1日"
    word = Document(io.BytesIO(notice_docx(text)))
    words = [p.text for p in word.paragraphs]
    assert words[0] == parts.title and any("在米村镇发布蓝色预警" in w for w in words)
    pdf = PdfReader(io.BytesIO(notice_pdf(text)))
    shown = re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in pdf.pages))
    assert "在米村镇发布蓝色预警" in shown and "新密市大气污染防治攻坚战领导小组办公室" in shown
    assert pdf.metadata is not None and pdf.metadata.title == parts.title
    fonts = [f.get_object() for f in pdf.pages[0]["/Resources"]["/Font"].values()]
    descendants = [f["/DescendantFonts"][0].get_object() for f in fonts]
    assert descendants and all("/FontFile3" in d["/FontDescriptor"] for d in descendants)


def test_the_shipped_font_covers_the_plans_and_the_notice_template() -> None:
    """Everything the platform itself writes into a notice is drawn from the shipped subset alone
    (no fallback font needed): the plan's names and the template's text."""
    covered = covered_characters()
    template = (
        Path(__file__).resolve().parents[2] / "src/lantian/warnings/templates/notice_zh.txt"
    ).read_text("utf-8")
    plan = default_plan()
    names = "".join(a.name for a in plan.areas) + "".join(u.name for u in plan.units)
    texts = template + names + "".join(level.name_zh + level.response_zh for level in RULES.levels)
    needed = {ord(c) for c in texts if c not in "\r\n\t{}%"}
    assert needed - covered == set()
    assert CJK_FONT.stat().st_size < 2_000_000  # a subset, not the 19 MB collection
    assert missing_characters("米村镇\n") == []
    assert missing_characters("\ue000") == ["\ue000"]  # private use: in no font


def test_recipients_and_what_stops_them() -> None:
    settings = NotifySettings(
        mail_to=["office@example.org"],
        webhook_urls=["https://hooks.example.org/notice?token=secret"],
    )
    found = recipients(settings)
    assert [(r.channel, r.target, r.problem) for r in found] == [
        ("email", "office@example.org", "no-smtp"),
        ("webhook", "https://hooks.example.org/notice", ""),  # the token is never shown
    ]
    assert recipients(NotifySettings(mail_to=[], webhook_urls=[])) == []


def _office_client(db_engine: Engine, tmp_path: Path, notify: NotifySettings) -> TestClient:
    from lantian.auth import passwords

    with passwords.using_hasher(FAST_HASHER), transaction(session_factory(db_engine)) as session:
        add_user(session, username="office", role="campaign_office", password=PASSWORD, actor="t")
    app = create_app(Settings(data_dir=tmp_path), db_engine)
    app.state.notify_settings = notify
    client = TestClient(app)
    login = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', login.text)
    assert token
    client.post(
        "/login",
        data={"username": "office", "password": PASSWORD, "csrf": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    return client


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', client.get("/office/warnings").text)
    assert found
    return found.group(1)


def test_the_notice_page_lists_each_delivery_or_says_why_there_was_none(
    db_engine: Engine, tmp_path: Path
) -> None:
    # One recipient, but no mail server: the delivery is attempted, fails, and the page says why.
    client = _office_client(
        db_engine, tmp_path, NotifySettings(mail_to=["office@example.org"], webhook_urls=[])
    )
    form = {
        "action": "issue",
        "level": "blue",
        "areas": [MICUN],
        "reason": "预报日AQI>150",
        "csrf": _csrf(client),
    }
    preview = client.post("/office/warnings/preview", data=form)
    assert preview.status_code == 200 and "在米村镇发布蓝色预警" in preview.text
    assert 'id="recipients"' in preview.text and "office@example.org" in preview.text
    assert "LANTIAN_WARNING_SMTP_HOST" in preview.text  # the e-mail would fail: said beforehand
    assert client.get("/api/v1/warnings/active").json()["active"] is False  # nothing recorded
    done = client.post("/office/warnings/decide", data=form, follow_redirects=False)
    assert done.status_code == 303
    # (On PostgreSQL the rolled-back preview used up a sequence number: the id is read back.)
    where = done.headers["location"]
    assert re.fullmatch(r"/office/warnings/decisions/\d+", where), where
    page = client.get(where)
    assert 'id="deliveries"' in page.text and "no SMTP host configured" in page.text
    assert "失败" in page.text  # 通知 1，失败 1
    docx = client.get(f"{where}/notice.docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    assert "attachment" in docx.headers["content-disposition"]
    pdf = client.get(f"{where}/notice.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert client.get("/office/warnings/decisions/9999").status_code == 404
    log = client.get("/office/warnings")
    assert re.search(r'class="decision-areas"[^>]*>米村镇<', log.text)
    row = re.search(r'<tr data-decision="\d+">.*?</tr>', log.text, re.S)
    assert row and "发布" in row.group(0) and "— → 蓝色预警" in row.group(0)  # labels, not codes
    assert ">issue<" not in row.group(0) and "blue" not in row.group(0)
    # Preview of a change that is refused: the reason, with its status, and nothing recorded.
    again = client.post("/office/warnings/preview", data=form)
    assert again.status_code == 409 and 'id="preview-error"' in again.text


def test_zero_deliveries_are_explained(db_engine: Engine, tmp_path: Path) -> None:
    client = _office_client(db_engine, tmp_path, NotifySettings(mail_to=[], webhook_urls=[]))
    form = {
        "action": "issue",
        "level": "blue",
        "areas": [MICUN],
        "reason": "预报日AQI>150",
        "csrf": _csrf(client),
    }
    done = client.post("/office/warnings/decide", data=form)
    assert done.status_code == 200
    assert "未配置收件人" in done.text and 'id="no-deliveries"' in done.text
    assert 'id="no-recipients"' in done.text


def test_a_character_outside_the_subset_comes_from_the_machines_font_or_is_named() -> None:
    rare = "䶮"  # U+4DAE, CJK Extension A: not in GB 2312, so not in the shipped subset
    assert ord(rare) not in covered_characters()
    if system_fallback() is None:
        assert missing_characters(rare) == [rare]
        return
    assert missing_characters(rare) == []
    pdf = PdfReader(io.BytesIO(notice_pdf(f"标题\n\n文号\n\n正文{rare}\n\n单位\n日期")))
    assert rare in pdf.pages[0].extract_text()
