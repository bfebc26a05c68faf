"""/api/v1/ladder: an enterprise's self-check (科技型中小企业, 高新技术企业) and the ladder of a zone.

Thin: the route's rule checks the caller may read the enterprise or zone; hizone.ladder.service reads the figures
through the read path for the caller's viewer and the pure engines assess them.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from hizone.analytics.read import Reader, ScopeError
from hizone.auth.policy import Principal
from hizone.ladder.assess import Check, Points
from hizone.ladder.drag import DRAG_DEFINITION, ZoneDrag
from hizone.ladder.reserve import Candidate
from hizone.ladder.screening import decode_csv
from hizone.ladder.selfcheck import Shortfall
from hizone.ladder.service import (
    GIVEN,
    LadderScope,
    SelfCheck,
    StageCount,
    ladder,
    ladder_scope,
    screen,
    self_check,
    zone_drags,
    zone_reserve,
)
from hizone.web import security
from hizone.web.api.v1 import ERRORS
from hizone.web.pages.common import resolve_year
from hizone.web.pages.reporting import read_upload, require_multipart
from hizone.web.rendering import current_figures

router = APIRouter(prefix="/api/v1/ladder", tags=["v1"], responses=ERRORS)
YEAR = Query(None, pattern=r"^\d{4}$", description="the report year (default: the latest with approved reports)")


def chosen_year(reader: Reader, year: str | None) -> int:
    """The year asked for if the store has approved reports of it, else the latest."""
    chosen = resolve_year(reader, year)
    if chosen is None:
        raise HTTPException(status_code=404, detail="no approved annual reports yet")
    return int(chosen)


def _number(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _check(item: Check) -> dict[str, Any]:
    return {"criterion": item.code, "value": _number(item.value), "threshold": _number(item.threshold),
            "passed": item.passed, "not_checkable": item.why or None}


def _points(item: Points) -> dict[str, Any]:
    return {"item": item.code, "value": _number(item.value), "points_min": _number(item.low),
            "points_max": _number(item.high), "points_most": _number(item.most), "not_checkable": item.why or None}


def self_check_body(found: SelfCheck) -> dict[str, Any]:
    sme, hte = found.assessment.tech_sme, found.assessment.hightech
    return {
        "credit_code": found.credit_code, "year": found.year,
        "inputs": {name: found.cells[name] or None for name in GIVEN},
        "prefilled_from_reports": sorted(found.prefilled),
        "tech_sme": {"eligible": sme.eligible, "score": _number(sme.score), "rules_version": sme.rules.version,
                     "criteria": [_check(c) for c in sme.checks], "points": [_points(p) for p in sme.points]},
        "hightech": {"verdict": hte.verdict.value, "failed": list(hte.failed), "rd_ratio": _number(hte.rd_ratio),
                     "rd_threshold": _number(hte.rd_threshold), "score_min": _number(hte.score_min),
                     "score_max": _number(hte.score_max), "rules_version": hte.rules.version,
                     "criteria": [_check(c) for c in hte.checks], "points": [_points(p) for p in hte.points]},
        "shortfalls": [{"scheme": s.scheme, "criterion": s.criterion, "value": float(s.value),
                        "threshold": float(s.threshold), "more": float(s.more), "quantity": s.quantity}
                       for s in found.shortfalls],
    }


@router.get("/self-check/{credit_code}",
            summary="An enterprise's 科技型中小企业 and 高新技术企业 self-check: its own reports fill what they hold; "
                    "any input column given as a query parameter (e.g. st_staff=12) fills or corrects the rest")
async def self_check_route(request: Request, principal: security.EnterpriseReader, credit_code: str,
                           year: str | None = YEAR) -> dict[str, Any]:
    reader = current_figures(request)
    chosen = chosen_year(reader, year)
    given = {name: value for name, value in request.query_params.items() if name in GIVEN}
    found = await run_in_threadpool(self_check, reader, credit_code, chosen, reader.viewer(principal), given)
    return self_check_body(found)


@router.get("/zones/{zone_code}",
            summary="The ladder of a zone in a year: per rung the reporting enterprises on it (by list, by their "
                    "own figures), the moves since the year before, and each enterprise's highest rung")
async def zone_ladder_route(request: Request, principal: security.ZoneReader, zone_code: str,
                            year: str | None = YEAR) -> dict[str, Any]:
    reader = current_figures(request)
    viewer, chosen = reader.viewer(principal), chosen_year(reader, year)
    found = await run_in_threadpool(ladder, reader, [zone_code], chosen, viewer)
    return {"zone_code": zone_code, "year": chosen, "stages": counts_body(found.counts), "moves": found.moves,
            "enterprises": [{"credit_code": s.credit_code, "top_stage": s.top,
                             "listed": [x.stage for x in s.stages if x.listed],
                             "by_data": [x.stage for x in s.stages if x.by_data is True]} for s in found.stages]}


def counts_body(counts: list[StageCount]) -> list[dict[str, Any]]:
    return [{"stage": c.stage, "reached": c.reached, "listed": c.listed, "by_data": c.by_data} for c in counts]


def scope_of(reader: Reader, principal: Principal, province: str | None) -> LadderScope:
    """The zones of the view, or a 403 for a province outside the caller's zones (auth/policy.py decides them)."""
    try:
        return ladder_scope(reader, reader.viewer(principal), province)
    except ScopeError as error:
        raise HTTPException(status_code=403, detail=error.reason) from None


@router.get("/overview",
            summary="The ladder at national or province level: per rung the reporting enterprises on it, the moves "
                    "since the year before, and the same per province (nation) or per zone (a province); each "
                    "caller sees its scope: national roles the nation (or ?province=), a province its own, a zone "
                    "its own zone")
