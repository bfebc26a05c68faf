"""Finding the header row and naming each column: Chinese names, element codes or aliases, with units."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hizone.catalog import Catalog
from hizone.intake.errors import IntakeError
from hizone.intake.rules import RuleSet

HEADER_SEARCH_ROWS = 30
# A unit in brackets at the end of a header: 营业收入(千元), 营业收入（万元）, 营业收入[万元], 营业收入/万元.
_UNIT = re.compile(r"^(.*?)(?:[(\[【]\s*(?:单位[:：])?([^()\[\]【】]*?)\s*[)\]】]|/([^/]+))$")
_REQUIRED_MARK = re.compile(r"^[*＊]+|[*＊]+$")


def normalise_label(raw: object) -> tuple[str, str | None]:
    """(matching key, declared unit or None) for a header cell: NFKC, no spaces, codes lower-cased."""
    if raw is None:
        return "", None
    text = unicodedata.normalize("NFKC", str(raw))
    text = re.sub(r"\s+", "", text)
    text = _REQUIRED_MARK.sub("", text)
    unit = None
    match = _UNIT.match(text)
    if match and match.group(1):
        text, unit = match.group(1), (match.group(2) or match.group(3) or None)
    return text.lower(), unit


@dataclass(frozen=True)
class Target:
    kind: str  # "element" or "role"
    name: str  # element code or role name


def label_index(rules: RuleSet) -> dict[str, Target]:
    """Every accepted header key for the form's elements and identifying columns (made once per rule set: the
    browser form's field check maps its row's header on every keystroke's check)."""
    found = _INDEXES.get(id(rules))
    if found is not None and found[0] is rules:  # the entry holds the rule set: its id is not reused meanwhile
        return found[1]
    index = _label_index(rules)
    if len(_INDEXES) >= 64:  # rule sets of a catalog given by the caller are new objects each time
        _INDEXES.clear()
    _INDEXES[id(rules)] = (rules, index)
    return index


_INDEXES: dict[int, tuple[RuleSet, dict[str, Target]]] = {}


def _label_index(rules: RuleSet) -> dict[str, Target]:
    index: dict[str, Target] = {}
    for role in rules.columns:
        for label in role.labels:
            index[normalise_label(label)[0]] = Target("role", role.role)
    for f in rules.form.fields:
        for label in f.element.labels:
            index[normalise_label(label)[0]] = Target("element", f.element.code)
    return index


def _score(row: Sequence[object], index: dict[str, Target]) -> tuple[int, bool]:
    targets = [index.get(normalise_label(cell)[0]) for cell in row]
    hits = [t for t in targets if t is not None]
    return len(hits), any(t.kind == "role" and t.name == "entity" for t in hits)


def find_header(rows: Sequence[Sequence[object]], rules: RuleSet, where: str) -> tuple[int, int]:
    """(header row index, number of header-like rows after it) in the first rows of a sheet."""
    index = label_index(rules)
    scores = [_score(row, index) for row in rows[:HEADER_SEARCH_ROWS]]
    candidates = [i for i, (hits, has_entity) in enumerate(scores) if hits >= 2 and has_entity]
    if not candidates:
        best = max(range(len(scores)), key=lambda i: scores[i][0], default=None)
        entity = rules.role("entity")
        expected = ", ".join([*(entity.labels[1:3] if entity else ()),
                              *(f.element.name_zh for f in rules.form.fields[:3])])
        if best is not None and scores[best][0] >= 2:
            raise IntakeError(f"the header (row {best + 1}) has no entity column; add one named e.g. "
                              f"{' or '.join(entity.labels[1:3] if entity else ())}", where=where)
        raise IntakeError(f"no header row with the form's column names in the first {HEADER_SEARCH_ROWS} rows "
                          f"(expected e.g. {expected})", where=where)
    header = candidates[0]
    extra = 0
    while header + extra + 1 < len(rows) and _is_header_like(rows[header + extra + 1], index, rules):
        extra += 1
    return header, extra


def _is_header_like(row: Sequence[object], index: dict[str, Target], rules: RuleSet) -> bool:
    """A second header line: element codes, or units, under the names (as in our templates)."""
    cells = [c for c in row if c is not None and str(c).strip()]
    if not cells:
        return False
    units = {f.element.unit.name for f in rules.form.fields}
    hits = sum(1 for c in cells if normalise_label(c)[0] in index or str(c).strip() in units)
    return hits * 2 > len(cells)


@dataclass
class ColumnMap:
    """Which column (position) holds what, and the factor from a unit declared in the header."""

    roles: dict[str, int] = field(default_factory=dict)
    elements: dict[str, int] = field(default_factory=dict)
    factors: dict[str, float] = field(default_factory=dict)
    ignored: list[tuple[int, str]] = field(default_factory=list)


def map_columns(labels: Sequence[object], rules: RuleSet, catalog: Catalog, where: str,
                letter: Callable[[int], str] = str) -> ColumnMap:
    """The column map; an IntakeError for a duplicate, a missing required column or a wrong unit."""
    index = label_index(rules)
    mapping = ColumnMap()
    seen: dict[Target, int] = {}
    for position, raw in enumerate(labels):
        key, unit_name = normalise_label(raw)
        if not key:
            continue
        target = index.get(key)
        if target is None:
            mapping.ignored.append((position, str(raw)))
            continue
        if target in seen:
            raise IntakeError(f"columns {letter(seen[target])} and {letter(position)} both hold "
                              f"'{target.name}'", where=where)
        seen[target] = position
        if target.kind == "role":
            mapping.roles[target.name] = position
            continue
        mapping.elements[target.name] = position
        mapping.factors[target.name] = _unit_factor(target.name, unit_name, rules, catalog,
                                                    f"{where}, column {letter(position)}")
    for role in rules.columns:
        if role.required and role.role not in mapping.roles:
            label = next((x for x in role.labels if not x.isascii()), role.labels[0])
            raise IntakeError(f"missing column '{label}'", where=where)
    for f in rules.form.fields:
        if f.required and f.element.code not in mapping.elements:
            raise IntakeError(f"missing required column '{f.element.name_zh}' ({f.element.code})", where=where)
    return mapping


def _unit_factor(code: str, unit_name: str | None, rules: RuleSet, catalog: Catalog, where: str) -> float:
    element = catalog.elements[code]
    if unit_name is None or unit_name == element.unit.name:
        return 1.0
    unit = catalog.units.get(unit_name)
    if unit is None or unit.base != element.unit.base:
        raise IntakeError(f"header declares unit '{unit_name}', which does not convert to "
                          f"{element.name_zh}'s unit {element.unit.name}", where=where)
    return unit.factor / element.unit.factor


def column_letter(position: int) -> str:
    """0 → A, 25 → Z, 26 → AA, as spreadsheets name columns."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
