"""The app factory: one FastAPI app serving the pages (server-rendered) and the REST API under /api/v1."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hizone.analytics.read import ReadCache
from hizone.analytics.sql import SqlLimits
from hizone.config import Settings, analytics_path
from hizone.registry.sync import load_registry_if_empty
from hizone.reports.cache import PdfCache
from hizone.store import open_store
from hizone.store.db import POOL_SIZE
from hizone.web import errors
from hizone.web.i18n import LANG_COOKIE, pick_language
from hizone.web.page_cache import PageCache
from hizone.web.rendering import FragmentCache, make_templates
from hizone.web.security import CSRF_COOKIE, LoginLimiter, SessionCodec, expected_csrf, session_read
from hizone.web.services.kept import KeptStore
from hizone.web.services.rankings import RunCache
from hizone.web.services.registry import RegistryUpload
from hizone.web.services.reporting import KeptReport

STATIC = Path(__file__).parent / "static"
SESSION_MAX_AGE = 8 * 3600
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
API_TITLE = "hizone API"
API_VERSION = "1.0.0"
# Threads that run the routes and their rules (anyio's default is 40): no more than the engine's pool holds,
# so a route never waits for a connection nor opens one of its own; on a few cores more threads only take
# turns at the interpreter lock.
ROUTE_THREADS = POOL_SIZE


@asynccontextmanager
async def _route_threads(_app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = ROUTE_THREADS
    yield


def create_app(engine: Engine | None = None, settings: Settings | None = None, *,
               session_max_age: int = SESSION_MAX_AGE, max_upload_bytes: int = MAX_UPLOAD_BYTES,
               warm: bool = False, refresh_sync_seconds: float = 5.0) -> FastAPI:
    """``warm``: a serving process (``hizone serve``): the analytics load in the background at once, and the heap
    built so far (some 160,000 objects of the imported libraries, which live as long as the process) is moved
    out of the garbage collector's sight: under load a full collection came every few seconds and held every
    request for a third of a second, walking objects that can never be garbage.
    ``refresh_sync_seconds``: a refresh of the analytics after a data change that took less than this last
    time is waited for; a slower one runs in the background (see ``ReadCache``)."""
    settings = settings or Settings.from_env()
    engine = engine or load_registry_if_empty(open_store(settings.database_url))
    # /api/docs is served by the docs router from the vendored Swagger UI (FastAPI's own page loads a CDN).
    app = FastAPI(title=API_TITLE, version=API_VERSION, docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None,
                  openapi_url="/api/v1/openapi.json", lifespan=_route_threads,
                  description="REST API of hizone, the data platform of China's national high-tech zones. "
                              "Authenticate machine clients with `Authorization: Bearer <token>` "
                              "(create one with `hizone users token USERNAME`).")
    app.state.engine = engine
    app.state.settings = settings
    app.state.sessions = SessionCodec(settings.secret_key, session_max_age)
    app.state.login_limiter = LoginLimiter(engine)
    app.state.templates = make_templates()
    app.state.fragments = FragmentCache()
    app.state.pages = PageCache()  # finished pages many people open (web.page_cache)
    app.state.figures = ReadCache(engine, analytics_path(settings), sync_seconds=refresh_sync_seconds)
    app.state.session_read = session_read(app.state.figures.probe)  # a page's session and data version
    app.state.max_upload_bytes = max_upload_bytes
    app.state.secure_cookies = settings.cookie_secure
    # Upload outcomes are fetched later by their uploader, maybe from another worker process: kept on disk.
    app.state.validation_reports = KeptStore[KeptReport](settings.var_dir / "kept" / "validation")
    app.state.registry_uploads = KeptStore[RegistryUpload](settings.var_dir / "kept" / "registry")
    app.state.runs = RunCache()
    app.state.pdfs = PdfCache()  # printed reports by data version (hizone.reports; the browser starts on first use)
    app.state.sql_limits = SqlLimits.from_env()
    errors.install(app)
    _install_middleware(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _include_routers(app)
    if warm:
        gc.collect()
        gc.freeze()
        app.state.figures.warm()
    return app


def serving_app() -> FastAPI:
    """The app of one ``hizone serve`` worker process (uvicorn's factory): its settings come from the environment,
    which ``hizone serve`` completes for its workers."""
    return create_app(warm=True)


def _include_routers(app: FastAPI) -> None:
    from hizone.web.api import (
        v1,
        v1_analytics,
        v1_bulletins,
        v1_carbon,
        v1_contests,
        v1_engines,
        v1_incubation,
        v1_ladder,
        v1_ladder_points,
        v1_readings,
        v1_registry,
        v1_reporting,
        v1_talent,
    )
    from hizone.web.pages import (
        account,
        admin,
        bulletins,
        carbon,
        contests,
        docs,
        enterprises,
        incubation,
        ladder,
        ladder_points,
        monitoring,
        notices,
        online,
        overview,
        rankings,
        registry,
        reporting,
        reports,
        sql,
        talent,
        zones,
    )

    # The most visited pages first: a request is matched against the routes in order (none of these three
    # routers' paths is another router's).
    for module in (overview, rankings, zones, account, enterprises, ladder, ladder_points, monitoring, reporting,
                   online, notices, registry, sql, admin, docs, carbon, reports, incubation, contests, talent,
                   bulletins):
        app.include_router(module.router)
    app.include_router(reports.api_router)
    app.include_router(v1.router)
    app.include_router(v1_engines.router)
    app.include_router(v1_registry.router)
    app.include_router(v1_readings.router)
    app.include_router(v1_analytics.router)
    app.include_router(v1_ladder.router)
    app.include_router(v1_carbon.router)
    app.include_router(v1_ladder_points.router)
    app.include_router(v1_incubation.router)
    app.include_router(v1_bulletins.router)
    app.include_router(v1_contests.router)
    app.include_router(v1_talent.router)
    app.include_router(v1_reporting.router)


# Scripts and style sheets only from our own /static (no inline script, no <style>, no eval). Style attributes
# stay allowed: ECharts' tooltips and Swagger UI write them, and an attribute can run no script.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"),
                    ("referrer-policy", "same-origin"), ("content-security-policy", CONTENT_SECURITY_POLICY)]
# Pages, exports and API answers may hold what only the caller may see: no browser or proxy keeps a copy.
NO_STORE = ("cache-control", "no-store")


class PerRequest:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware on every request): language, CSRF cookie,
    the upload size limit, NUL characters in the address, and security headers."""

    def __init__(self, app: ASGIApp, hizone: FastAPI) -> None:
        self.app = app
        self.hizone = hizone

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.hizone.state
        request = Request(scope, receive)
        request.state.lang = pick_language(request.cookies.get(LANG_COOKIE))
        refusal = self._refusal(request)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        token = expected_csrf(request)
        fresh_cookie = None
        if token is None:
            token, fresh_cookie = state.sessions.new_csrf()
        request.state.csrf = token
        static = request.url.path.startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in [*SECURITY_HEADERS, *([] if static else [NO_STORE])]:
                    if name not in headers:
                        headers.append(name, value)
                if fresh_cookie is not None and not scope["state"].get("csrf_rotated"):
                    cookie = Response()
                    cookie.set_cookie(CSRF_COOKIE, fresh_cookie, httponly=True, samesite="lax",
                                      secure=state.secure_cookies)
                    headers.append("set-cookie", cookie.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, request: Request) -> Response | None:
        if "\x00" in request.url.path or "%00" in request.url.query:
            # PostgreSQL text cannot hold NUL: refuse it here rather than fail in a query.
            return errors.error_response(request, 400, "the address contains a NUL character")
        length = request.headers.get("content-length", "")
        limit = self.hizone.state.max_upload_bytes
        if length.isascii() and length.isdigit() and int(length) > limit:
            return errors.error_response(request, 413, f"the upload is larger than the {limit / 1024 / 1024:.0f} MB "
                                                       "limit")
        return None


def _install_middleware(app: FastAPI) -> None:
    app.add_middleware(PerRequest, hizone=app)
