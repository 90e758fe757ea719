"""The demo's execution checks (seed tasks 37–39, 41): the warning episodes of the demo's weeks and
the power company's per-line readings of the firms on the reduction list in force, then the
episode check the daily job runs, so an episode's page shows compliance per enterprise and the
firms that did not cut have their cases.

* The episodes are those the plan's warning rules give over the demo's own stored monitoring data
  (:func:`lantian.warnings.service.city_series_from_db`, replayed with the observed values standing
  in for the forecast), recorded as the office's decisions through
  :func:`lantian.warnings.service.decide`, effective when proposed — only episodes lifted before the
  demo's instant.
* The readings are invented (示例数据 / sample), seeded: every line of every listed firm, a
  fortnight of normal work before the episode and the warning days; most firms cut by more than
  their list asks, two kept running. They go in as the power company's file through
  :func:`lantian.execution.imports.import_facts`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.emissions import service as emissions
from lantian.execution import service
from lantian.execution.imports import import_facts
from lantian.execution.models import ExecutionUpload
from lantian.execution.service import BASELINE_DAYS
from lantian.files import FileStore
from lantian.plan import cached_plan
from lantian.timeutil import CHINA_TZ
from lantian.warnings.forecast import Perfect
from lantian.warnings.replay import Episode, replay
from lantian.warnings.rules import load_rules
from lantian.warnings.service import (
    city_series_from_db,
    decide,
    episodes_between,
    proposal_snapshot,
)

SEED = 2017
#: The file the demo's readings are imported as (its presence means the step ran).
READINGS_FILE = "示例-供电公司分线用电量.csv"
#: The demo city of the monitoring data (lantian.demo.DEMO_CITY) the rules are replayed on.
CITY = "郑州"
#: How many listed firms kept running during the warning (the cases the office sees).
IDLE_FIRMS = 2
OFFICE = Principal("office", "campaign_office")


def _replayed_episodes(session: Session, plan_dir: Path, today: date) -> list[Episode]:
    """The episodes the plan's rules give over the weeks before ``today``, lifted by then."""
    rules = load_rules(plan_dir)
    first = today - timedelta(days=28)
    series = city_series_from_db(session, CITY, first, today - timedelta(days=1), hours_after=0)
    start = datetime.combine(first, time(1), CHINA_TZ)
    end = clock.now().astimezone(CHINA_TZ) - timedelta(hours=1)
    result = replay(series, Perfect(series.rolling_aqi), rules, start, end)
    return [e for e in result.episodes if e.end is not None and e.end < end]


def _record(session: Session, plan_dir: Path, episodes: list[Episode]) -> None:
    plan = cached_plan(plan_dir)
    rules = load_rules(plan_dir)
    areas = sorted(plan.area_names())
    city = plan.plan.city_code if plan.plan is not None else areas[0][:6]
    for episode in episodes:
        for proposal in episode.changes:
            level = rules.level(proposal.to_rank) if proposal.to_rank else None
            decide(
                session,
                OFFICE,
                rules,
                action=proposal.action.value,
                scope=city,
                areas=areas,
                level=level.key if level else None,
                reason="示例：按预警规则研判 / sample: as the rules propose",
                effective_at=proposal.at,
                now=proposal.at,
                proposal=proposal_snapshot(proposal),
                area_names=plan.area_names(),
            )


