"""网上填报: a report form filled in the browser, generated from the form YAML (intake rules decide every
check; submit goes through the same service as an upload, as a new revision)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool

from hizone.auth import Principal
from hizone.auth.policy import can_submit
from hizone.catalog import default_catalog
from hizone.errors import HizoneError
from hizone.intake.readers import Limits
from hizone.intake.service import unpacked, validate_file
from hizone.intake.validate import prepare
from hizone.online.form import layout, row_file
from hizone.store.models import Enterprise, Submission
from hizone.web import security
from hizone.web.rendering import render
from hizone.web.services import reporting as svc

router = APIRouter(include_in_schema=False)
FORM_PATH = "/reporting/online/{form_code}/{period}"


def _entity(engine: Engine, principal: Principal, form_code: str, requested: str | None) -> str:
    """Whose report: an enterprise its own; a zone its own zone form, or (on behalf) an enterprise it names."""
    if form_code not in svc.forms_for(principal):
        raise HTTPException(status_code=403, detail=f"your role does not submit form '{form_code}'")
    if principal.credit_code:
        return principal.credit_code
    if _zone_form(form_code) and principal.zone_code:
        return principal.zone_code
    if not requested:
        raise HTTPException(status_code=400, detail="name the enterprise (entity=credit code) you report for")
    key = requested.strip().upper()
    with engine.connect() as conn:
        zone = conn.scalar(select(Enterprise.zone_code).where(Enterprise.credit_code == key))
    # One answer for an enterprise elsewhere and one never registered: nothing is told about either.
    if zone is None or not can_submit(principal, key, zone, ""):
        raise HTTPException(status_code=404, detail=f"no enterprise '{key}' you report for")
    return key


def _zone_form(form_code: str) -> bool:
    """A report about a zone (its own monthly report, a campaign's weekly one), not about an enterprise."""
    versions = default_catalog().forms.get(form_code, ())
    return bool(versions) and versions[-1].entity == "zone"


def _rules(form_code: str, period: str) -> Any:
    try:
        rules, canonical = prepare(form_code, period, dt.date.today())
    except HizoneError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return rules, canonical


def _previous_period(period: str) -> str:
    return str(int(period[:4]) - 1) + period[4:]


def last_values(engine: Engine, form_code: str, entity_key: str, period: str) -> dict[str, float | int]:
    """The latest revision of the same report a year earlier ({} when there is none)."""
    with engine.connect() as conn:
        row = conn.execute(select(Submission.batch_id, Submission.packed_values).where(
            Submission.form_code == form_code, Submission.entity_key == entity_key,
            Submission.period == _previous_period(period)).order_by(Submission.revision.desc()).limit(1)).first()
        return unpacked(conn, [row[0]], [row[1]])[0] if row is not None else {}


@router.get(FORM_PATH)
def online_form(request: Request, principal: security.Submitter, form_code: str, period: str,
                entity: str | None = None) -> Response:
    rules, canonical = _rules(form_code, period)
    key = _entity(request.app.state.engine, principal, form_code, entity)
    previous = last_values(request.app.state.engine, form_code, key, canonical)
    return render(request, "online_form.html", {"form": layout(rules), "period": canonical, "entity": key,
                                                "previous": previous, "on_behalf": principal.credit_code is None
                                                and not _zone_form(form_code)})


async def _values(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: str(v) for k, v in data.items() if isinstance(v, str)}


def _issues(report: Any) -> list[dict[str, object]]:
    return [{"severity": i.severity, "field": i.field, "rule": i.rule, "value": i.value, "zh": i.message_zh,
             "en": i.message_en} for i in report.issues if i.rule != "unknown_column"]


@router.post(FORM_PATH + "/check")
async def check(request: Request, principal: security.Submitter, form_code: str, period: str) -> Response:
    """The import's validation of the values typed so far: errors and warnings per field, nothing stored."""
    values = await _values(request)
    rules, canonical = _rules(form_code, period)
    key = _entity(request.app.state.engine, principal, form_code, values.get("entity"))
    data = row_file(rules, key, values, principal.zone_code)
    report = await run_in_threadpool(validate_file, request.app.state.engine, data, form_code, canonical, principal,
                                     name="online.csv")
    return JSONResponse({"errors": report.error_count, "warnings": report.warning_count, "issues": _issues(report)})


@router.post(FORM_PATH + "/submit")
async def submit(request: Request, principal: security.Submitter, form_code: str, period: str) -> Response:
    """The form as an upload of one row: the same service, a new revision (submitted); a zone's filing for an
    enterprise is recorded as its own (the batch's uploader)."""
    values = await _values(request)
    rules, canonical = _rules(form_code, period)
    key = _entity(request.app.state.engine, principal, form_code, values.get("entity"))
    data = row_file(rules, key, values, principal.zone_code)
    limits = Limits(max_file_bytes=request.app.state.max_upload_bytes)
    name = f"online-{form_code}-{key}-{canonical}.csv"
    result = await run_in_threadpool(svc.upload, request.app.state.engine, principal, request.app.state.report_cache,
                                     data, name, form_code, canonical, True, values.get("confirm_warnings") == "true",
                                     limits)
    report = result.result.report
    body = {"status": result.result.status, "batch_id": result.result.batch_id, "created": result.result.created,
            "issues": _issues(report) if report is not None else []}
    return JSONResponse(body, status_code=200 if result.result.stored or result.result.status == "unchanged" else 422)
