"""网上填报 through the web: the form generated from the YAML, the field check, submit as a new revision."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.catalog import default_catalog
from hizone.intake.rules import rules_for
from hizone.intake.service import validate_file
from hizone.online.form import layout, row_file
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

URL = "/reporting/online/enterprise_annual/2024"
FIELD = re.compile(r'value="([^"]*)"')
GOOD = {"revenue": "13万", "total_profit": "1.3万", "net_profit": "10,000", "total_assets": "260,000",
        "employees": "115"}


def _post(client: TestClient, path: str, values: dict[str, str]) -> dict[str, object]:
    page = client.get(URL).text
    fields = {name: FIELD.search(page.split(f'name="{name}"')[1]).group(1)  # type: ignore[union-attr]
              for name in ("draft_version", "form_version")}
    response = client.post(URL + path, data={**fields, **values, "csrf_token": csrf_of(client, URL)})
    assert response.status_code in (200, 422), response.text
    return dict(response.json())


def test_the_layout_follows_the_form_yaml() -> None:
    rules = rules_for("enterprise_annual", 2024)
    form = layout(rules)
    spec = default_catalog().forms["enterprise_annual"][-1]
    assert [f.code for f in form.fields] == [f.element.code for f in spec.fields]
    assert {f.code for f in form.fields if f.required} == {"revenue", "total_profit", "net_profit", "total_assets",
                                                          "employees"}
    csv = row_file(rules, "X", {"revenue": "1万", "bogus": "9"}).decode()
    header, row = csv.splitlines()
    assert header.startswith("credit_code,") and "bogus" not in header and row.startswith("X,1万,")


def test_the_enterprise_sees_its_form_with_last_years_values(clients: dict[str, TestClient],
                                                             seeded: Seeded) -> None:
    page = clients["enterprise"].get(URL)
    assert page.status_code == 200
    assert 'data-field="revenue"' in page.text and 'title="必填"' in page.text and "营业收入" in page.text
    assert seeded.own_enterprise in page.text
    # The seeded 2023 report is shown beside the fields.
    assert 'data-last="revenue">' in page.text


def test_the_field_check_runs_the_import_rules(clients: dict[str, TestClient]) -> None:
    client = clients["enterprise"]
    bad = _post(client, "/check", {**GOOD, "revenue": "一百万?"})
    assert bad["errors"] == 1
    issues = bad["issues"]
    assert isinstance(issues, list)
    assert [(i["field"], i["rule"], i["value"]) for i in issues if i["severity"] == "error"] == \
        [("revenue", "not_a_number", "一百万?")]
    missing = _post(client, "/check", {k: v for k, v in GOOD.items() if k != "employees"})
    assert [(i["field"], i["rule"]) for i in missing["issues"]] == [("employees", "required")]  # type: ignore[union-attr]
    good = _post(client, "/check", GOOD)
    assert good["errors"] == 0


def test_submit_goes_into_the_workflow_as_a_new_revision(clients: dict[str, TestClient], seeded: Seeded) -> None:
    client = clients["enterprise"]
    refused = _post(client, "/submit", {**GOOD, "revenue": "abc"})
    assert refused["status"] == "rejected"
    assert clients["zone"].get("/api/v1/submissions?period=2024").json()["total"] == 0  # nothing stored
    stored = _post(client, "/submit", {**GOOD, "confirm_warnings": "true", "warning_reason": "checked"})
    assert stored["status"] == "stored" and stored["created"] == 1
    listed = clients["zone"].get("/api/v1/submissions?period=2024&form=enterprise_annual").json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["entity_key"] == seeded.own_enterprise and item["state"] == "submitted"
    assert item["values"]["revenue"] == 130_000  # 13万 (of the element's unit)


def test_a_zone_files_on_behalf_only_within_its_scope(clients: dict[str, TestClient], seeded: Seeded) -> None:
    zone = clients["zone"]
    assert zone.get(URL).status_code == 400  # whose report: it must say
    assert zone.get(f"{URL}?entity={seeded.other_enterprise}").status_code == 404
    page = zone.get(f"{URL}?entity={seeded.own_enterprise}")
    assert page.status_code == 200 and "代企业填报" in page.text


def test_a_one_row_check_reads_the_store_for_its_entity_alone(engine: Engine, seeded: Seeded) -> None:
    """The same report as with the whole registry and every entity's last year (the outlier warning included)."""
    rules = rules_for("enterprise_annual", 2024)
    data = row_file(rules, seeded.own_enterprise, {**GOOD, "revenue": "1万", "employees": "x"}, seeded.own_zone)
    full = validate_file(engine, data, "enterprise_annual", "2024", "admin", name="one.csv")
    narrow = validate_file(engine, data, "enterprise_annual", "2024", "admin", name="one.csv",
                           entities=[seeded.own_enterprise])
    found = [(i.severity, i.field, i.rule, i.message_en) for i in narrow.issues]
    assert found == [(i.severity, i.field, i.rule, i.message_en) for i in full.issues]
    assert {(s, f, r) for s, f, r, _ in found} == {("warning", "revenue", "outlier"),
                                                   ("error", "employees", "not_a_number")}


def test_the_reporting_page_opens_the_online_form(clients: dict[str, TestClient], seeded: Seeded) -> None:
    page = clients["enterprise"].get("/reporting").text
    assert 'action="/reporting/online"' in page and 'name="entity"' not in page.split('id="online-open"')[1][:900]
    opened = clients["zone"].get(f"/reporting/online?form=enterprise_annual&period=2024&entity={seeded.own_enterprise}",
                                 follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"{URL}?entity={seeded.own_enterprise}"
    assert clients["zone"].get("/reporting/online?form=x&period=20x4").status_code == 422
