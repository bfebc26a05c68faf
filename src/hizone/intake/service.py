"""The store side of intake: one transaction per file, append-only revisions, approval, audit.

Enterprises missing from the registry are registered from their report's identity columns in the import's
transaction where the form's rules say so (``register_unknown``, see ``intake/registration.py``), and refused
(``unknown_entity``) where they say ``known_entity``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from queue import Queue
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy import Connection, Engine, Select, String, and_, bindparam, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from hizone.auth.policy import (
    Principal,
    can_take_step,
    duty_refusal,
    entities_acted_on,
    step_takers,
    zones_acted_on,
)
from hizone.catalog import Catalog, default_catalog
from hizone.catalog.model import DEFAULT_WORKFLOW, Form
from hizone.errors import HizoneError, Refused
from hizone.intake.checks import module as check_module
from hizone.intake.errors import IntakeError, WorkflowError
from hizone.intake.errors_report import Issue, IssueTally, ValidationReport, message
from hizone.intake.periods import same_period_last_year
from hizone.intake.readers import Limits, RawSheet, Source
from hizone.intake.registration import Registration, check_registration, describe, registers, registry_texts
from hizone.intake.rules import RuleSet
from hizone.intake.validate import (
    CheckedRows,
    Context,
    ParsedBatch,
    PreviousValues,
    Registry,
    SheetCheck,
    check_sheet,
    prepare,
)
from hizone.intake.worker import read_in_worker, start_worker
from hizone.registry.enterprises import EnterpriseRow
from hizone.registry.history import period_end_text, valid_on
from hizone.registry.outside import NAME_ZH, outside_code, with_outside
from hizone.store import bulk_transaction, read_connection
from hizone.store.bulk import arrow_column
from hizone.store.changes import (
    STATE_CHANGED,
    AuditEntry,
    AuditFilter,
    BatchWrite,
    Revision,
    Who,
    audit_entries,
    change_states,
    open_batch,
)
from hizone.store.models import (
    AuditLog,
    Carrier,
    ChangeEvent,
    Enterprise,
    EnterpriseVersion,
    ImportBatch,
    Province,
    RevisionNote,
    Submission,
    Zone,
    utcnow,
)
from hizone.store.values import ValueLayout, binary_array, gather
from hizone.text import ascii_digits

FloatArray = npt.NDArray[np.float64]
# Warnings that inform without needing the submitter's confirmation.
INFORMATIONAL = {"unknown_column"}


@dataclass
class ImportResult:
    status: str  # stored / unchanged / rejected / needs_confirmation
    report: ValidationReport | None
    batch_id: int | None = None
    created: int = 0  # new revisions written
    unchanged: int = 0  # rows equal to their latest revision (no new revision)
    sha256: str = ""
    registration: Registration | None = None  # the enterprises the import registered or updated

    @property
    def stored(self) -> bool:
        return self.status == "stored"

    def registered_enterprises(self) -> list[EnterpriseRow]:
        return self.registration.registered() if self.registration and self.stored else []

    def updated_enterprises(self) -> list[str]:
        outcome = self.registration.outcome if self.registration and self.stored else None
        return [code for code, _ in outcome.updated] if outcome else []

    def summary(self) -> str:
        if self.status == "unchanged":
            return f"identical file already imported as batch {self.batch_id}: nothing changed"
        if self.status == "stored":
            return "; ".join([f"batch {self.batch_id}: {self.created} new revision(s), {self.unchanged} row(s) "
                              "unchanged" + (f", {self.report.warning_count} warning(s) confirmed" if self.report
                                             and self.report.warning_count else ""), *describe(self.registration)])
        count = (self.report.error_count if self.status == "rejected" else self.report.warning_count) \
            if self.report else 0
        what = "error(s): nothing stored" if self.status == "rejected" else \
            "warning(s) to confirm (--confirm-warnings): nothing stored"
        return f"{count} {what}"


# ---- context from the store --------------------------------------------------------------------------------


def _scope_zones(conn: Connection, actor: Principal) -> frozenset[str] | None:
    """The zones the actor may act in, by the auth policy (None: all), with the outside keys of its provinces
    (``registry.outside``: the reports of carriers outside any national zone)."""
    provinces = conn.execute(select(Zone.code, Zone.province_code))
    return zones_acted_on(actor, with_outside({code: province for code, province in provinces},
                                              conn.execute(select(Province.code)).scalars()))


@dataclass
class LatestRevisions:
    """Per entity, its latest revision of one form and period, as arrays sorted by entity key."""

    keys: npt.NDArray[np.str_]
    revisions: npt.NDArray[np.int64]
    states: npt.NDArray[np.str_]
    ids: npt.NDArray[np.int64]
    batch_ids: npt.NDArray[np.int64]
    packed: pa.Array | None  # the packed values, when asked for

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, keys: npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """For each of ``keys``: its slot here and whether it is here at all."""
        if len(self.keys) == 0:
            return np.zeros(len(keys), dtype=np.intp), np.zeros(len(keys), dtype=bool)
        slots = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return slots, self.keys[slots] == keys

    def columns(self, conn: Connection, slots: npt.NDArray[np.intp], codes: list[str]) -> dict[str, FloatArray]:
        """The values of the revisions at ``slots``, one column per code (NaN where blank)."""
        assert self.packed is not None, "read with values=True"
        batches = self.batch_ids[slots]
        return gather(batches, self.packed.take(pa.array(slots)), layouts(conn, np.unique(batches).tolist()), codes)


def latest_revisions(conn: Connection, form: str, period: str, *, values: bool = False,
                     entities: Sequence[str] | None = None) -> LatestRevisions:
    """Every entity's latest revision of ``form`` for ``period`` (with the packed values if ``values``; only
    ``entities``' when given).

    One pass over the unique index (SQLite's max() takes the other columns from its row; PostgreSQL has
    DISTINCT ON), rows straight from the driver: 200,000 revisions in a third of the ORM's time.
    """
    picked = "entity_key, revision, state, id, batch_id" + (", packed_values" if values else "")
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    only = f" AND entity_key IN ({', '.join([mark] * len(entities))})" if entities is not None else ""
    if conn.dialect.name == "postgresql":
        sql = (f"SELECT DISTINCT ON (entity_key) {picked} FROM submission WHERE form_code = %s AND period = %s"
               f"{only} ORDER BY entity_key, revision DESC")
    else:
        sql = (f"SELECT {picked.replace('revision', 'max(revision)', 1)} FROM submission "
               f"WHERE form_code = ? AND period = ?{only} GROUP BY entity_key ORDER BY entity_key")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, (form, period, *(entities or ())))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    parts = list(zip(*rows, strict=True)) if rows else [() for _ in range(5 + values)]
    return LatestRevisions(np.asarray(parts[0], dtype=np.str_), np.asarray(parts[1], dtype=np.int64),
                           np.asarray(parts[2], dtype=np.str_), np.asarray(parts[3], dtype=np.int64),
                           np.asarray(parts[4], dtype=np.int64),
                           binary_array(parts[5]) if values else None)


def _latest(form: str, period: str, *columns: Any) -> Any:
    """SELECT ``columns`` of each entity's latest revision of ``form`` for ``period``."""
    latest = (select(Submission.entity_key, func.max(Submission.revision).label("revision"))
              .where(Submission.form_code == form, Submission.period == period)
              .group_by(Submission.entity_key).subquery())
    return (select(*columns)
            .join(latest, and_(Submission.entity_key == latest.c.entity_key, Submission.revision == latest.c.revision))
            .where(Submission.form_code == form, Submission.period == period))


