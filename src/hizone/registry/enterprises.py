"""Register enterprises from a list (credit code, name, zone; optionally industry and registration date).

One transaction per file: every row registers, updates or is unchanged, or the file is refused with every
problem named and nothing stored. A known enterprise whose name, zone, industry or date differs is updated and
the change appended to the audit log (who, when, which file and row, old and new value). Its history is dated:
every registration and change is a version (``enterprise_version``) valid from a day — a new enterprise's from
its registration date, a change from the row's ``valid_from``, else the file's date (a list's ``--valid-from``
or today, a report's first day of its period) — and the version it replaces is closed that day, never
rewritten. The ``enterprise`` row is the current version's copy.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.orm import Session

from hizone.auth.policy import Principal, can_move, can_register, data_scope
from hizone.errors import RegistryError
from hizone.intake.readers import Source, read_source
from hizone.registry.sheets import (
    ListRefused,
    ListRow,
    ListSheet,
    Problem,
    Reader,
    cell_date,
    checked_credit_codes,
    normalise_code,
    normalise_name,
    read_list,
)
from hizone.registry.tables import validate_industry_code
from hizone.store import session_scope
from hizone.store.bulk import bulk_insert
from hizone.store.models import AuditLog, Enterprise, EnterpriseVersion, Zone, utcnow

REQUIRED = ("credit_code", "name", "zone_code")
BEGINNING = dt.date(1900, 1, 1)  # where the history of an enterprise without a registration date starts
_VERSION_COLUMNS = ("enterprise_id", "valid_from", "name", "zone_code", "industry_code", "founded", "source",
                    "source_sha256", "source_row", "recorded_by", "recorded_at")
_NAME_LENGTH = 128  # enterprise.name
_CHUNK = 5000  # credit codes per IN (…) query, well under SQLite's 32,766 parameters


@dataclass(frozen=True)
class EnterpriseRow:
    row: int
    credit_code: str
    name: str
    zone_code: str
    industry_code: str | None
    registered: dt.date | None
    valid_from: dt.date | None = None  # the row's own date for its change (a list's valid_from column)


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass
class EnterpriseImport:
    """What one file did, by credit code."""

    source_name: str
    registered: list[str] = field(default_factory=list)
    updated: list[tuple[str, tuple[Change, ...]]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def describe(self, limit: int = 50) -> list[str]:
        """Counts, then the registered and updated enterprises (at most ``limit`` of each; all in outcome_csv)."""
        lines = [f"{self.source_name}: {len(self.registered)} registered, {len(self.updated)} updated, "
                 f"{len(self.unchanged)} unchanged"]
        lines += [f"registered {code}" for code in self.registered[:limit]]
        lines += [f"updated {code}: " + "; ".join(f"{c.field} '{c.old}' → '{c.new}'" for c in changes)
                  for code, changes in self.updated[:limit]]
        hidden = max(0, len(self.registered) - limit) + max(0, len(self.updated) - limit)
        return lines + ([f"… and {hidden} more (all of them with --outcome FILE)"] if hidden else [])

    def outcome_csv(self) -> bytes:
        """Every credit code of the file and what became of it, as CSV (UTF-8 with BOM, for Excel and WPS)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("credit_code", "outcome", "changes"))
        writer.writerows((code, "registered", "") for code in self.registered)
        writer.writerows((code, "updated", "; ".join(f"{c.field}: {c.old} → {c.new}" for c in changes))
                         for code, changes in self.updated)
        writer.writerows((code, "unchanged", "") for code in self.unchanged)
        return out.getvalue().encode("utf-8-sig")


def import_enterprises(engine: Engine, source: Source, principal: Principal, *, name: str | None = None,
                       sheet: str | None = None, read: Reader = read_source, today: dt.date | None = None,
                       valid_from: dt.date | None = None) -> EnterpriseImport:
    """Register the enterprises of a list file in one transaction; a ListRefused names every problem.

    A change is dated from the row's ``valid_from`` column, else ``valid_from``, else ``today``."""
    today = today or dt.date.today()
    book = read_list(source, REQUIRED, name=name, sheet=sheet, read=read)
    rows, zones, problems = _parse(book, today)
    dated = valid_from or today
    with session_scope(engine) as session:
        existing = known_enterprises(session, [r.credit_code for r in rows])
        problems += _store_problems(session, book, rows, zones, existing, principal)
        problems += _dating_problems(book, rows, existing, dated)
        if problems:
            raise ListRefused(problems)
        return register(session.connection(), book, rows, existing, principal, dated)


def _parse(book: ListSheet, today: dt.date) -> tuple[list[EnterpriseRow], dict[int, str], list[Problem]]:
    """The file's good rows (each credit code once), every row's zone code, and what is wrong on its own."""
    rows: dict[str, EnterpriseRow] = {}
    zones: dict[int, str] = {}
    problems: list[Problem] = []
    lines = list(book.rows())
    codes = checked_credit_codes(book, lines, problems, required=True)
    for line, code in zip(lines, codes, strict=True):
        row, zone, found = parse_row(book, line, code, today)
        if zone:
            zones[line.row] = zone
        problems += found
        if row is None:
            continue
        first = rows.get(code)
        if first is None:
            rows[code] = row
        else:
            problems += listed_twice(book, first, row)
    return list(rows.values()), zones, problems


