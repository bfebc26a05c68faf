"""Talent pages: the campaign's dashboard (progress bars against target and schedule), a zone's detail, the job
fairs, and the weekly progress report (.xlsx). Thin: the rule checks the caller; web.services.talent cuts the
figures to the caller's zones; the templates show them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.auth.policy import Principal
from hizone.errors import HizoneError
from hizone.talent.service import weekly_workbook
from hizone.web import security
from hizone.web.api.v1_talent import CAMPAIGN, _day, weekly_pdf
from hizone.web.pages.common import MEDIA
from hizone.web.rendering import current_figures, render
from hizone.web.services import talent as svc

router = APIRouter(include_in_schema=False)
National = Annotated[Principal, Depends(security.national)]


def _found(error: HizoneError) -> HTTPException:
    return HTTPException(status_code=404, detail=str(error))


@router.get("/talent")
async def dashboard_page(request: Request, principal: security.Scoped, campaign: str | None = CAMPAIGN,
                         on: Annotated[str | None, Query()] = None) -> Response:
    try:
        found = await run_in_threadpool(svc.dashboard, request.app.state.engine, principal, campaign, _day(on))
    except HizoneError as exc:
        raise _found(exc) from None
    return render(request, "talent.html", {"p": found.progress, "nation": found.national})


@router.get("/talent/zones/{zone_code}")
async def zone_page(request: Request, principal: security.ZoneReader, zone_code: str,
                    campaign: str | None = CAMPAIGN) -> Response:
    reader = current_figures(request)
    try:
        detail = await run_in_threadpool(svc.zone_detail, request.app.state.engine, reader, principal, zone_code,
                                         campaign)
    except HizoneError as exc:
        raise _found(exc) from None
    return render(request, "talent_zone.html", {"d": detail, "zone": reader.zones[zone_code]})


@router.get("/talent/fairs")
async def fairs_page(request: Request, principal: security.Scoped, campaign: str | None = CAMPAIGN) -> Response:
    try:
        view = await run_in_threadpool(svc.fairs_view, request.app.state.engine, principal, campaign)
    except HizoneError as exc:
        raise _found(exc) from None
    return render(request, "talent_fairs.html", {"v": view})


@router.get("/talent/export/progress.xlsx")
async def weekly_report(request: Request, principal: National, campaign: str | None = CAMPAIGN,
                        on: Annotated[str | None, Query()] = None) -> Response:
    """The weekly progress report of every zone and province (the national roles')."""
    try:
        found = await run_in_threadpool(svc.dashboard, request.app.state.engine, principal, campaign, _day(on))
    except HizoneError as exc:
        raise _found(exc) from None
    body = await run_in_threadpool(weekly_workbook, found.progress)
    name = f"talent-{found.progress.campaign.key}-{found.progress.on.isoformat()}.xlsx"
    return Response(body, media_type=MEDIA["xlsx"], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/talent/export/progress.pdf")
async def weekly_report_pdf(request: Request, principal: security.Scoped, campaign: str | None = CAMPAIGN,
                            on: Annotated[str | None, Query()] = None) -> Response:
    """The weekly progress report printed (PDF), cut to the caller's zones and provinces like the dashboard."""
    return await weekly_pdf(request, principal, campaign, on)
