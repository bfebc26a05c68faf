"""/api/v1 for the engines' results and intake: evaluation runs, alerts, submission upload and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hizone.auth.users import audit
from hizone.intake.readers import Limits
from hizone.monitor.service import AlertStore
from hizone.store import session_scope
from hizone.store.models import EvaluationRun, Submission
from hizone.web import security
from hizone.web.api.schemas import (
    AlertChange,
    AlertOut,
    AlertPage,
    ChangeOut,
    IssueOut,
    RankingRow,
    RegisteredOut,
    RevisionOut,
    RunOut,
    RunResults,
    StepIn,
    StepOut,
    UploadOut,
)
from hizone.web.api.v1 import ERRORS, PAGE, PAGE_SIZE, ZONE_CODE
from hizone.web.services import monitoring as mon_svc
from hizone.web.services import rankings as rank_svc
from hizone.web.services import reporting as rep_svc
from hizone.web.services.views import load_views

router = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERRORS)


def _run_out(run: EvaluationRun) -> RunOut:
    return RunOut(id=run.id, framework=run.framework_code, year=run.year, zone_count=run.zone_count,
                  created_at=run.created_at.isoformat(timespec="seconds"), synthetic=run.synthetic)


@router.get("/evaluation/runs", response_model=list[RunOut], summary="Stored evaluation runs (public)")
def evaluation_runs(request: Request, _: security.Public) -> list[RunOut]:
    if not rank_svc.latest_runs(request.app.state.engine, load_views().evaluation_framework):
        return []
    with Session(request.app.state.engine) as session:
        return [_run_out(r) for r in session.scalars(select(EvaluationRun).order_by(EvaluationRun.id.desc()))]


@router.get("/evaluation/results", response_model=RunResults,
            summary="Published rankings: the latest run of a year (public)")
def evaluation_results(request: Request, _: security.Public, year: int | None = Query(None, ge=1988, le=2100),
                       province: str | None = Query(None, pattern=r"^\d{2}$")) -> RunResults:
    engine, views = request.app.state.engine, load_views()
    ranking = rank_svc.ranking_for(engine, request.app.state.runs, views.evaluation_framework, year)
    if ranking is None:
        raise HTTPException(status_code=404, detail="no evaluation run yet")
    fig = request.app.state.figures.get()
    dims = [d.code for d in ranking.framework.dimensions]
    items = []
    for row in ranking.rows:
        code = str(row["zone"])
        zone = fig.zones.get(code)
        if province and (zone is None or zone.province_code != province):
            continue
        items.append(RankingRow.model_validate({
            **row, "zone_code": code, "name": str(row["name"]),
            "dimensions": {d: {"rank": row.get(f"{d}_rank"), "score": row.get(f"{d}_score")} for d in dims}}))
    with Session(engine) as session:
        run = session.get(EvaluationRun, ranking.run.id)
        assert run is not None
        return RunResults(run=_run_out(run), items=items)


@router.get("/alerts", response_model=AlertPage, summary="Alerts the caller may see (zone/province scope)")
def list_alerts(request: Request, principal: security.Scoped,
                state: str | None = Query(None, pattern=r"^(open|acknowledged|resolved)$"),
                zone: str | None = ZONE_CODE, page: int = PAGE, page_size: int = PAGE_SIZE) -> AlertPage:
    found = mon_svc.alerts(request.app.state.engine, principal, state=state, zone=zone)
    chunk = found[(page - 1) * page_size: page * page_size]
    return AlertPage(page=page, page_size=page_size, total=len(found),
                     items=[AlertOut.model_validate(a.as_dict()) for a in chunk])


@router.post("/alerts/{alert_id}", response_model=AlertOut, summary="Acknowledge, resolve or reopen an alert")
def change_alert(request: Request, principal: security.AlertHandler, alert_id: str, body: AlertChange) -> AlertOut:
    engine = request.app.state.engine
    changed = AlertStore(engine).transition(int(alert_id), body.state, principal.username, body.note)
    with session_scope(engine) as session:
        audit(session, principal.username, f"alert_{body.state}", "alert", alert_id, note=body.note)
    return AlertOut.model_validate(changed.as_dict())


@router.post("/submissions", response_model=UploadOut, status_code=201,
             responses={413: {"model": None, "description": "file too large"},
                        415: {"model": None, "description": "not a spreadsheet, CSV or JSON file"}},
             summary="Upload a report file: validated, then stored as one transaction (or rejected, 422)")
async def upload_submission(request: Request, principal: security.Submitter, file: Annotated[UploadFile, File()],
                            form: str = Form(..., pattern=r"^(enterprise_annual|zone_monthly)$"),
                            period: str = Form(..., pattern=r"^\d{4}(-\d{2})?$"),
                            submit: bool = Form(False), confirm_warnings: bool = Form(False)) -> JSONResponse:
    from hizone.web.pages.reporting import read_upload, require_multipart

    require_multipart(request)
    data = await read_upload(request, file)
    limit = request.app.state.max_upload_bytes
    result = await run_in_threadpool(rep_svc.upload, request.app.state.engine, principal,
                                     request.app.state.validation_reports, data, file.filename or "upload", form,
                                     period, submit, confirm_warnings, Limits(limit, 4 * limit))
    outcome = result.result
    body = UploadOut(status=outcome.status, summary=outcome.summary(), batch_id=outcome.batch_id,
                     created=outcome.created, unchanged=outcome.unchanged,
                     registered=[RegisteredOut(credit_code=r.credit_code, name=r.name, zone_code=r.zone_code)
                                 for r in outcome.registered_enterprises()],
                     updated=outcome.updated_enterprises(),
                     issues=[IssueOut.model_validate({**i, "message_zh": i["zh"], "message_en": i["en"]})
                             for i in rep_svc.issues_of(outcome.report)])
    status = {"stored": 201, "unchanged": 200}.get(outcome.status, 422)
    return JSONResponse(body.model_dump(), status_code=status)


@router.post("/submissions/{submission_id}/steps", response_model=StepOut,
             responses={403: {"model": None, "description": "a step the caller may not take here: its role or "
                                                            "zone, or a revision it filed itself (separation of "
                                                            "duties)"},
                        409: {"model": None, "description": "not the report's latest revision"}},
             summary="Review, approve or return a report's latest revision (the form's workflow)")
def take_step(request: Request, principal: security.SubmissionStep, submission_id: str, body: StepIn) -> StepOut:
    result = rep_svc.step_on(request.app.state.engine, principal, int(submission_id), body.action, body.comment)
    return StepOut(submission_id=int(submission_id), action=body.action, state=result.target)


@router.get("/submissions/{submission_id}/history", response_model=list[RevisionOut],
            summary="Every revision of the submission's report, with what each changed")
def submission_history(request: Request, _: security.SubmissionReader, submission_id: str) -> list[RevisionOut]:
    engine = request.app.state.engine
    with Session(engine) as session:
        row = session.get(Submission, int(submission_id))
        assert row is not None  # the rule has found it
        form, key, period = row.form_code, row.entity_key, row.period
    return [RevisionOut(revision=d.new_revision, previous=d.old_revision,
                        changes=[ChangeOut(element=c.element, old=c.old, new=c.new) for c in d.changes])
            for d in rep_svc.history(engine, form, key, period)]
