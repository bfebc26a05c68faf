"""/api/v1/bulletins: the Torch Center's bulletins, their facts with provenance and review, full-text search,
and the analysts' review. Thin: hizone.store.bulletins stores and finds, hizone.web.services.bulletins puts
the reported figures beside a zone's facts for the caller's scope (another zone's: none).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from hizone.analytics.read import Reader
from hizone.auth import Principal
from hizone.bulletins.compare import Comparison
from hizone.store import session_scope
from hizone.store.bulletins import (
    STATUSES,
    BulletinNotFound,
    Correction,
    FactFilter,
    StoredBulletin,
    StoredFact,
    bulletin,
    bulletins,
    facts,
    review,
    search,
)
from hizone.web import security
from hizone.web.api.v1 import ERRORS
from hizone.web.params import RowId, RowIdQuery
from hizone.web.rendering import current_figures
from hizone.web.services.bulletins import comparisons

# A stored row id: bounded so that no URL can overflow the store's 64-bit integer.
router = APIRouter(prefix="/api/v1/bulletins", tags=["v1"], responses=ERRORS)
STATUS_PATTERN = "^(" + "|".join(STATUSES) + ")$"


@contextmanager
def store(request: Request) -> Iterator[Session]:
    """A transaction on the store; a missing bulletin or fact is a 404."""
    try:
        with session_scope(request.app.state.engine) as session:
            yield session
    except BulletinNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


class BulletinOut(BaseModel):
    id: int
    file_name: str
    sha256: str
    issue: str
    issue_date: str | None
    loaded_by: str
    loaded_at: str
    facts: int


class ComparisonOut(BaseModel):
    indicator: str
    year: str
    reported: float | None = Field(description="the reported figure in the fact's unit (None: not reported, or "
                                               "withheld: see reason)")
    relative: float | None = Field(description="|bulletin − reported| / reported")
    flagged: bool = Field(description="the difference is above the tolerance of compare.yaml")
    reason: str | None


class FactOut(BaseModel):
    id: int
    bulletin_id: int
    file_name: str
    issue: str
    start: int = Field(description="code-point offset of the quote in the bulletin's text")
    end: int
    subject: str = Field(description="a zone's registry code, national_zones, china or unknown:<name>")
    subject_name: str
    metric: str
    value: float = Field(description="as extracted, in the base unit")
    unit: str
    period: str
    qualifier: str
    quote: str
    status: str = Field(description="extracted, confirmed, corrected or rejected")
    corrected_value: float | None
    corrected_unit: str | None
    corrected_period: str | None
    reviewer: str | None
    reviewed_at: str | None
    note: str | None
    comparison: ComparisonOut | None = Field(None, description="the reported figure it states, for a zone the "
                                                               "caller may read")


class BulletinDetailOut(BulletinOut):
    text: str
    fact_list: list[FactOut]


class HitOut(BaseModel):
    start: int
    end: int
    snippet: str


class FoundOut(BaseModel):
    bulletin: BulletinOut
    hits: int
    first: list[HitOut]


class ReviewIn(BaseModel):
    action: str = Field(pattern="^(confirm|correct|reject)$")
    value: float | None = Field(None, description="correct: the right value in the base unit")
    unit: str | None = Field(None, max_length=16)
    period: str | None = Field(None, max_length=24)
    note: str | None = Field(None, max_length=512)


def bulletin_out(b: StoredBulletin) -> BulletinOut:
    return BulletinOut(id=b.id, file_name=b.file_name, sha256=b.sha256, issue=b.issue,
                       issue_date=b.issue_date.isoformat() if b.issue_date else None, loaded_by=b.loaded_by,
                       loaded_at=b.loaded_at.isoformat(), facts=b.facts)


def fact_out(f: StoredFact, found: Comparison | None) -> FactOut:
    compared = None if found is None else ComparisonOut(indicator=found.indicator, year=found.year,
                                                        reported=found.reported, relative=found.relative,
                                                        flagged=found.flagged, reason=found.reason)
    return FactOut(id=f.id, bulletin_id=f.bulletin_id, file_name=f.file_name, issue=f.issue, start=f.start, end=f.end,
                   subject=f.subject, subject_name=f.subject_name, metric=f.metric, value=f.value, unit=f.unit,
                   period=f.period, qualifier=f.qualifier, quote=f.quote, status=f.status,
                   corrected_value=f.corrected_value, corrected_unit=f.corrected_unit,
                   corrected_period=f.corrected_period, reviewer=f.reviewer,
                   reviewed_at=f.reviewed_at.isoformat() if f.reviewed_at else None, note=f.note, comparison=compared)


def facts_out(fig: Reader, principal: Principal, found: list[StoredFact]) -> list[FactOut]:
    compared = comparisons(fig, principal, found)
    return [fact_out(f, compared.get(f.id)) for f in found]


@router.get("", response_model=list[BulletinOut], summary="The stored bulletins, newest issue first")
def list_bulletins(request: Request, principal: security.BulletinReader) -> list[BulletinOut]:
    with store(request) as session:
        return [bulletin_out(b) for b in bulletins(session)]


@router.get("/facts", response_model=list[FactOut],
            summary="Facts from bulletins, with their review and (for the caller's zones) the reported figure")
def list_facts(request: Request, principal: security.BulletinReader,
               zone: str | None = Query(None, max_length=96, description="a zone code, national_zones or china"),
               status: str | None = Query(None, pattern=STATUS_PATTERN),
               bulletin_id: RowIdQuery = None) -> list[FactOut]:
    with store(request) as session:
        found = facts(session, FactFilter(bulletin_id=bulletin_id, subject=zone, status=status))
    return facts_out(current_figures(request), principal, found)


@router.get("/search", response_model=list[FoundOut],
            summary="Full-text search (Chinese-aware: words of two characters or more, ANDed)")
def search_bulletins(request: Request, principal: security.BulletinReader,
                     q: str = Query(min_length=1, max_length=200)) -> list[FoundOut]:
    with store(request) as session:
        found = search(session, q)
    return [FoundOut(bulletin=bulletin_out(f.bulletin), hits=f.count,
                     first=[HitOut(start=h.start, end=h.end, snippet=h.snippet) for h in f.hits]) for f in found]


@router.get("/{bulletin_id}", response_model=BulletinDetailOut, summary="A bulletin's text and its facts")
def get_bulletin(request: Request, principal: security.BulletinReader, bulletin_id: RowId) -> BulletinDetailOut:
    with store(request) as session:
        stored, text = bulletin(session, bulletin_id)
        found = facts(session, FactFilter(bulletin_id=bulletin_id))
    return BulletinDetailOut(**bulletin_out(stored).model_dump(), text=text,
                             fact_list=facts_out(current_figures(request), principal, found))


@router.post("/facts/{fact_id}/review", response_model=FactOut,
             summary="Confirm, correct or reject a fact (national analysts and administrators; audited)")
def review_fact(request: Request, principal: security.BulletinReviewer, fact_id: RowId, body: ReviewIn) -> FactOut:
    correction = None
    if body.action == "correct" and body.value is not None:
        correction = Correction(body.value, body.unit, body.period)
    with store(request) as session:
        done = review(session, principal, fact_id, body.action, correction, body.note)
    return facts_out(current_figures(request), principal, [done])[0]
