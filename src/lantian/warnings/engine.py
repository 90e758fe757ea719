"""Episode lifecycle: propose issue, upgrade, downgrade or lift, with reasons (seed task 40).

Pure. At an hour ``now`` the engine reads the observed rolling-24-h AQI up to ``now`` and a
forecast for the hours after it, knows the level in force, and proposes at most one change. A
person decides (warnings are decisions people take); the replay accepts every proposal.

Rules applied (spec §4.2, settings in :class:`~lantian.warnings.rules.WarningRules`):

* **Level**: the plan's clauses on the forecast (:func:`~lantian.warnings.rules.grade_stretch`).
* **Lift**: only when the forecast shows AQI <= 150 for the next 36 hours (inclusive by default;
  a missing hour is never clean), seed task 40.
* **Merge**: the forecast is cut into episodes only at clean stretches that would allow a lifting;
  a gap shorter than that joins two episodes into one, graded at the stricter level.
* **Early start / raise**: observed AQI > 200 and no clear improvement in the next 12 hours ->
  start or raise at once, counting the heavy days already observed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from lantian.timeutil import CHINA_TZ
from lantian.warnings.rules import (
    NO_GRADE,
    Grade,
    Series,
    WarningRules,
    bridge_missing,
    grade_stretch,
    runs,
)

HOUR = timedelta(hours=1)


class Action(StrEnum):
    ISSUE = "issue"
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    LIFT = "lift"


ACTION_ZH = {
    Action.ISSUE: "发布",
    Action.UPGRADE: "升级",
    Action.DOWNGRADE: "降级",
    Action.LIFT: "解除",
}


@dataclass(frozen=True)
class Reason:
    """One sentence of explanation: which rule, which numbers, in Chinese and English."""

    rule: str
    zh: str
    en: str


@dataclass(frozen=True)
class Proposal:
    """A change the engine proposes; a person with the right role decides."""

    action: Action
    at: datetime
    from_rank: int
    to_rank: int
    rule: str
    reasons: tuple[Reason, ...]
    grade: Grade
    episode_start: datetime | None = None

    def text(self, rules: WarningRules, lang: str = "zh") -> str:
        zh = lang == "zh"
        head = (
            f"建议{ACTION_ZH[self.action]}：{rules.name_of(self.from_rank)} → {rules.name_of(self.to_rank)}"
            if zh
            else f"proposed {self.action.value}: {rules.name_of(self.from_rank, 'en')} -> "
            f"{rules.name_of(self.to_rank, 'en')}"
        )
        body = (
            "；".join(r.zh for r in self.reasons) if zh else "; ".join(r.en for r in self.reasons)
        )
        return f"{head}（{body}）" if zh else f"{head} ({body})"


@dataclass(frozen=True)
class Assessment:
    """Everything the engine found at one hour, whether or not it proposes a change."""

    at: datetime
    active_rank: int
    proposed_rank: int
    forecast_grade: Grade
    early_start: bool
    clean_lead_hours: int
    lift_condition_met: bool
    proposal: Proposal | None
    notes: tuple[Reason, ...] = field(default_factory=tuple)


def cn_hour(moment: datetime) -> str:
    """Short Chinese hour label in CST, e.g. ``1月3日14时``."""
    local = moment.astimezone(CHINA_TZ)
    return f"{local.month}月{local.day}日{local.hour}时"


def en_hour(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%m-%d %H:00 CST")


def leading_clean_hours(values: Series, clean_aqi: int) -> int:
    """Hours from the start of the forecast with a known AQI at or below ``clean_aqi``."""
    count = 0
    for value in values:
        if value is None or value > clean_aqi:
            break
        count += 1
    return count


def first_segment(values: Series, rules: WarningRules) -> tuple[list[int | None], int]:
    """The forecast up to the first clean stretch long enough to lift, and where it ends.

    Two heavy stretches not separated by such a gap belong to one episode (seed task 40 merge).
    """
    clean = runs([v is not None and v <= rules.clean_aqi for v in values])
    for start, length in clean:
        if length >= rules.min_clean_hours:
            return list(values[:start]), start
    return list(values), len(values)


def segments(values: Series, rules: WarningRules) -> list[tuple[int, list[int | None]]]:
    """All episodes' stretches (offset, values), cut at clean stretches long enough to lift."""
    out: list[tuple[int, list[int | None]]] = []
    offset = 0
    rest = list(values)
    while rest:
        part, cut = first_segment(rest, rules)
        if any(v is not None and v > rules.heavy_aqi for v in part):
            out.append((offset, part))
        clean = leading_clean_hours(rest[cut:], rules.clean_aqi)
        step = cut + max(clean, 1)
        offset += step
        rest = rest[step:]
    return out


