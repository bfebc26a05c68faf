"""Carbon accounts of zones, provinces, regions and the nation, from the analytics layer's published figures.

The energy form's indicators are sums of each energy over a group's enterprises (catalog/data/indicators/
enterprise_energy.yaml); every coefficient is per unit of energy, so the engine applied to a group's sums is the
sum of its enterprises' accounts. Ratios are then Σ/Σ over the group, with the value added of the enterprise
annual report (千元 on the form, 万元 here):

  energy_intensity        单位增加值综合能耗, tce (当量值) per 万元 of value added
  industrial_energy_intensity  单位工业增加值能耗, tce of the industrial enterprises (who counts: targets.yaml,
                          pathway.industrial_enterprises) per 万元 of their industrial value added
  co2_intensity           tCO2 (scope 1 + location-based scope 2) per 万元 of value added
  carbon_productivity     碳生产率, 万元 of value added per tCO2
  co2_per_tce             单位能耗碳排放, tCO2 per tce
  co2_intensity_yoy       % change of co2_intensity on the year, both years at this year's factors, so the change
                          is the group's own and not the grid's

Every figure comes through :class:`~hizone.analytics.read.Reader`, with its scope and disclosure control: a group
any of whose figures the viewer may not see has no account, only the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hizone.analytics.read import Reader, Viewer
from hizone.carbon.engine import Accounts, Activity, FactorSet, compute
from hizone.carbon.factors import Library
from hizone.carbon.pathways import Level, Targets, default_targets
from hizone.catalog import default_catalog

VALUE_ADDED = "value_added_total"
INDUSTRIAL_VALUE_ADDED = "industrial_value_added_total"
REPORTERS = "energy_reporter_count"
THOUSAND_TO_WAN = 0.1  # 千元 → 万元
ENERGY_FORM = "enterprise_energy"


def first_year() -> int:
    """The first year an account can have: the energy form's first version."""
    return default_catalog().forms[ENERGY_FORM][0].version


@dataclass(frozen=True)
class GroupAccount:
    level: str
    key: str
    year: int
    reporters: int
    tce_equivalent: float
    tce_equal_value: float
    co2_scope1: float
    co2_scope2_location: float
    co2_scope2_market: float
    green_electricity_kwh: float
    renewable_generation_kwh: float
    value_added: float | None  # 万元
    industrial_tce_equivalent: float | None  # the industrial enterprises' 综合能耗 (当量值), None: withheld
    industrial_value_added: float | None  # 万元
    co2_intensity_previous: float | None  # last year's energy at this year's factors, tCO2/万元
    factor_version: str
    factor_fingerprint: str
    notes: tuple[str, ...]

    @property
    def co2_total_location(self) -> float:
        return self.co2_scope1 + self.co2_scope2_location

    @property
    def co2_total_market(self) -> float:
        return self.co2_scope1 + self.co2_scope2_market

    @property
    def energy_intensity(self) -> float | None:
        return _ratio(self.tce_equivalent, self.value_added)

    @property
    def industrial_energy_intensity(self) -> float | None:
        return _ratio(self.industrial_tce_equivalent, self.industrial_value_added)

    @property
    def co2_intensity(self) -> float | None:
        return _ratio(self.co2_total_location, self.value_added)

    @property
    def carbon_productivity(self) -> float | None:
        return _ratio(self.value_added, self.co2_total_location)

    @property
    def co2_per_tce(self) -> float | None:
        return _ratio(self.co2_total_location, self.tce_equivalent)

    @property
    def co2_intensity_yoy(self) -> float | None:
        now, before = self.co2_intensity, self.co2_intensity_previous
        return None if now is None or not before else (now / before - 1.0) * 100.0


@dataclass(frozen=True)
class Withheld:
    level: str
    key: str
    year: int
    reason: str  # "no data" or the disclosure reason


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


def energy_indicators(library: Library) -> dict[str, str]:
    """energy code -> the indicator summing its element."""
    return {code: f"{energy.element}_total" for code, energy in library.energies.items()}


