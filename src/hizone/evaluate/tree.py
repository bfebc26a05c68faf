"""The index tree: indicators, aggregates and their weights, built from COINr-style iMeta rows.

Rows are plain mappings of column name to text (as a CSV reader gives them); every check names the
source and the iCode so a user can find the mistake in their own file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hizone.errors import HizoneError

NODE_TYPES = ("Indicator", "Aggregate", "Group", "Denominator", "Other")
REQUIRED_META_COLUMNS = ("iCode", "Type")
MISSING_TEXT = ("", "NA", "NaN", "nan", "NULL")


@dataclass(frozen=True)
class IndexTree:
    """An index framework: which indicators roll up into which aggregates, with what weights."""

    indicators: tuple[str, ...]
    # (level, aggregate codes at that level), lowest level first: the order of aggregation
    aggregate_levels: tuple[tuple[int, tuple[str, ...]], ...]
    children: Mapping[str, tuple[str, ...]]
    parent: Mapping[str, str]
    level: Mapping[str, int]
    weight: Mapping[str, float]
    direction: Mapping[str, float]
    target: Mapping[str, float]
    denominator: Mapping[str, str]
    name: Mapping[str, str]
    groups: tuple[str, ...]
    denominators: tuple[str, ...]
    extra_columns: Mapping[str, Mapping[str, str]]  # iCode -> other iMeta columns (e.g. goalposts)

    @property
    def aggregates(self) -> tuple[str, ...]:
        return tuple(code for _, codes in self.aggregate_levels for code in codes)

    @property
    def root(self) -> str:
        return self.aggregate_levels[-1][1][0]

    @property
    def codes(self) -> tuple[str, ...]:
        """Indicators then aggregates level by level: the column order of an aggregated table."""
        return self.indicators + self.aggregates

    def nodes_at_level(self, level: int) -> tuple[str, ...]:
        return tuple(code for code in self.indicators + self.aggregates if self.level[code] == level)

    def indicators_under(self, code: str) -> tuple[str, ...]:
        if code not in self.children:
            return (code,)
        return tuple(leaf for child in self.children[code] for leaf in self.indicators_under(child))

    def ancestors(self, code: str) -> tuple[str, ...]:
        chain: list[str] = []
        while code in self.parent:
            code = self.parent[code]
            chain.append(code)
        return tuple(chain)


@dataclass(frozen=True)
class _MetaRow:
    code: str
    type: str
    level: int | None
    parent: str | None
    weight: float | None
    direction: float | None
    target: float | None
    denominator: str | None
    name: str
    extra: Mapping[str, str]


def tree_from_records(records: Sequence[Mapping[str, str | None]], source: str = "iMeta") -> IndexTree:
    """Build and validate an index tree from iMeta rows (COINr's format)."""
    if not records:
        raise HizoneError("iMeta has no rows", where=source)
    missing = [column for column in REQUIRED_META_COLUMNS if column not in records[0]]
    if missing:
        raise HizoneError(f"iMeta lacks the column(s) {', '.join(missing)}", where=source)
    rows = _parse_rows(records, source)
    by_code = {row.code: row for row in rows}
    structural = [row for row in rows if row.type in ("Indicator", "Aggregate")]
    _check_parents(structural, by_code, source)
    _check_cycles(structural, source)
    children = _children_of(structural)
    _check_aggregates(structural, children, by_code, source)
    _check_weights(structural, children, by_code, source)
    return _assemble(rows, children, source)


def _parse_rows(records: Sequence[Mapping[str, str | None]], source: str) -> list[_MetaRow]:
    rows: list[_MetaRow] = []
    seen: set[str] = set()
    known = {"Level", "iCode", "iName", "Direction", "Weight", "Unit", "Target", "Denominator", "Parent", "Type"}
    for number, record in enumerate(records, start=2):  # row 1 is the header
        code = _text(record.get("iCode"))
        if code is None:
            raise HizoneError("a row has no iCode", where=f"{source}, row {number}")
        where = f"{source}, iCode {code!r}"
        if code in seen:
            raise HizoneError("iCode appears twice", where=where)
        seen.add(code)
        node_type = _text(record.get("Type")) or ""
        if node_type not in NODE_TYPES:
            raise HizoneError(f"unknown Type {node_type!r} (expected one of {', '.join(NODE_TYPES)})", where=where)
        structural = node_type in ("Indicator", "Aggregate")
        extra = {key: value for key, value in record.items() if key not in known and key and value is not None}
        rows.append(_MetaRow(
            code=code,
            type=node_type,
            level=_integer(record.get("Level"), "Level", where) if structural else None,
            parent=_text(record.get("Parent")) if structural else None,
            weight=_number(record.get("Weight"), "Weight", where) if structural else None,
            direction=_number(record.get("Direction"), "Direction", where) if structural else None,
            target=_number(record.get("Target"), "Target", where) if node_type == "Indicator" else None,
            denominator=_text(record.get("Denominator")) if node_type == "Indicator" else None,
            name=_text(record.get("iName")) or code,
            extra=extra,
        ))
        if structural:
            _check_row_fields(rows[-1], where)
    return rows


def _check_row_fields(row: _MetaRow, where: str) -> None:
    if row.level is None:
        raise HizoneError("Level is missing", where=where)
    if row.weight is None:
        raise HizoneError("Weight is missing", where=where)
    if row.type == "Indicator" and row.direction not in (1.0, -1.0):
        raise HizoneError(f"Direction must be 1 or -1, not {row.direction}", where=where)


def _check_parents(rows: list[_MetaRow], by_code: Mapping[str, _MetaRow], source: str) -> None:
    for row in rows:
        where = f"{source}, iCode {row.code!r}"
        if row.parent is None:
            if row.type == "Indicator":
                raise HizoneError("indicator has no parent", where=where)
            continue
        parent = by_code.get(row.parent)
        if parent is None:
            raise HizoneError(f"parent {row.parent!r} is not an iCode of iMeta", where=where)
        if parent.type != "Aggregate":
            raise HizoneError(f"parent {row.parent!r} is a {parent.type}, not an Aggregate", where=where)


def _check_cycles(rows: list[_MetaRow], source: str) -> None:
    parent_of = {row.code: row.parent for row in rows if row.parent is not None}
    for start in parent_of:
        path = [start]
        code: str | None = start
        while code in parent_of:
            code = parent_of[code]
            if code in path:
                cycle = " -> ".join([*path[path.index(code):], code])
                raise HizoneError(f"the tree has a cycle: {cycle}", where=f"{source}, iCode {start!r}")
            path.append(code)


def _children_of(rows: list[_MetaRow]) -> dict[str, tuple[str, ...]]:
    children: dict[str, list[str]] = {row.code: [] for row in rows if row.type == "Aggregate"}
    for row in rows:
        if row.parent is not None:
            children[row.parent].append(row.code)
    return {code: tuple(kids) for code, kids in children.items()}


def _check_aggregates(rows: list[_MetaRow], children: Mapping[str, tuple[str, ...]],
                      by_code: Mapping[str, _MetaRow], source: str) -> None:
    for row in rows:
        where = f"{source}, iCode {row.code!r}"
        if row.type == "Aggregate" and not children[row.code]:
            raise HizoneError("aggregate has no children", where=where)
        if row.parent is not None:
            parent_level = by_code[row.parent].level
            assert parent_level is not None and row.level is not None
            if parent_level <= row.level:
                raise HizoneError(f"Level {row.level} is not below its parent's level {parent_level}", where=where)
    roots = [row.code for row in rows if row.type == "Aggregate" and row.parent is None]
    if len(roots) != 1:
        found = ", ".join(roots) if roots else "none"
        raise HizoneError(f"the tree needs exactly one top aggregate (found: {found})", where=source)


def _check_weights(rows: list[_MetaRow], children: Mapping[str, tuple[str, ...]],
                   by_code: Mapping[str, _MetaRow], source: str) -> None:
    for row in rows:
        if row.weight is not None and (row.weight < 0 or not math.isfinite(row.weight)):
            raise HizoneError(f"Weight {row.weight} is negative or not finite", where=f"{source}, iCode {row.code!r}")
    for code, kids in children.items():
        if all(by_code[kid].weight == 0 for kid in kids):
            raise HizoneError("all weights of its children are zero", where=f"{source}, iCode {code!r}")


def _assemble(rows: list[_MetaRow], children: Mapping[str, tuple[str, ...]], source: str) -> IndexTree:
    structural = [row for row in rows if row.type in ("Indicator", "Aggregate")]
    levels = sorted({row.level for row in structural if row.type == "Aggregate" and row.level is not None})
    aggregate_levels = tuple(
        (level, tuple(row.code for row in structural if row.type == "Aggregate" and row.level == level))
        for level in levels
    )
    indicators = tuple(row.code for row in structural if row.type == "Indicator")
    denominator_codes = tuple(row.code for row in rows if row.type == "Denominator")
    for row in structural:
        if row.denominator is not None and row.denominator not in denominator_codes:
            raise HizoneError(f"Denominator {row.denominator!r} is not a Denominator row of iMeta",
                              where=f"{source}, iCode {row.code!r}")
    return IndexTree(
        indicators=indicators,
        aggregate_levels=aggregate_levels,
        children=children,
        parent={row.code: row.parent for row in structural if row.parent is not None},
        level={row.code: row.level for row in structural if row.level is not None},
        weight={row.code: row.weight for row in structural if row.weight is not None},
        direction={row.code: row.direction if row.direction is not None else 1.0 for row in structural},
        target={row.code: row.target for row in structural if row.target is not None},
        denominator={row.code: row.denominator for row in structural if row.denominator is not None},
        name={row.code: row.name for row in rows},
        groups=tuple(row.code for row in rows if row.type == "Group"),
        denominators=denominator_codes,
        extra_columns={row.code: row.extra for row in structural},
    )


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return None if stripped in MISSING_TEXT else stripped


def _number(value: str | None, column: str, where: str) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise HizoneError(f"{column} {text!r} is not a number", where=where) from None


def _integer(value: str | None, column: str, where: str) -> int | None:
    number = _number(value, column, where)
    if number is None:
        return None
    if not number.is_integer():
        raise HizoneError(f"{column} {number} is not a whole number", where=where)
    return int(number)
