"""经济运行监测: latest month cumulative figures with y/y, and the alerts with evidence; acknowledge/resolve."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from hizone.auth import Principal
from hizone.auth.users import audit
from hizone.monitor.service import AlertStore
from hizone.store import session_scope
from hizone.web import security
from hizone.web.pages.common import ExportFormat, export, figures, see_other
from hizone.web.rendering import render
from hizone.web.services import monitoring as svc
from hizone.web.services.tables import Table
from hizone.web.services.views import load_views

router = APIRouter(include_in_schema=False)
MONTH = Query(None, pattern=r"^\d{4}-\d{2}$")
STATE = Query(None, pattern=r"^(open|acknowledged|resolved)?$")  # empty: all (the filter's first option)
ALERTS_ON_PAGE = 200


def _month(request: Request, month: str | None) -> str | None:
    months = svc.monthly_periods(figures(request), load_views())
    if month and month not in months:
        raise HTTPException(status_code=404, detail=f"no approved monthly reports for '{month}'")
    return month or (months[-1] if months else None)


@router.get("/monitoring")
def monitoring(request: Request, principal: security.Scoped, month: str | None = MONTH,
               state: str | None = STATE) -> Response:
    fig, views, lang = figures(request), load_views(), request.state.lang
    chosen = _month(request, month)
    context: dict[str, object] = {"fig": fig, "months": svc.monthly_periods(fig, views), "month": chosen,
                                  "state": state or ""}
    if chosen:
        viewer = fig.viewer(principal)
        context.update(national=svc.national(fig, views, chosen, lang, viewer),
                       provinces=svc.province_table(fig, views, chosen, lang, viewer),
                       zones=svc.zone_table(fig, views, chosen, lang, principal))
    alerts = svc.alerts(request.app.state.engine, principal, state=state)
    context.update(alerts=svc.alert_table(alerts[:ALERTS_ON_PAGE], lang), alert_total=len(alerts),
                   alerts_shown=ALERTS_ON_PAGE)
    return render(request, "monitoring.html", context)


def _monitoring_table(request: Request, principal: Principal, table_name: str, month: str,
                      state: str | None) -> Table:
    """One of the monitoring page's tables, with the page's own checks: the provinces table only for the
    national roles (the page shows it to no one else), zones and alerts limited to the caller's scope."""
    fig, views, lang = figures(request), load_views(), request.state.lang
    if table_name == "provinces":
        if not principal.is_national:
            raise HTTPException(status_code=403, detail="the province table is for the national roles")
        return svc.province_table(fig, views, month, lang, fig.viewer(principal))
    if table_name == "zones":
        return svc.zone_table(fig, views, month, lang, principal)
    if table_name == "alerts":
        return svc.alert_table(svc.alerts(request.app.state.engine, principal, state=state), lang)
    raise HTTPException(status_code=404, detail=f"no table '{table_name}' (provinces, zones or alerts)")


@router.get("/monitoring/export/{table_name}.{fmt}")
def export_monitoring(request: Request, principal: security.Scoped, table_name: str, fmt: ExportFormat,
                      month: str | None = MONTH, state: str | None = STATE) -> Response:
    chosen = _month(request, month) or ""
    table = _monitoring_table(request, principal, table_name, chosen, state)
    return export(table, fmt, f"{table.name} {chosen}", figures(request).synthetic)


@router.post("/monitoring/alerts/{alert_id}")
def change_alert(request: Request, principal: security.AlertHandler, alert_id: str,
                 state: str = Form(..., pattern=r"^(open|acknowledged|resolved)$"),
                 note: str = Form("", max_length=500)) -> Response:
    engine = request.app.state.engine
    changed = AlertStore(engine).transition(int(alert_id), state, principal.username, note or None)
    with session_scope(engine) as session:
        audit(session, principal.username, f"alert_{state}", "alert", alert_id, rule=changed.rule, key=changed.key,
              period=changed.period, note=note or None)
    return see_other(f"/monitoring#alert-{alert_id}")
