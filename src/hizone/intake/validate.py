"""Validation over whole columns: Arrow parses plain numbers (DuckDB the rest of the number grammar, in
one query), NumPy evaluates every rule, a range of rows at a time (``SheetCheck``).

Pure: no store imports. What the store knows (zones, the registry, last year's values) comes in a
``Context`` built by the service; a ``ValidationReport`` and a ``ParsedBatch`` come out.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from hizone.catalog import Catalog, Element, Unit, default_catalog
from hizone.intake.checks import CheckRows
from hizone.intake.checks import module as check_module
from hizone.intake.codes import REASONS, CodeProblem, credit_code_problems
from hizone.intake.errors import IntakeError
from hizone.intake.errors_report import Issue, IssueTally, ValidationReport, message
from hizone.intake.headers import ColumnMap, map_columns
from hizone.intake.numbers import (
    FULL_WIDTH,
    HALF_WIDTH,
    Status,
    parse_number,
    plain_column,
    sql_factor,
    sql_number,
    sql_prepare,
    suffix_factors,
)
from hizone.intake.periods import check_period, normalise_period
from hizone.intake.readers import Limits, RawSheet, Source
from hizone.intake.rules import RuleSet, rules_for
from hizone.intake.worker import read_in_worker

FloatArray = npt.NDArray[np.float64]
_FW_ALNUM = FULL_WIDTH + "".join(chr(c) for c in [*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)])
_HW_ALNUM = HALF_WIDTH + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ENTITY_NAMES = {"enterprise": ("统一社会信用代码", "credit code"), "zone": ("高新区代码", "zone code")}


@dataclass
class PreviousValues:
    """Values of the same entities for the comparison period, as columns keyed by entity."""

    keys: npt.NDArray[np.str_]
    values: dict[str, FloatArray]

    def aligned(self, keys: npt.NDArray[np.str_]) -> dict[str, FloatArray]:
        """Each element's previous value for each of ``keys`` (NaN where the entity has none)."""
        order = np.argsort(self.keys)
        sorted_keys = self.keys[order]
        slots = np.searchsorted(sorted_keys, keys)
        slots = np.minimum(slots, max(len(sorted_keys) - 1, 0))
        found = (sorted_keys[slots] == keys) if len(sorted_keys) else np.zeros(len(keys), bool)
        result = {}
        for code, column in self.values.items():
            picked = column[order][slots] if len(sorted_keys) else np.full(len(keys), np.nan)
            result[code] = np.where(found, picked, np.nan)
        return result


@dataclass
class Registry:
    """The enterprise registry as sorted arrays: credit code → zone code, looked up for whole columns."""

    keys: npt.NDArray[np.str_]
    zones: npt.NDArray[np.str_]

    @classmethod
    def of(cls, pairs: dict[str, str]) -> Registry:
        keys = np.asarray(list(pairs), dtype=np.str_)
        return cls.sorted(keys, np.asarray(list(pairs.values()), dtype=np.str_))

    @classmethod
    def sorted(cls, keys: npt.NDArray[np.str_], zones: npt.NDArray[np.str_]) -> Registry:
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], zones[order])

    def zones_of(self, keys: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
        """Each key's registered zone, '' where the key is not registered."""
        if len(self.keys) == 0:
            return np.full(len(keys), "", dtype=np.str_)
        slots = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[slots] == keys, self.zones[slots], "")


@dataclass(frozen=True)
class RegistryTexts:
    """Registered enterprises' identity columns as text (``name``, ``industry_code``, ``registered``), sorted by
    credit code: what a form that registers enterprises compares its rows with (intake/registration.py). None for
    ``columns`` when a name holds the separator they are read with: every known row is then compared the slow way."""

    keys: npt.NDArray[np.str_]
    columns: dict[str, npt.NDArray[np.str_]] | None


