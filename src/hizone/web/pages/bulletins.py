"""The bulletin pages (火炬动态): the list with full-text search, a bulletin's text with its facts highlighted and
their review state, the analysts' review queue, the facts' export, and the section of a zone's profile that
lists its facts. Thin: hizone.store.bulletins reads and reviews, hizone.web.services.bulletins puts the
reported figures beside the facts for the caller's scope.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from hizone.store.bulletins import STATUSES, Correction, FactFilter, bulletin, bulletins, facts, review, search
from hizone.web import security
from hizone.web.api.v1_bulletins import STATUS_PATTERN, store
from hizone.web.pages.common import ExportFormat, export, figures, see_other
from hizone.web.params import RowId
from hizone.web.rendering import render
from hizone.web.services.bulletins import comparisons, facts_table, flagged_first, segments

# A stored row id: bounded so that no URL can overflow the store's 64-bit integer.
router = APIRouter(include_in_schema=False)


@router.get("/bulletins")
def bulletin_list(request: Request, principal: security.BulletinReader,
                  q: str = Query("", max_length=200)) -> Response:
    with store(request) as session:
        listed = bulletins(session)
        found = search(session, q) if q.strip() else None
    return render(request, "bulletins.html", {"bulletins": listed, "q": q, "found": found})


# Before /bulletins/{bulletin_id}, which would take "review" for an id.
@router.get("/bulletins/review")
def review_queue(request: Request, principal: security.BulletinReviewer,
                 status: str = Query("extracted", pattern=STATUS_PATTERN)) -> Response:
    with store(request) as session:
        found = facts(session, FactFilter(status=status))
    compared = comparisons(figures(request), principal, found)
    return render(request, "bulletins_review.html", {"facts": flagged_first(found, compared), "compared": compared,
                                                     "status": status, "statuses": STATUSES})


@router.get("/bulletins/{bulletin_id}")
def bulletin_page(request: Request, principal: security.BulletinReader, bulletin_id: RowId) -> Response:
    with store(request) as session:
        stored, text = bulletin(session, bulletin_id)
        found = facts(session, FactFilter(bulletin_id=bulletin_id))
    compared = comparisons(figures(request), principal, found)
    return render(request, "bulletin.html", {"bulletin": stored, "segments": segments(text, found), "facts": found,
                                             "compared": compared})


@router.post("/bulletins/facts/{fact_id}/review")
def review_form(request: Request, principal: security.BulletinReviewer, fact_id: RowId,
                action: str = Form(..., pattern="^(confirm|correct|reject)$"), value: str = Form("", max_length=40),
                unit: str = Form("", max_length=16), period: str = Form("", max_length=24),
                note: str = Form("", max_length=512), status: str = Form("extracted", pattern=STATUS_PATTERN)
                ) -> Response:
    correction = None
    if action == "correct" and value.strip():
        correction = Correction(_number(value), unit.strip() or None, period.strip() or None)
    with store(request) as session:
        review(session, principal, fact_id, action, correction, note.strip() or None)
    return see_other(f"/bulletins/review?status={status}")


def _number(text: str) -> float:
    from hizone.store.bulletins import BulletinError

    try:
        return float(text.replace(",", "").strip())
    except ValueError:
        raise BulletinError(f"not a number: {text!r}", where="value") from None


@router.get("/bulletins/facts/export.{fmt}")
def export_facts(request: Request, principal: security.BulletinReader, fmt: ExportFormat,
                 zone: str | None = Query(None, max_length=96),
                 status: str | None = Query(None, pattern=STATUS_PATTERN)) -> Response:
    """The facts (filtered by subject and status) as .xlsx/.csv, with the reported figures the caller may see."""
    with store(request) as session:
        found = facts(session, FactFilter(subject=zone or None, status=status or None))
    fig = figures(request)
    return export(facts_table(found, comparisons(fig, principal, found), request.state.lang), fmt,
                  "Facts from bulletins / 火炬动态事实", fig.synthetic)


@router.get("/zones/{zone_code}/bulletins")
def zone_bulletins(request: Request, principal: security.ZoneReader, zone_code: str) -> Response:
    """The zone profile's section (loaded by the page): its facts from bulletins, quotes, disagreements."""
    with store(request) as session:
        found = [f for f in facts(session, FactFilter(subject=zone_code)) if f.status != "rejected"]
    compared = comparisons(figures(request), principal, found)
    return render(request, "partials/zone_bulletins.html", {"facts": flagged_first(found, compared),
                                                            "compared": compared, "zone_code": zone_code})
