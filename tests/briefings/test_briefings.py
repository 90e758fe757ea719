"""The campaign's weekly and monthly briefings (issue 18): the demo week's briefing as ``lantian
demo`` made it, opened as Word, PDF and Excel (title, 文号, sections, figures, images), its figures
checked against the platform's own city series; the scheduled run; the template's checks."""

from __future__ import annotations

import io
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.models import AuditEntry
from lantian.briefings import service
from lantian.briefings.figures import build_briefing, issue_number, period_of, previous_period
from lantian.briefings.jobs import make_due_briefings
from lantian.briefings.models import IssuedBriefing
from lantian.briefings.text import chinese_number
from lantian.config import Settings
from lantian.db.engine import create_db_engine, session_factory
from lantian.demo import DEMO_AS_OF
from lantian.errors import Invalid
from lantian.files import FileStore
from lantian.monitoring.publication import city_daily_aqi
from lantian.monitoring.ranking import area_ranking
from lantian.plan import DEFAULT_PLAN_DIR, cached_plan, read_plan
from lantian.scheduler.registry import JobContext, get_job
from lantian.timeutil import CHINA_TZ
from tests.support.demo_database import DemoCopy

DEMO_WEEK = date(2018, 1, 15)  # Monday of the last whole week before the demo's 2018-01-22
SECTIONS = [
    "一、全市空气质量状况",
    "二、各乡镇（街道）空气质量排名",
    "三、重污染天气预警",
    "四、攻坚目标完成情况",
    "五、重点任务推进情况",
    "六、督查案件办理情况",
    "七、环境执法情况",
]


# --- pure parts ---------------------------------------------------------------------------------


def test_periods_numbers_and_chinese_numbering() -> None:
    assert period_of("weekly", date(2018, 1, 17)) == (date(2018, 1, 15), date(2018, 1, 21))
    assert period_of("monthly", date(2018, 2, 14)) == (date(2018, 2, 1), date(2018, 2, 28))
    assert previous_period("weekly", date(2018, 1, 22)) == (date(2018, 1, 15), date(2018, 1, 21))
    assert previous_period("monthly", date(2018, 1, 1)) == (date(2017, 12, 1), date(2017, 12, 31))
    # The campaign starts on Sunday 2017-10-01: its first week is 09-25…10-01, the demo's the 17th.
    start = date(2017, 10, 1)
    assert issue_number("weekly", date(2017, 9, 25), start) == 1
    assert issue_number("weekly", DEMO_WEEK, start) == 17
    assert issue_number("monthly", date(2018, 1, 1), start) == 4
    assert [chinese_number(n) for n in (1, 7, 10, 11, 20)] == ["一", "七", "十", "十一", "二十"]


def test_the_template_is_checked_by_the_plan_loader(tmp_path: Path) -> None:
    plan = cached_plan(DEFAULT_PLAN_DIR)
    template = plan.briefing_template()
    assert template.number("weekly", 2018, 3, "新密市") == "新密市攻坚办〔2018〕第3期"
    assert template.number("monthly", 2018, 4, "新密市") == "新密市攻坚办月报〔2018〕第4期"
    assert [s.key for s in template.sections][:2] == ["air_quality", "ranking"]
    folder = tmp_path / "plan"
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    (folder / "briefing.toml").write_text(
        'number_pattern_weekly = "攻坚办第{issue}期"\n[[sections]]\nkey = "weather"\ntitle = "天气"\n',
        encoding="utf-8",
    )
    problems = [str(p) for p in read_plan(folder).problems]
    assert any("briefing.toml" in p and "number_pattern_weekly" in p for p in problems), problems
    assert any("briefing.toml" in p and "sections" in p for p in problems), problems
    # Without the file the defaults apply.
    (folder / "briefing.toml").unlink()
    assert read_plan(folder).briefing_template().title("monthly", "新密市") == (
        "新密市大气污染防治攻坚战工作月报"
    )


