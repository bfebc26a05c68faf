"""The browser form's drafts and filings (网上填报): versioned saves, how each online batch was filed, and the
comments a reviewer left on the fields when returning a report.

A save names the draft version it was made from; the update is a compare-and-set on that version, so of two
tabs (or two people) saving from the same version exactly one wins and the other is told who saved when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from hizone.store.changes import STATE_CHANGED
from hizone.store.models import ChangeEvent, OnlineDraft, OnlineFiling, Submission, utcnow


@dataclass(frozen=True)
class Draft:
    values: dict[str, str]
    version: int
    form_version: str
    saved_by: str
    saved_at: dt.datetime
    submitted_version: int | None

    @property
    def submitted(self) -> bool:
        return self.submitted_version == self.version


class StaleDraft(Exception):
    """A save or submit made from a draft version that is no longer the latest: nothing was written."""

    def __init__(self, current: Draft) -> None:
        super().__init__(f"saved meanwhile by {current.saved_by} at {current.saved_at:%Y-%m-%d %H:%M} UTC "
                         f"(version {current.version})")
        self.current = current


@dataclass(frozen=True)
class Report:
    """Which report a draft is of."""

    form_code: str
    period: str
    entity_key: str


@dataclass(frozen=True)
class Filing:
    filed_by: str
    filed_role: str
    on_behalf: bool
    warning_reason: str | None
    filed_at: dt.datetime


@dataclass(frozen=True)
class Returned:
    """The last return of a report for correction: the general comment and the comments per field."""

    by: str
    at: dt.datetime
    comment: str
    fields: dict[str, str] = field(default_factory=dict)


def _where(report: Report) -> ColumnElement[bool]:
    return and_(OnlineDraft.form_code == report.form_code, OnlineDraft.period == report.period,
            OnlineDraft.entity_key == report.entity_key)


# The form page's two look-ups, built once (constructing them cost more than running them on the unique index).
_DRAFT = (select(OnlineDraft.values, OnlineDraft.version, OnlineDraft.form_version, OnlineDraft.saved_by,
                 OnlineDraft.saved_at, OnlineDraft.submitted_version)
          .where(OnlineDraft.form_code == bindparam("form"), OnlineDraft.period == bindparam("period"),
                 OnlineDraft.entity_key == bindparam("entity")))
_LATEST = (select(Submission.id, Submission.state)
           .where(Submission.form_code == bindparam("form"), Submission.period == bindparam("period"),
                  Submission.entity_key == bindparam("entity")).order_by(Submission.revision.desc()).limit(1))


def _keys(report: Report) -> dict[str, str]:
    return {"form": report.form_code, "period": report.period, "entity": report.entity_key}


def load_draft(engine: Engine, report: Report) -> Draft | None:
    with engine.connect() as conn:
        row = conn.execute(_DRAFT, _keys(report)).first()
    if row is None:
        return None
    saved_at = row.saved_at if row.saved_at.tzinfo else row.saved_at.replace(tzinfo=dt.UTC)  # SQLite drops it
    return Draft({str(k): str(v) for k, v in row.values.items()}, row.version, row.form_version, row.saved_by,
                 saved_at, row.submitted_version)


def save_draft(engine: Engine, report: Report, zone_code: str | None, values: Mapping[str, str], loaded: int,
               form_version: str, who: tuple[str, str]) -> Draft:
    """Store ``values`` as the next version after ``loaded`` (0: there was no draft); StaleDraft if the draft
    has moved on since ``loaded`` was read."""
    now = utcnow()
    row = {"values": dict(values), "version": loaded + 1, "form_version": form_version, "saved_by": who[0],
           "saved_role": who[1], "saved_at": now}
    try:
        with engine.begin() as conn:
            if loaded == 0:
                conn.execute(OnlineDraft.__table__.insert().values(  # type: ignore[attr-defined]
                    form_code=report.form_code, period=report.period, entity_key=report.entity_key,
                    zone_code=zone_code, **row))
                written = 1
            else:
                written = conn.execute(update(OnlineDraft).where(_where(report), OnlineDraft.version == loaded)
                                       .values(**row)).rowcount
    except IntegrityError:  # another tab created the draft first
        written = 0
    if written != 1:
        current = load_draft(engine, report)
        if current is None:  # a version was named for a draft that does not exist: start it afresh
            return save_draft(engine, report, zone_code, values, 0, form_version, who)
        raise StaleDraft(current)
    return Draft(dict(values), loaded + 1, form_version, who[0], now, None)


def mark_submitted(engine: Engine, report: Report, version: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(OnlineDraft).where(_where(report), OnlineDraft.version == version)
                     .values(submitted_version=version))


def record_filing(engine: Engine, report: Report, batch_id: int, who: tuple[str, str], on_behalf: bool,
                  draft_version: int, form_version: str, warning_reason: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(OnlineFiling.__table__.insert().values(  # type: ignore[attr-defined]
            batch_id=batch_id, form_code=report.form_code, period=report.period, entity_key=report.entity_key,
            filed_by=who[0], filed_role=who[1], on_behalf=on_behalf, draft_version=draft_version,
            form_version=form_version, warning_reason=warning_reason or None, filed_at=utcnow()))


def filing_of(engine: Engine, batch_id: int) -> Filing | None:
    """How a batch was filed through the form (None: it was an upload)."""
    with engine.connect() as conn:
        row = conn.execute(select(OnlineFiling.filed_by, OnlineFiling.filed_role, OnlineFiling.on_behalf,
                                  OnlineFiling.warning_reason, OnlineFiling.filed_at)
                           .where(OnlineFiling.batch_id == batch_id)).first()
    return Filing(row.filed_by, row.filed_role, row.on_behalf, row.warning_reason, row.filed_at) if row else None


def last_return(engine: Engine, report: Report) -> Returned | None:
    """The return for correction of the report's latest revision, if that revision is (still) returned."""
    with engine.connect() as conn:
        latest = conn.execute(_LATEST, _keys(report)).first()
        if latest is None or latest.state != "returned":
            return None
        events = conn.execute(select(ChangeEvent.actor, ChangeEvent.at, ChangeEvent.detail).where(
            ChangeEvent.kind == STATE_CHANGED, ChangeEvent.form_code == report.form_code,
            ChangeEvent.period == report.period, ChangeEvent.entity_key == report.entity_key,
            ChangeEvent.to_state == "returned").order_by(ChangeEvent.seq.desc())).all()
    event = next((e for e in events if e.detail.get("submission") == latest.id), None)
    return _returned(event) if event is not None else None


def earlier_return(engine: Engine, report: Report) -> Returned | None:
    """The latest return for correction of any revision of the report but its latest one: what the reviewer
    asked for before the revision now under review (None when it was never returned)."""
    with engine.connect() as conn:
        latest = conn.scalar(select(Submission.id).where(
            Submission.form_code == report.form_code, Submission.period == report.period,
            Submission.entity_key == report.entity_key).order_by(Submission.revision.desc()).limit(1))
        events = conn.execute(select(ChangeEvent.actor, ChangeEvent.at, ChangeEvent.detail).where(
            ChangeEvent.kind == STATE_CHANGED, ChangeEvent.form_code == report.form_code,
            ChangeEvent.period == report.period, ChangeEvent.entity_key == report.entity_key,
            ChangeEvent.to_state == "returned").order_by(ChangeEvent.seq.desc())).all()
    event = next((e for e in events if e.detail.get("submission") != latest), None)
    return _returned(event) if event is not None else None


def _returned(event: Any) -> Returned:
    fields = event.detail.get("fields") or {}
    return Returned(event.actor, event.at, str(event.detail.get("comment", "")),
                    {str(k): str(v) for k, v in fields.items()})
