"""The disclosure-control rules from the catalog: ``catalog/data/disclosure/<code>-<version>.yaml``, then a
user's own (a ``disclosure/`` folder in each HIZONE_CATALOG_PATH directory), checked on load."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from hizone.analytics.disclosure import DisclosureRules, Dominance
from hizone.catalog import package_directory, read_yaml, user_directories
from hizone.errors import CatalogError

DISCLOSURE_DIR = package_directory("disclosure")
CONTRIBUTORS = ("zone", "enterprise")
PUBLIC_AGGREGATES = "aggregates"


def _count(value: Any, where: str, least: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise CatalogError(f"expected a whole number of at least {least}, got {value!r}", where=where)
    return value


def _kind(value: Any, where: str) -> str:
    if value not in CONTRIBUTORS:
        raise CatalogError(f"unknown kind of contributor {value!r} (one of {', '.join(CONTRIBUTORS)})", where=where)
    return str(value)


def _dominance(spec: Any, where: str) -> Dominance:
    if not isinstance(spec, Mapping):
        raise CatalogError("expected {contributor, n, k}", where=where)
    k = spec.get("k")
    if not isinstance(k, int | float) or isinstance(k, bool) or not 0 < k < 100:
        raise CatalogError(f"'k' must be a percentage between 0 and 100, got {k!r}", where=f"{where}.k")
    return Dominance(_kind(spec.get("contributor"), f"{where}.contributor"), _count(spec.get("n"), f"{where}.n", 1),
                     float(k))


def load_disclosure_rules(path: Path) -> DisclosureRules:
    doc = read_yaml(path)
    code, version = doc.get("code"), doc.get("version")
    if not isinstance(code, str) or not isinstance(version, int):
        raise CatalogError("'code' (text) and 'version' (year) are required", where=str(path))
    minimums = doc.get("min_contributors") or {}
    if not isinstance(minimums, Mapping):
        raise CatalogError("expected a mapping of kind -> count", where=f"{path}: min_contributors")
    return DisclosureRules(
        code, version,
        {_kind(kind, f"{path}: min_contributors"): _count(n, f"{path}: min_contributors.{kind}", 1)
         for kind, n in minimums.items()},
        tuple(_dominance(spec, f"{path}: dominance[{i}]") for i, spec in enumerate(doc.get("dominance") or [])),
        str(path))


def disclosure_directories() -> list[Path]:
    return [DISCLOSURE_DIR, *user_directories("disclosure")]


def load_all(directories: Iterable[Path]) -> dict[tuple[str, int], DisclosureRules]:
    """Every rule set by (code, version); a user's file of the same code and version replaces the package's."""
    found: dict[tuple[str, int], DisclosureRules] = {}
    for root in directories:
        for path in sorted(root.glob("*.yaml")):
            rules = load_disclosure_rules(path)
            found[(rules.code, rules.version)] = rules
    return found


@cache
def _default() -> dict[tuple[str, int], DisclosureRules]:
    return load_all(disclosure_directories())


def disclosure_rules(year: int, code: str = PUBLIC_AGGREGATES) -> DisclosureRules:
    """The rules in force for data of ``year``: the latest version not after it."""
    versions = sorted(v for c, v in _default() if c == code)
    applicable = [v for v in versions if v <= year]
    if not applicable:
        raise CatalogError(f"no disclosure rules '{code}' for {year} (versions: "
                           f"{', '.join(map(str, versions)) or 'none'})", where=str(DISCLOSURE_DIR))
    return _default()[(code, applicable[-1])]


def largest_needed(code: str = PUBLIC_AGGREGATES) -> int:
    """How many of the largest contributions any version's dominance rules look at."""
    return max((r.largest_needed for (c, _), r in _default().items() if c == code), default=0)
