"""The carbon engine against accounts worked out by hand from the published coefficients."""

from __future__ import annotations

import numpy as np
import pytest

from hizone.carbon.engine import Activity, compute
from hizone.carbon.factors import default_library


def _accounts(year: int, energies: tuple[str, ...], *rows: tuple[float, ...], regions: tuple[str, ...] = ()):
    factors = default_library().resolve(year, "regional" if regions else "national")
    entities = tuple(f"E{i}" for i in range(len(rows)))
    return compute(Activity(entities, energies, np.array(rows, dtype=np.float64), regions), factors)


def test_grid_power_with_green_part_gas_and_diesel_in_2022() -> None:
    accounts = _accounts(2022, ("electricity", "green_electricity", "natural_gas", "diesel"),
                         (1_000_000, 200_000, 50_000, 10))
    # tce (当量值): 1,000,000 kWh × 0.1229 kgce/kWh = 122.9 t; 50,000 m3 × 1.2143 kgce/m3 = 60.715 t;
    # 10 t × 1.4571 = 14.571 t; the green part is inside the grid purchase, not added: 198.186 tce.
    assert accounts.tce_equivalent[0] == pytest.approx(122.9 + 60.715 + 14.571)
    # scope 1: 5 × 10^4 m3 × 21.62 = 108.1 t; 10 t × 3.096 = 30.96 t.
    assert accounts.co2_scope1[0] == pytest.approx(139.06)
    # scope 2 location: 1,000,000 kWh × 0.5366 kg = 536.6 t.
    assert accounts.co2_scope2_location[0] == pytest.approx(536.6)
    # scope 2 market: (1,000,000 − 200,000) kWh × 0.5856 kg (excluding market-traded non-fossil) = 468.48 t.
    assert accounts.co2_scope2_market[0] == pytest.approx(468.48)
    assert accounts.co2_total_location[0] == pytest.approx(139.06 + 536.6)
    assert accounts.green_electricity_kwh[0] == 200_000
    # 等价值: the electricity at 0.404 kgce/kWh instead: 404 + 60.715 + 14.571.
    assert accounts.tce_equal_value[0] == pytest.approx(404 + 60.715 + 14.571)


def test_heat_and_solid_and_liquid_fuels() -> None:
    accounts = _accounts(2022, ("heat", "raw_coal", "coke", "lpg", "fuel_oil", "gasoline"),
                         (1000, 100, 5, 2, 3, 1.5))
    # tce: 1000 GJ × 34.12 kg = 34.12; 100 × 0.7143 = 71.43; 5 × 0.9714 = 4.857; 2 × 1.7143 = 3.4286;
    # 3 × 1.4286 = 4.2858; 1.5 × 1.4714 = 2.2071.
    assert accounts.tce_equivalent[0] == pytest.approx(34.12 + 71.43 + 4.857 + 3.4286 + 4.2858 + 2.2071)
    # scope 1: raw coal at the 烟煤 factor 100 × 1.742 = 174.2; coke 5 × 2.860 = 14.3; LPG 2 × 3.101 = 6.202;
    # fuel oil 3 × 3.170 = 9.51; gasoline 1.5 × 2.925 = 4.3875.
    assert accounts.co2_scope1[0] == pytest.approx(174.2 + 14.3 + 6.202 + 9.51 + 4.3875)
    # heat is scope 2 on both bases: 1000 GJ × 0.11 t = 110 t.
    assert accounts.co2_scope2_location[0] == pytest.approx(110)
    assert accounts.co2_scope2_market[0] == pytest.approx(110)


def test_supplies_outwards_are_subtracted_and_process_emissions_are_scope_one() -> None:
    accounts = _accounts(2023, ("electricity", "electricity_sold", "heat", "heat_sold", "process_co2",
                                "renewable_generation"), (500_000, 100_000, 200, 50, 12.5, 80_000))
    # net grid power 400,000 kWh: 49.16 tce, 400,000 × 0.5306 kg = 212.24 t (location), × 0.6096 = 243.84 t
    # (market); net heat 150 GJ: 5.118 tce, 16.5 t CO2. Own renewable power carries neither.
    assert accounts.tce_equivalent[0] == pytest.approx(400_000 * 0.1229 / 1000 + 150 * 34.12 / 1000)
    assert accounts.co2_scope2_location[0] == pytest.approx(212.24 + 16.5)
    assert accounts.co2_scope2_market[0] == pytest.approx(243.84 + 16.5)
    assert accounts.co2_scope1[0] == pytest.approx(12.5)
    assert accounts.renewable_generation_kwh[0] == 80_000


def test_regional_grid_factors_follow_each_entitys_grid() -> None:
    accounts = _accounts(2022, ("electricity",), (1_000_000,), (1_000_000,), regions=("north", "southwest"))
    # 华北 0.6776 and 西南 0.2268 kgCO2/kWh in 2022.
    assert accounts.co2_scope2_location.tolist() == pytest.approx([677.6, 226.8])


def test_a_year_without_published_factors_uses_the_latest_earlier_one_and_says_so() -> None:
    factors = default_library().resolve(2025)
    assert factors.grid_location["national"] == pytest.approx(0.5306e-3)
    assert factors.notes == ("grid factors for 2025 not published; using 2023's (mee_nbs_2023)",)
    assert "grid 2023 national r1" in factors.version
    assert default_library().resolve(2022).notes == ()
    assert default_library().resolve(2021).grid_market == pytest.approx(0.5942e-3)


def test_results_keep_the_factor_version_and_the_fingerprint_follows_the_numbers() -> None:
    library = default_library()
    accounts = _accounts(2021, ("electricity",), (1.0,))
    assert accounts.factor_version == library.resolve(2021).version
    assert accounts.factor_fingerprint == library.resolve(2021).fingerprint
    assert library.resolve(2021).fingerprint != library.resolve(2022).fingerprint
    assert library.resolve(2024).fingerprint == library.resolve(2023).fingerprint
