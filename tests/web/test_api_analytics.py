"""/api/v1/formula and /api/v1/indicators/{code}/drill-down: values against sums worked out by hand from the
seeded submissions (tests/web/seed.py, 2023 approved revisions; enterprise 1's submitted revision 2 is not
counted), the same withholding as the Reader's catalog indicators, and each role's scope."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hizone.analytics.read import Reader
from hizone.auth import Principal
from tests.web.seed import ANNUAL, Seeded, credit_code

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the store does not matter here

YEAR = "2023"
ROLES = ("public", "enterprise", "zone", "province", "analyst", "admin")
PRINCIPALS = {"public": Principal.public(), "enterprise": Principal("enterprise1", "enterprise",
                                                                    credit_code=credit_code(1)),
              "zone": Principal("zone1", "zone", zone_code="Z1101"),
              "province": Principal("province1", "province", province_code="11"),
              "analyst": Principal("analyst1", "analyst"), "admin": Principal("admin1", "admin")}
# What each role may read as it is: the zones of its scope (every zone for the national roles).
READS = {"public": set(), "enterprise": set(), "zone": {"Z1101"}, "province": {"Z1101", "Z1102"},
         "analyst": {"Z1101", "Z1102", "Z4401"}, "admin": {"Z1101", "Z1102", "Z4401"}}


def _total(element: int, zones: set[str], year: str = YEAR) -> float:
    """Σ of one element (0 revenue, 1 total profit, 2 R&D, 3 employees) over the zones' enterprises."""
    return sum(years[year][element] for (zone, _, _), years in ANNUAL.items() if zone in zones and year in years)


def _formula(client: TestClient, expr: str, level: str = "nation", keys: tuple[str, ...] = (),
             periods: tuple[str, ...] = (YEAR,), form: str = "enterprise_annual") -> dict[str, Any]:
    params: list[tuple[str, str]] = [("expr", expr), ("form", form), ("level", level),
                                     *(("keys", k) for k in keys), *(("period", p) for p in periods)]
    response = client.get("/api/v1/formula", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_formula_gives_the_hand_computed_values(clients: dict[str, TestClient]) -> None:
    analyst = clients["analyst"]
    nation = _formula(analyst, "rd_expenditure / revenue * 100")
    everyone = {"Z1101", "Z1102", "Z4401"}
    assert nation["values"][0]["value"] == pytest.approx(100 * _total(2, everyone) / _total(0, everyone))
    assert nation["values"][0]["value"] == pytest.approx(100 * 17_750 / 411_000)  # the sums, written out
    zones = _formula(analyst, "revenue - total_profit", "zone", ("Z1101", "Z4401"), ("2022", YEAR))
    got = {(v["key"], v["period"]): v["value"] for v in zones["values"]}
    assert got == {("Z1101", "2022"): 150_000 - 15_000, ("Z1101", YEAR): 180_000 - 15_000,
                   ("Z4401", "2022"): 210_000 - 20_500, ("Z4401", YEAR): 198_000 - 15_500}
    province = _formula(analyst, "sum(employees)", "province", ("11",))
    assert province["values"][0]["value"] == _total(3, {"Z1101", "Z1102"}) == 196
    assert province["period_type"] == "annual" and province["level"] == "province"


def test_a_formula_naming_a_catalog_indicator_and_yoy(clients: dict[str, TestClient]) -> None:
    """It may name the catalog's indicators of the same table; a y/y is on the comparable basis (enterprises
    that reported both years: enterprise 6 of Z4401 reported 2023 only)."""
    body = _formula(clients["analyst"], "yoy(revenue) * 100", "zone", ("Z4401",))
    comparable = (180_000 + 11_000) / (200_000 + 10_000) * 100 - 100
    assert body["values"][0]["value"] == pytest.approx(comparable)
    named = _formula(clients["analyst"], "revenue_total / 1000", "zone", ("Z1102",))
    assert named["values"][0]["value"] == pytest.approx(33.0)


@pytest.mark.parametrize("role", ROLES)
def test_formula_values_are_withheld_as_the_readers_indicators_are(app: FastAPI, clients: dict[str, TestClient],
                                                                   role: str) -> None:
    """`revenue` as a formula reads the measure revenue_total reads: each role sees the same figure or the same
    withholding; and a zone outside the role's scope is never shown as it is."""
    reader: Reader = app.state.figures.get()
    viewer = reader.viewer(PRINCIPALS[role])
    asks = [("nation", "CN"), ("province", "11"), ("province", "44"), ("zone", "Z1101"), ("zone", "Z1102"),
            ("zone", "Z4401")]
    for level, key in asks:
        body = _formula(clients[role], "revenue", level, (key,))
        shown = body["values"][0]
        expected = reader.value("revenue_total", level, key, YEAR, viewer)
        assert shown["suppressed"] == (expected.withheld is not None), (level, key)
        assert shown["suppressed_reason"] == expected.withheld and shown["value"] == expected.value, (level, key)
        if level == "zone" and key in READS[role]:
            assert shown["value"] == _total(0, {key})
        if level == "zone" and key not in READS[role]:
            assert shown["value"] is None and shown["suppressed"], (role, key)
    assert _formula(clients["public"], "revenue")["values"][0]["value"] == 411_000  # passes every rule


@pytest.mark.parametrize(("expr", "said"), [
    ("revenue +", "at column 10 (found the end)"),
    ("revenue $ 2", "unexpected character '$' at column 9"),
    ("revenu / 2", "unknown name 'revenu'"),
    ("sum(revenue / employees)", "division inside sum()"),
    ("(revenue", "expected ')'"),
])
def test_a_bad_formula_is_a_422_naming_the_position_or_token(clients: dict[str, TestClient], expr: str,
                                                             said: str) -> None:
    response = clients["analyst"].get("/api/v1/formula", params={"expr": expr, "form": "enterprise_annual",
                                                                 "period": YEAR})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert said in error["message"] and error["message"].startswith("expr: ")


@pytest.mark.parametrize(("params", "status", "said"), [
    ({"expr": "revenue", "form": "no_such_form", "period": YEAR}, 422, "unknown form 'no_such_form'"),
    ({"expr": "revenue", "form": "enterprise_annual", "period": "2023-13"}, 422, "'2023-13' is not a year"),
    ({"expr": "revenue", "form": "enterprise_annual", "period": YEAR, "level": "zone"}, 422, "give the zone"),
    ({"expr": "revenue", "form": "enterprise_annual", "period": YEAR, "level": "zone", "keys": "Z9999"}, 404,
     "no zone 'Z9999'"),
    ({"expr": "revenue", "form": "enterprise_annual", "period": YEAR, "level": "city"}, 422, "level"),
    ({"expr": "", "form": "enterprise_annual", "period": YEAR}, 422, "expr"),
])
def test_bad_parameters_are_one_clear_error(clients: dict[str, TestClient], params: dict[str, str], status: int,
                                            said: str) -> None:
    response = clients["analyst"].get("/api/v1/formula", params=params)
    assert response.status_code == status, response.text
    assert said in response.json()["error"]["message"]


def test_a_monthly_formula_is_cumulative_unless_asked(clients: dict[str, TestClient]) -> None:
    """Z1101's quick reports: revenue 1–2月 2023 20,400 cumulative, of which 10,400 in February alone."""
    cumulative = _formula(clients["analyst"], "revenue", "zone", ("Z1101",), ("2023-02",), "zone_monthly")
    assert cumulative["period_type"] == "cumulative" and cumulative["values"][0]["value"] == 20_400
    response = clients["analyst"].get("/api/v1/formula", params={
        "expr": "revenue", "form": "zone_monthly", "level": "zone", "keys": "Z1101", "period": "2023-02",
        "period_type": "month"})
    assert response.json()["values"][0]["value"] == 20_400 - 10_000


# --- drill-down ------------------------------------------------------------------------------------------


def _drill(client: TestClient, level: str, key: str, code: str = "revenue_total", period: str = YEAR
           ) -> tuple[int, dict[str, Any]]:
    response = client.get(f"/api/v1/indicators/{code}/drill-down", params={"level": level, "key": key,
                                                                            "period": period})
    return response.status_code, response.json()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("level", "key", "zones"), [("zone", "Z1101", {"Z1101"}), ("zone", "Z4401", {"Z4401"}),
                                                     ("province", "11", {"Z1101", "Z1102"}),
                                                     ("nation", "CN", {"Z1101", "Z1102", "Z4401"})])
