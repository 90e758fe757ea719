"""What the execution tests share: the replayed January 2019 warning recorded as the office's
decisions, two cement plants on the list in force, the power company's readings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.emissions import service as emissions
from lantian.emissions.service import EnterpriseInput, LineInput, MeasureInput
from lantian.emissions.uscc import make_code
from lantian.execution.imports import import_facts
from lantian.files import FileStore
from lantian.plan import DEFAULT_PLAN_DIR, load_plan
from lantian.timeutil import CHINA_TZ
from lantian.warnings.forecast import Perfect
from lantian.warnings.replay import Episode, load_city, replay
from lantian.warnings.rules import load_rules
from lantian.warnings.service import decide, proposal_snapshot

PLAN = load_plan(DEFAULT_PLAN_DIR)
RULES = load_rules(DEFAULT_PLAN_DIR)
OFFICE = Principal("office", "campaign_office")
PASSWORD = "灰霾退散-2017-blue"
CITY = "410183"
TOWNSHIP = "410183100"
IDLE = make_code("91410183MA4AAAA1X")  # kept its kilns running
GOOD = make_code("91410183MA4BBBB2X")  # cut as the list says
WARNED = {date(2019, 1, d) for d in range(1, 10)}


def replayed_first_episode(shared_dir: Path) -> Episode:
    """The first episode the rules give over the real January 2019 data, perfect forecast."""
    january = load_city(shared_dir / "data" / "cnemc", "郑州", date(2019, 1, 1), date(2019, 1, 31))
    result = replay(
        january,
        Perfect(january.rolling_aqi),
        RULES,
        datetime(2019, 1, 1, 1, tzinfo=CHINA_TZ),
        datetime(2019, 2, 1, 0, tzinfo=CHINA_TZ),
    )
    return result.episodes[0]


def record_episode(session: Session, episode: Episode) -> None:
    """The replayed proposals recorded as the office's decisions, effective when proposed."""
    areas = sorted(PLAN.area_names())
    for proposal in episode.changes:
        level = RULES.level(proposal.to_rank) if proposal.to_rank else None
        decide(
            session,
            OFFICE,
            RULES,
            action=proposal.action.value,
            scope=CITY,
            areas=areas,
            level=level.key if level else None,
            reason="回放 / replay",
            effective_at=proposal.at,
            now=proposal.at,
            proposal=proposal_snapshot(proposal),
            area_names=PLAN.area_names(),
        )


def cement(code: str, name: str) -> EnterpriseInput:
    return EnterpriseInput(
        credit_code=code,
        name=name,
        area_code=TOWNSHIP,
        industry="cement",
        lines=[LineInput("1号窑", nox=3.0, pm=1.0), LineInput("2号窑", nox=2.0, pm=1.0)],
    )


def electricity_csv(first: date, last: date, warned: set[date]) -> bytes:
    rows = ["统一社会信用代码,生产线,日期,用电量"]
    day = first
    while day <= last:
        for line, normal in (("1号窑", 48000), ("2号窑", 30000)):
            rows.append(f"{IDLE},{line},{day},{normal + (day.day % 3) * 100}")
            good = normal * (0.4 if day in warned else 1.0)
            rows.append(f"{GOOD},{line},{day},{good:.0f}")
        day += timedelta(days=1)
    return ("\n".join(rows) + "\n").encode("utf-8")


def set_up(sessions: sessionmaker[Session], episode: Episode, store: FileStore | None) -> None:
    """Two cement plants on the list in force (yellow 30 %, orange and red 50 %), the replayed
    episode recorded, and (with a ``store``) the power company's readings imported."""
    with transaction(sessions) as session:
        emissions.add_enterprise(session, "office", cement(IDLE, "新密市未限产水泥有限公司"))
        emissions.add_enterprise(session, "office", cement(GOOD, "新密市已限产水泥有限公司"))
        measures = [
            MeasureInput(code, level, "limit", "全厂限产", cut)
            for code in (IDLE, GOOD)
            for level, cut in (("yellow", 0.3), ("orange", 0.5), ("red", 0.5))
        ]
        listed = emissions.create_list(
            session, "office", name="2018–2019 应急减排清单", plan=CITY, inventory_year=2017,
            method="manual", measures=measures, levels=PLAN.levels,
        )  # fmt: skip
        session.flush()
        emissions.set_list_status(session, "office", listed.id, "in_force")
        record_episode(session, episode)
    if store is None:
        return
    with transaction(sessions) as session:
        import_facts(
            session, OFFICE, "electricity",
            electricity_csv(date(2018, 12, 10), date(2019, 1, 9), WARNED), "供电公司-201901.csv",
            store=store,
        )  # fmt: skip
