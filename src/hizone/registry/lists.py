"""Qualifications from published lists: 高新技术企业 certificates, 科技型中小企业, 专精特新, 小巨人, 瞪羚, 独角兽.

Rows are matched to registered enterprises by credit code. A row is stored as a qualification with its validity
only when its credit code is registered (in the user's scope) and its name, if it has one, is that enterprise's
name once full-width forms, brackets and whitespace are normalised. Every other row goes to review, never
guessed: a name without a credit code is at most *proposed* for the one registered enterprise of that name.
A list whose cells are wrong (a credit code failing its check, a date that is no date, a number of the wrong
shape, a row twice with different contents, one enterprise under two names, one certificate number for two
enterprises or with two validity periods) is refused as a whole, each problem one line.

A qualification is identified by its enterprise, its kind and its certificate / registration number or, for a list
without numbers, the day it is valid from (the store's unique keys, migration 0010): re-importing a list changes
nothing, a renewed certificate (a new number) adds a row and the old one keeps its dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from hizone.auth.policy import Principal, can_register
from hizone.errors import RegistryError
from hizone.intake.readers import Source, read_source
from hizone.registry.enterprises import zone_provinces
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
from hizone.registry.tables import ListSpec, QualificationKind, qualification_kinds
from hizone.store import session_scope
from hizone.store.bulk import bulk_insert
from hizone.store.models import AuditLog, Enterprise, Qualification

_DETAIL_LENGTH = 64  # qualification.detail, where the certificate / registration number is kept
_CHUNK = 500
REVIEW_COLUMNS = ("where", "credit_code", "name", "reason", "proposed_credit_code", "registered_name")


def list_kinds() -> dict[str, QualificationKind]:
    """The kinds that have published lists, by their --kind spelling and by code."""
    kinds = {k.code: k for k in qualification_kinds().values() if k.list_spec is not None}
    return {**kinds, **{k.list_spec.option: k for k in kinds.values() if k.list_spec and k.list_spec.option}}


def resolve_kind(option: str) -> QualificationKind:
    kinds = list_kinds()
    if option not in kinds:
        options = sorted({k.list_spec.option for k in kinds.values() if k.list_spec})
        raise RegistryError(f"unknown list kind '{option}' (one of {', '.join(options)})", where="--kind")
    return kinds[option]


@dataclass(frozen=True)
class ListEntry:
    """A row that names a qualification: who (credit code and/or name) and its validity."""

    row: int
    credit_code: str
    name: str
    number: str
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class ReviewItem:
    """A row not stored: why, and (for a name without a credit code) the one registered enterprise proposed."""

    where: str
    credit_code: str
    name: str
    reason: str
    proposed_credit_code: str = ""  # a proposal only: nothing is stored for it
    registered_name: str = ""
    row: int = 0  # the file's row

    @property
    def explanation(self) -> str:
        proposal = f" (proposal, not stored: {self.proposed_credit_code})" if self.proposed_credit_code else ""
        return self.reason + proposal

    def __str__(self) -> str:
        return f"{self.where}: {self.explanation}"


@dataclass
class ListImport:
    """What one list did: credit codes stored (new), updated, unchanged; rows for review."""

    source_name: str
    kind: QualificationKind
    stored: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)

    def describe(self) -> list[str]:
        lines = [f"{self.source_name} ({self.kind.name_zh}): {len(self.stored)} stored, {len(self.updated)} updated, "
                 f"{len(self.unchanged)} unchanged, {len(self.review)} for review (not stored)"]
        return lines + [f"review: {item}" for item in self.review]

    def review_csv(self) -> bytes:
        """The review rows as CSV (UTF-8 with BOM, which Excel and WPS open as UTF-8)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REVIEW_COLUMNS)
        writer.writerows([getattr(item, c) for c in REVIEW_COLUMNS] for item in self.review)
        return out.getvalue().encode("utf-8-sig")


