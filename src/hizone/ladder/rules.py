"""The qualification rules as data: bands and thresholds from ``catalog/data/ladder/<code>-<version>.yaml``.

A version is the first data year a rule set applies to; a firm's year takes the latest version not after it.
Numbers are kept as exact fractions (a YAML 0.05 is 1/20), so a value exactly on a band's edge lands in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol, TypeVar

from hizone.catalog import package_directory, read_yaml, user_directories
from hizone.errors import CatalogError

LADDER_KIND = "ladder"
TECH_SME = "tech_sme"
HIGHTECH = "hightech"
GAZELLE = "gazelle"
FROM_REPORT = "from_report"


@dataclass(frozen=True)
class Band:
    """Points ``low``–``high`` for a value at or above ``bound`` (strictly above when ``strict``)."""

    bound: Fraction
    strict: bool
    low: Fraction
    high: Fraction

    def holds(self, value: Fraction) -> bool:
        return value > self.bound if self.strict else value >= self.bound


@dataclass(frozen=True)
class Bands:
    """Bands from the highest bound down; a value below all of them scores 0."""

    bands: tuple[Band, ...]

    def points(self, value: Fraction) -> tuple[Fraction, Fraction]:
        for band in self.bands:
            if band.holds(value):
                return band.low, band.high
        return Fraction(0), Fraction(0)

    @property
    def most(self) -> Fraction:
        return max((band.high for band in self.bands), default=Fraction(0))


@dataclass(frozen=True)
class TechSmeRules:
    version: int
    max_staff: Fraction
    max_sales: Fraction
    max_total_assets: Fraction
    pass_score: Fraction
    staff_points_required: bool
    staff_share: Bands
    rd_share: Bands
    ip_class1_points: Fraction
    ip_class2: Bands
    source: str


@dataclass(frozen=True)
class RdThreshold:
    """The R&D ratio needed when the latest year's sales are at most ``sales_up_to`` (None: any amount)."""

    sales_up_to: Fraction | None
    ratio: Fraction


@dataclass(frozen=True)
class HightechRules:
    version: int
    registered_years: int
    st_staff_share: Fraction
    rd_domestic_percent: Fraction
    hitech_revenue_share: Fraction
    rd_ratio: tuple[RdThreshold, ...]
    pass_above: Fraction
    ip_cap: Fraction
    ip_quality_max: Fraction
    ip_class1: Bands
    ip_class2: Bands
    conversions: Bands
    rd_management_max: Fraction
    growth: Bands
    source: str

    def rd_threshold(self, latest_sales: Fraction) -> Fraction:
        for step in self.rd_ratio:
            if step.sales_up_to is None or latest_sales <= step.sales_up_to:
                return step.ratio
        raise AssertionError("the loader requires an open-ended last step")


@dataclass(frozen=True)
class LadderRules:
    """The rule sets in force for one data year."""

    tech_sme: TechSmeRules
    hightech: HightechRules


@dataclass(frozen=True)
class GazelleRules:
    """瞪羚 from reported data; ``max_age`` None: no age limit (a zone's own definition may drop it)."""

    version: int
    max_age: int | None
    years: int
    min_cagr: Fraction
    min_base_revenue: Fraction
    min_rd_intensity: Fraction
    source: str


@dataclass(frozen=True)
class ReportField:
    element: str
    factor: Fraction  # into the assessment's unit (yuan)


@dataclass(frozen=True)
class ReportMapping:
    """Which element of ``form`` stands for each assessment input it covers (``sales`` for sales_y1..y3, …)."""

    version: int
    form: str
    fields: dict[str, ReportField]


# ---------------------------------------------------------------- parsing


