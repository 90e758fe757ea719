"""Sample supervision data for `lantian demo`: cases in every state, a duty roster, daily reports.

Everything here is invented to show the pages and is marked as such: every case title starts with
"【示例数据 / sample】", every row carries ``is_sample``, and the actors are ``sample-…`` accounts that
do not exist. Times are relative to ``now`` so that the board shows live deadlines and overdue
flags. The step is idempotent: if sample cases exist, it does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.plan import cached_plan
from lantian.supervision import accountability, duty, roster, service
from lantian.supervision.groups import InspectionSupportPlan, inspection_plan
from lantian.supervision.models import InspectionCase
from lantian.supervision.service import CaseDraft, EvidenceFile

SAMPLE = "【示例数据 / sample】"
INSPECTOR = Principal("sample-inspector", "inspector")
OFFICE = Principal("sample-office", "campaign_office")
OFFICE_HEAD = Principal("sample-office-head", "campaign_office")
ACCOUNTABILITY_GROUP = Principal("sample-accountability", "campaign_office")


@dataclass(frozen=True)
class _Sample:
    title: str
    area: str
    site: str
    unit: str
    steps: tuple[str, ...]
    severity: str = "general"
    deadline_days: float = 3.0


_CASES = (
    _Sample("石料厂料堆未覆盖防尘网", "410183100", "城关镇某石料厂", "hbj", (), "serious"),
    _Sample(
        "建筑工地未落实“六个百分之百”",
        "410183101",
        "米村镇某安置房工地",
        "zjj",
        ("forward",),
        "general",
        -0.1,
    ),
    _Sample(
        "耐材厂窑炉无组织排放",
        "410183104",
        "超化镇某耐材厂",
        "hbj",
        ("forward", "accept", "progress"),
        "serious",
    ),
    _Sample(
        "道路遗撒未及时清扫",
        "410183001",
        "青屏街街道某路段",
        "zfj",
        ("forward", "accept", "report"),
    ),
    _Sample(
        "散乱污企业未断电",
        "410183107",
        "刘寨镇某加工点",
        "gxw",
        ("forward", "accept", "report", "close"),
        "major",
    ),
    _Sample(
        "渣土车未密闭运输",
        "410183002",
        "新华路街道某路口",
        "jyj",
        ("forward", "accept"),
        "serious",
        -2.0,
    ),
    _Sample(
        "整改后复查仍有露天焚烧",
        "410183113",
        "曲梁镇某村",
        "zfj",
        ("forward", "accept", "report", "close", "reopen"),
    ),
)

_NOTES = {
    "forward": "转办责任单位限期整改（示例）",
    "accept": "已签收，组织整改（示例）",
    "progress": "已完成一半，附现场照片（示例）",
    "report": "已整改到位，附整改前后照片（示例）",
    "close": "复核属实，同意办结（示例）",
    "reopen": "回头看发现问题反弹（示例）",
}


def _principal_for(event: str, sample: _Sample) -> Principal:
    if event in ("accept", "progress", "report"):
        return Principal(f"sample-{sample.unit}", "unit", sample.unit)
    return OFFICE


def _sample_inspection_cases(session: Session, now: datetime, data_dir: Path) -> None:
    """The inspection team's sample cases, each taken through its steps."""
    start = now - timedelta(days=4)
    for number, sample in enumerate(_CASES, start=1):
        at = start + timedelta(minutes=number)
        case = service.record_case(
            session,
            INSPECTOR,
            CaseDraft(
                source="inspection_team",
                title=f"{SAMPLE}{sample.title}",
                description=f"{SAMPLE}督查组现场检查发现：{sample.title}。",
                area_code=sample.area,
                site=sample.site,
                severity=sample.severity,
                deadline=now + timedelta(days=sample.deadline_days),
                reference=f"示例第1批-{number:03d}",
                is_sample=True,
            ),
            at,
            evidence=[EvidenceFile("示例现场记录.txt", f"{SAMPLE}{sample.title}".encode())],
            data_dir=data_dir,
        )
        for index, event in enumerate(sample.steps, start=1):
            service.take_step(
                session,
                _principal_for(event, sample),
                case.id,
                event,
                at + timedelta(hours=6 * index),
                note=_NOTES[event],
                unit_code=sample.unit if event == "forward" else None,
            )


