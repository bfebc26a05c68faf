"""Zone → province → nation carbon accounts from the energy form through the build and the read path."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from hizone.analytics.build import build
from hizone.analytics.read import Viewer, open_reader
from hizone.analytics.rollup import NATION_KEY
from hizone.carbon.accounts import GroupAccount, Withheld, group_accounts
from hizone.carbon.factors import default_library
from hizone.store import session_scope
from tests.analytics.fixture import CODES, populate
from tests.reports import report, write_report

# enterprise_energy in the form's units: 万千瓦时, 万立方米, 吨, 吉焦.
ENERGY = [
    ("E1", "Z1101", "2022", {"en_electricity_purchased": 90, "en_natural_gas": 5, "en_diesel": 10}),
    ("E1", "Z1101", "2023", {"en_electricity_purchased": 100, "en_green_electricity": 20, "en_natural_gas": 5,
                             "en_diesel": 10}),
    ("E2", "Z1101", "2023", {"en_electricity_purchased": 0, "en_heat_purchased": 1000, "en_raw_coal": 100}),
    ("E4", "Z4201", "2023", {"en_electricity_purchased": 50}),
]


def seed_energy(engine: Engine) -> None:
    """The tiny registry of tests.ranking.tiny with the approved energy reports above."""
    populate(engine, monthly=False)
    with session_scope(engine) as session:
        for name, zone, period, values in ENERGY:
            session.add(report(form_code="enterprise_energy", form_version=2021, entity_key=CODES[name],
                               zone_code=zone, period=period, revision=1, state="approved", values=values,
                               created_by="test"))


@pytest.fixture
def reader(engine: Engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    seed_energy(engine)
    build(engine, tmp_path / "analytics.duckdb")
    return open_reader(tmp_path / "analytics.duckdb")


def test_zone_province_and_nation_accounts_are_sums_and_their_ratios_sums_over_sums(reader) -> None:  # type: ignore[no-untyped-def]
    zone, z4201, z5101 = group_accounts(reader, default_library(), "zone", ["Z1101", "Z4201", "Z5101"], 2023,
                                        Viewer.everyone())
    assert isinstance(zone, GroupAccount) and isinstance(z4201, GroupAccount)
    # E1: 1,000,000 kWh × 0.1229 + 50,000 m3 × 1.2143 + 10 t × 1.4571 = 122.9 + 60.715 + 14.571 tce;
    # E2: 1000 GJ × 0.03412 + 100 t × 0.7143 = 34.12 + 71.43 tce.
    assert zone.reporters == 2
    assert zone.tce_equivalent == pytest.approx(198.186 + 105.55)
    # CO2 (2023 grid 0.5306): E1 108.1 + 30.96 + 530.6; E2 coal 174.2 + heat 110.
    assert zone.co2_total_location == pytest.approx(139.06 + 530.6 + 174.2 + 110)
    # market: E1's 800,000 kWh net of green power × 0.6096 = 487.68, E2's heat 110.
    assert zone.co2_scope2_market == pytest.approx(487.68 + 110)
    # value added 2023 of Z1101 (enterprise_annual): E1 360 + E2 90 + E3 60 = 510 千元 = 51 万元.
    assert zone.value_added == pytest.approx(51)
    assert zone.energy_intensity == pytest.approx(303.736 / 51)
    assert zone.co2_intensity == pytest.approx(953.86 / 51)
    assert zone.carbon_productivity == pytest.approx(51 / 953.86)
    assert zone.co2_per_tce == pytest.approx(953.86 / 303.736)
    # 2022 at 2023's factors: 900,000 kWh × 0.5306 = 477.54 + 139.06 tCO2 over (300 + 100) 千元 = 40 万元.
    assert zone.co2_intensity_yoy == pytest.approx((953.86 / 51) / (616.6 / 40) * 100 - 100)
    assert zone.industrial_energy_intensity is None  # the fixture reports no industrial value added
    assert z4201.co2_intensity_yoy is None  # nothing reported in 2022
    assert isinstance(z5101, Withheld) and z5101.reason == "no data"
    [province] = group_accounts(reader, default_library(), "province", ["11"], 2023, Viewer.everyone())
    assert isinstance(province, GroupAccount) and province.tce_equivalent == pytest.approx(zone.tce_equivalent)
    [nation] = group_accounts(reader, default_library(), "nation", [NATION_KEY], 2023, Viewer.everyone())
    assert isinstance(nation, GroupAccount)
    assert nation.tce_equivalent == pytest.approx(303.736 + 61.45)
    assert nation.co2_total_location == pytest.approx(953.86 + 265.3)
    assert nation.factor_version == default_library().resolve(2023).version


def test_a_zones_status_has_its_pathway_warning_and_a_ledger_traceable_to_submissions(reader, engine) -> None:  # type: ignore[no-untyped-def]
    from hizone.carbon.accounts import Status, statuses
    from hizone.carbon.pathways import default_targets

    write_report(engine, form_code="zone_carbon_annual", form_version=2021, entity_key="Z1101", zone_code="Z1101",
                 period="2023", revision=1, state="approved",
                 values={"zc_renewable_generation": 3, "zc_certified_reductions": 40, "zc_carbon_sinks": 9})
    path = Path(reader.analytics.path)
    build(engine, path)
    fresh = open_reader(path)
    [status] = statuses(fresh, default_library(), default_targets(), "zone", ["Z1101"], 2023, Viewer.everyone(), 2021)
    assert isinstance(status, Status)
    # the pathway starts at the zone's first account, 2022's, at 2022's own factors
    assert status.base_year == 2022
    base = (139.06 + 900_000 * 0.5366 / 1000) / 40  # 2022 at 2022's factors, tCO2/万元
    assert status.co2_path == pytest.approx(base * 0.96)
    assert status.level.level == "red"  # intensity rose 21% on the year
    ledger = {e.item: e for e in status.ledger}
    assert ledger["renewable_generation"].value == pytest.approx(30_000)
    assert ledger["certified_reductions"].value == 40 and ledger["carbon_sinks"].value == 9
    assert ledger["certified_green_electricity"].value == pytest.approx(200_000)
    assert ledger["excess_over_pathway"].value == pytest.approx(953.86 - base * 0.96 * 51)
    sources = fresh.drill_down(ledger["carbon_sinks"].indicators[0], "zone", "Z1101", "2023", Viewer.everyone())
    assert len(sources) == 1


def test_the_accounts_command_prints_the_zones_accounts_as_csv(reader, engine: Engine,  # type: ignore[no-untyped-def]
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import csv
    import io

    from typer.testing import CliRunner

    from hizone.cli import app

    monkeypatch.setenv("HIZONE_DATABASE_URL", engine.url.render_as_string(hide_password=False))  # published ones
    result = CliRunner().invoke(app, ["carbon", "accounts", "--year", "2023", "--key", "Z1101", "--key", "Z5101",
                                      "--format", "csv", "--analytics", str(reader.analytics.path)])
    assert result.exit_code == 0, result.output
    z1101, z5101 = csv.DictReader(io.StringIO(result.stdout))
    assert float(z1101["tce_equivalent"]) == pytest.approx(303.736)
    assert float(z1101["co2_intensity"]) == pytest.approx(953.86 / 51)
    assert z1101["warning"] == "red" and z1101["base_year"] == "2022"
    assert z5101["withheld"] == "no data" and z5101["tce_equivalent"] == ""
    wrong = CliRunner().invoke(app, ["carbon", "accounts", "--year", "2023", "--level", "city",
                                     "--analytics", str(reader.analytics.path)])
    assert wrong.exit_code == 2 and "unknown level 'city'" in wrong.stderr


def test_the_industrial_intensity_takes_only_the_energy_of_the_enterprises_reporting_industrial_value_added(
        reader, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    from tests.analytics.fixture import annual

    # E1 (Z1101) reports 200 千元 = 20 万元 of industrial value added in 2023; E2 in the same zone reports none.
    write_report(engine, form_code="enterprise_annual", form_version=2019, entity_key=CODES["E1"],
                 zone_code="Z1101", period="2023", revision=2, state="approved",
                 values=annual(1200, 72, 120, 80, 8, 360, 33, 120) | {"industrial_value_added": 200})
    path = Path(reader.analytics.path)
    build(engine, path)
    fresh = open_reader(path)
    zone, z4201 = group_accounts(fresh, default_library(), "zone", ["Z1101", "Z4201"], 2023, Viewer.everyone())
    assert isinstance(zone, GroupAccount) and isinstance(z4201, GroupAccount)
    # E1's energy only: 122.9 + 60.715 + 14.571 = 198.186 tce over 20 万元 (E2's 105.55 tce left out).
    assert zone.industrial_tce_equivalent == pytest.approx(198.186)
    assert zone.industrial_energy_intensity == pytest.approx(198.186 / 20)
    assert zone.energy_intensity == pytest.approx(303.736 / 51)  # all reporters' energy over all value added
    assert z4201.industrial_tce_equivalent == 0 and z4201.industrial_energy_intensity is None
    [nation] = group_accounts(fresh, default_library(), "nation", [NATION_KEY], 2023, Viewer.everyone())
    assert isinstance(nation, GroupAccount) and nation.industrial_energy_intensity == pytest.approx(198.186 / 20)