def import_list(engine: Engine, source: Source, kind: str, principal: Principal, *, year: int | None = None,
                name: str | None = None, sheet: str | None = None, read: Reader = read_source,
                today: dt.date | None = None, strict: bool = False) -> ListImport:
    """Store the qualifications of a published list in one transaction; rows that do not match go to review,
    or, when ``strict``, refuse the whole list (a ListRefused naming each of them)."""
    qualification = resolve_kind(kind)
    spec = qualification.list_spec
    assert spec is not None  # resolve_kind returns only kinds with lists
    required = [c for c, needed in (("number", spec.number_required), ("issued", spec.date_required)) if needed]
    book = read_list(source, required, name=name, sheet=sheet, read=read)
    entries = _entries(book, qualification, spec, year, today or dt.date.today())
    with session_scope(engine) as session:
        result = ListImport(book.name, qualification)
        matched = _match(session, book, entries, principal, spec, result)
        if strict and result.review:
            raise ListRefused([Problem(item.where, item.explanation) for item in result.review])  # in row order
        _store(session, book, principal, qualification, matched, result)
        session.execute(insert(AuditLog), [{
            "actor": principal.username, "action": "import_list", "object_kind": "qualification",
            "object_id": book.sha256, "detail": {
                "source": book.name, "kind": qualification.code, "stored": len(result.stored),
                "updated": len(result.updated), "unchanged": len(result.unchanged), "review": len(result.review)}}])
    return result


# ---- reading the rows --------------------------------------------------------------------------------------


def _entries(book: ListSheet, kind: QualificationKind, spec: ListSpec, year: int | None,
             today: dt.date) -> list[ListEntry]:
    """Each row's entry, each qualification once; a ListRefused naming every cell that is wrong."""
    if spec.validity == "from_issue" and not book.has("issued") and year is None:
        raise RegistryError(f"the list has no issue date column ({kind.name_zh} is valid from its issue date): "
                            "add one or give --year", where=book.raw.where(book.raw.header_row))
    problems: list[Problem] = []
    lines = list(book.rows())
    codes = checked_credit_codes(book, lines, problems, required=False)
    found: list[ListEntry] = []
    for line, code in zip(lines, codes, strict=True):
        wrong: list[Problem] = []  # this row's own problems
        entry = _entry(book, line, code, kind, spec, year, today, wrong)
        problems += wrong
        if entry is not None:
            found.append(entry)
    entries = _once(book, found, problems)
    if problems:
        raise ListRefused(problems)
    return entries


def _identity(entry: ListEntry) -> tuple[str, str]:
    """Who (credit code, else the normalised name) and which qualification (its number, else its first day)."""
    who = entry.credit_code or f"name:{normalise_name(entry.name)}"
    return who, entry.number or entry.valid_from.isoformat()


def _period(valid_from: dt.date, valid_to: dt.date | None) -> str:
    return f"{valid_from} to {valid_to or 'open end'}"


def _overlap(a: tuple[dt.date, dt.date | None], b: tuple[dt.date, dt.date | None]) -> bool:
    return a[0] <= (b[1] or dt.date.max) and b[0] <= (a[1] or dt.date.max)


