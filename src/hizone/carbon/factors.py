"""The factor library (catalog/data/carbon/*.yaml): loaded through the catalog loader, checked, resolved per year.

A data year uses, of each table, the latest entry of that year or before (an edition of GB/T 2589, a year of the
grid factors); when that entry is from an earlier year than the data, the resolved :class:`FactorSet` says so in
``notes``. A year before every entry of a table is an error. Every value names a source of ``sources.yaml``; the
resolved set records which entries and file revisions it used (``version``) and a digest of its numbers
(``fingerprint``), so an account keeps the factors it was computed with when a file is corrected later.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hizone.carbon.engine import ROLES, Energy, FactorSet, normalise_unit
from hizone.catalog import default_catalog, package_directory, read_yaml, user_directories
from hizone.errors import CatalogError, HizoneError

CARBON_DIR = package_directory("carbon")
FILES = ("sources", "energies", "standard_coal", "fuel_factors", "grid_factors", "grid_regions")
# A coefficient's unit → how many of its denominators one of the energy's own unit is.
TCE_UNITS = {"kgce/kWh": ("kWh", 1.0), "kgce/GJ": ("GJ", 1.0), "kgce/m3": ("m3", 1.0), "kgce/kg": ("t", 1000.0)}
CO2_UNITS = {"tCO2/t": ("t", 1.0), "tCO2/10^4 m3": ("m3", 1e-4)}
FACTOR_TOLERANCE = 1e-3  # a stated fuel factor may differ from NCV × CC × OF × 44/12 by rounding only
CO2_PER_C = 44.0 / 12.0
BASES = ("national", "regional")


@dataclass(frozen=True)
class Dated:
    """One year's entry of a table with where it came from."""

    year: int
    values: Mapping[str, Any]
    source: str


@dataclass(frozen=True)
class Library:
    sources: Mapping[str, Mapping[str, str]]
    energies: Mapping[str, Energy]
    standard_coal: tuple[Dated, ...]  # editions, ascending; values: energy -> kgce per unit (as published)
    equal_value: tuple[Dated, ...]  # electricity 等价值 by year
    fuels: tuple[Dated, ...]  # editions; values: {"fuels": energy -> tCO2 per energy unit, "heat": tCO2/GJ}
    grid: tuple[Dated, ...]  # data years; values: {"national": {...}, "regions": {...}}
    province_region: Mapping[str, str]
    revisions: Mapping[str, int]  # file -> revision

    def resolve(self, year: int, basis: str = "national") -> FactorSet:
        """The factors in force for data ``year``; ``basis`` national or regional (the grid of each province)."""
        if basis not in BASES:
            raise HizoneError(f"unknown grid basis {basis!r} (one of {', '.join(BASES)})", where="basis")
        notes: list[str] = []
        grid = _in_force(self.grid, year, "grid factors", notes)  # first: the shortest series
        coal = _in_force(self.standard_coal, year, "standard-coal coefficients")
        fuels = _in_force(self.fuels, year, "fuel factors")
        equal = _in_force(self.equal_value, year, "electricity 等价值")  # a standing parameter, see the YAML
        location = {"national": grid.values["national"]["location"] / 1000.0}
        if basis == "regional":
            regional = [d for d in self.grid if d.year <= year and d.values.get("regions")]
            if not regional:
                raise HizoneError(f"no regional grid factors published for {year} or earlier", where="basis")
            if regional[-1].year != grid.year:
                notes.append(f"regional grid factors for {year} not published; using {regional[-1].year}'s")
            location |= {r: v / 1000.0 for r, v in regional[-1].values["regions"].items()}
        tce = dict(coal.values)
        equal_value = tce | {code: equal.values["electricity"] for code, e in self.energies.items()
                             if e.role in ("grid_electricity", "electricity_sold")}
        version = (f"standard_coal {coal.year} r{self.revisions['standard_coal']}; equal_value {equal.year} "
                   f"r{self.revisions['standard_coal']}; fuels {fuels.year} r{self.revisions['fuel_factors']}; "
                   f"grid {grid.year} {basis} r{self.revisions['grid_factors']}")
        numbers = {"tce": tce, "equal": equal_value, "scope1": fuels.values["fuels"], "location": location,
                   "market": grid.values["national"]["market"] / 1000.0, "heat": fuels.values["heat"]}
        fingerprint = hashlib.sha256(json.dumps(numbers, sort_keys=True).encode()).hexdigest()[:16]
        return FactorSet(year=year, energies=self.energies, tce_equivalent=tce, tce_equal_value=equal_value,
                         co2_scope1=fuels.values["fuels"], grid_location=location,
                         grid_market=numbers["market"], heat=fuels.values["heat"], version=version,
                         fingerprint=fingerprint, notes=tuple(notes))

    def region_of(self, province_code: str) -> str | None:
        return self.province_region.get(province_code)


