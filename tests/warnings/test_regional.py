"""The regional linkage read from the township forecasts stored, and adopted into a warning
(seed task 42, issue 18): the plan's adjacency, forecasts imported through the forecast importer,
the decision through the one decision path (audited), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lantian import clock
from lantian.auth import passwords
from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.plan import default_plan
from lantian.timeutil import CHINA_TZ
from lantian.warnings.demo import load_sample_township_forecasts
from lantian.warnings.linkage import plan_adjacency
from lantian.warnings.models import WarningDecisionRow, WarningEpisodeRow
from lantian.warnings.regional import adoption, linkage_snapshot, regional_outlook
from lantian.warnings.rules import plan_rules
from lantian.warnings.service import decide, import_forecasts
from lantian.web.app import create_app
from tests.support.hashing import FAST_HASHER

PLAN = default_plan()
RULES = plan_rules(PLAN)
ADJACENCY = plan_adjacency(PLAN)
NAMES = PLAN.area_names()
OFFICE = Principal("office", "campaign_office")
CITY = "410183"
MICUN, NIUDIAN, PINGMO, FUXISHAN = "410183101", "410183102", "410183103", "410183401"
QULIANG, DAWEI = "410183113", "410183106"
YELLOW, ORANGE, RED = 2, 3, 4
NOW = datetime(2017, 12, 1, 10, tzinfo=CHINA_TZ)
PASSWORD = "灰霾退散-2017-blue"
SOURCE = "市环境监测站"


def township_csv(issued: datetime, days: dict[str, list[int]], source: str = SOURCE) -> str:
    """24-h blocks of natural days from ``issued``'s day, one list of daily AQI per township."""
    first = issued.replace(hour=0)
    lines = ["area,issued_at,valid_start,valid_end,aqi,primary_pollutant,source"]
    for area, values in days.items():
        for offset, aqi in enumerate(values):
            start = first + timedelta(days=offset)
            end = start + timedelta(days=1)
            lines.append(
                f"{area},{issued.isoformat()},{start.isoformat()},{end.isoformat()},{aqi},PM2.5,"
                f"{source}"
            )
    return "\n".join(lines) + "\n"


ORANGE_DAYS = [150, 240, 320, 260, 140]  # 3 days > 200 from tomorrow, one > 300: orange
FORECASTS = {
    MICUN: ORANGE_DAYS,
    NIUDIAN: ORANGE_DAYS,
    PINGMO: ORANGE_DAYS,
    FUXISHAN: [150, 230, 240, 170, 140],  # two days > 200: yellow
    QULIANG: ORANGE_DAYS,  # orange, but alone with 大隗
    DAWEI: ORANGE_DAYS,
    "410183100": [120, 160, 180, 150, 110],  # 城关镇: light, no level
}


def _import(engine: Engine, text: str, name: str = "township.csv") -> None:
    with transaction(session_factory(engine)) as session:
        import_forecasts(session, OFFICE, text, name, now=NOW)


def test_the_stored_township_forecasts_propose_the_linkage_and_name_what_is_missing(
    db_engine: Engine,
) -> None:
    issued = NOW - timedelta(hours=2)
    _import(db_engine, township_csv(issued, FORECASTS))
    # A newer version issued after ``NOW`` is not read as of ``NOW``.
    later = {MICUN: [150, 150, 150, 150, 150]}
    _import(db_engine, township_csv(NOW + timedelta(hours=1), later), "later.csv")
    with session_factory(db_engine)() as session:
        outlook = regional_outlook(session, RULES, ADJACENCY, NAMES, NOW)
    levels = outlook.level_by_area
    assert (levels[MICUN], levels[NIUDIAN], levels[PINGMO]) == (ORANGE, ORANGE, ORANGE)
    assert (levels[FUXISHAN], levels[QULIANG], levels[DAWEI], levels["410183100"]) == (
        YELLOW,
        ORANGE,
        ORANGE,
        0,
    )
    proposal = outlook.proposal
    assert proposal is not None and proposal.rank == ORANGE
    assert proposal.group == (MICUN, NIUDIAN, PINGMO)
    assert "3个相邻乡镇（米村镇、牛店镇、平陌镇）" in proposal.reason.zh
    # both orange groups are shown; only the first has enough townships to link
    assert [(g.areas, g.enough) for g in outlook.groups] == [
        ((MICUN, NIUDIAN, PINGMO), True),
        ((DAWEI, QULIANG), False),
    ]
    assert outlook.action == "issue" and outlook.in_force_rank == 0
    # every township of the plan is listed; those without a forecast are said to be missing
    assert [t.area for t in outlook.townships] == sorted(NAMES)
    missing = {t.area for t in outlook.without_forecast}
    assert missing == set(NAMES) - set(FORECASTS)
    micun = next(t for t in outlook.townships if t.area == MICUN)
    assert micun.source == SOURCE and micun.issued_at == issued
    # 10:00 + 120 h: today (14 hours left) and the five days after; the block of the fifth day
    # (the forecast's last) ends before the horizon's last day.
    assert outlook.days[0] == NOW.date() and len(outlook.days) == 6
    assert micun.daily_peak == (150, 240, 320, 260, 140, None)
    assert micun.hours_known == 14 + 4 * 24

    # 平陌's newer forecast, issued before NOW, replaces its older one: the chain is broken.
    calmer = {PINGMO: [150, 180, 190, 170, 140]}
    _import(db_engine, township_csv(NOW - timedelta(hours=1), calmer), "pingmo.csv")
    with session_factory(db_engine)() as session:
        broken = regional_outlook(session, RULES, ADJACENCY, NAMES, NOW)
    assert broken.level_by_area[PINGMO] == 0 and broken.proposal is None
    assert adoption(broken, RULES) is None and linkage_snapshot(broken) is None
    # The same version re-issued with other values is a revision: the newest revision is read.
    revised = {PINGMO: ORANGE_DAYS}
    _import(db_engine, township_csv(NOW - timedelta(hours=1), revised), "pingmo-v2.csv")
    with session_factory(db_engine)() as session:
        restored = regional_outlook(session, RULES, ADJACENCY, NAMES, NOW)
    assert restored.level_by_area[PINGMO] == ORANGE
    assert restored.proposal is not None and restored.proposal.group == (MICUN, NIUDIAN, PINGMO)


