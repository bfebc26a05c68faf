"""/api/v1 over the analytics read API: ad-hoc formulas in the catalog's formula language, and the submissions
behind a value. Scope and disclosure control are the Reader's (hizone.analytics.read), for the caller's viewer."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from hizone.analytics.definitions import PeriodType
from hizone.analytics.formula import FormulaError
from hizone.analytics.read import Figure, Reader, ScopeError
from hizone.analytics.rollup import NATION_KEY
from hizone.errors import CatalogError
from hizone.web import security
from hizone.web.api.v1 import ERRORS

router = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERRORS)

GroupLevel = Literal["zone", "province", "region", "nation"]
PERIOD = r"^\d{4}(-(0[1-9]|1[0-2]))?$"


class FigureOut(BaseModel):
    level: str
    key: str
    period: str
    value: float | None = Field(description="null when there is none (`reason`), or when withheld (`suppressed`)")
    value_raw: float | None = Field(None, description="a y/y on the raw basis (all reporters)")
    reason: str | None = Field(None, description="why there is no value, e.g. 'no data'")
    suppressed: bool = Field(False, description="withheld by statistical disclosure control or scope")
    suppressed_reason: str | None = Field(None, description="min_zones, min_enterprises, dominance_enterprise, "
                                                            "dominance_zone, complementary or scope")


class FormulaOut(BaseModel):
    expression: str
    form: str
    period_type: str
    level: str
    synthetic: bool
    values: list[FigureOut] = Field(description="one per key and period, in the order asked")


class SourceRowOut(BaseModel):
    submission_id: int
    entity_key: str
    zone_code: str
    period: str
    revision: int
    state: str
    role: str = Field(description="current, previous year (for a y/y) or previous month (a single month)")
    values: dict[str, float | None] = Field(description="the elements the indicator reads")


class DrillDownOut(BaseModel):
    indicator: str
    level: str
    key: str
    period: str
    synthetic: bool
    rows: list[SourceRowOut]


def _reader(request: Request) -> Reader:
    reader: Reader = request.app.state.figures.get()
    return reader


def _figure_out(figure: Figure) -> FigureOut:
    return FigureOut(level=figure.level, key=figure.key, period=figure.period, value=figure.value,
                     value_raw=figure.value_raw, reason=figure.reason, suppressed=figure.withheld is not None,
                     suppressed_reason=figure.withheld)


def _check_keys(fig: Reader, level: str, keys: list[str]) -> None:
    for key in keys:
        known = key in fig.zones if level == "zone" else bool(fig.zones_of(level, key))
        if not known:
            raise HTTPException(status_code=404, detail=f"no {level} '{key}'")


@router.get("/formula", response_model=FormulaOut,
            summary="An ad-hoc formula in the catalog's formula language, for groups of zones (scope, disclosure)")
def formula(request: Request, principal: security.Public,
            expr: Annotated[str, Query(min_length=1, max_length=500, description="e.g. rd_expenditure / revenue")],
            form: Annotated[str, Query(pattern=r"^[a-z_]{1,32}$", description="the form whose elements it names")],
            period: Annotated[list[str], Query(max_length=60, description="2023 (annual), 2023-02 (monthly); "
                                                                          "repeat for several")],
            keys: Annotated[list[str] | None, Query(max_length=200, description="the groups' codes (repeat); "
                                                                               "none for the nation")] = None,
            level: GroupLevel = "nation", period_type: Annotated[PeriodType | None, Query(
                description="annual, cumulative or month (default: annual for a year, cumulative for a month)")]
            = None) -> FormulaOut:
    """Withheld figures are null with `suppressed` and a reason code, exactly as a catalog indicator with the
    same elements would be; a formula that does not parse or check is a 422 naming the column and token."""
    fig = _reader(request)
    groups = keys or ([NATION_KEY] if level == "nation" else [])
    if not groups:
        raise HTTPException(status_code=422, detail=f"keys: give the {level} codes")
    for value in period:
        if not _is_period(value):
            raise HTTPException(status_code=422, detail=f"period: '{value}' is not a year (2023) or month (2023-02)")
    _check_keys(fig, level, groups)
    chosen: PeriodType = period_type or ("annual" if len(period[0]) == 4 else "cumulative")
    try:
        figures = fig.formula(expr, form, chosen, level, groups, period, fig.viewer(principal))
    except (FormulaError, CatalogError) as error:
        raise HTTPException(status_code=422, detail=f"expr: {error.reason}") from None
    return FormulaOut(expression=expr, form=form, period_type=chosen, level=level, synthetic=fig.synthetic,
                      values=[_figure_out(f) for f in figures])


def _is_period(value: str) -> bool:
    return re.fullmatch(PERIOD, value) is not None


@router.get("/indicators/{indicator}/drill-down", response_model=DrillDownOut,
            summary="The submissions behind an indicator's value (only within the caller's scope)")
def drill_down(request: Request, principal: security.LoggedIn, indicator: str,
               period: Annotated[str, Query(pattern=PERIOD)],
               key: Annotated[str, Query(max_length=32, description="the zone, group or enterprise code")],
               level: Literal["zone", "province", "region", "nation", "enterprise"] = "zone") -> DrillDownOut:
    """A 403 unless the caller may read every zone behind the value (or the enterprise's zone)."""
    fig = _reader(request)
    if indicator not in fig.indicators.indicators:
        raise HTTPException(status_code=404, detail=f"no indicator '{indicator}'")
    if level != "enterprise":
        _check_keys(fig, level, [key])
    try:
        rows = fig.drill_down(indicator, level, key, period, fig.viewer(principal))
    except ScopeError as error:
        raise HTTPException(status_code=403, detail=error.reason) from None
    return DrillDownOut(indicator=indicator, level=level, key=key, period=period, synthetic=fig.synthetic,
                        rows=[SourceRowOut(submission_id=r.submission_id, entity_key=r.entity_key,
                                           zone_code=r.zone_code, period=r.period, revision=r.revision,
                                           state=r.state, role=r.role, values=r.values) for r in rows])
