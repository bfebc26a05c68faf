"""SQL over the analytic tables for national analysts: one SELECT, results as a table, .xlsx/.csv export."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from hizone.analytics.sql import SqlRefused, tables
from hizone.config import analytics_path
from hizone.web import security
from hizone.web.i18n import translate
from hizone.web.pages.common import ExportFormat, export, figures
from hizone.web.rendering import render
from hizone.web.services.sql import query_table

router = APIRouter(include_in_schema=False)
EXAMPLE = ("SELECT zone_code, period, sum(e_revenue) AS revenue\nFROM enterprise_annual__annual__published\n"
           "GROUP BY ALL ORDER BY revenue DESC")


def _page(request: Request, sql: str, **context: object) -> Response:
    status = 400 if context.get("error") else 200
    path = analytics_path(request.app.state.settings)
    return render(request, "sql.html", {"sql": sql, "table": None, "truncated": False, "error": None,
                                        "limits": request.app.state.sql_limits, "tables": tables(path), **context},
                  status=status)


@router.get("/sql")
def sql_page(request: Request, _: security.AnalyticSql) -> Response:
    return _page(request, EXAMPLE)


@router.post("/sql")
def run_sql(request: Request, _: security.AnalyticSql, q: str = Form("")) -> Response:
    try:
        table, truncated = query_table(analytics_path(request.app.state.settings), q, request.app.state.sql_limits)
    except SqlRefused as refused:
        return _page(request, q, error=str(refused))
    return _page(request, q, table=table, truncated=truncated)


@router.post("/sql/export.{fmt}")
def export_sql(request: Request, _: security.AnalyticSql, fmt: ExportFormat, q: str = Form("")) -> Response:
    table, _truncated = query_table(analytics_path(request.app.state.settings), q, request.app.state.sql_limits)
    return export(table, fmt, translate("sql.title", request.state.lang), figures(request).synthetic)
