"""网上填报: a report form filled in the browser, generated from the form YAML (intake rules decide every
check; submit goes through the same service as an upload, as a new revision), its server-side draft, a print
view, and the reviewers' view of a report with its return for correction, field by field."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from hizone.auth import Principal
from hizone.intake.readers import Limits
from hizone.intake.rules import RuleSet
from hizone.intake.service import validate_read
from hizone.online.form import FormLayout, fingerprint, layout, row_file, row_sheet
from hizone.store.online import (
    Draft,
    Report,
    StaleDraft,
    earlier_return,
    last_return,
    load_draft,
    mark_submitted,
    record_filing,
    save_draft,
)
from hizone.text import ascii_digits
from hizone.web import security
from hizone.web.i18n import translate
from hizone.web.pages.common import see_other
from hizone.web.rendering import render
from hizone.web.services import online as online_svc
from hizone.web.services import reporting as svc

router = APIRouter(include_in_schema=False)
FORM_PATH = "/reporting/online/{form_code}/{period}"


def _page_context(request: Request, principal: Principal, rules: RuleSet, report: Report) -> dict[str, Any]:
    engine = request.app.state.engine
    draft = load_draft(engine, report)
    history, previous = online_svc.revisions_and_last_values(engine, report)
    values: dict[str, object] = dict(draft.values) if draft else dict(history[-1][3]) if history else {}
    return {"form": layout(rules), "period": report.period, "entity": report.entity_key,
            "previous": previous, "values": values, "draft": draft,
            "form_version": fingerprint(rules), "returned": last_return(engine, report),
            "state": history[-1][1] if history else None,
            "on_behalf": principal.credit_code is None and not online_svc.zone_form(report.form_code),
            "base": f"/reporting/online/{report.form_code}/{report.period}"}


def _report(request: Request, principal: Principal, form_code: str, period: str,
            entity: str | None) -> tuple[RuleSet, Report, str | None]:
    rules, canonical = online_svc.rules_of(form_code, period)
    key, zone = online_svc.filer_entity(request.app.state.engine, principal, form_code, entity)
    return rules, Report(form_code, canonical, key), zone


@router.get("/reporting/online")
def open_form(_: security.Submitter, form: str = Query(..., pattern=r"^[a-z_]{1,32}$"),
              period: str = Query(..., pattern=r"^\d{4}(-\d{2})?$"),
              entity: str = Query("", pattern=r"^[0-9A-Za-z]{0,18}$")) -> Response:
    """The 数据填报 page's "fill in online" box: on to the form of that form and period."""
    return see_other(f"/reporting/online/{form}/{period}" + (f"?entity={entity}" if entity else ""))


@router.get(FORM_PATH)
def online_form(request: Request, principal: security.Submitter, form_code: str, period: str,
                entity: str | None = None) -> Response:
    rules, report, _ = _report(request, principal, form_code, period, entity)
    return render(request, "online_form.html", _page_context(request, principal, rules, report))


@router.get(FORM_PATH + "/print")
def print_view(request: Request, principal: security.Submitter, form_code: str, period: str,
               entity: str | None = None) -> Response:
    """The values (the draft, else the latest revision) on a clean page for printing, beside last year's."""
    rules, report, _ = _report(request, principal, form_code, period, entity)
    return render(request, "online_print.html", _page_context(request, principal, rules, report))


async def _values(request: Request, form: FormLayout) -> tuple[dict[str, str], dict[str, str]]:
    """The form's own fields as typed, and the other fields posted (entity, versions, confirmation)."""
    data = await request.form()
    posted = {k: str(v) for k, v in data.items() if isinstance(v, str)}
    codes = {f.code for f in form.fields} | ({"note"} if form.note else set())
    values = {k: v.strip() for k, v in posted.items() if k in codes}
    long = sorted(k for k, v in values.items() if len(v) > online_svc.MAX_VALUE_CHARS)
    if long:
        raise HTTPException(status_code=422, detail=f"{', '.join(long)}: more than {online_svc.MAX_VALUE_CHARS} "
                                                    "characters is not a value of this form")
    return values, {k: v for k, v in posted.items() if k not in codes}


def _issues(report: Any) -> list[dict[str, object]]:
    return [{"severity": i.severity, "field": i.field, "rule": i.rule, "value": i.value, "zh": i.message_zh,
             "en": i.message_en} for i in report.issues if i.rule != "unknown_column"]


