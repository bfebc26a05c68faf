"""`hizone evaluate` and `hizone rankings`: the comprehensive evaluation of the zones (综合评价) and its stored runs.

Thin: parse options, call hizone.ranking.service, render. Every number comes from the service.
"""

from __future__ import annotations

import getpass
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hizone.cli.common import Format, console, open_configured_store, user_errors
from hizone.config import Settings, analytics_path
from hizone.errors import HizoneError
from hizone.exports import write_csv

if TYPE_CHECKING:
    from rich.console import Console


def _analytics_file(settings: Settings, given: Path | None) -> Path:
    return given or analytics_path(settings)


@user_errors
def evaluate_command(
    year: Annotated[int, typer.Option(help="The year to evaluate (reports of that year).")],
    framework: Annotated[str, typer.Option(help="The framework's code (catalog/data/frameworks/<code>-<version>"
                                                ".yaml) or the path of a framework file.")] = "zone_evaluation",
    out: Annotated[Path | None, typer.Option(help="The results workbook (.xlsx); default "
                                                  "var/<framework>-<year>-run<id>.xlsx.")] = None,
    gap_zone: Annotated[str | None, typer.Option("--gap-zone", help="Add a gap report (对标找差) for this zone code.")]
    = None,
    benchmark: Annotated[str, typer.Option(help="Gap benchmark: top:N (mean of the N best), zone:CODE or peers "
                                                "(the other zones of its region).")] = "top:10",
    samples: Annotated[int | None, typer.Option(min=0, help="Uncertainty replications (0: none; default: the "
                                                             "framework's).")] = None,
    analytics: Annotated[Path | None, typer.Option(help="The DuckDB file (default var/analytics.duckdb).")] = None,
    user: Annotated[str | None, typer.Option(help="Recorded as the run's author (default: the OS user).")] = None,
) -> None:
    """Evaluate every zone for one year: scores, ranks overall and per dimension, rank changes, uncertainty
    intervals; the run is stored and written to an .xlsx workbook."""
    from hizone.analytics.build import build
    from hizone.analytics.query import Analytics
    from hizone.ranking.compute import gap_report
    from hizone.ranking.framework import framework_for
    from hizone.ranking.service import run_evaluation
    from hizone.ranking.workbook import RunInfo, write_workbook

    settings = Settings.from_env()
    engine = open_configured_store()
    spec = framework_for(framework, year)
    path = _analytics_file(settings, analytics)
    build(engine, path)  # incremental: only periods whose submissions changed are rebuilt
    outcome = run_evaluation(engine, Analytics(path), spec, year, samples, user or getpass.getuser())
    gap = gap_report(outcome.evaluation, gap_zone, benchmark) if gap_zone else None
    target = out or settings.var_dir / f"{spec.code}-{year}-run{outcome.run_id}.xlsx"
    write_workbook(target, outcome.evaluation, outcome.inputs.zones,
                   RunInfo(outcome.run_id, outcome.inputs.fingerprint, outcome.synthetic, user or getpass.getuser()),
                   gap)
    wide = console(width=160)
    if outcome.synthetic:
        wide.print("[bold yellow]synthetic demo data: these ranks are not the official ranking[/]")
    _print_top(wide, outcome, spec.dimensions)
    seconds = outcome.seconds
    typer.echo(f"run {outcome.run_id}: {len(outcome.evaluation.zone_codes)} zones, {spec.code} {spec.version}, "
               f"{year}; values {seconds['values']:.2f} s, index {seconds['index']:.2f} s -> {target}")
    if gap is not None:
        top = ", ".join(f"{g.code} +{g.index_gain:.2f}" for g in gap.gaps[:3])
        typer.echo(f"gap report for {gap.unit} against {gap.benchmark}: largest gains {top}")


def _print_top(wide: Console, outcome: Any, dimensions: Any, shown: int = 10) -> None:
    evaluation = outcome.evaluation
    names = {code: info.name_zh for code, info in outcome.inputs.zones.items()}
    ranks = {(row.zone_code, row.code): row.rank for row in evaluation.rows}
    from rich.table import Table

    table = Table(title=f"{evaluation.framework.name_zh} {evaluation.year}")
    for column in ("rank", "zone", "name", "score", "change", "p05–p95", *(d.code for d in dimensions)):
        table.add_column(column)
    for row in evaluation.ranking()[:shown]:
        interval = "" if row.rank_p05 is None else f"{row.rank_p05:g}–{row.rank_p95:g}"
        table.add_row(str(row.rank), row.zone_code, names.get(row.zone_code, ""), _fmt(row.score),
                      _fmt(row.rank_change), interval, *(_fmt(ranks[(row.zone_code, d.code)]) for d in dimensions))
    wide.print(table)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@user_errors
def rankings_command(
    year: Annotated[int, typer.Option(help="The evaluated year.")],
    framework: Annotated[str, typer.Option(help="The framework's code.")] = "zone_evaluation",
    run: Annotated[int | None, typer.Option(help="A run id (default: the latest run for the year).")] = None,
    by: Annotated[str | None, typer.Option(help="Order by this dimension's rank instead of the overall rank.")]
    = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.table,
) -> None:
    """The stored ranking of a year: overall and per dimension, with rank changes and intervals."""
    from hizone.ranking.service import ranking_table, stored_run

    stored = stored_run(open_configured_store(), framework, year, run)
    dimensions = list(stored.config.get("dimensions", {}))
    rows = ranking_table(stored, dimensions)
    if by is not None:
        if by not in dimensions:
            raise HizoneError(f"unknown dimension {by!r} (known: {', '.join(dimensions)})", where="--by")
        rows.sort(key=lambda r: (r[f"{by}_rank"] if r[f"{by}_rank"] is not None else 10**9, r["zone"]))
    columns = ["rank", "zone", "name", "score", "rank_change", "rank_p05", "rank_p95",
               *(f"{d}_rank" for d in dimensions), *(f"{d}_score" for d in dimensions)]
    if fmt is Format.json:
        typer.echo(json.dumps({"run": stored.id, "framework": stored.framework_code, "version":
                               stored.framework_version, "year": stored.year, "created_at": stored.created_at,
                               "data_fingerprint": stored.data_fingerprint, "synthetic": stored.synthetic,
                               "rankings": rows}, ensure_ascii=False, indent=1))
    elif fmt is Format.csv:
        buffer = io.StringIO()
        write_csv(buffer, columns, ([row.get(c) for c in columns] for row in rows), lineterminator="\n")
        typer.echo(buffer.getvalue(), nl=False)
    else:
        title = f"{stored.framework_code} {stored.year}, run {stored.id}" + (" (synthetic)" if stored.synthetic else "")
        from rich.table import Table

        table = Table(title=title)
        shown = ["rank", "zone", "name", "score", "rank_change", "rank_p05", "rank_p95",
                 *(f"{d}_rank" for d in dimensions)]
        for column in shown:
            table.add_column(column)
        for row in rows:
            table.add_row(*(_fmt(row[c]) for c in shown))
        console(width=200).print(table)


def register(app: typer.Typer) -> None:
    """Add `evaluate` and `rankings` to the main app as top-level commands."""
    app.command("evaluate")(evaluate_command)
    app.command("rankings")(rankings_command)
