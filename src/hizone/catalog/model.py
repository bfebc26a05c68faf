"""The catalog's typed model: units, data elements and report forms (versioned by year)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from hizone.errors import CatalogError

ElementType = Literal["number", "integer"]
ElementKind = Literal["flow", "stock"]


@dataclass(frozen=True)
class Unit:
    name: str
    base: str
    factor: float
    name_en: str


@dataclass(frozen=True)
class Code:
    """One entry of a code list (代码表): the value stored (a whole number) and its labels."""

    value: int
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class CodeList:
    """The values a coded element takes (是/否, 企业规模, ...), from the catalog's ``codes.yaml``."""

    name: str
    name_zh: str
    name_en: str
    codes: tuple[Code, ...]

    @property
    def values(self) -> frozenset[int]:
        return frozenset(c.value for c in self.codes)


@dataclass(frozen=True)
class Element:
    code: str
    name_zh: str
    name_en: str
    unit: Unit
    type: ElementType
    kind: ElementKind
    min: float | None
    max: float | None
    aliases: tuple[str, ...] = ()
    codes: CodeList | None = None  # a coded element: its value is one of the list's (a drop-down on a form)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every header a file may use for this element: its code, Chinese name and aliases."""
        return (self.code, self.name_zh, *self.aliases)


@dataclass(frozen=True)
class FormField:
    element: Element
    required: bool


# A form's workflow when its YAML names none: the programme's zone-level chain.
DEFAULT_WORKFLOW: tuple[tuple[str, tuple[str, ...]], ...] = (("review", ("province",)), ("approve", ()),
                                                             ("return", ("province",)))


@dataclass(frozen=True)
class Form:
    code: str
    version: int
    name_zh: str
    name_en: str
    entity: Literal["enterprise", "zone"]
    frequency: Literal["annual", "monthly", "weekly"]
    cumulative: bool
    source: str
    fields: tuple[FormField, ...]
    # Who takes each step of the reporting workflow besides the national roles (step -> scoped roles), as the
    # form's YAML says (``workflow``); the programme's zone-level chain (province reviews and returns, the
    # national level approves) when it says nothing. auth/policy.py reads it (``step_takers``).
    workflow: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_WORKFLOW
    # Whether the user who wrote a revision (filed it, also on an enterprise's behalf) is kept from reviewing or
    # approving it (the YAML's ``workflow.separate_duties``, true unless it says false); auth/policy.py applies it.
    separate_duties: bool = True

    @property
    def element_codes(self) -> tuple[str, ...]:
        return tuple(f.element.code for f in self.fields)


@dataclass(frozen=True)
class Catalog:
    units: dict[str, Unit]
    elements: dict[str, Element]
    forms: dict[str, tuple[Form, ...]] = field(default_factory=dict)  # code -> versions, ascending
    code_lists: dict[str, CodeList] = field(default_factory=dict)

    def form(self, code: str, year: int) -> Form:
        """The version of form ``code`` in force for report year ``year`` (latest version ≤ year)."""
        versions = self.forms.get(code)
        if not versions:
            raise CatalogError(f"unknown form '{code}' (known: {', '.join(sorted(self.forms))})", where="form")
        usable = [f for f in versions if f.version <= year]
        if not usable:
            raise CatalogError(f"form '{code}' has no version for {year} (first is {versions[0].version})",
                               where="form")
        return usable[-1]
