"""An enterprise's page: its current registration and its dated history, with the history's exports."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hizone.auth import Principal, data_scope
from hizone.web import security
from hizone.web.i18n import translate
from hizone.web.pages.common import ExportFormat, export, figures
from hizone.web.rendering import render
from hizone.web.services import enterprises as ent_svc

router = APIRouter(include_in_schema=False)


def _detail(request: Request, principal: Principal, credit_code: str) -> dict[str, object]:
    with Session(request.app.state.engine) as session:
        detail = ent_svc.enterprise_detail(session, data_scope(principal), credit_code)
    if detail is None:  # the route's check passed, so only a concurrent change gets here
        raise HTTPException(status_code=404, detail=f"no enterprise '{credit_code}'")
    return detail


def _history(detail: dict[str, object]) -> list[dict[str, object]]:
    versions = detail["history"]
    return versions if isinstance(versions, list) else []


@router.get("/enterprises/{credit_code}")
def enterprise_page(request: Request, principal: security.EnterpriseReader, credit_code: str) -> Response:
    lang = request.state.lang
    detail = _detail(request, principal, credit_code)
    return render(request, "enterprise.html", {
        "enterprise": detail, "current": ent_svc.enterprise_table([detail], lang),
        "history": ent_svc.history_table(_history(detail), lang)})


@router.get("/enterprises/{credit_code}/history/export.{fmt}")
def export_enterprise_history(request: Request, principal: security.EnterpriseReader, credit_code: str,
                              fmt: ExportFormat) -> Response:
    lang = request.state.lang
    table = ent_svc.history_table(_history(_detail(request, principal, credit_code)), lang)
    return export(table, fmt, f"{translate('ent.history', lang)}: {credit_code}", figures(request).synthetic)
