"""``briefing.toml`` (optional): the template of the campaign's weekly and monthly briefings.

A city changes its briefings here, not in code: the titles, the issuing office, the pattern of the
document number (文号, e.g. 新密市攻坚办〔2018〕第3期), the sections with their order and titles
(numbered 一、二、三、 in the order written), the recipients (主送, 抄送) and how many townships are
named at the bottom. Without the file the defaults below apply (Xinmi's office; the plan's city
name where the title says ``{city}``). The layout follows GB/T 9704-2012 in spirit (title, 文号
line, sections in Chinese numbering, issuer and date, 主送/抄送 at the end).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lantian.plan.schema import Strict

#: What a briefing can say, one key per section (what :mod:`lantian.briefings.figures` computes).
SECTION_KEYS = (
    "air_quality",
    "ranking",
    "warnings",
    "targets",
    "tasks",
    "cases",
    "enforcement",
)
SectionKey = Literal[
    "air_quality", "ranking", "warnings", "targets", "tasks", "cases", "enforcement"
]

#: Default section titles (the seed's words where it has them: 空气质量, 预警, 目标, 督查, 执法).
DEFAULT_SECTION_TITLES: dict[str, str] = {
    "air_quality": "全市空气质量状况",
    "ranking": "各乡镇（街道）空气质量排名",
    "warnings": "重污染天气预警",
    "targets": "攻坚目标完成情况",
    "tasks": "重点任务推进情况",
    "cases": "督查案件办理情况",
    "enforcement": "环境执法情况",
}


class BriefingSection(Strict):
    key: SectionKey
    title: str = Field(min_length=1)


def _default_sections() -> list[BriefingSection]:
    return [BriefingSection(key=k, title=DEFAULT_SECTION_TITLES[k]) for k in SECTION_KEYS]  # type: ignore[arg-type]


class BriefingFile(Strict):
    """The briefing template. ``number_pattern_weekly`` and ``…_monthly`` take ``{year}`` (the year of the period's last
    day), ``{number}`` (the issue's number: the week or month of the campaign, counted from its
    start) and ``{city}``; the titles and the issuer take ``{city}`` (plan.yaml ``city``)."""

    title_weekly: str = Field(default="{city}大气污染防治攻坚战工作周报", min_length=1)
    title_monthly: str = Field(default="{city}大气污染防治攻坚战工作月报", min_length=1)
    issuer: str = Field(default="{city}大气污染防治攻坚战领导小组办公室", min_length=1)
    #: The weekly and the monthly briefings are numbered apart (two series of 第N期).
    number_pattern_weekly: str = Field(default="{city}攻坚办〔{year}〕第{number}期", min_length=1)
    number_pattern_monthly: str = Field(
        default="{city}攻坚办月报〔{year}〕第{number}期", min_length=1
    )
    #: 主送 and 抄送 (printed at the end, as an administrative document does).
    recipients_main: str = ""
    recipients_copy: str = ""
    #: How many townships the briefing names at the bottom of the ranking.
    bottom_count: int = Field(default=3, ge=1, le=20)
    sections: list[BriefingSection] = Field(default_factory=_default_sections, min_length=1)

    @field_validator("number_pattern_weekly", "number_pattern_monthly")
    @classmethod
    def _number_pattern(cls, value: str) -> str:
        if "{number}" not in value:
            raise ValueError("文号格式须含 {number} / number_pattern must contain {number}")
        try:
            value.format(year=2018, number=1, city="")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"文号格式只能用 {{year}}、{{number}}、{{city}} / only {{year}}, {{number}}, {{city}}: "
                f"{error}"
            ) from None
        return value

    @field_validator("title_weekly", "title_monthly", "issuer")
    @classmethod
    def _city_only(cls, value: str) -> str:
        try:
            value.format(city="")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"只能用 {{city}} / only {{city}} may be used: {error}") from None
        return value

    @model_validator(mode="after")
    def _sections_once(self) -> BriefingFile:
        keys = [section.key for section in self.sections]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"章节重复 / sections listed twice: {', '.join(twice)}")
        return self

    def title(self, kind: str, city: str) -> str:
        pattern = self.title_weekly if kind == "weekly" else self.title_monthly
        return pattern.format(city=city)

    def issuer_name(self, city: str) -> str:
        return self.issuer.format(city=city)

    def number(self, kind: str, year: int, number: int, city: str) -> str:
        pattern = self.number_pattern_weekly if kind == "weekly" else self.number_pattern_monthly
        return pattern.format(year=year, number=number, city=city)
