"""The one way submissions change: every write of a batch's revisions and every change of a revision's state
goes through here and appends its numbered event (``ChangeEvent``) in the same transaction.

The state column of ``submission`` is kept, not computed from the events: every reader (the build, the
latest-revision queries of intake and of the web) reads a million states as one column, where deriving them
would group the events per revision on each read. Only this module writes it, and ``replayed_states``
(what the events say) equals it (tested).

The audit log's entries about submissions are these events (``audit_entries`` reads them together with the
account and registry entries of ``audit_log``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Select,
    and_,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from hizone.store.bulk import Column, ColumnCopy
from hizone.store.models import SUBMISSION_TABLE, AuditLog, ChangeEvent, ImportBatch, Submission, utcnow
from hizone.store.values import ValueLayout
from hizone.text import ascii_digits

WRITTEN = "submission_written"
STATE_CHANGED = "state_changed"
READINGS_WRITTEN = "readings_written"  # a batch of meter readings (energy_reading_batch) was stored
READINGS_FORM = "energy_readings"  # the form_code of its events: no report form, the readings stream
ACCOUNTS_PUBLISHED = "carbon_published"  # carbon accounts of a year and level were published (carbon_account)
ACCOUNTS_FORM = "carbon_accounts"  # the form_code of its events: no report form, so the build rebuilds nothing
# Held by the transaction that appends events until it commits: PostgreSQL hands out sequence numbers at
# insert time, so without it a later number could commit first and a reader that saw it would skip the other.
_APPEND_LOCK = 0x68697A6F6E65  # "hizone"


@dataclass(frozen=True)
class Who:
    """Who makes a change, in which role."""

    name: str
    role: str | None


def _append(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Append events (their ``seq`` numbered in order); the numbers taken."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_APPEND_LOCK})")
    # (SQLite writes one transaction at a time: its numbers are in commit order by themselves.)
    return list(conn.scalars(insert(ChangeEvent).returning(ChangeEvent.seq, sort_by_parameter_order=True),
                             list(rows)))


def latest_seq(conn: Connection) -> int:
    """The number of the last change (0 before the first)."""
    return int(conn.scalar(select(func.max(ChangeEvent.seq))) or 0)


class BatchWrite:
    """A batch's revisions being stored: rows added part by part, the event appended by ``finish``. Used as a
    context manager (``with open_batch(...) as writing``): on PostgreSQL the parts stream into one COPY
    (``ColumnCopy``), which leaving the block ends, cancelled if the block raised. Other statements in the
    batch's transaction go through ``connection``, which ends the COPY first."""

    def __init__(self, conn: Connection, who: Who, batch_id: int, form_code: str, form_version: int, period: str,
                 state: str, synthetic: bool) -> None:
        self._conn, self.who, self.batch_id = conn, who, batch_id
        self.form_code, self.form_version, self.period, self.state = form_code, form_version, period, state
        self._synthetic = synthetic
        self._copy = ColumnCopy(conn, SUBMISSION_TABLE)
        self.rows = 0

    def __enter__(self) -> BatchWrite:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        self._copy.__exit__(kind, error, trace)

    @property
    def connection(self) -> Connection:
        """The batch's transaction, for what is stored with its revisions (their notes, the enterprises
        registered): the rows added so far are in it."""
        self._copy.close()
        return self._conn

    def add(self, columns: dict[str, Column], rows: int, created_at: dt.datetime | None = None) -> int:
        """Store ``rows`` revisions (``entity_key``, ``zone_code``, ``revision``, ``packed_values``)."""
        self.rows += self._copy.add({
            **columns, "batch_id": self.batch_id, "form_code": self.form_code, "form_version": self.form_version,
            "period": self.period, "state": self.state, "created_by": self.who.name,
            "created_at": created_at or utcnow(), "synthetic": self._synthetic}, rows)
        return rows

    def finish(self, at: dt.datetime, **detail: Any) -> int:
        """Append the batch's event; its number."""
        (seq,) = _append(self.connection, [{
            "at": at, "actor": self.who.name, "actor_role": self.who.role, "kind": WRITTEN,
            "form_code": self.form_code, "entity_key": None, "period": self.period, "batch_id": self.batch_id,
            "from_state": None, "to_state": self.state, "detail": {"action": "import", **detail}}])
        return seq


def open_batch(conn: Connection, who: Who, *, form_code: str, form_version: int, period: str, state: str,
               source_name: str, source_sha256: str, row_count: int, layout: ValueLayout, at: dt.datetime,
               synthetic: bool = False) -> BatchWrite:
    """Record an import batch and start writing its revisions."""
    batch_id = conn.execute(insert(ImportBatch).values(
        form_code=form_code, form_version=form_version, period=period, source_name=source_name[:256],
        source_sha256=source_sha256, row_count=row_count, created_by=who.name, created_at=at,
        value_layout=layout.to_json()).returning(ImportBatch.id)).scalar_one()
    return BatchWrite(conn, who, batch_id, form_code, form_version, period, state, synthetic)


