"""Validation rules as metadata: one YAML file per form version in catalog/data/rules/, checked on load. A
version's file may inherit an earlier version's rules (``inherit: 2019``, the catalog loader's
``resolve_inheritance``) and state only what it adds or changes.

Cross-field checks are a small language, ``a + b <= k * c``, evaluated over whole columns with NumPy.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hizone.catalog import (
    Catalog,
    Form,
    default_catalog,
    package_directory,
    read_yaml,
    resolve_inheritance,
    user_directories,
)
from hizone.errors import CatalogError
from hizone.intake.checks import CHECKS

RULES_DIR = package_directory("rules")
ROLES = ("entity", "name", "zone", "period", "industry", "registered", "note")
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq}
_TERM = re.compile(r"^\s*(?:([0-9]+(?:\.[0-9]+)?)\s*\*\s*)?([a-z_][a-z0-9_]*)\s*$")
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Term:
    coefficient: float
    element: str


@dataclass(frozen=True)
class CrossFieldRule:
    id: str
    left: tuple[Term, ...]
    op: str
    right: tuple[Term, ...]
    message_zh: str
    message_en: str
    text: str

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.element for t in (*self.left, *self.right)))

    def violations(self, columns: Mapping[str, FloatArray]) -> BoolArray:
        """Rows breaking the rule; rows with a blank operand are not judged (required-ness is its own rule)."""
        def total(terms: tuple[Term, ...]) -> FloatArray:
            return np.sum([t.coefficient * columns[t.element] for t in terms], axis=0)
        left, right = total(self.left), total(self.right)
        judged = ~(np.isnan(left) | np.isnan(right))
        # A tolerance of 1e-9 relative keeps 0.1 + 0.2 <= 0.3 from failing on rounding alone.
        slack = 1e-9 * np.maximum(np.abs(left), np.abs(right))
        if self.op in ("<=", "<"):
            ok = _OPERATORS[self.op](left, right + slack)
        elif self.op in (">=", ">"):
            ok = _OPERATORS[self.op](left + slack, right)
        else:
            ok = np.abs(left - right) <= slack
        return judged & ~ok


@dataclass(frozen=True)
class OutlierRule:
    element: str
    max_ratio: float | None
    min_ratio: float | None
    min_previous: float


@dataclass(frozen=True)
class ColumnRole:
    role: str
    labels: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class Range:
    min: float | None
    max: float | None


@dataclass(frozen=True)
class RuleSet:
    form: Form
    columns: tuple[ColumnRole, ...]
    ranges: dict[str, Range]
    cross_field: tuple[CrossFieldRule, ...]
    outliers: tuple[OutlierRule, ...]
    codes: dict[str, bool] = field(default_factory=dict)
    duplicates: bool = True
    source: str = ""
    row_checks: tuple[str, ...] = ()  # checks needing the store (intake/checks.py)

    def role(self, name: str) -> ColumnRole | None:
        return next((c for c in self.columns if c.role == name), None)

    def check_enabled(self, name: str) -> bool:
        return bool(self.codes.get(name, False))


def _terms(side: str, elements: Iterable[str], where: str) -> tuple[Term, ...]:
    known = set(elements)
    terms = []
    for chunk in side.split("+"):
        match = _TERM.match(chunk)
        if not match:
            raise CatalogError(f"cannot read term '{chunk.strip()}' (write e.g. 'a + 2 * b')", where=where)
        coefficient, element = match.groups()
        if element not in known:
            raise CatalogError(f"'{element}' is not an element of the form", where=where)
        terms.append(Term(float(coefficient) if coefficient else 1.0, element))
    return tuple(terms)


def parse_check(text: str, elements: Iterable[str], where: str) -> tuple[tuple[Term, ...], str, tuple[Term, ...]]:
    """``"a + b <= 2 * c"`` as (left terms, operator, right terms)."""
    found = re.search(r"<=|>=|==|<|>", text)
    if not found:
        raise CatalogError(f"check '{text}' has no comparison (<=, >=, <, >, ==)", where=where)
    codes = list(elements)
    return (_terms(text[:found.start()], codes, where), found.group(),
            _terms(text[found.end():], codes, where))


def _number_or_none(spec: Mapping[str, Any], key: str, where: str) -> float | None:
    value = spec.get(key)
    if value is not None and not isinstance(value, int | float):
        raise CatalogError(f"'{key}' must be a number, got {value!r}", where=where)
    return None if value is None else float(value)


def _columns(doc: Mapping[str, Any], path: Path) -> tuple[ColumnRole, ...]:
    roles = []
    for role, spec in (doc.get("columns") or {}).items():
        where = f"{path}: columns.{role}"
        if role not in ROLES:
            raise CatalogError(f"unknown column role '{role}' (one of {', '.join(ROLES)})", where=where)
        labels = spec.get("labels") if isinstance(spec, dict) else None
        if not labels or not all(isinstance(label, str) for label in labels):
            raise CatalogError("'labels' must be a list of strings", where=where)
        roles.append(ColumnRole(role, tuple(labels), bool(spec.get("required", False))))
    if not any(r.role == "entity" for r in roles):
        raise CatalogError("an 'entity' column is required", where=f"{path}: columns")
    return tuple(roles)


def _form_and_version(doc: Mapping[str, Any], path: Path) -> tuple[str, int]:
    code, version = doc.get("form"), doc.get("version")
    if not isinstance(code, str) or not isinstance(version, int):
        raise CatalogError("'form' (text) and 'version' (year) are required", where=str(path))
    return code, version


def _rule_set(doc: Mapping[str, Any], path: Path, catalog: Catalog) -> RuleSet:
    """The rule set of ``doc`` (read from ``path``, inheritance resolved), checked against the catalog's form of
    the same code and version."""
    code, version = _form_and_version(doc, path)
    form = next((f for f in catalog.forms.get(code, ()) if f.version == version), None)
    if form is None:
        raise CatalogError(f"no form '{code}' version {version} in the catalog", where=str(path))
    elements = form.element_codes
    ranges = {}
    for element, spec in (doc.get("ranges") or {}).items():
        where = f"{path}: ranges.{element}"
        if element not in elements:
            raise CatalogError(f"'{element}' is not an element of the form", where=where)
        ranges[element] = Range(_number_or_none(spec, "min", where), _number_or_none(spec, "max", where))
    cross = []
    for i, spec in enumerate(doc.get("cross_field") or []):
        where = f"{path}: cross_field[{i}]"
        for key in ("id", "check", "message_zh", "message_en"):
            if not isinstance(spec.get(key), str):
                raise CatalogError(f"'{key}' is required", where=where)
        left, op, right = parse_check(spec["check"], elements, where)
        cross.append(CrossFieldRule(spec["id"], left, op, right, spec["message_zh"], spec["message_en"],
                                    spec["check"]))
    outliers = []
    for i, spec in enumerate(doc.get("outliers") or []):
        where = f"{path}: outliers[{i}]"
        if spec.get("element") not in elements:
            raise CatalogError(f"'{spec.get('element')}' is not an element of the form", where=where)
        outliers.append(OutlierRule(spec["element"], _number_or_none(spec, "max_ratio", where),
                                    _number_or_none(spec, "min_ratio", where),
                                    _number_or_none(spec, "min_previous", where) or 0.0))
    checks = tuple(str(c) for c in doc.get("row_checks") or ())
    for name in checks:
        if name not in CHECKS:
            raise CatalogError(f"unknown row check '{name}' (known: {', '.join(sorted(CHECKS))})",
                               where=f"{path}: row_checks")
    return RuleSet(form=form, columns=_columns(doc, path), ranges=ranges, cross_field=tuple(cross),
                   outliers=tuple(outliers), codes={k: bool(v) for k, v in (doc.get("codes") or {}).items()},
                   duplicates=bool(doc.get("duplicates", True)), source=str(path), row_checks=checks)


def rule_directories() -> list[Path]:
    """The package's rules, then a user's (a ``rules/`` folder in each HIZONE_CATALOG_PATH directory)."""
    return [RULES_DIR, *user_directories("rules")]


def load_all_rules(catalog: Catalog, directories: Iterable[Path] | None = None) -> dict[tuple[str, int], RuleSet]:
    """Every form version's rules; a later directory's file for the same form and version replaces an earlier
    one's (also as what later versions inherit)."""
    docs: dict[tuple[str, int], tuple[Path, dict[str, Any]]] = {}
    for root in directories if directories is not None else rule_directories():
        for path in sorted(root.glob("*.yaml")):
            doc = read_yaml(path)
            docs[_form_and_version(doc, path)] = (path, doc)
    resolved = resolve_inheritance(docs)
    return {key: _rule_set(resolved[key], path, catalog) for key, (path, _) in docs.items()}


@cache
def _default_rules() -> dict[tuple[str, int], RuleSet]:
    return load_all_rules(default_catalog())


def rules_for(form_code: str, year: int, catalog: Catalog | None = None) -> RuleSet:
    """The rules of the form version in force for ``year``; a CatalogError if none are written."""
    cat = catalog or default_catalog()
    form = cat.form(form_code, year)
    table = _default_rules() if catalog is None else load_all_rules(cat)
    rules = table.get((form.code, form.version))
    if rules is None:
        raise CatalogError(f"no validation rules for form '{form.code}' version {form.version}",
                           where=str(RULES_DIR))
    return rules
