"""Bulletins and their facts in the store, with the analysts' review and the full-text index.

A bulletin is stored once per file content (its SHA-256): loading the same file again is a no-op that names
the bulletin already stored. A load writes the bulletin, its facts and its search bigrams in one transaction,
so a refused or failed load leaves nothing behind. A fact's review (confirm, correct, reject) changes its
status and is appended to the audit log (``audit_log``: who, when, from which status to which, the values
before and after), as are the loads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from sqlalchemy import Date, DateTime, Engine, Float, ForeignKey, Integer, String, Table, Text, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hizone.auth.policy import Principal, can_load_bulletins, can_review_bulletins
from hizone.auth.users import audit
from hizone.bulletins.model import Bulletin, Fact
from hizone.bulletins.search import Hit, count, find, folded_text, grams, query_grams, terms
from hizone.errors import HizoneError
from hizone.store.db import session_scope
from hizone.store.models import Base, Zone, utcnow

EXTRACTED, CONFIRMED, CORRECTED, REJECTED = "extracted", "confirmed", "corrected", "rejected"
STATUSES = (EXTRACTED, CONFIRMED, CORRECTED, REJECTED)
# The units a corrected value may carry (those of the extraction contract).
UNITS = ("元", "美元", "家", "人", "人次", "个", "件", "项", "次", "类", "所", "台", "平方米", "亩", "%", "百分点",
         "倍", "名次", "吨标准煤/万元", "人/年", "工作日")
LOAD = "bulletin_load"  # the audit log's action of a load; a review's is "bulletin_<confirm|correct|reject>"
FACT_KIND, BULLETIN_KIND = "bulletin_fact", "bulletin"  # the audit log's kinds of object


class BulletinError(HizoneError):
    """A bulletin or a review that is refused (the message names the file or the fact and the reason)."""


class BulletinNotFound(BulletinError):
    """No bulletin or fact of that id."""


class BulletinRow(Base):
    __tablename__ = "bulletin"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    issue: Mapped[str] = mapped_column(String(64))
    issue_date: Mapped[dt.date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(Text)  # the text as search reads it (hizone.bulletins.search.fold)
    loaded_by: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FactRow(Base):
    __tablename__ = "bulletin_fact"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id"), index=True)
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(96), index=True)
    subject_name: Mapped[str] = mapped_column(String(96))
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(24))
    qualifier: Mapped[str] = mapped_column(String(8))
    quote: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    corrected_value: Mapped[float | None] = mapped_column(Float)
    corrected_unit: Mapped[str | None] = mapped_column(String(16))
    corrected_period: Mapped[str | None] = mapped_column(String(24))
    reviewer: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(512))


class GramRow(Base):
    """One character bigram of a bulletin's folded text (see ``hizone.bulletins.search``)."""

    __tablename__ = "bulletin_gram"
    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id"), primary_key=True)


GRAM_TABLE = cast(Table, GramRow.__table__)  # thousands of rows a bulletin: written as a table, not as objects


# ---- what readers get ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredBulletin:
    id: int
    file_name: str
    sha256: str
    issue: str
    issue_date: dt.date | None
    loaded_by: str
    loaded_at: dt.datetime
    facts: int


@dataclass(frozen=True)
class StoredFact:
    """A stored fact and its review; ``current_*`` are what it says after review (the correction if any)."""

    id: int
    bulletin_id: int
    file_name: str
    issue: str
    start: int
    end: int
    subject: str
    subject_name: str
    metric: str
    value: float
    unit: str
    period: str
    qualifier: str
    quote: str
    status: str
    corrected_value: float | None
    corrected_unit: str | None
    corrected_period: str | None
    reviewer: str | None
    reviewed_at: dt.datetime | None
    note: str | None

    @property
    def current_value(self) -> float:
        return self.corrected_value if self.status == CORRECTED and self.corrected_value is not None else self.value

    @property
    def current_unit(self) -> str:
        return self.corrected_unit or self.unit if self.status == CORRECTED else self.unit

    @property
    def current_period(self) -> str:
        return self.corrected_period or self.period if self.status == CORRECTED else self.period

    @property
    def zone_code(self) -> str | None:
        """The registry code of the zone the fact is about (None for the programme, China or an unknown zone)."""
        return None if self.subject in ("national_zones", "china") or ":" in self.subject else self.subject


@dataclass(frozen=True)
class Loaded:
    """What a load did: ``created`` False when the same file was already stored (as ``bulletin_id``)."""

    bulletin_id: int
    created: bool
    facts: int
    file_name: str


# ---- loading ------------------------------------------------------------------------------------------------


def check_bulletin(bulletin: Bulletin, facts: Sequence[Fact]) -> None:
    """Refuse what is not a bulletin, or facts that do not stand where they say in its text."""
    if not bulletin.text.strip():
        raise BulletinError("the file holds no text (an empty file, or a PDF without a text layer)",
                            where=bulletin.file)
    if not bulletin.issue and not facts:
        raise BulletinError("not a bulletin: no issue heading (火炬动态 …期) and no facts found", where=bulletin.file)
    for fact in facts:
        if not 0 <= fact.start < fact.end <= len(bulletin.text) or bulletin.text[fact.start:fact.end] != fact.quote:
            raise BulletinError(f"fact at {fact.start}-{fact.end} ({fact.metric}): its quote is not the text there",
                                where=bulletin.file)


