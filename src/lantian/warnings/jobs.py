"""Warnings' scheduled job: the engine's assessment of the newest stored hour (what
``lantian warn assess`` shows) and the regional linkage of the township forecasts as of the run
(what ``lantian warn linkage`` shows, seed task 42). It proposes, it never decides: issuing,
changing or lifting a warning stays a person's decision, so a run only reads and running it again
changes nothing."""

from __future__ import annotations

from datetime import timedelta

from lantian.monitoring.publication import newest_hour
from lantian.plan import plan_in_force
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import Every
from lantian.timeutil import CHINA_TZ
from lantian.warnings.linkage import plan_adjacency
from lantian.warnings.regional import regional_outlook
from lantian.warnings.rules import plan_rules
from lantian.warnings.service import assess_now


def linkage_line(context: JobContext) -> str:
    """The regional linkage the township forecasts call for at the run's instant, in one line."""
    plan = plan_in_force(context.settings)
    rules = plan_rules(plan)
    with context.sessions() as session:
        outlook = regional_outlook(
            session, rules, plan_adjacency(plan), plan.area_names(), context.now
        )
    known = len(outlook.townships) - len(outlook.without_forecast)
    counted = f"{known}/{len(outlook.townships)}个乡镇有预报 / townships with a forecast"
    if outlook.proposal is None:
        return f"区域联动：无建议（{counted}）/ regional linkage: none proposed"
    reason = outlook.proposal.reason
    if outlook.action is None:
        return f"区域联动：{reason.zh}；现行预警已不低于此级别（{counted}）/ {reason.en}; in force"
    return f"区域联动：{reason.zh}（{counted}）/ regional linkage: {reason.en}"


def assess_warnings(context: JobContext) -> str:
    rules = plan_rules(plan_in_force(context.settings))
    linkage = linkage_line(context)
    with context.sessions() as session:
        if newest_hour(session) is None:
            return (
                "数据库中没有监测数据，未评估 / no measurements stored: nothing assessed\n"
                f"{linkage}"
            )
        live = assess_now(session, rules, rules.observed_city or "", scope=rules.city_code)
    result = live.assessment
    at = f"{result.at.astimezone(CHINA_TZ):%Y-%m-%d %H:00}"
    if result.proposal is None:
        return (
            f"{at} 现行 {rules.name_of(result.active_rank)}，无变更建议 / in force "
            f"{rules.name_of(result.active_rank, 'en')}, no change proposed\n{linkage}"
        )
    return f"{at} {result.proposal.text(rules)} / {result.proposal.text(rules, 'en')}\n{linkage}"


register(
    Job(
        name="warnings.assess",
        schedule=Every(timedelta(hours=1)),
        run=assess_warnings,
        description_zh="按最新入库数据和预报评估预警等级，并按乡镇预报研判区域联动，给出建议（只建议，不发布；"
        "lantian warn assess、lantian warn linkage）",
        description_en="Assess the warning level from the newest stored data and forecast, and "
        "the regional linkage from the township forecasts: a proposal only, never an issue "
        "(lantian warn assess, lantian warn linkage)",
    )
)
