"""The zone list and the zone profile (园区画像)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hizone.analytics.read import Reader, ZoneMeta
from hizone.auth import Principal, can_read_zone, data_scope
from hizone.registry import qualification_kinds
from hizone.web import security
from hizone.web.i18n import translate
from hizone.web.page_cache import cached_page
from hizone.web.pages.common import ExportFormat, export, figures, resolve_year
from hizone.web.rendering import render, render_cached
from hizone.web.services import enterprises as ent_svc
from hizone.web.services import monitoring as mon_svc
from hizone.web.services import profile as svc
from hizone.web.services import rankings as rank_svc
from hizone.web.services.overview import annual_periods
from hizone.web.services.tables import Column, Table
from hizone.web.services.views import load_views, shown

router = APIRouter(include_in_schema=False)
YEAR = Query(None, pattern=r"^\d{4}$")
REGION = Query(None, pattern=r"^(east|central|west|northeast)$")
PROVINCE = Query(None, pattern=r"^\d{2}$")
BENCHMARK = Query(svc.TOP, pattern=r"^(top10|[A-Za-z0-9]{1,8})$")
KIND = Query(None, max_length=16)
ENTERPRISE_PAGE_SIZE = 25


def zone_table(fig: Reader, year: str | None, lang: str, principal: Principal, province: str | None,
               region: str | None) -> Table:
    items = load_views().zone_list_indicators
    columns = [Column("code", translate("zones.code", lang)), Column("zone", translate("zones.name", lang), "link"),
               Column("province", translate("zones.province", lang)), Column("city", translate("zones.city", lang)),
               Column("approved_year", translate("zones.approved", lang), "text")]
    columns += [Column(i.code, i.name(lang) if i.unit == "家" else f"{i.name(lang)} ({i.unit_label(lang)})",
                       "int" if i.unit == "家" else "number") for i in items]
    rows: list[dict[str, object]] = []
    viewer = fig.viewer(principal)
    for zone in fig.zones.values():
        prov = fig.provinces.get(zone.province_code)
        if (province and zone.province_code != province) or (region and zone.region != region):
            continue
        row: dict[str, object] = {
            "code": zone.code, "zone": zone.name(lang), "province": prov.name(lang) if prov else "",
            "city": zone.city, "approved_year": zone.approved_year,
            **{i.code: shown(fig, i, "zone", zone.code, year, viewer) if year else None for i in items}}
        if can_read_zone(principal, zone.code, zone.province_code):
            row["zone_href"] = f"/zones/{zone.code}"
        rows.append(row)
    return Table("zones", columns, rows)


@router.get("/zones")
def zone_list(request: Request, principal: security.Public,
              province: str | None = PROVINCE, region: str | None = REGION,
              year: str | None = YEAR) -> Response:
    fig = figures(request)
    chosen = resolve_year(fig, year)
    table = zone_table(fig, chosen, request.state.lang, principal, province, region)
    return render(request, "zones.html", {"table": table, "fig": fig, "year": chosen, "province": province,
                                          "region": region})


@router.get("/export/zones.{fmt}")
def export_zones(request: Request, principal: security.Public, fmt: ExportFormat, province: str | None = PROVINCE,
                 region: str | None = REGION, year: str | None = YEAR) -> Response:
    fig = figures(request)
    chosen = resolve_year(fig, year)
    table = zone_table(fig, chosen, request.state.lang, principal, province, region)
    return export(table, fmt, translate("nav.zones", request.state.lang), fig.synthetic)


def _zone(fig: Reader, code: str) -> ZoneMeta:
    zone = fig.zones.get(code)
    if zone is None:  # the rule already checked the store; the snapshot may be a moment older
        raise HTTPException(status_code=404, detail=f"no zone '{code}'")
    return zone


def _evaluation(request: Request, year: int) -> rank_svc.Ranking | None:
    """The year's evaluation run, if one was stored (the radar and the top 10 come from it)."""
    runs = rank_svc.latest_runs_of(figures(request), request.app.state.engine, load_views().evaluation_framework)
    if year not in runs:
        return None
    return request.app.state.runs.get(request.app.state.engine, load_views().evaluation_framework, year, runs[year])