def grade_episode(values: Series, rules: WarningRules) -> Grade:
    """Grade one (possibly merged) episode per ``merging.level``."""
    if rules.merge_level == "combined_days":
        heavy = [v for v in values if v is not None and v > rules.heavy_aqi]
        first = next(i for i, v in enumerate(values) if v is not None and v > rules.heavy_aqi)
        grade = grade_stretch(heavy, rules)
        if grade.start is None or grade.end is None:
            return grade
        return Grade(
            grade.rank,
            grade.clause,
            grade.heavy_days,
            grade.severe_days,
            grade.severe_consecutive_days,
            grade.peak,
            grade.heavy_hours,
            first,
            first + grade.end,
        )
    return grade_stretch(values, rules)


def _trailing_heavy(observed: Series, rules: WarningRules) -> list[int | None]:
    out: list[int | None] = []
    for value in reversed(observed):
        if value is None or value <= rules.heavy_aqi:
            break
        out.append(value)
    out.reverse()
    return out


def _level_reason(
    grade: Grade, rules: WarningRules, now: datetime, what_zh: str, what_en: str
) -> Reason:
    level = rules.level(grade.rank)
    assert level is not None and grade.clause is not None and grade.start is not None
    clause_zh, clause_en = grade.clause.describe(rules)
    start = now + HOUR * (grade.start + 1)
    severe = (
        f"，>{rules.severe_aqi}的{grade.severe_days}天（最长连续{grade.severe_consecutive_days}天）"
        if grade.severe_days
        else ""
    )
    severe_en = (
        f", > {rules.severe_aqi} on {grade.severe_days} day(s) (longest run "
        f"{grade.severe_consecutive_days})"
        if grade.severe_days
        else ""
    )
    return Reason(
        f"level.{level.key}",
        f"{what_zh}滚动24小时AQI>{rules.heavy_aqi}持续{grade.heavy_days}天（{grade.heavy_hours}小时，"
        f"自{cn_hour(start)}起）{severe}，峰值{grade.peak}，满足{level.name_zh}条件（{clause_zh}）",
        f"{what_en} rolling 24-h AQI > {rules.heavy_aqi} for {grade.heavy_days} day(s) "
        f"({grade.heavy_hours} h from {en_hour(start)}){severe_en}, peak {grade.peak}: meets the "
        f"{level.name_en} condition ({clause_en})",
    )


