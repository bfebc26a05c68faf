"""The innovation points page (创新积分制) of a zone: the ranking and, per enterprise, each indicator's value,
normalised value, weight and points; marked when the rules are a documented default, not the official list.

Thin: the route's rule (security.zone_points) and hizone.web.api.v1_ladder_points decide what the caller sees
(a zone's readers every row, an enterprise of the zone its own).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.web import security
from hizone.web.api.v1_ladder import YEAR, chosen_year
from hizone.web.api.v1_ladder_points import points_xlsx, visible_points
from hizone.web.rendering import current_figures, render

router = APIRouter(include_in_schema=False)


@router.get("/ladder/points/{zone_code}")
async def zone_points_page(request: Request, principal: security.ZonePointsReader, zone_code: str,
                           year: str | None = YEAR) -> Response:
    reader = current_figures(request)
    chosen = chosen_year(reader, year)
    found = await run_in_threadpool(visible_points, reader, principal, zone_code, chosen)
    return render(request, "ladder_points.html", {"zone": reader.zones[zone_code], "year": chosen, "found": found})


@router.get("/ladder/points/{zone_code}/export.xlsx")
async def zone_points_workbook(request: Request, principal: security.ZonePointsReader, zone_code: str,
                               year: str | None = YEAR) -> Response:
    """The banks' list (科创积分贷) of what the page shows, as .xlsx."""
    reader = current_figures(request)
    chosen = chosen_year(reader, year)
    return await run_in_threadpool(points_xlsx, reader, principal, zone_code, chosen)