def _benchmark(fig: Reader, benchmark: str, zone_code: str, year: str, principal: Principal,
               evaluation: rank_svc.Ranking | None) -> svc.Benchmark:
    if benchmark != svc.TOP and (benchmark not in fig.zones or benchmark == zone_code):
        raise HTTPException(status_code=404, detail=f"no benchmark zone '{benchmark}'")
    top = rank_svc.top_zone_codes(evaluation) if evaluation else None
    return svc.benchmark_for(fig, load_views(), year, benchmark, principal, top)


@router.get("/zones/{zone_code}")
async def zone_profile(request: Request, principal: security.ZoneReader, zone_code: str,
                       year: str | None = YEAR, benchmark: str = BENCHMARK) -> Response:
    return await cached_page(request, principal, lambda: _zone_profile(request, principal, zone_code, year, benchmark))


def _zone_profile(request: Request, principal: Principal, zone_code: str, year: str | None,
                  benchmark: str) -> Response:
    """Everything on it follows from the zone, the year and the benchmark (not from who asks, once the rule
    has let them in, but for what the viewer's scope lets it see), so it is rendered once per data version."""
    fig, views, lang = figures(request), load_views(), request.state.lang
    zone = _zone(fig, zone_code)
    chosen = resolve_year(fig, year)
    evaluation = _evaluation(request, int(chosen)) if chosen else None
    bench = _benchmark(fig, benchmark, zone_code, chosen or "", principal, evaluation)
    engine = request.app.state.engine

    def build() -> dict[str, object]:
        context: dict[str, object] = {
            "zone": zone, "fig": fig, "year": chosen, "benchmark": bench.code,
            "province": fig.provinces.get(zone.province_code), "kinds": qualification_kinds(),
            "years": annual_periods(fig), "monthly": svc.monthly_trend(fig, views, zone_code, lang, principal),
            "alerts": mon_svc.alerts(engine, principal, zone=zone_code)[:20]}
        if chosen is not None:
            with Session(engine) as session:
                counts = ent_svc.qualification_counts(session, zone_code, dt.date(int(chosen), 12, 31))
            history = rank_svc.rank_history(engine, request.app.state.runs, views.evaluation_framework, zone_code)
            context.update(key=svc.key_table(fig, views, zone, chosen, lang, principal),
                           gaps=svc.gap_table(fig, views, zone, chosen, bench, lang, principal, evaluation),
                           drag=svc.drag_table(fig, zone, chosen, lang, principal),
                           radar=rank_svc.radar(evaluation, zone_code, lang, fig) if evaluation else None,
                           ranks=history if history["years"] else svc.rank_history(fig, views, zone_code),
                           qualification_counts=counts)
        return context

    # What the benchmark and the medians show depends on the viewer: part of the key.
    return render_cached(request, "zone.html", (zone_code, chosen, bench, principal.role,
                                            principal.province_code, principal.zone_code),
                         lambda: zone.name(lang), build)


def _enterprise_filters(request: Request, kind: str | None, year: str | None) -> tuple[str | None, dt.date]:
    """The report year and the day qualifications must be valid on (the end of that year; today without data)."""
    if kind and kind not in qualification_kinds():
        raise HTTPException(status_code=404, detail=f"unknown qualification '{kind}'")
    chosen = resolve_year(figures(request), year)
    return chosen, dt.date(int(chosen), 12, 31) if chosen else dt.date.today()


