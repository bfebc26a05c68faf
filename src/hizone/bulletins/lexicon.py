"""The extractor's lexicons from the catalog (catalog/data/bulletins/*.yaml): units, qualifiers, metrics, rules.

A user's catalog directory (HIZONE_CATALOG_PATH) may override any of the three files by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from hizone.catalog import package_directory, read_yaml, user_directories
from hizone.errors import CatalogError

KIND = "bulletins"


@dataclass(frozen=True)
class UnitSpec:
    unit: str
    factor: Decimal


@dataclass(frozen=True)
class Lexicon:
    multipliers: dict[str, Decimal]
    units: dict[str, UnitSpec]
    not_after: dict[str, tuple[str, ...]]  # unit spelling → what after it makes it no unit (个 in 6个月)
    qualifiers_before: dict[str, str]
    qualifiers_after: dict[str, str]
    metrics: list[tuple[str, str]]  # (phrase, code), longest phrase first
    growth_suffixes: dict[str, str]
    share_suffixes: dict[str, str]
    zone_aliases: dict[str, list[str]]
    national_words: list[str]
    china_words: list[str]
    furniture: list[re.Pattern[str]]
    event_words: list[str]
    contest_words: list[str]
    enterprise_words: list[str]
    radicals: dict[int, str]  # str.translate table: radical → ideograph (⾼ → 高), one character to one


def _file(name: str) -> Path:
    """The last of the package's and the user's directories that holds ``name``."""
    found = package_directory(KIND) / name
    for directory in user_directories(KIND):
        if (directory / name).is_file():
            found = directory / name
    return found


def _mapping(doc: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise CatalogError(f"'{key}' must be a mapping", where=str(path))
    return value


def _words(doc: dict[str, Any], key: str, path: Path) -> list[str]:
    value = doc.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"'{key}' must be a list of strings", where=str(path))
    return value


@cache
def lexicon() -> Lexicon:
    units_path, metrics_path, rules_path = _file("units.yaml"), _file("metrics.yaml"), _file("rules.yaml")
    radicals_path = _file("radicals.yaml")
    radicals = {str(k): str(v) for k, v in _mapping(read_yaml(radicals_path), "radicals", radicals_path).items()}
    if any(len(k) != 1 or len(v) != 1 for k, v in radicals.items()):
        raise CatalogError("each radical maps one character to one", where=str(radicals_path))
    units_doc, metrics_doc, rules_doc = read_yaml(units_path), read_yaml(metrics_path), read_yaml(rules_path)
    units = {}
    for spelling, spec in _mapping(units_doc, "units", units_path).items():
        if not isinstance(spec, dict) or "unit" not in spec or "factor" not in spec:
            raise CatalogError("expected {unit, factor}", where=f"{units_path}: units.{spelling}")
        units[str(spelling)] = UnitSpec(str(spec["unit"]), Decimal(str(spec["factor"])))
    metrics: list[tuple[str, str]] = []
    for code, phrases in _mapping(metrics_doc, "metrics", metrics_path).items():
        if not isinstance(phrases, list):
            raise CatalogError("expected a list of phrases", where=f"{metrics_path}: metrics.{code}")
        metrics.extend((str(p), str(code)) for p in phrases)
    metrics.sort(key=lambda pc: -len(pc[0]))
    suffixes = _mapping(metrics_doc, "suffixes", metrics_path)
    aliases = {str(code): [str(a) for a in names] for code, names in _mapping(rules_doc, "zone_aliases",
                                                                                 rules_path).items()}
    return Lexicon(
        multipliers={str(k): Decimal(str(v)) for k, v in _mapping(units_doc, "multipliers", units_path).items()},
        units=units,
        not_after={str(k): tuple(str(w) for w in v) for k, v in _mapping(units_doc, "not_after", units_path).items()},
        qualifiers_before={str(k): str(v) for k, v in _mapping(units_doc, "qualifiers_before", units_path).items()},
        qualifiers_after={str(k): str(v) for k, v in _mapping(units_doc, "qualifiers_after", units_path).items()},
        metrics=metrics,
        growth_suffixes={str(k): str(v or "") for k, v in (suffixes.get("growth") or {}).items()},
        share_suffixes={str(k): str(v or "") for k, v in (suffixes.get("share") or {}).items()},
        zone_aliases=aliases,
        national_words=_words(rules_doc, "national_zones", rules_path),
        china_words=_words(rules_doc, "china", rules_path),
        furniture=[re.compile(p) for p in _words(rules_doc, "furniture_lines", rules_path)],
        event_words=_words(rules_doc, "event_words", rules_path),
        contest_words=_words(rules_doc, "contest_words", rules_path),
        enterprise_words=_words(rules_doc, "enterprise_words", rules_path),
        radicals=str.maketrans(radicals),
    )
