"""Regional linkage over the plan's township adjacency (seed task 42)."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from lantian.errors import InputError
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.warnings.linkage import groups, load_adjacency, parse_adjacency, regional_linkage
from lantian.warnings.rules import load_rules

PLAN = DEFAULT_PLAN_DIR
RULES = load_rules(PLAN)
ADJ = load_adjacency(PLAN)
ORANGE, RED = 3, 4


def test_adjacency_covers_every_xinmi_township_of_the_nbs_list(shared_dir: Path) -> None:
    path = shared_dir / "data" / "geo" / "zhengzhou_townships_nbs2023.csv"
    with path.open(encoding="utf-8") as handle:
        xinmi = {r["code"]: r["name"] for r in csv.DictReader(handle) if r["areaCode"] == "410183"}
    assert set(ADJ.neighbours) == set(xinmi)
    assert all(ADJ.name(code) == name for code, name in xinmi.items())
    # symmetric, and the whole city is one connected piece
    assert all(a in ADJ.neighbours[b] for a, ns in ADJ.neighbours.items() for b in ns)
    assert len(groups(xinmi, ADJ)) == 1


def test_three_contiguous_orange_townships_propose_the_city_wide_orange() -> None:
    # 曲梁 - 来集 - 城关 form a chain; 牛店 is far away
    ranks = {"410183113": ORANGE, "410183110": RED, "410183100": ORANGE, "410183102": RED}
    proposal = regional_linkage(ranks, ADJ, RULES)
    assert proposal is not None and proposal.rank == ORANGE
    assert proposal.group == ("410183100", "410183110", "410183113")
    assert "3个相邻乡镇" in proposal.reason.zh and "曲梁镇" in proposal.reason.zh


def test_scattered_townships_do_not_link() -> None:
    ranks = {"410183113": RED, "410183102": RED, "410183103": RED, "410183106": ORANGE}
    # 曲梁-大隗 border each other (2), 牛店 and 平陌 do not border each other
    assert regional_linkage(ranks, ADJ, RULES) is None
    two = dataclasses.replace(RULES, linkage_min_townships=2)
    found = regional_linkage(ranks, ADJ, two)
    assert found is not None and found.rank == ORANGE


def test_a_red_group_links_at_red_and_yellow_never_links() -> None:
    red = {"410183101": RED, "410183102": RED, "410183401": RED}
    assert regional_linkage(red, ADJ, RULES).rank == RED  # type: ignore[union-attr]
    yellow = {"410183101": 2, "410183102": 2, "410183401": 2}
    assert regional_linkage(yellow, ADJ, RULES) is None


def test_bad_adjacency_rows_are_refused() -> None:
    with pytest.raises(InputError, match="9 digits"):
        parse_adjacency("area_a,area_b\n410183100,4101\n")
    with pytest.raises(InputError, match="border itself"):
        parse_adjacency("area_a,area_b\n410183100,410183100\n")


def test_township_forecasts_feed_the_linkage() -> None:
    from datetime import datetime

    from lantian.timeutil import CHINA_TZ
    from lantian.warnings.linkage import township_ranks

    now = datetime(2017, 12, 1, 20, tzinfo=CHINA_TZ)
    orange = [250] * 30 + [320] * 10 + [250] * 40  # > 200 for 80 h with one day > 300
    forecasts = {
        "410183101": orange,  # 米村
        "410183102": orange,  # 牛店
        "410183401": [260] * 30,  # 伏羲山: blue only
        "410183103": orange,  # 平陌
        "410183113": orange,  # 曲梁, far away
    }
    ranks = township_ranks(forecasts, RULES, now)
    assert ranks == {
        "410183101": ORANGE,
        "410183102": ORANGE,
        "410183401": 2,  # 30 h > 200 -> two disjoint 24-h windows -> yellow
        "410183103": ORANGE,
        "410183113": ORANGE,
    }
    proposal = regional_linkage(ranks, ADJ, RULES)
    # 米村-牛店 and 米村-平陌 border each other: three contiguous at orange
    assert proposal is not None and proposal.rank == ORANGE
    assert proposal.group == ("410183101", "410183102", "410183103")