@router.get("/zones/{zone_code}/enterprises")
def zone_enterprises(request: Request, principal: security.ZoneReader,
                     zone_code: str, kind: str | None = KIND,
                     year: str | None = YEAR, page: int = Query(1, ge=1, le=100000)) -> Response:
    """The enterprise list of a zone, one page (an HTMX fragment inside the profile).

    Qualifications count when valid at the end of the report year (the latest year by default).
    """
    chosen, day = _enterprise_filters(request, kind, year)
    with Session(request.app.state.engine) as session:
        result = ent_svc.list_enterprises(session, data_scope(principal), zone_code=zone_code, kind=kind or None,
                                          day=day, page=page, size=ENTERPRISE_PAGE_SIZE)
    return render(request, "partials/enterprises.html",
                  {"page": result, "table": ent_svc.enterprise_table(result.items, request.state.lang),
                   "zone_code": zone_code, "kind": kind, "kinds": qualification_kinds(), "year": chosen or ""})


@router.get("/zones/{zone_code}/enterprises/export.{fmt}")
def export_enterprises(request: Request, principal: security.ZoneReader, zone_code: str, fmt: ExportFormat,
                       kind: str | None = KIND, year: str | None = YEAR) -> Response:
    """Every enterprise the list selects (all its pages)."""
    fig, lang = figures(request), request.state.lang
    chosen, day = _enterprise_filters(request, kind, year)
    with Session(request.app.state.engine) as session:
        result = ent_svc.all_enterprises(session, data_scope(principal), zone_code=zone_code, kind=kind or None,
                                         day=day)
    title = f"{_zone(fig, zone_code).name(lang)} {translate('profile.enterprises', lang)} {chosen or ''}"
    return export(ent_svc.enterprise_table(result.items, lang), fmt, title, fig.synthetic)


@router.get("/zones/{zone_code}/export/key_indicators.{fmt}")
def export_key_indicators(request: Request, principal: security.ZoneReader, zone_code: str, fmt: ExportFormat,
                          year: str | None = YEAR) -> Response:
    fig, views, lang = figures(request), load_views(), request.state.lang
    zone = _zone(fig, zone_code)
    chosen = resolve_year(fig, year) or ""
    table = svc.key_table(fig, views, zone, chosen, lang, principal)
    return export(table, fmt, f"{zone.name(lang)} {translate('profile.key', lang)} {chosen}", fig.synthetic)


@router.get("/zones/{zone_code}/export/gap_analysis.{fmt}")
def export_gaps(request: Request, principal: security.ZoneReader,
                zone_code: str, fmt: ExportFormat, year: str | None = YEAR,
                benchmark: str = BENCHMARK) -> Response:
    fig, views, lang = figures(request), load_views(), request.state.lang
    zone = _zone(fig, zone_code)
    chosen = resolve_year(fig, year) or ""
    evaluation = _evaluation(request, int(chosen)) if chosen else None
    bench = _benchmark(fig, benchmark, zone_code, chosen, principal, evaluation)
    table = svc.gap_table(fig, views, zone, chosen, bench, lang, principal, evaluation)
    drag = svc.drag_table(fig, zone, chosen, lang, principal) if chosen else None
    return export(table, fmt, f"{zone.name(lang)} {translate('profile.gaps', lang)} {chosen}", fig.synthetic,
                  [drag] if drag is not None else [])


@router.get("/zones/{zone_code}/export/drag.{fmt}")
def export_drag(request: Request, principal: security.ZoneReader, zone_code: str, fmt: ExportFormat,
                year: str | None = YEAR) -> Response:
    """拖后腿 as a table of its own (the gap analysis .xlsx holds it as a second sheet)."""
    fig, lang = figures(request), request.state.lang
    zone = _zone(fig, zone_code)
    chosen = resolve_year(fig, year)
    drag = svc.drag_table(fig, zone, chosen, lang, principal) if chosen else None
    if drag is None:
        raise HTTPException(status_code=404, detail="no enterprise figures of this zone to show")
    return export(drag, fmt, f"{zone.name(lang)} {translate('drag.title', lang)} {chosen}", fig.synthetic)