def unpacked(conn: Connection, batch_ids: Sequence[int], packed: Sequence[bytes]) -> list[dict[str, float | int]]:
    """Each row's values as {element: value} (blanks left out), unpacked under its batch's layout."""
    found = layouts(conn, sorted(set(batch_ids)))
    return [found[batch].unpack(blob) for batch, blob in zip(batch_ids, packed, strict=True)]


_LAYOUTS = select(ImportBatch.id, ImportBatch.value_layout).where(ImportBatch.id.in_(bindparam("ids", expanding=True)))


def layouts(conn: Connection, batch_ids: Sequence[int]) -> dict[int, ValueLayout]:
    """The value layout of each batch."""
    rows = conn.execute(_LAYOUTS, {"ids": list(batch_ids)})
    return {batch: ValueLayout.from_json(layout) for batch, layout in rows}


def _previous(conn: Connection, rules: RuleSet, period: str,
              entities: Sequence[str] | None = None) -> PreviousValues | None:
    elements = [o.element for o in rules.outliers]
    if not elements:
        return None
    latest = latest_revisions(conn, rules.form.code, same_period_last_year(period), values=True, entities=entities)
    if not len(latest):
        return None
    return PreviousValues(latest.keys, latest.columns(conn, np.arange(len(latest)), elements))


_SEPARATOR = "\x1f"  # ASCII unit separator: in no credit code or zone code


@cache
def _registry_query(dialect: str, only: bool) -> Select[Any]:
    """The registry's SELECT, built once (the browser form's check runs it for one enterprise at every check):
    the period and, with ``only``, the credit codes are bound parameters."""
    join = func.string_agg if dialect == "postgresql" else func.group_concat
    zone = func.coalesce(EnterpriseVersion.zone_code, Enterprise.zone_code)
    query = (select(join(Enterprise.credit_code, _SEPARATOR), join(zone, _SEPARATOR)).select_from(Enterprise)
             .outerjoin(EnterpriseVersion, (EnterpriseVersion.enterprise_id == Enterprise.id)
                        & valid_on(period_end_text(bindparam("period", type_=String)))))
    return query.where(Enterprise.credit_code.in_(bindparam("keys", expanding=True))) if only else query


def _registry(conn: Connection, period: str, entities: Sequence[str] | None = None) -> Registry:
    """The registry as two strings joined by the database: one row back, no Python object per enterprise.
    Each enterprise's zone is the one it belonged to in ``period`` (its current one where its history does
    not reach back that far): a late report for 2022 of an enterprise that moved in 2023 is its old zone's."""
    query = _registry_query(conn.dialect.name, entities is not None)
    keys, zones = conn.execute(query, {"period": period} | ({"keys": list(entities)} if entities is not None
                                                             else {})).one()
    if keys is None:
        return Registry.sorted(np.asarray([], dtype=np.str_), np.asarray([], dtype=np.str_))
    return Registry.sorted(np.asarray(keys.split(_SEPARATOR), dtype=np.str_),
                           np.asarray(zones.split(_SEPARATOR), dtype=np.str_))


def _with_outside_carriers(conn: Connection, registry: Registry, entities: Sequence[str] | None) -> Registry:
    """The registry with each carrier outside any national zone at its province's outside key (its operator is
    no zone's enterprise: the carrier registry places it), for the carriers' own forms (rules ``codes``:
    ``outside_carriers``)."""
    query = select(Carrier.code, Carrier.province_code).where(Carrier.zone_code.is_(None))
    if entities is not None:
        query = query.where(Carrier.code.in_(list(entities)))
    outside = dict(conn.execute(query).all())
    if not outside:
        return registry
    keep = ~np.isin(registry.keys, np.asarray(sorted(outside), dtype=np.str_))
    return Registry.sorted(np.concatenate([registry.keys[keep], np.asarray(list(outside), dtype=np.str_)]),
                           np.concatenate([registry.zones[keep], np.asarray([outside_code(p) for p in
                                                                              outside.values()], dtype=np.str_)]))


