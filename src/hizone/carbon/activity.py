"""Read an activity file (CSV: entity,province_code,energy,quantity,unit; one row per entity and energy).

Every refusal is one HizoneError naming the file, the row (its line in the file, the header being row 1), the
column and the reason; a file is taken whole or not at all.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from hizone.carbon.engine import Activity, Energy
from hizone.errors import HizoneError

COLUMNS = ("entity", "province_code", "energy", "quantity", "unit")


@dataclass(frozen=True)
class ActivityFile:
    activity: Activity
    provinces: tuple[str, ...]  # each entity's province_code, as given
    rows: tuple[int, ...]  # each entity's first row in the file

    def with_grid_regions(self, path: Path, region_of: Callable[[str], str | None]) -> Activity:
        """The activity with each entity's grid region (regional location-based accounting)."""
        regions = []
        for province, row in zip(self.provinces, self.rows, strict=True):
            region = region_of(province)
            if region is None:
                raise HizoneError(f"province code {province!r} is in no grid region (grid_regions.yaml)",
                                  where=f"{path}, row {row}, column province_code")
            regions.append(region)
        return replace(self.activity, regions=tuple(regions))


def _text(path: Path) -> str:
    raw = path.read_bytes() if path.is_file() else None
    if raw is None:
        raise HizoneError("no such file", where=str(path))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise HizoneError("neither UTF-8 nor GBK text", where=str(path))


def _quantity(text: str, where: str) -> float:
    try:
        value = float(text.replace(",", "").strip())
    except ValueError:
        raise HizoneError(f"quantity {text!r} is not a number", where=where) from None
    if not math.isfinite(value):
        raise HizoneError(f"quantity {text!r} is not a finite number", where=where)
    if value < 0:
        raise HizoneError(f"negative quantity {text!r}", where=where)
    return value


def read_activity(path: Path, energies: dict[str, Energy] | None = None) -> ActivityFile:
    """The file's quantities, each converted to its energy's own unit, checked against ``energies``."""
    from hizone.carbon.factors import default_library

    known = energies if energies is not None else dict(default_library().energies)
    reader = csv.DictReader(_text(path).splitlines())
    header = [name.strip() for name in reader.fieldnames or ()]
    if missing := [c for c in COLUMNS if c not in header]:
        raise HizoneError(f"missing column(s) {', '.join(missing)} (the header needs {', '.join(COLUMNS)})",
                          where=f"{path}, row 1")
    reader.fieldnames = header
    entities: dict[str, int] = {}
    provinces: list[str] = []
    first_rows: list[int] = []
    cells: dict[tuple[int, str], tuple[float, int]] = {}  # (entity, energy) -> (quantity, row)
    for record in reader:
        row = reader.line_num

        def at(column: str, row: int = row) -> str:
            return f"{path}, row {row}, column {column}"

        values = {c: (record.get(c) or "").strip() for c in COLUMNS}
        if not values["entity"]:
            raise HizoneError("empty entity", where=at("entity"))
        energy = known.get(values["energy"])
        if energy is None:
            raise HizoneError(f"unknown energy code {values['energy']!r} (known: {', '.join(known)})",
                              where=at("energy"))
        size = energy.size_of(values["unit"])
        if size is None:
            raise HizoneError(f"unit {values['unit']!r} does not fit {energy.code} (counted in {energy.unit})",
                              where=at("unit"))
        quantity = _quantity(values["quantity"], at("quantity")) * size
        index = entities.setdefault(values["entity"], len(entities))
        if index == len(provinces):
            provinces.append(values["province_code"])
            first_rows.append(row)
        elif provinces[index] != values["province_code"]:
            raise HizoneError(f"entity {values['entity']!r} has province {provinces[index]!r} in an earlier row",
                              where=at("province_code"))
        if (index, energy.code) in cells:
            first = cells[(index, energy.code)][1]
            raise HizoneError(f"a second row for entity {values['entity']!r} and energy {energy.code} (first in row "
                              f"{first})", where=at("energy"))
        cells[(index, energy.code)] = (quantity, row)
    return ActivityFile(_matrix(path, list(entities), cells, known), tuple(provinces), tuple(first_rows))


def _matrix(path: Path, entities: list[str], cells: dict[tuple[int, str], tuple[float, int]],
            known: dict[str, Energy]) -> Activity:
    codes = tuple(code for code in known if any(energy == code for _, energy in cells))
    column = {code: j for j, code in enumerate(codes)}
    quantities = np.zeros((len(entities), len(codes)), dtype=np.float64)
    for (i, code), (quantity, _) in cells.items():
        quantities[i, column[code]] = quantity
    _check_green_within_grid(path, entities, cells, known)
    return Activity(tuple(entities), codes, quantities)


def _check_green_within_grid(path: Path, entities: list[str], cells: dict[tuple[int, str], tuple[float, int]],
                             known: dict[str, Energy]) -> None:
    """Certified green power is part of the grid purchase, so it cannot exceed it."""
    role_code = {e.role: e.code for e in known.values()}
    grid, green = role_code.get("grid_electricity"), role_code.get("green_electricity")
    for (i, code), (quantity, row) in cells.items():
        if code != green:
            continue
        purchased = cells.get((i, grid or ""), (0.0, 0))[0]
        if quantity > purchased:
            raise HizoneError(f"{green} {quantity:g} kWh of entity {entities[i]!r} exceeds its {grid} "
                              f"{purchased:g} kWh (green power is part of the grid purchase)",
                              where=f"{path}, row {row}, column quantity")
