"""``lantian weather …``: weather observations and the effect of the measures net of weather.

``import FILE`` imports a station CSV/.xlsx of hourly weather (all rows or none; the upload kept);
``template [FILE]`` writes the empty template; ``normalise`` computes the observed and the
weather-normalised change of a pollutant over a period against the period a year before — from
the stored measurements and weather, or with ``--uci-file`` straight from UCI Beijing multi-site
files (no database).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lantian.auth import service as accounts
from lantian.auth.cli import cli_actor
from lantian.auth.permissions import Principal
from lantian.cli import report_error
from lantian.config import get_settings
from lantian.db.engine import transaction
from lantian.db_cli import current_sessions
from lantian.errors import Invalid, NotFound, ServiceError
from lantian.files import FileStore
from lantian.plan import plan_in_force
from lantian.tabular import Rejected, template_bytes
from lantian.weather import service
from lantian.weather.imports import WEATHER_SPEC, import_weather
from lantian.weather.normalise import Normalisation, normalise

weather_app = typer.Typer(
    help="气象数据与气象归一化 / weather data and the effect of the measures net of weather.",
    no_args_is_help=True,
)
console = Console()


def _fail(error: ServiceError) -> typer.Exit:
    if isinstance(error, Rejected):
        err = Console(stderr=True)
        err.print(f"[red]错误 / error:[/red] {escape(error.message.split(chr(10), 1)[0])}")
        for problem in error.problems:
            err.print(f"  {escape(str(problem))}")
        return typer.Exit(error.exit_code)
    return typer.Exit(report_error(error))


@weather_app.command("template")
def template(
    path: Path | None = typer.Argument(None, metavar="[FILE]", help=".xlsx (default) or .csv"),
) -> None:
    """空白模板 / Write the empty template of a weather file."""
    target = path or Path("weather-template.xlsx")
    target.write_bytes(template_bytes(WEATHER_SPEC, target.suffix.lower() or ".xlsx"))
    console.print(f"[green]✓[/green] {target}")


@weather_app.command("import")
def import_file(
    path: Path = typer.Argument(..., metavar="FILE"),
    as_user: str | None = typer.Option(None, "--as", help="act as this account"),
) -> None:
    """导入气象观测 / Import a station file of hourly weather: all rows or none."""
    try:
        if not path.is_file():
            raise NotFound(f"{path}: 文件不存在 / no such file")
        settings = get_settings()
        with transaction(current_sessions()) as session:
            who = (
                Principal(cli_actor(None), "administrator")
                if as_user is None
                else Principal.of(accounts.get_user(session, as_user))
            )
            result = import_weather(
                session,
                who,
                path.read_bytes(),
                path.name,
                store=FileStore(settings.ensure_data_dir()),
            )
    except ServiceError as error:
        raise _fail(error) from None
    console.print(
        f"[green]✓[/green] {result.filename}: {result.rows} 行 rows, 站点 sites "
        f"{', '.join(result.sites)}, {result.first:%Y-%m-%d %H:%M} – {result.last:%Y-%m-%d %H:%M}"
    )


def _range(values: tuple[float, float]) -> str:
    return f"{values[0]:+.1f} … {values[1]:+.1f}"


def print_result(result: Normalisation, pollutant: str, period: str, baseline: str) -> None:
    table = Table(
        "",
        f"基准期 baseline {baseline}",
        f"评估期 period {period}",
        "变化 change %",
        "5–95 %",
        title=f"{service.POLLUTANT_LABELS[pollutant]} 气象归一化 / weather normalisation",
    )
    table.add_row(
        "实测 observed",
        f"{result.observed_baseline_mean:.1f}",
        f"{result.observed_period_mean:.1f}",
        f"{result.observed_change_pct:+.1f}",
        _range(result.observed_change_range),
    )
    table.add_row(
        "归一化 normalised",
        f"{result.normalised_baseline_mean:.1f}",
        f"{result.normalised_period_mean:.1f}",
        f"{result.normalised_change_pct:+.1f}",
        _range(result.normalised_change_range),
    )
    table.add_row(
        "气象贡献 weather (pp)", "", "", f"{result.weather_part_pct:+.1f}",
        _range(result.weather_part_range),
    )  # fmt: skip
    console.print(table)
    s = result.settings
    console.print(
        f"训练 {result.training_rows} 条 rows, 比较 {result.compared_days} 条 rows; "
        f"trees {s.trees}, samples {s.samples}, seeds {len(s.seeds)}, window ±{s.window_days} d; "
        f"OOB R² {result.oob_r2:.2f}"
    )


def summary(result: Normalisation, pollutant: str, period: str, baseline: str) -> dict[str, object]:
    """The figures as plain data (``--json``)."""
    s = result.settings
    return {
        "pollutant": service.POLLUTANT_LABELS[pollutant],
        "period": period,
        "baseline": baseline,
        "observed": {
            "baseline_mean": result.observed_baseline_mean,
            "period_mean": result.observed_period_mean,
            "change_pct": result.observed_change_pct,
            "change_pct_5_95": list(result.observed_change_range),
        },
        "normalised": {
            "baseline_mean": result.normalised_baseline_mean,
            "period_mean": result.normalised_period_mean,
            "change_pct": result.normalised_change_pct,
            "change_pct_5_95": list(result.normalised_change_range),
            "by_seed": {run.seed: run.normalised_change_pct for run in result.runs},
        },
        "weather_part_pp": result.weather_part_pct,
        "weather_part_pp_5_95": list(result.weather_part_range),
        "oob_r2": result.oob_r2,
        "training_days": result.training_rows,
        "compared_days": result.compared_days,
        "settings": {
            "trees": s.trees,
            "samples": s.samples,
            "seeds": list(s.seeds),
            "window_days": s.window_days,
        },
    }


@weather_app.command("normalise")
def normalise_command(
    pollutant: str = typer.Option("PM2.5", "--pollutant", help="PM2.5, PM10, SO2, NO2, CO, O3"),
    period: str | None = typer.Option(
        None, "--period", help="2015-10-01..2016-03-31; default: the plan's campaign period"
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="default: the same days a year before the period"
    ),
    uci_files: list[Path] = typer.Option(
        [], "--uci-file", help="UCI Beijing multi-site file(s): compute from them, not the database"
    ),
    trees: int | None = typer.Option(None, "--trees", help="default: LANTIAN_WEATHER_TREES"),
    samples: int | None = typer.Option(None, "--samples", help="default: LANTIAN_WEATHER_SAMPLES"),
    seeds: int | None = typer.Option(None, "--seeds", help="default: LANTIAN_WEATHER_SEEDS"),
    hourly: bool = typer.Option(
        False, "--hourly", help="with --uci-file: model the hourly series (slow) instead of days"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON"),
) -> None:
    """气象归一化 / Observed and weather-normalised change of a pollutant (Vu et al. 2019)."""
    settings = get_settings()
    try:
        code = service.pollutant_code(pollutant)
        if period is None:
            span = service.campaign_span(plan_in_force(settings))
            if span is None:
                raise Invalid("计划没有攻坚时段，请给 --period / the plan has no campaign period")
        else:
            span = service.parse_span(period, "period")
        base = (
            service.year_before(span)
            if baseline is None
            else service.parse_span(baseline, "baseline")
        )
        model = service.model_settings(settings)
        model = type(model)(
            trees=trees or model.trees,
            samples=samples or model.samples,
            seeds=tuple(range(1, seeds + 1)) if seeds else model.seeds,
            window_days=model.window_days,
        )
        if uci_files:
            from lantian.weather.uci import read_uci_series

            for path in uci_files:
                if not path.is_file():
                    raise NotFound(f"{path}: 文件不存在 / no such file")
            try:
                result = normalise(
                    read_uci_series(uci_files, code, hourly=hourly),
                    span.as_period(),
                    base.as_period(),
                    model,
                )
            except ValueError as error:
                raise Invalid(str(error)) from None
        else:
            if hourly:
                raise Invalid("--hourly 仅用于 --uci-file / --hourly goes with --uci-file")
            with current_sessions()() as session:
                result = service.normalise_stored(
                    session, code, span, base, model, settings.weather_training_margin_days
                )
    except ServiceError as error:
        raise _fail(error) from None
    if as_json:
        print(json.dumps(summary(result, code, str(span), str(base)), ensure_ascii=False, indent=2))
    else:
        print_result(result, code, str(span), str(base))
