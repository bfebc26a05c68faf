"""PDF reports on demand (hizone.reports): a zone's evaluation report and the monthly economic-operation report of
the nation, a province or a zone, as pages' download links and as API routes. Each is printed once per data
version, language and caller scope, then served from the cache."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.auth import Principal
from hizone.reports.cache import PdfCache
from hizone.reports.sources import Sources
from hizone.web import security
from hizone.web.api.v1 import ERRORS
from hizone.web.pages.common import figures, resolve_year
from hizone.web.services.monitoring import monthly_periods
from hizone.web.services.views import load_views

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/reports", tags=["v1"], responses=ERRORS)
YEAR = Query(None, pattern=r"^\d{4}$")
MONTH = Query(None, pattern=r"^\d{4}-\d{2}$")
BENCHMARK = Query("top10", pattern=r"^(top10|[A-Za-z0-9]{1,8})$")
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "the report (PDF)"}}


def _sources(request: Request, principal: Principal) -> Sources:
    return Sources(request.app.state.engine, figures(request), request.app.state.runs, principal,
                   getattr(request.state, "lang", "zh"))


def _cache(request: Request) -> PdfCache:
    cache: PdfCache = request.app.state.pdfs
    return cache


def _pdf(body: bytes, filename: str) -> Response:
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _year(request: Request, year: str | None) -> int:
    chosen = resolve_year(figures(request), year)
    if chosen is None:
        raise HTTPException(status_code=404, detail="no approved annual data yet")
    return int(chosen)


def _month(request: Request, month: str | None) -> str:
    months = monthly_periods(figures(request), load_views())
    if month and month not in months:
        raise HTTPException(status_code=404, detail=f"no approved monthly reports for '{month}'")
    if not months:
        raise HTTPException(status_code=404, detail="no approved monthly reports yet")
    return month or months[-1]


async def zone_report_pdf(request: Request, principal: Principal, zone_code: str, year: str | None,
                          benchmark: str) -> Response:
    from hizone.reports.documents import print_zone_report

    chosen = _year(request, year)
    if zone_code not in figures(request).zones:
        raise HTTPException(status_code=404, detail=f"no zone '{zone_code}'")
    src = _sources(request, principal)
    # Printing waits on the browser: in a worker thread, so the event loop keeps serving other requests.
    body = await run_in_threadpool(print_zone_report, src, zone_code, chosen, benchmark, None, _cache(request))
    return _pdf(body, f"{zone_code}-{chosen}.pdf")


async def monthly_report_pdf(request: Request, principal: Principal, level: str, key: str | None,
                             month: str | None) -> Response:
    from hizone.reports.documents import print_monthly_report

    chosen = _month(request, month)
    src = _sources(request, principal)
    body = await run_in_threadpool(print_monthly_report, src, level, key, chosen, None, _cache(request))
    return _pdf(body, f"monthly-{key or 'nation'}-{chosen}.pdf")


# --- the pages' download links

@router.get("/zones/{zone_code}/report.pdf")
async def zone_report_page(request: Request, principal: security.ZoneReader, zone_code: str,
                           year: str | None = YEAR, benchmark: str = BENCHMARK) -> Response:
    return await zone_report_pdf(request, principal, zone_code, year, benchmark)


@router.get("/zones/{zone_code}/monthly.pdf")
async def zone_monthly_page(request: Request, principal: security.ZoneReader, zone_code: str,
                            month: str | None = MONTH) -> Response:
    return await monthly_report_pdf(request, principal, "zone", zone_code, month)


@router.get("/monitoring/report.pdf")
async def national_monthly_page(request: Request, principal: security.Scoped, month: str | None = MONTH) -> Response:
    return await monthly_report_pdf(request, principal, "nation", None, month)


@router.get("/monitoring/provinces/{province_code}/report.pdf")
async def province_monthly_page(request: Request, principal: security.ProvinceReader, province_code: str,
                                month: str | None = MONTH) -> Response:
    return await monthly_report_pdf(request, principal, "province", province_code, month)


# --- the API

@api_router.get("/zones/{zone_code}/evaluation.pdf", responses=PDF, response_class=Response)
async def zone_report_api(request: Request, principal: security.ZoneReader, zone_code: str,
                          year: str | None = YEAR, benchmark: str = BENCHMARK) -> Response:
    """A zone's evaluation report (PDF): scores and ranks with intervals, rank history, radar, strengths and
    weaknesses, the gap table against the benchmark (top10 or a zone code) with the index points of each gap."""
    return await zone_report_pdf(request, principal, zone_code, year, benchmark)


@api_router.get("/zones/{zone_code}/monthly.pdf", responses=PDF, response_class=Response)
async def zone_monthly_api(request: Request, principal: security.ZoneReader, zone_code: str,
                           month: str | None = MONTH) -> Response:
    """A zone's monthly economic-operation report (PDF) for ``month`` (default the latest)."""
    return await monthly_report_pdf(request, principal, "zone", zone_code, month)


@api_router.get("/monthly.pdf", responses=PDF, response_class=Response)
async def national_monthly_api(request: Request, principal: security.Scoped, month: str | None = MONTH) -> Response:
    """The national monthly economic-operation report (PDF), with the figures the caller may see."""
    return await monthly_report_pdf(request, principal, "nation", None, month)


@api_router.get("/provinces/{province_code}/monthly.pdf", responses=PDF, response_class=Response)
async def province_monthly_api(request: Request, principal: security.ProvinceReader, province_code: str,
                               month: str | None = MONTH) -> Response:
    """A province's monthly economic-operation report (PDF): for the national roles and its department."""
    return await monthly_report_pdf(request, principal, "province", province_code, month)