def load_bulletin(session: Session, bulletin: Bulletin, facts: Sequence[Fact], who: Principal) -> Loaded:
    """Store ``bulletin`` with its ``facts`` and its search index in the session's transaction (a no-op when a
    file of the same content is stored)."""
    stored = session.execute(select(BulletinRow.id, BulletinRow.file_name).where(
        BulletinRow.sha256 == bulletin.sha256)).first()
    if stored is not None:
        return Loaded(stored.id, False, _fact_count(session, stored.id), stored.file_name)
    check_bulletin(bulletin, facts)
    folded = folded_text(bulletin.text)
    row = BulletinRow(file_name=bulletin.file[:256], sha256=bulletin.sha256, issue=bulletin.issue[:64],
                      issue_date=bulletin.issue_date, text=bulletin.text, folded=folded,
                      loaded_by=who.username or "anonymous",
                      loaded_at=utcnow())
    session.add(row)
    session.flush()
    if facts:
        session.execute(insert(FactRow), [_fact_values(row.id, f) for f in facts])
    session.execute(insert(GRAM_TABLE), [{"gram": g, "bulletin_id": row.id} for g in sorted(grams(folded))])
    audit(session, who.username, LOAD, BULLETIN_KIND, str(row.id), file=row.file_name, sha256=row.sha256,
          issue=row.issue, facts=len(facts), role=who.role)
    return Loaded(row.id, True, len(facts), row.file_name)


def load_file(engine: Engine, path: Path, who: Principal) -> Loaded:
    """Read a bulletin file, extract its facts about the store's zones (the registry's when the store has none)
    and store them: one transaction, nothing stored when the file is refused."""
    from hizone.bulletins.extract import extract_facts, read_bulletin

    if not can_load_bulletins(who):
        raise BulletinError("loading bulletins is for the national analysts and administrators", where=str(path))
    read = read_bulletin(path)
    with session_scope(engine) as session:
        stored = session.scalar(select(BulletinRow.id).where(BulletinRow.sha256 == read.sha256))
        zones = [] if stored is not None else zone_names(session)
        return load_bulletin(session, read, [] if stored is not None else extract_facts(read, zones), who)


def zone_names(session: Session) -> list[tuple[str, str]]:
    """(code, official name) of every zone the extractor matches subjects to."""
    zones = [(code, name) for code, name in session.execute(select(Zone.code, Zone.name_zh))]
    if not zones:
        from hizone.registry.tables import load_zones

        zones = [(z.code, z.name_zh) for z in load_zones()]
    return zones


def _fact_values(bulletin_id: int, f: Fact) -> dict[str, object]:
    return {"bulletin_id": bulletin_id, "start_offset": f.start, "end_offset": f.end, "subject": f.subject[:96],
            "subject_name": f.subject_name[:96], "metric": f.metric[:64], "value": f.value, "unit": f.unit[:16],
            "period": f.period[:24], "qualifier": f.qualifier[:8], "quote": f.quote, "status": EXTRACTED}


def _fact_count(session: Session, bulletin_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(FactRow).where(FactRow.bulletin_id == bulletin_id))
               or 0)


# ---- reading ------------------------------------------------------------------------------------------------


def bulletins(session: Session) -> list[StoredBulletin]:
    """Every stored bulletin, the newest issue first, with its number of facts."""
    counts = select(FactRow.bulletin_id, func.count().label("n")).group_by(FactRow.bulletin_id).subquery()
    rows = session.execute(
        select(BulletinRow.id, BulletinRow.file_name, BulletinRow.sha256, BulletinRow.issue, BulletinRow.issue_date,
               BulletinRow.loaded_by, BulletinRow.loaded_at, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.bulletin_id == BulletinRow.id)
        .order_by(BulletinRow.issue_date.desc().nulls_last(), BulletinRow.id.desc()))
    return [StoredBulletin(*row) for row in rows]


def bulletin(session: Session, bulletin_id: int) -> tuple[StoredBulletin, str]:
    """A stored bulletin and its text."""
    row = session.get(BulletinRow, bulletin_id)
    if row is None:
        raise BulletinNotFound(f"no bulletin {bulletin_id}", where="bulletin")
    return StoredBulletin(row.id, row.file_name, row.sha256, row.issue, row.issue_date, row.loaded_by, row.loaded_at,
                          _fact_count(session, row.id)), row.text


@dataclass(frozen=True)
class FactFilter:
    """Which facts (None: any)."""

    bulletin_id: int | None = None
    subject: str | None = None
    status: str | None = None
    ids: Sequence[int] | None = None