# --- the demo week ------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text of every page, decoded through the font's ToUnicode map (fpdf2 writes 2-byte
    glyph codes; pypdf 7 reads codes ≥ 0x100 of it as two characters, so it is not used here)."""
    reader = PdfReader(io.BytesIO(data))
    unicode: dict[int, str] = {}
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        cmap = font.get_object()["/ToUnicode"].get_object().get_data().decode()
        for source, target in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]{4,})>", cmap):
            unicode[int(source, 16)] = bytes.fromhex(target).decode("utf-16-be")
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"(": b"(", b")": b")", b"\\": b"\\"}
    text = []
    for page in reader.pages:
        stream = page.get_contents()
        assert stream is not None
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", stream.get_data(), re.S):
            raw = re.sub(rb"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), literal)
            text.append(
                "".join(
                    unicode.get(int.from_bytes(raw[i : i + 2]), "") for i in range(0, len(raw), 2)
                )
            )
    return "".join(text)


def test_the_demo_weeks_briefing_as_word_pdf_and_excel(demo: DemoCopy) -> None:
    line = next(step for step in demo.loaded.steps if step.startswith("工作周报"))
    assert "新密市攻坚办〔2018〕第17期" in line
    engine = create_db_engine(demo.url)
    sessions = session_factory(engine)
    store = FileStore(demo.data_dir)
    plan = cached_plan(DEFAULT_PLAN_DIR)
    with sessions() as session:
        row = service.find_briefing(session, "weekly", DEMO_WEEK)
        assert row is not None
        assert (row.first_day, row.last_day, row.number) == (DEMO_WEEK, date(2018, 1, 21), 17)
        files = {
            fmt: service.briefing_file(session, store, row.id, fmt)[1]
            for fmt in ("docx", "pdf", "xlsx")
        }
        # The figures, against the platform's own city series and ranking (other code paths).
        with clock.use(clock.FrozenClock(DEMO_AS_OF)):
            briefing = build_briefing(session, plan, "weekly", DEMO_WEEK, date(2018, 1, 22))
            published = city_daily_aqi(session, DEMO_WEEK, date(2018, 1, 21))
        ranking = [r for r in area_ranking(session, DEMO_WEEK, date(2018, 1, 21)) if r.rank]
    assert [(d.day, d.aqi) for d in briefing.air.days] == [(d.day, d.aqi) for d in published]
    rated = [d for d in published if d.aqi is not None]
    good = sum(1 for d in rated if d.level <= 2)
    heavy = sum(1 for d in rated if d.level >= 5)
    assert (briefing.air.measured, briefing.air.good, briefing.air.heavy) == (
        len(rated),
        good,
        heavy,
    )
    assert len(rated) == 7 and heavy >= 1  # the demo's week is whole and has a heavy day
    pm25 = [d.pm2_5 for d in briefing.air.days if d.pm2_5 is not None]
    assert briefing.air.pm2_5 == round(sum(pm25) / len(pm25), 1)
    assert {r.code for r in briefing.ranking} == {r.area_code for r in ranking}
    worst = max(ranking, key=lambda r: r.composite or 0)
    assert briefing.bottom[0].code == worst.area_code
    assert briefing.cases.opened > 0 and briefing.enforcement.actions > 0

    # Word: title, 文号, every section in order, figures in the text, three images embedded.
    document = Document(io.BytesIO(files["docx"]))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "新密市大气污染防治攻坚战工作周报"
    assert paragraphs[1] == "新密市攻坚办〔2018〕第17期"
    headings = [p for p in paragraphs if re.match(r"^[一二三四五六七八九十]+、", p)]
    assert headings == SECTIONS
    body = "\n".join(paragraphs)
    assert f"全市有效监测{len(rated)}天" in body
    assert f"优良天数{good}天" in body and f"重度及以上污染天数{heavy}天" in body
    assert len(briefing.bottom) == min(3, len(ranking) // 2)
    assert f"排名后{len(briefing.bottom)}位的是{briefing.bottom[0].name}" in body
    assert f"本期新交办督查案件{briefing.cases.opened}件" in body
    assert "主送：" in body and "抄送：" in body
    assert len(document.inline_shapes) == 3
    cells = {c.text for t in document.tables for r in t.rows for c in r.cells}
    assert briefing.bottom[0].name in cells and f"{float(worst.composite or 0):.2f}" in {
        f"{float(c):.2f}" for c in cells if re.fullmatch(r"\d+\.\d+", c)
    }

    # PDF: the same, with the shipped font embedded and the three images.
    reader = PdfReader(io.BytesIO(files["pdf"]))
    text = pdf_text(files["pdf"])
    for words in ["新密市大气污染防治攻坚战工作周报", "新密市攻坚办〔2018〕第17期", *SECTIONS]:
        assert words in text, words
    assert f"优良天数{good}天" in text and f"重度及以上污染天数{heavy}天" in text
    assert sum(len(page.images) for page in reader.pages) == 3
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("NotoSansCJKSC" in name for name in fonts), fonts

    # Excel: the same figures.
    book = load_workbook(io.BytesIO(files["xlsx"]))
    summary = {r[0]: r[1:] for r in book["概况"].iter_rows(values_only=True)}
    assert summary["文号"][0] == "新密市攻坚办〔2018〕第17期"
    assert summary["优良天数"][0] == good and summary["重度及以上污染天数"][0] == heavy
    assert summary["PM2.5 平均浓度(µg/m³)"][0] == briefing.air.pm2_5
    days = list(book["逐日"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1]) for r in days] == [(f"{d.day:%Y-%m-%d}", d.aqi) for d in published]
    ranked = list(book["排名"].iter_rows(min_row=2, values_only=True))
    assert ranked[-1][1] == worst.area_code

    # The scheduled run on 1 February: last week's and January's briefings, once.
    job = get_job("briefings.make")
    assert job is not None
    settings = Settings(data_dir=demo.data_dir, database_url=demo.url)
    now = datetime(2018, 2, 1, 7, 30, tzinfo=CHINA_TZ).astimezone(UTC)
    context = JobContext(sessions, settings, now, None, job.actor)
    with clock.use(clock.FrozenClock(now)):
        first = make_due_briefings(context)
        second = make_due_briefings(context)
    assert "新密市攻坚办〔2018〕第18期" in first and "新密市攻坚办月报〔2018〕第4期" in first
    assert "已生成" in second and "〔" not in second
    with sessions() as session:
        kept = session.scalars(select(IssuedBriefing).order_by(IssuedBriefing.id)).all()
        assert [(b.kind, b.first_day) for b in kept] == [
            ("weekly", DEMO_WEEK),
            ("weekly", date(2018, 1, 22)),
            ("monthly", date(2018, 1, 1)),
        ]
        assert {b.generated_by for b in kept[1:]} == {"system:job:briefings.make"}
        logged = session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "briefing.make")
        )
        assert logged == 3
        monthly = service.briefing_file(session, store, kept[2].id, "docx")[1]
    assert Document(io.BytesIO(monthly)).paragraphs[0].text == "新密市大气污染防治攻坚战工作月报"
    engine.dispose()


def test_bad_requests_and_a_period_not_yet_begun_are_refused(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    for kind, day, field in [("daily", "2018-01-15", "kind"), ("weekly", "2018-13-01", "day")]:
        with pytest.raises(Invalid) as refused:
            service.parse_request(kind, day)
        assert refused.value.field == field
    assert service.parse_request("monthly", "2018-01").day == date(2018, 1, 1)
    with sessions() as session, pytest.raises(Invalid) as refused:
        service.make_briefing(
            session,
            FileStore(tmp_path),
            cached_plan(DEFAULT_PLAN_DIR),
            service.parse_request("weekly", "2018-01-29"),
            "test",
            issued_on=date(2018, 1, 22),
        )
    assert refused.value.field == "day"
    with sessions() as session:
        assert session.scalar(select(func.count(IssuedBriefing.id))) == 0