def _sums(reader: Reader, indicators: Sequence[str], level: str, keys: Sequence[str], period: str,
          viewer: Viewer) -> tuple[np.ndarray, dict[str, str]]:
    """keys × indicators, 0 where nothing was reported; the keys withheld (or without any figure) with why."""
    figures = reader.values(list(indicators), level, list(keys), [period], viewer)
    values = np.zeros((len(keys), len(indicators)))
    reasons: dict[str, str] = {}
    for figure in figures:
        i, j = keys.index(figure.key), indicators.index(figure.indicator)
        if figure.withheld:
            reasons[figure.key] = figure.withheld
        elif figure.value is not None:
            values[i, j] = figure.value
    return values, reasons


def group_accounts(reader: Reader, library: Library, level: str, keys: Sequence[str], year: int,
                   viewer: Viewer, basis: str = "national") -> list[GroupAccount | Withheld]:
    """The account of each group ``keys`` of ``level`` in ``year``, as ``viewer`` may see it."""
    factors = library.resolve(year, basis)
    by_energy = energy_indicators(library)
    energies, indicators = tuple(by_energy), [*by_energy.values(), REPORTERS, VALUE_ADDED, INDUSTRIAL_VALUE_ADDED]
    now, withheld = _sums(reader, indicators, level, keys, str(year), viewer)
    before, withheld_before = _sums(reader, indicators, level, keys, str(year - 1), viewer)
    n = len(energies)
    current = _compute(keys, energies, now[:, :n], factors)
    industrial = _industrial_tce(reader, factors, energies, level, keys, year, viewer)
    previous = _compute(keys, energies, before[:, :n], factors)
    out: list[GroupAccount | Withheld] = []
    for i, key in enumerate(keys):
        reporters = int(now[i, n])
        if key in withheld or reporters == 0:
            out.append(Withheld(level, key, year, withheld.get(key, "no data")))
            continue
        previous_intensity = None
        if key not in withheld_before and before[i, n] > 0 and before[i, n + 1] > 0:
            previous_intensity = float(previous.co2_total_location[i] / (before[i, n + 1] * THOUSAND_TO_WAN))
        out.append(GroupAccount(
            level=level, key=key, year=year, reporters=reporters,
            tce_equivalent=float(current.tce_equivalent[i]), tce_equal_value=float(current.tce_equal_value[i]),
            co2_scope1=float(current.co2_scope1[i]), co2_scope2_location=float(current.co2_scope2_location[i]),
            co2_scope2_market=float(current.co2_scope2_market[i]),
            green_electricity_kwh=float(current.green_electricity_kwh[i]),
            renewable_generation_kwh=float(current.renewable_generation_kwh[i]),
            value_added=_wan(now[i, n + 1]), industrial_value_added=_wan(now[i, n + 2]),
            industrial_tce_equivalent=industrial[i],
            co2_intensity_previous=previous_intensity, factor_version=factors.version,
            factor_fingerprint=factors.fingerprint, notes=factors.notes))
    return out


def largest_emitters(reader: Reader, library: Library, zone_code: str, year: int, viewer: Viewer,
                     count: int | None) -> list[GroupAccount]:
    """The zone's ``count`` enterprises with the largest CO2 (scope 1 + location-based scope 2) in ``year``,
    largest first (every one when ``count`` is None): enterprise figures, so only for a viewer who reads the zone
    (ScopeError otherwise)."""
    keys = reader.enterprises_reporting(REPORTERS, zone_code, str(year), viewer)
    found = [a for a in group_accounts(reader, library, "enterprise", keys, year, viewer)
             if isinstance(a, GroupAccount)]
    return sorted(found, key=lambda a: (-a.co2_total_location, a.key))[:count]


def _industrial_tce(reader: Reader, factors: FactorSet, energies: tuple[str, ...], level: str,
                    keys: Sequence[str], year: int, viewer: Viewer) -> list[float | None]:
    """Each group's 综合能耗 (当量值) over its industrial enterprises, the rule's (targets.yaml), None: withheld."""
    targets = default_targets()
    elements = [factors.energies[code].element for code in energies]
    found = reader.sums_over_reporters(ENERGY_FORM, elements, level, keys, str(year), targets.industrial_form,
                                       targets.industrial_element, viewer)
    sums = np.array([row if row is not None else [0.0] * len(elements) for row in found]).reshape(len(keys), -1)
    tce = _compute(keys, energies, sums, factors).tce_equivalent
    return [None if row is None else float(tce[i]) for i, row in enumerate(found)]