_ZONES = select(Zone.code, Zone.name_zh, Zone.province_code)
_PROVINCES = select(Province.code, Province.name_zh)


def build_context(conn: Connection, rules: RuleSet, period: str, actor: Principal, today: dt.date,
                  entities: Sequence[str] | None = None) -> Context:
    """What validation reads from the store; with ``entities`` (a file known to hold only those, like the browser
    form's one row) only their part of the registry and of last year's values, not every enterprise's."""
    zone_rows = conn.execute(_ZONES).all()
    provinces = conn.execute(_PROVINCES).all()
    names: dict[str, str] = {code: name for code, name, _ in zone_rows}
    registry = _registry(conn, period, entities) if rules.form.entity == "enterprise" else None
    if registry is not None and rules.check_enabled("outside_carriers"):
        registry = _with_outside_carriers(conn, registry, entities)
        names |= {outside_code(code): NAME_ZH.format(province=name) for code, name in provinces}
    scope = with_outside({code: province for code, _, province in zone_rows}, (code for code, _ in provinces))
    return Context(today=today, zones=frozenset(code for code, _, _ in zone_rows), zone_names=names,
                   registry=registry, registry_texts=registry_texts(conn, entities) if registers(rules) else None,
                   previous=_previous(conn, rules, period, entities),
                   allowed_zones=zones_acted_on(actor, scope),
                   allowed_entities=entities_acted_on(actor),
                   loaded={name: check_module(name).load(conn, rules, period) for name in rules.row_checks})


# ---- import ------------------------------------------------------------------------------------------------


class _Locked(Exception):
    def __init__(self, tally: IssueTally, issues: list[Issue]) -> None:
        self.tally = tally
        self.issues = issues


def validate_file(engine: Engine, source: Source, form: str, period: str, user: Principal | str, *,
                  sheet: str | None = None, name: str | None = None, limits: Limits | None = None,
                  catalog: Catalog | None = None, today: dt.date | None = None,
                  entities: Sequence[str] | None = None) -> ValidationReport:
    """The full report (registry, scope and last-year checks included) without storing anything. ``entities``:
    the file's only entities, when the caller knows them (the store is then read for those alone)."""
    report, _, _ = _validate(engine, source, form, period, Principal.of(user), sheet, name, limits, catalog,
                             today or dt.date.today(), entities)
    return report


def _validate(engine: Engine, source: Source, form: str, period: str, actor: Principal, sheet: str | None,
              name: str | None, limits: Limits | None, catalog: Catalog | None,
              today: dt.date, entities: Sequence[str] | None = None) -> tuple[ValidationReport, ParsedBatch, RuleSet]:
    start_worker()  # the first file's worker starts while the rules are prepared
    cat = catalog or default_catalog()
    rules, canonical = prepare(form, period, today, catalog)
    raw, context = _read_with_context(engine, lambda: read_in_worker(source, rules, cat, name=name, sheet=sheet,
                                                                     limits=limits),
                                      rules, canonical, actor, today, entities)
    with engine.connect() as conn:
        report, batch = _checked(conn, raw, rules, canonical, context, actor, today, cat)
    return report, batch, rules


def validate_read(engine: Engine, raw: RawSheet, form: str, period: str, user: Principal | str, *,
                  catalog: Catalog | None = None, today: dt.date | None = None,
                  entities: Sequence[str] | None = None) -> ValidationReport:
    """``validate_file`` of a sheet already in hand, in this thread: the browser form's typed row, which the web
    process lays out as the table a reader would give (``online.form.row_sheet``: no file, no parser), checked
    against the same context from the store and the same rules; one connection, no worker, no thread. The
    connection reads in autocommit (``read_connection``): a check stores nothing, and on PostgreSQL it spares the
    BEGIN and ROLLBACK round trips of each of the many checks a form sends as it is typed."""
    actor = Principal.of(user)
    day = today or dt.date.today()
    cat = catalog or default_catalog()
    rules, canonical = prepare(form, period, day, catalog)
    with read_connection(engine) as conn:
        context = build_context(conn, rules, canonical, actor, day, entities)
        report, _ = _checked(conn, raw, rules, canonical, context, actor, day, cat)
    return report


def _checked(conn: Connection, raw: RawSheet, rules: RuleSet, period: str, context: Context, actor: Principal,
             today: dt.date, catalog: Catalog) -> tuple[ValidationReport, ParsedBatch]:
    """Every problem of a sheet read: ``validate_sheet``'s and, checked against the store, those of the
    enterprises it registers or changes (see intake/registration.py)."""
    check = check_sheet(raw, rules, period, context, catalog)
    rows = check.rows(0, raw.table.num_rows)
    report = check.report([rows])
    registration = check_registration(conn, raw, check.columns, rules, context, actor, period, today, [rows])
    if registration is not None and registration.issues:
        report.add(registration.issues, Counter({("error", "registration"): len(registration.issues)}))
    return report, rows.batch


def _registration(engine: Engine, raw: RawSheet, check: SheetCheck, actor: Principal, period: str, today: dt.date,
                  checked: Sequence[CheckedRows]) -> Registration | None:
    """The enterprises the file registers or changes, checked against the store (see intake/registration.py)."""
    with engine.connect() as conn:
        return check_registration(conn, raw, check.columns, check.rules, check.context, actor, period, today,
                                  checked)


def _read_with_context(engine: Engine, read: Callable[[], RawSheet], rules: RuleSet, period: str, actor: Principal,
                       today: dt.date, entities: Sequence[str] | None = None) -> tuple[RawSheet, Context]:
    """The file read while a thread reads what validation needs from the store: the file's readers spend
    most of their time outside the GIL (DuckDB, zlib), so the two overlap."""
    def context() -> Context:
        with engine.connect() as conn:
            return build_context(conn, rules, period, actor, today, entities)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hizone-intake-context") as pool:
        pending = pool.submit(context)
        try:
            raw = read()
        except BaseException:
            pending.cancel()
            raise
        return raw, pending.result()