def facts(session: Session, wanted: FactFilter = FactFilter()) -> list[StoredFact]:
    """The facts ``wanted`` selects, by bulletin and position."""
    if wanted.status is not None and wanted.status not in STATUSES:
        raise BulletinError(f"unknown status '{wanted.status}' (one of {', '.join(STATUSES)})", where="--status")
    query = select(FactRow, BulletinRow.file_name, BulletinRow.issue).join(
        BulletinRow, BulletinRow.id == FactRow.bulletin_id)
    for column, value in ((FactRow.bulletin_id, wanted.bulletin_id), (FactRow.subject, wanted.subject),
                          (FactRow.status, wanted.status)):
        if value is not None:
            query = query.where(column == value)
    if wanted.ids is not None:
        query = query.where(FactRow.id.in_(list(wanted.ids)))
    rows = session.execute(query.order_by(FactRow.bulletin_id, FactRow.start_offset, FactRow.id))
    return [_stored(f, name, issue) for f, name, issue in rows]


def fact(session: Session, fact_id: int) -> StoredFact:
    found = facts(session, FactFilter(ids=[fact_id]))
    if not found:
        raise BulletinNotFound(f"no fact {fact_id}", where="fact")
    return found[0]


def _stored(f: FactRow, file_name: str, issue: str) -> StoredFact:
    return StoredFact(f.id, f.bulletin_id, file_name, issue, f.start_offset, f.end_offset, f.subject, f.subject_name,
                      f.metric, f.value, f.unit, f.period, f.qualifier, f.quote, f.status, f.corrected_value,
                      f.corrected_unit, f.corrected_period, f.reviewer, f.reviewed_at, f.note)


# ---- review -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """A corrected fact: the value in the base unit, and the unit and period when they change too."""

    value: float
    unit: str | None = None
    period: str | None = None


def review(session: Session, who: Principal, fact_id: int, action: str, correction: Correction | None = None,
           note: str | None = None) -> StoredFact:
    """Confirm, correct or reject a fact (again, if it was reviewed before), audited; the fact as it is now."""
    if not can_review_bulletins(who):
        raise BulletinError("reviewing facts from bulletins is for the national analysts and administrators",
                            where="review")
    status = {"confirm": CONFIRMED, "correct": CORRECTED, "reject": REJECTED}.get(action)
    if status is None:
        raise BulletinError(f"unknown review action '{action}' (confirm, correct or reject)", where="action")
    if (status == CORRECTED) != (correction is not None):
        raise BulletinError("a correction needs the corrected value" if status == CORRECTED else
                            f"only a correction takes a value, not '{action}'", where="value")
    if correction is not None and correction.unit and correction.unit not in UNITS:
        raise BulletinError(f"unknown unit '{correction.unit}' (one of {' '.join(UNITS)})", where="unit")
    row = session.get(FactRow, fact_id, with_for_update=True)
    if row is None:
        raise BulletinNotFound(f"no fact {fact_id}", where="fact")
    before = {"status": row.status, "value": row.corrected_value if row.status == CORRECTED else row.value,
              "unit": row.corrected_unit or row.unit, "period": row.corrected_period or row.period}
    row.status, row.reviewer, row.reviewed_at = status, who.username, utcnow()
    row.note = (note or "")[:512] or None
    row.corrected_value = correction.value if correction else None
    row.corrected_unit = correction.unit if correction and correction.unit and correction.unit != row.unit else None
    row.corrected_period = (correction.period if correction and correction.period and correction.period != row.period
                            else None)
    audit(session, who.username, f"bulletin_{action}", FACT_KIND, str(row.id), bulletin=row.bulletin_id,
          role=who.role, **{"from": before["status"], "to": status}, before=before,
          after={"value": correction.value if correction else row.value,
                 "unit": row.corrected_unit or row.unit, "period": row.corrected_period or row.period},
          note=row.note)
    session.flush()
    return fact(session, fact_id)


# ---- search -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A bulletin that holds every term of the query: how many hits, and the first of them."""

    bulletin: StoredBulletin
    count: int
    hits: list[Hit]


def search(session: Session, query: str, limit: int = 50, hits_per_bulletin: int = 5) -> list[Found]:
    """The bulletins holding every term of ``query``, the most hits first (ties: newest first), at most
    ``limit`` of them with their first hits."""
    wanted = terms(query)
    if not wanted:
        raise BulletinError("an empty query: give one or more words (two characters or more select best)",
                            where="query")
    needed = set().union(*(query_grams(t) for t in wanted))
    candidates = select(BulletinRow.id, BulletinRow.folded)
    if needed:
        having = (select(GramRow.bulletin_id).where(GramRow.gram.in_(sorted(needed)))
                  .group_by(GramRow.bulletin_id).having(func.count() == len(needed)))
        candidates = candidates.where(BulletinRow.id.in_(having))
    counts = {i: n for i, folded in session.execute(candidates) if (n := count(folded, query))}
    ranked = sorted((b for b in bulletins(session) if b.id in counts), key=lambda b: -counts[b.id])[:limit]
    texts = {i: text for i, text in session.execute(select(BulletinRow.id, BulletinRow.text).where(
        BulletinRow.id.in_([b.id for b in ranked])))}
    return [Found(b, counts[b.id], find(texts[b.id], query, hits_per_bulletin)) for b in ranked]