def _wan(thousands: float) -> float | None:
    return float(thousands) * THOUSAND_TO_WAN if thousands else None


def _compute(keys: Sequence[str], energies: tuple[str, ...], sums: np.ndarray, factors: FactorSet) -> Accounts:
    """The engine over the groups' sums, each converted from the element's unit to the energy's own."""
    catalog_units = _element_units(factors)
    scale = np.array([catalog_units[code] for code in energies])
    return compute(Activity(tuple(keys), energies, sums * scale), factors)


def _element_units(factors: FactorSet) -> dict[str, float]:
    """energy code -> the size of its element's unit in the energy's own (the factor loader checked they fit)."""
    elements = default_catalog().elements
    return {code: energy.size_of(elements[energy.element].unit.name) or 0.0
            for code, energy in factors.energies.items()}


# --- pathway, warning and ledger of a group ---------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    side: str  # asset or liability
    item: str
    value: float
    unit: str
    indicators: tuple[str, ...]  # the catalog indicators behind it (Reader.drill_down lists their submissions)


@dataclass(frozen=True)
class Status:
    """A group's account in a year with its pathway, warning level and ledger."""

    account: GroupAccount
    base_year: int
    energy_path: float | None  # 单位工业增加值能耗 ceiling this year, tce/万元
    co2_path: float | None  # tCO2/万元 on the path this year
    level: Level
    ledger: tuple[LedgerEntry, ...]


def statuses(reader: Reader, library: Library, targets: Targets, level: str, keys: Sequence[str], year: int,
             viewer: Viewer, first_year: int) -> list[Status | Withheld]:
    """Each group's status in ``year``; its pathway starts at its first account from ``first_year`` on."""
    history = {y: group_accounts(reader, library, level, keys, y, viewer) for y in range(first_year, year + 1)}
    zone_assets, _ = _sums(reader, ZONE_ASSETS, level, keys, str(year), viewer)
    out: list[Status | Withheld] = []
    for i in range(len(keys)):
        current = history[year][i]
        if not isinstance(current, GroupAccount):
            out.append(current)
            continue
        base = next(a for y in sorted(history) if isinstance(a := history[y][i], GroupAccount))
        energy_path = None if base.industrial_energy_intensity is None else \
            targets.energy_path(base.year, base.industrial_energy_intensity, year)
        co2_path = None if base.co2_intensity is None else targets.co2_path(base.year, base.co2_intensity, year)
        measures = targets.measures(current.co2_intensity_yoy, current.industrial_energy_intensity, energy_path)
        out.append(Status(current, base.year, energy_path, co2_path, targets.warning(measures),
                          _ledger(library, current, co2_path, zone_assets[i])))
    return out


ZONE_ASSETS = ["zc_renewable_generation_total", "zc_certified_reductions_total", "zc_carbon_sinks_total"]


def _ledger(library: Library, account: GroupAccount, co2_path: float | None, zone: np.ndarray
            ) -> tuple[LedgerEntry, ...]:
    energy = energy_indicators(library)
    generation = account.renewable_generation_kwh + zone[0] * 10_000  # the zone form reports 万千瓦时
    excess = 0.0 if co2_path is None or account.value_added is None else \
        max(0.0, account.co2_total_location - co2_path * account.value_added)
    return (
        LedgerEntry("asset", "renewable_generation", generation, "kWh",
                    (energy["renewable_generation"], ZONE_ASSETS[0])),
        LedgerEntry("asset", "certified_green_electricity", account.green_electricity_kwh, "kWh",
                    (energy["green_electricity"],)),
        LedgerEntry("asset", "certified_reductions", float(zone[1]), "tCO2", (ZONE_ASSETS[1],)),
        LedgerEntry("asset", "carbon_sinks", float(zone[2]), "tCO2", (ZONE_ASSETS[2],)),
        LedgerEntry("liability", "emissions_location", account.co2_total_location, "tCO2", tuple(energy.values())),
        LedgerEntry("liability", "emissions_market", account.co2_total_market, "tCO2", tuple(energy.values())),
        LedgerEntry("liability", "excess_over_pathway", excess, "tCO2", (*energy.values(), VALUE_ADDED)),
    )
