"""The REST API: pagination, filtering, scope, token authentication, consistent error bodies, schema."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.auth.users import create_token, revoke_sessions
from hizone.web.openapi import render
from tests.conftest import REPO
from tests.intake.factory import credit_code
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded


def test_zones_are_paginated_and_filtered(clients: dict[str, TestClient]) -> None:
    api = clients["public"]
    first = api.get("/api/v1/zones?page=1&page_size=2").json()
    second = api.get("/api/v1/zones?page=2&page_size=2").json()
    assert first["total"] == 3 and [z["code"] for z in first["items"]] == ["Z1101", "Z1102"]
    assert [z["code"] for z in second["items"]] == ["Z4401"]
    guangdong = api.get("/api/v1/zones?province=44").json()
    assert [z["code"] for z in guangdong["items"]] == ["Z4401"]


def test_national_and_province_indicators_are_public(clients: dict[str, TestClient]) -> None:
    body = clients["public"].get("/api/v1/indicators?year=2023").json()
    values = {i["code"]: i for i in body["indicators"]}
    assert body["synthetic"] is True and body["entity"] == "national"
    assert values["revenue"]["value"] == 4.11 and values["zones"]["value"] == 3
    # Beijing has two zones: below the threshold of three, withheld from the public, not from its department.
    beijing = clients["public"].get("/api/v1/indicators?year=2023&province=11").json()
    enterprises = {i["code"]: i for i in beijing["indicators"]}["enterprises"]
    assert enterprises["value"] is None and enterprises["suppressed"] and enterprises["reason"] == "min_zones"
    own = clients["province"].get("/api/v1/indicators?year=2023&province=11").json()
    found = {i["code"]: i for i in own["indicators"]}["enterprises"]
    assert (found["value"], found["suppressed"]) == (3, False)


def test_lists_are_limited_to_the_callers_scope(clients: dict[str, TestClient], seeded: Seeded) -> None:
    def codes(role: str, url: str) -> set[str]:
        return {item.get("credit_code") or item["entity_key"] for item in clients[role].get(url).json()["items"]}

    assert len(codes("analyst", "/api/v1/enterprises")) == 6
    assert codes("enterprise", "/api/v1/enterprises") == {seeded.own_enterprise}
    assert seeded.other_enterprise not in codes("province", "/api/v1/enterprises")
    assert codes("enterprise", "/api/v1/submissions") == {seeded.own_enterprise}
    zone_subs = clients["zone"].get("/api/v1/submissions?form=enterprise_annual&period=2023").json()
    assert zone_subs["total"] == 3  # enterprise 1 (two revisions) and enterprise 2, all in Z1101
    assert clients["public"].get("/api/v1/enterprises").status_code == 401


def test_token_authentication_for_machine_clients(app: FastAPI, engine: Engine, seeded: Seeded) -> None:
    token = create_token(engine, "zone1", "sync")
    with TestClient(app) as bot:
        ok = bot.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()["zone_code"] == seeded.own_zone
        other = bot.get(f"/api/v1/zones/{seeded.other_zone}/indicators",
                        headers={"Authorization": f"Bearer {token}"})
        assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"
        revoke_sessions(engine, "zone1")
        gone = bot.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401 and "revoked" in gone.json()["error"]["message"]
        bad = bot.get("/api/v1/me", headers={"Authorization": "Basic abc"})
        assert bad.status_code == 401


def test_errors_have_one_shape(clients: dict[str, TestClient]) -> None:
    api = clients["analyst"]
    cases = {"/api/v1/zones/NOPE": 404, "/api/v1/zones?page=0": 422, "/api/v1/zones?page_size=9999": 422,
             "/api/v1/indicators?year=1999": 404, "/api/v1/submissions/abc": 404,
             "/api/v1/submissions/%C2%B2": 404,  # '²' is a digit to str.isdigit, not to int()
             "/api/v1/enterprises?qualification=unicorns": 422, "/api/v1/nothing-here": 404}
    for url, status in cases.items():
        response = api.get(url)
        assert response.status_code == status, url
        error = response.json()["error"]
        assert error["status"] == status and error["message"] and "Traceback" not in response.text, url
    assert "page" in api.get("/api/v1/zones?page=0").json()["error"]["where"]


def test_published_schema_matches_the_app() -> None:
    published = (REPO / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert json.loads(published) == json.loads(render()), \
        "docs/openapi.json is stale: run python -m hizone.web.openapi docs/openapi.json"


def test_evaluation_results_are_published(clients: dict[str, TestClient]) -> None:
    runs = clients["public"].get("/api/v1/evaluation/runs").json()
    assert [r["year"] for r in runs] == [2023]
    body = clients["public"].get("/api/v1/evaluation/results?year=2023&province=11").json()
    assert [(r["zone_code"], r["rank"]) for r in body["items"]] == [("Z1101", 2), ("Z1102", 3)]
    assert body["items"][0]["dimensions"]["D1"] == {"rank": 1, "score": 90.0}
    missing = clients["public"].get("/api/v1/evaluation/results?year=2020")
    assert missing.status_code == 400 and "years evaluated: 2023" in missing.json()["error"]["message"]


def test_alerts_api_is_scoped_and_changes_are_audited(clients: dict[str, TestClient], seeded: Seeded) -> None:
    mine = clients["zone"].get("/api/v1/alerts").json()
    assert [a["key"] for a in mine["items"]] == [seeded.own_zone]
    assert len(clients["analyst"].get("/api/v1/alerts").json()["items"]) == 2
    assert clients["enterprise"].get("/api/v1/alerts").status_code == 403
    alert_id = mine["items"][0]["id"]
    csrf = csrf_of(clients["zone"])
    changed = clients["zone"].post(f"/api/v1/alerts/{alert_id}", json={"state": "acknowledged", "note": "ok"},
                                   headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200 and changed.json()["state"] == "acknowledged"
    no_csrf = clients["zone"].post(f"/api/v1/alerts/{alert_id}", json={"state": "resolved"})
    assert no_csrf.status_code == 403 and no_csrf.json()["error"]["code"] == "forbidden"


def test_upload_through_the_api_with_a_token(app: FastAPI, engine: Engine, seeded: Seeded) -> None:
    token = create_token(engine, "zone1", "uploader")
    header = {"Authorization": f"Bearer {token}"}
    good = ("统一社会信用代码,企业名称,高新区代码,营业收入,利润总额,净利润,资产总计,年末从业人员\n"
            f"{seeded.own_enterprise},测试企业1,Z1101,130000,13000,10000,260000,115\n").encode()
    with TestClient(app) as bot:
        stored = bot.post("/api/v1/submissions", headers=header, data={"form": "enterprise_annual", "period": "2024"},
                          files={"file": ("r.csv", good, "text/csv")})
        assert stored.status_code == 201 and stored.json()["created"] == 1
        again = bot.post("/api/v1/submissions", headers=header, data={"form": "enterprise_annual", "period": "2024"},
                         files={"file": ("r.csv", good, "text/csv")})
        assert again.status_code == 200 and again.json()["status"] == "unchanged"
        bad = bot.post("/api/v1/submissions", headers=header, data={"form": "enterprise_annual", "period": "2024"},
                       files={"file": ("r.csv", good.replace(b"130000", b"abc"), "text/csv")})
        assert bad.status_code == 422 and bad.json()["issues"][0]["value"] == "abc"
        newest = bot.get("/api/v1/submissions?period=2024", headers=header).json()["items"][0]
        history = bot.get(f"/api/v1/submissions/{newest['id']}/history", headers=header).json()
        assert history[0]["previous"] is None and {"element": "revenue", "old": None, "new": 130000.0} \
            in history[0]["changes"]
        wrong = bot.post("/api/v1/submissions", headers=header, data={"form": "enterprise_annual"},
                         files={"file": ("r.pdf", b"%PDF", "application/pdf")})
        assert wrong.status_code == 422 and "period" in wrong.json()["error"]["message"]


def test_an_upload_of_an_unknown_enterprise_registers_it_and_says_so(app: FastAPI, engine: Engine,
                                                                      seeded: Seeded) -> None:
    token = create_token(engine, "zone1", "uploader")
    code = credit_code(901)
    new = ("统一社会信用代码,企业名称,高新区代码,行业代码,注册日期,营业收入,利润总额,净利润,资产总计,年末从业人员\n"
           f"{code},新登记企业,{seeded.own_zone},6513,2019-05-06,1000,100,80,5000,12\n").encode()
    with TestClient(app) as bot:
        stored = bot.post("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"},
                          data={"form": "enterprise_annual", "period": "2024"},
                          files={"file": ("new.csv", new, "text/csv")})
    body = stored.json()
    assert stored.status_code == 201, body
    assert body["registered"] == [{"credit_code": code, "name": "新登记企业", "zone_code": seeded.own_zone}]
    assert f"1 enterprise(s) registered: {code} 新登记企业" in body["summary"] and body["updated"] == []