def _once(book: ListSheet, found: Sequence[ListEntry], problems: list[Problem]) -> list[ListEntry]:
    """Each qualification once (identical repeats are taken once); a problem for a repeat that differs, for one
    credit code under two names, and for a number given to two enterprises, with two validity periods, or two
    numbers of one enterprise from the same day."""
    entries: dict[tuple[str, str], ListEntry] = {}
    names: dict[str, ListEntry] = {}
    numbers: dict[str, ListEntry] = {}
    starts: dict[tuple[str, dt.date], ListEntry] = {}
    for entry in found:
        who = entry.credit_code or repr(entry.name)
        if entry.credit_code and entry.name:
            named = names.setdefault(entry.credit_code, entry)
            if normalise_name(named.name) != normalise_name(entry.name):
                problems.append(book.problem(entry.row, "name", f"credit code {entry.credit_code} appears twice with "
                                             f"different names: row {named.row} '{named.name}', row {entry.row} "
                                             f"'{entry.name}'"))
                continue
        first = entries.setdefault(_identity(entry), entry)
        if entry.number:
            holder = numbers.setdefault(entry.number, entry)
            same_day = starts.setdefault((_identity(entry)[0], entry.valid_from), entry)
            if holder.credit_code != entry.credit_code:
                problems.append(book.problem(entry.row, "number", f"certificate number {entry.number} is given to "
                                             f"{holder.credit_code or repr(holder.name)} in row {holder.row} and to "
                                             f"{who} in row {entry.row}"))
                continue
            if same_day.number != entry.number:
                problems.append(book.problem(entry.row, "number", f"{who} has two numbers valid from "
                                             f"{entry.valid_from}: {same_day.number} in row {same_day.row} and "
                                             f"{entry.number} in row {entry.row}"))
                continue
        if first is entry or (first.valid_from, first.valid_to) == (entry.valid_from, entry.valid_to):
            continue
        if entry.number:
            what = ("overlapping validity periods" if _overlap((first.valid_from, first.valid_to),
                                                              (entry.valid_from, entry.valid_to))
                    else "two validity periods")
            problems.append(book.problem(entry.row, "issued" if book.has("issued") else "number",
                                         f"certificate {entry.number} has {what}: row {first.row} "
                                         f"{_period(first.valid_from, first.valid_to)}, row {entry.row} "
                                         f"{_period(entry.valid_from, entry.valid_to)}"))
        else:
            problems.append(book.problem(entry.row, "valid_to", f"{who} appears twice with different validity: "
                                         f"row {first.row} {_period(first.valid_from, first.valid_to)}, row "
                                         f"{entry.row} {_period(entry.valid_from, entry.valid_to)}"))
    return list(entries.values())


def _entry(book: ListSheet, line: ListRow, code: str, kind: QualificationKind, spec: ListSpec, year: int | None,
           today: dt.date, problems: list[Problem]) -> ListEntry | None:
    cells, n = line.cells, line.row
    name = cells.get("name", "")
    if not cells.get("credit_code") and not name:
        problems.append(book.problem(n, "credit_code" if book.has("credit_code") else "name",
                                     "neither a credit code nor a name"))
    number = _number(book, line, spec, problems)
    issued = cell_date(book, line, "issued", today, problems)
    valid_to = cell_date(book, line, "valid_to", None, problems)
    if spec.date_required and issued is None and not problems:
        problems.append(book.problem(n, "issued", f"no issue date ({kind.name_zh} is valid from it)"))
    number_year = int(part) if (part := _number_part(spec, number, "year")) else None
    if issued is not None and number_year is not None and issued.year != number_year:
        problems.append(book.problem(n, "number", f"number {number} is of {number_year} but the issue date is "
                                                  f"{issued}"))
    chosen_year = year or (issued.year if issued else None) or number_year
    if problems:
        return None
    if chosen_year is None:
        problems.append(book.problem(n, "issued", "no issue date and no year in the number: give --year"))
        return None
    valid_from, default_to = _validity(spec, kind.validity_years, issued, chosen_year)
    if valid_to is not None and valid_to < valid_from:
        problems.append(book.problem(n, "valid_to", f"valid to {valid_to} is before valid from {valid_from}"))
        return None
    return ListEntry(n, code, name, number, valid_from, valid_to or default_to)


def _number(book: ListSheet, line: ListRow, spec: ListSpec, problems: list[Problem]) -> str:
    number = normalise_code(line.cells.get("number", ""))
    if not number:
        if spec.number_required:
            problems.append(book.problem(line.row, "number", "no certificate / registration number"))
        return ""
    if len(number) > _DETAIL_LENGTH or (spec.number is not None and not spec.number.match(number)):
        pattern = spec.number.pattern if spec.number is not None else f"at most {_DETAIL_LENGTH} characters"
        problems.append(book.problem(line.row, "number", f"'{number}' is not a number of the form {pattern}"))
    return number


def _number_part(spec: ListSpec, number: str, part: str) -> str | None:
    """A named part of a certificate / registration number (its ``year``, its ``province``), if it has one."""
    match = spec.number.match(number) if spec.number is not None and number else None
    return match[part] if match and part in match.groupdict() else None