def assess(
    now: datetime,
    observed: Series,
    forecast: Series,
    rules: WarningRules,
    active_rank: int = 0,
) -> Assessment:
    """Assess one hour. ``observed`` ends at ``now``; ``forecast[i]`` is for ``now + (i+1) h``.

    Both are rolling-24-h AQI values (``None`` = missing); for 24-h block forecasts pass
    :func:`~lantian.warnings.rules.expand_blocks` of the blocks.
    """
    notes: list[Reason] = []
    missing = sum(1 for v in forecast if v is None)
    fc = bridge_missing(forecast, rules.bridge_missing_hours)
    if missing:
        filled = missing - sum(1 for v in fc if v is None)
        notes.append(
            Reason(
                "forecast.missing",
                f"预报缺{missing}小时，其中{filled}小时（缺口≤{rules.bridge_missing_hours}小时）按相邻较高值补齐，"
                "其余不计为达标时段",
                f"{missing} forecast hour(s) missing; {filled} in gaps of at most "
                f"{rules.bridge_missing_hours} h took the higher neighbour, the rest never count "
                "as clean",
            )
        )

    clean_lead = leading_clean_hours(fc, rules.clean_aqi)
    lift_ok = clean_lead >= rules.min_clean_hours

    # The forecast's episode: the first stretch up to a lifting-length clean gap.
    part, _cut = first_segment(fc, rules)
    if active_rank == 0:
        # Nothing in force: the next episode is the first stretch with heavy hours, wherever it is.
        # Padding with None keeps indices relative to ``now`` (None never counts as heavy).
        found = segments(fc, rules)
        part = [*([None] * found[0][0]), *found[0][1]] if found else []
    fc_grade = grade_episode(part, rules) if part else NO_GRADE
    first_heavy = next(
        (i for i, v in enumerate(part) if v is not None and v > rules.heavy_aqi), None
    )
    lead_too_long = first_heavy is not None and first_heavy >= rules.max_issue_lead_hours
    if fc_grade.rank and active_rank == 0 and first_heavy is not None and lead_too_long:
        notes.append(
            Reason(
                "forecast.lead",
                f"预报{cn_hour(now + HOUR * (first_heavy + 1))}起出现重污染，距今超过"
                f"{rules.max_issue_lead_hours}小时，暂不建议发布",
                f"heavy pollution forecast from {en_hour(now + HOUR * (first_heavy + 1))}, "
                f"more than {rules.max_issue_lead_hours} h ahead: not proposed yet",
            )
        )
        fc_grade = NO_GRADE

    # Early start: observed already heavy and no clear improvement in the next hours.
    early = False
    early_grade = NO_GRADE
    obs_now = observed[-1] if observed else None
    if rules.early_start_enabled and obs_now is not None and obs_now > rules.early_observed_aqi:
        horizon = fc[: rules.early_horizon_hours]
        improved = [v for v in horizon if v is not None and v <= rules.early_improved_aqi]
        if not improved:
            early = True
            known = [v for v in horizon if v is not None]
            lowest = min(known) if known else None
            trail = _trailing_heavy(observed, rules) if rules.early_count_observed_days else []
            first_heavy = -len(trail) if trail else first_heavy
            early_grade = grade_episode([*trail, *part], rules) if trail else fc_grade
            rank = max(early_grade.rank, rules.lowest_rank)
            offset = len(trail)
            early_grade = Grade(
                rank,
                early_grade.clause,
                early_grade.heavy_days,
                early_grade.severe_days,
                early_grade.severe_consecutive_days,
                early_grade.peak,
                early_grade.heavy_hours,
                None if early_grade.start is None else early_grade.start - offset,
                None if early_grade.end is None else early_grade.end - offset,
            )
            shown = "无预报" if lowest is None else f"预报最低{lowest}"
            shown_en = "no forecast" if lowest is None else f"lowest forecast {lowest}"
            notes.append(
                Reason(
                    "early_start",
                    f"监测AQI已达{obs_now}（>{rules.early_observed_aqi}，重度污染），未来"
                    f"{rules.early_horizon_hours}小时{shown}，无明显改善（未降至≤{rules.early_improved_aqi}），"
                    f"应尽早启动或升级预警（已观测重污染{len(trail)}小时计入）",
                    f"observed AQI {obs_now} (> {rules.early_observed_aqi}, heavy) and {shown_en} in "
                    f"the next {rules.early_horizon_hours} h: no clear improvement (never <= "
                    f"{rules.early_improved_aqi}); start or raise at once ({len(trail)} observed "
                    "heavy hour(s) counted)",
                )
            )

    proposed = max(fc_grade.rank, early_grade.rank)
    use_early = early_grade.rank > fc_grade.rank
    grade = early_grade if use_early else fc_grade

    def level_reasons() -> list[Reason]:
        out: list[Reason] = []
        if grade.clause is not None and grade.start is not None:
            what = ("监测与预报", "observed and forecast") if use_early else ("预报", "forecast")
            out.append(_level_reason(grade, rules, now, *what))
        return out

    def make(action: Action, to_rank: int, rule: str, reasons: list[Reason]) -> Proposal:
        start = None if first_heavy is None else now + HOUR * (first_heavy + 1)
        return Proposal(
            action, now, active_rank, to_rank, rule, tuple(reasons + notes), grade, start
        )

    if active_rank and not lift_ok and (clean_lead or proposed < active_rank):
        notes.append(_hold_reason(clean_lead, rules))
    proposal: Proposal | None = None
    rule_of_level = "early_start" if use_early else f"level.{_key(rules, proposed)}"
    if active_rank == 0:
        if proposed > 0:
            proposal = make(Action.ISSUE, proposed, rule_of_level, level_reasons())
    elif lift_ok and not early and _next_episode_within_lead(fc, rules):
        # Lifting now would be followed by a new issue at once: keep the warning (no flapping).
        notes.append(
            Reason(
                "lift.next_episode",
                f"未来{clean_lead}小时虽达到解除条件，但{rules.max_issue_lead_hours}小时内预报新的重污染过程，维持预警",
                f"the next {clean_lead} h meet the lifting condition, but a new heavy episode is "
                f"forecast within {rules.max_issue_lead_hours} h: warning kept",
            )
        )
    elif lift_ok and not early:
        proposal = make(
            Action.LIFT,
            0,
            "lift.clean_hours",
            [
                Reason(
                    "lift.clean_hours",
                    f"预报未来{clean_lead}小时AQI均≤{rules.clean_aqi}（轻度污染及以下），达到持续"
                    f"{rules.clean_hours}小时{'及' if rules.clean_hours_inclusive else ''}以上的解除条件",
                    f"forecast AQI <= {rules.clean_aqi} (light pollution or better) for the next "
                    f"{clean_lead} h: meets the lifting condition ("
                    f"{'at least' if rules.clean_hours_inclusive else 'more than'} "
                    f"{rules.clean_hours} h)",
                )
            ],
        )
    elif proposed > active_rank:
        proposal = make(Action.UPGRADE, proposed, rule_of_level, level_reasons())
    elif proposed < active_rank and proposed > 0 and rules.allow_downgrade:
        reasons = level_reasons()
        reasons.append(
            Reason(
                "downgrade",
                f"预报仅满足{rules.name_of(proposed)}条件，低于现行{rules.name_of(active_rank)}",
                f"the forecast meets only the {rules.name_of(proposed, 'en')} condition, below "
                f"the {rules.name_of(active_rank, 'en')} in force",
            )
        )
        proposal = make(Action.DOWNGRADE, proposed, "downgrade", reasons)
    return Assessment(
        now, active_rank, proposed, fc_grade, early, clean_lead, lift_ok, proposal, tuple(notes)
    )


