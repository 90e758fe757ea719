"""GB/T 15265-94 《环境空气 降尘的测定 重量法》: a monthly sample's dust fall and its quality control.

The standard's formula (its §8)::

    M = (W1 − W0 − Wc) / (S · n) × 30 × 10⁴        t/(km²·30 d)

with W1 − W0 the mass of dust collected (g), Wc the blank's (g), S the collector's mouth area
(cm²) and n the days of exposure; 1 g/cm² is 10⁴ t/km², and × 30 / n scales the exposure to a
30-day month. The collector (集尘缸) is exchanged monthly, "(30±2) d" (its §6): an exposure outside
those days is not a monthly sample. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

#: GB/T 15265 §6: the collector is exchanged every (30±2) days.
EXPOSURE_DAYS = (28, 32)
#: Contamination found when the sample is taken in (the field sheet's remark): value → label and
#: whether the sample stays valid. Insects or leaves are picked out with tweezers (GB/T 15265 §7)
#: and the sample stands; bird droppings, tampering or an overflowing collector spoil it.
CONTAMINATION: Mapping[str, tuple[str, bool]] = {
    "none": ("无", True),
    "removed": ("昆虫、树叶等异物已剔除", True),
    "bird": ("鸟粪污染", False),
    "tampered": ("人为干扰", False),
    "overflow": ("集尘缸溢出", False),
}


def dust_fall(mass_g: float, blank_g: float, area_cm2: float, days: int) -> float:
    """t/(km²·30 d) of a sample (GB/T 15265 §8), rounded to 0.01 as the monthly report gives it."""
    if area_cm2 <= 0 or days <= 0:
        raise ValueError("collector area and exposure days must be positive")
    return round((mass_g - blank_g) / (area_cm2 * days) * 30 * 1e4, 2)


@dataclass(frozen=True)
class Verdict:
    """A sample's quality control: valid or not, with every reason it is not (Chinese)."""

    valid: bool
    days: int
    reasons: tuple[str, ...]
    #: What the field sheet noted that leaves the sample valid (insects picked out).
    notes: tuple[str, ...] = ()

    @property
    def remark(self) -> str:
        if not self.valid:
            return "无效：" + "；".join(self.reasons)
        return "有效" + (f"（{'；'.join(self.notes)}）" if self.notes else "")


def judge(
    *,
    start: date,
    end: date,
    mass_g: float,
    blank_g: float,
    container_intact: bool,
    blank_ok: bool,
    contamination: str,
) -> Verdict:
    """The QC verdict of a sample: exposure days within (30±2) d, the collector intact, the blank
    within its limit, no contamination that spoils it, more dust than the blank."""
    days = (end - start).days
    reasons = []
    low, high = EXPOSURE_DAYS
    if not low <= days <= high:
        reasons.append(f"暴露 {days} 天，不在 {low}～{high} 天内")
    if not container_intact:
        reasons.append("集尘缸破损或渗漏")
    if not blank_ok:
        reasons.append("空白试验不合格")
    notes = []
    label, keeps = CONTAMINATION.get(contamination, (contamination, False))
    if not keeps:
        reasons.append(label)
    elif contamination != "none":
        notes.append(label)
    if mass_g <= blank_g:
        reasons.append("样品质量不大于空白")
    return Verdict(not reasons, days, tuple(reasons), tuple(notes))