def import_file(engine: Engine, source: Source, form: str, period: str, user: Principal | str, *,
                sheet: str | None = None, name: str | None = None, submit: bool = False,
                confirm_warnings: bool = False, limits: Limits | None = None, catalog: Catalog | None = None,
                today: dt.date | None = None) -> ImportResult:
    """Validate and store a file as one transaction: all of its rows or none.

    An identical file (same SHA-256, form and period) already imported is a no-op. Each row whose values
    differ from its entity's latest revision becomes a new revision (draft, or submitted if ``submit``);
    equal rows add nothing. Errors, unconfirmed warnings, or a row that would change approved (locked)
    data leave the store exactly as it was.
    """
    actor = Principal.of(user)
    day = today or dt.date.today()
    start_worker()  # the first file's worker starts while the rules are prepared
    cat = catalog or default_catalog()
    rules, canonical = prepare(form, period, day, catalog)
    data_name = name or (Path(source).name if isinstance(source, str | Path) else "upload")
    raw, context = _read_with_context(engine, lambda: read_in_worker(source, rules, cat, name=data_name,
                                                                     sheet=sheet, limits=limits),
                                      rules, canonical, actor, day)
    if raw.table.num_rows == 0:  # a batch of no rows would record an import that imported nothing
        raise IntakeError("no data rows under the header: nothing to import", where=raw.where())
    with engine.connect() as conn:
        existing = conn.scalar(select(ImportBatch.id).where(
            ImportBatch.form_code == rules.form.code, ImportBatch.period == canonical,
            ImportBatch.source_sha256 == raw.sha256).limit(1))
    if existing is not None:
        return ImportResult("unchanged", None, existing, sha256=raw.sha256)
    check = check_sheet(raw, rules, canonical, context, cat)
    target = _Target(rules, canonical, actor, submit, raw.source_name, raw.sheet, raw.sha256, raw.table.num_rows)
    try:
        report, registration, (batch_id, created, unchanged) = _check_and_store(
            engine, check, target, confirm_warnings, partial(_registration, engine, raw, check, actor, canonical, day))
    except _Refused as refused:
        status = "rejected" if refused.report.error_count else "needs_confirmation"
        return ImportResult(status, refused.report, sha256=raw.sha256)
    except DBAPIError as exc:
        if not _collided(exc):
            raise
        raise HizoneError("another import of the same form and period was stored at the same time; "
                          "import again", where=data_name) from None
    return ImportResult("stored", report, batch_id, created, unchanged, raw.sha256, registration)


def _collided(error: DBAPIError) -> bool:
    """Whether a write failed on another import's rows: the same revision stored first, or (PostgreSQL) the
    two waiting on each other's rows, one of them cancelled (files of the same entities in other orders)."""
    return isinstance(error, IntegrityError) or getattr(error.orig, "sqlstate", None) == "40P01"


def layout_of_form(rules: RuleSet) -> ValueLayout:
    fields = rules.form.fields
    return ValueLayout(tuple(f.element.code for f in fields), tuple(f.element.type == "integer" for f in fields))


ROWS_PER_PART = 25_000


@dataclass(frozen=True)
class _Target:
    """Where and how a file's rows are stored."""

    rules: RuleSet
    period: str
    actor: Principal
    submit: bool
    source_name: str
    sheet: str | None
    sha256: str
    rows: int

    @property
    def layout(self) -> ValueLayout:
        return layout_of_form(self.rules)

    @property
    def state(self) -> str:
        return "submitted" if self.submit else "draft"


