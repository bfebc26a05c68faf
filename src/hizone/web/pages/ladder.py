"""Ladder pages: an enterprise's qualification self-check and the ladder (梯度培育) of a zone.

Thin: the route's rule checks the caller may read the enterprise or zone, hizone.ladder.service reads through the
read path for the caller's viewer, the template shows it.
"""

from __future__ import annotations

import math
from fractions import Fraction

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.ladder.selfcheck import Shortfall
from hizone.ladder.service import GIVEN, self_check, stage_counts, transitions, zone_stages
from hizone.web import security
from hizone.web.api.v1_ladder import YEAR, chosen_year
from hizone.web.i18n import translate
from hizone.web.rendering import current_figures, render

router = APIRouter(include_in_schema=False)
WAN = 10_000


def _percent(value: Fraction) -> str:
    return f"{float(value) * 100:.4g}%"


def shortfall_text(found: Shortfall, lang: str) -> str:
    """"38万元 more R&D would reach 4%": money in 万元 rounded up (a little more, never a little short)."""
    amount = found.more
    if found.quantity in ("rd", "hitech_revenue"):
        shown = f"{math.ceil(amount / WAN * 100) / 100:g}"
        threshold = _percent(found.threshold)
    elif found.quantity == "rd_domestic":
        shown, threshold = f"{float(amount):g}", f"{float(found.threshold):g}%"
    else:
        shown, threshold = str(amount), _percent(found.threshold)
    return translate(f"ladder.more.{found.quantity}", lang, amount=shown, threshold=threshold)


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
    return render(request, "ladder_zone.html", {
        "zone": reader.zones[zone_code], "year": chosen, "counts": counts, "moves": transitions(before, now),
        "enterprises": now, "funnel": funnel})