def _validity(spec: ListSpec, years: int | None, issued: dt.date | None, year: int) -> tuple[dt.date, dt.date | None]:
    """(valid from, valid to): ``years`` from the issue date, or calendar years from 1 January of ``year``."""
    if years is None:
        return issued or dt.date(year, 1, 1), None
    if spec.validity == "from_issue" and issued is not None:
        return issued, _add_years(issued, years) - dt.timedelta(days=1)
    return dt.date(year, 1, 1), dt.date(year + years - 1, 12, 31)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# ---- matching and storing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Registered:
    id: int
    credit_code: str
    name: str
    zone_code: str
    province_code: str


def _in_scope(session: Session, principal: Principal, codes: Sequence[str] | None) -> list[_Registered]:
    """Registered enterprises the user may record qualifications for: those of ``codes``, or all (None)."""
    provinces = zone_provinces(session)
    query = select(Enterprise.id, Enterprise.credit_code, Enterprise.name, Enterprise.zone_code)
    chunks = [query] if codes is None else [query.where(Enterprise.credit_code.in_(codes[i:i + _CHUNK]))
                                             for i in range(0, len(codes), _CHUNK)]
    return [_Registered(i, code, name, zone, provinces.get(zone, "")) for chunk in chunks
            for i, code, name, zone in session.execute(chunk) if can_register(principal, zone, provinces.get(zone, ""))]


def _match(session: Session, book: ListSheet, entries: Sequence[ListEntry], principal: Principal, spec: ListSpec,
           result: ListImport) -> list[tuple[_Registered, ListEntry]]:
    """Entries whose credit code is registered in scope under the same name (and, for a number naming the
    province that issued it, in that province); the rest into ``result.review``."""
    scope = "" if principal.is_national else " in your scope"
    registered = {e.credit_code: e for e in _in_scope(session, principal, [e.credit_code for e in entries
                                                                            if e.credit_code])}
    named = [e for e in entries if not e.credit_code]
    by_name: dict[str, list[_Registered]] = {}
    for enterprise in _in_scope(session, principal, None) if named else []:
        by_name.setdefault(normalise_name(enterprise.name), []).append(enterprise)
    matched = []
    for entry in sorted(entries, key=lambda e: e.row):
        if not entry.credit_code:
            result.review.append(_proposal(book, entry, by_name.get(normalise_name(entry.name), []), scope))
            continue
        found = registered.get(entry.credit_code)
        if found is None:
            result.review.append(ReviewItem(book.where(entry.row, "credit_code"), entry.credit_code, entry.name,
                                            f"no enterprise is registered under {entry.credit_code}{scope}",
                                            row=entry.row))
        elif entry.name and normalise_name(entry.name) != normalise_name(found.name):
            result.review.append(ReviewItem(
                book.where(entry.row, "name"), entry.credit_code, entry.name,
                f"name '{entry.name}' does not match '{found.name}' registered under {entry.credit_code}",
                registered_name=found.name, row=entry.row))
        elif (issued_in := _number_part(spec, entry.number, "province")) not in (None, found.province_code):
            result.review.append(ReviewItem(
                book.where(entry.row, "number"), entry.credit_code, entry.name,
                f"number {entry.number} was issued in province {issued_in} but {entry.credit_code} is registered in "
                f"zone {found.zone_code} of province {found.province_code}", registered_name=found.name, row=entry.row))
        else:
            matched.append((found, entry))
    return matched


def _proposal(book: ListSheet, entry: ListEntry, candidates: list[_Registered], scope: str) -> ReviewItem:
    where = book.where(entry.row, "credit_code" if book.has("credit_code") else "name")
    if len(candidates) == 1:
        return ReviewItem(where, "", entry.name, "no credit code; one registered enterprise has this name",
                          candidates[0].credit_code, candidates[0].name, entry.row)
    reason = (f"no credit code, and {len(candidates)} registered enterprises{scope} have this name" if candidates
              else f"no credit code, and no registered enterprise{scope} has this name")
    return ReviewItem(where, "", entry.name, reason, row=entry.row)