def exact(value: Any, where: str) -> Fraction:
    """A YAML number as a fraction of its decimal text: 0.05 is 1/20, not the nearest binary float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(f"expected a number, got {value!r}", where=where)
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _mapping(doc: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = doc.get(key)
    if not isinstance(value, Mapping):
        raise CatalogError(f"'{key}' must be a mapping", where=where)
    return value


def _band(spec: Any, where: str) -> Band:
    if not isinstance(spec, Mapping) or ("from" in spec) == ("above" in spec):
        raise CatalogError("a band is {from: x, points: p} or {above: x, points: [low, high]}", where=where)
    points = spec.get("points")
    low, high = (points if isinstance(points, list) and len(points) == 2 else [points, points])
    low, high = exact(low, f"{where}.points"), exact(high, f"{where}.points")
    if not 0 <= low <= high:
        raise CatalogError(f"points must be 0 ≤ low ≤ high, got {points!r}", where=f"{where}.points")
    strict = "above" in spec
    return Band(exact(spec["above" if strict else "from"], where), strict, low, high)


def bands(specs: Any, where: str) -> Bands:
    if not isinstance(specs, list) or not specs:
        raise CatalogError("expected a list of bands", where=where)
    parsed = tuple(_band(spec, f"{where}[{i}]") for i, spec in enumerate(specs))
    if any(upper.bound <= lower.bound for upper, lower in pairwise(parsed)):
        raise CatalogError("bands must go from the highest bound down", where=where)
    return Bands(parsed)


def _rd_steps(specs: Any, where: str) -> tuple[RdThreshold, ...]:
    if not isinstance(specs, list) or not specs:
        raise CatalogError("expected a list of {sales_up_to, ratio}", where=where)
    steps = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, Mapping):
            raise CatalogError("expected {sales_up_to, ratio}", where=f"{where}[{i}]")
        limit = spec.get("sales_up_to")
        steps.append(RdThreshold(None if limit is None else exact(limit, f"{where}[{i}].sales_up_to"),
                                 exact(spec.get("ratio"), f"{where}[{i}].ratio")))
    if steps[-1].sales_up_to is None and all(s.sales_up_to is not None for s in steps[:-1]):
        return tuple(steps)
    raise CatalogError("every step but the last needs sales_up_to; the last has none", where=where)


def parse_tech_sme(doc: Mapping[str, Any], version: int, where: str) -> TechSmeRules:
    limits = _mapping(doc, "size_limits", where)
    ip = _mapping(doc, "ip", where)
    return TechSmeRules(
        version=version,
        max_staff=exact(limits.get("staff"), f"{where}: size_limits.staff"),
        max_sales=exact(limits.get("sales"), f"{where}: size_limits.sales"),
        max_total_assets=exact(limits.get("total_assets"), f"{where}: size_limits.total_assets"),
        pass_score=exact(doc.get("pass_score"), f"{where}: pass_score"),
        staff_points_required=bool(doc.get("staff_points_required", True)),
        staff_share=bands(doc.get("staff_share"), f"{where}: staff_share"),
        rd_share=bands(doc.get("rd_share"), f"{where}: rd_share"),
        ip_class1_points=exact(ip.get("class1_points"), f"{where}: ip.class1_points"),
        ip_class2=bands(ip.get("class2"), f"{where}: ip.class2"),
        source=str(doc.get("source", where)))


def parse_hightech(doc: Mapping[str, Any], version: int, where: str) -> HightechRules:
    hard = _mapping(doc, "hard", where)
    ip = _mapping(doc, "ip", where)
    years = hard.get("registered_years")
    if not isinstance(years, int) or isinstance(years, bool) or years < 0:
        raise CatalogError(f"expected a whole number of years, got {years!r}", where=f"{where}: hard.registered_years")
    return HightechRules(
        version=version,
        registered_years=years,
        st_staff_share=exact(hard.get("st_staff_share"), f"{where}: hard.st_staff_share"),
        rd_domestic_percent=exact(hard.get("rd_domestic_percent"), f"{where}: hard.rd_domestic_percent"),
        hitech_revenue_share=exact(hard.get("hitech_revenue_share"), f"{where}: hard.hitech_revenue_share"),
        rd_ratio=_rd_steps(doc.get("rd_ratio"), f"{where}: rd_ratio"),
        pass_above=exact(doc.get("pass_above"), f"{where}: pass_above"),
        ip_cap=exact(ip.get("cap"), f"{where}: ip.cap"),
        ip_quality_max=exact(ip.get("quality_points_max"), f"{where}: ip.quality_points_max"),
        ip_class1=bands(ip.get("class1"), f"{where}: ip.class1"),
        ip_class2=bands(ip.get("class2"), f"{where}: ip.class2"),
        conversions=bands(doc.get("conversions"), f"{where}: conversions"),
        rd_management_max=exact(doc.get("rd_management_max"), f"{where}: rd_management_max"),
        growth=bands(doc.get("growth"), f"{where}: growth"),
        source=str(doc.get("source", where)))


GAZELLE_KEYS = ("max_age", "years", "min_cagr", "min_base_revenue", "min_rd_intensity")
MAPPED_INPUTS = ("staff", "st_staff", "sales", "rd", "rd_domestic", "hitech_revenue", "total_assets", "net_assets",
                 "ip_class1", "ip_class2", "conversions", "ip_quality_points", "rd_management")


def _gazelle(spec: Mapping[str, Any], version: int, where: str, source: str) -> GazelleRules:
    age, years = spec.get("max_age"), spec.get("years")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool) or age < 0):
        raise CatalogError(f"expected a whole number of years or null, got {age!r}", where=f"{where}.max_age")
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        raise CatalogError(f"expected a whole number of at least 1, got {years!r}", where=f"{where}.years")
    return GazelleRules(version, age, years, exact(spec.get("min_cagr"), f"{where}.min_cagr"),
                        exact(spec.get("min_base_revenue"), f"{where}.min_base_revenue"),
                        exact(spec.get("min_rd_intensity"), f"{where}.min_rd_intensity"), source)


def parse_gazelle(doc: Mapping[str, Any], version: int, where: str) -> dict[str | None, GazelleRules]:
    """The national definition (key None) and each zone's own: the national keys the zone's entry changes."""
    source = str(doc.get("source", where))
    national = {key: doc.get(key) for key in GAZELLE_KEYS}
    found: dict[str | None, GazelleRules] = {None: _gazelle(national, version, where, source)}
    zones = doc.get("zones") or {}
    if not isinstance(zones, Mapping):
        raise CatalogError("expected zone code -> changed keys", where=f"{where}: zones")
    for zone, changes in zones.items():
        if not isinstance(changes, Mapping) or set(changes) - set(GAZELLE_KEYS):
            raise CatalogError(f"a zone may change only {', '.join(GAZELLE_KEYS)}", where=f"{where}: zones.{zone}")
        found[str(zone)] = _gazelle({**national, **changes}, version, f"{where}: zones.{zone}", source)
    return found


def parse_mapping(doc: Mapping[str, Any], version: int, where: str) -> ReportMapping:
    fields = {}
    for name, spec in _mapping(doc, "fields", where).items():
        if name not in MAPPED_INPUTS or not isinstance(spec, Mapping) or not isinstance(spec.get("element"), str):
            raise CatalogError(f"expected one of {', '.join(MAPPED_INPUTS)}: {{element, factor}}",
                               where=f"{where}: fields.{name}")
        fields[str(name)] = ReportField(spec["element"], exact(spec.get("factor", 1), f"{where}: fields.{name}"))
    return ReportMapping(version, str(doc.get("form")), fields)


PARSERS = {TECH_SME: parse_tech_sme, HIGHTECH: parse_hightech, GAZELLE: parse_gazelle, FROM_REPORT: parse_mapping}


# ---------------------------------------------------------------- loading


def ladder_directories() -> list[Path]:
    return [package_directory(LADDER_KIND), *user_directories(LADDER_KIND)]


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def versions_of(code: str, parse: Callable[[dict[str, Any], str], V],
                directories: Iterable[Path] | None = None) -> dict[int, V]:
    """The ladder folders' files of ``code``, parsed, by version; a later directory's file of the same version
    replaces one (a user's over the package's)."""
    found: dict[int, V] = {}
    for root in ladder_directories() if directories is None else directories:
        for path in sorted(root.glob("*.yaml")):
            doc = read_yaml(path)
            if doc.get("code") == code:
                parsed = parse(doc, str(path))
                found[parsed.version] = parsed
    return found


def load_rule_sets(directories: Iterable[Path]) -> dict[tuple[str, int], Any]:
    """Every rule set by (code, version); a later directory's file of the same code and version replaces one."""
    found: dict[tuple[str, int], Any] = {}
    for root in directories:
        for path in sorted(root.glob("*.yaml")):
            doc = read_yaml(path)
            code, version = doc.get("code"), doc.get("version")
            if code not in PARSERS:
                continue  # the ladder folder also holds other kinds (innovation points, zone overrides)
            if not isinstance(version, int) or isinstance(version, bool):
                raise CatalogError("'version' (the first data year) must be a whole number", where=str(path))
            found[(str(code), version)] = PARSERS[str(code)](doc, version, str(path))
    return found


