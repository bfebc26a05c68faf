"""/api/v1/completeness: timeliness against the reporting calendar in the caller's zones; /api/v1/notices: the
caller's own reminders. The figures are hizone.intake.completeness's and hizone.store.notices'; this only
translates."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from hizone.store.notices import notices_of
from hizone.web import security
from hizone.web.api.v1 import ERRORS
from hizone.web.services import reporting as svc

router = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERRORS)
ON_DAY = Query(None, description="count as on this day (default: today in China)")


class ZoneTimeliness(BaseModel):
    zone_code: str
    zone_name: str
    expected: int
    reported: int
    on_time: int
    late: int
    missing: int
    pending: int
    states: dict[str, int]


class EntityTimeliness(BaseModel):
    entity_key: str
    name: str
    zone_code: str
    status: str  # on_time / late / missing / open / not_open
    days: int  # late: days after the deadline; missing: overdue; open: left; not_open: to opening
    first_received: dt.datetime | None
    state: str | None
    revision: int | None


class Completeness(BaseModel):
    form: str
    period: str
    opens: dt.date
    deadline: dt.date
    today: dt.date
    zones: list[ZoneTimeliness]
    entities: list[EntityTimeliness]


@router.get("/completeness", response_model=Completeness,
            summary="Who reported a form's period on time, late, or is missing (the caller's zones)")
def completeness(request: Request, principal: security.Scoped,
                 form: str = Query(..., pattern=r"^[a-z_]{1,32}$"),
                 period: str = Query(..., pattern=r"^\d{4}(-\d{2})?$"),
                 on: dt.date | None = ON_DAY) -> Completeness:
    report = svc.completeness_in_scope(request.app.state.engine, principal, form, period, today=on)
    return Completeness(
        form=report.form, period=report.period, opens=report.window.opens, deadline=report.deadline,
        today=report.today,
        zones=[ZoneTimeliness(zone_code=z.zone_code, zone_name=z.zone_name, expected=z.expected, reported=z.reported,
                              on_time=z.on_time, late=z.late, missing=z.missing, pending=z.pending, states=z.states)
               for z in report.zones],
        entities=[EntityTimeliness(entity_key=e.entity_key, name=e.name, zone_code=e.zone_code, status=e.status,
                                   days=e.days, first_received=e.first_received, state=e.state, revision=e.revision)
                  for e in report.entities])


class NoticeOut(BaseModel):
    id: int
    created_at: dt.datetime
    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str
    read: bool


@router.get("/notices", response_model=list[NoticeOut], summary="The caller's own notices (reminders), newest first")
def notices(request: Request, principal: security.LoggedIn) -> list[NoticeOut]:
    if principal.user_id is None:  # every logged-in caller has one (session or token); a guard
        return []
    return [NoticeOut(id=n.id, created_at=n.created_at, subject_zh=n.subject_zh, subject_en=n.subject_en,
                      body_zh=n.body_zh, body_en=n.body_en, read=n.read_at is not None)
            for n in notices_of(request.app.state.engine, principal.user_id)]
