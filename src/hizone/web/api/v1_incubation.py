"""/api/v1/incubation: the carriers of the incubation chain, a carrier's profile, the chain funnel, grades and the
summary, from hizone.incubation.service as the pages show them. Lists are filtered by the caller's scope (a
zone its own carriers, a province its zones' and those outside any zone in it); a carrier outside it is a 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from hizone.incubation import service as svc
from hizone.web import security
from hizone.web.api.v1 import ERRORS

router = APIRouter(prefix="/api/v1/incubation", tags=["v1"], responses=ERRORS)
ZONE = Query(None, pattern=r"^[A-Za-z0-9]{1,8}$")


class CarrierOut(BaseModel):
    code: str
    name: str
    kind: str = Field(description="众创空间, 孵化器, 加速器 or 大学科技园")
    focus: str = Field(description="综合 or 专业")
    field: str | None
    zone_code: str | None = Field(description="None: outside any national zone")
    province_code: str
    levels: list[str] = Field(description="levels held today (国家级, 国家备案, 省级, 市级)")
    longitude: float | None
    latitude: float | None
    in_incubation: int
    graduated: int
    overdue: int = Field(description="in incubation beyond 48 months")
    synthetic: bool = Field(description="the demo's synthetic data")


class CheckOut(BaseModel):
    code: str
    value: float | None
    threshold: float
    passed: bool | None = Field(description="None: the figure is not known")


class GradeOut(BaseModel):
    score: float
    grade: str
    stability: float = Field(description="share of perturbed-weight draws that keep the grade")


class IndicatorOut(BaseModel):
    code: str
    name_zh: str
    dimension: str
    weight: float
    share: float = Field(description="of the weights of the carrier's focus (综合 or 专业)")
    basis: str = Field(description="official, or inferred: hizone's stand-in (the official 2019 set was not found)")


class ProfileOut(BaseModel):
    carrier: CarrierOut
    operator: str | None
    address: str | None
    founded_year: int | None
    history: list[dict[str, Any]]
    report_year: str | None
    report_state: str | None
    checks: list[CheckOut]
    grade: GradeOut | None
    criteria: dict[str, int] = Field(description="graduates by the criterion met")
    path: dict[str, int] = Field(description="graduates that became 高企 / 瞪羚 / listed afterwards")
    indicators: list[IndicatorOut] = Field(default_factory=list,
                                           description="what the grade is made of, each saying if it is inferred")


class FunnelOut(BaseModel):
    key: str
    stages: list[dict[str, Any]]


def _carrier(row: svc.CarrierRow) -> CarrierOut:
    return CarrierOut(**{**row.__dict__, "levels": list(row.levels)})


@router.get("/carriers", response_model=list[CarrierOut], summary="Carriers in scope, by zone and kind")
def carriers(request: Request, principal: security.Scoped, zone: str | None = ZONE,
             kind: str | None = Query(None, max_length=8)) -> list[CarrierOut]:
    return [_carrier(r) for r in svc.list_carriers(request.app.state.engine, principal, zone=zone, kind=kind)]


@router.get("/carriers/{carrier_code}", response_model=ProfileOut,
            summary="A carrier: levels, self-check against the 2018 conditions, grade, graduates' path")
def carrier(request: Request, principal: security.CarrierReader, carrier_code: str) -> ProfileOut:
    p = svc.profile(request.app.state.engine, principal, carrier_code)
    return ProfileOut(carrier=_carrier(p.carrier), operator=p.operator, address=p.address,
                      founded_year=p.founded_year,
                      history=[{"level": lv, "event": ev, "day": day.isoformat(), "document": doc}
                               for lv, ev, day, doc in p.history],
                      report_year=p.report_year, report_state=p.report_state,
                      checks=[CheckOut(**c.__dict__) for c in p.checks],
                      grade=GradeOut(**p.grade.__dict__) if p.grade else None, criteria=p.criteria, path=p.path,
                      indicators=[IndicatorOut(**i.__dict__) for i in p.indicators])


@router.get("/chain", response_model=FunnelOut, summary="The chain 众创空间 → 孵化器 → 加速器 → 大学科技园 as a funnel")
def chain(request: Request, principal: security.Scoped, zone: str | None = ZONE) -> FunnelOut:
    funnel = svc.chain(request.app.state.engine, principal, zone)
    return FunnelOut(key=funnel.key, stages=funnel.stages)


@router.get("/grades", response_model=dict[str, GradeOut], summary="Incubators' scores and grades A–D for a year")
def grades(request: Request, principal: security.Scoped,
           year: int = Query(dt.date.today().year - 1, ge=2000, le=2100)) -> dict[str, GradeOut]:
    found = svc.grades_for(request.app.state.engine, principal, str(year))
    return {code: GradeOut(**g.__dict__) for code, g in found.items()}


@router.get("/summary", summary="Totals in scope by kind, level and province")
def summary(request: Request, principal: security.Scoped) -> dict[str, Any]:
    return svc.summary(request.app.state.engine, principal)