def _readings(
    session: Session, episodes: list[Episode], today: date, ranks: dict[str, int]
) -> bytes:
    """The power company's file: every line of every listed firm the episodes' levels asked
    something of (a firm listed only for orange and red has nothing to prove in a yellow
    warning), per day; all but :data:`IDLE_FIRMS` of them cut."""
    listed = emissions.list_in_force(session)
    if listed is None:
        return b""
    stored = emissions.get_list(session, listed.id)
    reached = max(episode.max_rank for episode in episodes)
    cut: dict[int, float] = {}
    for measure in stored.measures:
        if ranks.get(measure.level, 99) <= reached and measure.output_cut > 0:
            cut[measure.enterprise_id] = max(
                cut.get(measure.enterprise_id, 0.0), measure.output_cut
            )
    enterprises = sorted(
        {m.enterprise_id: m.enterprise for m in stored.measures if m.enterprise_id in cut}.values(),
        key=lambda e: e.credit_code,
    )
    rng = Random(f"{SEED}:execution")  # noqa: S311 — seeded randomness makes the demo reproducible; nothing secret is drawn
    idle = set(rng.sample([e.id for e in enterprises], min(IDLE_FIRMS, len(enterprises))))
    warned: set[date] = set()
    for episode in episodes:
        day = episode.start.astimezone(CHINA_TZ).date()
        last = episode.end.astimezone(CHINA_TZ).date() if episode.end else today
        while day <= last:
            warned.add(day)
            day += timedelta(days=1)
    first = min(warned) - timedelta(days=BASELINE_DAYS)
    last = min(max(warned), today - timedelta(days=1))
    rows = ["统一社会信用代码,生产线,日期,用电量"]
    for enterprise in enterprises:
        # A firm the list stops reads nothing on its lines' meters; the others cut beyond the
        # list's share (at least by half: the staggered rules ask lines to halve on warning days).
        required = cut[enterprise.id]
        share = (
            0.0 if required >= 1.0 else 1.0 - min(0.95, max(required, 0.5) + rng.uniform(0.05, 0.2))
        )
        for line in sorted(enterprise.lines, key=lambda ln: ln.name):
            normal = rng.randrange(6_000, 60_000, 100)
            day = first
            while day <= last:
                if day in warned and enterprise.id not in idle:
                    used = normal * share * rng.uniform(0.9, 1.1)
                else:
                    used = normal * rng.uniform(0.93, 1.06)
                rows.append(f"{enterprise.credit_code},{line.name},{day},{used:.0f}")
                day += timedelta(days=1)
    return ("\n".join(rows) + "\n").encode("utf-8")


def load_sample_execution(sessions: sessionmaker[Session], plan_dir: Path, data_dir: Path) -> str:
    """The demo step (once: the readings' file imported means it ran)."""
    with sessions() as session:
        if session.scalar(
            select(ExecutionUpload.id).where(ExecutionUpload.filename == READINGS_FILE).limit(1)
        ):
            return "示例预警执行核查 sample execution checks: 已加载 already loaded"
    plan = cached_plan(plan_dir)
    today = clock.today()
    with transaction(sessions) as session:
        if emissions.list_in_force(session) is None:
            return "示例预警执行核查 sample execution checks: 无生效减排清单 / no list in force"
        since = datetime.combine(today - timedelta(days=28), time(0), CHINA_TZ)
        if episodes_between(session, since, clock.now()):
            return "示例预警执行核查 sample execution checks: 已有预警记录 / episodes recorded"
        episodes = _replayed_episodes(session, plan_dir, today)
        if not episodes:
            return "示例预警执行核查 sample execution checks: 无预警过程 / no warning episode"
        _record(session, plan_dir, episodes)
        content = _readings(
            session, episodes, today, {level.key: level.rank for level in plan.levels}
        )
        imported = import_facts(
            session, OFFICE, "electricity", content, READINGS_FILE, store=FileStore(data_dir)
        )
        checked = [
            service.check_episode(session, row.id, plan, open_cases=True, today=today)
            for row in episodes_between(session, since, clock.now())
        ]
    s = service.summary(checked)
    return (
        f"示例预警执行核查 sample execution checks: {len(episodes)} 次预警 episodes, "
        f"+{imported.rows} 条用电量 readings；企业 {s['enterprises']} 家次，未落实 "
        f"{s['breached']} 家次，新开案件 {s['cases_opened']} 件 / {s['breached']} breached, "
        f"{s['cases_opened']} cases opened"
    )
