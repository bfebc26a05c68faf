"""孵化链条 pages: the national (or in-scope) summary with the carriers' map and list, a carrier's profile
(levels, self-check against the 2018 conditions, grade, graduates), a zone's chain as a funnel; exports of the
listed carriers. The rows are hizone.incubation.service's, as the API answers them."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from hizone.incubation import service as svc
from hizone.web import security
from hizone.web.i18n import translate
from hizone.web.pages.common import ExportFormat, export, figures
from hizone.web.rendering import render
from hizone.web.services import incubation as view

router = APIRouter(include_in_schema=False)


def _kind(kind: str | None) -> str | None:
    if kind and kind not in svc.CHAIN:
        raise HTTPException(status_code=404, detail=f"no carrier kind '{kind}'")
    return kind or None


@router.get("/incubation")
def overview(request: Request, principal: security.Scoped, kind: str | None = None) -> Response:
    lang = request.state.lang
    found = view.overview(request.app.state.engine, principal, lang, kind=_kind(kind), reader=figures(request))
    return render(request, "incubation.html", found)


@router.get("/incubation/carriers/{carrier_code}")
def carrier(request: Request, principal: security.CarrierReader, carrier_code: str) -> Response:
    found = svc.profile(request.app.state.engine, principal, carrier_code)
    return render(request, "incubation_carrier.html", {"p": found})


@router.get("/incubation/zones/{zone_code}")
def zone_chain(request: Request, principal: security.ZoneReader, zone_code: str) -> Response:
    lang, engine = request.state.lang, request.app.state.engine
    funnel = svc.chain(engine, principal, zone_code)
    rows = svc.list_carriers(engine, principal, zone=zone_code)
    return render(request, "incubation_zone.html", {
        "zone_code": zone_code, "chart": view.funnel_chart(funnel, lang), "chain": view.chain_table(funnel, lang),
        "table": view.carriers_table(rows, lang), "graduates": svc.graduates_path(engine, principal, zone=zone_code)})


@router.get("/incubation/export/carriers.{fmt}")
def export_carriers(request: Request, principal: security.Scoped, fmt: ExportFormat, kind: str | None = None,
                    zone: str | None = None) -> Response:
    """The carriers the viewer may read (filtered by kind and zone) as .xlsx or .csv, the chain on a second sheet."""
    lang, engine = request.state.lang, request.app.state.engine
    rows = svc.list_carriers(engine, principal, zone=zone, kind=_kind(kind))
    chain = view.chain_table(svc.chain(engine, principal, zone), lang)
    synthetic = figures(request).synthetic
    return export(view.carriers_table(rows, lang), fmt, translate("incubation.title", lang), synthetic, (chain,))
