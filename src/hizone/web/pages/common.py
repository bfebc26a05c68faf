"""Helpers the page routers share: safe redirects, table export responses, the figures snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from hizone.analytics.read import Reader
from hizone.web.rendering import current_figures
from hizone.web.services.overview import annual_periods
from hizone.web.services.tables import Table, check_export_size, to_csv, to_xlsx

ExportFormat = Literal["csv", "xlsx"]
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def figures(request: Request) -> Reader:
    return current_figures(request)


def local_path(target: str | None, default: str = "/") -> str:
    """Only same-site paths: an open redirect would let a link send people elsewhere after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def export(table: Table, fmt: str, title: str, synthetic: bool, more: Sequence[Table] = ()) -> Response:
    """``table`` as .csv or .xlsx; ``more`` tables go on sheets of their own in an .xlsx (a .csv holds one)."""
    if fmt not in MEDIA:
        raise HTTPException(status_code=404, detail=f"unknown export format '{fmt}' (csv or xlsx)")
    check_export_size(len(table.rows), "rows", "filter the table")  # a net under the routes' own early checks
    body = to_csv(table) if fmt == "csv" else to_xlsx(table, title, synthetic, more)
    filename = f"{table.name}.{fmt}"
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def resolve_year(fig: Reader, year: str | None) -> str | None:
    """The requested report year if the store has it, else the latest (an unknown year is a 404)."""
    years = annual_periods(fig)
    if year is None or year == "":
        return years[-1] if years else None
    if year not in years:
        raise HTTPException(status_code=404, detail=f"no approved annual data for year '{year}'")
    return year
