"""``lantian warn``: replay the warning rules over history (issue 7); thin over the package."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from lantian.auth.cli import BY_OPTION, cli_actor
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions as _sessions
from lantian.errors import InputError
from lantian.plan import plan_in_force
from lantian.timeutil import CHINA_TZ
from lantian.warnings.engine import ACTION_ZH, Action, Proposal
from lantian.warnings.forecast import (
    Forecaster,
    FromIssues,
    Perfect,
    Persistence,
    SeasonalDiurnalPersistence,
    Skill,
    daily_skill,
    parse_forecast_csv,
)
from lantian.warnings.replay import CitySeries, ReplayResult, load_city, replay
from lantian.warnings.rules import WarningRules, load_rules, plan_rules
from lantian.warnings.service import (
    active_warning,
    assess_now,
    city_series_from_db,
    decide_and_notify,
    import_forecasts,
)

warn_app = typer.Typer(help="重污染天气预警 / heavy-pollution warnings", no_args_is_help=True)
console = Console()
BUILTIN = ("perfect", "persistence", "seasonal")


def _rules(rules_file: Path | None) -> WarningRules:
    return load_rules(rules_file) if rules_file else plan_rules(plan_in_force())


def forecaster_for(choice: str, series: CitySeries) -> Forecaster:
    """``perfect`` | ``persistence`` | ``seasonal`` | a forecast CSV file for the area."""
    if choice == "perfect":
        return Perfect(series.rolling_aqi)
    if choice == "persistence":
        return Persistence(series.rolling_aqi)
    if choice == "seasonal":
        return SeasonalDiurnalPersistence(series.rolling_aqi, series.times)
    path = Path(choice)
    if not path.is_file():
        raise InputError(
            f"--forecast {choice!r}: 应为 perfect、persistence、seasonal 或预报CSV文件 / must be "
            "perfect, persistence, seasonal or a forecast CSV file"
        )
    issues = parse_forecast_csv(path.read_bytes(), path.name)
    return FromIssues(issues, series.area, series.times, name=path.name)


def _fmt(moment: datetime | None) -> str:
    return "—" if moment is None else moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:00")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _change(p: Proposal, rules: WarningRules) -> str:
    level = "" if p.action == Action.LIFT else rules.name_of(p.to_rank).removesuffix("预警")
    return f"{p.at.astimezone(CHINA_TZ):%m-%d %H时}{ACTION_ZH[p.action]}{level}"


def print_replay(result: ReplayResult, rules: WarningRules, reasons: bool) -> None:
    table = Table(
        title=f"{result.area} 预警回放 / warning replay ({result.forecaster}) "
        f"{_fmt(result.first)} … {_fmt(result.last)}",
    )
    for column in ("#", "发布 issued", "解除 lifted", "最高级别 level", "峰值 peak AQI"):
        table.add_column(column)
    for n, episode in enumerate(result.episodes, start=1):
        table.add_row(
            str(n),
            _fmt(episode.start),
            _fmt(episode.end) if episode.end else "未解除 ongoing",
            f"{rules.name_of(episode.max_rank)}\n{rules.name_of(episode.max_rank, 'en')}",
            f"{episode.peak_rolling_aqi}\n{_fmt(episode.peak_at)}",
        )
    console.print(table)
    for n, episode in enumerate(result.episodes, start=1):
        console.print(
            f"[bold]#{n}[/bold] " + " → ".join(_change(p, rules) for p in episode.changes)
        )
        shown = episode.changes if reasons else episode.changes[:1]
        for p in shown:
            console.print(f"   {_change(p, rules)}：" + "；".join(r.zh for r in p.reasons))
            console.print("   " + "; ".join(r.en for r in p.reasons), style="dim")
    s = result.summary
    levels = "，".join(
        f"{rules.name_of(rank)}{count}次" for rank, count in sorted(s.episodes_by_level.items())
    )
    console.print(
        f"小结 / summary: {len(result.episodes)} 次预警过程 episodes（{levels or '无'}）；"
        f"预警时长 warning hours {s.warning_hours}/{s.hours}；"
        f"重污染日（日AQI>{rules.heavy_aqi}）heavy days {s.heavy_days}，其中处于预警中 warned "
        f"{s.heavy_days_warned}；建议次数 proposals {s.changes}"
    )


def print_skill(skills: list[Skill]) -> None:
    table = Table(title="预报技巧（日AQI>200，提前24小时）/ skill for days above 200, 24 h ahead")
    for column in (
        "预报 forecaster",
        "天数 days",
        "命中 hits",
        "漏报 miss",
        "空报 false",
        "命中率 POD",
        "空报率 FAR",
        "误警率 POFD",
    ):
        table.add_column(column)
    for k in skills:
        table.add_row(
            k.forecaster,
            str(k.days),
            str(k.hits),
            str(k.misses),
            str(k.false_alarms),
            _pct(k.hit_rate),
            _pct(k.false_alarm_ratio),
            _pct(k.false_alarm_rate),
        )
    console.print(table)


@warn_app.command("replay")
def replay_command(
    date_from: datetime = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="first day (CST)"),
    date_to: datetime = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="last day (CST)"),
    area: str = typer.Option(
        "郑州", "--area", help="city name in the station list, or station codes"
    ),
    forecast: str = typer.Option(
        "perfect", "--forecast", help="perfect | persistence | seasonal | forecast CSV file"
    ),
    data: Path | None = typer.Option(
        None,
        "--data",
        help="CNEMC data folder or file (e.g. ../shared/data/cnemc); default: the database",
    ),
    stations: Path | None = typer.Option(None, "--stations", help="CNEMC station list CSV"),
    rules_file: Path | None = typer.Option(
        None, "--rules", help="warning_rules.toml (default: plan)"
    ),
    horizon: int = typer.Option(120, "--horizon", help="forecast hours handed to the engine"),
    reasons: bool = typer.Option(False, "--reasons", help="print every reason of each issue"),
) -> None:
    """按小时回放预警规则 / Replay the warning rules hour by hour over history, as if live."""
    rules = _rules(rules_file)
    first_day, last_day = date_from.date(), date_to.date()
    if last_day < first_day:
        raise InputError("--to 早于 --from / --to is before --from")
    if data is not None:
        series = load_city(data, area, first_day, last_day, stations)
    else:
        with _sessions()() as session:
            series = city_series_from_db(session, area, first_day, last_day)
    first = datetime.combine(first_day, time(1), CHINA_TZ)
    last = datetime.combine(last_day + timedelta(days=1), time(0), CHINA_TZ)
    chosen = forecaster_for(forecast, series)
    result = replay(series, chosen, rules, first, last, horizon)
    print_replay(result, rules, reasons)
    start, stop = series.index_of(result.first), series.index_of(result.last) + 1
    skills = [
        daily_skill(f, series.rolling_aqi, series.times, rules.heavy_aqi, 24, start, stop)
        for f in (chosen, *(forecaster_for(b, series) for b in BUILTIN if b != forecast))
    ]
    print_skill(skills)


# --- database commands (the CLI runs with the machine's full rights, as the other groups do) ------


@warn_app.command("import-forecasts")
def import_forecasts_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="forecast CSV"),
    by: str | None = BY_OPTION,
) -> None:
    """导入预报（每个发布版本都保留）/ Import a forecast CSV; every issued version is kept."""
    who = Principal(cli_actor(by), "administrator")
    with transaction(_sessions()) as session:
        result = import_forecasts(session, who, path.read_text("utf-8"), path.name)
    console.print(
        f"预报版本 issued versions: +{result.new_issues} 新增 new, +{result.revisions} 修订 "
        f"revisions, {result.unchanged} 未变 unchanged; {result.values} 个预报值 values"
    )


@warn_app.command("decide")
def decide_command(
    action: str = typer.Argument(..., help="issue | upgrade | downgrade | lift"),
    level: str | None = typer.Option(None, "--level", help="blue / yellow / orange / red"),
    areas: str = typer.Option(..., "--areas", help="comma-separated 9-digit township codes"),
    reason: str = typer.Option(..., "--reason", help="why (kept with the decision and audited)"),
    scope: str | None = typer.Option(None, "--scope", help="default: the plan's city code"),
    rules_file: Path | None = typer.Option(None, "--rules", help="warning_rules.toml"),
    notify: bool = typer.Option(True, "--notify/--no-notify", help="send e-mail and webhooks"),
    by: str | None = BY_OPTION,
) -> None:
    """发布、升级、降级或解除预警 / Issue, upgrade, downgrade or lift a warning."""
    from lantian.warnings.notify import NotifySettings  # httpx, smtplib: when sending

    rules = _rules(rules_file)
    who = Principal(cli_actor(by), "administrator")
    decision, deliveries = decide_and_notify(
        _sessions(),
        who,
        rules,
        NotifySettings() if notify else None,
        action=action,
        scope=scope or rules.city_code,
        areas=[a.strip() for a in areas.split(",") if a.strip()],
        reason=reason,
        level=level,
    )
    console.print(decision.notice_text)
    for sent in deliveries:
        mark = "[green]✓[/green]" if sent.ok else "[red]✗[/red]"
        console.print(f"{mark} {sent.channel} {sent.target}: {sent.detail}")
    if notify and not deliveries:
        console.print(
            "[red]通知 0：未配置收件人（LANTIAN_WARNING_MAIL_TO、LANTIAN_WARNING_WEBHOOK_URLS）/ "
            "notices 0: no recipient is configured[/red]"
        )


@warn_app.command("notice")
def notice_command(
    decision_id: int = typer.Argument(..., help="the decision's number (#)"),
    docx: Path | None = typer.Option(None, "--docx", help="write the notice as Word here"),
    pdf: Path | None = typer.Option(None, "--pdf", help="write the notice as PDF here"),
) -> None:
    """预警通知全文，可存为 Word/PDF / A decision's notice, its deliveries, as Word or PDF."""
    from lantian.warnings.documents import notice_docx, notice_pdf
    from lantian.warnings.service import decision_deliveries, get_decision

    with _sessions()() as session:
        decision = get_decision(session, decision_id)
        deliveries = decision_deliveries(session, decision_id)
        text = decision.notice_text
    console.print(text)
    for sent in deliveries:
        mark = "[green]✓[/green]" if sent.ok else "[red]✗[/red]"
        console.print(f"{mark} {sent.channel} {sent.target}: {sent.detail}")
    if not deliveries:
        console.print("通知 0：未发送（未配置收件人或 --no-notify）/ notices 0: none was sent")
    if docx is not None:
        docx.write_bytes(notice_docx(text))
        console.print(f"Word: {docx}")
    if pdf is not None:
        pdf.write_bytes(notice_pdf(text))
        console.print(f"PDF: {pdf}")


