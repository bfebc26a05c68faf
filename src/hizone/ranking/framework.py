"""Evaluation frameworks (综合评价指标体系): YAML in catalog/data/frameworks/<code>-<version>.yaml, validated on load.

A framework names its dimensions (一级指标, weights in points) and indicators (二级指标, 赋权 multipliers
within a dimension, each with a formula in hizone's indicator formula language, or ``available: false``),
plus the composite-index pipeline and the uncertainty analysis. Every mistake is one CatalogError naming
the file, the line and the item.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from hizone.analytics.compiler import AtomRegistry, Compiler, Scope
from hizone.analytics.definitions import IndicatorSet, default_indicators, form_scope
from hizone.analytics.formula import Node, parse
from hizone.catalog import Catalog, compose_yaml, default_catalog, package_directory, read_yaml, user_directories
from hizone.errors import CatalogError, HizoneError
from hizone.evaluate import (
    IndexTree,
    PipelineConfig,
    UncertaintySpec,
    parse_pipeline,
    parse_uncertainty_spec,
    tree_from_records,
)

FRAMEWORK_DIR = package_directory("frameworks")
ROOT = "INDEX"  # the composite index's code in the tree
TOP_KEYS = ("code", "version", "name_zh", "name_en", "form", "source", "method", "pipeline", "uncertainty",
            "dimensions", "indicators")
DIMENSION_KEYS = ("name_zh", "name_en", "weight", "tag", "source")
INDICATOR_KEYS = ("dimension", "name_zh", "name_en", "unit", "weight", "direction", "tag", "formula", "change",
                  "available", "approximated", "reason", "qualitative", "source")


@dataclass(frozen=True)
class Dimension:
    code: str
    name_zh: str
    name_en: str
    weight: float  # points out of the total
    tag: str


@dataclass(frozen=True)
class FrameworkIndicator:
    code: str
    dimension: str
    name_zh: str
    name_en: str
    unit: str
    weight: float  # 赋权 within the dimension
    direction: int  # 1: more is better; -1: less is better
    tag: str  # official / code / inferred: how sure the definition is
    formula: str | None
    change: bool  # this year's value minus last year's (当年净增)
    available: bool
    approximated: str | None  # how the enterprise form stands in for the official definition
    reason: str | None  # why it is not available
    where: str  # "file:line"

    @property
    def computable(self) -> bool:
        return self.available and self.formula is not None


@dataclass(frozen=True)
class Framework:
    code: str
    version: int
    name_zh: str
    name_en: str
    form: str
    source: str
    method: str
    dimensions: tuple[Dimension, ...]
    indicators: tuple[FrameworkIndicator, ...]
    pipeline: PipelineConfig
    uncertainty_raw: Mapping[str, Any]
    path: str
    fingerprint: str  # digest of the file's bytes: which framework text produced a run
    formulas: Mapping[str, Node]  # parsed formulas of the computable indicators

    @property
    def computable(self) -> tuple[FrameworkIndicator, ...]:
        return tuple(i for i in self.indicators if i.computable)

    def indicator(self, code: str) -> FrameworkIndicator:
        return next(i for i in self.indicators if i.code == code)

    def dimension(self, code: str) -> Dimension:
        return next(d for d in self.dimensions if d.code == code)

    @cached_property
    def tree(self) -> IndexTree:
        """Indicators (level 1) under dimensions (level 2) under the composite index (level 3)."""
        records: list[dict[str, str | None]] = [
            {"iCode": i.code, "iName": i.name_zh, "Type": "Indicator", "Level": "1", "Parent": i.dimension,
             "Weight": repr(i.weight), "Direction": str(i.direction)} for i in self.computable]
        records += [{"iCode": d.code, "iName": d.name_zh, "Type": "Aggregate", "Level": "2", "Parent": ROOT,
                     "Weight": repr(d.weight), "Direction": "1"} for d in self.dimensions]
        records.append({"iCode": ROOT, "iName": self.name_zh, "Type": "Aggregate", "Level": "3", "Parent": None,
                        "Weight": "1", "Direction": "1"})
        records.append({"iCode": "region", "Type": "Group"})
        return tree_from_records(records, source=self.path)

    def uncertainty(self, samples: int | None = None) -> UncertaintySpec:
        raw = dict(self.uncertainty_raw)
        if samples is not None:
            raw["samples"] = samples
        return parse_uncertainty_spec(raw, self.pipeline, self.tree, source=f"{self.path}, uncertainty")

    def config(self) -> dict[str, Any]:
        """What a run stores so it can be reproduced: the framework's items, weights and methods."""
        return {
            "framework": self.code, "version": self.version, "path": self.path, "fingerprint": self.fingerprint,
            "form": self.form, "pipeline": self.pipeline.to_dict(), "uncertainty": dict(self.uncertainty_raw),
            "dimensions": {d.code: {"name_zh": d.name_zh, "weight": d.weight} for d in self.dimensions},
            "indicators": {i.code: {"dimension": i.dimension, "weight": i.weight, "direction": i.direction,
                                    "formula": i.formula, "change": i.change, "available": i.available,
                                    "approximated": i.approximated} for i in self.indicators},
        }


