"""The talent campaign's store side: targets a user imports (over the published file), the zones' stored
reports (the submission store of form talent_report, latest revision per zone and week) and job fairs."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from hizone.auth.policy import Principal, can_set_talent_target, zones_acted_on
from hizone.errors import HizoneError
from hizone.intake.service import latest_revisions, layouts
from hizone.store import session_scope
from hizone.store.models import (
    Enterprise,
    JobFair,
    JobFairEmployer,
    Province,
    RevisionNote,
    Submission,
    TalentTarget,
    Zone,
)
from hizone.talent.campaign import Campaign, Target, package_targets, parse_targets
from hizone.talent.fairs import Employer, parse_employers, parse_fairs

FIGURES = ("ta_developed", "ta_signed", "ta_on_duty")


def targets(conn: Connection, c: Campaign) -> dict[tuple[str, str], Target]:
    """The campaign's targets by (level, key): the published file, each key's latest imported row over it."""
    found = {(t.level, t.key): t for t in package_targets(c)}
    rows = conn.execute(select(TalentTarget.level, TalentTarget.key, TalentTarget.target, TalentTarget.set_by,
                               TalentTarget.source).where(TalentTarget.campaign == c.key).order_by(TalentTarget.id))
    for level, key, target, set_by, source in rows:
        found[(level, key)] = Target(level, key, target, set_by, source)
    return found


def zone_provinces(conn: Connection) -> dict[str, str]:
    return {code: province for code, province in conn.execute(select(Zone.code, Zone.province_code))}


def zones_with_target(found: dict[tuple[str, str], Target], provinces: dict[str, str]) -> frozenset[str]:
    """The zones a report may come from: those with a target of their own or in a province with one."""
    province_set = {key for level, key in found if level == "province"}
    return frozenset({key for level, key in found if level == "zone"}
                     | {z for z, p in provinces.items() if p in province_set})


@dataclass(frozen=True)
class TargetImport:
    stored: int
    errors: list[str]


def import_targets(engine: Engine, data: bytes, name: str, c: Campaign, user: Principal | str,
                   synthetic: bool = False) -> TargetImport:
    """Targets from a CSV file (level, key, target, set_by, source), all rows or none; errors name the file,
    row, column and reason: a bad cell, an unknown zone or province, a target the user may not set."""
    actor = Principal.of(user)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return TargetImport(0, [f"{name}: not UTF-8 text"])
    parsed, errors = parse_targets(text, name)
    with engine.connect() as conn:
        provinces = zone_provinces(conn)
        known_provinces = set(conn.scalars(select(Province.code)))
    for row, t in enumerate(parsed, start=2):
        at = f"{name}, row {row}, column key"
        if t.level == "zone" and t.key not in provinces:
            errors.append(f"{at}: zone {t.key!r} is not in the registry")
        elif t.level == "province" and t.key not in known_provinces:
            errors.append(f"{at}: province {t.key!r} is not in the registry")
        elif not can_set_talent_target(actor, t.level, provinces.get(t.key, t.key)):
            errors.append(f"{at}: {actor.username} may not set the target of {t.level} {t.key}")
    if errors or not parsed:
        return TargetImport(0, errors or [f"{name}: no target rows"])
    digest = hashlib.sha256(data).hexdigest()
    with session_scope(engine) as session:
        session.add_all([TalentTarget(campaign=c.key, level=t.level, key=t.key, target=t.target, set_by=t.set_by,
                                      source=t.source or name, imported_by=actor.username, source_sha256=digest,
                                      synthetic=synthetic) for t in parsed])
    return TargetImport(len(parsed), [])


@dataclass(frozen=True)
class StoredReport:
    zone: str
    period: str  # ISO week, 2022W27
    state: str
    values: dict[str, float]
    revision: int = 1
    note: str = ""  # the correction note (更正说明) stored with the revision, if its row gave one


def stored_reports(conn: Connection, form: str, year: int, before: str | None = None,
                   approved: bool = False) -> list[StoredReport]:
    """Each zone's latest revision of each week of ``year`` (before the week ``before`` if given), by week.
    ``approved``: its latest approved revision instead, the revision the published figures count (the
    analytic store's published view: per entity and period the highest revision in state approved)."""
    notes = {(period, key, revision): note for period, key, revision, note in conn.execute(
        select(RevisionNote.period, RevisionNote.entity_key, RevisionNote.revision, RevisionNote.note).where(
            RevisionNote.form_code == form, RevisionNote.period.like(f"{year}W%")))}
    if approved:
        return _approved_reports(conn, form, year, before, notes)
    periods = sorted(set(conn.scalars(select(Submission.period).where(
        Submission.form_code == form, Submission.period.like(f"{year}W%")))))
    found: list[StoredReport] = []
    for period in periods:
        if before is not None and period >= before:
            break
        latest = latest_revisions(conn, form, period, values=True)
        if not len(latest):
            continue
        columns = latest.columns(conn, np.arange(len(latest)), list(FIGURES))
        for i, zone in enumerate(latest.keys.tolist()):
            revision = int(latest.revisions[i])
            found.append(StoredReport(zone, period, str(latest.states[i]),
                                      {code: float(columns[code][i]) for code in FIGURES}, revision,
                                      notes.get((period, zone, revision), "")))
    return found


def _approved_reports(conn: Connection, form: str, year: int, before: str | None,
                      notes: dict[tuple[str, str, int], str]) -> list[StoredReport]:
    query = (select(Submission.period, Submission.entity_key, Submission.revision, Submission.batch_id,
                    Submission.packed_values)
             .where(Submission.form_code == form, Submission.period.like(f"{year}W%"),
                    Submission.state == "approved")
             .order_by(Submission.period, Submission.entity_key, Submission.revision))
    if before is not None:
        query = query.where(Submission.period < before)
    latest: dict[tuple[str, str], tuple[int, int, bytes]] = {}
    for period, zone, revision, batch, packed in conn.execute(query):
        latest[(period, zone)] = (revision, batch, packed)  # in revision order: the highest stays
    found_layouts = layouts(conn, sorted({batch for _, batch, _ in latest.values()}))
    found = []
    for (period, zone), (revision, batch, packed) in latest.items():
        values = found_layouts[batch].unpack(packed)
        found.append(StoredReport(zone, period, "approved",
                                  {code: float(values.get(code, np.nan)) for code in FIGURES}, revision,
                                  notes.get((period, zone, revision), "")))
    return found


def as_of(period: str, c: Campaign) -> dt.date:
    """The day a weekly report speaks for: its Sunday, or the campaign's deadline in the week that holds it."""
    sunday = dt.date.fromisocalendar(int(period[:4]), int(period[5:]), 7)
    monday = sunday - dt.timedelta(days=6)
    return c.deadline if monday <= c.deadline < sunday else sunday


def require_campaign_form(c: Campaign, form: str) -> None:
    if c.report_form != form:
        raise HizoneError(f"campaign {c.key} is reported on form {c.report_form}, not {form}", where="--form")


@dataclass(frozen=True)
class FairImport:
    fairs: int
    employers: int
    errors: list[str]


def import_fairs(engine: Engine, c: Campaign, fairs_file: tuple[str, bytes], user: Principal | str,
                 employers_file: tuple[str, bytes] | None = None, synthetic: bool = False) -> FairImport:
    """Job fairs (and their employers) from CSV, all or nothing: every row checked, a zone only for the fairs it
    hosted, a fair already stored refused (the store keeps what was imported)."""
    actor = Principal.of(user)
    name, data = fairs_file
    with engine.connect() as conn:
        provinces = zone_provinces(conn)
        stored = set(conn.execute(select(JobFair.name, JobFair.held_on).where(JobFair.campaign == c.key)).all())
    scope = zones_acted_on(actor, provinces)
    fairs, errors = parse_fairs(_text(data), name, frozenset(provinces), c.start, c.deadline)
    for row, fair in enumerate(fairs, start=2):
        if scope is not None and fair.host_zone not in scope:
            errors.append(f"{name}, row {row}, column host_zone: outside {actor.username}'s scope")
        if (fair.name, fair.held_on) in stored:
            errors.append(f"{name}, row {row}, column name: {fair.name} on {fair.held_on} is already stored")
    employers: list[Employer] = []
    if employers_file is not None:
        employers, more = parse_employers(_text(employers_file[1]), employers_file[0],
                                          {(f.name, f.held_on) for f in fairs} if fairs else set())
        errors += more
    if errors:
        return FairImport(0, 0, errors)
    with session_scope(engine) as session:
        rows = {(f.name, f.held_on): JobFair(
            campaign=c.key, name=f.name, held_on=f.held_on, host_zone=f.host_zone, mode=f.mode,
            platforms=";".join(f.platforms), posts=f.posts, posts_by_field=f.posts_by_field, resumes=f.resumes,
            views=f.views, interviews=f.interviews, offers=f.offers, source=name, synthetic=synthetic)
            for f in fairs}
        session.add_all(rows.values())
        session.flush()
        session.add_all([JobFairEmployer(fair_id=rows[(e.fair, e.held_on)].id, credit_code=e.credit_code,
                                         name=e.name, posts=e.posts) for e in employers])
    return FairImport(len(fairs), len(employers), [])


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "\ufffd"  # no header: the parser reports the missing columns


@dataclass(frozen=True)
class FairRow:
    name: str
    held_on: dt.date
    host_zone: str
    mode: str
    platforms: str
    posts: int
    posts_by_field: dict[str, int]
    resumes: int
    views: int
    interviews: int
    offers: int
    employers: int  # taking part
    registered: int  # of them in the enterprise registry
    synthetic: bool


def fairs(conn: Connection, c: Campaign, zones: frozenset[str] | None = None) -> list[FairRow]:
    """The campaign's fairs (hosted by ``zones`` when given), with their employers counted and linked."""
    employers = (select(JobFairEmployer.fair_id, func.count().label("n"),
                        func.count(Enterprise.id).label("registered"))
                 .outerjoin(Enterprise, Enterprise.credit_code == JobFairEmployer.credit_code)
                 .group_by(JobFairEmployer.fair_id).subquery())
    query = (select(JobFair, func.coalesce(employers.c.n, 0), func.coalesce(employers.c.registered, 0))
             .outerjoin(employers, employers.c.fair_id == JobFair.id).where(JobFair.campaign == c.key)
             .order_by(JobFair.held_on, JobFair.name))
    if zones is not None:
        query = query.where(JobFair.host_zone.in_(sorted(zones)))
    found = []
    with Session(conn) as session:
        for fair, count, registered in session.execute(query):
            found.append(FairRow(fair.name, fair.held_on, fair.host_zone, fair.mode, fair.platforms, fair.posts,
                                 dict(fair.posts_by_field), fair.resumes, fair.views, fair.interviews, fair.offers,
                                 int(count), int(registered), fair.synthetic))
    return found


def fair_totals(conn: Connection, c: Campaign) -> dict[str, int]:
    """The stored fairs summed as the bulletin counts them (distinct zones and employers), for beside its
    printed summary."""
    rows = fairs(conn, c)
    distinct = conn.scalar(select(func.count(func.distinct(JobFairEmployer.credit_code))).join(
        JobFair, JobFair.id == JobFairEmployer.fair_id).where(JobFair.campaign == c.key)) or 0
    return {"fairs": len(rows), "live_fairs": sum(r.mode in ("live", "both") for r in rows),
            "zones": len({r.host_zone for r in rows}), "employers": int(distinct),
            "posts": sum(r.posts for r in rows), "resumes": sum(r.resumes for r in rows),
            "views": sum(r.views for r in rows),
            "interviews_or_offers": sum(r.interviews + r.offers for r in rows)}