def parse_row(book: ListSheet, line: ListRow, code: str, today: dt.date,
              ) -> tuple[EnterpriseRow | None, str, list[Problem]]:
    """One row's name, zone, industry and registration date checked on their own (``code`` already checked,
    "" when wrong): the row when all is well, its zone code, and what is wrong."""
    cells, n = line.cells, line.row
    found: list[Problem] = []
    title = cells["name"]
    if not title:
        found.append(book.problem(n, "name", "empty name"))
    elif len(title) > _NAME_LENGTH:
        found.append(book.problem(n, "name", f"name has {len(title)} characters, at most {_NAME_LENGTH}"))
    zone = normalise_code(cells["zone_code"])
    if not zone:
        found.append(book.problem(n, "zone_code", "empty zone code"))
    industry_code = _industry_code(found, book, line)
    registered = cell_date(book, line, "registered", today, found)
    valid_from = cell_date(book, line, "valid_from", None, found)
    if found or not code:
        return None, zone, found
    return EnterpriseRow(n, code, title, zone, industry_code, registered, valid_from), zone, found


def _industry_code(problems: list[Problem], book: ListSheet, line: ListRow) -> str | None:
    text = line.cells.get("industry_code", "")
    if not text:
        return None
    try:
        return _valid_industry_code(text)
    except RegistryError as error:
        problems.append(book.problem(line.row, "industry_code", error.reason))
        return None


@lru_cache(maxsize=4096)
def _valid_industry_code(text: str) -> str:
    # A workbook's number cell drops the leading zero of the 农林牧渔 classes (0111 → 111).
    return validate_industry_code("0" + text if len(text) == 3 and text.isdigit() else text)


def listed_twice(book: ListSheet, first: EnterpriseRow, again: EnterpriseRow) -> list[Problem]:
    """An enterprise listed twice must say the same both times; identical repeats are taken once."""
    found = []
    code = again.credit_code
    if normalise_name(first.name) != normalise_name(again.name):
        found.append(book.problem(again.row, "name", f"credit code {code} appears twice with different names: "
                                                     f"row {first.row} '{first.name}', row {again.row} '{again.name}'"))
    if first.zone_code != again.zone_code:
        found.append(book.problem(again.row, "zone_code", f"credit code {code} appears twice with different zones: "
                                                          f"row {first.row} {first.zone_code}, row {again.row} "
                                                          f"{again.zone_code}"))
    return found


@dataclass(frozen=True)
class Known:
    """An enterprise as the store holds it, and since when (its current version's first day)."""

    id: int
    credit_code: str
    name: str
    zone_code: str
    industry_code: str | None
    founded: dt.date | None
    since: dt.date


def known_enterprises(session: Session | Connection, codes: Sequence[str]) -> dict[str, Known]:
    """The registered enterprises among ``codes``, by credit code (plain rows: no ORM object per enterprise)."""
    if not codes:  # the browser form's check of an enterprise already registered asks for none
        return {}
    query = (select(Enterprise.id, Enterprise.credit_code, Enterprise.name, Enterprise.zone_code,
                    Enterprise.industry_code, Enterprise.founded, EnterpriseVersion.valid_from)
             .outerjoin(EnterpriseVersion, (EnterpriseVersion.enterprise_id == Enterprise.id)
                        & EnterpriseVersion.valid_to.is_(None)))
    found: dict[str, Known] = {}
    for start in range(0, len(codes), _CHUNK):
        rows = session.execute(query.where(Enterprise.credit_code.in_(codes[start:start + _CHUNK])))
        found.update((row.credit_code, Known(*row[:6], row.valid_from or BEGINNING)) for row in rows)
    return found


def _scope_name(principal: Principal) -> str:
    scope = data_scope(principal)
    if scope.zone_code is not None:
        return f"zone {scope.zone_code}"
    if scope.province_code is not None:
        return f"province {scope.province_code}"
    return f"role {principal.role}"


def zone_provinces(session: Session | Connection) -> dict[str, str]:
    """Zone code -> its province's code, for the scope checks."""
    return {zone: province for zone, province in session.execute(select(Zone.code, Zone.province_code))}


def _store_problems(session: Session, book: ListSheet, rows: Iterable[EnterpriseRow], zones: dict[int, str],
                    existing: dict[str, Known], principal: Principal) -> list[Problem]:
    """What the store says is wrong: unknown zones, zones outside the user's scope, a move the user's scope does
    not cover from the old zone to the new one."""
    provinces = zone_provinces(session)
    scope = _scope_name(principal)
    problems = []
    for n, zone in zones.items():
        if zone not in provinces:
            problems.append(book.problem(n, "zone_code", f"zone '{zone}' does not exist in the registry"))
        elif not can_register(principal, zone, provinces[zone]):
            problems.append(book.problem(n, "zone_code", f"{scope} may not register enterprises in zone {zone}"))
    for row in rows:
        current = existing.get(row.credit_code)
        if current is not None and current.zone_code != row.zone_code and row.zone_code in provinces and \
                can_register(principal, row.zone_code, provinces[row.zone_code]) and not can_move(
                    principal, current.zone_code, provinces.get(current.zone_code, ""), row.zone_code,
                    provinces[row.zone_code]):
            problems.append(book.problem(row.row, "zone_code", f"{row.credit_code} is registered outside {scope}; "
                                         "moving it needs a user whose scope covers both zones"))
    return problems


