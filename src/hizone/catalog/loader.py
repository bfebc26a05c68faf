"""Load and validate the catalog YAML: the package's own files, then a user's overrides.

This is the one place that knows where the catalog is: the package's ``data/`` folder, then each directory of
HIZONE_CATALOG_PATH. Every package that reads catalog files of its kind (intake's ``rules/``, analytics'
``indicators/`` and ``disclosure/``, ranking's ``frameworks/``, monitor's ``alerts/``) finds them through
``package_directory`` and ``user_directories``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

import yaml

from hizone.catalog.model import Catalog, Code, CodeList, Element, ElementKind, ElementType, Form, FormField, Unit
from hizone.errors import CatalogError

PACKAGE_DATA = Path(__file__).parent / "data"
CATALOG_PATH_SETTING = "HIZONE_CATALOG_PATH"


def package_directory(kind: str = "") -> Path:
    """The package's own catalog files of ``kind`` (a sub-folder: rules, indicators, ...; "" for the top)."""
    return PACKAGE_DATA / kind if kind else PACKAGE_DATA


def user_directories(kind: str = "") -> list[Path]:
    """The user's catalog directories (HIZONE_CATALOG_PATH, os.pathsep-separated; a later one overrides an
    earlier one), or their ``kind`` sub-folders. They layer over the package's: same file names override."""
    roots = [Path(p) for p in os.environ.get(CATALOG_PATH_SETTING, "").split(os.pathsep) if p]
    return [root / kind if kind else root for root in roots]


