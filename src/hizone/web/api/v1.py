"""/api/v1: zones, enterprises, submissions, indicators (plus evaluation and alerts in their own modules)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hizone.analytics.read import ReadCache, Reader, Viewer
from hizone.analytics.rollup import NATION_KEY
from hizone.auth import data_scope
from hizone.registry import qualification_kinds
from hizone.registry.outside import outside_code
from hizone.store.models import Submission, Zone
from hizone.web import security
from hizone.web.api.schemas import (
    EnterpriseDetail,
    EnterpriseOut,
    EnterprisePage,
    ErrorBody,
    IndicatorSet,
    IndicatorValue,
    Me,
    SubmissionOut,
    SubmissionPage,
    ZoneOut,
    ZonePage,
)
from hizone.web.services import enterprises as ent_svc
from hizone.web.services.overview import annual_periods
from hizone.web.services.tables import Suppressed
from hizone.web.services.views import Shown, load_views, shown, shown_yoy

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in ((401, "not logged in, or a bad token"), (403, "the role or scope does not allow it"),
                       (404, "no such object"), (422, "invalid parameters"))}
router = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERRORS)

PAGE = Query(1, ge=1, le=1_000_000)
PAGE_SIZE = Query(50, ge=1, le=500)
ZONE_CODE = Query(None, pattern=r"^[A-Za-z0-9]{1,8}$")
PROVINCE = Query(None, pattern=r"^\d{2}$")
REGION = Query(None, pattern=r"^(east|central|west|northeast)$")
YEAR = Query(None, pattern=r"^\d{4}$")


def _figures(request: Request) -> Reader:
    cache: ReadCache = request.app.state.figures
    return cache.get()


def _zone_out(fig: Reader, code: str) -> ZoneOut:
    z = fig.zones[code]
    return ZoneOut(code=z.code, name_zh=z.name_zh, name_en=z.name_en, province_code=z.province_code,
                   region=z.region, city=z.city, approved_year=z.approved_year)


@router.get("/me", response_model=Me, summary="Who the caller is")
def me(principal: security.LoggedIn) -> Me:
    return Me(username=principal.username, role=principal.role, province_code=principal.province_code,
              zone_code=principal.zone_code, credit_code=principal.credit_code)


@router.get("/zones", response_model=ZonePage, summary="The national high-tech zones (public registry)")
def list_zones(request: Request, _: security.Public, province: str | None = PROVINCE, region: str | None = REGION,
               page: int = PAGE, page_size: int = PAGE_SIZE) -> ZonePage:
    fig = _figures(request)
    codes = [z.code for z in fig.zones.values()
             if (not province or z.province_code == province) and (not region or z.region == region)]
    chunk = codes[(page - 1) * page_size: page * page_size]
    return ZonePage(page=page, page_size=page_size, total=len(codes), items=[_zone_out(fig, c) for c in chunk])


@router.get("/zones/{zone_code}", response_model=ZoneOut, summary="One zone (public registry)")
def get_zone(request: Request, _: security.Public, zone_code: str) -> ZoneOut:
    fig = _figures(request)
    if zone_code not in fig.zones:
        raise HTTPException(status_code=404, detail=f"no zone '{zone_code}'")
    return _zone_out(fig, zone_code)


def _indicator_set(fig: Reader, entity: str, year: str, viewer: Viewer) -> IndicatorSet:
    """The nation's, a province's or a zone's indicators, as the viewer may see them."""
    views = load_views()
    level, key = ("nation", NATION_KEY) if entity == "national" else \
        ("province", entity) if len(entity) == 2 else ("zone", entity)
    values: list[IndicatorValue] = []
    for ind in views.kpis + views.profile_indicators:
        if any(v.code == ind.code for v in values):
            continue
        current = shown(fig, ind, level, key, year, viewer)
        withheld = current.reason if isinstance(current, Suppressed) else None
        values.append(IndicatorValue(code=ind.code, name_zh=ind.name_zh, name_en=ind.name_en, unit=ind.unit,
                                     value=_value(current), suppressed=withheld is not None, reason=withheld,
                                     yoy_pct=_value(shown_yoy(fig, ind, level, key, year, viewer))))
    return IndicatorSet(entity=entity, period=year, synthetic=fig.synthetic, indicators=values)


def _value(figure: Shown) -> float | None:
    return None if isinstance(figure, Suppressed) else figure


def _year(fig: Reader, year: str | None) -> str:
    years = annual_periods(fig)
    chosen = year or (years[-1] if years else None)
    if chosen is None or chosen not in years:
        raise HTTPException(status_code=404, detail=f"no approved annual data for year '{year or ''}'")
    return chosen


@router.get("/indicators", response_model=IndicatorSet,
            summary="Published aggregates: the nation or one province (public)")