def test_adopting_the_proposal_issues_the_city_wide_warning_through_the_decision_path(
    db_engine: Engine,
) -> None:
    sessions = session_factory(db_engine)
    _import(db_engine, township_csv(NOW - timedelta(hours=2), FORECASTS))
    with sessions() as session:
        outlook = regional_outlook(session, RULES, ADJACENCY, NAMES, NOW)
    fields = adoption(outlook, RULES)
    assert fields == {
        "action": "issue",
        "level": "orange",
        "areas": sorted(NAMES),
        "reason": outlook.proposal.reason.zh,  # type: ignore[union-attr]
    }
    with transaction(sessions) as session:
        row = decide(
            session,
            OFFICE,
            RULES,
            scope=CITY,
            proposal=linkage_snapshot(outlook),
            area_names=NAMES,
            now=NOW,
            **fields,
        )
        assert "全市" in row.notice_text and "橙色预警" in row.notice_text
    with sessions() as session:
        decision = session.scalars(select(WarningDecisionRow)).one()
        assert decision.proposal is not None
        assert decision.proposal["rule"] == "linkage.contiguous"
        assert decision.proposal["group"] == [MICUN, NIUDIAN, PINGMO]
        assert decision.proposal["township_ranks"][FUXISHAN] == YELLOW
        assert decision.proposal["forecasts"][MICUN]["source"] == SOURCE
        episode = session.scalars(select(WarningEpisodeRow)).one()
        assert (episode.scope, episode.level, episode.areas) == (CITY, "orange", sorted(NAMES))
        audit = session.scalars(select(AuditEntry.action)).all()
        assert "warning.issue" in audit
        # The warning in force is at the proposed level: nothing more to adopt.
        again = regional_outlook(session, RULES, ADJACENCY, NAMES, NOW)
        assert again.proposal is not None and again.action is None and again.in_force_rank == 3
        assert adoption(again, RULES) is None
    # A red group later proposes the upgrade.
    red = {code: [150, 320, 330, 310, 305, 140] for code in (MICUN, NIUDIAN, PINGMO)}
    _import(db_engine, township_csv(NOW - timedelta(hours=1), red), "red.csv")
    with sessions() as session:
        upgrade = regional_outlook(session, RULES, ADJACENCY, NAMES, NOW)
    assert upgrade.proposal is not None and upgrade.proposal.rank == RED
    assert upgrade.action == "upgrade"
    assert adoption(upgrade, RULES)["level"] == "red"  # type: ignore[index]