@dataclass
class Context:
    """What validation needs from the store; None skips the check that needs it."""

    today: dt.date = field(default_factory=dt.date.today)
    zones: frozenset[str] | None = None
    registry: Registry | None = None
    previous: PreviousValues | None = None
    allowed_zones: frozenset[str] | None = None  # the submitter's scope; None = everywhere
    allowed_entities: frozenset[str] | None = None  # an enterprise submitter: itself only
    zone_names: dict[str, str] = field(default_factory=dict)  # zone code -> its Chinese name, for messages
    registry_texts: RegistryTexts | None = None  # read when the form registers enterprises
    loaded: dict[str, Any] = field(default_factory=dict)  # row check name -> what it read from the store

    @property
    def scoped(self) -> bool:
        return self.allowed_zones is not None or self.allowed_entities is not None

    def within(self, keys: npt.NDArray[np.str_], zones: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
        """Which rows (entity key, its zone) the submitter may report for; '' (unknown zone) never."""
        inside = zones != "" if self.scoped else np.ones(len(keys), dtype=bool)
        if self.allowed_zones is not None:
            inside &= np.isin(zones, np.asarray(sorted(self.allowed_zones), dtype=np.str_))
        if self.allowed_entities is not None:
            inside &= np.isin(keys, np.asarray(sorted(self.allowed_entities), dtype=np.str_))
        return inside


@dataclass
class ParsedBatch:
    """The file's rows as the store will take them."""

    row_numbers: npt.NDArray[np.int64]
    entity_keys: npt.NDArray[np.str_]
    zone_codes: npt.NDArray[np.str_]
    values: dict[str, FloatArray]  # every field of the form; NaN where blank
    notes: npt.NDArray[np.str_] | None = None  # the rules' note column (更正说明), where the file has one

    def __len__(self) -> int:
        return len(self.entity_keys)


_FULL_WIDTH = str.maketrans(_FW_ALNUM, _HW_ALNUM)
_FULL_WIDTH_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _FW_ALNUM) + "]"
_TRIMMED = " \t\r\n\u3000\u00a0"
# Text a spreadsheet would run as a formula (CSV injection): =, @, + or - (full-width too) after blanks.
# Full-width ＝ and ＠ too: a Chinese input method types them, and spreadsheets that normalise width run them.
_SIGNS = "".join(wide for wide, narrow in zip(FULL_WIDTH, HALF_WIDTH, strict=True) if narrow in "+-") + "＝＠"
_FORMULA_START = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in _TRIMMED) + "]*[=@+\\-" + _SIGNS + "]"


