"""Enterprises registered from their own reports (rule code ``register_unknown`` of the form's rules).

A report of an enterprise the registry does not know yet registers it from the file's identity columns —
credit code, name and zone, and the industry code and registration date when the file has them — in the
import's own transaction: the report and the registration are stored together or not at all. A known
enterprise whose name, industry or date in the report differs from the registry is updated and the change
audited (old and new) and dated from the first day of the report's period, exactly as the registry's list
import does: both go through ``registry.enterprises.register``. A report of a period before the enterprise's
current registration began (a late report for an earlier year) changes nothing in the registry. A report
never moves an enterprise to another zone: validation refuses a zone differing from the one registered for the
report's period (``wrong_zone``), and moving is the registry import's, by a user whose scope covers both zones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy import Connection, String, cast, func, select

from hizone.auth.policy import Principal, can_register
from hizone.intake.codes import CodeProblem, credit_code_problems
from hizone.intake.errors_report import Issue
from hizone.intake.headers import ColumnMap
from hizone.intake.readers import RawSheet
from hizone.intake.rules import RuleSet
from hizone.intake.validate import CheckedRows, Context, RegistryTexts, identity_text
from hizone.registry.enterprises import (
    EnterpriseImport,
    EnterpriseRow,
    Known,
    known_enterprises,
    listed_twice,
    parse_row,
    register,
    zone_provinces,
)
from hizone.registry.outside import PREFIX
from hizone.registry.sheets import ListRow, ListSheet, Problem
from hizone.store.models import Enterprise

# The form's identity roles (rules YAML ``columns``) and the registry's column names for them.
REGISTRY_COLUMNS = {"entity": "credit_code", "name": "name", "zone": "zone_code", "industry": "industry_code",
                    "registered": "registered"}
_ROLES = {column: role for role, column in REGISTRY_COLUMNS.items()}
SHOWN = 5  # enterprises named in a summary line


@dataclass
class Registration:
    """What a report's identity columns will register or change, and what is wrong with them."""

    sheet: ListSheet
    principal: Principal
    rows: list[EnterpriseRow]
    existing: dict[str, Known]
    issues: list[Issue]
    dated: dt.date  # the first day of the report's period: when its changes take effect
    outcome: EnterpriseImport | None = field(default=None, init=False)

    def store(self, conn: Connection) -> None:
        """Register and update, inside the import's transaction."""
        if self.rows:
            self.outcome = register(conn, self.sheet, self.rows, self.existing, self.principal, self.dated)

    def registered(self) -> list[EnterpriseRow]:
        done = set(self.outcome.registered) if self.outcome else set()
        return [r for r in self.rows if r.credit_code in done]


def period_start(period: str) -> dt.date:
    """The first day of a period ("2023" or "2023-04")."""
    return dt.date(int(period[:4]), int(period[5:7]) if len(period) > 4 else 1, 1)


def registers(rules: RuleSet) -> bool:
    """Whether the form's reports register enterprises."""
    return rules.form.entity == "enterprise" and rules.check_enabled("register_unknown")


def check_registration(conn: Connection, raw: RawSheet, columns: ColumnMap, rules: RuleSet, context: Context,
                       principal: Principal, period: str, today: dt.date,
                       checked: Sequence[CheckedRows] = ()) -> Registration | None:
    """The registrations and changes a report carries, checked; None when the form registers nothing.
    ``checked``: the sheet's rows as validation checked them, all of them in order (or none)."""
    if not registers(rules) or context.registry is None or "entity" not in columns.roles:
        return None
    positions = {REGISTRY_COLUMNS[role]: p for role, p in columns.roles.items() if role in REGISTRY_COLUMNS}
    keys, valid = _valid_keys(raw, columns, rules, checked)
    registered_zones = context.registry.zones_of(keys)
    known = valid & (registered_zones != "")
    # A carrier outside any national zone is the carrier registry's, never a zone's enterprise: nothing to register.
    valid &= ~np.char.startswith(registered_zones.astype(np.str_), PREFIX)
    picked = np.flatnonzero(valid & (~known | _differs(raw, positions, keys, known, context.registry_texts)))
    existing = known_enterprises(conn, np.unique(keys[picked][known[picked]]).tolist())
    sheet = ListSheet(_rows_of(raw, picked), positions)
    dated = period_start(period)
    rows, problems = _parse(sheet, keys[picked].tolist(), registered_zones[picked].tolist(), existing, today,
                            dated, twice=not rules.duplicates)
    problems += _scope_problems(conn, sheet, rows, existing, context, principal)
    issues = [_issue(sheet, p, {r.row: r.credit_code for r in rows}) for p in problems]
    return Registration(sheet, principal, rows, existing, issues, dated)


