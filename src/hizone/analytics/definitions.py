"""Indicator definitions: YAML in the catalog (catalog/data/indicators/*.yaml), checked and compiled on load.

A file holds the indicators of one form and period type::

    version: 1
    form: enterprise_annual
    period_type: annual            # annual | cumulative | month (month: single months from 1–N月累计)
    indicators:
      rd_intensity:
        name_zh: 企业R&D经费内部支出占营业收入比例
        name_en: R&D expenditure as a share of revenue
        unit: "%"
        formula: rd_expenditure / revenue * 100

Every mistake (unknown element, a denominator that may be zero, a cycle) is a CatalogError naming
the file and the line of the formula.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from hizone.analytics.compiler import AtomRegistry, CompiledIndicator, Compiler, Scope
from hizone.analytics.formula import Node, parse
from hizone.catalog import Catalog, compose_yaml, default_catalog, package_directory, read_yaml, user_directories
from hizone.errors import CatalogError
from hizone.registry import qualification_kinds

INDICATOR_DIR = package_directory("indicators")
PeriodType = Literal["annual", "cumulative", "month"]
PERIOD_TYPES: tuple[PeriodType, ...] = ("annual", "cumulative", "month")


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    unit: str
    formula: str
    form: str
    period_type: PeriodType
    version: int
    source: str  # "file:line", for messages and provenance


@dataclass(frozen=True)
class FactTable:
    """The fact rows one group of indicators is computed over: a form at one period type."""

    form: str
    period_type: PeriodType

    @property
    def name(self) -> str:
        return f"{self.form}__{self.period_type}"


@dataclass
class IndicatorSet:
    """All indicators, compiled per fact table, with the atoms each fact table needs."""

    indicators: dict[str, Indicator]
    compiled: dict[str, CompiledIndicator]
    registries: dict[FactTable, AtomRegistry]
    fingerprint: str
    groups: list[ZoneGroup] = field(default_factory=list)

    def table_of(self, code: str) -> FactTable:
        indicator = self.indicators[code]
        return FactTable(indicator.form, indicator.period_type)

    def by_table(self) -> dict[FactTable, list[str]]:
        tables: dict[FactTable, list[str]] = {}
        for code in self.indicators:
            tables.setdefault(self.table_of(code), []).append(code)
        return tables

    def get(self, code: str) -> Indicator:
        if code not in self.indicators:
            raise CatalogError(f"unknown indicator '{code}' (known: {', '.join(sorted(self.indicators))})",
                               where="indicator")
        return self.indicators[code]


@dataclass(frozen=True)
class ZoneGroup:
    """A named set of zones beyond the hierarchy (a city cluster), by provinces and/or cities."""

    kind: str
    code: str
    name_zh: str
    name_en: str
    provinces: frozenset[str]
    cities: frozenset[str]  # city names without the 市 suffix; empty: the whole provinces

    def contains(self, province_code: str, city: str) -> bool:
        if province_code not in self.provinces:
            return False
        return not self.cities or city.removesuffix("市") in self.cities


def mapping_lines(path: Path, section: str) -> dict[str, dict[str, int]]:
    """1-based lines of each entry under ``section`` and of each of its keys: {entry: {"": line, key: line}}."""
    try:
        root = compose_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError):
        return {}  # read_yaml reports the problem with its own position
    lines: dict[str, dict[str, int]] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if key.value != section or not isinstance(value, yaml.MappingNode):
            continue
        for entry_key, entry_value in value.value:
            entry = {"": entry_key.start_mark.line + 1}
            if isinstance(entry_value, yaml.MappingNode):
                entry.update({k.value: v.start_mark.line + 1 for k, v in entry_value.value})
            lines[str(entry_key.value)] = entry
    return lines


def _text(spec: Mapping[str, Any], key: str, where: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"'{key}' must be a non-empty string, got {value!r}", where=where)
    return value


def form_scope(catalog: Catalog, form: str, where: str) -> tuple[dict[str, float | None], frozenset[str]]:
    """What a formula over ``form`` may name: its elements (with their lower bounds) and qualification flags."""
    versions = catalog.forms.get(form)
    if not versions:
        raise CatalogError(f"unknown form '{form}' (known: {', '.join(sorted(catalog.forms))})", where=where)
    elements: dict[str, float | None] = {}
    for version in versions:
        for fld in version.fields:
            elements[fld.element.code] = fld.element.min
    flags = frozenset(qualification_kinds()) if versions[-1].entity == "enterprise" else frozenset()
    return elements, flags


def _read_file(path: Path, catalog: Catalog) -> list[Indicator]:
    doc = read_yaml(path)
    lines = mapping_lines(path, "indicators")
    form = _text(doc, "form", str(path))
    version = doc.get("version", 1)
    if not isinstance(version, int):
        raise CatalogError(f"'version' must be an integer, got {version!r}", where=str(path))
    frequency = catalog.forms[form][-1].frequency if form in catalog.forms else None
    default_type = "annual" if frequency == "annual" else "cumulative"
    period_type = doc.get("period_type", default_type)
    if period_type not in PERIOD_TYPES:
        raise CatalogError(f"'period_type' must be one of {', '.join(PERIOD_TYPES)}, got {period_type!r}",
                           where=str(path))
    if frequency is not None and (period_type == "annual") != (frequency == "annual"):
        raise CatalogError(f"period_type '{period_type}' does not fit the {frequency} form '{form}'",
                           where=str(path))
    entries = doc.get("indicators")
    if not isinstance(entries, dict) or not entries:
        raise CatalogError("'indicators' must be a non-empty mapping", where=str(path))
    indicators = []
    for code, spec in entries.items():
        line = lines.get(str(code), {})
        where = f"{path}:{line.get('', '?')}"
        if not isinstance(spec, dict):
            raise CatalogError(f"indicator '{code}' must be a mapping", where=where)
        formula_where = f"{path}:{line.get('formula', line.get('', '?'))}"
        indicators.append(Indicator(
            code=str(code), name_zh=_text(spec, "name_zh", where), name_en=_text(spec, "name_en", where),
            unit=str(spec.get("unit", "")), formula=_text(spec, "formula", formula_where), form=form,
            period_type=cast(PeriodType, period_type), version=version, source=formula_where))
    return indicators


def _read_groups(path: Path) -> list[ZoneGroup]:
    doc = read_yaml(path)
    lines = mapping_lines(path, "groups")
    kind = _text(doc, "kind", str(path))
    groups = []
    for code, spec in (doc.get("groups") or {}).items():
        where = f"{path}:{lines.get(str(code), {}).get('', '?')}"
        provinces = spec.get("provinces") if isinstance(spec, dict) else None
        if not isinstance(provinces, list) or not provinces:
            raise CatalogError("'provinces' must be a non-empty list of province codes", where=where)
        groups.append(ZoneGroup(kind, str(code), _text(spec, "name_zh", where), _text(spec, "name_en", where),
                                frozenset(str(p) for p in provinces),
                                frozenset(str(c).removesuffix("市") for c in spec.get("cities") or ())))
    return groups


def load_indicators(directories: Iterable[Path] = (), catalog: Catalog | None = None) -> IndicatorSet:
    """Every indicator under ``directories`` (the package's first; same file names override), checked."""
    catalog = catalog or default_catalog()
    roots = [INDICATOR_DIR, *directories]
    files: dict[str, Path] = {}
    group_files: dict[str, Path] = {}
    for root in roots:
        files.update({p.name: p for p in sorted(root.glob("*.yaml"))})
        group_files.update({p.name: p for p in sorted((root / "groups").glob("*.yaml"))})
    indicators: dict[str, Indicator] = {}
    for path in files.values():
        for indicator in _read_file(path, catalog):
            if indicator.code in indicators:
                raise CatalogError(f"indicator '{indicator.code}' is also defined at "
                                   f"{indicators[indicator.code].source}", where=indicator.source)
            indicators[indicator.code] = indicator
    compiled, registries = _compile_all(indicators, catalog)
    digest = hashlib.sha256()
    for path in [*files.values(), *group_files.values()]:
        digest.update(path.read_bytes())
    groups = [g for path in group_files.values() for g in _read_groups(path)]
    return IndicatorSet(indicators, compiled, registries, digest.hexdigest()[:16], groups)


def _compile_all(indicators: Mapping[str, Indicator], catalog: Catalog
                 ) -> tuple[dict[str, CompiledIndicator], dict[FactTable, AtomRegistry]]:
    parsed: dict[str, Node] = {code: parse(ind.formula, ind.source) for code, ind in indicators.items()}
    tables: dict[FactTable, list[str]] = {}
    for code, ind in indicators.items():
        tables.setdefault(FactTable(ind.form, ind.period_type), []).append(code)
    compiled: dict[str, CompiledIndicator] = {}
    registries: dict[FactTable, AtomRegistry] = {}
    for table, codes in tables.items():
        elements, flags = form_scope(catalog, table.form, indicators[codes[0]].source)
        for code in codes:
            if code in elements:
                raise CatalogError(f"indicator code '{code}' is also an element of form '{table.form}'; "
                                   "give the indicator its own code", where=indicators[code].source)
        scope = Scope(elements, flags, {code: parsed[code] for code in codes})
        compiler = Compiler(scope, AtomRegistry())
        for code in codes:
            compiled[code] = compiler.compile(code, parsed[code], indicators[code].source)
        registries[table] = compiler.registry
    return compiled, registries


@cache
def default_indicators() -> IndicatorSet:
    """The package's indicators with the user's directories from HIZONE_CATALOG_PATH (``indicators/``)."""
    return load_indicators(user_directories("indicators"))
