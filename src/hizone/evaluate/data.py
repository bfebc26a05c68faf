"""The units × indicators table (COINr's iData), parsed from plain rows and checked against the tree."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hizone.errors import HizoneError
from hizone.evaluate.tree import MISSING_TEXT, IndexTree

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class IndexData:
    """One row per unit; indicator values as a units × indicators float array, NaN where missing."""

    unit_codes: tuple[str, ...]
    unit_names: tuple[str, ...]
    groups: Mapping[str, tuple[str, ...]]  # group column -> label per unit ("" when missing)
    denominators: Mapping[str, FloatArray]  # denominator column -> value per unit
    indicator_codes: tuple[str, ...]
    values: FloatArray

    def select_units(self, keep: BoolArray) -> IndexData:
        """The same table restricted to the units where ``keep`` is true."""
        positions = np.flatnonzero(keep)
        return IndexData(
            unit_codes=tuple(self.unit_codes[i] for i in positions),
            unit_names=tuple(self.unit_names[i] for i in positions),
            groups={name: tuple(labels[i] for i in positions) for name, labels in self.groups.items()},
            denominators={name: column[positions] for name, column in self.denominators.items()},
            indicator_codes=self.indicator_codes,
            values=self.values[positions],
        )

    def with_values(self, values: FloatArray) -> IndexData:
        return IndexData(self.unit_codes, self.unit_names, self.groups, self.denominators,
                         self.indicator_codes, values)


def table_from_records(records: Sequence[Mapping[str, str | None]], tree: IndexTree,
                       source: str = "iData") -> IndexData:
    """Parse iData rows: uCode, optional uName, group, denominator and indicator columns.

    Columns that the tree does not name (e.g. COINr's ``Time``) are ignored, as COINr ignores them.
    """
    if not records:
        raise HizoneError("iData has no rows", where=source)
    header = set(records[0])
    needed = ("uCode", *tree.groups, *tree.denominators, *tree.indicators)
    for column in needed:
        if column not in header:
            raise HizoneError(f"column {column!r} named in iMeta is missing", where=source)
    unit_codes = _unit_codes(records, source)
    return IndexData(
        unit_codes=unit_codes,
        unit_names=tuple((record.get("uName") or code).strip() for record, code in zip(records, unit_codes,
                                                                                      strict=True)),
        groups={name: tuple((record.get(name) or "").strip() for record in records) for name in tree.groups},
        denominators={name: _numeric_column(records, name, source) for name in tree.denominators},
        indicator_codes=tree.indicators,
        values=np.column_stack([_numeric_column(records, code, source) for code in tree.indicators]),
    )


def _unit_codes(records: Sequence[Mapping[str, str | None]], source: str) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=2):
        code = (record.get("uCode") or "").strip()
        if not code:
            raise HizoneError("uCode is empty", where=f"{source}, row {number}")
        if code in seen:
            raise HizoneError(f"uCode {code!r} appears twice (rows {seen[code]} and {number})",
                              where=f"{source}, uCode {code!r}")
        seen[code] = number
    return tuple(seen)


def _numeric_column(records: Sequence[Mapping[str, str | None]], column: str, source: str) -> FloatArray:
    values = np.empty(len(records))
    for index, record in enumerate(records):
        text = (record.get(column) or "").strip()
        if text in MISSING_TEXT:
            values[index] = math.nan
            continue
        try:
            values[index] = float(text)
        except ValueError:
            where = f"{source}, row {index + 2}, column {column!r}"
            raise HizoneError(f"{text!r} is not a number", where=where) from None
    return values