def _as_text(cells: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cells as text; a workbook's whole-number cell reads as its digits (2021, not 2021.0)."""
    if pa.types.is_floating(cells.type):
        whole = pc.and_(pc.equal(cells, pc.floor(cells)), pc.less(pc.abs(cells), 1e15))
        digits = pc.cast(pc.cast(pc.if_else(whole, cells, 0.0), pa.int64(), safe=False), pa.string())
        return pc.if_else(whole, digits, pc.cast(cells, pa.string()))
    return pc.cast(cells, pa.string())


def identity_text(cells: pa.ChunkedArray, upper: bool) -> npt.NDArray[np.str_]:
    """An identifying column (code, zone, name, period) as trimmed text, full-width letters and digits made
    half-width, '' where blank: Arrow kernels, with Python only for the rare cell holding a full-width
    character."""
    text = _as_text(cells)
    if len(text) <= SMALL_SHEET_ROWS:  # a few cells: translating each costs less than compiling the regex
        text = pa.chunked_array([pa.array([None if v is None else v.translate(_FULL_WIDTH) for v in text.to_pylist()],
                                          pa.string())])
        wide = np.zeros(0, dtype=bool)
    else:
        wide = np.asarray(pc.fill_null(pc.match_substring_regex(text, _FULL_WIDTH_CLASS), False), dtype=bool)
    if wide.any():
        values = text.to_pylist()
        for i in np.flatnonzero(wide).tolist():
            values[i] = values[i].translate(_FULL_WIDTH)
        text = pa.chunked_array([pa.array(values, pa.string())])
    text = pc.utf8_trim(text, _TRIMMED)
    if upper:
        text = pc.utf8_upper(text)
    return np.asarray(pc.fill_null(text, "").to_numpy(zero_copy_only=False), dtype=np.str_)


def written_text(cells: pa.ChunkedArray) -> npt.NDArray[np.str_]:
    """A free-text column (the note) as written, trimmed, '' where blank: not folded like an identity."""
    return np.asarray(pc.fill_null(pc.utf8_trim(_as_text(cells), _TRIMMED), "").to_numpy(zero_copy_only=False),
                      dtype=np.str_)


def formula_like(cells: pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    """Which cells a spreadsheet opening the file would take for a formula."""
    return np.asarray(pc.fill_null(pc.match_substring_regex(_as_text(cells), _FORMULA_START), False), dtype=bool)


def _grammar_columns(raw: RawSheet, columns: ColumnMap, catalog: Catalog,
                     codes: list[str]) -> dict[str, npt.NDArray[Any]]:
    """One DuckDB query: the full number grammar for the columns ``codes``."""
    inner: list[str] = []
    middle: list[str] = []
    outer: list[str] = []
    for code in codes:
        name = f"c{columns.elements[code]}"
        element = catalog.elements[code]
        factors = _suffixes(catalog, element.unit)
        inner.extend(sql_prepare(name))
        middle.extend(sql_factor(name, factors))
        value, status, _ = sql_number(name, factors, columns.factors[code])
        outer.extend([f'{value} AS "v_{code}"', f'{status} AS "s_{code}"'])
    if not outer:
        return {}
    sql_inner = f"SELECT {', '.join(inner)} FROM raw"
    sql_middle = f"SELECT {', '.join(middle)} FROM ({sql_inner})"
    sql = f"SELECT {', '.join(outer)} FROM ({sql_middle})"
    table = raw.table if raw.table.num_columns else pa.table({"c0": pa.array([], pa.string())})
    with duckdb.connect() as con:
        con.register("raw", table)
        # A plain projection gains nothing from the optimizer, whose passes cost ~0.3 s on this wide plan.
        con.execute("PRAGMA disable_optimizer")
        result = con.sql(sql).to_arrow_table()
    out: dict[str, npt.NDArray[Any]] = {}
    for name in result.column_names:
        column = result.column(name)
        if name.startswith("v_"):
            out[name] = pc.fill_null(column, np.nan).to_numpy().astype(np.float64)
        else:
            out[name] = column.to_numpy().astype(np.int8)
    return out


def parse_cells(raw: RawSheet, columns: ColumnMap, catalog: Catalog) -> dict[str, Any]:
    """Each element's value and status, and the identifying texts (for a name: whether it is formula-like).

    Columns of plain numbers (nearly all, in practice) are read by Arrow directly, on every core (its
    kernels release the GIL); the others go through the full grammar in one DuckDB query.
    """
    table = raw.table
    rows = table.num_rows

    def plain(code: str) -> tuple[FloatArray, npt.NDArray[np.int8]] | None:
        return plain_column(table.column(columns.elements[code]), columns.factors[code]) \
            if table.num_columns else None

    def text(role: str) -> npt.NDArray[Any]:
        if not table.num_columns:
            return np.full(rows, "", dtype=np.str_)
        cells = table.column(columns.roles[role])
        # A name is not an identity: only whether it would run as a formula matters.
        if role == "note":
            return written_text(cells)
        return formula_like(cells) if role == "name" else identity_text(cells, role in ("entity", "zone"))

    out: dict[str, npt.NDArray[Any]] = {}
    if rows * max(len(columns.elements), 1) <= SMALL_SHEET_CELLS:
        # A few rows (the browser form's one): threads and a DuckDB connection cost more than the work.
        # Text by the grammar in Python (the plain-number shortcut gives the same, tested, and gains nothing on a
        # few cells); numbers of a workbook by the shortcut; anything else by the query (its CAST to VARCHAR).
        other: list[str] = []
        for code in columns.elements:
            cells = table.column(columns.elements[code]) if table.num_columns else None
            if cells is not None and (pa.types.is_string(cells.type) or pa.types.is_null(cells.type)):
                out.update(_grammar_small(cells, code, columns, catalog))
            elif (found := plain(code)) is not None:
                out[f"v_{code}"], out[f"s_{code}"] = found
            else:
                other.append(code)
        out.update(_grammar_columns(raw, columns, catalog, other))
        out.update({f"t_{role}": text(role) for role in columns.roles})
        return out
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="hizone-parse") as pool:
        texts = {role: pool.submit(text, role) for role in columns.roles}
        plains = dict(zip(columns.elements, pool.map(plain, columns.elements), strict=True))
        for code, found in plains.items():
            if found is not None:
                out[f"v_{code}"], out[f"s_{code}"] = found
        out.update(_grammar_columns(raw, columns, catalog, [code for code, found in plains.items() if found is None]))
        out.update({f"t_{role}": pending.result() for role, pending in texts.items()})
    return out


def _suffixes(catalog: Catalog, unit: Unit) -> dict[str, float]:
    """``suffix_factors`` of a unit in the catalog's units, made once per catalog (read only)."""
    found = _SUFFIXES.get((id(catalog.units), unit))
    if found is not None and found[0] is catalog.units:
        return found[1]
    factors = suffix_factors(unit, catalog.units)
    if len(_SUFFIXES) >= 1024:
        _SUFFIXES.clear()
    _SUFFIXES[(id(catalog.units), unit)] = (catalog.units, factors)
    return factors


_SUFFIXES: dict[tuple[int, Unit], tuple[Mapping[str, Unit], dict[str, float]]] = {}
SMALL_SHEET_CELLS = 2_000  # number cells up to which a sheet is parsed in this thread, by ``parse_number``
SMALL_SHEET_ROWS = 16  # rows up to which an identifying column is folded cell by cell


def _grammar_small(cells: pa.ChunkedArray, code: str, columns: ColumnMap,
                   catalog: Catalog) -> dict[str, npt.NDArray[Any]]:
    """The full number grammar for one text column of a small sheet, by ``parse_number``: the grammar of
    ``_grammar_columns``' query, with bit-identical results (intake/numbers.py; tests/intake/test_numbers.py)."""
    factors = _suffixes(catalog, catalog.elements[code].unit)
    parsed = [parse_number(cell, factors, columns.factors[code]) for cell in cells.to_pylist()]
    values = [p.value if p.status is Status.OK and p.value is not None else np.nan for p in parsed]
    return {f"v_{code}": np.asarray(values, dtype=np.float64),
            f"s_{code}": np.asarray([int(p.status) for p in parsed], dtype=np.int8)}


class _Issues:
    """Collects issues for flagged rows only: rules run on columns, messages are built per problem."""

    def __init__(self, raw: RawSheet, keys: npt.NDArray[np.str_], tally: IssueTally) -> None:
        self.raw = raw
        self.keys = keys
        self.items: list[Issue] = []
        self.tally = tally

    def cell_text(self, position: int | None, rows: npt.NDArray[np.intp]) -> list[str | None]:
        if position is None:
            return [None] * len(rows)
        values = self.raw.table.column(position).take(pa.array(rows)).to_pylist()
        return [None if v is None else str(v) for v in values]

    def add(self, rule: str, rows: npt.NDArray[np.intp], position: int | None, field_name: str | None,
            fields: Callable[[int, str | None], dict[str, Any]], severity: str = "error",
            messages: tuple[str, str] | None = None) -> None:
        if len(rows) == 0:
            return
        rows = rows[:self.tally.room(severity, rule, len(rows))]  # all counted, the first ones listed
        texts = self.cell_text(position, rows)
        for i, text in zip(rows.tolist(), texts, strict=True):
            zh, en = messages if messages else message(rule, **fields(i, text))
            self.items.append(Issue(severity, rule, zh, en, self.raw.source_name, self.raw.sheet,
                                    int(self.raw.row_numbers[i]),
                                    self.raw.letter(position) if position is not None else None,
                                    field_name, text, str(self.keys[i]) or None))


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else format(value, ".10g")


# The statuses as plain ints: NumPy compares an array with an IntEnum member five times slower than with its int.
_OK, _BLANK, _NOT_A_NUMBER, _FORMULA, _UNKNOWN_UNIT = (int(s) for s in (Status.OK, Status.BLANK, Status.NOT_A_NUMBER,
                                                                        Status.FORMULA, Status.UNKNOWN_UNIT))


def _true(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """The rows where a column's mask holds: np.flatnonzero without its ravel and wrapping, which on a one-row
    sheet (the browser form's) cost more than the comparison itself, seven times a field."""
    return mask.nonzero()[0]


def _check_cells(issues: _Issues, cells: dict[str, npt.NDArray[Any]], columns: ColumnMap, rules: RuleSet,
                 catalog: Catalog) -> dict[str, FloatArray]:
    values: dict[str, FloatArray] = {}
    for f in rules.form.fields:
        element = f.element
        code = element.code
        position = columns.elements.get(code)
        if position is None:
            values[code] = np.full(len(issues.keys), np.nan)
            continue
        value, status = cells[f"v_{code}"], cells[f"s_{code}"]
        infinite = np.isinf(value)
        if infinite.any():
            status = np.where(infinite, _NOT_A_NUMBER, status)
            value = np.where(infinite, np.nan, value)
        name, name_en = element.name_zh, element.name_en
        unread = status != _OK
        if unread.any():  # some cell not read as a number (a column of numbers skips the four look-ups)
            issues.add("not_a_number", _true(status == _NOT_A_NUMBER), position, code,
                       lambda _i, text: {"value": text})
            issues.add("formula", _true(status == _FORMULA), position, code, lambda _i, _t: {})
            factors = _suffixes(catalog, element.unit)
            issues.add("unknown_unit", _true(status == _UNKNOWN_UNIT), position, code,
                       _unit_fields(factors, element.unit.name))
            if f.required:
                issues.add("required", _true(status == _BLANK), position, code,
                           _element_fields(name, name_en, value))
        if element.type == "integer":
            issues.add("integer", _true(np.isfinite(value) & (value != np.trunc(value))), position, code,
                       _element_fields(name, name_en, value))
        bounds = rules.ranges.get(code)
        low = bounds.min if bounds and bounds.min is not None else element.min
        high = bounds.max if bounds and bounds.max is not None else element.max
        uncoded = np.zeros(len(value), dtype=bool)
        if element.codes is not None:  # a whole number within the bounds (else told so) that is no code of the list
            uncoded = np.isfinite(value) & (value == np.trunc(value)) & ~np.isin(value, sorted(element.codes.values))
            if low is not None:
                uncoded &= value >= low
            if high is not None:
                uncoded &= value <= high
            issues.add("not_in_codes", _true(uncoded), position, code, _code_fields(element, value))
        if low is not None:
            issues.add("below_min", _true(value < low), position, code,
                       _element_fields(name, name_en, value, low))
        if high is not None:
            issues.add("above_max", _true(value > high), position, code,
                       _element_fields(name, name_en, value, high))
        # A cell already reported is left out of the cross-field rules, so one mistake is one message.
        failed = unread | uncoded
        if element.type == "integer":
            failed |= value != np.trunc(value)
        if low is not None:
            failed |= value < low
        if high is not None:
            failed |= value > high
        values[code] = np.where(failed, np.nan, value)
    return values


Fields = Callable[[int, str | None], dict[str, Any]]


def _element_fields(name: str, name_en: str, values: FloatArray, bound: float | None = None) -> Fields:
    def fields(i: int, _text: str | None) -> dict[str, Any]:
        found = {"name": name, "name_en": name_en, "value": _fmt(values[i])}
        return found | ({"bound": _fmt(bound)} if bound is not None else {})
    return fields


def _code_fields(element: Element, values: FloatArray) -> Fields:
    """A coded element's value outside its list: the list and its codes, as in the catalog (codes.yaml)."""
    listed = element.codes
    assert listed is not None
    choices_zh = "、".join(f"{c.value} {c.name_zh}" for c in listed.codes)
    choices_en = ", ".join(f"{c.value} {c.name_en}" for c in listed.codes)

    def fields(i: int, _text: str | None) -> dict[str, Any]:
        return {"name": element.name_zh, "name_en": element.name_en, "value": _fmt(values[i]),
                "list_zh": listed.name_zh, "list_en": listed.name_en, "choices_zh": choices_zh,
                "choices_en": choices_en}
    return fields


def _unit_fields(factors: dict[str, float], unit: str) -> Fields:
    def fields(_i: int, text: str | None) -> dict[str, Any]:
        return {"value": text, "suffix": _suffix(text, factors), "unit": unit}
    return fields


def _outlier_fields(element: Element, now: FloatArray, before: FloatArray, ratio: FloatArray) -> Fields:
    def fields(i: int, _text: str | None) -> dict[str, Any]:
        return {"name": element.name_zh, "name_en": element.name_en, "value": _fmt(now[i]),
                "previous": _fmt(before[i]), "ratio": float(ratio[i])}
    return fields


def _suffix(text: str | None, factors: dict[str, float]) -> str:
    return parse_number(text, factors).suffix if text is not None else ""


def _check_cross_fields(issues: _Issues, values: dict[str, FloatArray], columns: ColumnMap,
                        rules: RuleSet) -> None:
    for rule in rules.cross_field:
        if not all(code in columns.elements for code in rule.elements):
            continue
        bad = np.flatnonzero(rule.violations(values))
        first = rule.left[0].element
        issues.add(f"cross:{rule.id}", bad, columns.elements[first], first, lambda _i, _t: {},
                   messages=(f"{rule.message_zh}（{rule.text}）", f"{rule.message_en} ({rule.text})"))


def _check_entities(issues: _Issues, columns: ColumnMap, rules: RuleSet) -> npt.NDArray[np.bool_]:
    """The entity column (blank, formula, credit code); returns which rows hold a usable key."""
    keys = issues.keys
    entity_position = columns.roles["entity"]
    label_zh, label_en = ENTITY_NAMES[rules.form.entity]
    blank = keys == ""
    issues.add("entity_blank", np.flatnonzero(blank), entity_position, "entity",
               lambda _i, _t: {"name": label_zh, "name_en": label_en})
    formula_like = np.strings.startswith(keys, "=")
    issues.add("formula", np.flatnonzero(formula_like), entity_position, "entity", lambda _i, _t: {})
    present = ~blank & ~formula_like
    if rules.form.entity == "enterprise" and rules.check_enabled("credit_code"):
        problems, expected = credit_code_problems(keys)
        bad = np.flatnonzero(present & (problems != CodeProblem.OK))
        issues.add("credit_code", bad, entity_position, "entity",
                   lambda i, text: _code_reason(text, CodeProblem(problems[i]), str(expected[i])))
        present &= problems == CodeProblem.OK
    return present


def _check_zones(issues: _Issues, cells: dict[str, npt.NDArray[Any]], columns: ColumnMap, rules: RuleSet,
                 period: str, context: Context,
                 present: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.bool_]]:
    """Zone, period and name columns; returns each row's zone (from the file or the registry) and which rows
    are within the submitter's scope.

    A scoped submitter learns nothing about an entity outside its scope: whether it is registered, where,
    or any stored value. Such rows get one message, the same for an entity registered elsewhere and for
    one not registered at all.
    """
    keys = issues.keys
    entity_position = columns.roles["entity"]
    zone_position = columns.roles.get("zone")
    file_zones = cells.get("t_zone")
    if rules.form.entity == "zone":
        zones = keys.copy()
        if context.zones is not None and rules.check_enabled("zone_exists"):
            unknown = present & ~np.isin(keys, np.asarray(sorted(context.zones), dtype=np.str_))
            issues.add("unknown_zone", np.flatnonzero(unknown), entity_position, "entity",
                       lambda _i, text: {"value": text})
        within = context.within(keys, zones)
    else:
        zones, within = _enterprise_zones(issues, keys, present, file_zones, (entity_position, zone_position),
                                          rules, context)
    if context.scoped:
        scope = ", ".join(sorted(context.allowed_entities or context.allowed_zones or ()))
        label = ENTITY_NAMES[rules.form.entity]
        issues.add("out_of_scope", np.flatnonzero(present & ~within), entity_position, "entity",
                   lambda _i, _t: {"scope": scope, "name": label[0], "name_en": label[1]})
    if "t_period" in cells:
        stated = cells["t_period"]
        mismatch = [i for i, text in enumerate(stated.tolist())
                    if text and normalise_period(text, rules.form.frequency) != period]
        issues.add("period_mismatch", np.asarray(mismatch, dtype=np.intp), columns.roles["period"], "period",
                   lambda _i, text: {"value": text, "period": period})
    if "t_name" in cells:
        issues.add("formula_text", np.flatnonzero(cells["t_name"]), columns.roles["name"], "name",
                   lambda _i, text: {"prefix": (text or " ").strip(_TRIMMED)[:1]})
    return zones, present & within


def _code_reason(text: str | None, problem: CodeProblem, expected: str) -> dict[str, Any]:
    zh, en = REASONS[problem]
    return {"value": text, "reason_zh": zh.format(expected=expected), "reason_en": en.format(expected=expected)}


def _check_duplicates(issues: _Issues, keys: npt.NDArray[np.str_], present: npt.NDArray[np.bool_],
                      position: int, label: tuple[str, str]) -> None:
    candidates = np.flatnonzero(present)
    order = candidates[np.argsort(keys[candidates], kind="stable")]
    sorted_keys = keys[order]
    repeats = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1]) + 1
    if len(repeats) == 0:
        return
    first_of = {}
    for slot in range(len(order)):
        if slot == 0 or sorted_keys[slot] != sorted_keys[slot - 1]:
            first_of[str(sorted_keys[slot])] = int(order[slot])
    rows = np.sort(order[repeats])
    issues.add("duplicate", rows, position, "entity",
               lambda i, _t: {"other": int(issues.raw.row_numbers[first_of[str(keys[i])]]), "name": label[0],
                                 "name_en": label[1]})


