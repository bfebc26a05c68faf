"""经济运行监测: latest month cumulative figures with y/y, and the alerts with evidence; acknowledge/resolve."""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from hizone.auth.users import audit
from hizone.monitor.service import AlertStore
from hizone.store import session_scope
from hizone.web import security
from hizone.web.pages.common import ExportFormat, export, figures, see_other
from hizone.web.rendering import render
from hizone.web.services import monitoring as svc
from hizone.web.services.views import load_views

router = APIRouter(include_in_schema=False)
MONTH = Query(None, pattern=r"^\d{4}-\d{2}$")
STATE = Query(None, pattern=r"^(open|acknowledged|resolved)$")


def _month(request: Request, month: str | None) -> str | None:
    fig = figures(request)
    if month and month not in fig.months:
        from fastapi import HTTPException

        raise HTTPException(status_code=404, detail=f"no approved monthly reports for '{month}'")
    return month or (fig.months[-1] if fig.months else None)


@router.get("/monitoring")
def monitoring(request: Request, principal: security.Scoped, month: str | None = MONTH,
               state: str | None = STATE) -> Response:
    fig, views, lang = figures(request), load_views(), request.state.lang
    chosen = _month(request, month)
    context: dict[str, object] = {"fig": fig, "month": chosen, "state": state or ""}
    if chosen:
        context.update(national=svc.national(fig, views, chosen, lang),
                       provinces=svc.province_table(fig, views, chosen, lang),
                       zones=svc.zone_table(fig, views, chosen, lang, principal))
    alerts = svc.alerts(request.app.state.engine, principal, state=state)
    context["alerts"] = [(a, svc.evidence_chart(a)) for a in alerts[:200]]
    context["alert_total"] = len(alerts)
    return render(request, "monitoring.html", context)


@router.get("/monitoring/export/{table_name}.{fmt}")
def export_monthly(request: Request, principal: security.Scoped, table_name: str, fmt: ExportFormat,
                   month: str | None = MONTH) -> Response:
    fig, views, lang = figures(request), load_views(), request.state.lang
    chosen = _month(request, month) or ""
    if table_name == "provinces":
        table = svc.province_table(fig, views, chosen, lang)
    elif table_name == "zones":
        table = svc.zone_table(fig, views, chosen, lang, principal)
    else:
        from fastapi import HTTPException

        raise HTTPException(status_code=404, detail=f"no table '{table_name}' (provinces or zones)")
    return export(table, fmt, f"{table.name} {chosen}", fig.synthetic)


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
