"""/api/v1/ladder through the web app: an enterprise's self-check prefilled from its own reports, corrected by
the caller; a zone's ladder; each only for those who may read the enterprise or zone."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.seed import Seeded, credit_code


def test_an_enterprise_checks_itself_from_its_reports(clients: dict[str, TestClient], seeded: Seeded) -> None:
    # Its approved 2023 and 2022 reports (千元): revenue 120,000 and 100,000, R&D 6,000 and 5,000, 110 staff,
    # assets 240,000. The user adds 2021 (sales 6000万, R&D 0) and 5 科技人员.
    url = f"/api/v1/ladder/self-check/{seeded.own_enterprise}?year=2023&sales_y1=60000000&rd_y1=0&st_staff=5"
    response = clients["enterprise"].get(url)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["inputs"]["staff"] == "110" and body["inputs"]["sales_y3"] == "120000000"
    assert set(body["prefilled_from_reports"]) == {"staff", "sales_y2", "sales_y3", "rd_y2", "rd_y3", "total_assets"}
    assert body["tech_sme"]["eligible"] is False  # assets 2.4亿 > 2亿
    hte = body["hightech"]
    # R&D (0 + 500万 + 600万) / sales (6000万 + 1亿 + 1.2亿) = 1100/28000 = 3.93% < 4% (latest 1.2亿)
    assert hte["rd_ratio"] == 1100 / 28000 and hte["rd_threshold"] == 0.04
    assert set(hte["failed"]) == {"st_staff", "rd_ratio"}
    more = {s["criterion"]: s["more"] for s in body["shortfalls"]}
    # 4% of 2.8亿 = 1120万: 20万 more R&D; (5 + x) / (110 + x) ≥ 10% ⇒ x ≥ 6 / 0.9 = 6.7: 7 people
    assert more == {"rd_ratio": 200_000, "st_staff": 7}


def test_bad_corrections_are_refused_naming_the_column(clients: dict[str, TestClient], seeded: Seeded) -> None:
    url = f"/api/v1/ladder/self-check/{seeded.own_enterprise}?year=2023&st_staff=500"
    response = clients["enterprise"].get(url)
    assert response.status_code == 400
    assert "column st_staff" in response.text and "a share above 100%" in response.text


def test_nobody_checks_an_enterprise_outside_their_scope(clients: dict[str, TestClient], seeded: Seeded) -> None:
    other = f"/api/v1/ladder/self-check/{seeded.other_enterprise}?year=2023"
    for role in ("enterprise", "zone", "province"):
        assert clients[role].get(other).status_code in (403, 404), role
    assert clients["public"].get(other).status_code == 401
    assert clients["zone"].get(f"/api/v1/ladder/self-check/{seeded.own_enterprise}?year=2023").status_code == 200
    assert clients["analyst"].get(other).status_code == 200


def test_a_zones_ladder(clients: dict[str, TestClient], seeded: Seeded) -> None:
    response = clients["zone"].get(f"/api/v1/ladder/zones/{seeded.own_zone}?year=2023")
    assert response.status_code == 200, response.text
    body = response.json()
    tops = {e["credit_code"]: e["top_stage"] for e in body["enterprises"]}
    # enterprise 1: 高企 to 2023-12-31; enterprise 2: 高企 and 瞪羚 (from 2023-01-01)
    assert tops == {credit_code(1): "high_tech", credit_code(2): "gazelle"}
    counts = {s["stage"]: s["reached"] for s in body["stages"]}
    assert (counts["high_tech"], counts["gazelle"], counts["tech_sme"]) == (2, 1, 0)
    assert body["moves"]["joined"] == [] and body["moves"]["left"] == []
    assert clients["zone"].get(f"/api/v1/ladder/zones/{seeded.other_zone}?year=2023").status_code == 403
