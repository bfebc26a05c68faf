"""/api/v1/carbon: the carbon accounts (碳账户) of zones, provinces and the nation. The accounts are
hizone.web.services.carbon's (over hizone.carbon.accounts and the Reader), as the pages show them: a published
account's published figures with why today's differ, if they do; this only translates.

Public: the nation's account is everyone's; a province's or a zone's answers only within the caller's scope
(hizone.auth.policy.can_read_carbon_account), anything else a 403 with no figure.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from hizone.analytics.read import ReadCache
from hizone.web import security
from hizone.web.api.v1 import ERRORS
from hizone.web.errors import error_response
from hizone.web.services.carbon import LEVELS, CarbonRequestError, accounts, as_published

router = APIRouter(prefix="/api/v1/carbon", tags=["v1"], responses=ERRORS)


class WarningOut(BaseModel):
    level: str = Field(description="red, yellow or green (catalog/data/carbon/targets.yaml)")
    name_zh: str
    name_en: str


class LedgerOut(BaseModel):
    side: str = Field(description="asset or liability")
    item: str
    value: float
    unit: str
    sources: list[str] = Field([], description="one indicator per form behind the entry: its drill-down "
                                               "(/api/v1/indicators/{code}/drill-down) lists the submissions")


class EmitterOut(BaseModel):
    credit_code: str
    tce_equivalent: float
    co2_total_location: float
    co2_intensity: float | None
    division: str | None = Field(None, description="GB/T 4754 division (the industry the grade compares with)")
    k: float | None = Field(None, description="the enterprise's tCO2/万元 over its division's Σ/Σ in the zone")
    grade: int | None = Field(None, description="carbon-efficiency grade, 1 (best) to 5 (targets.yaml bounds)")


class PublishedOut(BaseModel):
    version: int
    at: str
    by: str


class TrendOut(BaseModel):
    year: int
    energy_intensity: float | None
    industrial_energy_intensity: float | None
    co2_intensity: float | None


class AccountOut(BaseModel):
    level: str
    key: str
    name_zh: str
    name_en: str
    year: int
    withheld: str | None = Field(None, description="why there is no account (no data, or disclosure control)")
    reporters: int | None = None
    tce_equivalent: float | None = Field(None, description="综合能耗, tce (当量值)")
    tce_equal_value: float | None = Field(None, description="综合能耗, tce (等价值)")
    co2_scope1: float | None = Field(None, description="tCO2")
    co2_scope2_location: float | None = None
    co2_scope2_market: float | None = None
    co2_total_location: float | None = None
    value_added: float | None = Field(None, description="万元")
    energy_intensity: float | None = Field(None, description="单位增加值综合能耗, tce/万元")
    industrial_energy_intensity: float | None = Field(None, description="单位工业增加值能耗, tce/万元")
    co2_intensity: float | None = Field(None, description="tCO2/万元")
    carbon_productivity: float | None = Field(None, description="碳生产率, 万元/tCO2")
    co2_per_tce: float | None = Field(None, description="单位能耗碳排放, tCO2/tce")
    co2_intensity_yoy: float | None = Field(None, description="% on the year, both years at this year's factors")
    base_year: int | None = Field(None, description="the pathway's first year (the group's first account)")
    energy_path: float | None = Field(None, description="单位工业增加值能耗 ceiling on the 28号 path, tce/万元")
    co2_path: float | None = Field(None, description="tCO2/万元 on the path")
    warning: WarningOut | None = None
    ledger: list[LedgerOut] = []
    factor_version: str | None = None
    factor_notes: list[str] = []
    trend: list[TrendOut] = []
    largest_emitters: list[EmitterOut] | None = Field(None, description="zones only: the largest CO2 emitters")
    published: PublishedOut | None = Field(None, description="the published account these figures are (None: "
                                                               "never published, the figures are live)")
    changed_since: str | None = Field(None, description="why today's data or factors give other figures than "
                                                         "the published ones (None: they agree)")


class AccountsOut(BaseModel):
    year: int
    level: str
    accounts: list[AccountOut]


@router.get("/accounts", response_model=AccountsOut,
            summary="Carbon accounts: intensities, ledger, pathway, warning level (zones: largest emitters)",
            responses={403: {"description": "a group outside the caller's scope"}})
def get_accounts(request: Request, principal: security.Public,
                 year: int | None = Query(None, ge=2000, le=2100, description="default: the latest year"),
                 level: str = Query("nation", pattern="^(" + "|".join(LEVELS) + ")$"),
                 key: str | None = Query(None, pattern=r"^[A-Za-z0-9]{1,8}$",
                                         description="a zone or province code (default: every one in scope)")
                 ) -> AccountsOut | Response:
    figures: ReadCache = request.app.state.figures
    try:
        fig, engine = figures.get(), request.app.state.engine
        rows = as_published(engine, fig, accounts(fig, principal, level, key, year, engine=engine))
    except CarbonRequestError as exc:
        return error_response(request, exc.status, exc.reason, where=exc.where)
    return AccountsOut(year=rows[0]["year"], level=level, accounts=[AccountOut(**row) for row in rows])