class _Refused(Exception):
    """The file has errors, or warnings not yet confirmed: nothing is stored."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report


class _Abandon:
    """Sent to the storing thread instead of the next part: roll back."""


class _Abandoned(Exception):
    """Raised in the storing thread to roll back."""


@dataclass(frozen=True)
class _Part:
    """Checked rows made ready for storing by the checking thread, which has time to spare: the storing
    thread is left little but the writing."""

    rows: ParsedBatch
    keys: pa.Array
    zones: pa.Array
    packed: pa.Array

    @classmethod
    def of(cls, rows: ParsedBatch, layout: ValueLayout) -> _Part:
        return cls(rows, arrow_column(rows.entity_keys), arrow_column(rows.zone_codes),
                   layout.pack(rows.values, len(rows)))


@dataclass(frozen=True)
class _Finish:
    """Sent to the storing thread after the last part: register the enterprises, then commit."""

    confirmed_warnings: int
    registration: Registration | None  # enterprises to register with the rows, in their transaction


def _check_and_store(engine: Engine, check: SheetCheck, target: _Target, confirm_warnings: bool,
                     registration: Callable[[Sequence[CheckedRows]], Registration | None],
                     ) -> tuple[ValidationReport, Registration | None, tuple[int, int, int]]:
    """Check the rows part by part while a thread stores the parts already checked, in one transaction
    (the databases write outside the GIL, so on two cores storing costs little extra time). The
    enterprises the file registers are checked after the rows, while the last parts are written (on
    PostgreSQL the writing takes longer than the checking), and registered at the commit. A problem
    that refuses the file stops the storing and rolls it back: the store is left as it was."""
    def refuses(issues: list[Issue]) -> bool:
        return any(i.severity == "error" or (not confirm_warnings and i.rule not in INFORMATIONAL) for i in issues)

    parts: Queue[_Part | _Abandon | _Finish] = Queue()
    refused = refuses(check.issues)
    found: list[CheckedRows] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hizone-intake-store") as pool:
        # Started at once: it reads the latest revisions while the first part is checked.
        stored = None if refused else pool.submit(_store_parts, engine, target, parts)
        try:
            for start in range(0, max(target.rows, 1), ROWS_PER_PART):
                rows = check.rows(start, min(start + ROWS_PER_PART, target.rows))
                found.append(rows)
                refused = refused or refuses(rows.issues)
                if not refused:
                    parts.put(_Part.of(rows.batch, target.layout))
            registered = registration(found)
            if registered is not None:  # (its own rule's tally: the rows' issues kept are the same either way)
                kept = registered.issues[:check.tally.room("error", "registration", len(registered.issues))]
                check.issues += kept
                refused = refused or refuses(kept)
            report = check.report(found)
            refused = refused or refuses(report.issues)  # duplicates span parts
        except BaseException:
            parts.put(_Abandon())
            raise
        parts.put(_Abandon() if refused else _Finish(len(report.warnings), registered))
        if refused:
            raise _Refused(report)
        assert stored is not None, "not refused from the start"
        try:
            return report, registered, stored.result()
        except _Locked as locked:
            report.add(locked.issues, locked.tally.counts)
            raise _Refused(report) from None


def _store_parts(engine: Engine, target: _Target,
                 parts: Queue[_Part | _Abandon | _Finish]) -> tuple[int, int, int]:
    """Store each part taken from ``parts`` until told to commit or to roll back."""
    form, period = target.rules.form, target.period
    now = utcnow()
    try:
        with bulk_transaction(engine) as conn, open_batch(
                conn, Who(target.actor.username, target.actor.role), form_code=form.code, form_version=form.version,
                period=period, state=target.state, source_name=target.source_name, source_sha256=target.sha256,
                row_count=target.rows, layout=target.layout, at=now) as writing:
            latest = latest_revisions(conn, form.code, period, values=True)
            # Read before the first part: from then on the parts stream into one COPY (BatchWrite).
            prior = layouts(conn, np.unique(latest.batch_ids).tolist()) if len(latest) else {}
            locked: list[Issue] = []
            tally = IssueTally()
            while not isinstance(part := parts.get(), _Finish):
                if isinstance(part, _Abandon):
                    raise _Abandoned
                chosen, revisions, locked_here = _new_revisions(latest, prior, part.rows, target.layout, target,
                                                                tally)
                locked += locked_here
                if not locked:  # after a locked row, the parts left are only searched for more
                    _store_part(writing, part, chosen, revisions)
            if locked:
                raise _Locked(tally, locked)
            if part.registration is not None:
                part.registration.store(writing.connection)
            created = writing.rows
            writing.finish(now, file=target.source_name, sha256=target.sha256, version=form.version,
                           rows=target.rows, created=created, unchanged=target.rows - created,
                           confirmed_warnings=part.confirmed_warnings)
    except _Abandoned:
        return 0, 0, 0
    return writing.batch_id, created, target.rows - created


def _store_part(writing: BatchWrite, part: _Part, chosen: npt.NDArray[np.intp],
                revisions: npt.NDArray[np.int64]) -> int:
    """Rows ``chosen`` of the part as new revisions numbered ``revisions``; returns how many."""
    # In key order, every insert lands at the right edge of the unique index, whatever order the file had.
    order = np.argsort(part.rows.entity_keys[chosen], kind="stable")
    if not bool((order == np.arange(len(order))).all()):
        chosen, revisions = chosen[order], revisions[order]
    every_row_in_order = len(chosen) == len(part.rows) and bool((chosen == np.arange(len(part.rows))).all())

    def rows_chosen(column: pa.Array) -> pa.Array:
        return column if every_row_in_order else column.take(pa.array(chosen))

    added = writing.add({"entity_key": rows_chosen(part.keys), "zone_code": rows_chosen(part.zones),
                         "revision": 1 if bool((revisions == 1).all()) else revisions,
                         "packed_values": rows_chosen(part.packed)}, len(chosen))
    if part.rows.notes is not None:
        _store_notes(writing, part.rows.entity_keys[chosen], revisions, part.rows.notes[chosen])
    return added


def _store_notes(writing: BatchWrite, keys: npt.NDArray[np.str_], revisions: npt.NDArray[np.int64],
                 notes: npt.NDArray[np.str_]) -> None:
    """The rows' non-blank notes with the revisions they made (RevisionNote), in the batch's transaction."""
    rows = [{"form_code": writing.form_code, "period": writing.period, "entity_key": str(key),
             "revision": int(revision), "note": str(note).strip()[:512]}
            for key, revision, note in zip(keys.tolist(), revisions.tolist(), notes.tolist(), strict=True)
            if str(note).strip()]
    if rows:
        writing.connection.execute(insert(RevisionNote), rows)


def _new_revisions(latest: LatestRevisions, layouts_of: dict[int, ValueLayout], batch: ParsedBatch,
                   layout: ValueLayout, target: _Target, tally: IssueTally,
                   ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64], list[Issue]]:
    """The rows that become new revisions, their revision numbers, and an issue for each row that would
    change approved (locked) data; rows equal to their latest add nothing. ``layouts_of``: the layouts of
    the latest revisions' batches.

    Whole columns are compared (a blank equals a blank), over every element either revision holds.
    """
    if not len(latest):
        return np.arange(len(batch), dtype=np.intp), np.ones(len(batch), dtype=np.int64), []
    slots, found = latest.find(batch.entity_keys)
    known = np.flatnonzero(found)
    assert latest.packed is not None
    batches = latest.batch_ids[slots[known]]
    prior = {b: layouts_of[b] for b in np.unique(batches).tolist()}
    codes = list(dict.fromkeys([*layout.codes, *(code for p in prior.values() for code in p.codes)]))
    previous = gather(batches, latest.packed.take(pa.array(slots[known])), prior, codes)
    differs = np.zeros(len(known), dtype=bool)
    for code in codes:
        new = batch.values[code][known] if code in batch.values else np.full(len(known), np.nan)
        old = previous[code]
        differs |= ~((new == old) | (np.isnan(new) & np.isnan(old)))
    changed = ~found
    changed[known[differs]] = True
    locked = known[differs & (latest.states[slots[known]] == "approved")]
    locked = locked[:tally.room("error", "locked", len(locked))]
    zh, en = message("locked")
    keys = batch.entity_keys
    issues = [Issue("error", "locked", zh, en, target.source_name, target.sheet, int(batch.row_numbers[i]), None,
                    "entity", str(keys[i]), str(keys[i])) for i in locked.tolist()]
    chosen = np.flatnonzero(changed)
    revisions = np.where(found, latest.revisions[slots] + 1, 1)[chosen]
    return chosen.astype(np.intp), revisions.astype(np.int64), issues


# ---- reading back ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionView:
    id: int
    form_code: str
    form_version: int
    entity_key: str
    zone_code: str
    period: str
    revision: int
    state: str
    values: dict[str, Any]
    created_by: str
    created_at: dt.datetime
    batch_id: int | None
    source_name: str | None
    source_sha256: str | None


def list_submissions(engine: Engine, *, form: str | None = None, period: str | None = None,
                     zone_code: str | None = None, entity_key: str | None = None, state: str | None = None,
                     history: bool = False, limit: int | None = None) -> list[SubmissionView]:
    """Submissions, latest revision per entity unless ``history``; ``state`` filters after that."""
    query = (select(Submission, ImportBatch.source_name, ImportBatch.source_sha256)
             .outerjoin(ImportBatch, ImportBatch.id == Submission.batch_id))
    for column, wanted in ((Submission.form_code, form), (Submission.period, period),
                           (Submission.zone_code, zone_code), (Submission.entity_key, entity_key)):
        if wanted:
            query = query.where(column == wanted)
    if not history:
        latest = (select(Submission.form_code, Submission.entity_key, Submission.period,
                         func.max(Submission.revision).label("revision"))
                  .group_by(Submission.form_code, Submission.entity_key, Submission.period).subquery())
        query = query.join(latest, and_(Submission.form_code == latest.c.form_code,
                                        Submission.entity_key == latest.c.entity_key,
                                        Submission.period == latest.c.period,
                                        Submission.revision == latest.c.revision))
    if state:
        query = query.where(Submission.state == state)
    query = query.order_by(Submission.form_code, Submission.period, Submission.entity_key, Submission.revision)
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [SubmissionView(s.id, s.form_code, s.form_version, s.entity_key, s.zone_code, s.period, s.revision,
                               s.state, s.values, s.created_by, s.created_at, s.batch_id, src, sha)
                for s, src, sha in _orm_rows(conn, query)]


def _orm_rows(conn: Connection, query: Any) -> Iterable[Any]:
    with Session(bind=conn) as session:
        yield from session.execute(query).all()


@dataclass(frozen=True)
class Change:
    element: str
    old: float | None
    new: float | None


@dataclass(frozen=True)
class RevisionDiff:
    form: str
    entity_key: str
    period: str
    old_revision: int | None
    new_revision: int
    changes: list[Change] = field(default_factory=list)


def _diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    before = old or {}
    codes = list(dict.fromkeys([*before, *new]))
    return [Change(c, before.get(c), new.get(c)) for c in codes if before.get(c) != new.get(c)]


def revision_diff(engine: Engine, form: str, entity_key: str, period: str,
                  revision: int | None = None) -> RevisionDiff:
    """What ``revision`` (default: the latest) changed against the revision before it."""
    with engine.connect() as conn:
        rows = conn.execute(select(Submission.revision, Submission.batch_id, Submission.packed_values).where(
            Submission.form_code == form, Submission.entity_key == entity_key, Submission.period == period)
            .order_by(Submission.revision)).all()
        values = unpacked(conn, [r[1] for r in rows], [r[2] for r in rows])
    if not rows:
        raise HizoneError(f"no submission of {form} for {entity_key} in {period}", where="submission")
    by_revision = {r[0]: v for r, v in zip(rows, values, strict=True)}
    target = revision if revision is not None else rows[-1][0]
    if target not in by_revision:
        raise HizoneError(f"no revision {target} (revisions: {', '.join(str(r) for r in by_revision)})",
                          where=f"{form} {entity_key} {period}")
    earlier = [r for r in by_revision if r < target]
    old_rev = earlier[-1] if earlier else None
    return RevisionDiff(form, entity_key, period, old_rev, target,
                        _diff(by_revision[old_rev] if old_rev else None, by_revision[target]))


def batch_diff(engine: Engine, batch_id: int) -> list[RevisionDiff]:
    """For every revision an import created, the change against its entity's previous revision."""
    with engine.connect() as conn:
        batch = conn.execute(select(ImportBatch.form_code, ImportBatch.period)
                             .where(ImportBatch.id == batch_id)).first()
        if batch is None:
            return []
        rows = conn.execute(select(Submission.entity_key, Submission.revision, Submission.batch_id,
                                   Submission.packed_values)
                            .where(Submission.form_code == batch.form_code, Submission.period == batch.period)
                            .order_by(Submission.entity_key)).all()
        values = unpacked(conn, [r[2] for r in rows], [r[3] for r in rows])
    history: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    new_rows = []
    for (key, rev, batch_of_row, _), row_values in zip(rows, values, strict=True):
        if batch_of_row == batch_id:
            new_rows.append((batch.form_code, key, batch.period, rev, row_values))
        else:
            history.setdefault(key, []).append((rev, row_values))
    diffs = []
    for form_code, key, period_, rev, values_ in new_rows:
        earlier = sorted(r for r in history.get(key, []) if r[0] < rev)
        old = earlier[-1] if earlier else None
        diffs.append(RevisionDiff(form_code, key, period_, old[0] if old else None, rev,
                                  _diff(old[1] if old else None, values_)))
    return diffs


