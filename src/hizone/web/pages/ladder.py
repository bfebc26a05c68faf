"""Ladder pages: an enterprise's qualification self-check and the ladder (梯度培育) of a zone.

Thin: the route's rule checks the caller may read the enterprise or zone, hizone.ladder.service reads through the
read path for the caller's viewer, the template shows it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.ladder.service import GIVEN, SelfCheck, StageCount, ladder, reserve, screen, self_check, zone_reserve
from hizone.web import security
from hizone.web.api.v1_ladder import YEAR, chosen_year, scope_of, screened_upload
from hizone.web.i18n import translate
from hizone.web.pages.common import ExportFormat, export
from hizone.web.rendering import current_figures, render
from hizone.web.services.ladder import reserve_table, screening_table, shortfall_text

router = APIRouter(include_in_schema=False)


@router.get("/ladder/self-check/{credit_code}")
async def self_check_page(request: Request, principal: security.EnterpriseReader, credit_code: str,
                          year: str | None = YEAR) -> Response:
    reader = current_figures(request)
    chosen = chosen_year(reader, year)
    given = {name: value for name, value in request.query_params.items() if name in GIVEN}
    found = await run_in_threadpool(self_check, reader, credit_code, chosen, reader.viewer(principal), given)
    lang = request.state.lang
    return render(request, "ladder_selfcheck.html", {
        "check": found, "inputs": GIVEN, "sme": found.assessment.tech_sme, "hte": found.assessment.hightech,
        "missing": [(f.scheme, f.criterion, shortfall_text(f, lang)) for f in found.shortfalls]})


@router.get("/ladder/zones/{zone_code}")
async def zone_ladder_page(request: Request, principal: security.ZoneReader, zone_code: str,
                           year: str | None = YEAR) -> Response:
    reader = current_figures(request)
    viewer, chosen = reader.viewer(principal), chosen_year(reader, year)
    found = await run_in_threadpool(ladder, reader, [zone_code], chosen, viewer)
    lang = request.state.lang
    candidates = reserve(found.stages, chosen)
    return render(request, "ladder_zone.html", {
        "zone": reader.zones[zone_code], "year": chosen, "counts": found.counts, "moves": found.moves,
        "enterprises": found.stages, "funnel": funnel(found.counts, lang),
        "reserve": [(c, [shortfall_text(s, lang) for s in c.missing]) for c in candidates]})


def funnel(counts: list[StageCount], lang: str) -> dict[str, object]:
    """The funnel chart's payload (app.js draws it): the rungs from the top down."""
    return {"stages": [{"name": translate(f"ladder.stage.{c.stage}", lang), "value": c.reached}
                       for c in reversed(counts)]}


@router.get("/ladder")
async def overview_page(request: Request, principal: security.Scoped, year: str | None = YEAR,
                        province: str | None = Query(None, pattern=r"^\d{2}$")) -> Response:
    """The ladder of the nation (per province), of a province (per zone), or of a zone user's own zone."""
    reader = current_figures(request)
    chosen, scope = chosen_year(reader, year), scope_of(reader, principal, province)
    found = await run_in_threadpool(ladder, reader, scope.zone_codes, chosen, reader.viewer(principal),
                                    scope.group_by)
    lang = request.state.lang
    names = {code: (reader.zones[code] if scope.group_by == "zone" else reader.provinces[code]).name(lang)
             for code in (g.key for g in found.groups)}
    return render(request, "ladder_overview.html", {
        "scope": scope, "year": chosen, "found": found, "names": names, "funnel": funnel(found.counts, lang),
        "province": reader.provinces[scope.key] if scope.key else None, "stage_names": [c.stage for c in found.counts]})


@router.get("/ladder/zones/{zone_code}/reserve.{fmt}")
async def reserve_export(request: Request, principal: security.ZoneReader, zone_code: str, fmt: ExportFormat,
                         year: str | None = YEAR) -> Response:
    """The zone's 后备库 as .xlsx or .csv: the rows of the page's section."""
    reader = current_figures(request)
    viewer, chosen = reader.viewer(principal), chosen_year(reader, year)
    candidates = await run_in_threadpool(zone_reserve, reader, [zone_code], chosen, viewer)
    lang = request.state.lang
    title = f"{translate('ladder.reserve', lang)} · {reader.zones[zone_code].name(lang)} · {chosen}"
    return export(reserve_table(candidates, chosen, lang), fmt, title, reader.synthetic)


ENTERPRISES = Query([], description="the enterprises to screen (default: every one reporting in the year)")


def _screening_page(request: Request, zone_code: str, year: int, checks: list[SelfCheck], uploaded: str | None
                    ) -> Response:
    reader, lang = current_figures(request), request.state.lang
    table = screening_table(checks, year, lang)
    return render(request, "ladder_screening.html", {
        "zone": reader.zones[zone_code], "year": year, "table": table, "uploaded": uploaded,
        "selected": [check.credit_code for check in checks]})


@router.get("/ladder/zones/{zone_code}/screening")
async def screening_page(request: Request, principal: security.ZoneReader, zone_code: str,
                         year: str | None = YEAR, enterprise: list[str] = ENTERPRISES) -> Response:
    """The self-check of the zone's enterprises (or the ones selected) in one table, prefilled from their reports."""
    reader = current_figures(request)
    chosen = chosen_year(reader, year)
    checks = await run_in_threadpool(screen, reader, zone_code, chosen, reader.viewer(principal), None, enterprise)
    return _screening_page(request, zone_code, chosen, checks, None)


@router.post("/ladder/zones/{zone_code}/screening")
async def screening_upload(request: Request, principal: security.ZoneReader, zone_code: str,
                           file: Annotated[UploadFile, File()], year: str = Form(..., pattern=r"^\d{4}$"),
                           export_as: str = Form("", pattern=r"^(|csv|xlsx)$")) -> Response:
    """The self-check of the enterprises an uploaded CSV names (``id`` and any input columns, which fill or
    correct their reports' figures); the table as a page, or as .xlsx/.csv when ``export_as`` says so."""
    chosen, checks = await screened_upload(request, principal, zone_code, file, year)
    source = file.filename or "upload.csv"
    if export_as:
        return _screening_export(request, zone_code, chosen, checks, export_as)
    return _screening_page(request, zone_code, chosen, checks, source)


def _screening_export(request: Request, zone_code: str, year: int, checks: list[SelfCheck], fmt: str) -> Response:
    reader, lang = current_figures(request), request.state.lang
    title = f"{translate('ladder.screening', lang)} · {reader.zones[zone_code].name(lang)} · {year}"
    return export(screening_table(checks, year, lang), fmt, title, reader.synthetic)


@router.get("/ladder/zones/{zone_code}/screening.{fmt}")
async def screening_export(request: Request, principal: security.ZoneReader, zone_code: str, fmt: ExportFormat,
                           year: str | None = YEAR, enterprise: list[str] = ENTERPRISES) -> Response:
    """The screening table of the page (the selection, prefilled from the reports) as .xlsx or .csv."""
    reader = current_figures(request)
    chosen = chosen_year(reader, year)
    checks = await run_in_threadpool(screen, reader, zone_code, chosen, reader.viewer(principal), None, enterprise)
    return _screening_export(request, zone_code, chosen, checks, fmt)
