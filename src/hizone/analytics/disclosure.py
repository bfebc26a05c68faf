"""Statistical disclosure control of published aggregates: which cells of an additive table to suppress.

Pure: cells, the additive relations between them (a total = the sum of its parts) and the rules in, the
cells to suppress with a reason code out. No store, web or file access; the rules come from the catalog
(``catalog/data/disclosure/``) through :mod:`hizone.analytics.disclosure_rules`.

1. Primary suppression: a cell with fewer contributors of some kind (zones, enterprises) than the rule's
   minimum (threshold rule), or whose ``n`` largest contributors make up more than ``k`` % of its total
   ((n, k) dominance rule).
2. Complementary (secondary) suppression: while a relation has exactly one suppressed member, the value
   of that member is its total minus the other members (or the reverse), so one more member is
   suppressed: the smallest part, else the total. In a hierarchy (every cell the part of at most one
   total) no suppressed cell can then be recovered from the published ones by any combination of the
   relations; :func:`recoverable` checks that with linear algebra for any set of relations, and
   :func:`suppress` keeps suppressing until it finds nothing.

``known`` cells are those the viewer may see anyway (its own zone or province): they are never
suppressed for it, and count as published when working out what it could recover.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field

import numpy as np

COMPLEMENTARY = "complementary"
_Eligible = Callable[[Iterable[str]], list[str]]  # the cells of these that may still be suppressed
_Size = Callable[[str], tuple[float, str]]  # the order complementary suppressions are chosen in


@dataclass(frozen=True)
class Dominance:
    """(n, k): the ``n`` largest contributors of one kind hold more than ``k`` per cent of the cell."""

    contributor: str
    n: int
    k: float


@dataclass(frozen=True)
class DisclosureRules:
    code: str
    version: int
    min_contributors: Mapping[str, int]  # kind of contributor -> the fewest a published cell may have
    dominance: tuple[Dominance, ...]
    source: str = ""

    @property
    def largest_needed(self) -> int:
        """How many of the largest contributions per kind the dominance rules look at."""
        return max((d.n for d in self.dominance), default=0)


@dataclass(frozen=True)
class Cell:
    """One aggregate: its total, how many contributors of each kind it has, and the largest contributions
    of each kind (descending; at least as many as the dominance rules look at, when there are that many)."""

    total: float
    contributors: Mapping[str, int]
    largest: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(self.contributors.values())


def combine(cells: Iterable[Cell], keep: int) -> Cell:
    """The cell of several disjoint cells together (a province of its zones), ``keep`` largest per kind."""
    parts = list(cells)
    kinds = {kind for c in parts for kind in (*c.contributors, *c.largest)}
    return Cell(sum(c.total for c in parts),
                {kind: sum(c.contributors.get(kind, 0) for c in parts) for kind in kinds},
                {kind: tuple(heapq.nlargest(keep, (v for c in parts for v in c.largest.get(kind, ()))))
                 for kind in kinds})


def primary_reason(cell: Cell, rules: DisclosureRules) -> str | None:
    """Why ``cell`` may not be published on its own (a reason code), or None. A rule on a kind of
    contributor the table does not count (enterprises in zone reports) does not apply to it."""
    if cell.empty:
        return None  # nothing to protect: no one contributed
    for kind, minimum in rules.min_contributors.items():
        count = cell.contributors.get(kind)
        if count is not None and count < minimum:
            return f"min_{kind}s"
    for rule in rules.dominance:
        largest = cell.largest.get(rule.contributor)
        if largest is None or cell.total <= 0:
            continue
        if sum(largest[:rule.n]) > rule.k / 100 * cell.total:
            return f"dominance_{rule.contributor}"
    return None


@dataclass(frozen=True)
class Relation:
    """``total`` = the sum of ``parts`` (cell keys)."""

    total: str
    parts: tuple[str, ...]

    @property
    def members(self) -> tuple[str, ...]:
        return (self.total, *self.parts)


def suppress(cells: Mapping[str, Cell], relations: Sequence[Relation], rules: DisclosureRules,
             known: Set[str] = frozenset()) -> dict[str, str]:
    """The cells of one measure (revenue, profit, …) to suppress for a viewer who knows ``known``, with a
    reason code each. Complementary suppressions pick the smallest cell first (the least information lost)."""
    empty = {key for key, cell in cells.items() if cell.empty}
    if known:  # what the viewer works out from what it knows alone (its zone = its one-zone province) it knows
        known = set(known) | recoverable(relations, set(cells) - set(known) - empty)
    reasons = {key: reason for key, cell in cells.items()
               if key not in known and (reason := primary_reason(cell, rules)) is not None}

    def size(key: str) -> tuple[float, str]:
        return (abs(cells[key].total), key)

    def eligible(keys: Iterable[str]) -> list[str]:
        return [k for k in keys if k not in reasons and k not in known and k not in empty and k in cells]

    while True:
        added = _one_hidden(relations, reasons, eligible, size)
        if not added:
            added = _widen(relations, recoverable(relations, set(reasons)), reasons, eligible, size)
            if not added:
                return reasons


def _one_hidden(relations: Sequence[Relation], reasons: dict[str, str], eligible: _Eligible, size: _Size) -> bool:
    """Suppress one more member of each relation that has exactly one suppressed member; True if any."""
    added = False
    for relation in relations:
        if sum(1 for k in relation.members if k in reasons) != 1:
            continue
        parts = eligible(relation.parts)
        choice = min(parts, key=size) if parts else next(iter(eligible([relation.total])), None)
        if choice is not None:
            reasons[choice] = COMPLEMENTARY
            added = True
    return added


def _widen(relations: Sequence[Relation], leaks: set[str], reasons: dict[str, str], eligible: _Eligible,
           size: _Size) -> bool:
    """For a suppressed cell still recoverable through several relations: suppress one more cell beside it."""
    for key in sorted(leaks):
        for relation in relations:
            if key in relation.members:
                candidates = eligible(relation.members)
                if candidates:
                    reasons[min(candidates, key=size)] = COMPLEMENTARY
                    return True
    return False


def recoverable(relations: Sequence[Relation], hidden: Set[str]) -> set[str]:
    """The ``hidden`` cells whose values follow from the other cells through the relations.

    Each relation is a linear equation over the hidden cells (the others are constants). A hidden cell is
    determined exactly when its unit vector lies in the row space of those equations: when its row of an
    orthonormal basis of that space has length one.
    """
    keys = sorted(hidden)
    if not keys:
        return set()
    column = {k: i for i, k in enumerate(keys)}
    rows = []
    for relation in relations:
        row = np.zeros(len(keys))
        if relation.total in column:
            row[column[relation.total]] += 1.0
        for part in relation.parts:
            if part in column:
                row[column[part]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    # The reduced SVD of the transposed equations: its left vectors span the row space (cheap: few rows).
    basis, singular, _ = np.linalg.svd(np.vstack(rows).T, full_matrices=False)
    rank = int((singular > 1e-9 * max(float(singular.max()), 1.0)).sum())
    length = (basis[:, :rank] ** 2).sum(axis=1)
    return {k for k, i in column.items() if length[i] > 1 - 1e-9}