@warn_app.command("status")
def status_command(
    scope: str | None = typer.Option(None, "--scope", help="default: the plan's city code"),
    rules_file: Path | None = typer.Option(None, "--rules", help="warning_rules.toml"),
) -> None:
    """当前预警 / The warning in force."""
    rules = _rules(rules_file)
    chosen = scope or rules.city_code
    with _sessions()() as session:
        view = active_warning(session, rules, chosen)
    if view is None:
        console.print(f"{chosen}: 无预警 / no warning in force")
        return
    console.print(
        f"{chosen}: {view.name_zh} {view.name_en}（{view.response_zh}），自 since {_fmt(view.since)}；"
        f"范围 areas: {view.areas_text}；{view.reason}"
    )


@warn_app.command("assess")
def assess_command(
    area: str = typer.Option("郑州", "--area", help="city whose stored observations are used"),
    at: datetime | None = typer.Option(
        None, "--at", formats=["%Y-%m-%dT%H:%M"], help="hour (CST), default: newest stored hour"
    ),
    forecast_area: str | None = typer.Option(None, "--forecast-area", help="default: --area"),
    scope: str | None = typer.Option(None, "--scope", help="default: the plan's city code"),
    rules_file: Path | None = typer.Option(None, "--rules", help="warning_rules.toml"),
) -> None:
    """按当前数据给出建议 / What the engine proposes now, from stored observations and forecasts."""
    rules = _rules(rules_file)
    moment = at.replace(tzinfo=CHINA_TZ) if at else None
    with _sessions()() as session:
        live = assess_now(session, rules, area, moment, forecast_area, scope)
    result = live.assessment
    console.print(
        f"{_fmt(result.at)} 观测滚动AQI observed {live.observed_now}；预报 forecast: "
        f"{live.forecast_name}；现行 in force: {rules.name_of(result.active_rank)}"
    )
    if result.proposal is None:
        console.print("无变更建议 / no change proposed")
    else:
        console.print(result.proposal.text(rules))
        console.print(result.proposal.text(rules, "en"), style="dim")
    for note in result.notes if result.proposal is None else ():
        console.print(f"· {note.zh}")
        console.print(f"  {note.en}", style="dim")


