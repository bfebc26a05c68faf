"""Disclosure control of every aggregate the pages, exports and API show: the figures snapshot as the
cells of hizone.analytics.disclosure (zones, provinces, regions, the nation), suppressed per viewer.

A viewer sees unsuppressed what its scope lets it read anyway (the national roles everything, a province
user its province and zones, a zone user its zone); every other cell passes the catalog's rules, with
complementary suppression worked out against what that viewer knows. Patterns are kept with the snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hizone.analytics.disclosure import Cell, Relation, combine, suppress
from hizone.analytics.disclosure_rules import disclosure_rules, largest_needed
from hizone.auth import Principal, can_read_zone
from hizone.web.services.figures import Figures, Sums, value_of, yoy
from hizone.web.services.tables import Suppressed
from hizone.web.services.views import Indicator

NATION = "nation"
Shown = float | Suppressed | None  # a figure as published: a value, withheld, or none to show


def zone_key(code: str) -> str:
    return f"zone:{code}"


def province_key(code: str) -> str:
    return f"province:{code}"


def region_key(region: str) -> str:
    return f"region:{region}"


@dataclass(frozen=True)
class Viewer:
    """The cells a caller may see whatever the rules say (None: every cell, nothing is suppressed)."""

    known: frozenset[str] | None

    @classmethod
    def of(cls, principal: Principal, fig: Figures) -> Viewer:
        if principal.is_national:
            return cls(None)
        zones = {z.code for z in fig.zones.values() if can_read_zone(principal, z.code, z.province_code)}
        known = {zone_key(code) for code in zones}
        for province in fig.provinces:
            members = fig.zones_of_province(province)
            if members and set(members) <= zones:
                known.add(province_key(province))
        return cls(frozenset(known))


@dataclass(frozen=True)
class Disclosure:
    """Which cells of one period are suppressed for one viewer, per measure (element code or "enterprises")."""

    hidden: dict[str, dict[str, str]]  # measure -> cell key -> reason code

    def reason(self, key: str, indicator: Indicator) -> str | None:
        """Why the indicator's figure for ``key`` is withheld (a ratio when either of its terms is), or None."""
        for measure in measures_of(indicator):
            found = self.hidden.get(measure, {}).get(key)
            if found:
                return found
        return None

    def shown(self, key: str, indicator: Indicator, sums: Sums, zone_count: int | None = None) -> Shown:
        found = self.reason(key, indicator)
        return Suppressed(found) if found else value_of(indicator, sums, zone_count)


def measures_of(indicator: Indicator) -> tuple[str, ...]:
    if indicator.code == "zones":
        return ()  # how many zones a group has is the public registry
    if indicator.ratio is not None:
        return (indicator.ratio.numerator, indicator.ratio.denominator)
    return (indicator.code,)


def change(current: Shown, previous: Shown) -> Shown:
    """Year-on-year change of two published figures; withheld when either is (it would give the other away)."""
    for value in (current, previous):
        if isinstance(value, Suppressed):
            return value
    return yoy(current, previous)  # type: ignore[arg-type]  # neither is Suppressed here


def _relations(fig: Figures) -> list[Relation]:
    regions: dict[str, list[str]] = {}
    relations = []
    for province in sorted(fig.provinces):
        zones = fig.zones_of_province(province)
        if zones:
            relations.append(Relation(province_key(province), tuple(zone_key(z) for z in zones)))
            regions.setdefault(fig.provinces[province].region, []).append(province_key(province))
    relations += [Relation(region_key(r), tuple(parts)) for r, parts in sorted(regions.items())]
    relations.append(Relation(NATION, tuple(region_key(r) for r in sorted(regions))))
    return relations


def _cells(fig: Figures, zone_cell: Callable[[str], Cell]) -> dict[str, Cell]:
    keep = largest_needed()
    zones = {code: zone_cell(code) for code in fig.zones}
    cells = {zone_key(code): cell for code, cell in zones.items()}

    def group(codes: Iterable[str]) -> Cell:
        return combine((zones[c] for c in codes), keep)

    for province in fig.provinces:
        members = fig.zones_of_province(province)
        if members:
            cells[province_key(province)] = group(members)
    for region in {fig.provinces[p].region for p in fig.provinces if fig.zones_of_province(p)}:
        cells[region_key(region)] = group(fig.zones_of_region(region))
    cells[NATION] = group(fig.zones)
    return cells


def _annual_cell(fig: Figures, year: str, measure: str) -> Callable[[str], Cell]:
    def cell(code: str) -> Cell:
        sums = fig.annual.get((code, year), {})
        count = int(sums.get("enterprises", 0))
        if measure == "enterprises":  # a count: each enterprise contributes one
            return Cell(float(count), {"zone": min(count, 1), "enterprise": count}, {
                "enterprise": (1.0,) * min(count, largest_needed()), "zone": (float(count),) if count else ()})
        total = sums.get(measure, 0.0)
        return Cell(total, {"zone": min(count, 1), "enterprise": count},
                    {"enterprise": fig.largest.get((code, year), {}).get(measure, ()),
                     "zone": (total,) if count else ()})
    return cell


def _monthly_cell(fig: Figures, month: str, measure: str) -> Callable[[str], Cell]:
    """A zone's monthly report: the zone is the one contributor (it does not count its enterprises)."""
    def cell(code: str) -> Cell:
        sums = fig.monthly.get((code, month))
        total = sums.get(measure, 0.0) if sums else 0.0
        return Cell(total, {"zone": 1 if sums else 0}, {"zone": (total,) if sums else ()})
    return cell


def _pattern(fig: Figures, kind: str, period: str, viewer: Viewer, measures: Iterable[str],
             zone_cell: Callable[[Figures, str, str], Callable[[str], Cell]]) -> Disclosure:
    if viewer.known is None:
        return Disclosure({})
    key = ("disclosure", kind, period, viewer.known)
    found = fig.memo.get(key)
    if isinstance(found, Disclosure):
        return found
    rules = disclosure_rules(int(period[:4]))
    relations = _relations(fig)
    made = Disclosure({m: suppress(_cells(fig, zone_cell(fig, period, m)), relations, rules, viewer.known)
                       for m in measures})
    fig.memo[key] = made
    return made


def annual(fig: Figures, year: str, viewer: Viewer, elements: Iterable[str]) -> Disclosure:
    """The suppression pattern of a report year's annual figures (``elements`` and the enterprise counts)."""
    return _pattern(fig, "annual", year, viewer, (*elements, "enterprises"), _annual_cell)


def monthly(fig: Figures, month: str, viewer: Viewer, elements: Iterable[str]) -> Disclosure:
    """The suppression pattern of a month's cumulative zone reports."""
    return _pattern(fig, "monthly", month, viewer, elements, _monthly_cell)
