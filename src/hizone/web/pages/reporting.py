"""数据填报: upload and validate, error workbook, submit, the approval queue, completeness, templates,
revision history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hizone.auth import Principal, may_review, may_submit
from hizone.catalog import default_catalog
from hizone.intake.readers import Limits
from hizone.intake.service import RevisionDiff, batch_diff
from hizone.web import security
from hizone.web.i18n import translate
from hizone.web.pages.common import MEDIA, ExportFormat, export, figures, see_other
from hizone.web.rendering import render
from hizone.web.services import reporting as svc
from hizone.web.services.kept import KeptStore

router = APIRouter(include_in_schema=False)
FORM_CODE = r"^(enterprise_annual|zone_monthly)$"
PERIOD = r"^\d{4}(-\d{2})?$"
# The queue lists every form's reports (energy, incubators, the weekly talent report): its steps take any
# (an unknown form is the workflow's "nothing to review" message).
ANY_FORM, ANY_PERIOD = r"^[a-z_]{1,32}$", r"^\d{4}(-\d{2}|W\d{2})?$"


def _context(request: Request, principal: Principal, **extra: object) -> dict[str, object]:
    engine, lang = request.app.state.engine, request.state.lang
    context: dict[str, object] = {"forms": svc.forms_for(principal), "catalog": default_catalog(),
                                  "recent": svc.recent_table(svc.recent(engine, principal), lang),
                                  "recent_shown": svc.RECENT_ON_PAGE, "upload": None, "issues": None,
                                  "can_submit": may_submit(principal), "can_review": may_review(principal),
                                  "queue": None, "message": None, "withheld": None, "error": None}
    if context["can_review"]:
        context["queue"] = svc.queue_table(svc.queue(engine, principal), lang)
    context.update(extra)
    return context


@router.get("/reporting")
def reporting(request: Request, principal: security.LoggedIn,
              done: str | None = Query(None, max_length=200),
              withheld: int | None = Query(None, ge=1, le=10_000_000)) -> Response:
    """The page; after a queue step, what it did (``done``) and how many revisions it left to another reviewer
    because the caller filed them itself (``withheld``)."""
    return render(request, "reporting.html", _context(request, principal, message=done, withheld=withheld))


async def read_upload(request: Request, file: UploadFile, suffixes: tuple[str, ...] = svc.UPLOAD_SUFFIXES) -> bytes:
    """The uploaded file's bytes, at most the app's upload limit; a 4xx for another kind of file or none."""
    name = (file.filename or "").lower()
    if not name.endswith(suffixes):
        raise HTTPException(status_code=415, detail=f"'{file.filename}' is not a file of an accepted kind "
                                                    f"({', '.join(suffixes)})")
    limit = request.app.state.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(status_code=413, detail=f"'{file.filename}' is larger than {limit // (1 << 20)} MB")
    if not data:
        raise HTTPException(status_code=400, detail=f"'{file.filename}' is empty")
    return data


def require_multipart(request: Request) -> None:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(status_code=415, detail="upload the file as multipart/form-data")


@router.post("/reporting/upload")
async def upload(request: Request, principal: security.Submitter, file: Annotated[UploadFile, File()],
                 form: str = Form(..., pattern=FORM_CODE), period: str = Form(..., pattern=PERIOD),
                 submit: bool = Form(False), confirm_warnings: bool = Form(False)) -> Response:
    require_multipart(request)
    data = await read_upload(request, file)
    limits = Limits(max_file_bytes=request.app.state.max_upload_bytes,
                    max_unpacked_bytes=4 * request.app.state.max_upload_bytes)
    # Storing the file and building the page query the store: both run in the threadpool, off the event loop.
    return await run_in_threadpool(_upload_page, request, principal, data, file.filename or "upload", form, period,
                                   submit, confirm_warnings, limits)


def _upload_page(request: Request, principal: Principal, data: bytes, name: str, form: str, period: str,
                 submit: bool, confirm_warnings: bool, limits: Limits) -> Response:
    result = svc.upload(request.app.state.engine, principal, request.app.state.validation_reports, data, name, form,
                        period, submit, confirm_warnings, limits)
    # A rejected file is an answer, not a failure of the request: the page shows the report with 200.
    report = result.result.report
    issues = svc.issues_table(report.issues, request.state.lang) if report is not None and result.report_id else None
    lang = request.state.lang
    return render(request, "reporting.html",
                  _context(request, principal, upload=result, issues=issues, chosen_form=form, chosen_period=period,
                           summary=svc.upload_summary(result.result, lang),
                           changes=svc.changes_table(result.diffs[:svc.CHANGES_ON_PAGE], lang),
                           changes_shown=svc.CHANGES_ON_PAGE))


def _kept_report(request: Request, principal: Principal, report_id: str) -> svc.KeptReport:
    """The caller's own validation report; anyone else's answers 404 like one that never existed."""
    cache: KeptStore[svc.KeptReport] = request.app.state.validation_reports
    found = cache.get(principal.username, report_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such validation report (they are kept for a while only)")
    return found


@router.get("/reporting/errors/{report_id}.xlsx")
def error_workbook(request: Request, principal: security.LoggedIn, report_id: str) -> Response:
    workbook = _kept_report(request, principal, report_id).workbook
    return Response(workbook, media_type=MEDIA["xlsx"],
                    headers={"Content-Disposition": 'attachment; filename="errors.xlsx"'})


@router.get("/reporting/errors/{report_id}/export.{fmt}")
def export_issues(request: Request, principal: security.LoggedIn, report_id: str, fmt: ExportFormat) -> Response:
    kept = _kept_report(request, principal, report_id)
    table = svc.issues_table(kept.issues, request.state.lang)
    return export(table, fmt, f"{translate('report.result', request.state.lang)}: {kept.name}", synthetic=False)


@router.get("/reporting/batches/{batch_id}/changes/export.{fmt}")
def export_changes(request: Request, principal: security.LoggedIn, batch_id: str, fmt: ExportFormat) -> Response:
    """What one upload changed, every row; only for its uploader, like the upload's page (anyone else: 404)."""
    engine, lang = request.app.state.engine, request.state.lang
    if not security.is_row_id(batch_id) or svc.batch_owner(engine, int(batch_id)) != principal.username:
        raise HTTPException(status_code=404, detail=f"no upload batch '{batch_id}' of yours")
    table = svc.changes_table(batch_diff(engine, int(batch_id)), lang)
    return export(table, fmt, f"{translate('report.changes', lang)}: {batch_id}", synthetic=False)


