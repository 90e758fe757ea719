"""GB/T 15265's formula and the QC verdict of a monthly sample (pure: no database)."""

from __future__ import annotations

from datetime import date

import pytest

from lantian.dustfall.method import dust_fall, judge


def test_the_formula_gives_tonnes_per_square_kilometre_and_thirty_days() -> None:
    # 0.1 g on 176.71 cm² in 30 days: 0.1 / 176.71 g/cm² × 10⁴ = 5.66 t/km²
    assert dust_fall(0.1012, 0.0012, 176.71, 30) == 5.66
    # the same dust over 31 days is scaled to 30
    assert dust_fall(0.095, 0.0, 100.0, 31) == round(0.095 / 3100 * 30e4, 2) == 9.19
    with pytest.raises(ValueError):
        dust_fall(0.1, 0.0, 0.0, 30)


def _verdict(**changes: object) -> tuple[bool, int, tuple[str, ...]]:
    given: dict[str, object] = {
        "start": date(2017, 11, 1),
        "end": date(2017, 12, 1),
        "mass_g": 0.1,
        "blank_g": 0.001,
        "container_intact": True,
        "blank_ok": True,
        "contamination": "none",
    }
    given.update(changes)
    verdict = judge(**given)  # type: ignore[arg-type]
    return verdict.valid, verdict.days, verdict.reasons


def test_each_qc_failure_is_named_and_insects_picked_out_keep_a_sample() -> None:
    assert _verdict() == (True, 30, ())
    assert _verdict(contamination="removed")[0] is True
    kept = judge(start=date(2017, 11, 1), end=date(2017, 12, 1), mass_g=0.1, blank_g=0.0,
                 container_intact=True, blank_ok=True, contamination="removed")  # fmt: skip
    assert kept.remark == "有效（昆虫、树叶等异物已剔除）"
    assert _verdict(end=date(2017, 11, 28))[:2] == (False, 27)
    assert _verdict(end=date(2017, 12, 3))[:2] == (True, 32)
    assert _verdict(end=date(2017, 12, 4))[:2] == (False, 33)
    assert _verdict(container_intact=False)[2] == ("集尘缸破损或渗漏",)
    assert _verdict(blank_ok=False)[2] == ("空白试验不合格",)
    assert _verdict(contamination="bird")[2] == ("鸟粪污染",)
    assert _verdict(mass_g=0.001)[2] == ("样品质量不大于空白",)
    both = _verdict(container_intact=False, contamination="overflow")
    assert both[0] is False and len(both[2]) == 2