def _enterprise_zones(issues: _Issues, keys: npt.NDArray[np.str_], present: npt.NDArray[np.bool_],
                      file_zones: npt.NDArray[np.str_] | None, positions: tuple[int, int | None],
                      rules: RuleSet, context: Context) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.bool_]]:
    """Each row's zone and whether it is within the submitter's scope. The registry's facts (an enterprise
    unknown, registered in another zone) are told a scoped submitter only about enterprises registered
    within its scope: an unknown one is as much outside it as one registered elsewhere, unless the form
    registers unknown enterprises."""
    entity_position, zone_position = positions
    registry = context.registry
    registered = registry.zones_of(keys) if registry is not None else np.full(len(keys), "", dtype=np.str_)
    # Without a registry the file's zone column is all there is to judge the scope by.
    within = context.within(keys, registered) if registry is not None else np.ones(len(keys), dtype=bool)
    if registry is not None and rules.check_enabled("register_unknown"):
        # A form that registers unknown enterprises judges them by the zone their row states (checked below):
        # a zone registers enterprises in its own zone. It learns only that a code is registered elsewhere.
        within |= registered == ""
    if registry is not None and rules.check_enabled("known_entity") and not context.scoped:
        unknown = present & (registered == "")
        label = ENTITY_NAMES["enterprise"]
        issues.add("unknown_entity", np.flatnonzero(unknown), entity_position, "entity",
                   lambda _i, text: {"name": label[0], "name_en": label[1], "value": text})
    if file_zones is None or zone_position is None:
        return registered, within
    stated = file_zones
    given = stated != ""
    if context.zones is not None and rules.check_enabled("zone_exists"):
        unknown_zone = given & ~np.isin(stated, np.asarray(sorted(context.zones), dtype=np.str_))
        issues.add("unknown_zone", np.flatnonzero(unknown_zone), zone_position, "zone",
                   lambda _i, text: {"value": text})
        given &= ~unknown_zone
    zones = np.where(given, stated, registered)
    if registry is None or not rules.check_enabled("enterprise_in_zone"):
        return zones, within & context.within(keys, zones)
    # An enterprise registered within the submitter's scope, stated in another zone: a move, which a report does
    # not make. The row stays its registered zone's, and the submitter (whose enterprise it is) is told where it
    # is registered and who records moves, whether the zone stated is its own or not.
    moved = present & given & (registered != "") & (registered != stated) & within
    zones = np.where(moved, registered, zones)
    within &= context.within(keys, zones)
    issues.add("wrong_zone", np.flatnonzero(moved), zone_position, "zone",
               lambda i, text: {"key": str(keys[i]), "registered": str(registered[i]),
                                "registered_name": context.zone_names.get(str(registered[i]), ""), "value": text})
    return zones, within