# ---- approval workflow -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A workflow step's states; who may take it is the auth policy's (``can_take_step``)."""

    sources: frozenset[str]
    target: str
    needs_comment: bool = False


STEPS = {
    "submit": Step(frozenset({"draft", "returned"}), "submitted"),
    "review": Step(frozenset({"submitted"}), "reviewed"),
    "approve": Step(frozenset({"reviewed"}), "approved"),
    "return": Step(frozenset({"submitted", "reviewed"}), "returned", True),
}


def form_version(form: str, period: str, catalog: Catalog | None = None) -> Form | None:
    """The version of a form in force for the period's year (its first for an earlier year, its latest for a
    period without a year); None for an unknown form."""
    versions = (catalog or default_catalog()).forms.get(form)
    if not versions:
        return None
    year = int(period[:4]) if ascii_digits(period[:4]) and len(period) >= 4 else versions[-1].version
    usable = [v for v in versions if v.version <= year] or [versions[0]]
    return usable[-1]


def workflow_of(form: str, period: str, catalog: Catalog | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Who takes each step of a form's workflow (its YAML's ``workflow``), in the version for the period's year;
    an unknown form's is the default chain (nothing of it is stored, so nothing moves)."""
    version = form_version(form, period, catalog)
    return version.workflow if version is not None else DEFAULT_WORKFLOW


