"""The briefing's charts and map as PNG images (matplotlib, Agg: no display, no outside service).

Text is drawn with the CJK font shipped with lantian (:mod:`lantian.fonts`), registered with
matplotlib's font manager, so Chinese never prints as empty boxes whatever fonts the server has.
Colours of the AQI levels are HJ 633-2012's (Table 2).
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from lantian.briefings.figures import Briefing
from lantian.fonts import CJK_FONT

#: HJ 633-2012 Table 2 colours, by level 1–6 (level 0: no data).
LEVEL_COLOURS = {
    0: "#cccccc",
    1: "#00e400",
    2: "#ffff00",
    3: "#ff7e00",
    4: "#ff0000",
    5: "#99004c",
    6: "#7e0023",
}
LEVEL_NAMES = {1: "优", 2: "良", 3: "轻度污染", 4: "中度污染", 5: "重度污染", 6: "严重污染"}
DPI = 150


@cache
def _font_family() -> str:
    """Register the shipped font with matplotlib once and return its family name."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(CJK_FONT))
    name: str = font_manager.FontProperties(fname=str(CJK_FONT)).get_name()
    return name


def _figure(width: float, height: float) -> Any:
    family = _font_family()
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = family
    plt.rcParams["axes.unicode_minus"] = False  # the shipped subset has no U+2212
    return plt.figure(figsize=(width, height), dpi=DPI)


def _png(figure: Any) -> bytes:
    import matplotlib.pyplot as plt

    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return out.getvalue()


def daily_aqi_chart(briefing: Briefing) -> bytes:
    """The city's daily AQI as bars coloured by level, the year before's as a line beside them."""
    figure = _figure(7.0, 3.0)
    axes = figure.add_subplot(1, 1, 1)
    days = briefing.air.days
    xs = list(range(len(days)))
    heights = [d.aqi or 0 for d in days]
    colours = [LEVEL_COLOURS[d.level if d.aqi is not None else 0] for d in days]
    axes.bar(xs, heights, color=colours, edgecolor="#555555", linewidth=0.4, label="本期日 AQI")
    before = briefing.air_before.days
    if any(d.aqi is not None for d in before):
        axes.plot(
            xs[: len(before)],
            [d.aqi if d.aqi is not None else float("nan") for d in before],
            color="#1f4e9c",
            marker="o",
            markersize=2.5,
            linewidth=1,
            label="去年同期",
        )
    for limit, label in ((100, "良/轻度 100"), (200, "重度 200")):
        axes.axhline(limit, color="#888888", linewidth=0.6, linestyle="--")
        axes.text(len(days) - 0.5, limit, label, fontsize=7, va="bottom", ha="right")
    step = max(1, len(days) // 10)
    axes.set_xticks(xs[::step], [f"{d.day:%m-%d}" for d in days[::step]], fontsize=7)
    axes.set_ylabel("AQI", fontsize=8)
    axes.set_title(
        f"全市逐日空气质量指数（{briefing.first:%m月%d日}—{briefing.last:%m月%d日}）", fontsize=10
    )
    axes.tick_params(axis="y", labelsize=7)
    axes.legend(fontsize=7, loc="upper left")
    axes.spines[["top", "right"]].set_visible(False)
    if not briefing.air.rated:
        axes.text(0.5, 0.5, "本期无有效数据", ha="center", va="center", transform=axes.transAxes)
    return _png(figure)


def ranking_chart(briefing: Briefing) -> bytes:
    """The areas' composite index, the cleanest at the top, the bottom ones in red."""
    rows = [r for r in briefing.ranking if r.composite is not None]
    figure = _figure(7.0, max(2.0, 0.28 * len(rows) + 0.9))
    axes = figure.add_subplot(1, 1, 1)
    bottom = {r.code for r in briefing.bottom}
    names = [f"{r.rank}. {r.name}" for r in rows]
    values = [r.composite or 0.0 for r in rows]
    colours = ["#c0392b" if r.code in bottom else "#2e75b6" for r in rows]
    axes.barh(range(len(rows)), values, color=colours)
    axes.set_yticks(range(len(rows)), names, fontsize=7)
    axes.invert_yaxis()
    for y, value in enumerate(values):
        axes.text(value, y, f" {value:.2f}", va="center", fontsize=6.5)
    axes.set_xlabel("综合指数（越小越好）", fontsize=8)
    axes.tick_params(axis="x", labelsize=7)
    axes.set_title("空气质量综合指数排名", fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    if not rows:
        axes.text(0.5, 0.5, "本期无排名数据", ha="center", va="center", transform=axes.transAxes)
    return _png(figure)


def township_map(briefing: Briefing) -> bytes:
    """The areas coloured by their PM2.5 mean of the period (grey: no data), named at their
    centre; drawn from the plan's townships.geojson (or the ranked areas' outlines)."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.patches import Polygon
    from matplotlib.patheffects import withStroke

    figure = _figure(6.0, 5.0)
    axes = figure.add_subplot(1, 1, 1)
    values = [a.pm2_5 for a in briefing.map_areas if a.pm2_5 is not None]
    scale = Normalize(vmin=min(values, default=0.0), vmax=max(values, default=1.0) or 1.0)
    palette = colormaps["YlOrRd"]
    xs: list[float] = []
    ys: list[float] = []
    for area in briefing.map_areas:
        colour = palette(scale(area.pm2_5)) if area.pm2_5 is not None else "#dddddd"
        largest: list[tuple[float, float]] = []
        for polygon in area.polygons:
            outer = polygon[0]
            axes.add_patch(
                Polygon(outer, closed=True, facecolor=colour, edgecolor="#444444", lw=0.5)
            )
            xs.extend(p[0] for p in outer)
            ys.extend(p[1] for p in outer)
            if len(outer) > len(largest):
                largest = outer
        if largest:
            cx = sum(p[0] for p in largest) / len(largest)
            cy = sum(p[1] for p in largest) / len(largest)
            shown = f"{area.name}\n{area.pm2_5:.0f}" if area.pm2_5 is not None else area.name
            axes.text(
                cx,
                cy,
                shown,
                ha="center",
                va="center",
                fontsize=6,
                path_effects=[withStroke(linewidth=2, foreground="white")],
            )
    if xs:
        axes.set_xlim(min(xs), max(xs))
        axes.set_ylim(min(ys), max(ys))
    axes.set_aspect("equal")
    axes.set_axis_off()
    from matplotlib.cm import ScalarMappable

    if values:
        bar = figure.colorbar(ScalarMappable(norm=scale, cmap=palette), ax=axes, shrink=0.6)
        bar.set_label("PM2.5 µg/m³", fontsize=8)
        bar.ax.tick_params(labelsize=7)
    axes.set_title("各区域 PM2.5 平均浓度（灰色：无数据）", fontsize=10)
    return _png(figure)


def charts(briefing: Briefing) -> dict[str, bytes]:
    """Every image of the briefing, by name (the renderings place them in their sections)."""
    return {
        "daily_aqi": daily_aqi_chart(briefing),
        "ranking": ranking_chart(briefing),
        "map": township_map(briefing),
    }
