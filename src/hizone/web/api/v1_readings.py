"""/api/v1/readings: the main energy-using units (重点用能单位), their meters, batches of meter readings and
their roll-ups. Checks and storage are hizone.carbon.readings and hizone.store.readings; this only translates.

The body of a batch is JSON or CSV of bounded size, parsed by the standard library's json and csv modules in
the threadpool: neither allocates more than a small multiple of the body, so no worker process is needed (the
spreadsheet readers, which can, run in one; DESIGN principle 7).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hizone.carbon.readings import GRAINS, LEVELS, RawBatch, default_config, parse_csv, parse_json, rollup
from hizone.store.readings import (
    KeyConflict,
    MeterSpec,
    ReadingsRefused,
    UnitSpec,
    load_readings,
    meter_info,
    register_units,
    store_batch,
)
from hizone.web import security
from hizone.web.api.schemas import ErrorBody
from hizone.web.api.v1 import ERRORS

MAX_BODY_BYTES = 64 << 20  # a batch of ~1 million readings
CODE = r"^[A-Za-z0-9_.\-]{1,32}$"
router = APIRouter(prefix="/api/v1/readings", tags=["v1"], responses={
    **ERRORS, 400: {"model": ErrorBody, "description": "the body cannot be read (not JSON, no header)"},
    409: {"model": ErrorBody, "description": "the idempotency key was used for other content"},
    413: {"model": ErrorBody, "description": "body too large"},
    415: {"model": ErrorBody, "description": "neither JSON nor CSV"}})


class MeterIn(BaseModel):
    code: str = Field(pattern=CODE)
    energy: str = Field(max_length=32, description="an energy code, e.g. electricity, natural_gas, diesel")
    measure_unit: str = Field(max_length=16, description="the unit it counts in, e.g. kWh, m3, t")


class UnitIn(BaseModel):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=128)
    credit_code: str = Field(pattern=r"^[0-9A-Z]{18}$", description="the enterprise's 统一社会信用代码")
    meters: list[MeterIn] = Field(min_length=1, max_length=1000)


class UnitsIn(BaseModel):
    units: list[UnitIn] = Field(min_length=1, max_length=10_000)


class RegisteredOut(BaseModel):
    units: list[str]
    meters: list[str]
    unchanged: int


class BatchOut(BaseModel):
    batch_id: int
    readings: int
    first: str = Field(description="the earliest reading's time (China Standard Time)")
    last: str
    replayed: bool = Field(description="true: the key was used before with the same content; nothing stored again")


class RollupRow(BaseModel):
    key: str
    energy: str
    unit: str = Field(description="the physical unit of the total")
    period: str
    total: float
    readings: int


class RollupOut(BaseModel):
    level: str
    grain: str
    rows: list[RollupRow]


_CST = dt.timezone(dt.timedelta(hours=8))


def _shown(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, _CST).isoformat()


@router.post("/units", response_model=RegisteredOut, status_code=201,
             summary="Register main energy-using units and their meters (zone, province, national); all or none")
def post_units(request: Request, principal: security.Scoped, body: UnitsIn) -> RegisteredOut:
    specs = [UnitSpec(u.code, u.name, u.credit_code, tuple(MeterSpec(m.code, m.energy, m.measure_unit)
                                                            for m in u.meters)) for u in body.units]
    done = register_units(request.app.state.engine, principal, specs, default_config())
    return RegisteredOut(units=done.units, meters=done.meters, unchanged=done.unchanged)


async def _body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail=f"a batch may be at most {MAX_BODY_BYTES >> 20} MiB; "
                                                        f"send more batches")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(content_type: str, body: bytes) -> RawBatch:
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        return parse_json(body)
    if kind in ("text/csv", "application/csv"):
        return parse_csv(body)
    raise HTTPException(status_code=415, detail="send the readings as application/json or text/csv")


@router.post("/batches", response_model=BatchOut, status_code=201,
             summary="Store a batch of meter readings (JSON or CSV) under an idempotency key: all of it or none; "
                     "200 with the earlier batch when the key was used for the same content",
             responses={422: {"description": "readings refused: every problem with its row and field"}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"type": "object", "required": ["readings"], "properties": {
                     "readings": {"type": "array", "items": {"type": "object", "properties": {
                         "unit": {"type": "string"}, "meter": {"type": "string"}, "energy": {"type": "string"},
                         "time": {"type": "string", "description": "ISO 8601; no offset: China Standard Time"},
                         "quantity": {"type": "number"}, "measure_unit": {"type": "string"}}}}}}},
                 "text/csv": {"schema": {"type": "string", "description": "header unit,meter,energy,time,quantity"
                                                                          "[,measure_unit], one reading a line"}}}}})
async def post_batch(request: Request, principal: security.Submitter,
                     idempotency_key: Annotated[str, Header(min_length=1, max_length=128,
                                                            pattern=r"^[\x21-\x7e]+$")]) -> JSONResponse:
    body = await _body(request)
    batch = _parse(request.headers.get("content-type", ""), body)
    try:
        stored = await run_in_threadpool(store_batch, request.app.state.engine, principal, idempotency_key, batch,
                                         default_config())
    except KeyConflict as exc:
        return JSONResponse({"error": {"status": 409, "code": "conflict", "message": exc.reason,
                                       "where": exc.where}}, status_code=409)
    except ReadingsRefused as exc:
        problems: list[dict[str, Any]] = [{"row": p.row, "field": p.field, "reason": p.reason, "where": str(p)}
                                          for p in exc.refused.problems]
        first = str(exc.refused.problems[0]) if exc.refused.problems else ""
        return JSONResponse({"error": {"status": 422, "code": "invalid_input",
                                       "message": f"{exc.refused.summary()}: {first}", "where": "readings"},
                             "problem_count": exc.refused.count, "problems": problems}, status_code=422)
    out = BatchOut(batch_id=stored.batch_id, readings=stored.readings, first=_shown(stored.first_at),
                   last=_shown(stored.last_at), replayed=stored.replayed)
    return JSONResponse(out.model_dump(), status_code=200 if stored.replayed else 201)


def _epoch(day: str, name: str) -> int:
    try:
        return int(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), _CST).timestamp())
    except ValueError:
        raise HTTPException(status_code=422, detail=f"{name}: not a date (YYYY-MM-DD)") from None


@router.get("/rollup", response_model=RollupOut,
            summary="Readings summed by day or month per meter, unit or zone and energy (the caller's scope)")
def get_rollup(request: Request, principal: security.LoggedIn,
               start: str = Query(..., pattern=r"^\d{4}-\d{2}-\d{2}$", description="first day (China time)"),
               end: str = Query(..., pattern=r"^\d{4}-\d{2}-\d{2}$", description="the day after the last"),
               level: str = Query("zone", pattern="^(" + "|".join(LEVELS) + ")$"),
               grain: str = Query("day", pattern="^(" + "|".join(GRAINS) + ")$"),
               zone: str | None = Query(None, pattern=r"^[A-Za-z0-9]{1,8}$"),
               unit: str | None = Query(None, pattern=CODE)) -> RollupOut:
    first, after = _epoch(start, "start"), _epoch(end, "end")
    if after <= first or after - first > 400 * 86400:
        raise HTTPException(status_code=422, detail="end must be after start, at most 400 days later")
    config = default_config()
    with request.app.state.engine.connect() as conn:
        meters = meter_info(conn, principal, zone=zone, unit=unit)
        readings = load_readings(conn, meters, first, after)
    totals = rollup(readings, meters, level, grain)
    return RollupOut(level=level, grain=grain, rows=[
        RollupRow(key=k, energy=e, unit=config.energies[e].unit if e in config.energies else "", period=p, total=t,
                  readings=n) for k, e, p, t, n in totals.rows()])
