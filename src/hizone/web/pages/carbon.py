"""碳账户 pages: the national page (the nation's account and the map of the provinces shaded by 单位增加值综合能耗)
and a zone's page (ledger, intensity against the 28号 path, warning level, largest emitters, trend).

The figures are hizone.web.services.carbon's, the same dicts the API answers with, so page and API agree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hizone.analytics.read import Reader
from hizone.auth import Principal
from hizone.store.carbon_accounts import last_publication
from hizone.web import security
from hizone.web.errors import error_response
from hizone.web.i18n import translate
from hizone.web.pages.common import ExportFormat, export, figures
from hizone.web.rendering import render_cached
from hizone.web.services import carbon as svc
from hizone.web.services import readings as readings_svc
from hizone.web.services.geo import province_features, zone_point

router = APIRouter(include_in_schema=False)
YEAR = Query(None, ge=2000, le=2100)
MAP_FIGURE = "energy_intensity"


def _key(request: Request, principal: Principal, year: int) -> tuple[object, ...]:
    """What a carbon page depends on beyond the data version: the caller's scope and the year's publications."""
    return (principal.role, principal.province_code, principal.zone_code,
            last_publication(request.app.state.engine, year))


def _answer(request: Request, make: Callable[[], Response]) -> Response:
    """``make``'s page, or the error page of the request it could not answer (the service says which status)."""
    try:
        return make()
    except svc.CarbonRequestError as exc:
        return error_response(request, exc.status, exc.reason, where=exc.where)


def _shown(request: Request, fig: Reader, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return svc.as_published(request.app.state.engine, fig, rows)


@router.get("/carbon")
def national(request: Request, principal: security.Public, year: int | None = YEAR) -> Response:
    fig, lang = figures(request), request.state.lang

    def page() -> Response:
        chosen = svc.chosen_year(fig, year)
        [nation] = _shown(request, fig, svc.accounts(fig, principal, "nation", None, chosen))

        def build() -> dict[str, object]:
            provinces = _shown(request, fig, _in_scope(fig, principal, "province", chosen))
            zones = _shown(request, fig, _in_scope(fig, principal, "zone", chosen))
            return {"year": chosen, "years": svc.account_years(fig), "nation": nation, "provinces": provinces,
                    "zones": zones, "map": _map(fig, provinces, zones, lang), "display": svc.DISPLAY}

        return render_cached(request, "carbon.html", (chosen, *_key(request, principal, chosen)),
                             lambda: translate("nav.carbon", lang), build)

    return _answer(request, page)


def _in_scope(fig: Reader, principal: Principal, level: str, year: int) -> list[dict[str, Any]]:
    """The groups of ``level`` the principal may read (none: an empty list, not a refusal, on this page)."""
    try:
        return svc.accounts(fig, principal, level, None, year, with_detail=False)
    except svc.CarbonRequestError:
        return []


def _map(fig: Reader, provinces: list[dict[str, Any]], zones: list[dict[str, Any]], lang: str) -> dict[str, object]:
    """The overview's ECharts map payload, shaded by 单位增加值综合能耗 (tce/万元)."""
    features = province_features()
    shaded = [{"name": features[p["key"]][0], "label": p["name_en"] if lang == "en" else p["name_zh"],
               "value": p.get(MAP_FIGURE), "suppressed": bool(p["withheld"]) and p["withheld"] != "no data"}
              for p in provinces if p["key"] in features]
    points = []
    for z in zones:
        where = zone_point(z["key"], fig.zones[z["key"]].province_code)
        if where is not None and z.get(MAP_FIGURE) is not None:
            points.append({"name": z["name_en"] if lang == "en" else z["name_zh"], "code": z["key"],
                           "value": [round(where[0], 3), round(where[1], 3), z[MAP_FIGURE]]})
    return {"indicator": translate("carbon.energy_intensity", lang), "unit": "tce/万元", "provinces": shaded,
            "zones": points}


@router.get("/carbon/zones/{zone_code}")
def zone(request: Request, principal: security.ZoneReader, zone_code: str, year: int | None = YEAR) -> Response:
    fig, lang = figures(request), request.state.lang

    def page() -> Response:
        chosen = svc.chosen_year(fig, year)
        [account] = _shown(request, fig, svc.accounts(fig, principal, "zone", zone_code, chosen,
                                                      engine=request.app.state.engine))

        def build() -> dict[str, object]:
            trend = account.get("trend", [])
            chart = {"years": [t["year"] for t in trend], "series": [
                {"name": translate(f"carbon.{name}", lang), "data": [t[name] for t in trend]} for name in svc.TREND]}
            return {"year": chosen, "years": svc.account_years(fig), "account": account, "chart": chart,
                    "display": svc.DISPLAY}

        return render_cached(request, "carbon_zone.html", (zone_code, chosen, *_key(request, principal, chosen)),
                             lambda: translate("nav.carbon", lang), build)

    return _answer(request, page)


@router.get("/carbon/zones/{zone_code}/readings")
def zone_readings(request: Request, principal: security.ZoneReader, zone_code: str,
                  month: str | None = Query(None, max_length=7)) -> Response:
    """The zone's main energy-using units: day and month roll-ups of their readings, the latest warnings."""
    fig, lang = figures(request), request.state.lang
    engine = request.app.state.engine

    def page() -> Response:
        found = readings_svc.zone_readings(engine, fig, principal, zone_code, month)
        # The figures are computed per request (readings arrive all the time); the key is their digest.
        key = (zone_code, hashlib.sha256(json.dumps(found, sort_keys=True).encode()).hexdigest())
        return render_cached(request, "carbon_readings.html", key, lambda: translate("carbon.readings", lang),
                             lambda: {"r": found})

    return _answer(request, page)


@router.get("/carbon/export/accounts.{fmt}")
def export_accounts(request: Request, principal: security.Public, fmt: ExportFormat,
                    level: Literal["province", "zone"] = "zone", year: int | None = YEAR) -> Response:
    """The provinces' or zones' accounts the viewer may read, as .xlsx or .csv (the rows the page lists)."""
    fig, lang = figures(request), request.state.lang

    def download() -> Response:
        table = svc.accounts_table(request.app.state.engine, fig, principal, level, year, lang)
        title = f"{translate('carbon.title', lang)} {translate(f'carbon.{level}s', lang)} " \
                f"{svc.chosen_year(fig, year)}"
        return export(table, fmt, title, fig.synthetic)

    return _answer(request, download)
