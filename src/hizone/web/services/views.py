"""The page configuration (views.yaml): which catalog indicators the pages show, under which codes and in
which display units, validated on load; and a figure as a page shows it, read from the analytics layer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from hizone.analytics.definitions import IndicatorSet, default_indicators
from hizone.analytics.read import Reader, Viewer
from hizone.catalog import Catalog, default_catalog, read_yaml
from hizone.errors import CatalogError
from hizone.web.services.tables import Suppressed

VIEWS = Path(__file__).resolve().parents[1] / "views.yaml"
ZONES = "zones"  # how many zones reported: a count of the build's registry, not an indicator
Shown = float | Suppressed | None  # a figure as published: a value, withheld, or none to show


@dataclass(frozen=True)
class Indicator:
    """Something a page shows: a catalog indicator (None for the zone count) in a display unit."""

    code: str  # the page's code (table column, API code)
    indicator: str | None  # the catalog indicator
    name_zh: str
    name_en: str
    unit: str  # display unit
    factor: float  # multiplies the catalog value into the display unit
    yoy: str | None = None  # the catalog indicator of its year-on-year change
    yoy_raw: bool = False  # read the y/y on the raw basis (value_raw)
    unit_en: str = ""
    additive: bool = True  # a sum over zones (an amount or a count), not a ratio

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh

    def unit_label(self, lang: str) -> str:
        return (self.unit_en or self.unit) if lang == "en" else self.unit


@dataclass(frozen=True)
class Views:
    kpis: tuple[Indicator, ...]
    map_indicators: tuple[Indicator, ...]
    province_indicators: tuple[Indicator, ...]
    profile_indicators: tuple[Indicator, ...]
    zone_list_indicators: tuple[Indicator, ...]
    trend_indicators: tuple[Indicator, ...]
    monthly_elements: tuple[Indicator, ...]
    rank_by: Indicator
    top_n: int
    indicators: dict[str, Indicator]
    evaluation_framework: str
    incubation_indicators: tuple[Indicator, ...] = ()


def _item(catalog: Catalog, indicators: IndicatorSet, code: str, spec: dict[str, Any], where: str) -> Indicator:
    name = spec.get("indicator")
    if name not in indicators.indicators:
        raise CatalogError(f"'{code}': unknown indicator '{name}'", where=where)
    ind = indicators.indicators[str(name)]
    yoy = spec.get("yoy")
    if yoy is not None and yoy not in indicators.indicators:
        raise CatalogError(f"'{code}': unknown y/y indicator '{yoy}'", where=where)
    return _in_unit(catalog, Indicator(code, ind.code, ind.name_zh, ind.name_en, ind.unit, 1.0, yoy,
                                       spec.get("yoy_basis") == "raw"), spec.get("display_unit"), where)


def _in_unit(catalog: Catalog, item: Indicator, display_unit: str | None, where: str) -> Indicator:
    """The item in ``display_unit`` (the catalog unit when None or when the units do not convert)."""
    source = catalog.units.get(item.unit)
    target = catalog.units.get(display_unit or item.unit)
    if source is None or target is None:
        item = replace(item, additive=source is not None)
        if display_unit and display_unit != item.unit:
            raise CatalogError(f"'{item.code}': display unit '{display_unit}' does not convert from {item.unit}",
                               where=where)
        return item
    if source.base != target.base:
        raise CatalogError(f"'{item.code}': display unit '{display_unit}' does not convert from {item.unit}",
                           where=where)
    return replace(item, unit=target.name, factor=source.factor / target.factor, unit_en=target.name_en)


@cache
def load_views(path: Path = VIEWS) -> Views:
    doc = read_yaml(path)
    catalog, indicators, where = default_catalog(), default_indicators(), str(path)
    known = {ZONES: Indicator(ZONES, None, "国家高新区", "Zones", "家", 1.0)}
    known.update({code: _item(catalog, indicators, code, spec, where) for code, spec in doc["items"].items()})

    def pick(code: str) -> Indicator:
        if code not in known:
            raise CatalogError(f"unknown item '{code}' (one of {', '.join(known)})", where=where)
        return known[code]

    def many(key: str) -> tuple[Indicator, ...]:
        return tuple(pick(code) for code in doc[key])

    kpis = tuple(_in_unit(catalog, pick(k["code"]), k["display_unit"], where) if k.get("display_unit")
                 else pick(k["code"]) for k in doc["kpis"])
    monthly = tuple(_item(catalog, indicators, code, spec, where) for code, spec in doc["monthly"].items())
    return Views(kpis=kpis, map_indicators=many("map_indicators"), province_indicators=many("province_indicators"),
                 profile_indicators=many("profile_indicators"), zone_list_indicators=many("zone_list_indicators"),
                 trend_indicators=many("trend_indicators"), monthly_elements=monthly, rank_by=pick(doc["rank_by"]),
                 top_n=int(doc["top_n"]), indicators=known, evaluation_framework=str(doc["evaluation_framework"]),
                 incubation_indicators=many("incubation_indicators"))


def shown(reader: Reader, item: Indicator, level: str, key: str, period: str, viewer: Viewer) -> Shown:
    """The item's figure for a group as ``viewer`` may see it, in the display unit."""
    if item.indicator is None:
        zones = reader.zones_of(level, key) if level != "zone" else (key,)
        reported = set(reader.reporting_zones("enterprise_count", period))
        return float(sum(1 for code in zones if code in reported)) or None
    figure = reader.value(item.indicator, level, key, period, viewer)
    if figure.withheld:
        return Suppressed(figure.withheld)
    return figure.value * item.factor if figure.value is not None else None


def shown_yoy(reader: Reader, item: Indicator, level: str, key: str, period: str, viewer: Viewer) -> Shown:
    """The item's year-on-year change (per cent) as ``viewer`` may see it; None for items without one."""
    if item.yoy is None:
        return None
    figure = reader.value(item.yoy, level, key, period, viewer)
    if figure.withheld:
        return Suppressed(figure.withheld)
    return figure.value_raw if item.yoy_raw else figure.value
