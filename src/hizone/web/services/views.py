"""The page configuration (views.yaml): which indicators the pages show and how, validated on load."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hizone.catalog import Catalog, default_catalog, read_yaml
from hizone.errors import CatalogError

VIEWS = Path(__file__).resolve().parents[1] / "views.yaml"
COUNTS = {"zones": ("国家高新区", "Zones", "家"), "enterprises": ("入统企业", "Reporting enterprises", "家")}


@dataclass(frozen=True)
class Ratio:
    code: str
    name_zh: str
    name_en: str
    numerator: str
    denominator: str
    scale: float
    unit: str


@dataclass(frozen=True)
class Indicator:
    """Something a page shows: an element sum, a count or a ratio, with its display unit and factor."""

    code: str
    name_zh: str
    name_en: str
    unit: str  # display unit
    factor: float  # multiplies a stored value into the display unit
    ratio: Ratio | None = None
    unit_en: str = ""

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh

    def unit_label(self, lang: str) -> str:
        return (self.unit_en or self.unit) if lang == "en" else self.unit


@dataclass(frozen=True)
class Views:
    annual_form: str
    monthly_form: str
    kpis: tuple[Indicator, ...]
    map_indicators: tuple[Indicator, ...]
    profile_indicators: tuple[Indicator, ...]
    annual_elements: tuple[str, ...]
    monthly_elements: tuple[Indicator, ...]
    top_n: int
    indicators: dict[str, Indicator]
    evaluation_framework: str


def _element_indicator(catalog: Catalog, code: str, display_unit: str | None, where: str) -> Indicator:
    element = catalog.elements.get(code)
    if element is None:
        raise CatalogError(f"unknown element '{code}'", where=where)
    unit = catalog.units.get(display_unit or element.unit.name)
    if unit is None or unit.base != element.unit.base:
        raise CatalogError(f"display unit '{display_unit}' does not convert from {element.unit.name}",
                           where=where)
    return Indicator(code, element.name_zh, element.name_en, unit.name, element.unit.factor / unit.factor,
                     unit_en=unit.name_en)


@cache
def load_views(path: Path = VIEWS) -> Views:
    doc = read_yaml(path)
    catalog = default_catalog()
    where = str(path)
    display = doc.get("display_units", {})
    known: dict[str, Indicator] = {}
    for code, (zh, en, unit) in COUNTS.items():
        known[code] = Indicator(code, zh, en, unit, 1.0, unit_en="")
    for code, spec in doc.get("ratios", {}).items():
        ratio = Ratio(code, spec["name_zh"], spec["name_en"], spec["numerator"], spec["denominator"],
                      float(spec["scale"]), spec["unit"])
        known[code] = Indicator(code, ratio.name_zh, ratio.name_en, ratio.unit, 1.0, ratio)
    annual = tuple(doc["annual_elements"])

    def resolve(code: str, unit: str | None = None) -> Indicator:
        if code in known and unit is None:
            return known[code]
        indicator = _element_indicator(catalog, code, unit or display.get(code), f"{where}: {code}")
        known.setdefault(code, indicator)
        return indicator

    for code in annual:
        resolve(code)
    for ratio_indicator in [i for i in known.values() if i.ratio]:
        assert ratio_indicator.ratio is not None
        for part in (ratio_indicator.ratio.numerator, ratio_indicator.ratio.denominator):
            if part not in annual:
                raise CatalogError(f"ratio {ratio_indicator.code} uses '{part}', not in annual_elements",
                                   where=where)
    kpis = tuple(resolve(k["code"], k.get("display_unit")) for k in doc["kpis"])
    return Views(
        annual_form=doc["annual_form"], monthly_form=doc["monthly_form"], kpis=kpis,
        map_indicators=tuple(resolve(c) for c in doc["map_indicators"]),
        profile_indicators=tuple(resolve(c) for c in doc["profile_indicators"]),
        annual_elements=annual,
        monthly_elements=tuple(_element_indicator(catalog, c, display.get(c), f"{where}: {c}")
                               for c in doc["monthly_elements"]),
        top_n=int(doc["top_n"]), indicators=known, evaluation_framework=str(doc["evaluation_framework"]))
