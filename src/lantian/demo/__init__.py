"""The demo: real monitoring data shipped inside the package (see data/PROVENANCE.md).

`lantian demo` registers the demo city's national stations from the CNEMC station list and imports
their real hourly data (Zhengzhou, 2019-01-01 … 2019-08-31). Later parts of the platform add their
own steps here: the default plan with sample progress reports (lantian.campaign.demo), sample
inspection cases, a sample forecast, … Every step is idempotent.

The demo is coherent in time: it runs "as of" :data:`DEMO_AS_OF`, an instant inside the Xinmi
plan's campaign (2017-10-01 … 2018-03-31). Its real 2019 monitoring values and the sample forecast
are placed one year earlier (:data:`DEMO_SHIFT`: 2019-01-01 … 2019-08-31 shown as 2018-01-01 …
2018-08-31, same calendar days; the platform shows nothing measured after its clock's now), the
sample progress reports are those due by then, and the sample cases, duty roster and daily reports
are dated relative to that instant because every step loads on the as-of clock. `make run` serves
with ``LANTIAN_AS_OF`` set to it (README, "The demo's clock").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.models import User
from lantian.campaign.demo import load_sample_progress, sample_progress_loaded
from lantian.db.audited import system_actor
from lantian.db.engine import transaction
from lantian.demo.accounts import DEMO_ACCOUNTS, create_demo_accounts
from lantian.demo.timeline import load_reporting_history
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring import service as monitoring
from lantian.monitoring.areas import assign_station_areas, read_boundaries
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.models import ImportBatch, Station
from lantian.monitoring.registry import RegistryEntry, load_station_registry
from lantian.plan import DEFAULT_PLAN_DIR, Plan, cached_plan
from lantian.supervision.demo import load_sample_supervision
from lantian.timeutil import CHINA_TZ
from lantian.warnings.demo import load_sample_forecast, load_sample_township_forecasts

DEMO_DATA_DIR = Path(__file__).parent / "data"
STATION_LIST = BUNDLED_STATION_LIST
ZHENGZHOU_EXTRACT = DEMO_DATA_DIR / "zhengzhou_sites_2019-01-01_2019-08-31.csv.gz"
#: The demo city's national stations are those of the bundled extract (Zhengzhou, 1316A–1324A).
DEMO_CITY = "郑州"
#: Who loads the demo's stations (their audit entries name this system job).
DEMO_ACTOR = system_actor("demo")
#: Hourly values in the bundled extract (six pollutants), for progress bars.
DEMO_VALUES = 289_000
#: The instant the demo runs as of (`make run` sets ``LANTIAN_AS_OF`` to it): inside the plan's
#: campaign, after the December reports were due and with three weeks of monitoring data behind it.
DEMO_AS_OF = datetime(2018, 1, 22, 10, 0, tzinfo=CHINA_TZ)
#: How far the demo moves its 2019 monitoring values and sample forecast: one year (365 days, no
#: 29 February crossed), so that they fall inside the plan's campaign period.
DEMO_SHIFT = timedelta(days=-365)
DEMO_YEARS_EARLIER = 1


def plan_station_entries(plan: Plan) -> list[RegistryEntry]:
    """The stations the plan calls for (its checked ``stations.csv``) as registry entries."""
    return [
        RegistryEntry(
            code=row.code,
            name=row.name,
            city=row.city,
            tier=row.tier,
            area_code=row.area_code,
            longitude=row.longitude,
            latitude=row.latitude,
            status=row.status,
            pollutants=list(row.pollutants),
            reporting_interval_s=row.reporting_interval_s,
        )
        for row in plan.stations
    ]


@dataclass
class DemoReport:
    steps: list[str] = field(default_factory=list)


def load_demo(
    sessions: sessionmaker[Session],
    data_dir: Path,
    on_values: Callable[[int], None] | None = None,
    plan: Path | None = None,
) -> DemoReport:
    """Load every demo step; each step is idempotent, so a second run changes nothing.

    ``plan`` is the plan folder whose ``stations.csv`` lists the stations the plan calls for.
    Every step runs on the demo's clock (:data:`DEMO_AS_OF`), so what it dates "now" is dated then.
    """
    with clock.use(clock.FrozenClock(DEMO_AS_OF)):
        return _load_demo(sessions, data_dir, on_values, plan)


def _load_demo(
    sessions: sessionmaker[Session],
    data_dir: Path,
    on_values: Callable[[int], None] | None,
    plan: Path | None,
) -> DemoReport:
    report = DemoReport()
    if plan is not None:
        entries = plan_station_entries(cached_plan(plan))
        with transaction(sessions) as session:
            loaded = load_station_registry(session, entries, actor=DEMO_ACTOR)
        report.steps.append(
            f"计划站点 plan stations ({plan.name}): +{loaded.added} 新增 added, "
            f"{loaded.updated} 更新 updated, {loaded.unchanged} 未变 unchanged"
        )
    references = list(read_station_list(STATION_LIST))
    with transaction(sessions) as session:
        result = monitoring.upsert_stations(
            session, [r for r in references if r.city == DEMO_CITY], actor=DEMO_ACTOR
        )
        report.steps.append(
            f"站点 stations ({DEMO_CITY}): +{result.added} 新增 added, "
            f"{result.updated} 更新 updated, {result.unchanged} 未变 unchanged"
        )
        # The demo city's stations rank by the district their coordinates lie in.
        located = assign_station_areas(session, read_boundaries(), actor=DEMO_ACTOR)
        if located:
            report.steps.append(f"站点辖区 station areas from boundaries: {len(located)}")
    with transaction(sessions) as session:
        created = create_demo_accounts(session)
    if created:
        report.steps.append(f"演示账户 demo accounts (password in README): {', '.join(created)}")
    imported = import_cnemc_file(
        sessions,
        ZHENGZHOU_EXTRACT,
        data_dir,
        references,
        on_values,
        actor=DEMO_ACTOR,
        shift=DEMO_SHIFT,
    )
    if imported.already_imported:
        report.steps.append(
            f"监测数据 hourly data: 已导入 already imported (batch {imported.batch_id})"
        )
    else:
        report.steps.append(
            f"监测数据 hourly data ({ZHENGZHOU_EXTRACT.name}): +{imported.values_added:,} 条 values"
            " (2019 年数据前移一年 / 2019 values placed one year earlier)"
        )
    if plan is not None:
        # The campaign plan and its sample progress reports, after the monitoring data.
        sample = load_sample_progress(sessions, plan, data_dir)
        tasks = sample.plan.counts["tasks"]
        report.steps.append(
            f"攻坚计划 plan ({sample.plan.plan_code}): {tasks.added + tasks.updated + tasks.unchanged} "
            f"项任务 tasks, {'已更新 updated' if sample.plan.changed else '未变 unchanged'}"
        )
        report.steps.append(
            "示例进展 sample progress reports 2017-10…12: "
            + (
                "已加载 already loaded"
                if sample.already_loaded
                else f"+{sample.reports_added} 份 reports ({sample.late} 份迟报 late)"
            )
        )
    if plan is not None:
        # The months due before the demo's instant, filled in as a working campaign looks.
        history = load_reporting_history(sessions, data_dir, DEMO_AS_OF)
        report.steps.append(
            f"报送记录 reporting history to {DEMO_AS_OF:%Y-%m-%d}: "
            + (
                f"+{history.added} 份 reports ({history.late} 份迟报 late, {history.missing} "
                f"份未报 missing, {history.reviewed} 份已审核 reviewed)"
                if history.added
                else "已加载 already loaded"
            )
        )
    # After the plan: the cases name their units and areas from the loaded plan.
    report.steps.append(
        load_sample_supervision(
            sessions,
            plan if plan is not None else DEFAULT_PLAN_DIR,
            data_dir,
            clock.now(),
        )
    )
    report.steps.append(load_sample_forecast(sessions, DEMO_YEARS_EARLIER))
    report.steps.append(load_sample_township_forecasts(sessions, clock.now()))
    if plan is not None:
        from lantian.emissions.sample import load_emission_demo

        with transaction(sessions) as session:
            report.steps.append(load_emission_demo(session, plan))
        from lantian.sources.demo import load_sample_registers

        report.steps.append(load_sample_registers(sessions, cached_plan(plan), data_dir))
        # Enforcement (issue 17), after the registers (the stacks, the inventory's list in force):
        # the stacks' CEMS data judged, the warnings' execution checked, actions from their cases.
        from lantian.cems.demo import load_sample_cems
        from lantian.execution.demo import load_sample_execution
        from lantian.penalties.demo import load_sample_actions

        with transaction(sessions) as session:
            report.steps.append(load_sample_cems(session, cached_plan(plan)))
        report.steps.append(load_sample_execution(sessions, plan, data_dir))
        report.steps.append(load_sample_actions(sessions, cached_plan(plan), data_dir))
        # The township assessment last: it ranks on the reports and cases loaded above.
        from lantian.assessment.demo import record_demo_assessment

        report.steps.append(record_demo_assessment(sessions))
        # Last: the week's briefing (issue 18) reads everything above.
        from lantian.briefings.demo import load_sample_briefings

        report.steps.append(load_sample_briefings(sessions, cached_plan(plan), data_dir))
    return report


def demo_loaded(session: Session, plan: Path | None = None) -> bool:
    """True when the demo's stations and hourly data are present (what `make run` checks)."""
    if plan is not None:
        if not sample_progress_loaded(session):
            return False
        wanted = {station.code for station in cached_plan(plan).stations}
        found = set(session.scalars(select(Station.code).where(Station.code.in_(wanted))))
        if found != wanted:
            return False
    has_stations = session.scalar(select(Station.id).where(Station.city == DEMO_CITY).limit(1))
    has_data = session.scalar(
        select(ImportBatch.id).where(
            ImportBatch.filename == ZHENGZHOU_EXTRACT.name, ImportBatch.status == "loaded"
        )
    )
    accounts = set(
        session.scalars(
            select(User.username).where(User.username.in_([a.username for a in DEMO_ACCOUNTS]))
        )
    )
    if plan is not None:
        from lantian.emissions.models import Enterprise

        if (
            session.scalar(select(Enterprise.id).where(Enterprise.sample.is_(True)).limit(1))
            is None
        ):
            return False
    return has_stations is not None and has_data is not None and len(accounts) == len(DEMO_ACCOUNTS)