def _rows_of(raw: RawSheet, picked: npt.NDArray[np.intp]) -> RawSheet:
    if len(picked) == raw.table.num_rows:
        return raw
    if len(picked) == 0:  # the usual case of the browser form's check: a take of nothing still costs a column each
        return replace(raw, table=raw.table.slice(0, 0), row_numbers=raw.row_numbers[:0])
    return replace(raw, table=raw.table.take(pa.array(picked)), row_numbers=raw.row_numbers[picked])


def _valid_keys(raw: RawSheet, columns: ColumnMap, rules: RuleSet,
                checked: Sequence[CheckedRows]) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.bool_]]:
    """Each row's credit code as validation reads it, and whether it is a valid one: taken from the rows'
    check where that checked the codes (its usable keys are the valid codes; 0.2 s of 200,000 rows' 0.5 s
    registration check was reading and checking them again)."""
    if checked and rules.check_enabled("credit_code"):
        return (np.concatenate([c.batch.entity_keys for c in checked]),
                np.concatenate([c.present for c in checked]))
    keys = identity_text(raw.table.column(columns.roles["entity"]), True)
    return keys, (keys != "") & (credit_code_problems(keys)[0] == CodeProblem.OK)


def _differs(raw: RawSheet, positions: dict[str, int], keys: npt.NDArray[np.str_], known: npt.NDArray[np.bool_],
             registry: RegistryTexts | None) -> npt.NDArray[np.bool_]:
    """Known rows whose name, industry or date as written differ from the registry's: a first look over whole
    columns (the rows it picks are compared properly, normalised, by the registry's own code)."""
    differs = np.zeros(len(keys), dtype=bool)
    compared = [column for column in _REGISTRY_TEXTS if column in positions]
    if not known.any() or not compared:
        return differs
    if registry is None or registry.columns is None or len(registry.keys) == 0:
        return known.copy()
    slots = np.minimum(np.searchsorted(registry.keys, keys), len(registry.keys) - 1)
    for column in compared:
        text = identity_text(raw.table.column(positions[column]), False)
        differs |= known & (text != "") & (text != registry.columns[column][slots])
    return differs


_SEPARATOR = "\x1f"  # ASCII unit separator: in no credit code, industry code or date, nor a name as typed
# Blank where the registry has no industry or date: the aggregates skip NULLs, which would misalign the lists.
_REGISTRY_TEXTS = {"name": Enterprise.name, "industry_code": func.coalesce(Enterprise.industry_code, ""),
                   "registered": func.coalesce(cast(Enterprise.founded, String), "")}


def registry_texts(conn: Connection, entities: Sequence[str] | None = None) -> RegistryTexts:
    """Every registered enterprise's (``entities``' only, when given) identity columns as text, strings joined
    by the database (ORM rows for 200,000 enterprises cost seconds). Read with validation's context, while the
    file is read: after the rows' check it held up the commit (0.08 s of 200,000 rows' 0.5 s registration
    check)."""
    join = func.string_agg if conn.dialect.name == "postgresql" else func.group_concat
    query = select(join(Enterprise.credit_code, _SEPARATOR), *(join(c, _SEPARATOR) for c in _REGISTRY_TEXTS.values()))
    if entities is not None:
        query = query.where(Enterprise.credit_code.in_(list(entities)))
    texts = conn.execute(query).one()
    parts = [np.asarray((text or "").split(_SEPARATOR), dtype=np.str_) for text in texts]
    if len({len(p) for p in parts}) != 1:
        return RegistryTexts(np.sort(parts[0]), None)
    order = np.argsort(parts[0], kind="stable")
    return RegistryTexts(parts[0][order], {name: part[order] for name, part in zip(_REGISTRY_TEXTS, parts[1:],
                                                                                   strict=True)})


