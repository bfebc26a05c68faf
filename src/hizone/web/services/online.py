"""网上填报 behind the pages: whose report a caller may fill or review, last year's values, the review's
comparisons (against the previous revision and against last year)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import HTTPException
from sqlalchemy import Engine, bindparam, select

from hizone.auth import Principal, can_read_enterprise, can_read_zone
from hizone.auth.policy import can_submit
from hizone.catalog import default_catalog
from hizone.errors import HizoneError
from hizone.intake.rules import RuleSet
from hizone.intake.service import latest_writers, unpacked
from hizone.intake.validate import prepare
from hizone.online.form import FormLayout
from hizone.store import read_connection
from hizone.store.models import Enterprise, Submission, Zone
from hizone.store.online import Filing, Report, filing_of
from hizone.web.services import reporting as svc

Values = dict[str, float | int]
MAX_VALUE_CHARS = 64  # longer than any number written with separators and 万/亿; a draft holds no essays


def rules_of(form_code: str, period: str) -> tuple[RuleSet, str]:
    try:
        return prepare(form_code, period, dt.date.today())
    except HizoneError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


def zone_form(form_code: str) -> bool:
    """A report about a zone (its own monthly report, a campaign's weekly one), not about an enterprise."""
    versions = default_catalog().forms.get(form_code, ())
    return bool(versions) and versions[-1].entity == "zone"


def _zone_of(engine: Engine, form_code: str, key: str) -> tuple[str, str] | None:
    """(zone, province) of the entity a report is about, None when there is no such entity."""
    with read_connection(engine) as conn:
        row = conn.execute(_ZONE_OF_ZONE if zone_form(form_code) else _ZONE_OF_ENTERPRISE, {"key": key}).first()
    return (row[0], row[1]) if row is not None else None


# Built once: every page and every field check looks its entity up.
_ZONE_OF_ZONE = select(Zone.code, Zone.province_code).where(Zone.code == bindparam("key"))
_ZONE_OF_ENTERPRISE = (select(Enterprise.zone_code, Zone.province_code).join(Zone, Zone.code == Enterprise.zone_code)
                       .where(Enterprise.credit_code == bindparam("key")))


def filer_entity(engine: Engine, principal: Principal, form_code: str, requested: str | None) -> tuple[str, str | None]:
    """Whose report the caller fills, and its zone: an enterprise its own; a zone its own zone form, or (on
    behalf) an enterprise of its zone it names; the national roles any entity they name."""
    if form_code not in svc.forms_for(principal):
        raise HTTPException(status_code=403, detail=f"your role does not submit form '{form_code}'")
    if principal.credit_code:
        return principal.credit_code, principal.zone_code
    if zone_form(form_code) and principal.zone_code:
        return principal.zone_code, principal.zone_code
    if not requested:
        raise HTTPException(status_code=400, detail="name the enterprise (entity=credit code) you report for")
    key = requested.strip().upper()[:18]
    found = _zone_of(engine, form_code, key)
    # One answer for an enterprise elsewhere and one never registered: nothing is told about either.
    if found is None or not can_submit(principal, key, found[0], found[1]):
        raise HTTPException(status_code=404, detail=f"no enterprise '{key}' you report for")
    return key, found[0]


def reviewed_entity(engine: Engine, principal: Principal, form_code: str, requested: str | None) -> str:
    """The entity whose report a zone, province or national user looks at: within the caller's scope, else 404
    (the same answer as for an entity that does not exist)."""
    return _reviewed(engine, principal, form_code, requested)[0]


def _reviewed(engine: Engine, principal: Principal, form_code: str,
              requested: str | None) -> tuple[str, tuple[str, str]]:
    key = (requested or "").strip().upper()[:18]
    found = _zone_of(engine, form_code, key) if key else None
    readable = found is not None and (can_read_zone(principal, found[0], found[1]) if zone_form(form_code)
                                      else can_read_enterprise(principal, key, found[0], found[1]))
    if found is None or not readable:
        raise HTTPException(status_code=404, detail=f"no report of '{key}' you may review")
    return key, found


def review_steps(engine: Engine, principal: Principal, report: Report,
                 state: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """The workflow steps (review, approve, return) the caller may take on the report as it stands: the form's
    workflow and the caller's scope decide (auth policy); () for a reader who only looks. Beside them, the steps
    its role takes but not on this revision, which it filed itself (step -> why: the separation of duties)."""
    found = _zone_of(engine, report.form_code, report.entity_key)
    if found is None:
        return (), {}
    steps = svc.next_steps(principal, report.form_code, report.period, found[0], found[1], state)
    writers = latest_writers(engine, report.form_code, report.period, report.entity_key)
    refused = svc.refused_steps(principal, report.form_code, report.period, steps, writers)
    return tuple(a for a in steps if a not in refused), refused


def previous_period(period: str) -> str:
    return str(int(period[:4]) - 1) + period[4:]


def revisions(engine: Engine, report: Report) -> list[tuple[int, str, int, dict[str, float | int]]]:
    """Every revision of a report, oldest first: (revision, state, batch, values)."""
    with engine.connect() as conn:
        rows = conn.execute(select(Submission.revision, Submission.state, Submission.batch_id,
                                   Submission.packed_values).where(
            Submission.form_code == report.form_code, Submission.entity_key == report.entity_key,
            Submission.period == report.period).order_by(Submission.revision)).all()
        values = unpacked(conn, [r.batch_id for r in rows], [r.packed_values for r in rows])
    return [(r.revision, r.state, r.batch_id, v) for r, v in zip(rows, values, strict=True)]


def last_values(engine: Engine, report: Report) -> dict[str, float | int]:
    """The latest revision of the same report a year earlier ({} when there is none)."""
    earlier = revisions(engine, Report(report.form_code, previous_period(report.period), report.entity_key))
    return earlier[-1][3] if earlier else {}


_BOTH_YEARS = (select(Submission.period, Submission.revision, Submission.state, Submission.batch_id,
                      Submission.packed_values)
               .where(Submission.form_code == bindparam("form"), Submission.entity_key == bindparam("entity"),
                      Submission.period.in_([bindparam("period"), bindparam("last")]))
               .order_by(Submission.period, Submission.revision))


def revisions_and_last_values(engine: Engine, report: Report) -> tuple[list[tuple[int, str, int, Values]], Values]:
    """``revisions(report)`` and ``last_values(report)`` (what the form page shows) from one query on the
    submissions' unique index (form, period, entity, revision) and one read of the batches' layouts."""
    last = previous_period(report.period)
    with engine.connect() as conn:
        rows = conn.execute(_BOTH_YEARS, {"form": report.form_code, "entity": report.entity_key,
                                          "period": report.period, "last": last}).all()
        values = unpacked(conn, [r.batch_id for r in rows], [r.packed_values for r in rows])
    history = [(r.revision, r.state, r.batch_id, v) for r, v in zip(rows, values, strict=True)
               if r.period == report.period]
    earlier = [v for r, v in zip(rows, values, strict=True) if r.period == last]
    return history, earlier[-1] if earlier else {}


@dataclass(frozen=True)
class ReviewRow:
    code: str
    label_zh: str
    label_en: str
    unit: str
    value: float | int | None
    previous: float | int | None  # the revision before
    last_year: float | int | None

    @property
    def changed(self) -> bool:
        return self.value != self.previous

    @property
    def change_on_year(self) -> float | None:
        """The change against last year, in per cent (None without both values or from zero)."""
        if self.value is None or not self.last_year:
            return None
        return round(100.0 * (float(self.value) - float(self.last_year)) / abs(float(self.last_year)), 1)


@dataclass(frozen=True)
class Review:
    revision: int
    state: str
    previous_revision: int | None
    rows: list[ReviewRow]
    filing: Filing | None  # None: the revision came from an upload


def review(engine: Engine, form: FormLayout, report: Report) -> Review | None:
    """The latest revision of a report beside the one before it and last year's (None: nothing submitted)."""
    history = revisions(engine, report)
    if not history:
        return None
    revision, state, batch, values = history[-1]
    before = history[-2] if len(history) > 1 else None
    old = before[3] if before else {}
    last = last_values(engine, report)
    rows = [ReviewRow(f.code, f.label_zh, f.label_en, f.unit, values.get(f.code), old.get(f.code) if before else
                      None, last.get(f.code)) for f in form.fields]
    return Review(revision, state, before[0] if before else None, rows, filing_of(engine, batch))