def _sample_rule_case(session: Session, now: datetime) -> None:
    # A stack that exceeded its limit five hours running: one case, five occurrences.
    for hour in range(5):
        service.open_case(
            session,
            rule="sample.cems_exceedance",
            subject="stack:示例耐材厂-1#窑:SO2",
            draft=CaseDraft(
                source="rule",
                title=f"{SAMPLE}在线监测 SO2 小时均值超标",
                area_code="410183104",
                site="超化镇某耐材厂 1# 窑",
                unit_code="hbj",
                severity="serious",
                deadline=now + timedelta(days=1),
                is_sample=True,
            ),
            observed_at=now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=5 - hour),
            details={"value_mg_m3": 260 + 10 * hour, "limit_mg_m3": 200, "sample": True},
        )


def _sample_accountability(session: Session, plan: InspectionSupportPlan, now: datetime) -> None:
    # The overdue one is listed by the escalation job, then proposed for accountability.
    service.run_escalation(session, now)
    overdue = session.scalar(
        select(InspectionCase).where(InspectionCase.is_sample, InspectionCase.listed)
    )
    if overdue is not None:
        proposal = accountability.propose(
            session, OFFICE, overdue.id, "逾期未整改，已挂牌督办（示例）", now, is_sample=True
        )
        accountability.review(session, OFFICE_HEAD, proposal.id, True, now, "同意（示例）")
        # The accountability group decides it: a talk, which becomes the campaign's
        # accountability record of the case (/campaign/accountability) ...
        group = plan.accountability_group
        accountability.decide(
            session, ACCOUNTABILITY_GROUP, proposal.id, "约谈责任单位负责人（示例）", now,
            measure="talk", decided_by=group.name if group else None,
        )  # fmt: skip
        # ... and a second proposal, for a person, waits for its decision on the case page.
        waiting = accountability.propose(
            session, OFFICE, overdue.id, "现场监管不到位（示例）", now,
            target_person="某环保专干（示例）", is_sample=True,
        )  # fmt: skip
        accountability.review(session, OFFICE_HEAD, waiting.id, True, now, "同意（示例）")


def load_sample_supervision(
    sessions: sessionmaker[Session], plan_path: Path, data_dir: Path, now: datetime
) -> str:
    """Load the samples (once); returns a line for the demo's report."""
    with sessions() as session:
        if session.scalar(select(InspectionCase.id).where(InspectionCase.is_sample).limit(1)):
            return "督查示例 supervision samples: 已存在 already loaded"
    plan = inspection_plan(cached_plan(plan_path))
    with transaction(sessions) as session:
        _sample_inspection_cases(session, now, data_dir)
        _sample_rule_case(session, now)
        _sample_accountability(session, plan, now)
        _sample_duty(session, plan, now)
    return (
        f"督查示例 supervision samples: +{len(_CASES) + 1} 案件 cases, 值班与日报 duty and reports"
    )


def _sample_duty(session: Session, plan: InspectionSupportPlan, now: datetime) -> None:
    people = plan.group(plan.duty_group).members[:3]
    today = roster.local_date(now, plan.utc_offset_hours)
    for day in (today - timedelta(days=1), today):
        midnight = roster.report_due(day, time(0, 0), plan.utc_offset_hours)
        for index, person in enumerate(people):
            starts = midnight + timedelta(hours=8 * index)
            shift = duty.add_shift(
                session, OFFICE, plan, person=f"{person.name}（示例）", starts_at=starts,
                ends_at=starts + timedelta(hours=8), now=now, is_sample=True,
            )  # fmt: skip
            if shift.ends_at <= now:
                duty.hand_over(session, OFFICE, shift.id, "本班无异常，交办案件已登记（示例）",
                               shift.ends_at)  # fmt: skip
    yesterday = today - timedelta(days=1)
    due = roster.report_due(yesterday, plan.report_due, plan.utc_offset_hours)
    for index, code in enumerate(plan.reporting_groups):
        late = index == len(plan.reporting_groups) - 1  # the last group reports late
        duty.submit_report(
            session, OFFICE, plan, group_code=code, report_date=yesterday,
            progress=f"{plan.group(code).name}当日工作进展（示例）",
            tomorrow=f"{plan.group(code).name}次日工作安排（示例）",
            now=due + (timedelta(minutes=40) if late else -timedelta(hours=1)), is_sample=True,
        )  # fmt: skip
