"""What the coal-supply registers (plan tasks 6–8, 11, 13) share: the plan's heating season, the
day in China of a check, the clauses they cite and where sample entries lie.

Not a kind itself (no ``KIND``): :func:`lantian.sources.registry.kinds` skips it.
"""

from __future__ import annotations

from datetime import date, datetime
from random import Random

from lantian.plan import Plan
from lantian.timeutil import CHINA_TZ

#: Sample rows say what they are (the demo's registers are not a real township's sheet).
SAMPLE_NOTE = "示例数据 / sample"
CLAUSE_6 = "任务6：2017年，煤炭占能源消费总量比重降低到65%以下"
CLAUSE_6_FILING = (
    "任务6：10月15日前，将煤炭消费总量削减目标、措施及进展情况报郑州市发展改革委、环保局备案"
)
CLAUSE_7 = (
    "任务7：未按照《大气十条》要求实现煤炭消费等量或减量替代的新建扩建耗煤项目，采暖季"
    "（2017年11月15日—2018年3月15日，下同）实施停产"
)
CLAUSE_7_LIST = "任务7：压减的煤炭消费量要实施清单式管理，做到可核查、可统计"
CLAUSE_8 = "任务8：2017年12月底前，关闭煤矿2家以上，淘汰煤炭产能30万吨以上"
CLAUSE_11 = "任务11：全市建成2座洁净型煤生产仓储供应中心，建设14个配送网点建设"
CLAUSE_13_QUALITY = (
    "任务13：严厉打击劣质煤销售，确保行政区域内使用的煤炭质量符合国家或地方煤炭质量标准"
)
CLAUSE_13_OUTLETS = (
    "任务13：对已完成以电代煤、以气代煤的乡镇、街道 … 一律取消散煤销售网点，严禁散煤流入"
)


def heating_season(plan: Plan) -> tuple[date, date] | None:
    """The plan's heating season (``periods.heating_season`` of plan.yaml), or ``None``."""
    period = plan.plan.periods.get("heating_season") if plan.plan is not None else None
    if period is None or period.start is None or period.end is None:
        return None
    return period.start, period.end


def china_day(moment: datetime) -> date:
    """The day in Xinmi of an instant (checks are stored in UTC)."""
    return moment.astimezone(CHINA_TZ).date()


def sample_point(rng: Random) -> tuple[float, float]:
    """A point inside Xinmi (WGS-84), for sample entries."""
    return round(113.2 + rng.random() * 0.35, 5), round(34.4 + rng.random() * 0.2, 5)
