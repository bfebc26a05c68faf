"""Login (rate-limited, audited), logout, log out everywhere, and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from hizone.auth import authenticate, revoke_sessions
from hizone.web import security
from hizone.web.i18n import LANG_COOKIE, LANGUAGES, translate
from hizone.web.pages.common import local_path, see_other
from hizone.web.rendering import render
from hizone.web.security import CSRF_COOKIE, SESSION_COOKIE

router = APIRouter(include_in_schema=False)
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_page(request: Request, _: security.Public, next: str = "/") -> Response:
    return render(request, "login.html", {"next": local_path(next), "error": None})


@router.post("/login")
def login(request: Request, _: security.Public,
          username: str = Form(..., max_length=64), password: str = Form(..., max_length=256),
          next: str = Form("/")) -> Response:
    lang = request.state.lang
    wait = request.app.state.login_limiter.retry_after(username, _client(request))
    if wait:
        return render(request, "login.html",
                      {"next": local_path(next), "error": translate("login.too_many", lang, minutes=wait // 60 + 1)},
                      status=429, headers={"Retry-After": str(wait)})
    result = authenticate(request.app.state.engine, username, password, client=_client(request))
    if result is None:  # authenticate wrote the failure to the audit log, where the limiter counts it
        return render(request, "login.html", {"next": local_path(next), "error": translate("login.failed", lang)},
                      status=401)
    principal, epoch = result
    response = see_other(local_path(next))
    _set_session(request, response, principal.username, epoch)
    return response


def _set_session(request: Request, response: Response, username: str, epoch: int) -> None:
    sessions = request.app.state.sessions
    secure = request.app.state.secure_cookies
    # No cookie expiry: the signed timestamp enforces the session's age, so an expired session reaches the
    # server and gets a clear "session expired" answer instead of silently looking logged out.
    response.set_cookie(SESSION_COOKIE, sessions.issue(username, epoch), httponly=True, samesite="lax",
                        secure=secure)
    # A new CSRF token for the new session, so a token seen before login is worthless after it.
    _, cookie = sessions.new_csrf()
    response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="lax", secure=secure)
    request.state.csrf_rotated = True


def _clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    request.state.csrf_rotated = True


@router.post("/logout")
def logout(request: Request, _: security.Public) -> Response:
    response = see_other("/")
    _clear_session(request, response)
    return response


@router.post("/logout-all")
def logout_everywhere(request: Request, principal: security.LoggedIn) -> Response:
    revoke_sessions(request.app.state.engine, principal.username)
    response = see_other("/login")
    _clear_session(request, response)
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, _: security.Public, lang: str, next: str = "/") -> Response:
    chosen = lang if lang in LANGUAGES else "zh"
    response = see_other(local_path(next))
    response.set_cookie(LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, samesite="lax")
    return response