def test_drill_down_shows_the_submissions_only_within_scope(clients: dict[str, TestClient], role: str, level: str,
                                                            key: str, zones: set[str]) -> None:
    status, body = _drill(clients[role], level, key)
    if role == "public":
        assert status == 401
    elif not zones <= READS[role]:
        assert status == 403 and "outside your scope" in body["error"]["message"]
    else:
        assert status == 200, body
        rows = body["rows"]
        assert {r["zone_code"] for r in rows} == zones
        assert sorted(r["values"]["revenue"] for r in rows) == sorted(
            years[YEAR][0] for (zone, _, _), years in ANNUAL.items() if zone in zones and YEAR in years)
        assert sum(r["values"]["revenue"] for r in rows) == _total(0, zones)
        assert all(r["state"] == "approved" and r["revision"] == 1 and r["role"] == "current" for r in rows)


def test_drill_down_of_a_yoy_lists_both_years(clients: dict[str, TestClient]) -> None:
    status, body = _drill(clients["zone"], "zone", "Z1101", "revenue_yoy")
    assert status == 200
    by_role = {(r["role"], r["period"]): r["values"]["revenue"] for r in body["rows"]
               if r["entity_key"] == credit_code(1)}
    assert by_role == {("current", YEAR): 120_000, ("previous year", "2022"): 100_000}


@pytest.mark.parametrize("role", ["enterprise", "zone", "province", "analyst"])
def test_an_enterprises_rows_only_within_scope(clients: dict[str, TestClient], seeded: Seeded, role: str) -> None:
    own_status, own = _drill(clients[role], "enterprise", seeded.own_enterprise)
    other_status, _ = _drill(clients[role], "enterprise", seeded.other_enterprise)
    if role == "enterprise":  # an enterprise account reads no zone's rows, its own reports are on /submissions
        assert own_status == 403 and other_status == 403
        return
    assert own_status == 200 and [r["values"]["revenue"] for r in own["rows"]] == [120_000]
    assert other_status == (200 if role == "analyst" else 403)


@pytest.mark.parametrize(("path", "status", "said"), [
    ("/api/v1/indicators/no_such/drill-down?level=zone&key=Z1101&period=2023", 404, "no indicator 'no_such'"),
    ("/api/v1/indicators/revenue_total/drill-down?level=zone&key=Z9999&period=2023", 404, "no zone 'Z9999'"),
    ("/api/v1/indicators/revenue_total/drill-down?level=zone&key=Z1101&period=23", 422, "period"),
    ("/api/v1/indicators/revenue_total/drill-down?level=zone&period=2023", 422, "key"),
])
def test_drill_down_bad_parameters(clients: dict[str, TestClient], path: str, status: int, said: str) -> None:
    response = clients["analyst"].get(path)
    assert response.status_code == status, response.text
    assert said in response.json()["error"]["message"]
