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

    @property
    def labels(self) -> tuple[str, ...]:
        """Every header a file may use for this element: its code, Chinese name and aliases."""
        return (self.code, self.name_zh, *self.aliases)


@dataclass(frozen=True)
class FormField:
    element: Element
    required: bool


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

    @property
    def element_codes(self) -> tuple[str, ...]:
        return tuple(f.element.code for f in self.fields)


@dataclass(frozen=True)
class Catalog:
    units: dict[str, Unit]
    elements: dict[str, Element]
    forms: dict[str, tuple[Form, ...]] = field(default_factory=dict)  # code -> versions, ascending

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
