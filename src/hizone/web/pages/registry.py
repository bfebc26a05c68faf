"""企业名录: upload an enterprise list or a published qualification list, see what it registered, updated and
added, and the rows left for review."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.errors import RegistryError
from hizone.intake.errors import IntakeError
from hizone.intake.readers import Limits
from hizone.registry.sheets import ListRefused
from hizone.web import security
from hizone.web.i18n import translate
from hizone.web.pages.common import ExportFormat, export
from hizone.web.pages.reporting import read_upload, require_multipart
from hizone.web.rendering import render
from hizone.web.services import registry as svc
from hizone.web.services.kept import KeptStore

router = APIRouter(include_in_schema=False)
KIND = r"^[a-z_]{1,16}$"
YEAR = r"^((19|20)\d{2})?$"  # the list's year, for lists whose rows carry no date


def upload_limits(request: Request) -> Limits:
    """The report uploads' limits: the upload size, and what an .xlsx may unpack to."""
    limit = request.app.state.max_upload_bytes
    return Limits(max_file_bytes=limit, max_unpacked_bytes=4 * limit)


def _page(request: Request, extra: dict[str, object], status: int = 200) -> Response:
    context: dict[str, object] = {"kinds": svc.list_options(), "upload": None, "report_id": None,
                                  "problems": None, "chosen_kind": None, "chosen_year": None}
    context.update(extra)
    return render(request, "registry.html", context, status=status)


@router.get("/registry")
def registry(request: Request, _: security.Scoped) -> Response:
    return _page(request, {})


async def _outcome(request: Request, work: Callable[[], svc.RegistryUpload], **chosen: object) -> Response:
    """The upload's summary page, or (400) the page listing every problem of a refused file, one line each."""
    try:
        upload = await run_in_threadpool(work)
    except (RegistryError, IntakeError) as refused:
        problems = [str(p) for p in refused.problems] if isinstance(refused, ListRefused) else [str(refused)]
        return _page(request, {"problems": problems, **chosen}, status=400)
    cache: KeptStore[svc.RegistryUpload] = request.app.state.registry_uploads
    lang = request.state.lang
    outcome, review = svc.outcome_table(upload, lang), svc.review_table(upload, lang)
    return _page(request, {"upload": upload, "report_id": cache.put(upload), "summary": svc.summary(upload, lang),
                           "outcome": svc.shown(outcome), "outcome_total": len(outcome.rows),
                           "review": svc.shown(review), "review_total": len(review.rows),
                           "shown_rows": svc.ROWS_ON_PAGE, **chosen})


@router.post("/registry/enterprises")
async def upload_enterprises(request: Request, principal: security.Scoped,
                             file: Annotated[UploadFile, File()]) -> Response:
    require_multipart(request)
    data = await read_upload(request, file, svc.UPLOAD_SUFFIXES)
    return await _outcome(request, functools.partial(svc.upload_enterprises, request.app.state.engine, principal,
                                                     data, file.filename or "upload", upload_limits(request)))


@router.post("/registry/lists")
async def upload_list(request: Request, principal: security.Scoped, file: Annotated[UploadFile, File()],
                      kind: str = Form(..., pattern=KIND), year: str = Form("", pattern=YEAR)) -> Response:
    require_multipart(request)
    data = await read_upload(request, file, svc.UPLOAD_SUFFIXES)
    return await _outcome(request, functools.partial(svc.upload_list, request.app.state.engine, principal, data,
                                                     file.filename or "upload", kind, int(year) if year else None,
                                                     upload_limits(request)),
                          chosen_kind=kind, chosen_year=year)


@router.get("/registry/uploads/{report_id}/{table_name}.{fmt}")
def export_upload(request: Request, principal: security.Scoped, report_id: str, table_name: str,
                  fmt: ExportFormat) -> Response:
    """A table of one upload, every row; only for its uploader (anyone else: 404, as if it never existed)."""
    cache: KeptStore[svc.RegistryUpload] = request.app.state.registry_uploads
    kept = cache.get(principal.username, report_id)
    if kept is None or table_name not in svc.TABLES:
        raise HTTPException(status_code=404, detail="no such upload of yours (they are kept for a while only)")
    lang = request.state.lang
    return export(svc.table(kept, table_name, lang), fmt, f"{translate('registry.' + table_name, lang)}: {kept.name}",
                  synthetic=False)