def _check_outliers(issues: _Issues, values: dict[str, FloatArray], columns: ColumnMap, rules: RuleSet,
                    context: Context, within: npt.NDArray[np.bool_]) -> None:
    """Values against the same entity's last year, for the rows ``within`` the submitter's scope only: the
    message prints the stored value."""
    if context.previous is None or not rules.outliers:
        return
    previous = context.previous.aligned(issues.keys)
    for rule in rules.outliers:
        if rule.element not in columns.elements or rule.element not in previous:
            continue
        now, before = values[rule.element], previous[rule.element]
        comparable = within & np.isfinite(now) & np.isfinite(before) & (before >= rule.min_previous) & (before > 0)
        ratio = np.divide(now, before, out=np.full(len(now), np.nan), where=comparable)
        flagged = np.zeros(len(now), dtype=bool)
        if rule.max_ratio is not None:
            flagged |= comparable & (ratio > rule.max_ratio)
        if rule.min_ratio is not None:
            flagged |= comparable & (ratio < rule.min_ratio)
        element = rules.form.fields[rules.form.element_codes.index(rule.element)].element
        issues.add("outlier", np.flatnonzero(flagged), columns.elements[rule.element], rule.element,
                   _outlier_fields(element, now, before, ratio), severity="warning")


@dataclass
class CheckedRows:
    """A range of rows checked: their issues, the rows parsed, and which hold a usable entity key."""

    issues: list[Issue]
    batch: ParsedBatch
    present: npt.NDArray[np.bool_]


