"""The registry of carriers (众创空间, 孵化器, 加速器, 大学科技园), their level history, the enterprises they incubate.

Three lists, read by intake's readers with the labels of catalog ``incubation/carriers-2018.yaml``: carriers,
level events (the published lists of recognitions, re-examinations and revocations) and incubatees. One
transaction per file: every row stored, or the file refused with every problem named (file, row, column,
reason) and nothing stored. A carrier that claims a level must hold it: recognised in the same row (its date)
or in the stored history, not revoked since. An enterprise is incubated by one carrier at a time: each stay
is checked against every stored stay of that enterprise and every other row of the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, bindparam, func, select, update

from hizone.auth.policy import Principal, can_register_carrier
from hizone.catalog import read_yaml
from hizone.errors import RegistryError
from hizone.incubation.columns import (
    NO_DAY,
    day_number,
    day_of,
    duplicates,
    group_ids,
    list_rows,
    months_between,
    overlapping,
    per_distinct,
    text_column,
)
from hizone.incubation.engine import held_levels
from hizone.intake.codes import credit_code_problems
from hizone.intake.readers import Source, read_source
from hizone.registry.credit_code import validate_credit_code
from hizone.registry.sheets import (
    ListRefused,
    ListRow,
    ListSheet,
    Problem,
    Reader,
    cell_date,
    normalise_code,
    parse_date,
    read_list,
)
from hizone.store import session_scope
from hizone.store.bulk import bulk_insert, insert_columns
from hizone.store.models import Base, Carrier, CarrierLevel, Incubatee, Zone

COLUMNS = Path(__file__).parents[1] / "catalog" / "data" / "incubation" / "carriers-2018.yaml"
SHOWN_WARNINGS = 200
_CHUNK = 5000  # keys per IN (…) query, well under SQLite's 32,766 parameters
_TEXT = {"carrier_name": 128, "field": 64, "operator": 128, "address": 256, "document": 128, "name": 128}


@dataclass(frozen=True)
class Vocabulary:
    """Kinds and the levels each may hold, level events and graduation criteria, each by every spelling."""

    kinds: dict[str, tuple[str, ...]]
    events: dict[str, str]
    criteria: dict[str, str]
    focus: tuple[str, ...]
    months: int


@cache
def vocabulary(path: Path = COLUMNS) -> Vocabulary:
    doc = read_yaml(path)
    return Vocabulary(
        kinds={kind: tuple(spec["levels"]) for kind, spec in doc["kinds"].items()},
        events={_word(s): event for event, spellings in doc["events"].items() for s in spellings},
        criteria={_word(s): code for code, spellings in doc["criteria"].items() for s in spellings},
        focus=tuple(doc["focus"]), months=int(doc["incubation_months"]))


def _word(text: str) -> str:
    return normalise_code(text).casefold()


@dataclass
class ListImport:
    """What one file did."""

    source_name: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    overdue: int = 0  # stays in incubation beyond the limit (the first SHOWN_WARNINGS of them in ``warnings``)
    warnings: list[Problem] = field(default_factory=list)

    def describe(self, limit: int = 50) -> list[str]:
        lines = [f"{self.source_name}: {self.added} added, {self.updated} updated, {self.unchanged} unchanged"
                 + (f"; {self.overdue} in incubation beyond {vocabulary().months} months" if self.overdue else "")]
        lines += [f"warning: {w}" for w in self.warnings[:limit]]
        if len(self.warnings) > limit:
            lines.append(f"… and {max(len(self.warnings), self.overdue) - limit} more warning(s)")
        return lines


def _text(book: ListSheet, line: ListRow, column: str, problems: list[Problem], *, required: bool = False) -> str:
    value = line.cells.get(column, "")
    if required and not value:
        problems.append(book.problem(line.row, column, f"empty {column}"))
    elif column in _TEXT and len(value) > _TEXT[column]:
        problems.append(book.problem(line.row, column, f"{len(value)} characters, at most {_TEXT[column]}"))
    return value


def _number(book: ListSheet, line: ListRow, column: str, bounds: tuple[float, float],
            problems: list[Problem]) -> float | None:
    text = line.cells.get(column, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(book.problem(line.row, column, f"'{text}' is not a number"))
        return None
    if not bounds[0] <= value <= bounds[1]:
        problems.append(book.problem(line.row, column, f"{value:g} is outside {bounds[0]:g}–{bounds[1]:g}"))
        return None
    return value


def _where_in(conn: Connection, sql: str, values: Sequence[Any]) -> list[Any]:
    """Rows of ``sql`` (ending in ``IN``) for each chunk of distinct ``values``, through the driver: SQLAlchemy's
    expanding IN compiles 5,000 parameters in ~0.1 s a chunk, the driver binds them for nothing."""
    unique = sorted(set(values))
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    out: list[Any] = []
    for i in range(0, len(unique), _CHUNK):
        chunk = tuple(unique[i:i + _CHUNK])
        out += conn.exec_driver_sql(f"{sql} ({', '.join([mark] * len(chunk))})", chunk).all()
    return out


def _carriers_by_code(conn: Connection, codes: Sequence[str]) -> dict[str, Any]:
    """The stored carriers (rows of table carrier) with these codes."""
    found: dict[str, Any] = {}
    unique = sorted(set(codes))
    if not unique:
        return found
    (stored,) = conn.execute(select(func.count()).select_from(Carrier)).one()
    if len(unique) * 4 >= stored:  # a national list names most carriers: one read, no 5,000-key IN (…) compiled
        wanted = set(unique)
        return {r.code: r for r in conn.execute(select(Carrier.__table__)) if r.code in wanted}
    for i in range(0, len(unique), _CHUNK):
        rows = conn.execute(select(Carrier.__table__).where(Carrier.code.in_(unique[i:i + _CHUNK])))
        found.update({r.code: r for r in rows})
    return found


def _history(conn: Connection, carrier_ids: Sequence[int]) -> dict[int, list[tuple[str, str, dt.date]]]:
    out: dict[int, list[tuple[str, str, dt.date]]] = {}
    unique = sorted(set(carrier_ids))
    for i in range(0, len(unique), _CHUNK):
        rows = conn.execute(select(CarrierLevel.carrier_id, CarrierLevel.level, CarrierLevel.event, CarrierLevel.day)
                            .where(CarrierLevel.carrier_id.in_(unique[i:i + _CHUNK])))
        for carrier_id, level, event, on in rows:
            out.setdefault(carrier_id, []).append((level, event, on))
    return out


# --- carriers ------------------------------------------------------------------------------------------------

_CARRIER_FIELDS = ("name", "kind", "focus", "field", "operator", "address", "longitude", "latitude", "zone_code",
                   "province_code", "founded_year")


def import_carriers(engine: Engine, source: Source, principal: Principal, *, name: str | None = None,
                    sheet: str | None = None, read: Reader = read_source, today: dt.date | None = None,
                    ) -> ListImport:
    """Register or update the carriers of a list; a row's ``level`` with a date records its recognition, a
    level without one must be held already. A ListRefused names every problem; nothing is then stored."""
    today = today or dt.date.today()
    book = read_list(source, ("carrier_code", "carrier_name", "kind"), name=name, sheet=sheet, read=read,
                     columns=COLUMNS)
    problems: list[Problem] = []
    with session_scope(engine) as session:
        conn = session.connection()
        zones = {z.code: z.province_code for z in conn.execute(select(Zone.code, Zone.province_code))}
        provinces = set(zones.values()) | {p for (p,) in conn.exec_driver_sql("SELECT code FROM province")}
        rows: dict[str, tuple[int, dict[str, Any], tuple[str, dt.date | None, str | None] | None]] = {}
        for line in book.rows():
            parsed = _carrier_row(book, line, zones, provinces, today, problems)
            if parsed is None:
                continue
            code, values, claim = parsed
            if code in rows:
                problems.append(book.problem(line.row, "carrier_code", f"carrier {code} appears twice (first in row "
                                                                       f"{rows[code][0]})"))
                continue
            if not can_register_carrier(principal, values["zone_code"] or "", values["province_code"]):
                problems.append(book.problem(line.row, "zone_code", f"{principal.username} may not register "
                                                                    f"carriers in zone {values['zone_code'] or '-'} "
                                                                    f"of province {values['province_code']}"))
                continue
            rows[code] = (line.row, values, claim)
        known = _carriers_by_code(conn, list(rows))
        history = _history(conn, [c.id for c in known.values()])
        for code, (row, _, claim) in rows.items():
            if claim and claim[1] is None:
                carrier = known.get(code)
                held = held_levels(history.get(carrier.id, []), today) if carrier else set()
                if claim[0] not in held:
                    problems.append(book.problem(row, "level", f"carrier {code} claims level {claim[0]} it does not "
                                                               "hold (no recognition on record or revoked since; "
                                                               "give the recognition date in the date column)"))
        if problems:
            raise ListRefused(problems)
        return _store_carriers(conn, book, rows, known, history)


def _carrier_row(book: ListSheet, line: ListRow, zones: dict[str, str], provinces: set[str], today: dt.date,
                 problems: list[Problem],
                 ) -> tuple[str, dict[str, Any], tuple[str, dt.date | None, str | None] | None] | None:
    """One carrier row checked on its own: (code, values, level claim) or None with its problems recorded."""
    vocab = vocabulary()
    before = len(problems)
    n = line.row
    code = normalise_code(line.cells.get("carrier_code", ""))
    if not code or len(code) > 32:
        problems.append(book.problem(n, "carrier_code", "more than 32 characters" if code else "empty carrier code"))
    title = _text(book, line, "carrier_name", problems, required=True)
    kind = line.cells.get("kind", "")
    if kind not in vocab.kinds:
        problems.append(book.problem(n, "kind", f"unknown kind '{kind}' (one of {', '.join(vocab.kinds)})"))
    focus = line.cells.get("focus", "") or vocab.focus[0]
    if focus not in vocab.focus:
        problems.append(book.problem(n, "focus", f"'{focus}' is not one of {', '.join(vocab.focus)}"))
    speciality = _text(book, line, "field", problems, required=focus == "专业") or None
    zone = normalise_code(line.cells.get("zone_code", "")) or None
    province = normalise_code(line.cells.get("province_code", ""))
    if zone and zone not in zones:
        problems.append(book.problem(n, "zone_code", f"unknown zone {zone}"))
    elif zone and province and zones[zone] != province:
        problems.append(book.problem(n, "province_code", f"zone {zone} lies in province {zones[zone]}, not {province}"))
    province = zones.get(zone or "", province)
    if zone and zone not in zones:
        pass  # named above; its province cannot be told
    elif not province:
        problems.append(book.problem(n, "province_code", "a carrier outside any zone needs its province code"))
    elif province not in provinces:
        problems.append(book.problem(n, "province_code", f"unknown province {province}"))
    year = _number(book, line, "founded_year", (1980, today.year), problems)
    values = {"name": title, "kind": kind, "focus": focus, "field": speciality,
              "operator": _text(book, line, "operator", problems) or None,
              "address": _text(book, line, "address", problems) or None,
              "longitude": _number(book, line, "longitude", (73.0, 136.0), problems),
              "latitude": _number(book, line, "latitude", (3.0, 54.0), problems),
              "zone_code": zone, "province_code": province, "founded_year": None if year is None else int(year)}
    claim = None
    level = line.cells.get("level", "")
    if level:
        if kind in vocab.kinds and level not in vocab.kinds[kind]:
            problems.append(book.problem(n, "level", f"a {kind} holds no level {level} (one of "
                                                     f"{', '.join(vocab.kinds[kind])})"))
        claim = (level, cell_date(book, line, "day", today, problems),
                 _text(book, line, "document", problems) or None)
    return None if len(problems) > before else (code, values, claim)


def _store_carriers(conn: Connection, book: ListSheet,
                    rows: dict[str, tuple[int, dict[str, Any], tuple[str, dt.date | None, str | None] | None]],
                    known: dict[str, Any], history: dict[int, list[tuple[str, str, dt.date]]]) -> ListImport:
    outcome = ListImport(book.name)
    new = [(code, *(values[f] for f in _CARRIER_FIELDS), book.name, False)
           for code, (_, values, _) in rows.items() if code not in known]
    outcome.added = bulk_insert(conn, "carrier", ("code", *_CARRIER_FIELDS, "source", "synthetic"), new)
    changed = [{"b_id": known[code].id, **{f"b_{f}": values[f] for f in _CARRIER_FIELDS}}
               for code, (_, values, _) in rows.items()
               if code in known and any(getattr(known[code], f) != values[f] for f in _CARRIER_FIELDS)]
    if changed:
        conn.execute(update(Carrier).where(Carrier.id == bindparam("b_id"))
                     .values({f: bindparam(f"b_{f}") for f in _CARRIER_FIELDS}), changed)
    outcome.updated = len(changed)
    outcome.unchanged = len(rows) - outcome.added - outcome.updated
    ids = {c.code: c.id for c in _carriers_by_code(conn, [c for c, (_, _, claim) in rows.items() if claim])
           .values()}
    events = [(ids[code], claim[0], "recognised", claim[1], claim[2], book.name)
              for code, (_, _, claim) in rows.items()
              if claim and claim[1] is not None
              and (claim[0], "recognised", claim[1]) not in history.get(ids[code], [])]
    bulk_insert(conn, "carrier_level", ("carrier_id", "level", "event", "day", "document", "source"), events)
    return outcome


# --- level events --------------------------------------------------------------------------------------------

def import_levels(engine: Engine, source: Source, principal: Principal, *, name: str | None = None,
                  sheet: str | None = None, read: Reader = read_source, today: dt.date | None = None,
                  ) -> ListImport:
    """Record the level events of a published list (carrier code, level, event, date, document): a
    re-examination or revocation of a level the carrier held on that day, a recognition of a level its kind
    can hold. A ListRefused names every problem; nothing is then stored."""
    today = today or dt.date.today()
    vocab = vocabulary()
    book = read_list(source, ("carrier_code", "level", "event", "day"), name=name, sheet=sheet, read=read,
                     columns=COLUMNS)
    problems: list[Problem] = []
    lines = list(book.rows())
    with session_scope(engine) as session:
        conn = session.connection()
        known = _carriers_by_code(conn, [normalise_code(line.cells.get("carrier_code", "")) for line in lines])
        history = _history(conn, [c.id for c in known.values()])
        events: list[tuple[int, str, str, dt.date, str | None, str]] = []
        outcome = ListImport(book.name)
        for line in lines:
            code = normalise_code(line.cells.get("carrier_code", ""))
            carrier = known.get(code)
            before = len(problems)
            if carrier is None:
                problems.append(book.problem(line.row, "carrier_code", f"unknown carrier {code or '(empty)'}"))
            elif not can_register_carrier(principal, carrier.zone_code or "", carrier.province_code):
                problems.append(book.problem(line.row, "carrier_code", f"{principal.username} may not record "
                                                                       f"levels of carrier {code}"))
            level, event = line.cells.get("level", ""), vocab.events.get(_word(line.cells.get("event", "")))
            if event is None:
                problems.append(book.problem(line.row, "event", f"unknown event '{line.cells.get('event', '')}' "
                                                                "(认定/备案, 复核, 撤销)"))
            if carrier is not None and level not in vocab.kinds[carrier.kind]:
                problems.append(book.problem(line.row, "level", f"a {carrier.kind} holds no level '{level}'"))
            day = cell_date(book, line, "day", today, problems)
            document = _text(book, line, "document", problems) or None
            if len(problems) > before or carrier is None or event is None or day is None:
                continue
            past = history.setdefault(carrier.id, [])
            if (level, event, day) in past:
                outcome.unchanged += 1
                continue
            if event != "recognised" and level not in held_levels(past, day):
                verb = "revoke" if event == "revoked" else "re-examine"
                problems.append(book.problem(line.row, "level", f"carrier {code} did not hold {level} on {day}: "
                                                                f"nothing to {verb}"))
                continue
            past.append((level, event, day))  # later rows of the file see this one
            events.append((carrier.id, level, event, day, document, book.name))
        if problems:
            raise ListRefused(problems)
        outcome.added = bulk_insert(conn, "carrier_level", ("carrier_id", "level", "event", "day", "document",
                                                            "source"), events)
        return outcome


# --- incubatees ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StayRow:
    row: int
    carrier_id: int
    carrier_code: str
    credit_code: str
    name: str | None
    entry: dt.date
    field: str | None
    graduated: dt.date | None
    criterion: str | None


def import_incubatees(engine: Engine, source: Source, principal: Principal, *, name: str | None = None,
                      sheet: str | None = None, read: Reader = read_source, today: dt.date | None = None,
                      ) -> ListImport:
    """Record the enterprises a list says each carrier incubates (a stay is keyed by carrier, credit code and
    entry date; a later list adds the graduation). Problems refuse the file; a stay beyond 48 months without
    graduation is a warning.

    The list is checked column by column (see columns.py); a row the columns cannot vouch for goes through
    the row-at-a-time checks of ``_stay_row``, which name its problems."""
    today = today or dt.date.today()
    book = read_list(source, ("carrier_code", "credit_code", "entry"), name=name, sheet=sheet, read=read,
                     columns=COLUMNS)
    problems: list[Problem] = []
    cells = {c: text_column(book, c) for c in _STAY_COLUMNS}
    numbers = np.asarray(book.raw.row_numbers, dtype=np.int64)
    codes = _credit_code_column(book, cells["credit_code"], numbers, problems)
    with session_scope(engine) as session:
        conn = session.connection()
        spelled, carrier_of = per_distinct(cells["carrier_code"], _carrier_code)
        carriers = _carriers_by_code(conn, spelled)
        allowed = {code: can_register_carrier(principal, c.zone_code or "", c.province_code)
                   for code, c in carriers.items()}
        stays = _StayColumns.checked(book, cells, codes, spelled, carrier_of, carriers, allowed, today)
        for i, line in zip(stays.doubtful, list_rows(book, cells, stays.doubtful), strict=True):
            row = _stay_row(book, line, str(codes[i]), carriers, today, problems)
            if row is None:
                continue
            if not allowed[row.carrier_code]:
                problems.append(book.problem(line.row, "carrier_code", f"{principal.username} may not record the "
                                                                       f"incubatees of carrier {row.carrier_code}"))
                continue
            stays.accept(int(i), row)
        stays = stays.valid(numbers)
        stored = _stored_stay_columns(conn, stays.code.tolist())
        enterprise = _enterprise_numbers(np.concatenate([stays.code, stored["credit_code"]]))
        match = stays.against(stored, enterprise)
        problems += _column_overlaps(book, stays, stored, enterprise, match, conn)
        if problems:
            raise ListRefused(problems)
        outcome = _store_stay_columns(conn, book, stays, stored, match)
    limit = vocabulary().months
    months = months_between(stays.entry, today)
    overdue = np.flatnonzero((stays.graduated == NO_DAY) & (months > limit))
    outcome.overdue = len(overdue)
    outcome.warnings = [book.problem(int(stays.row[i]), "entry", f"{stays.code[i]} in incubation for "
                                                                 f"{months[i]} months, more than {limit}")
                        for i in overdue[:SHOWN_WARNINGS]]  # the rest counted: the pages list them all
    return outcome


_STAY_COLUMNS = ("carrier_code", "credit_code", "entry", "graduated", "criterion", "name", "field")
_BLANK, _GOOD, _BAD = 0, 1, 2  # a date cell: empty, a day not in the future, anything else


def _credit_code_column(book: ListSheet, texts: pa.Array, numbers: npt.NDArray[np.int64],
                        problems: list[Problem]) -> npt.NDArray[np.object_]:
    """checked_credit_codes(required=True) over a column: a cell of upper-case letters and digits only is its
    own normal form (NFKC, no spaces, upper case), the rest go through normalise_code one by one."""
    codes = np.asarray(texts.to_numpy(zero_copy_only=False), dtype=object)
    plain = np.asarray(pc.match_substring_regex(texts, r"^[0-9A-Z]*$"), dtype=bool)
    for i in np.flatnonzero(~plain):
        codes[i] = normalise_code(codes[i])
    checks, _ = credit_code_problems(codes.astype(str))
    for i in np.flatnonzero(checks):
        try:
            validate_credit_code(codes[i])  # for its message: the column check said what is wrong, not how
        except RegistryError as error:
            problems.append(book.problem(int(numbers[i]), "credit_code", error.reason))
            codes[i] = ""
    return codes


def _cell_day(today: dt.date) -> Any:
    def day(text: str) -> tuple[int, int]:
        if not text:
            return NO_DAY, _BLANK
        try:
            parsed = parse_date(text)
        except ValueError:
            return NO_DAY, _BAD
        return day_number(parsed), _GOOD if parsed <= today else _BAD
    return day


@dataclass
class _StayColumns:
    """The stays of a list as columns, one entry a row; ``doubtful`` rows go through ``_stay_row``."""

    position: npt.NDArray[np.int64]  # 0-based data row
    row: npt.NDArray[np.int64]  # the file's row
    carrier_id: npt.NDArray[np.int64]
    carrier_code: npt.NDArray[np.object_]
    code: npt.NDArray[np.object_]
    entry: npt.NDArray[np.int64]
    graduated: npt.NDArray[np.int64]  # NO_DAY while in incubation
    criterion: npt.NDArray[np.object_]
    name: npt.NDArray[np.object_]
    field: npt.NDArray[np.object_]
    good: npt.NDArray[np.bool_]
    doubtful: npt.NDArray[np.int64]

    @classmethod
    def checked(cls, book: ListSheet, cells: dict[str, pa.Array], codes: npt.NDArray[np.object_],
                spelled: list[str], carrier_of: npt.NDArray[np.int64], carriers: dict[str, Any],
                allowed: dict[str, bool], today: dt.date) -> _StayColumns:
        """Every row's values; ``good`` where the row passes every check of ``_stay_row`` and the permission
        check (then its values are the ones ``_stay_row`` would give), else it is ``doubtful``."""
        vocab = vocabulary()
        count = len(codes)
        known = np.array([allowed.get(c, False) for c in spelled], dtype=bool)[carrier_of]
        ids = np.array([carriers[c].id if c in carriers else -1 for c in spelled], dtype=np.int64)[carrier_of]
        days, entry_of = per_distinct(cells["entry"], _cell_day(today))
        entry = np.array([d for d, _ in days], dtype=np.int64)[entry_of]
        entry_state = np.array([s for _, s in days], dtype=np.int8)[entry_of]
        days, graduated_of = per_distinct(cells["graduated"], _cell_day(today))
        graduated = np.array([d for d, _ in days], dtype=np.int64)[graduated_of]
        graduated_state = np.array([s for _, s in days], dtype=np.int8)[graduated_of]
        words, criterion_of = per_distinct(cells["criterion"], lambda w: (vocab.criteria.get(_word(w)) if w else None,
                                                                          bool(w)))
        criterion = np.array([c for c, _ in words] or [None], dtype=object)[criterion_of] if count else \
            np.zeros(0, dtype=object)
        named = np.array([w for _, w in words], dtype=bool)[criterion_of]
        known_criterion = criterion != None  # noqa: E711 (element-wise)
        fits = np.ones(count, dtype=bool)
        for column in ("name", "field"):
            fits &= np.asarray(pc.fill_null(pc.less_equal(pc.utf8_length(cells[column]), _TEXT[column]), True),
                               dtype=bool)
        good = ((codes != "") & known & (entry_state == _GOOD) & fits
                & (((graduated_state == _BLANK) & ~named)
                   | ((graduated_state == _GOOD) & known_criterion & (graduated >= entry))))
        return cls(np.arange(count, dtype=np.int64), np.zeros(count, dtype=np.int64), ids,
                   np.array(spelled or [""], dtype=object)[carrier_of] if count else np.zeros(0, dtype=object),
                   codes, entry, graduated, criterion, _or_none(cells["name"]), _or_none(cells["field"]), good,
                   np.flatnonzero(~good))

    def accept(self, i: int, row: StayRow) -> None:
        """A doubtful row that ``_stay_row`` found good, with its values."""
        self.good[i] = True
        self.carrier_id[i], self.carrier_code[i], self.code[i] = row.carrier_id, row.carrier_code, row.credit_code
        self.entry[i] = day_number(row.entry)
        self.graduated[i] = NO_DAY if row.graduated is None else day_number(row.graduated)
        self.criterion[i], self.name[i], self.field[i] = row.criterion, row.name, row.field

    def valid(self, numbers: npt.NDArray[np.int64]) -> _StayColumns:
        """The good rows only, in file order, with their file rows."""
        keep = np.flatnonzero(self.good)
        return _StayColumns(keep, numbers[keep], self.carrier_id[keep], self.carrier_code[keep], self.code[keep],
                            self.entry[keep], self.graduated[keep], self.criterion[keep], self.name[keep],
                            self.field[keep], self.good[keep], np.zeros(0, dtype=np.int64))

    def against(self, stored: dict[str, npt.NDArray[Any]], enterprise: npt.NDArray[np.int64],
                ) -> npt.NDArray[np.int64]:
        """Per stay, the position of the stored stay with its key (carrier, credit code, entry), or -1;
        ``enterprise`` numbers the credit codes of the stays, then of the stored ones."""
        if not len(stored["id"]):
            return np.full(len(self.code), -1, dtype=np.int64)
        groups = group_ids(np.concatenate([self.carrier_id, stored["carrier_id"]]),
                           enterprise,
                           np.concatenate([self.entry, stored["entry"]]))
        of_group = np.full(int(groups.max()) + 1, -1, dtype=np.int64)
        of_group[groups[len(self.code):]] = np.arange(len(stored["id"]))
        return of_group[groups[:len(self.code)]]


def _or_none(texts: pa.Array) -> npt.NDArray[np.object_]:
    """Text cells with None for a blank (the stored NULL)."""
    return np.array([v or None for v in texts.to_pylist()] or [None], dtype=object)[:len(texts)]


def _enterprise_numbers(codes: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    """One number per distinct credit code (Arrow's hashing: ten times np.unique's sort of Python strings)."""
    return np.asarray(pc.dictionary_encode(pa.array(codes, pa.string())).indices, dtype=np.int64)


def _column_overlaps(book: ListSheet, stays: _StayColumns, stored: dict[str, npt.NDArray[Any]],
                     enterprise: npt.NDArray[np.int64], match: npt.NDArray[np.int64],
                     conn: Connection) -> list[Problem]:
    """A stay entered twice in the file, then every pair of stays of one enterprise that overlap, the file's
    stays (each replacing its stored one) with the other stored ones; a stored stay named by its carrier's
    code (the row-at-a-time check named a carrier the file did not mention by its id)."""
    problems = []
    count = len(stays.code)
    again, first = duplicates(group_ids(stays.carrier_id, enterprise[:count], stays.entry))
    for i, j in zip(again.tolist(), first.tolist(), strict=True):
        problems.append(book.problem(int(stays.row[i]), "entry", f"{stays.code[i]} entered {stays.carrier_code[i]} "
                                                                 f"on {day_of(stays.entry[i])} already in row "
                                                                 f"{stays.row[j]}"))
    kept = np.ones(count, dtype=bool)
    kept[again] = False
    replaced = np.zeros(len(stored["id"]), dtype=bool)
    replaced[match[match >= 0]] = True  # a row replaces its stored stay
    mine, theirs = np.flatnonzero(kept), np.flatnonzero(~replaced)
    rows = np.concatenate([stays.row[mine], np.zeros(len(theirs), dtype=np.int64)])
    entry = np.concatenate([stays.entry[mine], stored["entry"][theirs]])
    end = np.concatenate([stays.graduated[mine], stored["graduated"][theirs]])
    code = np.concatenate([stays.code[mine], stored["credit_code"][theirs]])
    carrier = np.concatenate([stays.carrier_id[mine], stored["carrier_id"][theirs]])
    earlier, later = overlapping(np.concatenate([enterprise[:count][mine], enterprise[count:][theirs]]),
                                 entry, end, rows)
    pairs = [(b, a) if rows[b] else (a, b) for a, b in zip(earlier.tolist(), later.tolist(), strict=True)]
    named = dict(_where_in(conn, "SELECT id, code FROM carrier WHERE id IN",
                           [int(carrier[other]) for _, other in pairs])) if pairs else {}
    for here, other in pairs:
        until = "now" if end[other] == NO_DAY else day_of(end[other])
        origin = f"row {rows[other]}" if rows[other] else "stored"
        problems.append(book.problem(int(rows[here]), "credit_code", f"{code[here]} is incubated by two carriers at "
                                                                     f"once: {named[carrier[other]]} from "
                                                                     f"{day_of(entry[other])} until {until} "
                                                                     f"({origin})"))
    return problems


def _stored_stay_columns(conn: Connection, credit_codes: Sequence[str]) -> dict[str, npt.NDArray[Any]]:
    """The stored stays of these enterprises as columns, dates as day numbers (NO_DAY for none)."""
    if conn.dialect.name == "sqlite":
        def day(column: str) -> str:
            return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
    else:
        def day(column: str) -> str:
            return f"({column} - DATE '1970-01-01')"
    rows = _matching(conn, f"SELECT id, carrier_id, credit_code, {day('entry')}, {day('graduated')}, criterion, "
                           "field, name FROM incubatee", "incubatee", "credit_code", 2, credit_codes)
    names = ("id", "carrier_id", "credit_code", "entry", "graduated", "criterion", "field", "name")
    if not rows:
        return {n: np.zeros(0, dtype=np.int64 if n in ("id", "carrier_id", "entry", "graduated") else object)
                for n in names}
    columns = dict(zip(names, zip(*rows, strict=True), strict=True))
    out: dict[str, npt.NDArray[Any]] = {n: np.array(columns[n], dtype=object) for n in names}
    for n in ("id", "carrier_id", "entry"):
        out[n] = np.array(columns[n], dtype=np.int64)
    out["graduated"] = np.array([NO_DAY if d is None else d for d in columns["graduated"]], dtype=np.int64)
    return out


def _matching(conn: Connection, sql: str, table: str, key: str, at: int, values: Sequence[Any]) -> list[Any]:
    """Rows of ``sql`` (a SELECT without WHERE, the key at position ``at``) whose key is one of ``values``.
    A list naming a good part of the table reads it whole and keeps its rows here: measured with 700,000
    stored stays, 140 chunks of 5,000 keys in IN (…) took 5 s, one scan 1 s."""
    if not values:
        return []
    wanted = set(values)
    (stored,) = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").one()
    if len(wanted) * 4 < stored:
        return _where_in(conn, f"{sql} WHERE {key} IN", list(wanted))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:  # the driver's tuples: SQLAlchemy's rows cost as much again for 700,000 stays
        cursor.execute(sql)
        return [r for r in cursor.fetchall() if r[at] in wanted]
    finally:
        cursor.close()


def _dates(days: npt.NDArray[np.int64]) -> pa.Array:
    """Day numbers (NO_DAY for none) as an Arrow date column with its NULLs."""
    none = days == NO_DAY
    return pa.array(np.where(none, 0, days).astype(np.int32), pa.date32(), mask=none)


def _store_stay_columns(conn: Connection, book: ListSheet, stays: _StayColumns,
                        stored: dict[str, npt.NDArray[Any]], match: npt.NDArray[np.int64]) -> ListImport:
    outcome = ListImport(book.name)
    new = np.flatnonzero(match < 0)
    enterprises = _enterprise_ids(conn, stays.code[new].tolist())
    codes = stays.code[new]
    # Whole columns (insert_columns), not rows of Python values: the 140,000-stay bench import 2.7 s, not 5.1.
    outcome.added = insert_columns(conn, Base.metadata.tables["incubatee"], {
        "carrier_id": pa.array(stays.carrier_id[new]), "credit_code": pa.array(codes, pa.string()),
        "enterprise_id": pa.array([enterprises.get(c) for c in codes.tolist()], pa.int64()),
        "name": pa.array(stays.name[new], pa.string()), "entry": _dates(stays.entry[new]),
        "field": pa.array(stays.field[new], pa.string()), "graduated": _dates(stays.graduated[new]),
        "criterion": pa.array(stays.criterion[new], pa.string()), "source": book.name,
        "source_row": pa.array(stays.row[new]), "synthetic": False}, len(new))
    old = np.flatnonzero(match >= 0)
    at = match[old]
    differs = ((stays.graduated[old] != stored["graduated"][at]) | (stays.criterion[old] != stored["criterion"][at])
               | (stays.field[old] != stored["field"][at]) | (stays.name[old] != stored["name"][at]))
    changed = [{"b_id": int(stored["id"][j]), "b_graduated": None if stays.graduated[i] == NO_DAY
                else day_of(stays.graduated[i]), "b_criterion": stays.criterion[i], "b_field": stays.field[i],
                "b_name": stays.name[i], "b_source": book.name, "b_row": int(stays.row[i])}
               for i, j in zip(old[differs].tolist(), at[differs].tolist(), strict=True)]
    if changed:
        conn.execute(update(Incubatee).where(Incubatee.id == bindparam("b_id"))
                     .values(graduated=bindparam("b_graduated"), criterion=bindparam("b_criterion"),
                             field=bindparam("b_field"), name=bindparam("b_name"), source=bindparam("b_source"),
                             source_row=bindparam("b_row")), changed)
    outcome.updated = len(changed)
    outcome.unchanged = len(stays.code) - outcome.added - outcome.updated
    return outcome


@lru_cache(maxsize=65536)  # a list names a few thousand carriers many times
def _carrier_code(text: str) -> str:
    return normalise_code(text)


def _stay_row(book: ListSheet, line: ListRow, code: str, carriers: dict[str, Any], today: dt.date,
              problems: list[Problem]) -> StayRow | None:
    before = len(problems)
    carrier_code = _carrier_code(line.cells.get("carrier_code", ""))
    if carrier_code not in carriers:
        problems.append(book.problem(line.row, "carrier_code", f"unknown carrier {carrier_code or '(empty)'} "
                                                               "(import it with import-carriers first)"))
    entry = cell_date(book, line, "entry", today, problems)
    if entry is None and not line.cells.get("entry"):
        problems.append(book.problem(line.row, "entry", "empty entry date"))
    graduated = cell_date(book, line, "graduated", today, problems)
    if graduated and entry and graduated < entry:
        problems.append(book.problem(line.row, "graduated", f"graduation {graduated} before entry {entry}"))
    spelled = line.cells.get("criterion", "")
    criterion = vocabulary().criteria.get(_word(spelled)) if spelled else None
    if spelled and criterion is None:
        problems.append(book.problem(line.row, "criterion", f"unknown graduation criterion '{spelled}' (高新技术企业, "
                                                            "融资超500万, 营收超1000万, 并购或上市)"))
    if graduated and not spelled:
        problems.append(book.problem(line.row, "criterion", "a graduation needs the criterion met"))
    if spelled and not graduated and not line.cells.get("graduated"):
        problems.append(book.problem(line.row, "graduated", "a criterion met needs the graduation date"))
    title = _text(book, line, "name", problems) or None
    speciality = _text(book, line, "field", problems) or None
    if len(problems) > before or not code or entry is None:
        return None
    return StayRow(line.row, carriers[carrier_code].id, carrier_code, code, title, entry, speciality, graduated,
                   criterion)


def _enterprise_ids(conn: Connection, credit_codes: Sequence[str]) -> dict[str, int]:
    return {code: id_ for code, id_ in _matching(conn, "SELECT credit_code, id FROM enterprise", "enterprise",
                                                 "credit_code", 0, credit_codes)}
