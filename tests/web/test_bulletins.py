"""The bulletin pages and API over the seeded store: facts beside the reported figures for the caller's scope,
the review (national roles only, audited), search, exports; figures worked out by hand from tests/web/seed.py.

Seeded 2023 revenue (千元): Z1101 = 120,000 + 60,000 = 180,000 (1.8亿元); Z4401 = 180,000 + 11,000 + 7,000 =
198,000 (1.98亿元). The bulletin says 1.9亿元 and 2.1亿元: relative differences 0.1/1.8 = 5.56 % and
0.12/1.98 = 6.06 %, both above the 5 % tolerance of compare.yaml.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.auth.policy import Principal
from hizone.store import session_scope
from hizone.store.bulletins import load_bulletin
from hizone.store.changes import AuditFilter, audit_entries
from hizone.web.security import CSRF_HEADER
from tests.bulletins.factories import bulletin, fact_at
from tests.web.conftest import csrf_of
from tests.web.test_access_matrix import _body_text

TEXT = ("火炬动态 2024年第3期\n中关村\n2023年，中关村科技园区企业营业收入1.9亿元。\n（供稿：中关村）\n"
        "广州高新区\n2023年，广州高新区企业营业收\n入2.1亿元。\n（供稿：广州高新区）\n")
OTHER_REPORTED = ("198000000", "198,000,000", "1.98e+08")  # Z4401's reported revenue in 元, as any surface writes it


@pytest.fixture
def loaded(engine: Engine) -> dict[str, int]:
    b = bulletin(TEXT, file="2024-03.txt", issue="2024年第3期", issue_date=dt.date(2024, 3, 15))
    facts = [fact_at(b, "2023年，中关村科技园区企业营业收入1.9亿元。", "Z1101", "revenue", 1.9e8, "元", "2023",
                     subject_name="中关村"),
             fact_at(b, "2023年，广州高新区企业营业收\n入2.1亿元。", "Z4401", "revenue", 2.1e8, "元", "2023",
                     subject_name="广州高新区")]
    with session_scope(engine) as s:
        loaded = load_bulletin(s, b, facts, Principal("loader", "analyst"))
    return {"bulletin": loaded.bulletin_id}


def _facts(client: TestClient) -> dict[str, dict[str, object]]:
    response = client.get("/api/v1/bulletins/facts")
    assert response.status_code == 200, response.text
    return {f["subject"]: f for f in response.json()}


def test_reported_figures_beside_facts_follow_the_viewers_scope(clients: dict[str, TestClient],
                                                                loaded: dict[str, int]) -> None:
    national = _facts(clients["analyst"])
    own, other = national["Z1101"]["comparison"], national["Z4401"]["comparison"]
    assert own["reported"] == pytest.approx(1.8e8) and own["relative"] == pytest.approx(0.1 / 1.8)
    assert other["reported"] == pytest.approx(1.98e8) and other["relative"] == pytest.approx(0.12 / 1.98)
    assert own["flagged"] and other["flagged"] and own["indicator"] == "revenue_total"
    for role in ("zone", "province"):
        scoped = _facts(clients[role])
        # The facts are published material: every logged-in role sees both, with their quotes …
        assert scoped["Z4401"]["quote"] == "2023年，广州高新区企业营业收\n入2.1亿元。"
        # … but the reported figure only for its own zone.
        assert scoped["Z1101"]["comparison"]["reported"] == pytest.approx(1.8e8)
        assert scoped["Z4401"]["comparison"] is None
    assert clients["public"].get("/api/v1/bulletins/facts").status_code == 401
    assert _facts(clients["enterprise"])["Z1101"]["comparison"] is None


def test_no_surface_shows_another_zones_reported_figure(clients: dict[str, TestClient],
                                                        loaded: dict[str, int]) -> None:
    urls = ["/api/v1/bulletins/facts", f"/api/v1/bulletins/{loaded['bulletin']}", f"/bulletins/{loaded['bulletin']}",
            "/bulletins/facts/export.csv", "/bulletins/facts/export.xlsx", "/bulletins/facts/export.csv?zone=Z4401",
            "/zones/Z1101/bulletins", "/bulletins?q=营业收入"]
    problems, seen = [], set()
    for role in ("admin", "analyst", "province", "zone", "enterprise"):
        for url in urls:
            response = clients[role].get(url)
            if url.startswith("/zones/") and role == "enterprise":
                assert response.status_code == 403
                continue
            assert response.status_code == 200, f"{role} {url}: {response.status_code}"
            found = [token for token in OTHER_REPORTED if token in _body_text(response)]
            if role in ("admin", "analyst"):
                seen.update(found)
            elif found:
                problems.append(f"{role} {url} shows {found}")
    assert problems == []
    assert seen, "the test would not see a leak"


def test_review_through_the_api_is_national_and_audited(clients: dict[str, TestClient], engine: Engine,
                                                        loaded: dict[str, int]) -> None:
    fact_id = _facts(clients["analyst"])["Z1101"]["id"]
    url = f"/api/v1/bulletins/facts/{fact_id}/review"
    for role in ("zone", "province", "enterprise"):
        client = clients[role]
        response = client.post(url, json={"action": "reject"}, headers={CSRF_HEADER: csrf_of(client, "/bulletins")})
        assert response.status_code == 403
    analyst = clients["analyst"]
    token = csrf_of(analyst, "/bulletins/review")
    assert analyst.post(url, json={"action": "correct"}, headers={CSRF_HEADER: token}).status_code == 400
    assert analyst.post("/api/v1/bulletins/facts/999/review", json={"action": "confirm"},
                        headers={CSRF_HEADER: token}).status_code == 404
    done = analyst.post(url, json={"action": "correct", "value": 1.8e8, "note": "按年报更正"},
                        headers={CSRF_HEADER: token})
    assert done.status_code == 200, done.text
    body = done.json()
    # Corrected to the reported figure: no difference left, nothing flagged.
    assert (body["status"], body["corrected_value"], body["value"]) == ("corrected", 1.8e8, 1.9e8)
    assert body["comparison"]["relative"] == 0 and not body["comparison"]["flagged"]
    with session_scope(engine) as s:
        (entry,) = audit_entries(s.connection(), AuditFilter(object_kind="bulletin_fact"))
    assert (entry.actor, entry.action, entry.object_id, entry.detail["note"]) == (
        "analyst1", "bulletin_correct", str(fact_id), "按年报更正")


def test_pages_search_highlight_and_review_queue(clients: dict[str, TestClient], loaded: dict[str, int]) -> None:
    analyst = clients["analyst"]
    listed = analyst.get("/bulletins?q=营业收入")
    # Found across the line break of "营业收\n入": two hits, each marked in its snippet.
    assert "2 处" in listed.text or "2处" in listed.text
    assert listed.text.count("<mark>营业收入</mark>") == 1 and "<mark>营业收 入</mark>" in listed.text
    page = analyst.get(f"/bulletins/{loaded['bulletin']}")
    assert 'class="quote status-extracted"' in page.text and "1.9亿元" in page.text
    queue = analyst.get("/bulletins/review")
    ids = [f["id"] for f in _facts(analyst).values()]
    assert all(f'id="confirm-{i}"' in queue.text for i in ids)
    assert queue.text.count('class="status-extracted flagged"') == 2
    assert clients["zone"].get("/bulletins/review").status_code == 403
    token = csrf_of(analyst, "/bulletins/review")
    done = analyst.post(f"/bulletins/facts/{ids[0]}/review", data={"action": "confirm", "csrf_token": token},
                        follow_redirects=False)
    assert done.status_code == 303
    bad = analyst.post(f"/bulletins/facts/{ids[1]}/review", data={"action": "correct", "value": "多", "csrf_token":
                                                                  token}, follow_redirects=False)
    assert bad.status_code == 400 and "not a number" in bad.text
    statuses = {f["id"]: f["status"] for f in _facts(analyst).values()}
    assert statuses == {ids[0]: "confirmed", ids[1]: "extracted"}
    profile = clients["zone"].get("/zones/Z1101/bulletins")
    assert "中关村科技园区企业营业收入1.9亿元" in profile.text and "180,000,000" in profile.text
    assert clients["zone"].get("/zones/Z4401/bulletins").status_code == 403
    assert analyst.get("/api/v1/bulletins/999").status_code == 404
    assert analyst.get("/bulletins/999").status_code == 404