def indicators(request: Request, principal: security.Public,
               year: str | None = YEAR, province: str | None = PROVINCE) -> IndicatorSet:
    """Figures withheld by disclosure control are null with ``suppressed`` and a reason code."""
    fig = _figures(request)
    if province and not fig.zones_of("province", province):
        raise HTTPException(status_code=404, detail=f"no zones in province '{province}'")
    return _indicator_set(fig, province or "national", _year(fig, year), fig.viewer(principal))


@router.get("/zones/{zone_code}/indicators", response_model=IndicatorSet,
            summary="A zone's indicators for a year (zone scope)")
def zone_indicators(request: Request, principal: security.ZoneReader, zone_code: str,
                    year: str | None = YEAR) -> IndicatorSet:
    fig = _figures(request)
    return _indicator_set(fig, zone_code, _year(fig, year), fig.viewer(principal))


@router.get("/enterprises", response_model=EnterprisePage,
            summary="Enterprises the caller may see (its province, zone or itself)")
def list_enterprises(request: Request, principal: security.LoggedIn, zone: str | None = ZONE_CODE,
                     qualification: str | None = Query(None, max_length=16), page: int = PAGE,
                     page_size: int = PAGE_SIZE) -> EnterprisePage:
    if qualification and qualification not in qualification_kinds():
        raise HTTPException(status_code=422, detail=f"unknown qualification '{qualification}' "
                                                    f"(one of {', '.join(qualification_kinds())})")
    with Session(request.app.state.engine) as session:
        result = ent_svc.list_enterprises(session, data_scope(principal), zone_code=zone, kind=qualification,
                                          page=page, size=page_size)
    return EnterprisePage(page=page, page_size=page_size, total=result.total,
                          items=[EnterpriseOut.model_validate(i) for i in result.items])


@router.get("/enterprises/{credit_code}", response_model=EnterpriseDetail,
            summary="One enterprise with its dated registration history (scope)")
def get_enterprise(request: Request, principal: security.EnterpriseReader, credit_code: str) -> EnterpriseDetail:
    with Session(request.app.state.engine) as session:
        detail = ent_svc.enterprise_detail(session, data_scope(principal), credit_code)
    if detail is None:  # the route's check passed, so only a concurrent change gets here
        raise HTTPException(status_code=404, detail=f"no enterprise '{credit_code}'")
    return EnterpriseDetail.model_validate(detail)


def _submission_out(s: Submission) -> SubmissionOut:
    return SubmissionOut(id=s.id, form_code=s.form_code, form_version=s.form_version, entity_key=s.entity_key,
                         zone_code=s.zone_code, period=s.period, revision=s.revision, state=s.state,
                         values=dict(s.values), created_by=s.created_by, created_at=s.created_at.isoformat(),
                         synthetic=s.synthetic)


@router.get("/submissions", response_model=SubmissionPage,
            summary="Submissions the caller may see, newest first")
def list_submissions(request: Request, principal: security.LoggedIn,
                     form: str | None = Query(None, pattern=r"^[a-z_]{1,32}$"),
                     period: str | None = Query(None, pattern=r"^\d{4}(-\d{2})?$"), zone: str | None = ZONE_CODE,
                     state: str | None = Query(None, pattern=r"^(draft|submitted|reviewed|approved|returned)$"),
                     page: int = PAGE, page_size: int = PAGE_SIZE) -> SubmissionPage:
    scope = data_scope(principal)
    # Outer: a carrier outside any national zone reports at its province's outside key (registry.outside).
    query = select(Submission).outerjoin(Zone, Zone.code == Submission.zone_code)
    if scope.province_code:
        query = query.where(or_(Zone.province_code == scope.province_code,
                                Submission.zone_code == outside_code(scope.province_code)))
    if scope.zone_code:
        query = query.where(Submission.zone_code == scope.zone_code)
    if scope.credit_code:
        query = query.where(Submission.entity_key == scope.credit_code)
    for column, value in ((Submission.form_code, form), (Submission.period, period),
                          (Submission.zone_code, zone), (Submission.state, state)):
        if value:
            query = query.where(column == value)
    with Session(request.app.state.engine) as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(Submission.id.desc()).offset((page - 1) * page_size)
                               .limit(page_size)).all()
        items = [_submission_out(s) for s in rows]
    return SubmissionPage(page=page, page_size=page_size, total=int(total), items=items)


@router.get("/submissions/{submission_id}", response_model=SubmissionOut, summary="One submission (scope)")
def get_submission(request: Request, _: security.SubmissionReader, submission_id: str) -> SubmissionOut:
    with Session(request.app.state.engine) as session:
        row = session.get(Submission, int(submission_id))
        if row is None:
            raise HTTPException(status_code=404, detail=f"no submission '{submission_id}'")
        return _submission_out(row)
