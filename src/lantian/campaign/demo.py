"""Demo step of the campaign: load the plan, then sample progress reports for October–December 2017.

Every sample report is marked ``is_sample`` and its text begins with 【示例数据 / sample】: the values
are invented to show the roll-up, the review and the escalation, not Xinmi's real figures. One
report (米村镇, task 10, November) comes in after its due date and is flagged late; the office
holds a sample talk (约谈) with 米村镇 about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.permissions import Principal
from lantian.campaign import service
from lantian.campaign.models import ProgressReport
from lantian.db.engine import transaction
from lantian.plan import cached_plan
from lantian.timeutil import CHINA_TZ

SAMPLE_ACTOR = Principal("demo-sample", "administrator")
OFFICE = Principal("demo-office", "campaign_office")
SAMPLE_MARK = "【示例数据 / sample】"
LATE_REPORT = ("10", "area", "410183101", date(2017, 11, 1))  # 米村镇, November, sent Dec 7

# (task, reporter kind, reporter code, month, status, text, values)
_Row = tuple[str, str, str, date, str, str, dict[str, float]]

OCT, NOV, DEC = date(2017, 10, 1), date(2017, 11, 1), date(2017, 12, 1)
TOWNS = {
    "410183101": 2100,  # 米村镇
    "410183102": 1900,  # 牛店镇
    "410183103": 1600,  # 平陌镇
    "410183104": 2300,  # 超化镇
    "410183105": 1500,  # 苟堂镇
}


def _sample_rows() -> list[_Row]:
    rows: list[_Row] = [
        (
            "8",
            "unit",
            "mtj",
            OCT,
            "in_progress",
            "关闭煤矿1家，淘汰产能15万吨。",
            {"coal_mines_closed": 1, "coal_capacity_eliminated": 150000},
        ),
        (
            "8",
            "unit",
            "mtj",
            NOV,
            "in_progress",
            "再关闭煤矿1家，淘汰产能15万吨，待验收。",
            {"coal_mines_closed": 1, "coal_capacity_eliminated": 150000},
        ),
        ("8", "unit", "mtj", DEC, "completed", "2家煤矿关闭验收完成。", {}),
        (
            "4",
            "unit",
            "hbj",
            OCT,
            "in_progress",
            "完成“散乱污”企业整治取缔540家。",
            {"scattered_polluting_enterprises": 540},
        ),
        (
            "4",
            "unit",
            "hbj",
            NOV,
            "completed",
            "补充整治取缔32家，累计572家。",
            {"scattered_polluting_enterprises": 32},
        ),
        (
            "9",
            "unit",
            "zjj",
            OCT,
            "in_progress",
            "新建换热站3座。",
            {"central_heating_coverage": 72},
        ),
        (
            "9",
            "unit",
            "zjj",
            NOV,
            "in_progress",
            "管网延伸至新区。",
            {"central_heating_coverage": 78},
        ),
        (
            "9",
            "unit",
            "zjj",
            DEC,
            "in_progress",
            "集中供热普及率达到81%。",
            {"central_heating_coverage": 81},
        ),
        (
            "11",
            "unit",
            "gszjj",
            OCT,
            "in_progress",
            "1座洁净型煤中心投产，配送网点8个。",
            {"briquette_centres": 1, "briquette_outlets": 8},
        ),
        (
            "11",
            "unit",
            "gszjj",
            NOV,
            "completed",
            "第2座中心投产，新增网点6个。",
            {"briquette_centres": 1, "briquette_outlets": 6},
        ),
        (
            "26",
            "unit",
            "hbj",
            NOV,
            "in_progress",
            "抽查加油站23座，综合回收效率均值86%。",
            {"vapour_recovery_efficiency": 86},
        ),
        (
            "25(2)",
            "unit",
            "gszjj",
            NOV,
            "in_progress",
            "本月抽测市售油品12%。",
            {"fuel_sampling_ratio": 12},
        ),
        (
            "25(2)",
            "unit",
            "gszjj",
            DEC,
            "in_progress",
            "本月抽测市售油品11%。",
            {"fuel_sampling_ratio": 11},
        ),
    ]
    for month, share in ((OCT, 0.45), (NOV, 0.35), (DEC, 0.1)):
        for code, households in TOWNS.items():
            count = round(households * share)
            rows.append(
                (
                    "10",
                    "area",
                    code,
                    month,
                    "in_progress",
                    f"完成气代煤、电代煤{count}户。",
                    {"households_converted": count, "village_conversion_rate": 84 + share * 10},
                )
            )
    dust = {
        "410183101": (11.2, 9.4, 8.1),
        "410183104": (10.5, 8.8, 8.4),
        "410183001": (9.6, 8.2, 7.9),
    }
    for code, values in dust.items():
        for month, value in zip((OCT, NOV, DEC), values, strict=True):
            rows.append(
                (
                    "33",
                    "area",
                    code,
                    month,
                    "in_progress",
                    f"本月平均降尘量{value}吨/月·平方公里。",
                    {"dust_fall": value},
                )
            )
    return rows


@dataclass
class SampleResult:
    plan: service.LoadResult
    reports_added: int
    late: int
    already_loaded: bool


def sample_progress_loaded(session: Session) -> bool:
    count = session.scalar(
        select(func.count()).select_from(ProgressReport).where(ProgressReport.is_sample.is_(True))
    )
    return bool(count)


def _submitted_at(context: service.PlanContext, row: _Row) -> datetime:
    """On time (the day before the due date, 10:00 China time), except the one late report."""
    task, kind, code, month, *_ = row
    due = context.report_due(month)
    if (task, kind, code, month) == LATE_REPORT:
        return datetime(due.year, due.month, due.day, 9, 30, tzinfo=CHINA_TZ) + timedelta(days=3)
    before = due - timedelta(days=1)
    return datetime(before.year, before.month, before.day, 10, 0, tzinfo=CHINA_TZ)


def load_sample_progress(
    sessions: sessionmaker[Session], plan_folder: Path, data_dir: Path
) -> SampleResult:
    """Load (or update) the plan, then the sample reports once; idempotent."""
    plan = cached_plan(plan_folder)
    with transaction(sessions) as session:
        loaded = service.load_plan(session, plan)
    with sessions() as session:
        if sample_progress_loaded(session):
            return SampleResult(loaded, 0, 0, True)
    added = late = 0
    with transaction(sessions) as session:
        context = service.require_plan(session, plan.plan.code if plan.plan else None)
        for row in _sample_rows():
            task, kind, code, month, status, text, values = row
            moment = _submitted_at(context, row)
            evidence = []
            if task == "8" and month == NOV:
                evidence = [
                    service.EvidenceUpload(
                        "关闭煤矿验收表-示例.txt",
                        f"{SAMPLE_MARK} 煤矿关闭验收表（示例）\n".encode(),
                    )
                ]
            report = service.submit_report(
                session,
                context,
                SAMPLE_ACTOR,
                task_ref=task,
                reporter_kind=kind,
                reporter_code=code,
                period_month=month,
                status=status,
                text=f"{SAMPLE_MARK} {text}",
                values=values,
                evidence=evidence,
                data_dir=data_dir,
                now=moment,
                is_sample=True,
            )
            added += 1
            late += report.submitted_at.astimezone(CHINA_TZ).date() > report.due_on
            # The office accepts what came in before December; December stays to be reviewed.
            if month != DEC:
                service.review_report(
                    session,
                    context,
                    OFFICE,
                    report.id,
                    "office",
                    "accept",
                    "示例审核 / sample review",
                    now=moment + timedelta(days=2),
                )
        service.record_accountability(
            session,
            OFFICE,
            kind="talk",
            subject_kind="area",
            subject_code="410183101",
            subject_name="米村镇",
            link_kind="task",
            link_id="10",
            reason=f"{SAMPLE_MARK} 11月“双替代”进展迟报3天，约谈分管负责人。",
            decided_on=date(2017, 12, 8),
            decided_by="市攻坚办",
            plan_id=context.plan.id,
            is_sample=True,
        )
        _load_sample_duties(session, context, data_dir)
    return SampleResult(loaded, added, late, False)


def _load_sample_duties(session: Session, context: service.PlanContext, data_dir: Path) -> None:
    """Sample duty items (示例): 城关镇's five lists with their file, accepted; its > 45 m stack
    list, awaiting review; 米村镇's work plan, late and returned; 环保局's five lists."""
    from lantian.campaign import duties

    def moment(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 10, 0, tzinfo=CHINA_TZ)

    def submit(key: str, kind: str, code: str, due: date, sent: date, text: str) -> int:
        upload = None
        if key == "five_lists":
            upload = service.EvidenceUpload(
                "五个清单-示例.txt", f"{SAMPLE_MARK} 五个清单（示例）{code}\n".encode()
            )
        item = duties.submit_duty(
            session, context, SAMPLE_ACTOR, duty_key=key, reporter_kind=kind, reporter_code=code,
            period_start=due, text=f"{SAMPLE_MARK} {text}", upload=upload, data_dir=data_dir,
            now=moment(sent), is_sample=True,
        )  # fmt: skip
        return item.id

    lists = submit("five_lists", "area", "410183100", date(2017, 9, 30), date(2017, 9, 29),
                   "五个清单已报送，见附件。")  # fmt: skip
    duties.review_duty(session, OFFICE, lists, "accept", "示例审核 / sample review",
                       now=moment(date(2017, 10, 9)))  # fmt: skip
    submit("elevated_sources_list", "area", "410183100", date(2017, 10, 18), date(2017, 10, 17),
           "辖区内排气筒高度超过45米的高架源2个，清单见高架源台账。")  # fmt: skip
    plan = submit("specific_work_plans", "area", "410183101", date(2017, 9, 30),
                  date(2017, 10, 10), "专项工作方案。")  # fmt: skip
    duties.review_duty(session, OFFICE, plan, "return", "示例：方案缺少任务分工和时间表，请补充后重报",
                       now=moment(date(2017, 10, 11)))  # fmt: skip
    submit("five_lists", "unit", "hbj", date(2017, 9, 30), date(2017, 9, 30),
           "环保局牵头的五个清单已汇总报送。")  # fmt: skip
