"""综合评价: every zone's overall and dimension ranks, scores, rank change and uncertainty interval."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hizone.auth import Principal
from hizone.web import security
from hizone.web.i18n import translate
from hizone.web.page_cache import cached_page
from hizone.web.pages.common import ExportFormat, export, figures
from hizone.web.rendering import render_cached
from hizone.web.services import rankings as svc
from hizone.web.services.views import load_views

router = APIRouter(include_in_schema=False)
YEAR = Query(None, ge=1988, le=2100)
PROVINCE = Query(None, pattern=r"^\d{2}$")
REGION = Query(None, pattern=r"^(east|central|west|northeast)$")
GROUP = Query(None, pattern=r"^[a-z0-9_]{1,40}$")


def _table(request: Request, principal: Principal, year: int | None, province: str | None,
           region: str | None, group: str | None) -> tuple[svc.Ranking | None, svc.Table | None]:
    engine, views = request.app.state.engine, load_views()
    ranking = svc.ranking_for(engine, request.app.state.runs, views.evaluation_framework, year)
    if ranking is None:
        return None, None
    return ranking, svc.ranking_rows(ranking, figures(request), principal, request.state.lang, province or None,
                                     region or None, group or None)


@router.get("/rankings")
async def rankings(request: Request, principal: security.Public, year: int | None = YEAR,
                   province: str | None = PROVINCE, region: str | None = REGION,
                   group: str | None = GROUP) -> Response:
    return await cached_page(request, principal, lambda: _rankings(request, principal, year, province, region, group))


def _rankings(request: Request, principal: Principal, year: int | None, province: str | None, region: str | None,
              group: str | None) -> Response:
    engine, views, lang = request.app.state.engine, load_views(), request.state.lang
    ranking = svc.ranking_for(engine, request.app.state.runs, views.evaluation_framework, year, figures(request))
    svc.group_by_code(group)  # an unknown group is the caller's mistake, found before the cache
    scope = (principal.role, principal.province_code, principal.zone_code)  # decides which rows link to profiles

    def build() -> dict[str, object]:
        table = (svc.ranking_rows(ranking, figures(request), principal, lang, province or None, region or None,
                                  group or None) if ranking else None)
        return {"ranking": ranking, "table": table, "years": sorted(svc.latest_runs(engine, views.evaluation_framework),
                                                                    reverse=True),
                "province": province, "region": region, "group": group, "groups": svc.zone_groups(),
                "fig": figures(request),
                "query": f"?year={ranking.run.year if ranking else ''}&province={province or ''}"
                         f"&region={region or ''}&group={group or ''}"}

    key = (ranking.run.id if ranking else None, province, region, group, *scope)
    return render_cached(request, "rankings.html", key, lambda: translate("nav.rankings", lang), build)


@router.get("/export/rankings.{fmt}")
def export_rankings(request: Request, principal: security.Public, fmt: ExportFormat, year: int | None = YEAR,
                    province: str | None = PROVINCE, region: str | None = REGION,
                    group: str | None = GROUP) -> Response:
    ranking, table = _table(request, principal, year, province, region, group)
    if ranking is None or table is None:
        from fastapi import HTTPException

        raise HTTPException(status_code=404, detail="no evaluation run yet")
    return export(table, fmt, f"{translate('rank.title', request.state.lang)} {ranking.run.year}",
                  figures(request).synthetic or ranking.run.synthetic)