@router.get("/reporting/queue/export.{fmt}")
def export_queue(request: Request, principal: security.Reviewer, fmt: ExportFormat) -> Response:
    lang = request.state.lang
    table = svc.queue_table(svc.queue(request.app.state.engine, principal), lang)
    return export(table, fmt, translate("report.queue", lang), figures(request).synthetic)


@router.get("/reporting/recent/export.{fmt}")
def export_recent(request: Request, principal: security.LoggedIn, fmt: ExportFormat) -> Response:
    """Every report the recent list draws from (the page shows the newest few)."""
    lang = request.state.lang
    table = svc.recent_table(svc.recent(request.app.state.engine, principal, limit=None), lang)
    return export(table, fmt, translate("report.recent", lang), figures(request).synthetic)


@router.post("/reporting/transition")
def transition(request: Request, principal: security.Reviewer,
               action: str = Form(..., pattern=r"^(review|approve|return)$"),
               form: str = Form(..., pattern=ANY_FORM), period: str = Form(..., pattern=ANY_PERIOD),
               zone_code: str = Form("", pattern=r"^[A-Za-z0-9]{0,8}$"),
               comment: str = Form("", max_length=500)) -> Response:
    result = svc.act(request.app.state.engine, principal, action, form, period, zone_code or None, comment or None)
    left = f"&withheld={len(result.withheld)}" if result.withheld else ""
    return see_other(f"/reporting?done={action}:{result.count}{left}")


@router.get("/reporting/completeness")
def completeness(request: Request, principal: security.Scoped,
                 form: str = Query("enterprise_annual", pattern=FORM_CODE),
                 period: str = Query(..., pattern=PERIOD)) -> Response:
    report = svc.completeness_in_scope(request.app.state.engine, principal, form, period)
    lang = request.state.lang
    return render(request, "completeness.html", {"report": report, "form": form, "period": period,
                                                 "table": svc.completeness_table(report, lang),
                                                 "entities": svc.timeliness_table(report, lang),
                                                 "entities_shown": svc.ENTITIES_ON_PAGE})


@router.get("/reporting/completeness/export.{fmt}")
def export_completeness(request: Request, principal: security.Scoped, fmt: ExportFormat,
                        form: str = Query("enterprise_annual", pattern=FORM_CODE),
                        period: str = Query(..., pattern=PERIOD)) -> Response:
    report = svc.completeness_in_scope(request.app.state.engine, principal, form, period)
    table = svc.completeness_table(report, request.state.lang)
    return export(table, fmt, f"{form} {report.period}", figures(request).synthetic)


@router.get("/reporting/completeness/entities/export.{fmt}")
def export_timeliness(request: Request, principal: security.Scoped, fmt: ExportFormat,
                      form: str = Query("enterprise_annual", pattern=FORM_CODE),
                      period: str = Query(..., pattern=PERIOD)) -> Response:
    """Every reporter's timeliness in the caller's scope (the page lists the first few to follow up)."""
    report = svc.completeness_in_scope(request.app.state.engine, principal, form, period)
    table = svc.timeliness_table(report, request.state.lang, limit=None)
    return export(table, fmt, f"{form} {report.period}", figures(request).synthetic)


@router.get("/reporting/template/{form_code}.xlsx")
def template(request: Request, _: security.LoggedIn,
             form_code: str, year: int = Query(..., ge=2000, le=2100)) -> Response:
    if form_code not in default_catalog().forms:
        raise HTTPException(status_code=404, detail=f"no form '{form_code}'")
    body = svc.template(request.app.state.engine, form_code, year)
    return Response(body, media_type=MEDIA["xlsx"],
                    headers={"Content-Disposition": f'attachment; filename="{form_code}-{year}.xlsx"'})


def _history(request: Request, form_code: str, entity_key: str, period: str) -> list[RevisionDiff]:
    if form_code not in default_catalog().forms:
        raise HTTPException(status_code=404, detail=f"no form '{form_code}'")
    diffs = svc.history(request.app.state.engine, form_code, entity_key, period)
    if not diffs:
        raise HTTPException(status_code=404, detail=f"no {form_code} report of {entity_key} for {period}")
    return diffs


@router.get("/reporting/history/{form_code}/{entity_key}/{period}")
def history(request: Request, _: security.EntityReader, form_code: str, entity_key: str, period: str) -> Response:
    table = svc.history_table(_history(request, form_code, entity_key, period), request.state.lang)
    return render(request, "history.html", {"table": table, "form": form_code, "entity": entity_key,
                                            "period": period})


@router.get("/reporting/history/{form_code}/{entity_key}/{period}/export.{fmt}")
def export_history(request: Request, _: security.EntityReader, form_code: str, entity_key: str, period: str,
                   fmt: ExportFormat) -> Response:
    table = svc.history_table(_history(request, form_code, entity_key, period), request.state.lang)
    title = f"{translate('report.history', request.state.lang)}: {entity_key} {form_code} {period}"
    return export(table, fmt, title, figures(request).synthetic)
