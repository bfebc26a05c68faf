"""Login (slowed after failures, audited), mailed unlock links, logout, log out everywhere, the language switch."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from hizone.auth.sessions import close_session, open_session
from hizone.auth.users import authenticate, request_unlock, revoke_sessions, unlock_link_user
from hizone.mail import MailError, send_mail
from hizone.web import security
from hizone.web.i18n import LANG_COOKIE, LANGUAGES, translate
from hizone.web.pages.common import local_path, see_other
from hizone.web.rendering import render
from hizone.web.security import CSRF_COOKIE, SESSION_COOKIE

router = APIRouter(include_in_schema=False)
log = logging.getLogger("hizone.web")
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
UNLOCK_FIELD = Form("", max_length=512)


def _client(request: Request) -> str:
    """The peer's address; behind a trusted proxy (HIZONE_TRUSTED_PROXIES) uvicorn has put the forwarded one here."""
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, next_path: str, status: int = 200, headers: dict[str, str] | None = None,
                **context: Any) -> Response:
    base: dict[str, Any] = {"next": local_path(next_path), "error": None, "notice": None, "unlock": "",
                            "offer_unlock": False, "username": ""}
    return render(request, "login.html", {**base, **context}, status=status, headers=headers)


@router.get("/login")
def login_page(request: Request, _: security.Public, next: str = "/") -> Response:
    return _login_page(request, next)


def _unlock_token(request: Request, signed: str, username: str | None = None) -> str | None:
    """The unlock token of a link that is ours, unexpired, unused and (given a username) that user's."""
    token = request.app.state.sessions.read_unlock(signed) if signed else None
    if token is None:
        return None
    owner = unlock_link_user(request.app.state.engine, token, request.app.state.sessions.unlock_max_age)
    return token if owner is not None and (username is None or owner == username) else None


@router.post("/login")
def login(request: Request, _: security.Public,
          username: str = Form(..., max_length=64), password: str = Form(..., max_length=256),
          next: str = Form("/"), unlock: str = UNLOCK_FIELD) -> Response:
    lang = request.state.lang
    token = _unlock_token(request, unlock, username)
    wait = request.app.state.login_limiter.retry_after(username, _client(request), check_account=token is None)
    if wait:
        return _login_page(request, next, 429, {"Retry-After": str(wait)}, username=username, unlock=unlock,
                           error=translate("login.too_many", lang, minutes=wait // 60 + 1),
                           offer_unlock=request.app.state.settings.mail is not None and token is None)
    principal = authenticate(request.app.state.engine, username, password, client=_client(request), unlock=token)
    if principal is None or principal.user_id is None:  # the failure is in the audit log, where the limiter counts
        return _login_page(request, next, 401, username=username, unlock=unlock,
                           error=translate("login.failed", lang))
    response = see_other(local_path(next))
    _set_session(request, response, principal.user_id)
    return response


@router.get("/login/unlock")
def unlock_page(request: Request, _: security.Public, token: str = Query("", max_length=512)) -> Response:
    """The page a mailed link opens: the login form, carrying the link (it is used up by the login, not here,
    so a mail scanner fetching the link spends nothing)."""
    lang = request.state.lang
    if _unlock_token(request, token) is None:
        return _login_page(request, "/", 400, error=translate("login.unlock_invalid", lang))
    return _login_page(request, "/", unlock=token, notice=translate("login.unlock_ready", lang))


@router.post("/login/unlock")
def send_unlock(request: Request, _: security.Public, username: str = Form(..., max_length=64)) -> Response:
    """Mail an unlock link to the account's address. The answer is the same whether or not the account exists
    or has an address, so it tells nobody which accounts do."""
    settings = request.app.state.settings
    lang = request.state.lang
    if settings.mail is None or settings.base_url is None:
        return _login_page(request, "/", 400, error=translate("login.unlock_unavailable", lang))
    issued = request_unlock(request.app.state.engine, username, _client(request))
    if issued is not None:
        email, token = issued
        link = f"{settings.base_url}/login/unlock?{urlencode({'token': request.app.state.sessions.sign_unlock(token)})}"
        minutes = request.app.state.sessions.unlock_max_age // 60
        try:
            send_mail(settings.mail, email, translate("mail.unlock_subject", lang),
                      translate("mail.unlock_body", lang, username=username, link=link, minutes=minutes))
        except MailError as error:  # logged for operators; the visitor's answer must not differ
            log.error("unlock mail for %s: %s", username, error)
    return _login_page(request, "/", notice=translate("login.unlock_sent", lang))


def _cookie(request: Request, response: Response, name: str, value: str, **options: Any) -> None:
    """Every cookie: HttpOnly, SameSite=Lax, and Secure when served over HTTPS (HIZONE_COOKIE_SECURE)."""
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=request.app.state.secure_cookies,
                        **options)


def _forget(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, httponly=True, samesite="lax", secure=request.app.state.secure_cookies)


def _set_session(request: Request, response: Response, user_id: int) -> None:
    sessions = request.app.state.sessions
    token = open_session(request.app.state.engine, user_id, sessions.max_age)
    # No cookie expiry: the signed timestamp enforces the session's age, so an expired session reaches the
    # server and gets a clear "session expired" answer instead of silently looking logged out.
    _cookie(request, response, SESSION_COOKIE, sessions.issue(token))
    # Pages now carry the session's own CSRF token; the visitor's token seen before login is worthless.
    _forget(request, response, CSRF_COOKIE)
    request.state.csrf_rotated = True


def _clear_session(request: Request, response: Response) -> None:
    token, _ = request.app.state.sessions.read(request.cookies.get(SESSION_COOKIE))
    if token is not None:
        close_session(request.app.state.engine, token)
    _forget(request, response, SESSION_COOKIE)
    _forget(request, response, CSRF_COOKIE)
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
    _cookie(request, response, LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE)
    return response