def _parse(sheet: ListSheet, codes: list[str], registered_zones: list[str], existing: dict[str, Known],
           today: dt.date, dated: dt.date, *, twice: bool) -> tuple[list[EnterpriseRow], list[Problem]]:
    """Each picked row through the registry's row checks; a known enterprise keeps its zone, and its name where
    the report leaves it blank; one whose current registration began after ``dated`` is left as the registry has
    it. An enterprise on two rows is named (``twice``) only where the form allows repeated rows: otherwise
    validation's ``duplicate`` line already refuses the second."""
    rows: dict[str, EnterpriseRow] = {}
    problems: list[Problem] = []
    for line, code, zone in zip(sheet.rows(), codes, registered_zones, strict=True):
        current = existing.get(code)
        if current is not None and current.since > dated:
            continue
        cells = {**line.cells, "credit_code": code}
        cells.setdefault("name", "")
        cells.setdefault("zone_code", "")
        if current is not None:
            cells["zone_code"] = zone
            cells["name"] = cells["name"] or current.name
        row, _zone, found = parse_row(sheet, ListRow(line.row, cells), code, today)
        problems += found
        if row is None:
            continue
        first = rows.setdefault(code, row)
        if first is not row and twice:
            problems += listed_twice(sheet, first, row)
    return list(rows.values()), problems


def _scope_problems(conn: Connection, sheet: ListSheet, rows: list[EnterpriseRow], existing: dict[str, Known],
                    context: Context, principal: Principal) -> list[Problem]:
    """A new enterprise in a zone the user may report for but not register in (zones and credit codes outside
    the user's scope and unknown zones are validation's: one line each)."""
    if not rows:
        return []
    provinces = zone_provinces(conn)
    return [sheet.problem(r.row, "zone_code", f"the {principal.role} role may not register enterprises")
            for r in rows if r.credit_code not in existing and r.zone_code in provinces
            and (context.allowed_zones is None or r.zone_code in context.allowed_zones)
            and (context.allowed_entities is None or r.credit_code in context.allowed_entities)
            and not can_register(principal, r.zone_code, provinces[r.zone_code])]


def _issue(sheet: ListSheet, problem: Problem, codes: dict[int, str]) -> Issue:
    raw = sheet.raw
    position = sheet.positions.get(problem.column or "")
    return Issue("error", "registration", f"企业登记：{problem.reason}", problem.reason, raw.source_name, raw.sheet,
                 problem.row, raw.letter(position) if position is not None else None,
                 _ROLES.get(problem.column or ""), None, codes.get(problem.row))


def describe(registration: Registration | None) -> list[str]:
    """The enterprises an import registered and updated: a count and the first few of each."""
    if registration is None or registration.outcome is None:
        return []
    new = registration.registered()
    lines = []
    if new:
        named = ", ".join(f"{r.credit_code} {r.name}" for r in new[:SHOWN])
        lines.append(f"{len(new)} enterprise(s) registered: {named}" + (" …" if len(new) > SHOWN else ""))
    updated = registration.outcome.updated
    if updated:
        changed = "; ".join(f"{code} " + ", ".join(f"{c.field} '{c.old}' → '{c.new}'" for c in changes)
                            for code, changes in updated[:SHOWN])
        lines.append(f"{len(updated)} enterprise(s) updated: {changed}" + (" …" if len(updated) > SHOWN else ""))
    return lines