@cache
def _default_rule_sets() -> dict[tuple[str, int], Any]:
    return load_rule_sets(ladder_directories())


def versions(code: str, rule_sets: Mapping[tuple[str, int], Any] | None = None) -> Sequence[int]:
    return sorted(v for c, v in (_default_rule_sets() if rule_sets is None else rule_sets) if c == code)


def rules_for(year: int, rule_sets: Mapping[tuple[str, int], Any] | None = None) -> LadderRules | None:
    """The rules in force for data of ``year`` (the latest version of each not after it); None before them."""
    sets = _default_rule_sets() if rule_sets is None else rule_sets
    chosen = []
    for code in (TECH_SME, HIGHTECH):
        applicable = [v for v in versions(code, sets) if v <= year]
        if not applicable:
            return None
        chosen.append(sets[(code, applicable[-1])])
    return LadderRules(*chosen)


def _latest(code: str, year: int, rule_sets: Mapping[tuple[str, int], Any] | None) -> Any:
    sets = _default_rule_sets() if rule_sets is None else rule_sets
    applicable = [v for v in versions(code, sets) if v <= year]
    return sets[(code, applicable[-1])] if applicable else None


def gazelle_rules(year: int, zone: str | None = None,
                  rule_sets: Mapping[tuple[str, int], Any] | None = None) -> GazelleRules | None:
    """The 瞪羚 definition for data of ``year``: the zone's own where it has one, else the national."""
    found: dict[str | None, GazelleRules] | None = _latest(GAZELLE, year, rule_sets)
    return None if found is None else found.get(zone, found[None])


def report_mapping(year: int, rule_sets: Mapping[tuple[str, int], Any] | None = None) -> ReportMapping | None:
    found: ReportMapping | None = _latest(FROM_REPORT, year, rule_sets)
    return found


def earliest_year(rule_sets: Mapping[tuple[str, int], Any] | None = None) -> int:
    """The first data year every rule set covers."""
    firsts = [versions(code, rule_sets) for code in (TECH_SME, HIGHTECH)]
    if not all(firsts):
        raise CatalogError("the ladder rules need a tech_sme and a hightech rule set",
                           where=str(package_directory(LADDER_KIND)))
    return max(found[0] for found in firsts)
