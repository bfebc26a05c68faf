"""The demo's energy mix: it agrees with the annual report's 综合能耗 and puts the nation near the published 0.403."""

from __future__ import annotations

import numpy as np
import pytest

from hizone.carbon.engine import Activity, compute
from hizone.carbon.factors import default_library
from hizone.catalog import default_catalog
from hizone.demo import generate
from hizone.demo.carbon import energy_reports
from hizone.registry import load_provinces, load_zones


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return generate(default_catalog(), load_provinces(), load_zones(), 20_000, 2021)


def test_the_national_2021_energy_intensity_is_near_the_bulletins_and_matches_the_annual_report(demo) -> None:  # type: ignore[no-untyped-def]
    catalog, library = default_catalog(), default_library()
    elements, matrix = energy_reports(demo, catalog)[2021]
    by_element = {energy.element: code for code, energy in library.energies.items()}
    codes = tuple(by_element[e] for e in elements)
    scale = np.array([library.energies[c].size_of(catalog.elements[e].unit.name) for c, e in zip(codes, elements,
                                                                                                  strict=True)])
    reported = ~np.isnan(matrix[:, 0])
    accounts = compute(Activity(tuple(str(i) for i in range(reported.sum())), codes, matrix[reported] * scale),
                       library.resolve(2021))
    annual = demo.annual[2021][reported]
    value_added_wan = np.nansum(annual[:, demo.annual_elements.index("value_added")]) / 10  # 千元 → 万元
    stated_tce = annual[:, demo.annual_elements.index("energy_consumption")]
    assert accounts.tce_equivalent == pytest.approx(stated_tce, rel=1e-3, abs=0.01)
    assert accounts.tce_equivalent.sum() / value_added_wan == pytest.approx(0.403, abs=0.01)
    assert (accounts.green_electricity_kwh <= matrix[reported, 0] * 10_000 + 1e-6).all()


def test_the_demo_zones_warnings_are_a_mix_once_industrial_intensity_takes_the_industrial_energy() -> None:
    from collections import Counter
    from functools import partial

    from hizone.carbon.pathways import default_targets

    catalog, library, targets = default_catalog(), default_library(), default_targets()
    data = generate(catalog, load_provinces(), load_zones(), 20_000, 2023)
    by_element = {energy.element: code for code, energy in library.energies.items()}
    zone, zones = np.asarray(data.enterprises.zone), len(data.zones)
    sums: dict[tuple[int, int], dict[str, np.ndarray]] = {}  # (data year, factor year) -> zone sums
    for year, (elements, matrix) in energy_reports(data, catalog).items():
        codes = tuple(by_element[e] for e in elements)
        scale = np.array([library.energies[c].size_of(catalog.elements[e].unit.name) for c, e in
                          zip(codes, elements, strict=True)])
        reported = ~np.isnan(matrix[:, 0])
        annual = np.nan_to_num(data.annual[year][reported])
        iva = annual[:, data.annual_elements.index("industrial_value_added")] / 10
        va = annual[:, data.annual_elements.index("value_added")] / 10
        for factor_year in (year, year + 1):
            accounts = compute(Activity(tuple(map(str, range(reported.sum()))), codes, matrix[reported] * scale),
                               library.resolve(factor_year))
            total = partial(np.bincount, zone[reported], minlength=zones)
            sums[year, factor_year] = {"itce": total(weights=np.where(iva > 0, accounts.tce_equivalent, 0.0)),
                                       "iva": total(weights=iva), "va": total(weights=va),
                                       "co2": total(weights=accounts.co2_total_location)}
    base, now, before = sums[2021, 2021], sums[2023, 2023], sums[2022, 2023]
    assert base["itce"].sum() / base["iva"].sum() == pytest.approx(0.45, abs=0.05)  # not all energy over 工业增加值
    levels: Counter[str] = Counter()
    for i in np.flatnonzero((base["iva"] > 0) & (now["iva"] > 0) & (before["va"] > 0)):
        yoy = (now["co2"][i] / now["va"][i]) / (before["co2"][i] / before["va"][i]) * 100 - 100
        path = targets.energy_path(2021, base["itce"][i] / base["iva"][i], 2023)
        levels[targets.warning(targets.measures(yoy, now["itce"][i] / now["iva"][i], path)).level] += 1
    assert {"red", "yellow", "green"} <= set(levels) and levels["red"] < sum(levels.values()) * 0.7, levels
