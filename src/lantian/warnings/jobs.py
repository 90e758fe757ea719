"""Warnings' scheduled job: the engine's assessment of the newest stored hour (what
``lantian warn assess`` shows). It proposes, it never decides: issuing, changing or lifting a
warning stays a person's decision, so a run only reads and running it again changes nothing."""

from __future__ import annotations

from datetime import timedelta

from lantian.monitoring.publication import newest_hour
from lantian.plans import plan_dir
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import Every
from lantian.timeutil import CHINA_TZ
from lantian.warnings.rules import load_rules
from lantian.warnings.service import assess_now


def assess_warnings(context: JobContext) -> str:
    rules = load_rules(plan_dir(context.settings))
    with context.sessions() as session:
        if newest_hour(session) is None:
            return "数据库中没有监测数据，未评估 / no measurements stored: nothing assessed"
        live = assess_now(session, rules, rules.observed_city or "", scope=rules.city_code)
    result = live.assessment
    at = f"{result.at.astimezone(CHINA_TZ):%Y-%m-%d %H:00}"
    if result.proposal is None:
        return (
            f"{at} 现行 {rules.name_of(result.active_rank)}，无变更建议 / in force "
            f"{rules.name_of(result.active_rank, 'en')}, no change proposed"
        )
    return f"{at} {result.proposal.text(rules)} / {result.proposal.text(rules, 'en')}"


register(
    Job(
        name="warnings.assess",
        schedule=Every(timedelta(hours=1)),
        run=assess_warnings,
        description_zh="按最新入库数据和预报评估预警等级，给出建议（只建议，不发布；lantian warn assess）",
        description_en="Assess the warning level from the newest stored data and forecast: a "
        "proposal only, never an issue (lantian warn assess)",
    )
)
