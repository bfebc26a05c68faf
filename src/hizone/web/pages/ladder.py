"""Ladder pages: an enterprise's qualification self-check and the ladder (梯度培育) of a zone.

Thin: the route's rule checks the caller may read the enterprise or zone, hizone.ladder.service reads through the
read path for the caller's viewer, the template shows it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.ladder.service import GIVEN, reserve, self_check, stage_counts, transitions, zone_reserve, zone_stages
from hizone.web import security
from hizone.web.api.v1_ladder import YEAR, chosen_year
from hizone.web.i18n import translate
from hizone.web.pages.common import ExportFormat, export
from hizone.web.rendering import current_figures, render
from hizone.web.services.ladder import reserve_table, shortfall_text

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
    now = await run_in_threadpool(zone_stages, reader, [zone_code], chosen, viewer)
    before = await run_in_threadpool(zone_stages, reader, [zone_code], chosen - 1, viewer)
    counts = stage_counts(now)
    lang = request.state.lang
    funnel = {"stages": [{"name": translate(f"ladder.stage.{c.stage}", lang), "value": c.reached}
                         for c in reversed(counts)]}
    candidates = reserve(now, chosen)
    return render(request, "ladder_zone.html", {
        "zone": reader.zones[zone_code], "year": chosen, "counts": counts, "moves": transitions(before, now),
        "enterprises": now, "funnel": funnel, "reserve": [(c, [shortfall_text(s, lang) for s in c.missing])
                                                      for c in candidates]})


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
