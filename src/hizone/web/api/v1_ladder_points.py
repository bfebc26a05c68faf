"""/api/v1/ladder/points: a zone's innovation points (创新积分制) in a year, each enterprise's score, rank and the
normalised value and weighted contribution of each indicator.

The banks' list (科创积分贷) is the same rows as .xlsx (hizone.ladder.points_workbook), at /{zone}/export.xlsx here
and on the points page.

Who sees what (hizone.auth.policy): a reader of the zone every enterprise; an enterprise that reported in the zone
only its own row (its rank among the zone's, no other enterprise's values).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.analytics.read import Reader, Viewer
from hizone.auth.policy import Principal, can_read_zone
from hizone.ladder.points import Score
from hizone.ladder.points_service import ZonePoints, zone_points
from hizone.ladder.points_workbook import DEFAULT_NOTE, points_workbook
from hizone.web import security
from hizone.web.api.v1 import ERRORS
from hizone.web.api.v1_ladder import YEAR, chosen_year
from hizone.web.rendering import current_figures

router = APIRouter(prefix="/api/v1/ladder/points", tags=["v1"], responses=ERRORS)


def visible_points(reader: Reader, principal: Principal, zone_code: str, year: int) -> ZonePoints:
    """The zone's points as ``principal`` (let through by security.zone_points) may see them: every row, or an
    enterprise's own row alone."""
    zone = reader.zones.get(zone_code)
    if zone is None:
        raise HTTPException(status_code=404, detail=f"no zone '{zone_code}'")
    if can_read_zone(principal, zone_code, zone.province_code):
        return zone_points(reader, zone_code, year, reader.viewer(principal))
    # The route's rule let an enterprise of the zone through: the rank needs the whole zone, but only the
    # enterprise's own row leaves this function.
    found = zone_points(reader, zone_code, year, Viewer(frozenset([zone_code]), frozenset()))
    own = [s for s in found.scores if s.credit_code == principal.credit_code]
    return ZonePoints(zone_code, year, found.rules, own, found.scored)


def score_body(score: Score) -> dict[str, Any]:
    return {"credit_code": score.credit_code, "rank": score.rank, "score": score.score, "stage": score.stage.code,
            "stage_label": score.stage.label, "missing": score.missing,
            "bonus": [{"flag": b.flag, "points": b.points} for b in score.bonus],
            "penalty": [{"flag": p.flag, "points": p.points} for p in score.penalty],
            "indicators": [{"indicator": c.indicator.code, "group": c.indicator.group, "value": c.value,
                            "normalised": c.normalised, "weight": c.weight, "points": c.points}
                           for c in score.contributions]}


def points_body(found: ZonePoints) -> dict[str, Any]:
    rules = found.rules
    return {"zone_code": found.zone_code, "year": found.year, "enterprises_scored": found.scored,
            "rules": {"version": rules.version, "official": rules.official, "normalisation": rules.normalisation,
                      "note": None if rules.official else DEFAULT_NOTE},
            "scores": [score_body(s) for s in found.scores]}


@router.get("/{zone_code}",
            summary="A zone's innovation points (创新积分制) in a year: per enterprise its stage, score, rank and each "
                    "indicator's value, normalised value and contribution (an enterprise sees its own row only)")
async def zone_points_route(request: Request, principal: security.ZonePointsReader, zone_code: str,
                            year: str | None = YEAR) -> dict[str, Any]:
    reader = current_figures(request)
    chosen = chosen_year(reader, year)
    return points_body(await run_in_threadpool(visible_points, reader, principal, zone_code, chosen))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def points_xlsx(reader: Reader, principal: Principal, zone_code: str, year: int) -> Response:
    """The banks' list of what ``principal`` may see of the zone's points (as ``visible_points``)."""
    found = visible_points(reader, principal, zone_code, year)
    return Response(points_workbook(found, reader.synthetic), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="innovation_points_{zone_code}_{year}.xlsx"'})


@router.get("/{zone_code}/export.xlsx",
            summary="The banks' list (科创积分贷) of a zone's innovation points as .xlsx: one row per enterprise with "
                    "its rank, stage, score and each indicator's value, normalised value and points (an enterprise "
                    "gets its own row only)",
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def zone_points_xlsx_route(request: Request, principal: security.ZonePointsReader, zone_code: str,
                                 year: str | None = YEAR) -> Response:
    reader = current_figures(request)
    chosen = chosen_year(reader, year)
    return await run_in_threadpool(points_xlsx, reader, principal, zone_code, chosen)