def duties_separated(form: str, period: str, catalog: Catalog | None = None) -> bool:
    """Whether the form's version for the period keeps a revision's writer from accepting it (its YAML's
    ``workflow.separate_duties``; an unknown form's: yes)."""
    version = form_version(form, period, catalog)
    return version.separate_duties if version is not None else True


# Who submitted each revision: the submit steps' events (an upload submitted at once has no such event: its
# uploader, the revision's ``created_by``, wrote it).
_SUBMITTED = select(ChangeEvent.form_code, ChangeEvent.period, ChangeEvent.entity_key, ChangeEvent.batch_id,
                    ChangeEvent.actor).where(ChangeEvent.kind == STATE_CHANGED, ChangeEvent.to_state == "submitted")
WriterKey = tuple[str, str, str, int]  # a revision: form, period, entity key, batch


def revision_writers(conn: Connection, form: str, period: str,
                     revisions: Sequence[tuple[str, int, str]]) -> dict[tuple[str, int], frozenset[str]]:
    """Who wrote each of ``revisions`` ((entity key, batch, uploader)) of a form and period: the user who stored
    it and whoever submitted it (a zone's user filing for an enterprise on its behalf, too)."""
    found: dict[tuple[str, int], set[str]] = {(key, batch): {by} for key, batch, by in revisions}
    keys = sorted({key for key, _, _ in revisions})
    # One pass over the events: named entities when few, else the whole period's (a zone's or nation's step).
    few = [ChangeEvent.entity_key.in_(keys)] if len(keys) <= 5000 else []
    for row in conn.execute(_SUBMITTED.where(ChangeEvent.form_code == form, ChangeEvent.period == period, *few)):
        if (row.entity_key, row.batch_id) in found:
            found[(row.entity_key, row.batch_id)].add(row.actor)
    return {k: frozenset(v) for k, v in found.items()}


def latest_writers(engine: Engine, form: str, period: str, entity_key: str) -> frozenset[str]:
    """Who wrote the latest revision of one entity's report (``revision_writers``); empty when there is none."""
    with engine.connect() as conn:
        row = conn.execute(select(Submission.batch_id, Submission.created_by).where(
            Submission.form_code == form, Submission.period == period, Submission.entity_key == entity_key)
            .order_by(Submission.revision.desc()).limit(1)).first()
        if row is None:
            return frozenset()
        return revision_writers(conn, form, period, [(entity_key, row.batch_id, row.created_by)])[
            (entity_key, row.batch_id)]


def submitted_by(engine: Engine, username: str) -> frozenset[WriterKey]:
    """The revisions a user submitted (form, period, entity key, batch): with those it stored, the ones it may
    not accept where its form separates duties."""
    with engine.connect() as conn:
        rows = conn.execute(_SUBMITTED.where(ChangeEvent.actor == username)).all()
    return frozenset((r.form_code, r.period, r.entity_key or "", r.batch_id or 0) for r in rows)


@dataclass
class TransitionResult:
    action: str
    target: str
    submission_ids: list[int]
    # The entities whose revision the actor wrote itself, left for another reviewer (separation of duties) when a
    # step over a whole zone or period took the others.
    withheld: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.submission_ids)