def _next_episode_within_lead(values: Series, rules: WarningRules) -> bool:
    found = segments(values, rules)
    if not found:
        return False
    offset, part = found[0]
    first = next(i for i, v in enumerate(part) if v is not None and v > rules.heavy_aqi)
    return offset + first < rules.max_issue_lead_hours


def _key(rules: WarningRules, rank: int) -> str:
    level = rules.level(rank)
    return level.key if level else "none"


def _hold_reason(clean_lead: int, rules: WarningRules) -> Reason:
    return Reason(
        "merge.hold",
        f"预报AQI≤{rules.clean_aqi}仅持续{clean_lead}小时，未达到{rules.clean_hours}小时的解除条件；"
        "前后污染过程按一次过程处理，维持现行级别",
        f"forecast AQI <= {rules.clean_aqi} lasts only {clean_lead} h, short of the "
        f"{rules.clean_hours}-h lifting condition: the episodes count as one, level kept",
    )


def apply(active_rank: int, proposal: Proposal | None) -> int:
    """The level in force after accepting a proposal (used by the replay)."""
    return active_rank if proposal is None else proposal.to_rank


__all__ = [
    "Action",
    "Assessment",
    "Proposal",
    "Reason",
    "apply",
    "assess",
    "first_segment",
    "grade_episode",
    "leading_clean_hours",
    "segments",
]
