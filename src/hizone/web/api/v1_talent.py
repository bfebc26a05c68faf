"""/api/v1/talent: a campaign's standings against target and schedule, a zone's detail, the job fairs.

Thin: the route's rule checks the caller; web.services.talent cuts every list to the caller's zones."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.errors import HizoneError
from hizone.web import security
from hizone.web.api.v1 import ERRORS
from hizone.web.rendering import current_figures
from hizone.web.services import talent as svc

router = APIRouter(prefix="/api/v1/talent", tags=["v1"], responses=ERRORS)
CAMPAIGN = Query(None, description="campaign key, e.g. research_assistant-2022 (default: the latest)")


def _day(on: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(on) if on else None
    except ValueError:
        raise HTTPException(status_code=400, detail=f"on: '{on}' is not a date (YYYY-MM-DD)") from None


def _campaign(c: Any) -> dict[str, Any]:
    return {"key": c.key, "name_zh": c.name_zh, "name_en": c.name_en, "start": c.start.isoformat(),
            "deadline": c.deadline.isoformat(), "report_form": c.report_form}


@router.get("/progress")
async def progress(request: Request, principal: security.Scoped, campaign: str | None = CAMPAIGN,
                   on: Annotated[str | None, Query(description="as of this day (YYYY-MM-DD)")] = None
                   ) -> dict[str, Any]:
    """Zones and provinces the caller may read, ranked by completion, with the schedule and the warnings."""
    try:
        found = await run_in_threadpool(svc.dashboard, request.app.state.engine, principal, campaign, _day(on))
    except HizoneError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    p = found.progress
    return {"campaign": _campaign(p.campaign), "on": p.on.isoformat(), "due": p.due, "synthetic": p.synthetic,
            "nation": svc.progress_dict(found.national) if found.national else None,
            "zones": [svc.progress_dict(z) for z in p.zones], "provinces": [svc.progress_dict(x) for x in p.provinces],
            "alerts": [dataclasses.asdict(a) for a in p.alerts]}


async def weekly_pdf(request: Request, principal: security.Scoped, campaign: str | None, on: str | None) -> Response:
    """The weekly progress report (PDF) of the zones and provinces the caller may read, as the dashboard."""
    from hizone.reports.talent import print_weekly_report

    try:
        found = await run_in_threadpool(svc.dashboard, request.app.state.engine, principal, campaign, _day(on))
    except HizoneError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    # Printing waits on the browser: in a worker thread, so the event loop keeps serving other requests.
    body = await run_in_threadpool(print_weekly_report, request.app.state.engine, found.progress, found.national,
                                   getattr(request.state, "lang", "zh"))
    name = f"talent-{found.progress.campaign.key}-{found.progress.on.isoformat()}.pdf"
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/progress.pdf", responses={200: {"content": {"application/pdf": {}}, "description": "the report (PDF)"}},
            response_class=Response)
async def progress_pdf(request: Request, principal: security.Scoped, campaign: str | None = CAMPAIGN,
                       on: Annotated[str | None, Query(description="as of this day (YYYY-MM-DD)")] = None
                       ) -> Response:
    """The weekly progress report (PDF): the caller's zones and provinces ranked against target and schedule, and
    the laggard warnings; the same figures as /progress and the .xlsx."""
    return await weekly_pdf(request, principal, campaign, on)


@router.get("/zones/{zone_code}")
async def zone(request: Request, principal: security.ZoneReader, zone_code: str,
               campaign: str | None = CAMPAIGN) -> dict[str, Any]:
    """One zone's standing, weekly cumulative reports, hosted fairs and new graduates hired by year."""
    try:
        d = await run_in_threadpool(svc.zone_detail, request.app.state.engine, current_figures(request), principal,
                                    zone_code, campaign)
    except HizoneError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return {"campaign": _campaign(d.campaign), "synthetic": d.synthetic,
            "standing": svc.progress_dict(d.standing) if d.standing else None,
            "reports": [{"on": r.on.isoformat(), "developed": r.developed, "signed": r.signed, "on_duty": r.on_duty,
                         "correction": r.correction} for r in d.reports],
            "graduates": [{"year": y, "value": v} for y, v in d.graduates],
            "fairs": [{**dataclasses.asdict(f), "held_on": f.held_on.isoformat()} for f in d.fairs]}


@router.get("/fairs")
async def fairs(request: Request, principal: security.Scoped, campaign: str | None = CAMPAIGN) -> dict[str, Any]:
    """The fairs hosted by the caller's zones; the stored totals (national roles) beside the bulletin's."""
    try:
        v = await run_in_threadpool(svc.fairs_view, request.app.state.engine, principal, campaign)
    except HizoneError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return {"campaign": _campaign(v.campaign), "totals": v.totals,
            "fairs": [{**dataclasses.asdict(f), "held_on": f.held_on.isoformat()} for f in v.rows],
            "bulletin": [{"as_of": s.as_of.isoformat(), "text": s.text, "figures": s.figures,
                          "at_least": list(s.at_least)} for s in v.summaries]}
