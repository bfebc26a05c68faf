"""/api/v1/contests on the tiny contest (test_store's data): what each role gets, and the refusals' messages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.auth.users import add_user
from hizone.contests import service
from hizone.web.security import CSRF_HEADER
from tests.contests.test_store import ADMIN, EDITION, contest  # noqa: F401  (the fixture)
from tests.web.conftest import csrf_of, login, make_app

PASSWORDS = {"jud1": "judge-password-1", "zone2": "zone2-password-1", "boss1": "boss-password-1"}


@pytest.fixture
def clients(contest: Engine) -> Iterator[dict[str, TestClient]]:  # noqa: F811
    add_user(contest, "boss1", PASSWORDS["boss1"], "admin")
    app = make_app(contest)
    made = {name: login(TestClient(app), name, password) for name, password in PASSWORDS.items()}
    made["public"] = TestClient(app)
    yield made
    for client in made.values():
        client.close()


def put(client: TestClient, entry: str, marks: dict[str, float]) -> tuple[int, dict[str, object]]:
    response = client.put(f"/api/v1/contests/{EDITION}/entries/{entry}/score", json={"marks": marks},
                          headers={CSRF_HEADER: csrf_of(client), "Accept": "application/json"})
    return response.status_code, response.json()


def test_roles_see_their_own_and_judges_score_only_theirs(clients: dict[str, TestClient]) -> None:
    boss, judge, zone = clients["boss1"], clients["jud1"], clients["zone2"]
    editions = clients["public"].get("/api/v1/contests").json()
    assert [(e["key"], [s["code"] for s in e["stages"]], e["max_score"]) for e in editions] == [
        ("tiny-1", ["signup", "national"], 10.0)]
    assert clients["public"].get(f"/api/v1/contests/{EDITION}/entries").status_code == 401
    response = boss.post(f"/api/v1/contests/{EDITION}/advance", json={"stage": "signup"},
                         headers={CSRF_HEADER: csrf_of(boss), "Accept": "application/json"})
    assert response.status_code == 400 and "no scores at stage signup" in response.json()["error"]["message"]
    service.assign(boss.app.state.engine, ADMIN, EDITION, "signup")  # type: ignore[attr-defined]
    assert [e["code"] for e in judge.get(f"/api/v1/contests/{EDITION}/entries").json()] == ["E2", "E3"]
    assert [e["code"] for e in zone.get(f"/api/v1/contests/{EDITION}/entries").json()] == ["E3", "E4"]
    assert [e["judges"] for e in zone.get(f"/api/v1/contests/{EDITION}/entries").json()] == [[], []]
    assert put(judge, "E2", {"a": 9, "b": 9})[0] == 200
    status, body = put(judge, "E1", {"a": 9, "b": 9})
    assert (status, body["error"]["message"]) == (403, "entry E1 is not assigned to jud1 at its current stage")
    status, body = put(judge, "E2", {"a": 9, "b": 10.5})
    assert status == 400 and body["error"]["message"] == "row 1, b: 10.5 is outside 0–10"
    assert put(zone, "E3", {"a": 1, "b": 1})[0] == 403
    assert judge.get(f"/api/v1/contests/{EDITION}/scores?stage=signup").json() == [
        {"judge": "jud1", "entry": "E2", "marks": {"a": 9.0, "b": 9.0}}]
    assert zone.get(f"/api/v1/contests/{EDITION}/scores?stage=signup").status_code == 403
    assert judge.get(f"/api/v1/contests/{EDITION}/results?stage=signup").status_code == 403
    assert boss.get("/api/v1/contests/nope-1/entries", headers={"Accept": "application/json"}).status_code == 404


def test_the_scoring_page_shows_and_takes_only_the_judges_entries(clients: dict[str, TestClient]) -> None:
    judge, boss = clients["jud1"], clients["boss1"]
    service.assign(boss.app.state.engine, ADMIN, EDITION, "signup")  # type: ignore[attr-defined]
    page = judge.get(f"/contests/{EDITION}/score").text
    assert 'id="score-E2"' in page and 'id="score-E3"' in page and 'id="score-E1"' not in page
    form = {"csrf_token": csrf_of(judge, f"/contests/{EDITION}/score"), "entry": "E2", "mark_a": "9", "mark_b": "11"}
    refused = judge.post(f"/contests/{EDITION}/score", data=form, follow_redirects=False)
    assert refused.status_code == 400 and "b: 11 is outside 0–10" in refused.text
    other = judge.post(f"/contests/{EDITION}/score", data={**form, "entry": "E1", "mark_b": "9"},
                       follow_redirects=False)
    assert other.status_code == 403 and "entry E1 is not assigned to jud1" in other.text
    saved = judge.post(f"/contests/{EDITION}/score", data={**form, "mark_b": "8"}, follow_redirects=False)
    assert saved.status_code == 303
    assert 'value="8.0"' in judge.get(f"/contests/{EDITION}/score?done=E2").text
    admin_page = boss.get(f"/contests/{EDITION}").text
    assert "jud1, jud2" in admin_page and 'id="contest-no-ranking"' in admin_page   # E1, E3 not yet scored
    zone_page = clients["zone2"].get(f"/contests/{EDITION}").text
    assert "E3" in zone_page and "E1" not in zone_page and "jud1" not in zone_page
