"""New and extended coal-consuming projects and their coal substitution (耗煤项目, plan task 7).

Task 7: "自《大气十条》实施以来，未按照《大气十条》要求实现煤炭消费等量或减量替代的新建扩建耗煤项目，
采暖季（2017年11月15日—2018年3月15日，下同）实施停产。压减的煤炭消费量要实施清单式管理，做到可核查、
可统计。" Each project since the Action Plan (国务院《大气污染防治行动计划》, 2013-09-10) states its
annual coal use, the amount substituted (t) and where the substitution comes from. A project not
fully substituted (等量或减量: substituted ≥ consumed) stops for the heating season, whose dates
are the plan's (``periods.heating_season`` in plan.yaml), not constants.

Lifecycle::

    registered ──confirm_substitution (substituted ≥ consumed, source named, checked with proof)──► substituted
    registered ──stop_for_season (a check found it stopped, with a photo)──► stopped
    stopped ──resume (only after the heating season ends)──► registered
    stopped ──confirm_substitution──► substituted
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator
from sqlalchemy import Date, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from lantian.sources.kinds._coal import (
    CLAUSE_7,
    CLAUSE_7_LIST,
    SAMPLE_NOTE,
    china_day,
    heating_season,
    sample_point,
)
from lantian.sources.lifecycle import KEEPERS, VERIFIERS, Lifecycle, State, Unmet
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord
from lantian.sources.registry import (
    Breach,
    ChecklistItem,
    Facts,
    RegisterKind,
    Rule,
    SampleContext,
    end_of_day,
    unproven,
)
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

PROJECT_TYPES = {"new": "新建", "extension": "扩建"}
ProjectType = Literal["new", "extension"]
#: 《大气污染防治行动计划》（国发〔2013〕37号）issued: the projects task 7 covers start here.
ACTION_PLAN_ISSUED = date(2013, 9, 10)


class CoalProject(RegisterRecord):
    __tablename__ = "src_coal_projects"
    __audit_type__ = "coal_project"

    project_type: Mapped[str] = mapped_column(String(10))
    approved_on: Mapped[date | None] = mapped_column(Date)
    #: The project's annual coal consumption (t/a).
    annual_coal_t: Mapped[float] = mapped_column(Float)
    #: Coal consumption cut elsewhere to make room for it (t/a).
    substitution_t: Mapped[float] = mapped_column(Float, default=0.0)
    #: Where the substitution comes from (e.g. a boiler or a kiln closed, with its document).
    substitution_source: Mapped[str | None] = mapped_column(String(300))

    @property
    def fully_substituted(self) -> bool:
        """等量或减量替代: the coal cut elsewhere is at least what the project burns."""
        return bool((self.substitution_source or "").strip()) and (
            self.substitution_t >= self.annual_coal_t
        )


class CoalProjectRow(RegisterRow):
    project_type: ProjectType
    approved_on: date | None = None
    annual_coal_t: float = Field(gt=0)
    substitution_t: float = Field(default=0.0, ge=0)
    substitution_source: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _since_the_action_plan(self) -> CoalProjectRow:
        if self.approved_on is not None and self.approved_on < ACTION_PLAN_ISSUED:
            raise ValueError(
                "任务7只涉及《大气十条》实施（2013-09-10）以来的新建扩建项目 / task 7 covers "
                "projects approved since the Action Plan (2013-09-10)"
            )
        if self.substitution_t > 0 and not (self.substitution_source or "").strip():
            raise ValueError("填写了替代量须写明替代来源 / a substituted amount needs its source")
        return self


SUBSTITUTION_VERIFIED = ChecklistItem(
    "substitution_verified",
    "替代来源核实到位",
    "substitution source verified",
    CLAUSE_7_LIST,
    evidence_required=True,
)
PRODUCTION_STOPPED = ChecklistItem(
    "production_stopped", "采暖季已停产", "stopped for the heating season", CLAUSE_7, True
)
CHECKLIST = (SUBSTITUTION_VERIFIED, PRODUCTION_STOPPED)


def _substitution_holds(facts: Facts) -> list[Unmet]:
    record = facts.record
    assert isinstance(record, CoalProject)
    unmet: list[Unmet] = []
    if not record.fully_substituted:
        unmet.append(
            (
                f"替代量 {record.substitution_t:,.0f} 吨小于耗煤量 {record.annual_coal_t:,.0f} 吨或未写明来源",
                f"substituted {record.substitution_t:,.0f} t is less than the "
                f"{record.annual_coal_t:,.0f} t burnt, or no source is named",
            )
        )
    if not facts.latest_with_evidence(SUBSTITUTION_VERIFIED.key):
        unmet.append(
            (
                "替代来源未经核查并附证明材料",
                "the substitution source is not checked with supporting documents",
            )
        )
    return unmet


def _stopped_checked(facts: Facts) -> list[Unmet]:
    return unproven(facts, (PRODUCTION_STOPPED,))


def _season_over(facts: Facts) -> list[Unmet]:
    season = heating_season(facts.plan_in_force())
    if season is not None and facts.today <= season[1]:
        return [
            (
                f"采暖季至 {season[1]} 结束，未实现替代的项目不得恢复生产",
                f"the heating season lasts until {season[1]}: a project without substitution "
                "may not resume before",
            )
        ]
    return []


LIFECYCLE = Lifecycle(
    states=(
        State("registered", "登记在册", "registered"),
        State("stopped", "采暖季停产", "stopped for the heating season"),
        State("substituted", "已落实替代", "substitution in place", closed=True),
    ),
    initial="registered",
    transitions=(
        step(
            "confirm_substitution",
            ("确认已落实替代", "confirm the substitution"),
            {"registered", "stopped"},
            "substituted",
            KEEPERS,
            CLAUSE_7_LIST,
            guard=_substitution_holds,
        ),
        step(
            "stop_for_season",
            ("采暖季停产", "stop for the heating season"),
            {"registered"},
            "stopped",
            KEEPERS,
            CLAUSE_7,
            guard=_stopped_checked,
        ),
        step(
            "resume",
            ("采暖季结束恢复生产", "resume after the heating season"),
            {"stopped"},
            "registered",
            KEEPERS,
            CLAUSE_7,
            guard=_season_over,
        ),
        step(
            "reopen",
            ("撤销替代认定", "withdraw the substitution"),
            {"substituted"},
            "registered",
            VERIFIERS,
            CLAUSE_7_LIST,
            note_required=True,
        ),
    ),
)


def _operating_in_season(facts: Facts) -> Breach | None:
    """A project without full substitution found producing on a day of the heating season (a
    check since its last step, while the season lasts)."""
    record = facts.record
    assert isinstance(record, CoalProject)
    if record.state == "substituted" or record.fully_substituted:
        return None
    season = heating_season(facts.plan_in_force())
    if season is None or facts.today > season[1]:
        return None
    for check in facts.checks:
        if check.checked_at < record.state_since:
            break
        entry = (check.items or {}).get(PRODUCTION_STOPPED.key)
        if entry is None or not season[0] <= china_day(check.checked_at) <= season[1]:
            continue
        if entry["result"] != "fail":
            return None
        return Breach(
            title=f"未落实煤炭替代的耗煤项目采暖季生产：{record.name}",
            description=f"{china_day(check.checked_at)} 核查发现项目 {record.key} 在采暖季"
            f"（{season[0]}—{season[1]}）生产，耗煤 {record.annual_coal_t:,.0f} 吨/年，替代 "
            f"{record.substitution_t:,.0f} 吨 / found producing in the heating season without "
            "full coal substitution",
            observed_at=check.checked_at,
            severity="serious",
        )
    return None


def _not_stopped_at_season_start(facts: Facts) -> Breach | None:
    """The heating season has begun and a project without substitution is still registered as
    producing (not stopped)."""
    record = facts.record
    assert isinstance(record, CoalProject)
    if record.state != "registered" or record.fully_substituted:
        return None
    season = heating_season(facts.plan_in_force())
    if season is None or not season[0] <= facts.today <= season[1]:
        return None

    return Breach(
        title=f"采暖季开始未停产的耗煤项目：{record.name}",
        description=f"采暖季 {season[0]} 开始，项目 {record.key} 未落实等量或减量替代且未登记停产 / "
        "the heating season began and the project, not fully substituted, is not stopped",
        observed_at=end_of_day(season[0]),
        severity="general",
    )


def _sample(context: SampleContext) -> list[CoalProjectRow]:
    rng = context.rng
    kinds_of_works = ("耐火材料厂隧道窑", "陶瓷厂", "铝材厂", "造纸厂", "热电联产", "水泥粉磨站")
    sources = ("关停燃煤锅炉", "淘汰燃煤窑炉", "“散乱污”企业取缔", "集中供热替代分散锅炉")
    rows = []
    number = 0
    for code, area_name in context.areas:
        for _ in range(rng.randint(0, 3)):
            number += 1
            coal = float(rng.choice((3_000, 5_000, 8_000, 12_000, 20_000, 35_000)))
            share = rng.choices((1.0, 1.2, 0.6, 0.0), (5, 2, 2, 1))[0]
            longitude, latitude = sample_point(rng)
            rows.append(
                CoalProjectRow(
                    key=f"HMXM-{code[-3:]}-{number:03d}",
                    name=f"示例{area_name}{rng.choice(kinds_of_works)}{number:03d}项目",
                    area_code=code,
                    unit_code="fgw",
                    address=f"{area_name}示例村",
                    longitude=longitude,
                    latitude=latitude,
                    note=SAMPLE_NOTE,
                    project_type=rng.choice(("new", "extension")),
                    approved_on=date(
                        rng.randint(2014, 2017), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    annual_coal_t=coal,
                    substitution_t=round(coal * share, 0),
                    substitution_source=rng.choice(sources) + "（示例）" if share else None,
                )
            )
    return rows


KIND = RegisterKind(
    key="coal_project",
    zh="新建扩建耗煤项目",
    en="coal-consuming project",
    tasks=("7",),
    model=CoalProject,
    row=CoalProjectRow,
    columns=columns(
        Column("project_type", "project type", "项目类型", choices=PROJECT_TYPES, example="新建"),
        Column(
            "approved_on",
            "approved on",
            "审批（核准、备案）日期",
            aliases=("审批日期",),
            example="2016-05-20",
        ),
        Column(
            "annual_coal_t",
            "annual coal t",
            "年耗煤量（吨）",
            aliases=("年耗煤量",),
            example="12000",
        ),
        Column(
            "substitution_t", "substitution t", "替代量（吨）", aliases=("替代量",), example="12000"
        ),
        Column(
            "substitution_source",
            "substitution source",
            "替代来源",
            example="关停某公司 2 台 10 蒸吨燃煤锅炉",
            note_zh="等量或减量替代：替代量不少于年耗煤量",
            note_en="substituted amount at least the annual coal use",
            width=30,
        ),
    ),
    lifecycle=LIFECYCLE,
    checklist=CHECKLIST,
    rules=(
        Rule(
            "operating_in_heating_season",
            "未替代项目采暖季生产",
            "producing in the heating season without substitution",
            CLAUSE_7,
            _operating_in_season,
        ),
        Rule(
            "not_stopped_at_season_start",
            "采暖季未停产",
            "not stopped when the heating season began",
            CLAUSE_7,
            _not_stopped_at_season_start,
        ),
    ),
    sample=_sample,
    list_fields=("project_type", "annual_coal_t", "substitution_t"),
    filter_fields=("project_type",),
    order=7,
)