def _in_force(table: tuple[Dated, ...], year: int, what: str, notes: list[str] | None = None) -> Dated:
    """The latest entry of ``year`` or before. For a yearly series (``notes`` given) an earlier year's entry is
    a fallback and noted; an edition of a standard stays in force until the next one, which is no fallback."""
    usable = [d for d in table if d.year <= year]
    if not usable:
        raise HizoneError(f"no {what} published for {year} or earlier (the first is {table[0].year}'s)",
                          where="year")
    chosen = usable[-1]
    if notes is not None and chosen.year != year:
        notes.append(f"{what} for {year} not published; using {chosen.year}'s ({chosen.source})")
    return chosen


# --- loading and checking -------------------------------------------------------------------------------------


def _files(directories: Iterable[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in [CARBON_DIR, *directories]:
        for name in FILES:
            if (root / f"{name}.yaml").exists():
                found[name] = root / f"{name}.yaml"
    missing = [n for n in FILES if n not in found]
    if missing:
        raise CatalogError(f"missing carbon factor file(s): {', '.join(missing)}", where=str(CARBON_DIR))
    return found


def _number(value: Any, where: str, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CatalogError(f"expected a number, got {value!r}", where=where)
    if positive and value <= 0:
        raise CatalogError(f"must be positive, got {value!r}", where=where)
    return float(value)


def _mapping(doc: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = doc.get(key)
    if not isinstance(value, dict) or not value:
        raise CatalogError(f"'{key}' must be a non-empty mapping", where=where)
    return value


def _revision(doc: Mapping[str, Any], where: str) -> int:
    revision = doc.get("revision")
    if not isinstance(revision, int) or revision < 1:
        raise CatalogError(f"'revision' must be a positive integer, got {revision!r}", where=where)
    return revision


def _source(spec: Mapping[str, Any], default: str | None, sources: Mapping[str, Any], where: str) -> str:
    source = spec.get("source", default)
    if source not in sources:
        raise CatalogError(f"unknown source {source!r} (listed in sources.yaml: {', '.join(sources)})", where=where)
    return str(source)


def _energies(doc: Mapping[str, Any], path: Path) -> dict[str, Energy]:
    energies = {}
    for code, spec in _mapping(doc, "energies", str(path)).items():
        where = f"{path}: energies.{code}"
        if not isinstance(spec, dict):
            raise CatalogError("expected a mapping", where=where)
        role, unit = spec.get("role"), spec.get("unit")
        if role not in ROLES:
            raise CatalogError(f"'role' must be one of {', '.join(ROLES)}, got {role!r}", where=where)
        if not isinstance(unit, str) or not unit:
            raise CatalogError("'unit' must be a unit name", where=where)
        units = {normalise_unit(unit): 1.0}
        for name, size in (spec.get("units") or {}).items():
            units[normalise_unit(str(name))] = _number(size, f"{where}.units.{name}")
        energies[str(code)] = Energy(str(code), str(spec.get("name_zh", code)), str(spec.get("name_en", code)),
                                     str(role), unit, units, _element_of(spec, units, where))
    return energies


def _element_of(spec: Mapping[str, Any], units: Mapping[str, float], where: str) -> str:
    """The form element reporting the energy: it must exist and be counted in a unit the energy accepts."""
    code = spec.get("element")
    element = default_catalog().elements.get(str(code))
    if element is None:
        raise CatalogError(f"unknown data element {code!r} (elements.yaml)", where=f"{where}.element")
    if normalise_unit(element.unit.name) not in units:
        raise CatalogError(f"element {code} is counted in {element.unit.name}, not a unit of this energy",
                           where=f"{where}.element")
    return str(code)


def _per_unit(spec: Any, energy: Energy, units: Mapping[str, tuple[str, float]], scale: float, where: str) -> float:
    """A published coefficient (``value`` or ``factor`` in its ``unit``) per one of the energy's own unit."""
    if not isinstance(spec, dict):
        raise CatalogError("expected a mapping with a value and its unit", where=where)
    unit = str(spec.get("unit"))
    if unit not in units:
        raise CatalogError(f"'unit' must be one of {', '.join(units)}, got {unit!r}", where=where)
    denominator, per_energy_unit = units[unit]
    if denominator != energy.unit:
        raise CatalogError(f"unit {unit} does not fit {energy.code}, counted in {energy.unit}", where=where)
    return _number(spec.get("value", spec.get("factor")), where) * per_energy_unit * scale


def _years(doc: Mapping[str, Any], key: str, where: str) -> list[tuple[int, Any]]:
    entries: Mapping[Any, Any] = _mapping(doc, key, where)
    if not all(isinstance(year, int) for year in entries):
        raise CatalogError(f"the keys of '{key}' must be years", where=where)
    return sorted(entries.items())


def _standard_coal(doc: Mapping[str, Any], path: Path, energies: Mapping[str, Energy],
                   sources: Mapping[str, Any]) -> tuple[tuple[Dated, ...], tuple[Dated, ...]]:
    editions = []
    for year, spec in _years(doc, "editions", str(path)):
        where = f"{path}: editions.{year}"
        source = _source(spec, None, sources, where)
        values: dict[str, float] = {}
        for code, coefficient in _mapping(spec, "equivalent", where).items():
            if code not in energies:
                raise CatalogError(f"unknown energy {code!r}", where=f"{where}.equivalent")
            if isinstance(coefficient, dict):
                _source(coefficient, source, sources, f"{where}.equivalent.{code}")
            values[code] = _per_unit(coefficient, energies[code], TCE_UNITS, 1e-3, f"{where}.equivalent.{code}")
        needed = [c for c, e in energies.items() if e.role not in ("green_electricity", "renewable_generation",
                                                                     "process")]
        if missing := [c for c in needed if c not in values]:
            raise CatalogError(f"no 当量值 for {', '.join(missing)}", where=f"{where}.equivalent")
        editions.append(Dated(year, values, source))
    electricity = next(e for e in energies.values() if e.role == "grid_electricity")
    equal = []
    for year, spec in _years(_mapping(doc, "equal_value", str(path)), "electricity", f"{path}: equal_value"):
        where = f"{path}: equal_value.electricity.{year}"
        equal.append(Dated(year, {"electricity": _per_unit(spec, electricity, TCE_UNITS, 1e-3, where)},
                           _source(spec, None, sources, where)))
    return tuple(editions), tuple(equal)


def _fuel_factors(doc: Mapping[str, Any], path: Path, energies: Mapping[str, Energy],
                  sources: Mapping[str, Any]) -> tuple[Dated, ...]:
    editions = []
    for year, spec in _years(doc, "editions", str(path)):
        where = f"{path}: editions.{year}"
        source = _source(spec, None, sources, where)
        fuels: dict[str, float] = {}
        for code, fuel in _mapping(spec, "fuels", where).items():
            at = f"{where}.fuels.{code}"
            if code not in energies or energies[code].role != "fuel":
                raise CatalogError(f"{code!r} is not a fuel of energies.yaml", where=at)
            stated = _number(fuel.get("factor"), f"{at}.factor")
            ncv, content = _number(fuel.get("ncv"), f"{at}.ncv"), _number(fuel.get("carbon_content"), f"{at}.content")
            product = ncv * content * _number(fuel.get("oxidation"), f"{at}.oxidation") * CO2_PER_C
            if abs(product - stated) > FACTOR_TOLERANCE * stated:
                raise CatalogError(f"factor {stated} is not NCV × carbon content × oxidation × 44/12 = {product:.4f}",
                                   where=at)
            fuels[code] = _per_unit(fuel, energies[code], CO2_UNITS, 1.0, at)
        if missing := [c for c, e in energies.items() if e.role == "fuel" and c not in fuels]:
            raise CatalogError(f"no CO2 factor for {', '.join(missing)}", where=f"{where}.fuels")
        for code, e in energies.items():
            if e.role == "process":
                fuels[code] = 1.0  # reported in tCO2 already
        heat = spec.get("heat") or {}
        if heat.get("unit") != "tCO2/GJ":
            raise CatalogError(f"heat 'unit' must be tCO2/GJ, got {heat.get('unit')!r}", where=f"{where}.heat")
        _source(heat, source, sources, f"{where}.heat")
        editions.append(Dated(year, {"fuels": fuels, "heat": _number(heat.get("factor"), f"{where}.heat.factor")},
                              source))
    return tuple(editions)


def _grid(doc: Mapping[str, Any], path: Path, regions: Iterable[str], sources: Mapping[str, Any]) -> tuple[Dated, ...]:
    if doc.get("unit") != "kgCO2/kWh":
        raise CatalogError(f"'unit' must be kgCO2/kWh, got {doc.get('unit')!r}", where=str(path))
    known = set(regions)
    years = []
    for year, spec in _years(doc, "years", str(path)):
        where = f"{path}: years.{year}"
        national = _mapping(spec, "national", where)
        values = {"national": {k: _number(national.get(k), f"{where}.national.{k}") for k in ("location", "market")},
                  "regions": {}}
        for region, factor in (spec.get("regions") or {}).items():
            if region not in known:
                raise CatalogError(f"unknown grid region {region!r} (grid_regions.yaml)", where=f"{where}.regions")
            values["regions"][region] = _number(factor, f"{where}.regions.{region}")
        if values["regions"] and set(values["regions"]) != known:
            raise CatalogError(f"regional factors missing for {', '.join(sorted(known - set(values['regions'])))}",
                               where=f"{where}.regions")
        years.append(Dated(year, values, _source(spec, None, sources, where)))
    return tuple(years)


def _regions(doc: Mapping[str, Any], path: Path, sources: Mapping[str, Any]) -> dict[str, str]:
    _source(doc, None, sources, str(path))
    province_region: dict[str, str] = {}
    for region, spec in _mapping(doc, "regions", str(path)).items():
        for province in spec.get("provinces") or ():
            if province_region.setdefault(str(province), region) != region:
                raise CatalogError(f"province {province} is in two grid regions", where=f"{path}: regions.{region}")
    return province_region


def load_library(directories: Iterable[Path] = ()) -> Library:
    """The factor library of the package, with each of ``directories``' carbon/ files layered on top."""
    paths = _files(directories)
    docs = {name: read_yaml(path) for name, path in paths.items()}
    revisions = {name: _revision(doc, str(paths[name])) for name, doc in docs.items()}
    sources = _mapping(docs["sources"], "sources", str(paths["sources"]))
    energies = _energies(docs["energies"], paths["energies"])
    province_region = _regions(docs["grid_regions"], paths["grid_regions"], sources)
    coal, equal = _standard_coal(docs["standard_coal"], paths["standard_coal"], energies, sources)
    return Library(sources=sources, energies=energies, standard_coal=coal, equal_value=equal,
                   fuels=_fuel_factors(docs["fuel_factors"], paths["fuel_factors"], energies, sources),
                   grid=_grid(docs["grid_factors"], paths["grid_factors"], set(province_region.values()), sources),
                   province_region=province_region, revisions=revisions)


@cache
def default_library() -> Library:
    """The library with the user's catalog directories (HIZONE_CATALOG_PATH)."""
    return load_library(user_directories("carbon"))
