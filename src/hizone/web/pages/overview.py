"""国家高新区总览: KPI cards with y/y, the map, top-N zones, national trends and the province table."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hizone.auth import Principal
from hizone.web import security
from hizone.web.i18n import translate
from hizone.web.page_cache import cached_page
from hizone.web.pages.common import ExportFormat, export, figures, resolve_year
from hizone.web.rendering import render_cached
from hizone.web.services import overview as svc
from hizone.web.services.views import load_views

router = APIRouter(include_in_schema=False)
YEAR = Query(None, pattern=r"^\d{4}$", description="report year, e.g. 2023")
INDICATOR = Query(None, max_length=40)


@router.get("/")
async def overview(request: Request, principal: security.Public, year: str | None = YEAR,
                   indicator: str | None = INDICATOR) -> Response:
    return await cached_page(request, principal, lambda: _overview(request, principal, year, indicator))


def _overview(request: Request, principal: Principal, year: str | None, indicator: str | None) -> Response:
    fig, views, lang = figures(request), load_views(), request.state.lang
    chosen_year = resolve_year(fig, year)
    ind = svc.indicator_by_code(views, indicator)
    viewer = fig.viewer(principal)

    def build() -> dict[str, object]:
        context: dict[str, object] = {"fig": fig, "years": svc.annual_periods(fig), "year": chosen_year,
                                      "views": views}
        if chosen_year is not None:
            context.update(
                kpis=svc.kpis(fig, views, chosen_year, viewer), indicator=ind,
                map=svc.map_payload(fig, views, chosen_year, ind, lang, viewer),
                trend=svc.trend_payload(fig, views, lang, viewer),
                top=svc.top_zones(fig, views, chosen_year, ind, lang, views.top_n, viewer),
                provinces=svc.province_table(fig, views, chosen_year, lang, viewer))
        return context

    # What disclosure control withholds depends on what the viewer may see: part of the key.
    return render_cached(request, "overview.html", (chosen_year, ind.code, viewer.known),
                         lambda: translate("nav.overview", lang), build)


@router.get("/export/provinces.{fmt}")
def export_provinces(request: Request, principal: security.Public, fmt: ExportFormat,
                     year: str | None = YEAR) -> Response:
    fig, views, lang = figures(request), load_views(), request.state.lang
    chosen = resolve_year(fig, year) or ""
    table = svc.province_table(fig, views, chosen, lang, fig.viewer(principal))
    return export(table, fmt, f"{translate('overview.provinces', lang)} {chosen}", fig.synthetic)


@router.get("/export/top_zones.{fmt}")
def export_top_zones(request: Request, principal: security.Public, fmt: ExportFormat, year: str | None = YEAR,
                     indicator: str | None = INDICATOR) -> Response:
    fig, views, lang = figures(request), load_views(), request.state.lang
    chosen = resolve_year(fig, year) or ""
    ind = svc.indicator_by_code(views, indicator)
    table = svc.top_zones(fig, views, chosen, ind, lang, views.top_n, fig.viewer(principal))
    return export(table, fmt, f"{translate('overview.top', lang)} {chosen}", fig.synthetic)
