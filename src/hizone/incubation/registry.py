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
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, select, update

from hizone.auth.policy import Principal, can_register_carrier
from hizone.catalog import read_yaml
from hizone.incubation.engine import Stay, held_levels, months_between, overlapping
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
    read_list,
)
from hizone.store import session_scope
from hizone.store.bulk import bulk_insert
from hizone.store.models import Carrier, CarrierLevel, Incubatee, Zone

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


def _carriers_by_code(conn: Connection, codes: Sequence[str]) -> dict[str, Carrier]:
    found: dict[str, Carrier] = {}
    unique = sorted(set(codes))
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
    graduation is a warning."""
    today = today or dt.date.today()
    book = read_list(source, ("carrier_code", "credit_code", "entry"), name=name, sheet=sheet, read=read,
                     columns=COLUMNS)
    problems: list[Problem] = []
    lines = list(book.rows())
    codes = checked_credit_codes(book, lines, problems, required=True)
    with session_scope(engine) as session:
        conn = session.connection()
        carriers = _carriers_by_code(conn, [_carrier_code(line.cells.get("carrier_code", "")) for line in lines])
        allowed = {code: can_register_carrier(principal, c.zone_code or "", c.province_code)
                   for code, c in carriers.items()}
        rows = []
        for line, code in zip(lines, codes, strict=True):
            row = _stay_row(book, line, code, carriers, today, problems)
            if row is None:
                continue
            if not allowed[row.carrier_code]:
                problems.append(book.problem(line.row, "carrier_code", f"{principal.username} may not record the "
                                                                       f"incubatees of carrier {row.carrier_code}"))
                continue
            rows.append(row)
        stored = _stored_stays(conn, [r.credit_code for r in rows])
        problems += _overlaps(book, rows, stored, {c.id: code for code, c in carriers.items()})
        if problems:
            raise ListRefused(problems)
        outcome = _store_stays(conn, book, rows, stored)
    limit = vocabulary().months
    overdue = [r for r in rows if r.graduated is None and months_between(r.entry, today) > limit]
    outcome.overdue = len(overdue)
    outcome.warnings = [book.problem(r.row, "entry", f"{r.credit_code} in incubation for "
                                                     f"{months_between(r.entry, today)} months, more than {limit}")
                        for r in overdue[:SHOWN_WARNINGS]]  # the rest counted: the pages list them all
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


class StoredStay(NamedTuple):
    id: int
    carrier_id: int
    credit_code: str
    entry: dt.date
    graduated: dt.date | None
    criterion: str | None
    field: str | None
    name: str | None


def _stored_stays(conn: Connection, credit_codes: Sequence[str]) -> dict[tuple[int, str, dt.date], StoredStay]:
    rows = _where_in(conn, "SELECT id, carrier_id, credit_code, entry, graduated, criterion, field, name "
                           "FROM incubatee WHERE credit_code IN", credit_codes)
    stays = (StoredStay(r[0], r[1], r[2], _as_date(r[3]), _as_date(r[4]), *r[5:]) for r in rows)
    return {(s.carrier_id, s.credit_code, s.entry): s for s in stays}


def _as_date(value: Any) -> Any:
    """A date column read through the driver: SQLite gives its text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _overlaps(book: ListSheet, rows: list[StayRow], stored: dict[tuple[int, str, dt.date], StoredStay],
              carrier_codes: dict[int, str]) -> list[Problem]:
    problems = []
    keys: dict[tuple[int, str, dt.date], int] = {}
    stays = []
    for r in rows:
        key = (r.carrier_id, r.credit_code, r.entry)
        if key in keys:
            problems.append(book.problem(r.row, "entry", f"{r.credit_code} entered {r.carrier_code} on {r.entry} "
                                                         f"already in row {keys[key]}"))
            continue
        keys[key] = r.row
        stays.append(Stay(r.credit_code, r.carrier_code, r.entry, r.graduated, r.row))
    stays += [Stay(s.credit_code, carrier_codes.get(s.carrier_id, str(s.carrier_id)), s.entry, s.graduated)
              for key, s in stored.items() if key not in keys]  # a row replaces its stored stay
    for first, then in overlapping(stays):
        here, other = (then, first) if then.row else (first, then)
        problems.append(book.problem(here.row, "credit_code", f"{here.credit_code} is incubated by two carriers at "
                                                              f"once: {other.carrier} from {other.entry} until "
                                                              f"{other.end or 'now'} ({_origin(other)})"))
    return problems


def _origin(stay: Stay) -> str:
    return f"row {stay.row}" if stay.row else "stored"


def _store_stays(conn: Connection, book: ListSheet, rows: list[StayRow],
                 stored: dict[tuple[int, str, dt.date], StoredStay]) -> ListImport:
    outcome = ListImport(book.name)
    enterprises = _enterprise_ids(conn, [r.credit_code for r in rows])
    new = [(r.carrier_id, r.credit_code, enterprises.get(r.credit_code), r.name, r.entry, r.field, r.graduated,
            r.criterion, book.name, r.row, False)
           for r in rows if (r.carrier_id, r.credit_code, r.entry) not in stored]
    outcome.added = bulk_insert(conn, "incubatee", ("carrier_id", "credit_code", "enterprise_id", "name", "entry",
                                                    "field", "graduated", "criterion", "source", "source_row",
                                                    "synthetic"), new)
    changed = []
    for r in rows:
        old = stored.get((r.carrier_id, r.credit_code, r.entry))
        if old is not None and (old.graduated, old.criterion, old.field, old.name) != (r.graduated, r.criterion,
                                                                                        r.field, r.name):
            changed.append({"b_id": old.id, "b_graduated": r.graduated, "b_criterion": r.criterion,
                            "b_field": r.field, "b_name": r.name, "b_source": book.name, "b_row": r.row})
    if changed:
        conn.execute(update(Incubatee).where(Incubatee.id == bindparam("b_id"))
                     .values(graduated=bindparam("b_graduated"), criterion=bindparam("b_criterion"),
                             field=bindparam("b_field"), name=bindparam("b_name"), source=bindparam("b_source"),
                             source_row=bindparam("b_row")), changed)
    outcome.updated = len(changed)
    outcome.unchanged = len(rows) - outcome.added - outcome.updated
    return outcome


def _enterprise_ids(conn: Connection, credit_codes: Sequence[str]) -> dict[str, int]:
    return {code: id_ for code, id_ in _where_in(conn, "SELECT credit_code, id FROM enterprise WHERE credit_code IN",
                                                 credit_codes)}
