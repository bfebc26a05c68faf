"""Admin pages: the audit log (logins and data changes) and the users, with their exports; user management
(add, deactivate, reactivate, reset password, log out everywhere) through the same functions as
`hizone users ...`, each change audited."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hizone.auth import ROLES
from hizone.auth.users import MIN_PASSWORD_LENGTH, AuthError, add_user, reset_password, revoke_sessions, set_active
from hizone.web import security
from hizone.web.i18n import translate
from hizone.web.pages.common import ExportFormat, export, see_other
from hizone.web.rendering import render
from hizone.web.services import audit as svc

router = APIRouter(include_in_schema=False)
ACTOR = Query(None, max_length=64)
ACTION = Query(None, max_length=32)
USERNAME = Path(..., max_length=64)
DONE = r"^(added|deactivated|reactivated|password_reset|logged_out)$"
# How each kind of user-management mistake answers; anything else is a 400.
PROBLEM_STATUS = {"duplicate_user": 409, "no_user": 404}


@router.get("/admin/audit")
def audit_log(request: Request, _: security.Admin, page: int = Query(1, ge=1, le=1_000_000),
              actor: str | None = ACTOR, action: str | None = ACTION) -> Response:
    with Session(request.app.state.engine) as session:
        table, pager = svc.audit_page(session, request.state.lang, page, actor=actor or None, action=action or None)
    return render(request, "audit.html", {"table": table, "page": pager, "actor": actor or "",
                                          "action": action or ""})


@router.get("/admin/audit/export.{fmt}")
def export_audit_log(request: Request, _: security.Admin, fmt: ExportFormat, actor: str | None = ACTOR,
                     action: str | None = ACTION) -> Response:
    lang = request.state.lang
    with Session(request.app.state.engine) as session:
        table = svc.audit_export(session, lang, actor=actor or None, action=action or None)
    return export(table, fmt, translate("audit.title", lang), synthetic=False)


def _users_page(request: Request, status: int = 200, **context: object) -> Response:
    lang = request.state.lang
    with Session(request.app.state.engine) as session:
        table = svc.users_table(session, lang)
    base: dict[str, object] = {"table": table, "roles": ROLES, "min_password": MIN_PASSWORD_LENGTH, "done": None,
                               "done_user": "", "error": None, "entered": {}}
    return render(request, "users.html", {**base, **context}, status=status)


@router.get("/admin/users")
def user_list(request: Request, _: security.Admin, done: str | None = Query(None, pattern=DONE),
              user: str = Query("", max_length=64)) -> Response:
    return _users_page(request, done=done, done_user=user)


@router.get("/admin/users/export.{fmt}")
def export_users(request: Request, _: security.Admin, fmt: ExportFormat) -> Response:
    lang = request.state.lang
    with Session(request.app.state.engine) as session:
        table = svc.users_table(session, lang)
    return export(table, fmt, translate("users.title", lang), synthetic=False)


def _change(request: Request, done: str, username: str, change: Callable[[], None],
            entered: dict[str, str] | None = None) -> Response:
    """Run one change; on success back to the list (303), on a mistake the list with the message in it."""
    try:
        change()
    except AuthError as error:
        message = translate(f"users.problem.{error.problem}", request.state.lang, value=error.value,
                            min=MIN_PASSWORD_LENGTH)
        return _users_page(request, PROBLEM_STATUS.get(error.problem, 400), error=message, entered=entered or {})
    return see_other(f"/admin/users?{urlencode({'done': done, 'user': username})}")


@router.post("/admin/users")
def add(request: Request, principal: security.Admin, username: str = Form(..., max_length=64),
        password: str = Form(..., max_length=256), role: str = Form(..., max_length=16),
        province: str = Form("", max_length=8), zone: str = Form("", max_length=8),
        credit_code: str = Form("", max_length=32), email: str = Form("", max_length=254)) -> Response:
    entered = {"username": username, "role": role, "province": province, "zone": zone, "credit_code": credit_code,
               "email": email}
    engine = request.app.state.engine

    def create() -> None:
        add_user(engine, username.strip(), password, role, province=province.strip() or None,
                 zone=zone.strip() or None, credit_code=credit_code.strip() or None, email=email.strip() or None,
                 actor=principal.username)

    return _change(request, "added", username.strip(), create, entered)


@router.post("/admin/users/{username}/deactivate")
def deactivate(request: Request, principal: security.Admin, username: str = USERNAME) -> Response:
    engine = request.app.state.engine
    return _change(request, "deactivated", username, lambda: set_active(engine, username, False, principal.username))


@router.post("/admin/users/{username}/reactivate")
def reactivate(request: Request, principal: security.Admin, username: str = USERNAME) -> Response:
    engine = request.app.state.engine
    return _change(request, "reactivated", username, lambda: set_active(engine, username, True, principal.username))


@router.post("/admin/users/{username}/password")
def new_password(request: Request, principal: security.Admin, username: str = USERNAME,
                 password: str = Form(..., max_length=256)) -> Response:
    engine = request.app.state.engine
    return _change(request, "password_reset", username,
                   lambda: reset_password(engine, username, password, principal.username))


@router.post("/admin/users/{username}/logout-all")
def log_out_everywhere(request: Request, principal: security.Admin, username: str = USERNAME) -> Response:
    engine = request.app.state.engine
    return _change(request, "logged_out", username,
                   lambda: revoke_sessions(engine, username, actor=principal.username))
