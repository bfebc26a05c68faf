"""Admin pages: the audit log (logins and data changes) and the users."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hizone.web import security
from hizone.web.rendering import render
from hizone.web.services import audit as svc

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit")
def audit_log(request: Request, _: security.Admin, page: int = Query(1, ge=1, le=1_000_000),
              actor: str | None = Query(None, max_length=64),
              action: str | None = Query(None, max_length=32)) -> Response:
    with Session(request.app.state.engine) as session:
        result = svc.audit_page(session, page, actor=actor or None, action=action or None)
    return render(request, "audit.html", {"page": result, "actor": actor or "", "action": action or ""})


@router.get("/admin/users")
def user_list(request: Request, _: security.Admin) -> Response:
    with Session(request.app.state.engine) as session:
        rows = svc.users(session)
    return render(request, "users.html", {"users": rows})