@dataclass
class SheetCheck:
    """Validation by ranges of rows, so rows can be stored while later rows are checked: ``check_sheet``
    maps the columns, ``rows`` checks a range of rows, ``report`` adds what spans ranges (duplicate
    entities) and gathers every issue."""

    raw: RawSheet
    rules: RuleSet
    period: str
    context: Context
    catalog: Catalog
    columns: ColumnMap
    issues: list[Issue]  # about the sheet as a whole (its header)
    tally: IssueTally  # every issue of the sheet counted

    def rows(self, start: int, stop: int) -> CheckedRows:
        """Rows ``start``..``stop`` (0-based, end excluded) checked."""
        raw = self.raw.rows(start, stop)
        cells = parse_cells(raw, self.columns, self.catalog)
        keys = cells["t_entity"]
        issues = _Issues(raw, keys, self.tally)
        present = _check_entities(issues, self.columns, self.rules)
        values = _check_cells(issues, cells, self.columns, self.rules, self.catalog)
        _check_cross_fields(issues, values, self.columns, self.rules)
        zones, within = _check_zones(issues, cells, self.columns, self.rules, self.period, self.context, present)
        _check_outliers(issues, values, self.columns, self.rules, self.context, within)
        self._row_checks(issues, raw, cells, values)
        notes = cells["t_note"] if "note" in self.columns.roles else None
        return CheckedRows(issues.items, ParsedBatch(raw.row_numbers, keys, zones, values, notes), present)

    def _row_checks(self, issues: _Issues, raw: RawSheet, cells: dict[str, Any], values: dict[str, FloatArray]) -> None:
        """The form's checks that need the store (intake/checks.py); skipped where nothing was loaded."""
        texts = {role: cells[f"t_{role}"] for role in self.columns.roles if role != "name"}
        rows = CheckRows(raw, self.columns, self.period, cells["t_entity"], values, texts)
        for name in self.rules.row_checks:
            if self.context.loaded.get(name) is not None:
                issues.items += check_module(name).issues(rows, self.context.loaded[name], self.tally)

    def report(self, parts: Sequence[CheckedRows]) -> ValidationReport:
        """Every issue of the sheet, given ``parts`` that cover its rows in order."""
        spanning = _Issues(self.raw, np.concatenate([p.batch.entity_keys for p in parts]), self.tally)
        if self.rules.duplicates:
            label = ENTITY_NAMES[self.rules.form.entity]
            _check_duplicates(spanning, spanning.keys, np.concatenate([p.present for p in parts]),
                              self.columns.roles["entity"], label)
        items = [*self.issues, *spanning.items, *(issue for part in parts for issue in part.issues)]
        items.sort(key=lambda x: (x.severity != "error", x.row or 0, x.column or ""))
        raw, form = self.raw, self.rules.form
        return ValidationReport(raw.source_name, raw.sha256, raw.sheet, form.code, form.version, self.period,
                                raw.table.num_rows, items[:self.tally.limit], raw, Counter(self.tally.counts))


