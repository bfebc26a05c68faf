"""Every failure becomes a 4xx with a clear message: an HTML page for people, JSON under /api/."""

from __future__ import annotations

import logging
import sys
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hizone.errors import Conflict, HizoneError, Refused, StoreError

log = logging.getLogger("hizone.web")

CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
         422: "invalid_input", 429: "too_many_requests", 500: "internal_error", 503: "unavailable"}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_body(status: int, message: str, where: str | None = None) -> dict[str, object]:
    error: dict[str, object] = {"status": status, "code": CODES.get(status, "error"), "message": message}
    if where:
        error["where"] = where
    return {"error": error}


def error_response(request: Request, status: int, message: str, key: str | None = None,
                   where: str | None = None, headers: dict[str, str] | None = None) -> Response:
    if wants_json(request):
        return JSONResponse(error_body(status, message, where), status_code=status, headers=headers)
    from hizone.web.rendering import render  # the page renderer needs the app; imported late

    try:
        return render(request, "error.html", {"status": status, "title": HTTPStatus(status).phrase,
                                              "message": message, "message_key": key, "where": where},
                      status=status, headers=headers)
    except Exception:  # a broken template must not hide the original error behind a traceback
        log.exception("error page failed to render")
        return PlainTextResponse(f"{status} {HTTPStatus(status).phrase}: {message}", status_code=status,
                                 headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    problems = []
    fields = []
    for err in exc.errors()[:5]:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "request"
        fields.append(field)
        problems.append(f"{field}: {err.get('msg', 'invalid')}")
    return "; ".join(problems) or "invalid request", ", ".join(fields) or None


def _unparsable_body(exc: StarletteHTTPException) -> str | None:
    """Why FastAPI could not parse a JSON body, when the cause is one a client can fix; else None."""
    cause = exc.__cause__
    if isinstance(cause, RecursionError):
        return "the JSON body nests too deeply (arrays or objects inside each other hundreds of levels down)"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return (f"a number in the JSON body has more than {sys.get_int_max_str_digits():,} digits; "
                "send it as a string or shorter")
    return None


def install(app: FastAPI) -> None:
    """The handlers are plain functions, which Starlette runs in its threadpool: an error page renders with
    the data banner, whose probe of the store must not block the event loop."""
    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        key = getattr(exc, "key", None)
        message = _unparsable_body(exc) or (str(exc.detail) if exc.detail else HTTPStatus(exc.status_code).phrase)
        return error_response(request, exc.status_code, message, key=key,
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    def invalid_input(request: Request, exc: RequestValidationError) -> Response:
        message, where = _validation_message(exc)
        return error_response(request, 422, message, key="error.invalid_input", where=where)

    @app.exception_handler(DataError)
    def bad_value_for_the_store(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (a NUL character, an out-of-range number): the input's fault.
        log.warning("store refused a value: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
        return error_response(request, 400, "the input holds a value the store cannot accept (e.g. a NUL "
                                            "character or an out-of-range number)")

    @app.exception_handler(StoreError)
    def store_down(request: Request, exc: StoreError) -> Response:
        log.error("store error: %s", exc)
        return error_response(request, 503, "the data store is not available right now")

    @app.exception_handler(Refused)
    def refused(request: Request, exc: Refused) -> Response:
        return error_response(request, 403, exc.reason, where=exc.where)

    @app.exception_handler(Conflict)
    def conflict(request: Request, exc: Conflict) -> Response:
        return error_response(request, 409, exc.reason, where=exc.where)

    @app.exception_handler(HizoneError)
    def user_mistake(request: Request, exc: HizoneError) -> Response:
        return error_response(request, 400, exc.reason, where=exc.where)

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> Response:
        # Logged in full for operators; the user sees a plain message, never a stack trace.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "something went wrong on our side; it has been logged")