def record_readings(conn: Connection, who: Who, batch_id: int, period: str, at: dt.datetime, **detail: Any) -> int:
    """Append the event of a stored batch of meter readings (``period`` the month of its first reading; one
    event a batch, however many readings); its number."""
    (seq,) = _append(conn, [{
        "at": at, "actor": who.name, "actor_role": who.role, "kind": READINGS_WRITTEN, "form_code": READINGS_FORM,
        "entity_key": None, "period": period, "batch_id": batch_id, "from_state": None, "to_state": None,
        "detail": {"action": "readings", **detail}}])
    return seq


def record_publication(conn: Connection, who: Who, year: int, level: str, at: dt.datetime, **detail: Any) -> int:
    """Append the event of carbon accounts published (or recomputed) for ``year`` at ``level``; its number."""
    (seq,) = _append(conn, [{
        "at": at, "actor": who.name, "actor_role": who.role, "kind": ACCOUNTS_PUBLISHED, "form_code": ACCOUNTS_FORM,
        "entity_key": None, "period": str(year), "batch_id": None, "from_state": None, "to_state": None,
        "detail": {"level": level, **detail}}])
    return seq


def data_changes(conn: Connection, after: int, upto: int) -> int:
    """How many changes numbered after ``after`` up to ``upto`` changed data (publications of accounts do not)."""
    return int(conn.scalar(select(func.count()).select_from(ChangeEvent).where(
        ChangeEvent.seq > after, ChangeEvent.seq <= upto, ChangeEvent.kind != ACCOUNTS_PUBLISHED)) or 0)


@dataclass(frozen=True)
class Revision:
    """A revision whose state changes, as it is before the change."""

    id: int
    entity_key: str
    revision: int
    state: str
    batch_id: int


def change_states(conn: Connection, who: Who, action: str, form_code: str, period: str,
                  revisions: Sequence[Revision], to_state: str, comment: str | None = None,
                  fields: Mapping[str, str] | None = None) -> list[int]:
    """Move ``revisions`` to ``to_state``, an event each; the events' numbers. ``fields``: comments on single
    fields (a return for correction saying what is wrong where), kept in the event for the filler's form."""
    ids = [r.id for r in revisions]
    for start in range(0, len(ids), 5000):
        conn.execute(update(Submission).where(Submission.id.in_(ids[start:start + 5000])).values(state=to_state))
    now = utcnow()
    extra: dict[str, object] = {"comment": comment} if comment else {}
    if fields:
        extra["fields"] = dict(fields)
    return _append(conn, [
        {"at": now, "actor": who.name, "actor_role": who.role, "kind": STATE_CHANGED, "form_code": form_code,
         "entity_key": r.entity_key, "period": period, "batch_id": r.batch_id, "from_state": r.state,
         "to_state": to_state, "detail": {"action": action, "submission": r.id, "revision": r.revision, **extra}}
        for r in revisions])


def changed_periods(conn: Connection, after: int, upto: int) -> dict[str, set[str]]:
    """Per form, the periods with a change numbered after ``after`` up to ``upto``."""
    rows = conn.execute(select(ChangeEvent.form_code, ChangeEvent.period).distinct()
                        .where(ChangeEvent.seq > after, ChangeEvent.seq <= upto))
    found: dict[str, set[str]] = {}
    for form, period in rows:
        found.setdefault(form, set()).add(period)
    return found


def touched(form_code: str, after: int, upto: int) -> Select[str, str]:
    """(period, entity) of the form's revisions with a change numbered after ``after`` up to ``upto``: those
    whose state changed, and those of the batches written."""
    numbered = (ChangeEvent.seq > after, ChangeEvent.seq <= upto, ChangeEvent.form_code == form_code)
    moved = select(ChangeEvent.period, ChangeEvent.entity_key).where(*numbered, ChangeEvent.kind == STATE_CHANGED)
    batches = select(ChangeEvent.batch_id).where(*numbered, ChangeEvent.kind == WRITTEN)
    # By batch alone (its index): a batch is of one form and period, and a condition on them would lead the
    # planner to the unique index, through every revision of the period.
    written = select(Submission.period, Submission.entity_key).where(Submission.batch_id.in_(batches))
    return cast(Select[str, str], union_all(moved, written))  # (duplicates are harmless in IN)


def event_time(conn: Connection, seq: int) -> str | None:
    """When change ``seq`` happened (ISO text), None if the store has no such change: a reader that saw it
    tells by this that the store is still the one it saw (not restored or replaced since)."""
    at = conn.scalar(select(ChangeEvent.at).where(ChangeEvent.seq == seq))
    return at.isoformat() if at is not None else None


def replayed_states(conn: Connection) -> dict[int, str | None]:
    """Each revision's state as its events tell it: the state its batch was written in, then each change."""
    written = dict(conn.execute(select(ChangeEvent.batch_id, ChangeEvent.to_state)
                                .where(ChangeEvent.kind == WRITTEN)).all())
    states = {sid: written[batch] for sid, batch in conn.execute(select(Submission.id, Submission.batch_id))
              if batch in written}
    for detail, to_state in conn.execute(select(ChangeEvent.detail, ChangeEvent.to_state)
                                         .where(ChangeEvent.kind == STATE_CHANGED).order_by(ChangeEvent.seq)):
        states[int(detail["submission"])] = to_state
    return states