async def overview_route(request: Request, principal: security.Scoped, year: str | None = YEAR,
                         province: str | None = Query(None, pattern=r"^\d{2}$")) -> dict[str, Any]:
    reader = current_figures(request)
    chosen, scope = chosen_year(reader, year), scope_of(reader, principal, province)
    found = await run_in_threadpool(ladder, reader, scope.zone_codes, chosen, reader.viewer(principal),
                                    scope.group_by)
    return {"level": scope.level, "province_code": scope.key, "year": chosen, "zones": list(scope.zone_codes),
            "enterprises": len(found.stages), "stages": counts_body(found.counts),
            "moves": {kind: len(codes) for kind, codes in found.moves.items()},
            "groups": [{scope.group_by + "_code": g.key, "enterprises": g.enterprises,
                        "stages": counts_body(g.counts), "moves": g.moves} for g in found.groups]}


@router.get("/zones/{zone_code}/drag",
            summary="Who pulls a zone down (拖后腿): per ratio indicator of the zone evaluation, each enterprise's "
                    "drag = direction × (the zone's ratio without it − the zone's ratio), largest first")
async def zone_drag_route(request: Request, principal: security.ZoneReader, zone_code: str,
                          year: str | None = YEAR, indicator: str | None = None,
                          top: int = Query(10, ge=1, le=1000)) -> dict[str, Any]:
    reader = current_figures(request)
    viewer, chosen = reader.viewer(principal), chosen_year(reader, year)
    found = await run_in_threadpool(zone_drags, reader, zone_code, chosen, viewer, indicator)
    return {"zone_code": zone_code, "year": chosen, "definition": DRAG_DEFINITION,
            "indicators": [drag_body(item, top) for item in found]}


def drag_body(found: ZoneDrag, top: int) -> dict[str, Any]:
    ratio = found.indicator
    return {"indicator": ratio.code, "name_zh": ratio.name_zh, "unit": ratio.unit, "direction": ratio.direction,
            "zone_ratio": found.zone_ratio, "enterprises": found.enterprises, "not_reported": found.missing,
            "drags": [{"credit_code": d.credit_code, "numerator": d.numerator, "denominator": d.denominator,
                       "own_ratio": d.own_ratio, "zone_ratio_without": d.without, "drag": d.drag}
                      for d in found.drags[:top]]}


def shortfall_body(found: Shortfall) -> dict[str, Any]:
    return {"criterion": found.criterion, "value": float(found.value), "threshold": float(found.threshold),
            "more": float(found.more), "quantity": found.quantity}


def candidate_body(found: Candidate) -> dict[str, Any]:
    return {"credit_code": found.credit_code, "zone_code": found.zone_code, "stage": found.stage,
            "failed": list(found.failed), "missing": [shortfall_body(s) for s in found.missing],
            "not_checkable": list(found.unchecked)}


@router.get("/zones/{zone_code}/reserve",
            summary="The 后备库 of a zone in a year: the enterprises near a rung they are not on (科技型中小企业, "
                    "高企, 瞪羚), each with the failed criteria (within the margins of "
                    "catalog/data/ladder/reserve-*.yaml), how much more of what would pass them (yuan, people, "
                    "points) and what the data cannot check")
async def zone_reserve_route(request: Request, principal: security.ZoneReader, zone_code: str,
                             year: str | None = YEAR) -> dict[str, Any]:
    reader = current_figures(request)
    viewer, chosen = reader.viewer(principal), chosen_year(reader, year)
    found = await run_in_threadpool(zone_reserve, reader, [zone_code], chosen, viewer)
    return {"zone_code": zone_code, "year": chosen, "candidates": [candidate_body(c) for c in found]}


ENTERPRISES = Query([], description="the enterprises to screen (default: every one reporting in the year)")


@router.get("/zones/{zone_code}/screening",
            summary="Bulk screening: the 科技型中小企业 and 高企 self-check of every enterprise of the zone reporting "
                    "in the year (or those given as ?enterprise=), each prefilled from its own reports")
async def screening_route(request: Request, principal: security.ZoneReader, zone_code: str,
                          year: str | None = YEAR, enterprise: list[str] = ENTERPRISES) -> dict[str, Any]:
    reader = current_figures(request)
    chosen = chosen_year(reader, year)
    found = await run_in_threadpool(screen, reader, zone_code, chosen, reader.viewer(principal), None, enterprise)
    return {"zone_code": zone_code, "year": chosen, "enterprises": [self_check_body(c) for c in found]}


@router.post("/zones/{zone_code}/screening",
             summary="Bulk screening of an uploaded CSV (multipart 'file'): an id column (the credit code) and any "
                     "input columns of `hizone ladder assess`, which fill or correct the reports' figures; a bad "
                     "row refuses the file with a 400 naming row and column")
async def screening_upload_route(request: Request, principal: security.ZoneReader, zone_code: str,
                                 file: Annotated[UploadFile, File()],
                                 year: str = Form(..., pattern=r"^\d{4}$")) -> dict[str, Any]:
    chosen, found = await screened_upload(request, principal, zone_code, file, year)
    return {"zone_code": zone_code, "year": chosen, "enterprises": [self_check_body(c) for c in found]}


async def screened_upload(request: Request, principal: Principal, zone_code: str, file: UploadFile,
                          year: str) -> tuple[int, list[SelfCheck]]:
    """The year and the self-checks of an uploaded screening CSV (the page's and the API's one reading)."""
    require_multipart(request)
    data = await read_upload(request, file, (".csv",))
    reader = current_figures(request)
    chosen, source = chosen_year(reader, year), file.filename or "upload.csv"
    found = await run_in_threadpool(screen, reader, zone_code, chosen, reader.viewer(principal),
                                    decode_csv(data, source), (), source)
    return chosen, list(found)
