"""`hizone report …`: PDF reports (hizone.reports) for one zone, every zone of a year, or a month.

Thin: parse options, open the sources, call hizone.reports, write files. The browser (Playwright) is imported
only when a report is printed, so `hizone --help` stays fast.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hizone.cli.common import command_group, console, open_configured_store, user_errors
from hizone.errors import HizoneError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from hizone.reports.sources import Sources

report_app = command_group("PDF reports: a zone's evaluation result, every zone's, the monthly economic report.")

ANALYTICS = Annotated[Path | None, typer.Option(help="The DuckDB file (default var/analytics.duckdb).")]
LANG = Annotated[str, typer.Option(help="zh (default) or en.")]
IN_FLIGHT = 4  # reports queued for printing while the next is gathered (the renderer's browsers stay busy)
BENCHMARK = Annotated[str, typer.Option(help="Gap benchmark: top10 (the top 10's average) or a zone code.")]


def _sources(analytics: Path | None, lang: str) -> Sources:
    """The CLI acts for the national programme (it reads the store directly, as the operator)."""
    from hizone.auth import Principal
    from hizone.config import Settings, analytics_path
    from hizone.reports.sources import open_sources

    if lang not in ("zh", "en"):
        raise HizoneError(f"unknown language '{lang}' (zh or en)", where="--lang")
    engine = open_configured_store()
    return open_sources(engine, analytics or analytics_path(Settings.from_env()), Principal("cli", "analyst"), lang)


def _latest_month(src: Sources) -> str:
    from hizone.web.services.monitoring import monthly_periods
    from hizone.web.services.views import load_views

    months = monthly_periods(src.fig, load_views())
    if not months:
        raise HizoneError("no approved monthly reports yet", where="--period")
    return months[-1]


def _write(out: Path, pdf: bytes) -> None:
    """Written beside the target and renamed: a file half-written by an interrupted run never appears."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(pdf)
    partial.replace(out)


@report_app.command("zone")
@user_errors
def zone_command(
    zone: Annotated[str, typer.Option(help="The zone's code.")],
    year: Annotated[int, typer.Option(help="The evaluated year.")],
    out: Annotated[Path, typer.Option(help="The PDF file to write.")],
    benchmark: BENCHMARK = "top10",
    lang: LANG = "zh",
    analytics: ANALYTICS = None,
) -> None:
    """One zone's evaluation report: scores, ranks, intervals, rank history, radar, strengths, gaps."""
    from hizone.reports.documents import print_zone_report

    started = time.perf_counter()
    pdf = print_zone_report(_sources(analytics, lang), zone, year, benchmark)
    _write(out, pdf)
    typer.echo(f"{out}: {len(pdf):,} bytes in {time.perf_counter() - started:.1f} s")


@report_app.command("zones")
@user_errors
def zones_command(
    year: Annotated[int, typer.Option(help="The evaluated year.")],
    out: Annotated[Path, typer.Option(help="The directory for the PDFs (<zone code>-<year>.pdf).")],
    benchmark: BENCHMARK = "top10",
    lang: LANG = "zh",
    analytics: ANALYTICS = None,
) -> None:
    """Every evaluated zone's report for a year, one PDF each."""
    from rich.progress import Progress

    from hizone.reports.documents import submit_zone_report, zones_evaluated

    started = time.perf_counter()
    src = _sources(analytics, lang)
    codes = zones_evaluated(src, year)
    in_flight: deque[tuple[Path, Future[bytes]]] = deque()
    with Progress(console=console()) as progress:
        task = progress.add_task(f"{year} evaluation reports", total=len(codes))

        def finish_one() -> None:
            target, printing = in_flight.popleft()
            _write(target, printing.result())
            progress.advance(task)

        for code in codes:
            chosen = benchmark if code != benchmark else "top10"  # the benchmark zone's own report
            in_flight.append((out / f"{code}-{year}.pdf", submit_zone_report(src, code, year, chosen)))
            if len(in_flight) > IN_FLIGHT:
                finish_one()
        while in_flight:
            finish_one()
    typer.echo(f"{len(codes)} reports in {out} in {time.perf_counter() - started:.1f} s")


@report_app.command("monthly")
@user_errors
def monthly_command(
    out: Annotated[Path, typer.Option(help="The PDF file to write (with --all-provinces: a directory).")],
    period: Annotated[str | None, typer.Option(help="The month, YYYY-MM (figures cumulative from January); "
                                                    "default the latest month with approved reports.")] = None,
    level: Annotated[str, typer.Option(help="nation, province or zone.")] = "nation",
    code: Annotated[str | None, typer.Option(help="The province's or the zone's code.")] = None,
    all_provinces: Annotated[bool, typer.Option("--all-provinces", help="Every province's report, one PDF each "
                                                                        "(<code>-<period>.pdf in --out).")] = False,
    lang: LANG = "zh",
    analytics: ANALYTICS = None,
) -> None:
    """The monthly economic-operation report: 1–N月 figures with y/y, the zones in order, this year against
    last, the alerts and a summary in the bulletins' words."""
    from hizone.reports.documents import monthly_document, print_monthly_report
    from hizone.reports.render import default_renderer

    started = time.perf_counter()
    src = _sources(analytics, lang)
    period = period or _latest_month(src)
    if not all_provinces:
        pdf = print_monthly_report(src, level, code, period)
        _write(out, pdf)
        typer.echo(f"{out}: {len(pdf):,} bytes in {time.perf_counter() - started:.1f} s")
        return
    from rich.progress import Progress

    provinces = [p for p in sorted(src.fig.provinces) if src.fig.zones_of("province", p)]
    with Progress(console=console()) as progress:
        task = progress.add_task(f"{period} province reports", total=len(provinces))
        printing = [(p, default_renderer().submit(*monthly_document(src, "province", p, period))) for p in provinces]
        for province, done in printing:
            _write(out / f"{province}-{period}.pdf", done.result())
            progress.advance(task)
    typer.echo(f"{len(provinces)} reports in {out} in {time.perf_counter() - started:.1f} s")
