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