@router.post(FORM_PATH + "/check")
async def check(request: Request, principal: security.Submitter, form_code: str, period: str) -> Response:
    """The import's validation of the values typed so far: errors and warnings per field, nothing stored."""
    rules, canonical = online_svc.rules_of(form_code, period)
    values, other = await _values(request, layout(rules))
    key, zone = online_svc.filer_entity(request.app.state.engine, principal, form_code, other.get("entity"))
    # One row, of one entity: the store is read for that entity alone (not the whole registry and last year),
    # and the row is laid out as the sheet the CSV reader would make of it (no file, no worker).
    report = await run_in_threadpool(partial(validate_read, entities=[key]), request.app.state.engine,
                                     row_sheet(rules, key, values, zone), form_code, canonical, principal)
    return JSONResponse({"errors": report.error_count, "warnings": report.warning_count, "issues": _issues(report)})


def _version(other: dict[str, str]) -> int:
    text = other.get("draft_version", "0").strip() or "0"
    if not ascii_digits(text) or len(text) > 9:
        raise HTTPException(status_code=422, detail="draft_version: a whole number (the draft version the page "
                                                    "loaded; 0 for none)")
    return int(text)


def _stale(request: Request, exc: StaleDraft) -> JSONResponse:
    lang = request.state.lang
    at = f"{exc.current.saved_at:%Y-%m-%d %H:%M} UTC"
    message = translate("online.stale", lang, who=exc.current.saved_by, at=at)
    return JSONResponse({"status": "stale", "message": message, "version": exc.current.version,
                         "saved_by": exc.current.saved_by, "saved_at": at}, status_code=409)


def _draft_body(draft: Draft) -> dict[str, object]:
    return {"version": draft.version, "saved_by": draft.saved_by, "saved_at": f"{draft.saved_at:%Y-%m-%d %H:%M} UTC"}


def _save(request: Request, principal: Principal, report: Report, zone: str | None, values: dict[str, str],
          loaded: int, form_version: str) -> Draft:
    return save_draft(request.app.state.engine, report, zone, values, loaded, form_version,
                      (principal.username, principal.role))


@router.post(FORM_PATH + "/draft")
async def draft(request: Request, principal: security.Submitter, form_code: str, period: str) -> Response:
    """Save the values as the draft's next version; 409 (nothing written) if the draft moved on since the
    version the page loaded (another tab, another person)."""
    rules, canonical = online_svc.rules_of(form_code, period)
    values, other = await _values(request, layout(rules))
    key, zone = online_svc.filer_entity(request.app.state.engine, principal, form_code, other.get("entity"))
    try:
        saved = await run_in_threadpool(_save, request, principal, Report(form_code, canonical, key), zone, values,
                                        _version(other), other.get("form_version", "") or fingerprint(rules))
    except StaleDraft as exc:
        return _stale(request, exc)
    return JSONResponse({"status": "saved", **_draft_body(saved)})


def _file(request: Request, principal: Principal, rules: RuleSet, report: Report, zone: str | None,
          values: dict[str, str], other: dict[str, str]) -> Response:
    """Save the draft (refused if stale: a second tab's submit stores nothing), then submit it as an upload of one
    row; a form superseded since the page opened keeps the values in the draft and refuses the submission."""
    engine, lang = request.app.state.engine, request.state.lang
    current = fingerprint(rules)
    opened_with = other.get("form_version", "").strip()
    confirm = other.get("confirm_warnings") == "true"
    reason = other.get("warning_reason", "").strip()[:500]
    try:
        saved = _save(request, principal, report, zone, values, _version(other), opened_with or current)
    except StaleDraft as exc:
        return _stale(request, exc)
    if opened_with != current:
        return JSONResponse({"status": "superseded", "message": translate("online.superseded", lang),
                             **_draft_body(saved)}, status_code=409)
    if confirm and not reason:
        return JSONResponse({"status": "needs_reason", "message": translate("online.reason_needed", lang),
                             "issues": [], **_draft_body(saved)}, status_code=422)
    data = row_file(rules, report.entity_key, values, zone)
    limits = Limits(max_file_bytes=request.app.state.max_upload_bytes)
    name = f"online-{report.form_code}-{report.entity_key}-{report.period}-v{saved.version}.csv"
    result = svc.upload(engine, principal, request.app.state.validation_reports, data, name, report.form_code,
                        report.period, True, confirm, limits).result
    if result.stored and result.batch_id is not None:
        on_behalf = principal.credit_code != report.entity_key and not online_svc.zone_form(report.form_code)
        record_filing(engine, report, result.batch_id, (principal.username, principal.role), on_behalf,
                      saved.version, current, reason if confirm else None)
    if result.stored or result.status == "unchanged":
        mark_submitted(engine, report, saved.version)
    body = {"status": result.status, "batch_id": result.batch_id, "created": result.created,
            "issues": _issues(result.report) if result.report is not None else [], **_draft_body(saved)}
    return JSONResponse(body, status_code=200 if result.stored or result.status == "unchanged" else 422)