def test_the_demo_sample_shows_a_linkage(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    demo_now = datetime(2018, 1, 22, 10, tzinfo=CHINA_TZ)
    assert "+17 新增 added" in load_sample_township_forecasts(sessions, demo_now)
    assert "+0 新增 added, 17 未变" in load_sample_township_forecasts(sessions, demo_now)
    with sessions() as session:
        outlook = regional_outlook(session, RULES, ADJACENCY, NAMES, demo_now)
    assert outlook.proposal is not None and outlook.proposal.group == (MICUN, NIUDIAN, PINGMO)
    assert {t.name for t in outlook.without_forecast} == {"矿区街道", "郑州曲梁产业集聚区"}
    assert all("示例" in (t.source or "示例") for t in outlook.townships)


def _office_client(db_engine: Engine, tmp_path: Path) -> TestClient:
    with passwords.using_hasher(FAST_HASHER), transaction(session_factory(db_engine)) as session:
        add_user(session, username="office", role="campaign_office", password=PASSWORD, actor="t")
    client = TestClient(create_app(Settings(data_dir=tmp_path), db_engine))
    login = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', login.text)
    assert token
    client.post(
        "/login",
        data={"username": "office", "password": PASSWORD, "csrf": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    return client


def test_the_warnings_page_shows_the_linkage_and_adopts_it(
    db_engine: Engine, tmp_path: Path
) -> None:
    _import(db_engine, township_csv(NOW - timedelta(hours=2), FORECASTS))
    with clock.use(clock.FrozenClock(NOW), process_wide=True):
        client = _office_client(db_engine, tmp_path)
        page = client.get("/office/warnings").text
        assert 'id="linkage-townships"' in page
        assert re.search(rf'<tr data-area="{MICUN}" data-rank="3"><td>米村镇</td>', page)
        assert "3个相邻乡镇（米村镇、牛店镇、平陌镇）" in page
        assert 'id="adopt-linkage"' in page and 'id="linkage-missing"' in page
        # The decision form filled with the proposal: the city-wide orange over every township.
        filled = client.get("/office/warnings?adopt=linkage").text
        assert re.search(r'<option value="issue" selected>', filled)
        assert re.search(r'<option value="orange" selected>', filled)
        checked = set(re.findall(r'name="areas" value="(\d{9})" checked', filled))
        assert checked == set(NAMES)
        assert re.search(r'name="follow_linkage" value="1" checked', filled)
        csrf = re.search(r'name="csrf" value="([^"]*)"', filled)
        assert csrf
        done = client.post(
            "/office/warnings/decide",
            data={
                "action": "issue",
                "level": "orange",
                "areas": sorted(NAMES),
                "reason": "区域联动：米村镇、牛店镇、平陌镇预报橙色",
                "follow_linkage": "1",
                "csrf": csrf.group(1),
            },
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        after = client.get("/office/warnings").text
        assert 'id="linkage-in-force"' in after and 'id="adopt-linkage"' not in after
        nothing = client.get("/office/warnings?adopt=linkage").text
        assert "区域联动没有可采纳的变更" in nothing
    with session_factory(db_engine)() as session:
        decision = session.scalars(select(WarningDecisionRow)).one()
        assert decision.decided_by == "office" and decision.to_level == "orange"
        assert decision.proposal and decision.proposal["group"] == [MICUN, NIUDIAN, PINGMO]


def test_the_command_shows_and_adopts_the_linkage(
    db_engine: Engine, lantian: Callable[..., Result]
) -> None:
    _import(db_engine, township_csv(NOW - timedelta(hours=2), FORECASTS))
    at = ["--at", NOW.strftime("%Y-%m-%dT%H:%M")]
    shown = lantian("warn", "linkage", *at)
    assert shown.exit_code == 0, shown.output
    assert "3个相邻乡镇（米村镇、牛店镇、平陌镇）" in shown.output and "--adopt" in shown.output
    assert "矿区街道" in shown.output  # among the townships without a forecast
    adopted = lantian("warn", "linkage", *at, "--adopt", "--no-notify", "--by", "张三")
    assert adopted.exit_code == 0, adopted.output
    assert "新密市重污染天气橙色预警通知" in adopted.output and "全市" in adopted.output
    with session_factory(db_engine)() as session:
        decision = session.scalars(select(WarningDecisionRow)).one()
        assert (decision.to_level, decision.decided_by) == ("orange", "张三")
        assert decision.proposal and decision.proposal["rule"] == "linkage.contiguous"
    again = lantian("warn", "linkage", *at)
    assert "已不低于建议级别" in again.output


def test_the_hourly_job_reports_the_linkage(db_engine: Engine, tmp_path: Path) -> None:
    from lantian.scheduler.registry import JobContext
    from lantian.warnings.jobs import assess_warnings

    sessions = session_factory(db_engine)
    context = JobContext(sessions, Settings(data_dir=tmp_path), NOW, None, "system:job:t")
    assert "区域联动：无建议（0/19个乡镇有预报" in assess_warnings(context)
    _import(db_engine, township_csv(NOW - timedelta(hours=2), FORECASTS))
    said = assess_warnings(context)
    assert "no measurements stored" in said  # the city's assessment needs stations; the linkage not
    assert "区域联动：3个相邻乡镇（米村镇、牛店镇、平陌镇）" in said and "7/19个乡镇有预报" in said
    with sessions() as session:  # it proposes, it never decides
        assert session.scalars(select(WarningDecisionRow)).first() is None