def check_sheet(raw: RawSheet, rules: RuleSet, period: str, context: Context,
                catalog: Catalog | None = None) -> SheetCheck:
    """The sheet's columns mapped (see ``SheetCheck``)."""
    cat = catalog or default_catalog()
    columns = map_columns(raw.labels, rules, cat, raw.where(raw.header_row), raw.letter)
    tally = IssueTally()
    listed = columns.ignored[:tally.room("warning", "unknown_column", len(columns.ignored))]
    ignored = [Issue("warning", "unknown_column", f"未识别的列“{label}”，已忽略",
                     f"column '{label}' is not part of the form and was ignored", raw.source_name, raw.sheet,
                     raw.header_row, raw.letter(position), None, label) for position, label in listed]
    return SheetCheck(raw, rules, period, context, cat, columns, ignored, tally)


def validate_sheet(raw: RawSheet, rules: RuleSet, period: str, context: Context,
                   catalog: Catalog | None = None) -> tuple[ValidationReport, ParsedBatch]:
    """Every problem in the sheet (errors and warnings) and the rows parsed for storing."""
    sheet = check_sheet(raw, rules, period, context, catalog)
    rows = sheet.rows(0, raw.table.num_rows)
    return sheet.report([rows]), rows.batch


def prepare(form_code: str, period: str, today: dt.date, catalog: Catalog | None = None) -> tuple[RuleSet, str]:
    """The rule set in force for ``period`` and the canonical period (checked: shape, month, not future)."""
    cat = catalog or default_catalog()
    versions = cat.forms.get(form_code)
    if not versions:
        raise IntakeError(f"unknown form '{form_code}' (known: {', '.join(sorted(cat.forms))})", where="--form")
    canonical = check_period(period, versions[0].frequency, today, where="--period")
    return rules_for(form_code, int(canonical[:4]), catalog), canonical


def validate(source: Source, form: str, period: str, *, context: Context | None = None, sheet: str | None = None,
             name: str | None = None, limits: Limits | None = None,
             catalog: Catalog | None = None) -> ValidationReport:
    """Validate a file or payload without the store (registry checks are skipped unless ``context`` has them)."""
    ctx = context or Context()
    rules, canonical = prepare(form, period, ctx.today, catalog)
    raw = read_in_worker(source, rules, catalog or default_catalog(), name=name, sheet=sheet, limits=limits)
    report, _ = validate_sheet(raw, rules, canonical, ctx, catalog)
    return report

