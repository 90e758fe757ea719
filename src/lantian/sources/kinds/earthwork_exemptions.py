"""Exemptions from the earth order (限土令豁免, plan task 30): works that may go on in the heating
season, each by application, the sector department's review and the city government's consent.

Task 30: "采暖季期间，城市建成区内停止各类道路工程、水利工程等土石方作业和房屋拆迁（拆除）施工等。
对于重大民生工程和重点项目涉及土石方作业确实无法停工的，由项目建设单位申请、行业主管部门初审，报市人民
政府同意后实施。"

One entry is one project's application: the builder, the works, why they cannot stop (a major
livelihood project or a key project), the site (coordinates and the radius the works cover) and
the period asked for. The responsible unit (``unit_code``) is the sector department that reviews it
(住建局, 交运局, 水务局, 园林绿化处 …). Each step carries its document, kept in the file store with
the step: the application letter, the review opinion, the city government's consent. An approved
exemption covers findings of earthworks on its site within its period
(:mod:`lantian.sources.kinds.earthwork_findings`).

Lifecycle::

    registered ──apply (application letter)──► applied ──review (sector department, opinion)──► reviewed
    reviewed ──approve (city government's consent, 攻坚办 records it with the document)──► approved
                (the platform renders the approval as a Word file kept with the step)
    applied ──reject (sector department)──► refused      reviewed ──refuse (city)──► refused
    approved ──revoke (works breaking the conditions)──► revoked
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import Date, Float, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lantian import clock
from lantian.plan import plan_in_force
from lantian.sources.kinds._coal import china_day
from lantian.sources.kinds._earthworks import (
    CLAUSE_30,
    CLAUSE_30_EXEMPTION,
    SAMPLE_NOTE,
    seat_area,
    seat_point,
)
from lantian.sources.lifecycle import KEEPERS, OFFICE_ROLES, Lifecycle, State
from lantian.sources.lifecycle import transition as step
from lantian.sources.models import RegisterRecord, SourceEvent
from lantian.sources.registry import RegisterKind, SampleContext, overdue_rule
from lantian.sources.rows import RegisterRow, columns
from lantian.tabular import Column

KIND_KEY = "earthwork_exemption"
WORKS = {
    "road": "道路工程",
    "water": "水利工程",
    "building": "房屋建筑土石方",
    "demolition": "房屋拆迁（拆除）",
    "other": "其他土石方作业",
}
Works = Literal["road", "water", "building", "demolition", "other"]
GROUNDS = {"livelihood": "重大民生工程", "key_project": "重点项目"}
Grounds = Literal["livelihood", "key_project"]
#: The sector department reviews (行业主管部门初审): a unit account of the entry's unit, or the
#: platform's administrator. Neither a township nor the office reviews for the department.
SECTOR_REVIEWERS = frozenset({"unit", "administrator"})


class EarthworkExemption(RegisterRecord):
    __tablename__ = "src_earthwork_exemptions"
    __audit_type__ = "earthwork_exemption"

    builder: Mapped[str] = mapped_column(String(200))
    works: Mapped[str] = mapped_column(String(12))
    grounds: Mapped[str] = mapped_column(String(12))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    #: How far from the site's point the works reach (m): a finding within it is on the site.
    radius_m: Mapped[float] = mapped_column(Float, default=300.0)
    contact: Mapped[str | None] = mapped_column(String(100))


class ExemptionRow(RegisterRow):
    builder: str = Field(min_length=1, max_length=200)
    works: Works
    grounds: Grounds
    period_start: date
    period_end: date
    radius_m: float = Field(default=300.0, gt=0, le=20_000)
    contact: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _site_and_period(self) -> ExemptionRow:
        if self.longitude is None or self.latitude is None:
            raise ValueError(
                "施工地点须填写经度和纬度（判断发现的作业是否在豁免范围内）/ the site needs its "
                "longitude and latitude (to judge whether a finding is on it)"
            )
        if not self.unit_code:
            raise ValueError(
                "须填写初审的行业主管部门（责任单位代码）/ name the sector department that "
                "reviews it (the unit code)"
            )
        if self.period_end < self.period_start:
            raise ValueError("施工期结束早于开始 / the period ends before it starts")
        return self


LIFECYCLE = Lifecycle(
    states=(
        State("registered", "已登记", "registered"),
        State("applied", "已申请", "applied for"),
        State("reviewed", "行业主管部门初审同意", "reviewed by the sector department"),
        State("approved", "市政府同意", "approved by the city government", closed=True),
        State("refused", "未获同意", "refused", closed=True),
        State("revoked", "已撤销", "revoked", closed=True),
    ),
    initial="registered",
    transitions=(
        step(
            "apply",
            ("项目建设单位申请", "apply"),
            {"registered"},
            "applied",
            KEEPERS,
            CLAUSE_30_EXEMPTION,
            files_required=True,
        ),
        step(
            "review",
            ("行业主管部门初审同意", "sector review: agree"),
            {"applied"},
            "reviewed",
            SECTOR_REVIEWERS,
            CLAUSE_30_EXEMPTION,
            files_required=True,
        ),
        step(
            "reject",
            ("行业主管部门初审不同意", "sector review: disagree"),
            {"applied"},
            "refused",
            SECTOR_REVIEWERS,
            CLAUSE_30_EXEMPTION,
            note_required=True,
            files_required=True,
        ),
        step(
            "approve",
            ("报市人民政府同意", "city government approves"),
            {"reviewed"},
            "approved",
            OFFICE_ROLES,
            CLAUSE_30_EXEMPTION,
            files_required=True,
        ),
        step(
            "refuse",
            ("市人民政府不同意", "city government refuses"),
            {"reviewed"},
            "refused",
            OFFICE_ROLES,
            CLAUSE_30_EXEMPTION,
            note_required=True,
            files_required=True,
        ),
        step(
            "revoke",
            ("撤销豁免", "revoke"),
            {"approved"},
            "revoked",
            OFFICE_ROLES,
            CLAUSE_30,
            note_required=True,
        ),
    ),
)

UNDECIDED = overdue_rule(
    lifecycle=LIFECYCLE,
    clause=CLAUSE_30_EXEMPTION,
    title=lambda record: f"限土令豁免申请逾期未办结：{record.name}",
    label=("申请逾期未办结", "application not decided by its deadline"),
    severity="general",
)


def approval_text(session: Session, record: EarthworkExemption, note: str) -> str:
    """The city government's consent to an exemption as the plain text of an administrative
    notice (title, number, addressee and body, issuer, date: the layout
    :func:`lantian.warnings.documents.notice_docx` sets), from the entry and its timeline."""
    plan = plan_in_force()
    units = plan.unit_names()
    department = units.get(record.unit_code or "", record.unit_code or "行业主管部门")
    steps = {
        e.event: e
        for e in session.scalars(
            select(SourceEvent)
            .where(SourceEvent.kind == KIND_KEY, SourceEvent.record_id == record.id)
            .order_by(SourceEvent.at, SourceEvent.id)
        )
    }

    def day(event: str) -> str:
        found = steps.get(event)
        return f"{china_day(found.at):%Y年%m月%d日}" if found is not None else "（未登记）"

    issuer = plan.plan.issued_by if plan.plan is not None else "市人民政府"
    place = record.address or record.name
    lines = [
        f"{issuer}关于同意{record.name}采暖季土石方作业的批复",
        f"限土令豁免 {record.key}",
        f"{record.builder}：",
        f"你单位{day('apply')}报来的{record.name}采暖季土石方作业申请及{department}{day('review')}"
        f"初审意见收悉。根据{CLAUSE_30_EXEMPTION}的规定，经研究，同意该项目在采暖季期间按以下"
        "地点和期限实施土石方作业：",
        f"一、项目名称：{record.name}；作业类型：{WORKS.get(record.works, record.works)}；申请理由："
        f"{GROUNDS.get(record.grounds, record.grounds)}。",
        f"二、施工地点：{place}（经度 {record.longitude}，纬度 {record.latitude}，半径 "
        f"{record.radius_m:g} 米范围内）。",
        f"三、施工期限：{record.period_start:%Y年%m月%d日}至{record.period_end:%Y年%m月%d日}。"
        "超出上述地点和期限的土石方作业和房屋拆迁（拆除）施工，按违反“限土令”处理。",
        f"四、施工期间须严格落实扬尘污染防治措施，接受{department}及各相关部门检查；出现违规的，"
        "按相关规定上限处罚，并向社会公开。",
    ]
    if note:
        lines.append(f"五、其他意见：{note}")
    lines += [
        "（本批复由平台据市人民政府同意意见生成，以盖章文本为准。）",
        issuer,
        f"{clock.now_china():%Y年%m月%d日}",
    ]
    return "\n\n".join(lines)


def approval_document(session: Session, record: Any, note: str) -> tuple[str, bytes]:
    """The approval as a Word file kept with the ``approve`` step (the office prints it)."""
    from lantian.warnings.documents import notice_docx

    return f"{record.key}-批复.docx", notice_docx(approval_text(session, record, note))


def _sample(context: SampleContext) -> list[ExemptionRow]:
    """A heating season's applications, all in the city seat's built-up area."""
    rng = context.rng
    areas = list(context.areas)
    projects: tuple[tuple[Works, Grounds, str, str, str], ...] = (
        ("road", "livelihood", "jyj", "示例{n}号道路雨污分流改造工程", "新密市交通建设投资公司"),
        ("water", "livelihood", "swj2", "示例{n}号供水管网抢修工程", "新密市自来水公司"),
        ("building", "key_project", "zjj", "示例{n}号保障性住房项目", "新密市城市建设投资公司"),
        ("road", "key_project", "zjj", "示例{n}号城市快速通道工程", "新密市城市建设投资公司"),
        ("other", "livelihood", "yllhc", "示例{n}号公园改造工程", "新密市园林绿化处"),
    )
    code, area_name = seat_area(areas)
    rows = []
    for number in range(1, 9):
        works, grounds, unit, name, builder = rng.choice(projects)
        longitude, latitude = seat_point(rng)
        start = date(2017, 11, 15) + timedelta(days=rng.randint(0, 60))
        rows.append(
            ExemptionRow(
                key=f"XTL-{number:03d}",
                name=name.format(n=number),
                area_code=code,
                unit_code=unit,
                address=f"新密市{area_name}示例路段",
                longitude=longitude,
                latitude=latitude,
                deadline=start - timedelta(days=1),
                note=SAMPLE_NOTE,
                builder=builder,
                works=works,
                grounds=grounds,
                period_start=start,
                period_end=start + timedelta(days=rng.choice((15, 30, 45))),
                radius_m=float(rng.choice((200, 300, 500))),
                contact="示例联系人 13800000000",
            )
        )
    return rows


KIND = RegisterKind(
    key=KIND_KEY,
    zh="限土令豁免申请",
    en="earth-order exemption",
    tasks=("30",),
    model=EarthworkExemption,
    row=ExemptionRow,
    columns=columns(
        Column("builder", "builder", "项目建设单位", example="新密市城市建设投资公司", width=24),
        Column("works", "works", "作业类型", choices=WORKS, example="道路工程 road", width=14),
        Column("grounds", "grounds", "申请理由", choices=GROUNDS, example="重大民生工程", width=14),
        Column("period_start", "period start", "施工期开始", example="2017-12-01", width=12),
        Column("period_end", "period end", "施工期结束", example="2017-12-31", width=12),
        Column(
            "radius_m",
            "radius m",
            "施工范围半径（米）",
            example="300",
            note_zh="以经纬度为中心，此半径内的土石方作业属于该项目",
            note_en="works within this distance of the site's point belong to the project",
            width=12,
        ),
        Column("contact", "contact", "联系人", example="张三 13800000000"),
    ),
    lifecycle=LIFECYCLE,
    rules=(UNDECIDED,),
    sample=_sample,
    list_fields=("builder", "works", "period_start", "period_end"),
    filter_fields=("works", "grounds"),
    order=30,
    step_documents={"approve": approval_document},
    notes=(
        (
            "责任单位代码填初审的行业主管部门（如 zjj 市住建局、jyj 市交运局、swj2 市水务局）；"
            "经纬度必填。申请、初审、市政府同意各步须附文件。",
            "The unit code is the sector department that reviews (e.g. zjj, jyj, swj2); "
            "coordinates are required. Each step (application, review, approval) needs its document.",
        ),
    ),
)