def transition(engine: Engine, action: str, user: Principal | str, *, form: str, period: str,
               zone_code: str | None = None, entity_keys: Sequence[str] | None = None,
               comment: str | None = None, field_comments: Mapping[str, str] | None = None) -> TransitionResult:
    """Move the latest revisions selected (by zone and/or entities) one step, with an audit row each.

    draft → submitted (zone, enterprise) → reviewed → approved, by the roles the form's ``workflow`` names
    (e.g. the zone's committee for its enterprises' reports; a province's department reviews a zone's, the
    national level approves it); the reviewers may return submitted or reviewed data for correction (a comment
    is required). Approved data is locked. Each actor acts in its own zones only.
    Naming entities that cannot take the step is an error and changes nothing. ``field_comments`` (a return's
    comments on single fields, element code -> text) are kept with the change for the filler's form.
    Where the form separates duties (auth policy ``duty_refusal``) nobody reviews or approves a revision it wrote:
    naming one is refused (403 on the web) with the refusal in the audit log; a step over a zone or period takes
    the others and leaves those for another reviewer (``withheld``), refused only if none is left.
    """
    actor = Principal.of(user)
    step = STEPS.get(action)
    if step is None:
        raise WorkflowError(f"unknown action '{action}' (one of {', '.join(STEPS)})", where="action")
    chain = workflow_of(form, period)
    if not can_take_step(actor, action, chain):
        raise WorkflowError(f"a {actor.role} user cannot {action} {form}; it is done by "
                            f"{' or '.join(sorted(step_takers(action, chain)))}", where=actor.username)
    if field_comments and action != "return":
        raise WorkflowError("comments on fields go with a return for correction only", where="comment")
    if step.needs_comment and not (comment or "").strip() and not field_comments:
        raise WorkflowError("returning for correction needs a comment saying what to correct", where="comment")
    with engine.begin() as conn:
        rows = conn.execute(_latest(form, period, Submission.id, Submission.entity_key, Submission.zone_code,
                                    Submission.state, Submission.revision, Submission.batch_id,
                                    Submission.created_by)).all()
        scope = _scope_zones(conn, actor)
        selected = [r for r in rows if (zone_code is None or r.zone_code == zone_code)
                    and (entity_keys is None or r.entity_key in set(entity_keys))]
        outside = [r for r in selected if scope is not None and r.zone_code not in scope]
        if entity_keys is not None:
            # Outside its scope an actor learns nothing of an entity: not its zone, state, or existence.
            missing = sorted(set(entity_keys) - {r.entity_key for r in selected if r not in outside})
            if missing:
                raise WorkflowError(f"no submission of {form} for {period}" + (
                    ", or one outside your scope" if scope is not None else "") + f": {', '.join(missing[:5])}",
                    where="entity")
            wrong = [r for r in selected if r.state not in step.sources]
            if wrong:
                raise WorkflowError(f"cannot {action} {wrong[0].entity_key}: it is {wrong[0].state} "
                                    f"(needs {' or '.join(sorted(step.sources))})", where="entity")
        if outside:
            raise WorkflowError("the submissions selected include some outside your scope: name a zone of yours",
                                where=actor.username)
        eligible = [r for r in selected if r.state in step.sources]
        if not eligible:
            raise WorkflowError(f"nothing to {action}: no {form} {period} submissions in state "
                                f"{' or '.join(sorted(step.sources))}" + (f" in zone {zone_code}" if zone_code
                                                                          else ""), where=action)
        own, reason = _own_revisions(conn, actor, action, form, period, chain, eligible)
        refuse = bool(own) and (entity_keys is not None or len(own) == len(eligible))
        if own and not refuse:
            _audit_refusals(conn, actor, action, form, period, own, reason)
        own_ids = {r.id for r in own}
        taken = [r for r in eligible if r.id not in own_ids]
        if not refuse:
            change_states(conn, Who(actor.username, actor.role), action, form, period,
                          [Revision(r.id, r.entity_key, r.revision, r.state, r.batch_id) for r in taken],
                          step.target, comment, field_comments)
    if refuse:
        with engine.begin() as conn:
            _audit_refusals(conn, actor, action, form, period, own, reason)
        keys = [r.entity_key for r in own]
        raise Refused(reason, where=f"{form} {period} {', '.join(keys[:5])}" + ("…" if len(keys) > 5 else ""))
    return TransitionResult(action, step.target, [r.id for r in taken], [r.entity_key for r in own])


def _own_revisions(conn: Connection, actor: Principal, action: str, form: str, period: str, chain: Any,
                   eligible: Sequence[Any]) -> tuple[list[Any], str]:
    """The rows of ``eligible`` the actor may not take ``action`` on, having written them (auth policy
    ``duty_refusal``), and why; ([], "") when the form does not separate duties or the step accepts nothing."""
    separate = duties_separated(form, period)
    if duty_refusal(actor, action, chain, {actor.username}, separate) is None:
        return [], ""
    writers = revision_writers(conn, form, period, [(r.entity_key, r.batch_id, r.created_by) for r in eligible])
    refusals = {r.id: duty_refusal(actor, action, chain, writers[(r.entity_key, r.batch_id)], separate)
                for r in eligible}
    own = [r for r in eligible if refusals[r.id] is not None]
    return own, str(refusals[own[0].id]) if own else ""


def _audit_refusals(conn: Connection, actor: Principal, action: str, form: str, period: str,
                    own: Sequence[Any], reason: str) -> None:
    """A refused step in the audit log (beside the steps' change events), one entry per revision kept from it."""
    conn.execute(insert(AuditLog), [
        {"at": utcnow(), "actor": actor.username, "action": f"{action}_refused", "object_kind": "submission",
         "object_id": str(r.id), "detail": {"form": form, "period": period, "entity": r.entity_key,
                                            "revision": r.revision, "role": actor.role, "reason": reason}}
        for r in own])


def audit_trail(engine: Engine, *, object_kind: str | None = None, object_id: str | None = None,
                limit: int = 1000) -> list[AuditEntry]:
    """The audit log, oldest first: the submissions' change events and the account and registry entries."""
    wanted = AuditFilter(object_kind=object_kind, object_ids=[object_id] if object_id else None)
    with engine.connect() as conn:
        return audit_entries(conn, wanted, newest_first=False, limit=limit)


def submission_history(engine: Engine, form: str, entity_key: str, period: str) -> list[AuditEntry]:
    """Every change of any revision of one entity's report (and the imports that wrote them), oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(Submission.id, Submission.batch_id).where(
            Submission.form_code == form, Submission.entity_key == entity_key, Submission.period == period)).all()
        entries = [*audit_entries(conn, AuditFilter(object_kind="submission", object_ids=[str(r.id) for r in rows]),
                                  newest_first=False),
                   *audit_entries(conn, AuditFilter(object_kind="import_batch",
                                                    object_ids=sorted({str(r.batch_id) for r in rows})),
                                  newest_first=False)]
    return sorted(entries, key=lambda e: (e.at, e.id))
