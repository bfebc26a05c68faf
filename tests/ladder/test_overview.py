"""The ladder at province and national level: counts, moves and the per-zone / per-province tables by hand (both
stores, tests/ladder/ladder_store.py), and each role's scope through the web app (tests/web/seed.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.analytics.read import Reader, ScopeError, Viewer
from hizone.ladder.service import ladder, ladder_scope
from tests.ladder.ladder_store import CODES, ladder_reader
from tests.web.seed import Seeded


@pytest.fixture
def reader(engine: Engine, tmp_path: Path) -> Reader:
    return ladder_reader(engine, tmp_path)


def reached(counts: list) -> dict[str, int]:  # type: ignore[type-arg]
    return {c.stage: c.reached for c in counts if c.reached}


def test_the_nation_by_province_by_hand(reader: Reader) -> None:
    everyone = Viewer.everyone()
    scope = ladder_scope(reader, everyone, None)
    assert (scope.level, scope.group_by, scope.zone_codes) == ("nation", "province", ("Z1101", "Z1102", "Z4201"))
    found = ladder(reader, scope.zone_codes, 2023, everyone, scope.group_by)
    # 2023 reporters A B C D E: A on the 科技型中小企业 list, C on the 高企 list; no rung reached by data alone
    assert len(found.stages) == 5 and reached(found.counts) == {"tech_sme": 1, "high_tech": 1}
    names = {code: name for name, code in CODES.items()}
    # A up (nothing → 科技型中小企业), B and C the same, E's 高企 ended 2022-12-31, D new, F did not report
    assert {kind: [names[c] for c in codes] for kind, codes in found.moves.items()} == {
        "up": ["A"], "same": ["B", "C"], "down": ["E"], "joined": ["D"], "left": ["F"]}
    by_province = {g.key: (g.enterprises, reached(g.counts), g.moves) for g in found.groups}
    assert by_province == {
        "11": (4, {"tech_sme": 1, "high_tech": 1}, {"up": 1, "same": 2, "down": 0, "joined": 1, "left": 0}),
        "42": (1, {}, {"up": 0, "same": 0, "down": 1, "joined": 0, "left": 1})}


def test_a_province_by_zone_and_a_zone_users_part(reader: Reader) -> None:
    province = ladder_scope(reader, Viewer(frozenset({"Z1101", "Z1102"}), None), None)
    assert (province.level, province.key, province.zone_codes) == ("province", "11", ("Z1101", "Z1102"))
    found = ladder(reader, province.zone_codes, 2023, Viewer(frozenset({"Z1101", "Z1102"}), None))
    assert {g.key: (g.enterprises, reached(g.counts)) for g in found.groups} == {
        "Z1101": (3, {"tech_sme": 1, "high_tech": 1}), "Z1102": (1, {})}
    zone_user = Viewer(frozenset({"Z1101"}), None)
    part = ladder_scope(reader, zone_user, "11")
    assert (part.level, part.zone_codes) == ("zones", ("Z1101",))
    with pytest.raises(ScopeError):
        ladder_scope(reader, zone_user, "42")
    with pytest.raises(ScopeError):
        ladder(reader, ("Z1101", "Z1102"), 2023, zone_user)


def test_the_first_year_of_the_rules_has_no_moves(reader: Reader) -> None:
    found = ladder(reader, ("Z1101",), 2019, Viewer.everyone())  # the report mapping starts in 2019
    assert found.stages == [] and all(codes == [] for codes in found.moves.values())


# ---------------------------------------------------------------- through the web app


def _overview(client: TestClient, query: str = "") -> dict:  # type: ignore[type-arg]
    response = client.get(f"/api/v1/ladder/overview?year=2023{query}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_each_role_sees_its_scope(clients: dict[str, TestClient], seeded: Seeded) -> None:
    # seeded 2023: Z1101 enterprises 1 (高企) and 2 (高企 and 瞪羚), Z1102 enterprise 3, Z4401 enterprises 4–6
    nation = _overview(clients["analyst"])
    assert (nation["level"], nation["enterprises"]) == ("nation", 6)
    assert {g["province_code"]: g["enterprises"] for g in nation["groups"]} == {"11": 3, "44": 3}
    stages = {s["stage"]: s["reached"] for s in nation["stages"]}
    assert (stages["high_tech"], stages["gazelle"]) == (2, 1)
    # enterprise 2 moved up from 高企 to 瞪羚; enterprise 6 reported first in 2023
    assert nation["moves"] == {"up": 1, "same": 4, "down": 0, "joined": 1, "left": 0}
    province = _overview(clients["province"])
    assert (province["level"], province["province_code"], province["zones"]) == ("province", "11", ["Z1101", "Z1102"])
    assert {g["zone_code"]: g["enterprises"] for g in province["groups"]} == {"Z1101": 2, "Z1102": 1}
    zone = _overview(clients["zone"])
    assert (zone["level"], zone["zones"], zone["enterprises"]) == ("zones", [seeded.own_zone], 2)
    assert _overview(clients["analyst"], "&province=44")["zones"] == [seeded.other_zone]
    for role in ("province", "zone"):
        assert clients[role].get("/api/v1/ladder/overview?year=2023&province=44").status_code == 403, role
        assert clients[role].get("/ladder?year=2023&province=44").status_code == 403, role
    assert clients["enterprise"].get("/api/v1/ladder/overview").status_code == 403
    assert clients["public"].get("/ladder").status_code == 401
    assert clients["analyst"].get("/api/v1/ladder/overview?province=99").status_code == 400


def test_the_overview_page_draws_the_funnel_and_links_down(clients: dict[str, TestClient], seeded: Seeded) -> None:
    page = clients["analyst"].get("/ladder?year=2023")
    assert page.status_code == 200, page.text
    payload = re.search(r"data-chart=\"funnel\" data-payload='([^']*)'", page.text)
    assert payload is not None
    stages = {s["name"]: s["value"] for s in json.loads(payload.group(1).replace("&#34;", '"'))["stages"]}
    assert (stages["高新技术企业"], stages["瞪羚企业"]) == (2, 1)
    assert 'href="/ladder?province=44&amp;year=2023"' in page.text
    province = clients["province"].get("/ladder?year=2023")
    assert f'href="/ladder/zones/{seeded.own_zone}?year=2023"' in province.text
    assert f"/ladder/zones/{seeded.other_zone}" not in province.text


def test_the_nav_links_the_ladder_pages_by_role(clients: dict[str, TestClient], seeded: Seeded) -> None:
    zone = clients["zone"].get("/").text
    for link in (f'href="/ladder/zones/{seeded.own_zone}" id="nav-ladder-zone"',
                 f'href="/ladder/zones/{seeded.own_zone}#ladder-reserve" id="nav-ladder-reserve"',
                 f'href="/ladder/zones/{seeded.own_zone}/screening" id="nav-ladder-screening"',
                 f'href="/ladder/points/{seeded.own_zone}" id="nav-ladder-points"'):
        assert link in zone
    assert 'id="nav-ladder-overview"' not in zone
    for role in ("admin", "analyst", "province"):
        page = clients[role].get("/").text
        assert 'href="/ladder" id="nav-ladder-overview"' in page and 'id="nav-ladder-zone"' not in page, role
    enterprise = clients["enterprise"].get("/").text
    assert f'href="/ladder/self-check/{seeded.own_enterprise}" id="nav-ladder-selfcheck"' in enterprise
    assert "nav-ladder-overview" not in enterprise and "nav-ladder-points" not in enterprise
    assert "nav-ladder" not in clients["public"].get("/").text
    # every linked page answers its role
    for role, url in (("zone", f"/ladder/zones/{seeded.own_zone}/screening"),
                      ("zone", f"/ladder/points/{seeded.own_zone}"), ("province", "/ladder"),
                      ("enterprise", f"/ladder/self-check/{seeded.own_enterprise}")):
        assert clients[role].get(url).status_code == 200, (role, url)
