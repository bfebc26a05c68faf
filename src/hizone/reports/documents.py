"""Reports as printed documents: the templates filled with a report's figures, printed by the renderer, kept
in a cache by what they were printed from."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from hizone.errors import HizoneError
from hizone.reports.cache import PdfCache
from hizone.reports.monthly import monthly_report, summary
from hizone.reports.render import PageFurniture, PdfRenderer, default_renderer
from hizone.reports.sources import Sources
from hizone.reports.zone import ZoneReport, zone_report
from hizone.web.services import rankings as rank_svc
from hizone.web.services.tables import Suppressed
from hizone.web.services.views import load_views

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, auto_reload=False)
    env.filters["num"] = lambda v, d=2: "—" if v is None else str(v) if isinstance(v, Suppressed) else f"{v:,.{d}f}"
    env.filters["pct"] = lambda v: "—" if v is None else str(v) if isinstance(v, Suppressed) else f"{v:+.1f}%"
    return env


@cache
def stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def fill(template: str, src: Sources, **context: Any) -> str:
    return environment().get_template(template).render(lang=src.lang, t=src.t, css=stylesheet(), **context)


def zone_summary(src: Sources, r: ZoneReport) -> str:
    """The result in one paragraph, in the words of the evaluation letters sent to the zones."""
    name = r.zone.name(src.lang)
    parts = [src.t("report.zone.summary_rank", zone=name, year=r.year, score=f"{r.score:.2f}" if r.score else "—",
                   rank=r.rank or "—", of=r.zone_count)]
    if r.rank_low is not None and r.rank_high is not None:
        parts.append(src.t("report.zone.summary_interval", low=f"{r.rank_low:.0f}", high=f"{r.rank_high:.0f}"))
    if r.rank_change:
        key = "report.zone.summary_up" if r.rank_change > 0 else "report.zone.summary_down"
        parts.append(src.t(key, places=abs(r.rank_change)))
    ranked = [d for d in r.dimensions if d.rank is not None]
    if ranked:
        best = min(ranked, key=lambda d: (d.rank or 0, d.code))
        parts.append(src.t("report.zone.summary_best", dimension=best.name, rank=best.rank))
    return src.t("report.sentence_join").join(parts) + src.t("report.sentence_end")


def zone_document(src: Sources, zone_code: str, year: int, benchmark: str) -> tuple[str, PageFurniture]:
    r = zone_report(src, zone_code, year, benchmark)
    title = src.t("report.zone.title", zone=r.zone.name(src.lang), year=year)
    html = fill("zone.html", src, r=r, state=r.state, title=title, summary=zone_summary(src, r),
                subtitle=src.t("report.zone.subtitle", year=year))
    return html, PageFurniture(title, src.t("report.page_label"))


def monthly_document(src: Sources, level: str, key: str | None, period: str) -> tuple[str, PageFurniture]:
    r = monthly_report(src, level, key, period)
    title = src.t("report.monthly.title", subject=r.subject)
    subtitle = src.t("report.monthly.subtitle", year=r.year, month=r.month)
    html = fill("monthly.html", src, r=r, state=r.state, title=title, subtitle=subtitle, summary=summary(src, r))
    return html, PageFurniture(f"{title} {subtitle}", src.t("report.page_label"))


def print_monthly_report(src: Sources, level: str, key: str | None, period: str,
                         renderer: PdfRenderer | None = None, cache: PdfCache | None = None) -> bytes:
    return _printed(src, ("monthly", level, key, period), lambda: monthly_document(src, level, key, period),
                    renderer, cache)


def zones_evaluated(src: Sources, year: int) -> list[str]:
    """The zones with a result in the year's evaluation run, in rank order."""
    ranking = rank_svc.ranking_for(src.engine, src.runs, load_views().evaluation_framework, year, src.fig)
    if ranking is None:
        raise HizoneError("no evaluation has been run yet: run `hizone evaluate --year YEAR` first", where="--year")
    return [str(r["zone"]) for r in ranking.rows if r["zone"] in src.fig.zones]


def print_zone_report(src: Sources, zone_code: str, year: int, benchmark: str = "top10",
                      renderer: PdfRenderer | None = None, cache: PdfCache | None = None) -> bytes:
    key = ("zone", zone_code, year, benchmark)
    return _printed(src, key, lambda: zone_document(src, zone_code, year, benchmark), renderer, cache)


def submit_zone_report(src: Sources, zone_code: str, year: int, benchmark: str = "top10",
                       renderer: PdfRenderer | None = None) -> Future[bytes]:
    """The report's figures gathered now, its printing queued (a batch gathers the next while this prints)."""
    html, furniture = zone_document(src, zone_code, year, benchmark)
    return (renderer or default_renderer()).submit(html, furniture)


def _printed(src: Sources, key: tuple[object, ...], make: Callable[[], tuple[str, PageFurniture]],
             renderer: PdfRenderer | None, cache: PdfCache | None) -> bytes:
    """A report printed once per data version, language and caller scope (what it may show depends on it)."""
    p = src.principal
    full_key = (*key, src.fig.version, src.lang, p.role, p.province_code, p.zone_code)

    def print_it() -> bytes:
        html, furniture = make()
        return (renderer or default_renderer()).render(html, furniture)

    return cache.get_or_make(full_key, print_it) if cache is not None else print_it()
