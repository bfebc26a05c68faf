"""/api/v1/registry: enterprise lists and published qualification lists, as the registry page and the CLI
import them (one code path: hizone.registry through web.services.registry)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from hizone.web import security
from hizone.web.api.schemas import (
    EnterpriseChangeOut,
    EnterpriseListOut,
    ErrorBody,
    ListedEnterpriseOut,
    QualificationListOut,
    ReviewOut,
)
from hizone.web.api.v1 import ERRORS
from hizone.web.pages.registry import KIND, YEAR, upload_limits
from hizone.web.pages.reporting import read_upload, require_multipart
from hizone.web.services import registry as svc

router = APIRouter(prefix="/api/v1/registry", tags=["v1"], responses={
    **ERRORS, 400: {"model": ErrorBody, "description": "the file is refused: every problem one line (file, row, "
                                                       "column, reason); nothing stored"},
    413: {"model": None, "description": "file too large"},
    415: {"model": None, "description": "not a spreadsheet or CSV file"}})


def _status(changed: bool) -> int:
    return 201 if changed else 200


@router.post("/enterprises", response_model=EnterpriseListOut, status_code=201,
             summary="Register the enterprises of a list (credit code, name, zone; industry and date for new ones): "
                     "all of the file or nothing; 200 when nothing changed")
async def upload_enterprises(request: Request, principal: security.Scoped,
                             file: Annotated[UploadFile, File()]) -> JSONResponse:
    require_multipart(request)
    data = await read_upload(request, file, svc.UPLOAD_SUFFIXES)
    upload = await run_in_threadpool(svc.upload_enterprises, request.app.state.engine, principal, data,
                                     file.filename or "upload", upload_limits(request))
    result = upload.enterprises
    assert result is not None
    body = EnterpriseListOut(
        source=upload.name, summary=svc.summary(upload, "en"), unchanged=len(result.unchanged),
        registered=[ListedEnterpriseOut(credit_code=code, name=upload.names.get(code)) for code in result.registered],
        updated=[ListedEnterpriseOut(credit_code=code, name=upload.names.get(code), changes=[
            EnterpriseChangeOut(field=c.field, old=c.old, new=c.new) for c in changes])
            for code, changes in result.updated])
    return JSONResponse(body.model_dump(), status_code=_status(bool(result.registered or result.updated)))


@router.post("/lists", response_model=QualificationListOut, status_code=201,
             summary="Store the qualifications of a published list (高企, 科技型中小企业, 专精特新, 小巨人, 瞪羚, "
                     "独角兽) by credit code; rows that do not match are returned for review, not stored; 200 when "
                     "nothing changed")
async def upload_list(request: Request, principal: security.Scoped, file: Annotated[UploadFile, File()],
                      kind: str = Form(..., pattern=KIND, description="hightech, tech_sme, specialized, little_giant, "
                                                                      "gazelle or unicorn"),
                      year: str = Form("", pattern=YEAR, description="the list's year, when its rows carry no date")
                      ) -> JSONResponse:
    require_multipart(request)
    data = await read_upload(request, file, svc.UPLOAD_SUFFIXES)
    upload = await run_in_threadpool(svc.upload_list, request.app.state.engine, principal, data,
                                     file.filename or "upload", kind, int(year) if year else None,
                                     upload_limits(request))
    result = upload.listing
    assert result is not None
    review = [ReviewOut(file=upload.name, row=i.row, where=i.where, credit_code=i.credit_code or None,
                        list_name=i.name or None, registered_name=i.registered_name or None, reason=i.reason,
                        proposed_credit_code=i.proposed_credit_code or None) for i in result.review]
    body = QualificationListOut(source=upload.name, kind=result.kind.code, summary=svc.summary(upload, "en"),
                                stored=result.stored, updated=result.updated, unchanged=len(result.unchanged),
                                review_count=len(review), review=review)
    return JSONResponse(body.model_dump(), status_code=_status(bool(result.stored or result.updated)))