def _dating_problems(book: ListSheet, rows: Iterable[EnterpriseRow], existing: dict[str, Known],
                     dated: dt.date) -> list[Problem]:
    """A change dated before the enterprise's current version began: history is appended, never rewritten."""
    problems = []
    for row in rows:
        current = existing.get(row.credit_code)
        day = row.valid_from or dated
        if current is not None and day < current.since and _changes(current, row):
            problems.append(book.problem(row.row, "valid_from" if row.valid_from else None,
                                         f"{row.credit_code}'s registration is valid from {current.since}; a change "
                                         f"dated {day}, before it, would rewrite its history"))
    return problems


def _text(value: str | dt.date | None) -> str:
    return "" if value is None else value if isinstance(value, str) else value.isoformat()


def _changes(current: Known, row: EnterpriseRow) -> tuple[Change, ...]:
    changes = []
    if normalise_name(current.name) != normalise_name(row.name):
        changes.append(Change("name", current.name, row.name))
    if current.zone_code != row.zone_code:
        changes.append(Change("zone_code", current.zone_code, row.zone_code))
    if row.industry_code is not None and current.industry_code != row.industry_code:
        changes.append(Change("industry_code", _text(current.industry_code), row.industry_code))
    if row.registered is not None and current.founded != row.registered:
        changes.append(Change("founded", _text(current.founded), row.registered.isoformat()))
    return tuple(changes)


def register(conn: Connection, book: ListSheet, rows: Sequence[EnterpriseRow], existing: dict[str, Known],
             principal: Principal, dated: dt.date) -> EnterpriseImport:
    """Register the new enterprises among ``rows`` and update the known ones that changed, each with its dated
    version and audit entry; the one way enterprises enter the store (lists, and the annual reports of unknown
    enterprises). A change is dated from its row's ``valid_from``, else ``dated``."""
    result = EnterpriseImport(book.name)
    source = {"source": book.name, "sha256": book.sha256}
    now = utcnow()
    new = [r for r in rows if r.credit_code not in existing]
    bulk_insert(conn, Enterprise.__tablename__, ("credit_code", "name", "zone_code", "industry_code", "founded",
                                                 "synthetic"),
                ((r.credit_code, r.name, r.zone_code, r.industry_code, r.registered, False) for r in new))
    result.registered = [r.credit_code for r in new]
    ids = {code: known.id for code, known in known_enterprises(conn, result.registered).items()}
    versions = [(ids[r.credit_code], r.registered or BEGINNING, r.name, r.zone_code, r.industry_code, r.registered,
                 book.name, book.sha256, r.row, principal.username, now) for r in new]
    audit = [("register", r, {**source, "row": r.row, "name": r.name, "zone_code": r.zone_code}) for r in new]
    updates, closed = [], []
    for row in rows:
        current = existing.get(row.credit_code)
        if current is None:
            continue
        changes = _changes(current, row)
        if not changes:
            result.unchanged.append(row.credit_code)
            continue
        changed = {c.field for c in changes}
        state: dict[str, Any] = {"name": row.name if "name" in changed else current.name, "zone_code": row.zone_code,
                 "industry_code": row.industry_code or current.industry_code,
                 "founded": row.registered or current.founded}
        day = row.valid_from or dated
        updates.append({"known_id": current.id, **state})
        closed.append({"known_id": current.id, "day": day})
        versions.append((current.id, day, state["name"], state["zone_code"], state["industry_code"], state["founded"],
                         book.name, book.sha256, row.row, principal.username, now))
        result.updated.append((row.credit_code, changes))
        audit.append(("update", row, {**source, "row": row.row, "valid_from": day.isoformat(),
                                      "changes": {c.field: [c.old, c.new] for c in changes}}))
    if updates:
        conn.execute(update(Enterprise).where(Enterprise.id == bindparam("known_id")), updates)
        conn.execute(update(EnterpriseVersion).where(EnterpriseVersion.enterprise_id == bindparam("known_id"),
                                                     EnterpriseVersion.valid_to.is_(None))
                     .values(valid_to=bindparam("day")), closed)
    bulk_insert(conn, EnterpriseVersion.__tablename__, _VERSION_COLUMNS, versions)
    bulk_insert(conn, AuditLog.__tablename__, ("at", "actor", "action", "object_kind", "object_id", "detail"),
                ((now, principal.username, action, "enterprise", row.credit_code,
                  json.dumps(detail)) for action, row, detail in audit))
    return result