# libyaml's parser where PyYAML was built with it: the same safe loading, some ten times faster (a build
# reads the catalog and the indicators first).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree of a YAML text, with the line of each node, for messages that point into a file (the C
    parser: the Python one took 0.08 s of the 0.12 that reading the indicators takes)."""
    return yaml.compose(text, Loader=_SAFE_LOADER)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from ``path``; a CatalogError naming the file and line otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read: {exc}", where=str(path)) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, where: str) -> dict[str, Any]:
    """A YAML mapping from ``text`` (a file's, an upload's; ``where`` names it); a CatalogError naming the line
    otherwise."""
    try:
        loaded = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark else ""
        raise CatalogError(f"invalid YAML: {exc.problem}", where=f"{where}{line}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"invalid YAML: {exc}", where=where) from None
    if not isinstance(loaded, dict):
        raise CatalogError("expected a mapping at the top level", where=where)
    return loaded


# A versioned file (rules of a form version, ...) may say ``inherit: <an earlier version>``: it is then that
# version's document (itself resolved first) with this file's keys over it (``merged``). One mechanism for every
# kind of versioned catalog file: a new version states only what changed.
INHERIT = "inherit"
# Lists whose entries are mappings named by one of these keys merge entry by entry (cross_field rules by id,
# outliers by element); any other list is replaced whole.
_ENTRY_NAMES = ("id", "element")
Versioned = Mapping[tuple[str, int], tuple[Path, dict[str, Any]]]


def merged(earlier: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    """``later``'s keys over ``earlier``'s. A mapping in both merges key by key (a null value drops the earlier
    entry); a list of named entries in both (``_ENTRY_NAMES``) keeps the earlier entries' order, an entry of the
    same name replacing its earlier one, new ones after; anything else is replaced whole. What either inherits is
    resolved already: ``inherit`` is not kept."""
    out = {k: v for k, v in earlier.items() if k != INHERIT}
    for key, value in later.items():
        if key == INHERIT:
            continue
        before = out.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            out[key] = {k: v for k, v in {**before, **value}.items() if v is not None}
        elif isinstance(value, list) and isinstance(before, list) and (name := _entry_name(before + value)):
            entries = {e[name]: e for e in before}
            entries.update((e[name], e) for e in value)
            out[key] = list(entries.values())
        else:
            out[key] = value
    return out


def _entry_name(entries: list[Any]) -> str | None:
    """The key naming every entry of a list of mappings (``_ENTRY_NAMES``), None when there is none."""
    return next((n for n in _ENTRY_NAMES if entries and all(isinstance(e, dict) and n in e for e in entries)), None)


def resolve_inheritance(docs: Versioned) -> dict[tuple[str, int], dict[str, Any]]:
    """Each document of ``docs`` ((code, version) -> (file, document)) with what it inherits merged in."""
    resolved: dict[tuple[str, int], dict[str, Any]] = {}

    def resolve(key: tuple[str, int]) -> dict[str, Any]:
        if key not in resolved:
            path, doc = docs[key]
            parent = doc.get(INHERIT)
            if parent is None:
                resolved[key] = doc
            else:
                resolved[key] = merged(resolve(_inherited_key(docs, key, parent, path)), doc)
        return resolved[key]

    for key in docs:
        resolve(key)
    return resolved


def _inherited_key(docs: Versioned, key: tuple[str, int], parent: Any, path: Path) -> tuple[str, int]:
    code, version = key
    where = f"{path}: {INHERIT}"
    if not isinstance(parent, int) or isinstance(parent, bool) or parent >= version:
        raise CatalogError(f"'{INHERIT}' must be an earlier version (a year before {version}) of {code}, got "
                           f"{parent!r}", where=where)
    if (code, parent) not in docs:
        known = sorted(v for c, v in docs if c == code and v != version)
        raise CatalogError(f"inherits version {parent} of {code}, but no file has that version (files for "
                           f"{code}: {', '.join(map(str, known)) or 'none other'})", where=where)
    return code, parent


def _require(entry: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind):
        expected = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise CatalogError(f"'{key}' must be a {expected}, got {value!r}", where=where)
    return value


def _units(doc: dict[str, Any], path: Path) -> dict[str, Unit]:
    units = {}
    for name, spec in (doc.get("units") or {}).items():
        where = f"{path}: units.{name}"
        factor = _require(spec, "factor", where, (int, float))
        if factor <= 0:
            raise CatalogError("'factor' must be positive", where=where)
        units[name] = Unit(name, _require(spec, "base", where), float(factor), _require(spec, "name_en", where))
    return units


def _code_lists(doc: dict[str, Any], path: Path) -> dict[str, CodeList]:
    lists = {}
    for name, spec in (doc.get("code_lists") or {}).items():
        where = f"{path}: code_lists.{name}"
        if not isinstance(spec, dict):
            raise CatalogError("expected a mapping", where=where)
        raw = _require(spec, "codes", where, dict)
        codes = []
        for value, labels in raw.items():
            if not isinstance(value, int) or isinstance(value, bool):
                raise CatalogError(f"a code must be a whole number (the value stored), got {value!r}", where=where)
            if not isinstance(labels, dict):
                raise CatalogError(f"code {value}: expected {{name_zh, name_en}}", where=where)
            codes.append(Code(value, _require(labels, "name_zh", f"{where}.{value}"),
                              _require(labels, "name_en", f"{where}.{value}")))
        if not codes:
            raise CatalogError("a code list needs at least one code", where=where)
        lists[name] = CodeList(name, _require(spec, "name_zh", where), _require(spec, "name_en", where),
                               tuple(codes))
    return lists


def _element(code: str, spec: Any, units: Mapping[str, Unit], path: Path,
             code_lists: Mapping[str, CodeList] | None = None) -> Element:
    where = f"{path}: elements.{code}"
    if not isinstance(spec, dict):
        raise CatalogError("expected a mapping", where=where)
    unit_name = _require(spec, "unit", where)
    if unit_name not in units:
        raise CatalogError(f"unknown unit '{unit_name}'", where=where)
    etype = spec.get("type", "number")
    kind = spec.get("kind", "flow")
    if etype not in ("number", "integer"):
        raise CatalogError(f"'type' must be number or integer, got {etype!r}", where=where)
    if kind not in ("flow", "stock"):
        raise CatalogError(f"'kind' must be flow or stock, got {kind!r}", where=where)
    low, high = spec.get("min", 0), spec.get("max")
    for bound in (low, high):
        if bound is not None and not isinstance(bound, int | float):
            raise CatalogError(f"bounds must be numbers, got {bound!r}", where=where)
    if low is not None and high is not None and low > high:
        raise CatalogError(f"min {low} is above max {high}", where=where)
    listed = spec.get("codes")
    codes = None
    if listed is not None:
        codes = (code_lists or {}).get(str(listed))
        if codes is None:
            raise CatalogError(f"unknown code list {listed!r} (codes.yaml: {', '.join(sorted(code_lists or {}))})",
                               where=where)
        if etype != "integer":
            raise CatalogError("a coded element stores its code: 'type' must be integer", where=where)
    return Element(code=code, name_zh=_require(spec, "name_zh", where), name_en=_require(spec, "name_en", where),
                   unit=units[unit_name], type=cast(ElementType, etype), kind=cast(ElementKind, kind),
                   min=low, max=high, aliases=tuple(spec.get("aliases") or ()), codes=codes)


WORKFLOW_STEPS = ("review", "approve", "return")
SEPARATE_DUTIES = "separate_duties"  # beside the steps: may a revision's writer review or approve it
# The roles a form may name for a step: the scoped reviewers (enterprises fill in, they never review); the
# national roles take every step of every form.
WORKFLOW_ROLES = ("zone", "province")


def _workflow(doc: dict[str, Any], path: Path) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """The form's ``workflow`` (step -> roles), None when it names none (the model's default chain)."""
    raw = doc.get("workflow")
    if raw is None:
        return None
    where = f"{path}: workflow"
    if not isinstance(raw, dict) or set(raw) - {*WORKFLOW_STEPS, SEPARATE_DUTIES}:
        raise CatalogError(f"expected a mapping of the steps {', '.join(WORKFLOW_STEPS)} to roles (and "
                           f"{SEPARATE_DUTIES}: true or false), got {raw!r}", where=where)
    out = []
    for step in WORKFLOW_STEPS:
        roles = raw.get(step) or []
        if not isinstance(roles, list) or any(r not in WORKFLOW_ROLES for r in roles):
            raise CatalogError(f"{step}: a list of roles among {', '.join(WORKFLOW_ROLES)} (the national roles "
                               f"take every step), got {roles!r}", where=where)
        out.append((step, tuple(roles)))
    steps = dict(out)
    if set(steps["review"]) - set(steps["return"]) or set(steps["approve"]) - set(steps["return"]):
        raise CatalogError("whoever reviews or approves a report may also return it: list them under return",
                           where=where)
    return tuple(out)


def _separate_duties(doc: dict[str, Any], path: Path) -> bool:
    """``workflow.separate_duties``: true (the default) keeps a revision's writer from reviewing or approving it."""
    raw = doc.get("workflow")
    value = raw.get(SEPARATE_DUTIES, True) if isinstance(raw, dict) else True
    if not isinstance(value, bool):
        raise CatalogError(f"{SEPARATE_DUTIES}: true or false, got {value!r}", where=f"{path}: workflow")
    return value


