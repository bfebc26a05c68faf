"""The carbon engine (pure): energy use in physical units → 综合能耗 (tce) and CO2 by scope, per entity.

Inputs are an :class:`Activity` (entities × energies, quantities in each energy's own unit) and a resolved
:class:`FactorSet` (the coefficients in force for one data year); nothing here reads a file or a database. Every
coefficient is per unit of the energy, so one account is a product of the quantity matrix with a coefficient
vector per measure:

- ``tce_equivalent``   Σ quantity × 当量值 (GB/T 2589), supplies outwards subtracted; green power is part of the
  grid purchase and not added again;
- ``tce_equal_value``  the same with electricity at the year's 等价值;
- ``co2_scope1``       fuels × their factor + process emissions;
- ``co2_scope2_location``  grid electricity × the grid factor + heat × the heat factor;
- ``co2_scope2_market``    (grid electricity − certified green power) × the factor excluding market-traded
  non-fossil power + heat × the heat factor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

ROLES = ("grid_electricity", "green_electricity", "electricity_sold", "renewable_generation", "heat", "heat_sold",
         "fuel", "process")
# Supplies outwards enter every measure with the sign of the purchase they offset (GB/T 32150: in − out).
OUTPUT_COLUMNS = ("entity", "tce_equivalent", "co2_scope1", "co2_scope2_location", "co2_scope2_market",
                  "co2_total_location")
OUTWARD = {"electricity_sold": "grid_electricity", "heat_sold": "heat"}


@dataclass(frozen=True)
class Energy:
    code: str
    name_zh: str
    name_en: str
    role: str
    unit: str
    units: Mapping[str, float]  # accepted unit (normalised) -> its size in ``unit``
    element: str  # the data element of the enterprise annual energy form that reports it

    def size_of(self, unit: str) -> float | None:
        """How many of the energy's own unit one ``unit`` is; None when ``unit`` does not measure this energy."""
        return self.units.get(normalise_unit(unit))


def normalise_unit(unit: str) -> str:
    """Units compare without case, spaces or the superscript: 'm³' = 'M3', 'KWH' = 'kWh'."""
    return unit.strip().replace(" ", "").replace("³", "3").casefold()


@dataclass(frozen=True)
class FactorSet:
    """The coefficients in force for one data year. Per energy code, per unit of the energy's own unit:
    tonnes of standard coal (both bases) and tonnes of CO2 of scope 1. The grid and heat factors are in tCO2 per
    kWh and per GJ; ``grid_location`` maps a grid region ("national" or a regional grid) to its factor."""

    year: int
    energies: Mapping[str, Energy]
    tce_equivalent: Mapping[str, float]
    tce_equal_value: Mapping[str, float]
    co2_scope1: Mapping[str, float]
    grid_location: Mapping[str, float]
    grid_market: float
    heat: float
    version: str  # the editions, data years and file revisions used, e.g. "grid 2022 r1; ..."
    fingerprint: str  # a digest of every coefficient above: two accounts with the same one used the same numbers
    notes: tuple[str, ...] = ()  # what the year rule did (a factor taken from an earlier year)


@dataclass(frozen=True)
class Activity:
    """Quantities of ``energies`` (columns) used by ``entities`` (rows), each in the energy's own unit.
    ``regions`` gives each entity's grid region for regional location-based accounting ("national" otherwise)."""

    entities: tuple[str, ...]
    energies: tuple[str, ...]
    quantities: np.ndarray  # float64, len(entities) × len(energies)
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Accounts:
    """One account per entity (arrays aligned with ``entities``), tonnes; carries the factors it used."""

    entities: tuple[str, ...]
    tce_equivalent: np.ndarray
    tce_equal_value: np.ndarray
    co2_scope1: np.ndarray
    co2_scope2_location: np.ndarray
    co2_scope2_market: np.ndarray
    green_electricity_kwh: np.ndarray
    renewable_generation_kwh: np.ndarray
    factor_version: str
    factor_fingerprint: str
    notes: tuple[str, ...]

    @property
    def co2_total_location(self) -> np.ndarray:
        return self.co2_scope1 + self.co2_scope2_location

    @property
    def co2_total_market(self) -> np.ndarray:
        return self.co2_scope1 + self.co2_scope2_market

    def rows(self) -> list[tuple[str, float, float, float, float, float]]:
        """One row per entity in the order of :data:`OUTPUT_COLUMNS`."""
        columns = (self.tce_equivalent, self.co2_scope1, self.co2_scope2_location, self.co2_scope2_market,
                   self.co2_total_location)
        return [(entity, *(float(c[i]) for c in columns)) for i, entity in enumerate(self.entities)]  # type: ignore[misc]


def _vector(energies: Sequence[str], factors: FactorSet, coefficient: Mapping[str, float]) -> np.ndarray:
    """A coefficient per energy column from its code; an outward supply's is subtracted."""
    sign = {code: -1.0 if factors.energies[code].role in OUTWARD else 1.0 for code in energies}
    return np.array([sign[code] * coefficient.get(code, 0.0) for code in energies], dtype=np.float64)


def _role_vector(energies: Sequence[str], factors: FactorSet, by_role: Mapping[str, float]) -> np.ndarray:
    """A coefficient per energy column from its role; an outward supply takes minus its purchase's value."""
    values = []
    for code in energies:
        role = factors.energies[code].role
        values.append(-by_role.get(OUTWARD[role], 0.0) if role in OUTWARD else by_role.get(role, 0.0))
    return np.array(values, dtype=np.float64)


def compute(activity: Activity, factors: FactorSet) -> Accounts:
    """Every entity's account under ``factors``. Energies must be known to ``factors`` (the reader checks)."""
    q = np.asarray(activity.quantities, dtype=np.float64)
    energies = activity.energies
    tce_equivalent = q @ _vector(energies, factors, factors.tce_equivalent)
    tce_equal_value = q @ _vector(energies, factors, factors.tce_equal_value)
    scope1 = q @ _vector(energies, factors, factors.co2_scope1)
    heat_only = q @ _role_vector(energies, factors, {"heat": factors.heat})
    electricity = q @ _role_vector(energies, factors, {"grid_electricity": 1.0})  # net kWh from the grid
    regions = activity.regions or ("national",) * len(activity.entities)
    location_factor = np.array([factors.grid_location[r] for r in regions], dtype=np.float64)
    market = q @ _role_vector(energies, factors, {"grid_electricity": factors.grid_market,
                                                  "green_electricity": -factors.grid_market})
    green = q @ _role_vector(energies, factors, {"green_electricity": 1.0})
    renewable = q @ _role_vector(energies, factors, {"renewable_generation": 1.0})
    return Accounts(entities=activity.entities, tce_equivalent=tce_equivalent, tce_equal_value=tce_equal_value,
                    co2_scope1=scope1, co2_scope2_location=electricity * location_factor + heat_only,
                    co2_scope2_market=market + heat_only, green_electricity_kwh=green,
                    renewable_generation_kwh=renewable, factor_version=factors.version,
                    factor_fingerprint=factors.fingerprint, notes=factors.notes)