@router.post(FORM_PATH + "/submit")
async def submit(request: Request, principal: security.Submitter, form_code: str, period: str) -> Response:
    """The form as an upload of one row: the same service, a new revision (submitted); a zone's filing for an
    enterprise is recorded as on behalf (OnlineFiling beside the batch, whose uploader is the zone's user)."""
    rules, canonical = online_svc.rules_of(form_code, period)
    values, other = await _values(request, layout(rules))
    key, zone = online_svc.filer_entity(request.app.state.engine, principal, form_code, other.get("entity"))
    return await run_in_threadpool(_file, request, principal, rules, Report(form_code, canonical, key), zone, values,
                                   other)


@router.get(FORM_PATH + "/review")
def review(request: Request, principal: security.Scoped, form_code: str, period: str,
           entity: str | None = None, done: str | None = Query(None, pattern=r"^(review|approve)$")) -> Response:
    """A report's latest revision against the one before and against last year, with how it was filed and what
    an earlier return asked for, field by field; a reviewer returns it from here with comments on the fields, or
    reviews or approves it (the steps its form's workflow gives the reader)."""
    rules, canonical = online_svc.rules_of(form_code, period)
    engine = request.app.state.engine
    report = Report(form_code, canonical, online_svc.reviewed_entity(engine, principal, form_code, entity))
    form = layout(rules)
    found = online_svc.review(engine, form, report)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no report of '{report.entity_key}' for {canonical}")
    steps, refused = online_svc.review_steps(engine, principal, report, found.state)
    returned = last_return(engine, report)
    return render(request, "online_review.html", {
        "form": form, "period": canonical, "entity": report.entity_key, "review": found,
        "returned": returned, "earlier": earlier_return(engine, report) if returned is None else None,
        "can_return": "return" in steps,
        "steps": [s for s in steps if s != "return"], "refused": list(refused), "done": done,
        "history_url": svc.history_url(form_code, report.entity_key, canonical),
        "base": f"/reporting/online/{form_code}/{canonical}"})


@router.post(FORM_PATH + "/step")
def take_step(request: Request, principal: security.Reviewer, form_code: str, period: str,
              action: str = Form(..., pattern=r"^(review|approve)$"),
              entity: str = Form(..., max_length=18)) -> Response:
    """Review or approve one report from its review page: the workflow's step (intake.service.transition), taken
    only by the roles its form's workflow names, in their own zones (a report elsewhere: the same 404 as none)."""
    _, canonical = online_svc.rules_of(form_code, period)
    engine = request.app.state.engine
    key = online_svc.reviewed_entity(engine, principal, form_code, entity)
    svc.transition(engine, action, principal, form=form_code, period=canonical, entity_keys=[key])
    return see_other(f"/reporting/online/{form_code}/{canonical}/review?entity={key}&done={action}")


@router.post(FORM_PATH + "/return")
async def return_report(request: Request, principal: security.Reviewer, form_code: str, period: str,
                        entity: str = Form(..., max_length=18), comment: str = Form("", max_length=500)) -> Response:
    """Return one report for correction, with a general comment and/or comments on single fields
    (``note_<field>``): the workflow's return step (intake.service.transition), the comments kept with it."""
    rules, canonical = online_svc.rules_of(form_code, period)
    engine = request.app.state.engine
    key = online_svc.reviewed_entity(engine, principal, form_code, entity)
    data = await request.form()
    codes = {f.code for f in layout(rules).fields}
    notes = {k[5:]: str(v).strip()[:500] for k, v in data.items()
             if k.startswith("note_") and k[5:] in codes and isinstance(v, str) and v.strip()}
    await run_in_threadpool(svc.transition, engine, "return", principal, form=form_code, period=canonical,
                            entity_keys=[key], comment=comment.strip() or None, field_comments=notes or None)
    return see_other(f"/reporting/online/{form_code}/{canonical}/review?entity={key}&returned=1")

