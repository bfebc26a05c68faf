"""Synthetic energy reports (enterprise_energy) and zone carbon reports (zone_carbon_annual) for the demo.

Each enterprise's energy mix is split from the 综合能耗 its annual report already carries, so the energy form and
the annual report agree: the electricity is the annual report's own (万千瓦时 at the 当量值 1.229 tce/万kWh), the
rest is divided among natural gas, heat, coal and oil products by draws that depend on whether the enterprise
manufactures (GB/T 4754 section C), and every kind is converted to its physical unit with the factor library's
当量值, so the energy form's tce equals the annual report's. The national 2021 万元增加值综合能耗 follows from the
calibration (calibration.yaml: energy_tce_per_10k_yuan_value_added, set so that it is near the bulletins' 0.403).
All of it is synthetic.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection

from hizone.carbon.factors import default_library
from hizone.catalog import Catalog
from hizone.demo.generate import DemoData

Reports = dict[int, tuple[tuple[str, ...], np.ndarray]]  # year -> (elements, entities × elements); NaN: no report

ENERGY_FORM, ZONE_FORM = "enterprise_energy", "zone_carbon_annual"
FIRST_YEAR = 2021  # the energy form's first version, and the first year with a published grid factor
# Non-electric energy: the kinds drawn and their Dirichlet weights for manufacturers and for the others.
OTHER_KINDS = ("natural_gas", "heat", "raw_coal", "diesel", "gasoline", "lpg")
WEIGHTS = {True: (3.0, 2.0, 1.5, 0.5, 0.5, 0.3), False: (3.0, 3.0, 0.1, 0.3, 1.0, 0.2)}
MANUFACTURING = range(13, 44)  # GB/T 4754-2017 section C: divisions 13–43
PV_SHARE = 0.15  # enterprises generating some of their own power
PV_HOURS = 1100.0  # full-load hours a year of rooftop PV (kWh per kW), to state capacity from generation
URBAN_SINK_T_PER_HA = 3.0  # tCO2 a hectare of urban green absorbs a year (assumption)


def _tce_per_element_unit(catalog: Catalog) -> dict[str, tuple[str, float]]:
    """energy code -> (its element, tce per unit of the element) at the 当量值 of the first year."""
    factors = default_library().resolve(FIRST_YEAR)
    out = {}
    for code, energy in factors.energies.items():
        size = energy.size_of(catalog.elements[energy.element].unit.name) or 0.0
        out[code] = (energy.element, factors.tce_equivalent.get(code, 0.0) * size)
    return out


def energy_reports(data: DemoData, catalog: Catalog) -> Reports:
    """Each year's energy reports of the enterprises that filed an annual report."""
    per_unit = _tce_per_element_unit(catalog)
    columns = ("electricity", "green_electricity", "renewable_generation", *OTHER_KINDS)
    elements = tuple(per_unit[c][0] for c in columns)
    manufactures = np.array([int(str(code)[:2]) in MANUFACTURING for code in data.enterprises.industry])
    out: Reports = {}
    for year, annual in sorted(data.annual.items()):
        if year < FIRST_YEAR:
            continue
        rng = np.random.default_rng([data.seed, year, 14])
        tce = annual[:, data.annual_elements.index("energy_consumption")]
        electricity = annual[:, data.annual_elements.index("electricity_consumption")]  # 万千瓦时
        n = len(tce)
        other_tce = np.clip(tce - electricity * per_unit["electricity"][1], 0, None)
        shares = np.where(manufactures[:, None], rng.dirichlet(WEIGHTS[True], n), rng.dirichlet(WEIGHTS[False], n))
        green_share = np.clip(rng.beta(1, 12, n) * (1 + 0.3 * (year - FIRST_YEAR)), 0, 0.6)
        own_pv = np.where(rng.random(n) < PV_SHARE, electricity * rng.uniform(0.02, 0.15, n), 0.0)
        others = [other_tce * shares[:, j] / per_unit[kind][1] for j, kind in enumerate(OTHER_KINDS)]
        matrix = np.column_stack([electricity, electricity * green_share, own_pv, *others])
        out[year] = (elements, np.round(matrix, 4))
    return out


def zone_reports(data: DemoData, energy: Reports) -> Reports:
    """year -> (elements, zones × elements): green area, own renewable capacity and generation, reductions, sinks."""
    zone_of = np.asarray(data.enterprises.zone)
    count = np.bincount(zone_of, minlength=len(data.zones)).astype(float)
    rng = np.random.default_rng([data.seed, 14])
    green_area = np.round(80 + 40 * np.sqrt(count) * rng.uniform(0.6, 1.4, len(data.zones)), 1)  # 公顷
    out: Reports = {}
    for year, (elements, matrix) in energy.items():
        reported = ~np.isnan(matrix[:, 0])
        generation = np.bincount(zone_of[reported], weights=matrix[reported, elements.index("en_renewable_generation")],
                                 minlength=len(data.zones))  # 万千瓦时
        public = generation * rng.uniform(0.0, 0.5, len(data.zones))  # the zone's own plants, beside the firms'
        reductions = np.round((generation + public) * 10_000 * 0.5 * rng.uniform(0.0, 0.4, len(data.zones)) / 1000, 1)
        capacity = np.round((generation + public) * 10_000 / PV_HOURS, 1)
        zone_matrix = np.column_stack([green_area, capacity, np.round(public, 2), reductions,
                                       np.round(green_area * URBAN_SINK_T_PER_HA, 1)])
        out[year] = (("zc_green_area", "zc_renewable_capacity", "zc_renewable_generation", "zc_certified_reductions",
                      "zc_carbon_sinks"), zone_matrix)
    return out


def load_carbon(conn: Connection, data: DemoData, catalog: Catalog) -> int:
    """Store the demo's energy and zone carbon reports (approved, on time), through the demo loader's batches."""
    from hizone.demo.load import _insert_period, _layout  # imported here: load.py calls us
    from hizone.demo.reporting import arrival

    codes = np.asarray(data.enterprises.credit_code, dtype=np.str_)
    zone_codes = np.asarray([z.code for z in data.zones], dtype=np.str_)
    enterprise_zones = zone_codes[np.asarray(data.enterprises.zone)]
    energy = energy_reports(data, catalog)
    count = 0
    for form, reports, keys, zones in ((ENERGY_FORM, energy, codes, enterprise_zones),
                                       (ZONE_FORM, zone_reports(data, energy), zone_codes, zone_codes)):
        for year, (elements, matrix) in reports.items():
            rows = np.flatnonzero(~np.isnan(matrix[:, 0]))
            count += _insert_period(conn, form, str(year), _layout(catalog, form, year, elements),
                                   (keys[rows], zones[rows], matrix[rows]), arrival(form, str(year)))
    return count