def _form(doc: dict[str, Any], elements: Mapping[str, Element], path: Path) -> Form:
    where = str(path)
    entity = _require(doc, "entity", where)
    frequency = _require(doc, "frequency", where)
    if entity not in ("enterprise", "zone"):
        raise CatalogError(f"'entity' must be enterprise or zone, got {entity!r}", where=where)
    if frequency not in ("annual", "monthly", "weekly"):
        raise CatalogError(f"'frequency' must be annual, monthly or weekly, got {frequency!r}", where=where)
    fields = []
    for i, raw in enumerate(_require(doc, "fields", where, list)):
        spec = {"element": raw} if isinstance(raw, str) else raw
        code = str(spec.get("element")) if isinstance(spec, dict) else ""
        if code not in elements:
            raise CatalogError(f"unknown element {code!r}", where=f"{path}: fields[{i}]")
        fields.append(FormField(elements[code], bool(spec.get("required", False))))
    codes = [f.element.code for f in fields]
    if len(set(codes)) != len(codes):
        raise CatalogError("an element is listed twice", where=f"{path}: fields")
    workflow = _workflow(doc, path)
    return Form(code=_require(doc, "code", where), version=_require(doc, "version", where, int),
                name_zh=_require(doc, "name_zh", where), name_en=_require(doc, "name_en", where),
                entity=entity, frequency=frequency, cumulative=bool(doc.get("cumulative", False)),
                source=str(doc.get("source", "")), fields=tuple(fields),
                separate_duties=_separate_duties(doc, path),
                **({"workflow": workflow} if workflow is not None else {}))


def _check_labels_unique(elements: Mapping[str, Element], where: str) -> None:
    seen: dict[str, str] = {}
    for element in elements.values():
        for label in element.labels:
            if seen.setdefault(label, element.code) != element.code:
                raise CatalogError(f"label '{label}' names both {seen[label]} and {element.code}", where=where)


def load_catalog(directories: Iterable[Path] = ()) -> Catalog:
    """The package catalog, with each of ``directories`` layered on top (same file names override)."""
    roots = [PACKAGE_DATA, *directories]
    units: dict[str, Unit] = {}
    elements: dict[str, Element] = {}
    code_lists: dict[str, CodeList] = {}
    for root in roots:
        if (root / "units.yaml").exists():
            units.update(_units(read_yaml(root / "units.yaml"), root / "units.yaml"))
        if (root / "codes.yaml").exists():
            code_lists.update(_code_lists(read_yaml(root / "codes.yaml"), root / "codes.yaml"))
    for root in roots:
        path = root / "elements.yaml"
        if path.exists():
            for code, spec in (read_yaml(path).get("elements") or {}).items():
                elements[code] = _element(code, spec, units, path, code_lists)
            _check_labels_unique(elements, str(path))
    forms: dict[tuple[str, int], Form] = {}
    for root in roots:
        for path in sorted((root / "forms").glob("*.yaml")):
            form = _form(read_yaml(path), elements, path)
            forms[(form.code, form.version)] = form
    by_code: dict[str, list[Form]] = {}
    for key in sorted(forms):
        by_code.setdefault(key[0], []).append(forms[key])
    return Catalog(units, elements, {code: tuple(v) for code, v in by_code.items()}, code_lists)


@cache
def default_catalog() -> Catalog:
    """The catalog with the user's directories from HIZONE_CATALOG_PATH."""
    return load_catalog(user_directories())