def _store(session: Session, book: ListSheet, principal: Principal, kind: QualificationKind,
           matched: Sequence[tuple[_Registered, ListEntry]], result: ListImport) -> None:
    """Each matched entry inserted, updated (its end, or the number of one held without a number) or unchanged,
    found by its identity; a ListRefused for a number that is another enterprise's, a certificate stored with
    another validity, or a second number of an enterprise from the same day."""
    ids = [enterprise.id for enterprise, _ in matched]
    by_number: dict[tuple[int, str], Qualification] = {}
    by_start: dict[tuple[int, dt.date], list[Qualification]] = {}
    for i in range(0, len(ids), _CHUNK):
        for q in session.scalars(select(Qualification).where(Qualification.kind == kind.code,
                                                             Qualification.enterprise_id.in_(ids[i:i + _CHUNK]))):
            if q.detail:
                by_number[(q.enterprise_id, q.detail)] = q
            by_start.setdefault((q.enterprise_id, q.valid_from), []).append(q)
    holders = _number_holders(session, principal, kind, sorted({e.number for _, e in matched if e.number}))
    problems: list[Problem] = []
    new: list[tuple[int, str, dt.date, dt.date | None, str | None]] = []
    for enterprise, entry in matched:
        holder = holders.get(entry.number)
        if holder is not None and holder[0] != enterprise.id:
            problems.append(book.problem(entry.row, "number", f"certificate number {entry.number} is already "
                                         f"recorded for {holder[1]}, not for {entry.credit_code}"))
            continue
        current, problem = _held(book, entry, enterprise.id, by_number, by_start)
        if problem is not None:
            problems.append(problem)
            continue
        detail = entry.number or (current.detail if current is not None else None)  # a list without numbers keeps it
        if current is None:
            new.append((enterprise.id, kind.code, entry.valid_from, entry.valid_to, detail))
            result.stored.append(entry.credit_code)
        elif (current.valid_to, current.detail) != (entry.valid_to, detail):
            current.valid_to, current.detail = entry.valid_to, detail
            result.updated.append(entry.credit_code)
        else:
            result.unchanged.append(entry.credit_code)
    if problems:
        raise ListRefused(problems)
    bulk_insert(session.connection(), Qualification.__tablename__,
                ("enterprise_id", "kind", "valid_from", "valid_to", "detail"), new)


def _held(book: ListSheet, entry: ListEntry, enterprise_id: int, by_number: dict[tuple[int, str], Qualification],
          by_start: dict[tuple[int, dt.date], list[Qualification]]) -> tuple[Qualification | None, Problem | None]:
    """The stored qualification ``entry`` names (None: a new one), or the problem that it contradicts one."""
    same_day = by_start.get((enterprise_id, entry.valid_from), [])
    if not entry.number:
        return (same_day[0] if same_day else None), None
    current = by_number.get((enterprise_id, entry.number))
    if current is not None and current.valid_from != entry.valid_from:
        stored, given = (current.valid_from, current.valid_to), (entry.valid_from, entry.valid_to)
        what = "overlapping validity periods" if _overlap(stored, given) else "two validity periods"
        return None, book.problem(entry.row, "issued" if book.has("issued") else "number",
                                  f"certificate {entry.number} would have {what}: stored {_period(*stored)}, this row "
                                  f"{_period(*given)}")
    if current is None:
        current = next((q for q in same_day if not q.detail), None)  # held without a number: it gets this one
        if current is None and same_day:
            return None, book.problem(entry.row, "number", f"{entry.credit_code} already holds number "
                                      f"{same_day[0].detail} valid from {entry.valid_from}, not {entry.number}")
    return current, None


def _number_holders(session: Session, principal: Principal, kind: QualificationKind,
                    numbers: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Number -> (enterprise id, how to name it to this user: its credit code when in the user's scope)."""
    provinces = zone_provinces(session)
    query = (select(Qualification.detail, Enterprise.id, Enterprise.credit_code, Enterprise.zone_code)
             .join(Enterprise, Enterprise.id == Qualification.enterprise_id).where(Qualification.kind == kind.code))
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(numbers), _CHUNK):
        for number, enterprise_id, code, zone in session.execute(
                query.where(Qualification.detail.in_(numbers[i:i + _CHUNK]))):
            seen = can_register(principal, zone, provinces.get(zone, ""))
            found[str(number)] = (enterprise_id, code if seen else "an enterprise outside your scope")
    return found
