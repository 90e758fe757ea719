"""A generated sample inventory (示例数据 / sample): for the benchmark, the tests and the demo.

Nothing here describes a real enterprise. Names, codes and emissions are drawn from a seeded random
generator so that every run produces the same city; every record says it is a sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lantian.emissions.optimiser import EnterpriseOptions, standard_candidates
from lantian.emissions.targets import POLLUTANTS, Level, Pollutant
from lantian.emissions.uscc import ALPHABET, make_code

SAMPLE_MARK = "示例数据 / sample"


@dataclass(frozen=True)
class IndustryProfile:
    code: str
    name: str
    #: Typical daily emission of a mid-sized plant, t/d, per pollutant (SO2, NOx, PM, VOCs).
    typical: tuple[float, float, float, float]
    #: Typical output value, 万元 per day.
    output_value: float


#: Industries of the seed's staggered-production tasks (37–39) and a few common others.
INDUSTRIES: tuple[IndustryProfile, ...] = (
    IndustryProfile("cement", "水泥", (0.20, 1.20, 0.40, 0.02), 60.0),
    IndustryProfile("cement_grinding", "水泥粉磨站", (0.00, 0.00, 0.15, 0.00), 15.0),
    IndustryProfile("brick_kiln", "砖瓦窑", (0.30, 0.20, 0.25, 0.00), 4.0),
    IndustryProfile("ceramics", "陶瓷", (0.15, 0.20, 0.20, 0.01), 10.0),
    IndustryProfile("refractory", "耐火材料", (0.15, 0.25, 0.30, 0.00), 20.0),
    IndustryProfile("carbon", "炭素", (0.25, 0.15, 0.20, 0.05), 25.0),
    IndustryProfile("nonferrous_secondary", "有色再生", (0.10, 0.10, 0.15, 0.02), 30.0),
    IndustryProfile("pharmaceutical", "医药（原料药）", (0.01, 0.03, 0.02, 0.30), 40.0),
    IndustryProfile("pesticide", "农药", (0.01, 0.02, 0.02, 0.25), 20.0),
    IndustryProfile("chemical", "化工", (0.05, 0.10, 0.05, 0.20), 35.0),
    IndustryProfile("power", "电力热力", (0.60, 1.00, 0.15, 0.01), 80.0),
    IndustryProfile("foundry", "铸造", (0.03, 0.05, 0.20, 0.03), 12.0),
    IndustryProfile("printing", "包装印刷", (0.00, 0.00, 0.01, 0.12), 8.0),
    IndustryProfile("furniture", "家具制造", (0.00, 0.00, 0.03, 0.10), 6.0),
)

#: Share of each whole-city pollutant that the industrial enterprises emit (the rest is traffic,
#: dust, residential …): sets the synthetic whole-city baseline.
INDUSTRY_SHARE = {Pollutant.SO2: 0.75, Pollutant.NOX: 0.55, Pollutant.PM: 0.55, Pollutant.VOCS: 0.6}
#: Reductions from measures outside the list (traffic limits, site stops), share of the city total,
#: by level key (a plan whose scheme lacks a level simply has no use for its entry).
OTHER_SHARE: dict[Level, dict[Pollutant, float]] = {
    "blue": {Pollutant.PM: 0.01},
    "yellow": {Pollutant.NOX: 0.02, Pollutant.PM: 0.02, Pollutant.VOCS: 0.01},
    "orange": {Pollutant.NOX: 0.04, Pollutant.PM: 0.04, Pollutant.VOCS: 0.02},
    "red": {Pollutant.NOX: 0.06, Pollutant.PM: 0.06, Pollutant.VOCS: 0.03},
}

#: Plausible name parts for sample enterprises.
_NAME_HEADS = [
    "新华",
    "金源",
    "宏达",
    "恒通",
    "永安",
    "兴隆",
    "瑞丰",
    "鑫磊",
    "东方",
    "中原",
    "广利",
    "天成",
    "嵩岳",
    "溱洧",
    "青屏",
    "密州",
]
_SOURCES = ("permit", "cems", "inventory")


@dataclass(frozen=True)
class SampleEnterprise:
    """One generated enterprise with what the inventory and the optimiser need."""

    key: str
    name: str
    credit_code: str
    area_code: str
    industry: str
    grade: str | None
    output_value: float
    daily: dict[Pollutant, float]
    source: str
    livelihood_load: float | None
    lines: int
    options: EnterpriseOptions


@dataclass(frozen=True)
class SampleCity:
    enterprises: list[SampleEnterprise]
    baseline: dict[Pollutant, float]
    other_reductions: dict[Level, dict[Pollutant, float]]

    @property
    def options(self) -> list[EnterpriseOptions]:
        return [e.options for e in self.enterprises]


def generate_city(
    count: int,
    seed: int = 2017,
    area_codes: Sequence[str] = ("410183100",),
    livelihood_share: float = 0.15,
) -> SampleCity:
    """``count`` sample enterprises with three candidate measures each, and a consistent city."""
    rng = np.random.default_rng(seed)
    industry_index = rng.integers(0, len(INDUSTRIES), size=count)
    size = rng.lognormal(mean=0.0, sigma=1.0, size=count)
    enterprises: list[SampleEnterprise] = []
    totals = dict.fromkeys(POLLUTANTS, 0.0)
    for number in range(count):
        profile = INDUSTRIES[int(industry_index[number])]
        # Emission intensity varies independently of output: the optimiser's lever.
        intensity = rng.lognormal(0.0, 0.5, size=4)
        daily = {
            p: round(float(profile.typical[k] * size[number] * intensity[k]), 6)
            for k, p in enumerate(POLLUTANTS)
        }
        output_value = round(float(profile.output_value * size[number] * rng.lognormal(0, 0.4)), 3)
        grade = str(rng.choice(["A", "B", "C", "D", ""], p=[0.05, 0.2, 0.4, 0.25, 0.1])) or None
        livelihood = (
            0.5 if profile.code in ("power", "cement") and rng.random() < livelihood_share else None
        )
        first_limit = 0.3 if profile.code != "carbon" else 0.5
        limits = (first_limit, 0.6 if first_limit < 0.6 else 0.7)
        options = EnterpriseOptions(
            key=f"S{number + 1:05d}",
            candidates=standard_candidates(
                daily,
                output_value,
                limits,
                pm_bonus=float(rng.uniform(0.0, 0.15)),
                stop_premium=1.1,
            ),
            grade=grade,
            max_output_cut=1.0 - livelihood if livelihood is not None else 1.0,
            min_limit=0.5 if profile.code == "carbon" else 0.0,
        )
        area = area_codes[number % len(area_codes)]
        body = "".join(ALPHABET[int(i)] for i in rng.integers(0, 31, size=9))
        head = _NAME_HEADS[number % len(_NAME_HEADS)]
        enterprises.append(
            SampleEnterprise(
                key=options.key,
                name=f"{head}{profile.name}示例{number + 1:04d}有限公司（示例）",
                credit_code=make_code(f"91{area[:6]}{body}"),
                area_code=area,
                industry=profile.code,
                grade=grade,
                output_value=output_value,
                daily=daily,
                source=_SOURCES[number % 3],
                livelihood_load=livelihood,
                lines=int(rng.integers(1, 4)),
                options=options,
            )
        )
        for pollutant in POLLUTANTS:
            totals[pollutant] += daily[pollutant]
    baseline = {p: round(totals[p] / INDUSTRY_SHARE[p], 6) for p in POLLUTANTS}
    other = {
        level: {p: share * baseline[p] for p, share in shares.items()}
        for level, shares in OTHER_SHARE.items()
    }
    return SampleCity(enterprises=enterprises, baseline=baseline, other_reductions=other)