# --- finding the file -----------------------------------------------------------------------------


def framework_dirs(directories: Iterable[Path] = ()) -> list[Path]:
    """The package's frameworks, then HIZONE_CATALOG_PATH's ``frameworks/``, then ``directories``."""
    return [FRAMEWORK_DIR, *user_directories("frameworks"), *directories]


def find_framework(code: str, year: int, directories: Iterable[Path] = ()) -> Path:
    """The file of the newest version of ``code`` not after ``year`` (a later directory wins a tie)."""
    versions: dict[int, Path] = {}
    for root in framework_dirs(directories):
        for path in sorted(root.glob(f"{code}-*.yaml")):
            suffix = path.stem.removeprefix(f"{code}-")
            if suffix.isdigit():
                versions[int(suffix)] = path
    usable = [v for v in versions if v <= year]
    if not usable:
        known = ", ".join(str(v) for v in sorted(versions)) or "none"
        raise CatalogError(f"no framework '{code}' for {year} (versions found: {known})", where="--framework")
    return versions[max(usable)]


def load_framework(path: Path, catalog: Catalog | None = None, indicators: IndicatorSet | None = None
                   ) -> Framework:
    """Read and validate one framework file."""
    catalog = catalog or default_catalog()
    doc = read_yaml(path)
    lines = _Lines(path)
    source = str(path)
    _check_keys(doc, TOP_KEYS, source)
    for key in ("code", "version", "name_zh", "form", "dimensions", "indicators", "pipeline"):
        if key not in doc:
            raise CatalogError(f"'{key}' is missing", where=source)
    version = doc["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise CatalogError(f"'version' must be a year, not {version!r}", where=lines.at("version"))
    form = _string(doc, "form", lines.at("form"))
    dimensions = _dimensions(doc["dimensions"], lines, source)
    framework_indicators = _indicators(doc["indicators"], {d.code for d in dimensions}, lines, source)
    lines.check_unique(("dimensions", "indicators"))
    formulas = _check_formulas(framework_indicators, form, catalog, indicators, source)
    for dimension in dimensions:
        if not any(i.computable and i.dimension == dimension.code for i in framework_indicators):
            raise CatalogError("no computable indicator (one with a formula and not `available: false`)",
                               where=f"{lines.at('dimensions', dimension.code)}, dimension '{dimension.code}'")
    try:
        return _assemble(doc, path, lines, form, dimensions, framework_indicators, formulas)
    except CatalogError:
        raise
    except HizoneError as error:  # the engine's own checks (pipeline, tree, uncertainty) are catalog errors here
        raise CatalogError(error.reason, where=error.where) from None


def _assemble(doc: Mapping[str, Any], path: Path, lines: _Lines, form: str, dimensions: tuple[Dimension, ...],
              framework_indicators: tuple[FrameworkIndicator, ...], formulas: dict[str, Node]) -> Framework:
    source = str(path)
    pipeline_raw = doc["pipeline"]
    pipeline = parse_pipeline({"steps": pipeline_raw} if isinstance(pipeline_raw, list) else pipeline_raw,
                              source=f"{lines.at('pipeline')}, pipeline")
    framework = Framework(
        code=_string(doc, "code", lines.at("code")), version=int(doc["version"]),
        name_zh=_string(doc, "name_zh", source),
        name_en=str(doc.get("name_en", "")), form=form, source=str(doc.get("source", "")),
        method=str(doc.get("method", "")).strip(), dimensions=dimensions, indicators=framework_indicators,
        pipeline=pipeline, uncertainty_raw=doc.get("uncertainty") or {"samples": 100, "seed": 0,
                                                                      "vary": {"weights": {"noise": {1: 0.25}}}},
        path=source, fingerprint=hashlib.sha256(path.read_bytes()).hexdigest()[:16], formulas=formulas)
    framework.tree  # noqa: B018  (build the tree now, so a bad framework fails on load)
    framework.uncertainty()
    return framework


def framework_for(code: str, year: int, directories: Iterable[Path] = (), catalog: Catalog | None = None
                  ) -> Framework:
    """A framework by code (the newest version not after ``year``) or by the path of its .yaml file."""
    if code.endswith((".yaml", ".yml")):
        path = Path(code)
        if not path.is_file():
            raise CatalogError("file not found", where=code)
        return load_framework(path, catalog)
    return load_framework(find_framework(code, year, directories), catalog)


# --- checks ---------------------------------------------------------------------------------------


class _Lines:
    """Line numbers of the keys in the file, and the duplicate keys that yaml.safe_load would hide."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.top: dict[str, int] = {}
        self.entries: dict[str, list[tuple[str, int]]] = {}
        root = compose_yaml(path.read_text(encoding="utf-8"))
        if not isinstance(root, yaml.MappingNode):
            return
        for key, value in root.value:
            self.top[str(key.value)] = key.start_mark.line + 1
            if isinstance(value, yaml.MappingNode):
                self.entries[str(key.value)] = [(str(k.value), k.start_mark.line + 1) for k, _ in value.value]

    def at(self, section: str, entry: str | None = None) -> str:
        if entry is None:
            return f"{self.path}:{self.top.get(section, '?')}"
        line = next((n for code, n in self.entries.get(section, []) if code == entry), "?")
        return f"{self.path}:{line}"

    def check_unique(self, sections: tuple[str, ...]) -> None:
        seen: dict[str, tuple[str, int]] = {}
        for section in sections:
            for code, line in self.entries.get(section, []):
                if code in seen:
                    first_section, first_line = seen[code]
                    raise CatalogError(f"duplicate code '{code}' (also in {first_section} at line {first_line})",
                                       where=f"{self.path}:{line}, {section[:-1]} '{code}'")
                seen[code] = (section, line)


def _check_keys(entry: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in entry:
        if key not in allowed:
            raise CatalogError(f"unknown key '{key}' (expected one of {', '.join(allowed)})", where=where)


def _string(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"'{key}' must be a non-empty text, not {value!r}", where=where)
    return value.strip()


def _positive(entry: Mapping[str, Any], key: str, default: float | None, where: str) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CatalogError(f"'{key}' must be a number, not {value!r}", where=where)
    if value <= 0:
        raise CatalogError(f"'{key}' must be positive, not {value}", where=where)
    return float(value)


def _flag(entry: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise CatalogError(f"'{key}' must be true or false, not {value!r}", where=where)
    return value


def _dimensions(raw: Any, lines: _Lines, source: str) -> tuple[Dimension, ...]:
    if not isinstance(raw, Mapping) or not raw:
        raise CatalogError("'dimensions' must map codes to dimensions", where=lines.at("dimensions"))
    found = []
    for code, spec in raw.items():
        where = f"{lines.at('dimensions', str(code))}, dimension '{code}'"
        if not isinstance(spec, Mapping):
            raise CatalogError("must be a mapping with name_zh and weight", where=where)
        _check_keys(spec, DIMENSION_KEYS, where)
        found.append(Dimension(str(code), _string(spec, "name_zh", where), str(spec.get("name_en", "")),
                               _positive(spec, "weight", None, where), str(spec.get("tag", ""))))
    return tuple(found)


def _indicators(raw: Any, dimensions: set[str], lines: _Lines, source: str) -> tuple[FrameworkIndicator, ...]:
    if not isinstance(raw, Mapping) or not raw:
        raise CatalogError("'indicators' must map codes to indicators", where=lines.at("indicators"))
    found = []
    for code, spec in raw.items():
        where = f"{lines.at('indicators', str(code))}, indicator '{code}'"
        if not isinstance(spec, Mapping):
            raise CatalogError("must be a mapping with dimension, name_zh and formula", where=where)
        _check_keys(spec, INDICATOR_KEYS, where)
        dimension = spec.get("dimension")
        if dimension not in dimensions:
            raise CatalogError(f"unknown dimension {dimension!r} (known: {', '.join(sorted(dimensions))})",
                               where=where)
        direction = spec.get("direction", 1)
        if direction not in (1, -1) or isinstance(direction, bool):
            raise CatalogError(f"'direction' must be 1 or -1, not {direction!r}", where=where)
        available = _flag(spec, "available", True, where)
        formula = spec.get("formula")
        if formula is not None and (not isinstance(formula, str) or not formula.strip()):
            raise CatalogError(f"'formula' must be a text, not {formula!r}", where=where)
        if available and formula is None:
            raise CatalogError("has no formula (give one, or mark it `available: false` with a reason)",
                               where=where)
        found.append(FrameworkIndicator(
            code=str(code), dimension=str(dimension), name_zh=_string(spec, "name_zh", where),
            name_en=str(spec.get("name_en", "")), unit=str(spec.get("unit", "")),
            weight=_positive(spec, "weight", 1.0, where), direction=int(direction), tag=str(spec.get("tag", "")),
            formula=formula.strip() if isinstance(formula, str) else None, change=_flag(spec, "change", False, where),
            available=available, approximated=_optional_text(spec, "approximated", where),
            reason=_optional_text(spec, "reason", where), where=where))
    return tuple(found)


def _optional_text(spec: Mapping[str, Any], key: str, where: str) -> str | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise CatalogError(f"'{key}' must be a text, not {value!r}", where=where)
    return value


def scope_of(form: str, catalog: Catalog, indicators: IndicatorSet | None, own: Mapping[str, Node],
             where: str) -> Scope:
    """What names mean in a framework formula: the form's elements and flags, the analytics indicators of
    the same form (so a framework may name ``rd_intensity``), and the framework's own indicators."""
    elements, flags = form_scope(catalog, form, where)
    known = indicators if indicators is not None else default_indicators()
    shared = {code: parse(ind.formula, ind.source) for code, ind in known.indicators.items()
              if ind.form == form and ind.period_type == "annual" and code not in own}
    return Scope(elements, flags, {**shared, **own})


def _check_formulas(items: tuple[FrameworkIndicator, ...], form: str, catalog: Catalog,
                    indicators: IndicatorSet | None, source: str) -> dict[str, Node]:
    parsed = {i.code: parse(i.formula, i.where) for i in items if i.computable and i.formula is not None}
    compiler = Compiler(scope_of(form, catalog, indicators, parsed, source), AtomRegistry())
    for code, node in parsed.items():
        compiler.check(code, node, next(i.where for i in items if i.code == code))
    return parsed