# ---- the audit log -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log, from a change event or an account/registry entry."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    object_kind: str
    object_id: str
    detail: dict[str, Any]


def _entry_of_event(e: ChangeEvent) -> AuditEntry:
    detail = dict(e.detail)
    action = detail.pop("action", e.kind)
    shown: dict[str, Any] = {"form": e.form_code, "period": e.period, "role": e.actor_role}
    if e.kind == WRITTEN:
        return AuditEntry(e.seq, e.at, e.actor, action, "import_batch", str(e.batch_id),
                          {**detail, **shown, "state": e.to_state})
    if e.kind == READINGS_WRITTEN:
        return AuditEntry(e.seq, e.at, e.actor, action, "energy_reading_batch", str(e.batch_id), {**detail, **shown})
    if e.kind == ACCOUNTS_PUBLISHED:
        return AuditEntry(e.seq, e.at, e.actor, action, "carbon_account", f"{detail['level']}:{e.period}",
                          {**detail, "year": e.period, "role": e.actor_role})
    submission = detail.pop("submission")
    return AuditEntry(e.seq, e.at, e.actor, action, "submission", str(submission),
                      {"comment": None, **detail, **shown, "from": e.from_state, "to": e.to_state,
                       "entity": e.entity_key})


def _entry_of_audit(a: AuditLog) -> AuditEntry:
    return AuditEntry(a.id, a.at, a.actor, a.action, a.object_kind, a.object_id, a.detail)


@dataclass(frozen=True)
class AuditFilter:
    """Which entries: by actor, action, kind of object and objects (None: any)."""

    actor: str | None = None
    action: str | None = None
    object_kind: str | None = None
    object_ids: Sequence[str] | None = None

    def events(self) -> Select[int, dt.datetime, int]:
        query = select(ChangeEvent.seq.label("key"), ChangeEvent.at.label("at"),
                                    literal(0).label("source"))
        if self.actor:
            query = query.where(ChangeEvent.actor == self.actor)
        if self.action:
            query = query.where(ChangeEvent.detail["action"].as_string() == self.action)
        kinds = {"import_batch": WRITTEN, "submission": STATE_CHANGED, "energy_reading_batch": READINGS_WRITTEN,
                 "carbon_account": ACCOUNTS_PUBLISHED}
        if self.object_kind:
            query = query.where(ChangeEvent.kind == kinds.get(self.object_kind, ""))
        if self.object_ids is not None and self.object_kind == "carbon_account":  # ids "level:year"
            pairs = [i.split(":", 1) for i in self.object_ids if ":" in i]
            query = query.where(or_(false(), *(and_(ChangeEvent.detail["level"].as_string() == level,
                                                    ChangeEvent.period == year) for level, year in pairs)))
        elif self.object_ids is not None:
            numbers = [int(i) for i in self.object_ids if ascii_digits(i)]
            query = query.where(ChangeEvent.batch_id.in_(numbers) if self.object_kind in ("import_batch",
                                                                                          "energy_reading_batch") else
                                ChangeEvent.detail["submission"].as_integer().in_(numbers))
        return query

    def audit(self) -> Select[int, dt.datetime, int]:
        query = select(AuditLog.id.label("key"), AuditLog.at.label("at"), literal(1).label("source"))
        for column, wanted in ((AuditLog.actor, self.actor), (AuditLog.action, self.action),
                               (AuditLog.object_kind, self.object_kind)):
            if wanted:
                query = query.where(column == wanted)
        if self.object_ids is not None:
            query = query.where(AuditLog.object_id.in_(list(self.object_ids)))
        return query


def audit_entries(conn: Connection, wanted: AuditFilter, *, newest_first: bool = True, offset: int = 0,
                  limit: int | None = None) -> list[AuditEntry]:
    """The entries ``wanted`` selects, by time (ties: change events first, then by number)."""
    keys = union_all(wanted.events(), wanted.audit()).subquery()
    order = [keys.c.at.desc(), keys.c.source, keys.c.key.desc()] if newest_first else \
        [keys.c.at, keys.c.source, keys.c.key]
    picked = conn.execute(select(keys.c.key, keys.c.source).order_by(*order).offset(offset).limit(limit)).all()
    events = {e.seq: e for e in _objects(conn, select(ChangeEvent).where(
        ChangeEvent.seq.in_([k for k, s in picked if s == 0])))}
    audits = {a.id: a for a in _objects(conn, select(AuditLog).where(
        AuditLog.id.in_([k for k, s in picked if s == 1])))}
    return [_entry_of_event(events[k]) if s == 0 else _entry_of_audit(audits[k]) for k, s in picked]


def audit_count(conn: Connection, wanted: AuditFilter) -> int:
    keys = union_all(wanted.events(), wanted.audit()).subquery()
    return int(conn.scalar(select(func.count()).select_from(keys)) or 0)


def _objects(conn: Connection, query: Select[Any]) -> list[Any]:
    with Session(bind=conn) as session:
        return list(session.scalars(query).all())
