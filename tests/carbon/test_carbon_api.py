"""/api/v1/carbon/accounts against `hizone carbon accounts` and hand-computed values, and scope: a zone user asking
for another zone's account gets a 403 and no figure of it."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from hizone.auth.users import add_user, create_token
from hizone.config import analytics_path
from tests.analytics.fixture import CODES
from tests.carbon.test_accounts import seed_energy
from tests.web.conftest import make_app

USERS = {"nat": ("analyst", {}), "z1101": ("zone", {"zone": "Z1101"}), "z4201": ("zone", {"zone": "Z4201"}),
         "p11": ("province", {"province": "11"}), "p42": ("province", {"province": "42"})}


@pytest.fixture
def carbon_app(engine: Engine) -> FastAPI:
    seed_energy(engine)
    for username, (role, scope) in USERS.items():
        add_user(engine, username, "a-long-test-password", role, **scope)  # type: ignore[arg-type]
    made = make_app(engine)
    made.state.figures.get()  # builds the analytics file the CLI reads too
    return made


def client(app: FastAPI, engine: Engine, username: str | None) -> TestClient:
    made = TestClient(app)
    if username:
        made.headers["Authorization"] = f"Bearer {create_token(engine, username, 'carbon')}"
    return made


def cli_accounts(app: FastAPI, *args: str) -> list[dict[str, str]]:
    from hizone.cli import app as cli

    store = app.state.engine.url.render_as_string(hide_password=False)  # the command reads published accounts there
    result = CliRunner().invoke(cli, ["carbon", "accounts", "--format", "csv",
                                      "--analytics", str(analytics_path(app.state.settings)), *args],
                                env={"HIZONE_DATABASE_URL": store})
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_a_zones_account_is_the_commands_with_hand_computed_emitters(carbon_app: FastAPI, engine: Engine) -> None:
    answer = client(carbon_app, engine, "z1101").get("/api/v1/carbon/accounts?year=2023&level=zone&key=Z1101")
    assert answer.status_code == 200, answer.text
    [account] = answer.json()["accounts"]
    [expected] = cli_accounts(carbon_app, "--year", "2023", "--key", "Z1101")
    for name in ("tce_equivalent", "co2_scope1", "co2_scope2_location", "co2_scope2_market", "co2_total_location",
                 "value_added", "energy_intensity", "co2_intensity", "carbon_productivity", "co2_per_tce",
                 "co2_intensity_yoy", "co2_path"):
        assert account[name] == pytest.approx(float(expected[name])), name
    assert account["warning"]["level"] == expected["warning"] == "red"
    assert account["base_year"] == int(expected["base_year"]) == 2022
    # E1: 139.06 + 530.6 tCO2 over 36 万元; E2: 174.2 + 110 over 9 万元 (tests/carbon/test_accounts.py)
    assert [(e["credit_code"], e["co2_total_location"], e["co2_intensity"]) for e in account["largest_emitters"]] \
        == [(CODES["E1"], pytest.approx(669.66), pytest.approx(669.66 / 36)),
            (CODES["E2"], pytest.approx(284.2), pytest.approx(284.2 / 9))]
    # Grades against the zone's division 39 (953.86 tCO2 / 45 万元): K 0.878 is grade 3, K 1.490 grade 4.
    assert [(e["division"], e["k"], e["grade"]) for e in account["largest_emitters"]] == [
        ("39", pytest.approx(669.66 / 36 / (953.86 / 45)), 3), ("39", pytest.approx(284.2 / 9 / (953.86 / 45)), 4)]
    assert account["published"] is None and account["changed_since"] is None  # nothing published: live figures
    assert [t["year"] for t in account["trend"]] == [2022, 2023]
    assert account["trend"][1]["co2_intensity"] == pytest.approx(953.86 / 51)
    ledger = {e["item"]: e["value"] for e in account["ledger"]}
    assert ledger["certified_green_electricity"] == pytest.approx(200_000)
    assert ledger["emissions_location"] == pytest.approx(953.86)
    assert all(e["sources"] for e in account["ledger"])  # each entry names the indicators to drill down


def test_the_nations_account_is_everyones_under_disclosure_control(carbon_app: FastAPI, engine: Engine) -> None:
    [expected] = cli_accounts(carbon_app, "--year", "2023", "--level", "nation")
    for user in (None, "z1101", "nat"):
        answer = client(carbon_app, engine, user).get("/api/v1/carbon/accounts")
        assert answer.status_code == 200
        body = answer.json()
        assert (body["year"], body["level"]) == (2023, "nation")
        [account] = body["accounts"]
        assert account["largest_emitters"] is None
        if user == "nat":
            assert account["tce_equivalent"] == pytest.approx(float(expected["tce_equivalent"]))
            assert account["tce_equivalent"] == pytest.approx(303.736 + 61.45)
        else:  # two reporting zones, three reporters: the nation's sums would give the zones' away
            assert account["withheld"] and account["tce_equivalent"] is None
            assert "365.18" not in answer.text


def test_every_zone_in_scope_and_no_figure_outside_it(carbon_app: FastAPI, engine: Engine) -> None:
    national = client(carbon_app, engine, "nat").get("/api/v1/carbon/accounts?year=2023&level=zone").json()
    assert {a["key"] for a in national["accounts"]} == {"Z1101", "Z4201", "Z5101", "Z4401"}
    z4201 = next(a for a in national["accounts"] if a["key"] == "Z4201")
    assert z4201["tce_equivalent"] == pytest.approx(61.45)  # 500,000 kWh × 0.1229 kgce
    own = client(carbon_app, engine, "z1101").get("/api/v1/carbon/accounts?year=2023&level=zone").json()
    assert [a["key"] for a in own["accounts"]] == ["Z1101"]
    for user, url in [("z1101", "level=zone&key=Z4201"), ("z1101", "level=province&key=42"),
                      ("z1101", "level=province&key=11"), ("p11", "level=zone&key=Z4201"),
                      ("p42", "level=province&key=11"), (None, "level=zone&key=Z1101"), (None, "level=zone")]:
        refused = client(carbon_app, engine, user).get(f"/api/v1/carbon/accounts?year=2023&{url}")
        assert refused.status_code == 403, (user, url, refused.text)
        assert "61.45" not in refused.text and "tce" not in refused.text
    province = client(carbon_app, engine, "p42").get("/api/v1/carbon/accounts?year=2023&level=zone&key=Z4201")
    assert province.json()["accounts"][0]["largest_emitters"][0]["credit_code"] == CODES["E4"]


def test_bad_requests_are_named(carbon_app: FastAPI, engine: Engine) -> None:
    nat = client(carbon_app, engine, "nat")
    unknown = nat.get("/api/v1/carbon/accounts?level=zone&key=Z9999")
    assert unknown.status_code == 404 and unknown.json()["error"]["message"] == "no zone 'Z9999'"
    year = nat.get("/api/v1/carbon/accounts?year=2019")
    assert year.status_code == 404 and "no carbon accounts for 2019" in year.json()["error"]["message"]
    assert nat.get("/api/v1/carbon/accounts?level=city").status_code == 422