@warn_app.command("linkage")
def linkage_command(
    at: datetime | None = typer.Option(
        None, "--at", formats=["%Y-%m-%dT%H:%M"], help="hour (CST), default: now (the clock)"
    ),
    rules_file: Path | None = typer.Option(None, "--rules", help="warning_rules.toml"),
    adopt: bool = typer.Option(
        False, "--adopt", help="record the proposed city-wide warning (a decision, audited)"
    ),
    notify: bool = typer.Option(True, "--notify/--no-notify", help="send e-mail and webhooks"),
    by: str | None = BY_OPTION,
) -> None:
    """区域联动建议 / The regional linkage (task 42) from the township forecasts stored."""
    from lantian.warnings.linkage import plan_adjacency
    from lantian.warnings.notify import NotifySettings  # httpx, smtplib: when sending
    from lantian.warnings.regional import adoption, linkage_snapshot, regional_outlook

    plan = plan_in_force()
    rules = load_rules(rules_file) if rules_file else plan_rules(plan)
    moment = at.replace(tzinfo=CHINA_TZ) if at else None
    with _sessions()() as session:
        outlook = regional_outlook(session, rules, plan_adjacency(plan), plan.area_names(), moment)
    table = Table(
        title=f"乡镇预报 township forecasts · {_fmt(outlook.at)} +{outlook.horizon_hours}h"
    )
    table.add_column("乡镇 township")
    for day in outlook.days:
        table.add_column(f"{day:%m-%d}", justify="right")
    table.add_column("预报级别 level")
    table.add_column("预报 forecast")
    for township in outlook.townships:
        table.add_row(
            township.name,
            *("—" if peak is None else str(peak) for peak in township.daily_peak),
            rules.name_of(township.rank) if township.has_forecast else "—",
            f"{township.source} {_fmt(township.issued_at)}" if township.issued_at else "无 none",
        )
    console.print(table)
    missing = outlook.without_forecast
    if missing:
        console.print(
            f"无预报 no forecast ({len(missing)}): " + "、".join(t.name for t in missing),
            style="yellow",
        )
    proposal = outlook.proposal
    if proposal is None:
        console.print("无区域联动建议 / no regional linkage proposed")
        return
    console.print(proposal.reason.zh)
    console.print(proposal.reason.en, style="dim")
    if outlook.action is None:
        console.print(
            f"现行{rules.name_of(outlook.in_force_rank)}已不低于建议级别 / the warning in force is "
            "already at this level or above"
        )
        return
    fields = adoption(outlook, rules)
    assert fields is not None  # a proposal with an action to take
    if not adopt:
        console.print(
            f"建议：全市{ACTION_ZH[Action(outlook.action)]}{rules.name_of(proposal.rank)}，"
            f"采纳请加 --adopt / proposed: {outlook.action} the city-wide "
            f"{rules.name_of(proposal.rank, 'en')}; add --adopt to record it"
        )
        return
    decision, deliveries = decide_and_notify(
        _sessions(),
        Principal(cli_actor(by), "administrator"),
        rules,
        NotifySettings() if notify else None,
        scope=rules.city_code,
        proposal=linkage_snapshot(outlook),
        area_names=plan.area_names(),
        **fields,
    )
    console.print(decision.notice_text)
    for sent in deliveries:
        mark = "[green]✓[/green]" if sent.ok else "[red]✗[/red]"
        console.print(f"{mark} {sent.channel} {sent.target}: {sent.detail}")
