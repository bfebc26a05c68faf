"""Loading an edition, taking entries and naming judges from the pages and the API (SQLite and PostgreSQL), on
the tiny contest of test_store: the same service functions as `hizone contests load|enter|judge`, the same
refusals, each a 4xx naming the field (the line of a bad YAML), every change audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from hizone.auth.users import add_user
from hizone.contests import service
from hizone.store import session_scope
from hizone.store.models import AuditLog, Enterprise
from hizone.web.security import CSRF_HEADER
from tests.contests.test_store import ADMIN, DATA, EDITION, A, contest  # noqa: F401  (the fixture)
from tests.web.conftest import csrf_of, login, make_app

NEW = "91110000A00000007N"  # a firm of Z1 registered in 2010, entered in no edition yet (成长组 by its date)
TINY = (DATA / "tiny-2023.yaml").read_text(encoding="utf-8")
RUBRIC = (DATA / "rubric-tiny.yaml").read_text(encoding="utf-8")


@pytest.fixture
def clients(contest: Engine) -> Iterator[dict[str, TestClient]]:  # noqa: F811
    with session_scope(contest) as session:
        session.add(Enterprise(credit_code=NEW, name="新企业", zone_code="Z1", founded=dt.date(2010, 3, 1)))
    add_user(contest, "boss1", "boss-password-1", "admin")
    add_user(contest, "jud4", "judge-password-1", "judge")
    app = make_app(contest)
    made = {"boss1": login(TestClient(app), "boss1", "boss-password-1"),
            "zone2": login(TestClient(app), "zone2", "zone2-password-1"),
            "jud1": login(TestClient(app), "jud1", "judge-password-1")}
    yield made
    for client in made.values():
        client.close()


def _api(client: TestClient, path: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    response = client.post(f"/api/v1/contests{path}", json=body,
                           headers={CSRF_HEADER: csrf_of(client), "Accept": "application/json"})
    return response.status_code, response.json()


def _message(answer: dict[str, object]) -> str:
    error = answer["error"]
    assert isinstance(error, dict)
    return f"{error.get('where')}: {error['message']}"


def _audited(engine: Engine, action: str) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        return [(a.actor, a.object_id) for a in session.scalars(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]


def test_the_api_loads_an_edition_from_the_catalog_or_given_yaml(contest: Engine,  # noqa: F811
                                                                 clients: dict[str, TestClient]) -> None:
    boss = clients["boss1"]
    catalog = {"contest": "cicc-2023", "rubric": "rubric-enterprise-2023"}
    code, answer = _api(boss, "", catalog)
    assert (code, answer["key"], answer["status"]) == (201, "cicc-12", "loaded")
    assert _api(boss, "", catalog) == (200, {**answer, "status": "unchanged"})  # again: nothing changes
    # Given texts: the tiny contest as a second edition.
    code, answer = _api(boss, "", {"contest_yaml": TINY.replace("edition: 1", "edition: 2"), "rubric_yaml": RUBRIC})
    assert (code, answer["key"], answer["status"]) == (201, "tiny-2", "loaded")
    assert sorted(e.key for e in service.editions(contest)) == ["cicc-12", "tiny-1", "tiny-2"]
    # The same edition from other texts: refused, the stored scores were judged by the first.
    code, answer = _api(boss, "", {"contest_yaml": TINY + "\n# changed\n", "rubric_yaml": RUBRIC})
    assert code == 400 and "edition tiny-1 is already loaded from other texts" in _message(answer)
    # Bad YAML: the line; a field that does not read: the field, and the stage by position.
    code, answer = _api(boss, "", {"contest_yaml": "code: x\nedition: 3\nyear: [2023\n",
                                   "rubric": "rubric-enterprise-2023"})
    assert code == 400 and _message(answer).startswith("contest.yaml:4: invalid YAML")
    code, answer = _api(boss, "", {"contest_yaml": TINY.replace("edition: 1", "edition: first"), "rubric_yaml": RUBRIC})
    assert (code, _message(answer)) == (400, "contest.yaml: 'edition' must be a whole number, not 'first'")
    code, answer = _api(boss, "", {"contest_yaml": TINY.replace("{code: national, ", "{"), "rubric_yaml": RUBRIC})
    assert (code, _message(answer)) == (400, "contest.yaml: stages[2]: 'code' is required (a name), got None")
    code, answer = _api(boss, "", {"contest": "cicc-2023", "rubric_yaml": RUBRIC.replace("weight: 1", "weight: x")})
    assert code == 400 and "rubric.yaml: dimensions[1]: 'weight' must be a number" in _message(answer)
    # Names the catalog does not hold (nor one reaching out of it), or none at all.
    assert _api(boss, "", {"contest": "cicc-1999", "rubric": "rubric-enterprise-2023"})[0] == 404
    assert _api(boss, "", {"contest": "../contests/cicc-2023", "rubric": "rubric-enterprise-2023"})[0] == 404
    code, answer = _api(boss, "", {"rubric": "rubric-enterprise-2023"})
    assert (code, _message(answer)) == (400, "contest: give the contest: a YAML file, or a name in the catalog")
    assert _api(clients["zone2"], "", catalog)[0] == 403 and _api(clients["jud1"], "", catalog)[0] == 403
    assert _audited(contest, service.LOAD_ACTION) == [("boss", "tiny-1"), ("boss1", "cicc-12"), ("boss1", "tiny-2")]


def test_the_api_takes_entries_and_refuses_with_the_reason(contest: Engine,  # noqa: F811
                                                           clients: dict[str, TestClient]) -> None:
    boss = clients["boss1"]
    # Over the 2亿 cap: taken, ineligible, with the reason (it will not go on).
    code, answer = _api(boss, f"/{EDITION}/entries", {"code": "E5", "credit_code": NEW, "revenue": 3e8,
                                                      "field": "人工智能"})
    assert code == 201
    assert (answer["name"], answer["zone_code"], answer["group"], answer["eligible"], answer["reasons"]) == (
        "新企业", "Z1", "growth", False, ["2022年营业收入 300,000,000 元超过上限 200,000,000 元"])
    code, answer = _api(boss, f"/{EDITION}/entries", {"code": "T1", "team_name": "量子团队", "team_leader": "张三",
                                                      "team_members": 3, "institution": "北京大学"})
    assert (code, answer["group"], answer["eligible"], answer["team_members"]) == (201, "team", True, 3)
    refusals = [({"code": "E1", "credit_code": NEW}, "code: entry E1 is already in tiny-1"),
                ({"code": "E6", "credit_code": A}, f"credit_code: enterprise {A} is already an entrant of tiny-1 "
                                                   "(entry E1): a firm enters an edition once"),
                ({"code": "E7", "credit_code": "91110000A00000099X"},
                 "credit_code: no enterprise with credit code 91110000A00000099X in the registry"),
                ({"code": "E8", "credit_code": NEW, "team_name": "两者"},
                 "credit_code: an entry is an enterprise (credit code) or a team (team name), exactly one"),
                ({"code": " ", "credit_code": NEW}, "code: an entry needs its code (参赛编号)")]
    for body, said in refusals:
        code, answer = _api(boss, f"/{EDITION}/entries", body)
        assert (code, _message(answer)) == (400, said)
    assert _api(boss, "/tiny-9/entries", {"code": "E9", "credit_code": NEW})[0] == 404
    assert _api(boss, f"/{EDITION}/entries", {"code": "E9", "credit_code": NEW, "revenue": -1})[0] == 422
    for other in ("zone2", "jud1"):
        assert _api(clients[other], f"/{EDITION}/entries", {"code": "E9", "credit_code": NEW})[0] == 403
    assert [e.code for e in service.entries(contest, ADMIN, EDITION)] == ["E1", "E2", "E3", "E4", "E5", "T1"]
    assert _audited(contest, service.ENTRY_ACTION)[-2:] == [("boss1", "tiny-1:E5"), ("boss1", "tiny-1:T1")]
    with session_scope(contest) as session:
        detail = session.scalars(select(AuditLog.detail).where(AuditLog.object_id == "tiny-1:E5")).one()
    assert detail["after"]["eligible"] is False and "超过上限" in detail["after"]["reasons"][0]


def test_the_api_names_judges_and_the_assignment_respects_their_ties(contest: Engine,  # noqa: F811
                                                                     clients: dict[str, TestClient]) -> None:
    boss = clients["boss1"]
    code, answer = _api(boss, f"/{EDITION}/judges", {"username": "jud4", "zone": "Z1", "ties": ["E3"]})
    assert (code, answer) == (200, {"username": "jud4", "organisation": None, "zone": "Z1", "ties": ["E3"]})
    code, answer = _api(boss, f"/{EDITION}/judges", {"username": "jud4", "ties": ["E3", "E4", " "]})
    assert (code, answer["zone"], answer["ties"]) == (200, "Z1", ["E3", "E4"])  # again: ties added, zone kept
    for body, said in (({"username": "nobody"}, "judge: no user nobody (add one with the judge role: hizone users "
                                                "add --role judge)"),
                       ({"username": "zone2"}, "judge: zone2 is a user with the zone role, not the judge role"),
                       ({"username": "jud4", "zone": "ZX"}, "zone: no zone ZX in the registry"),
                       ({"username": "jud4", "ties": ["x" * 65]}, "ties: at most 64 characters, not 65")):
        code, answer = _api(boss, f"/{EDITION}/judges", body)
        assert (code, _message(answer)) == (400, said)
    assert _api(clients["zone2"], f"/{EDITION}/judges", {"username": "jud4"})[0] == 403
    # Z1's entries (E1, E2: its own zone) and E3 (a declared tie) are never jud4's; E4 is ineligible: unassigned.
    plan = service.assign(contest, ADMIN, EDITION, "signup")
    assert set(plan) == {"E1", "E2", "E3"} and not any("jud4" in judges for judges in plan.values())
    assert [(j.username, j.zone_code, j.ties) for j in service.judges(contest, ADMIN, EDITION)][-1] == (
        "jud4", "Z1", ("E3", "E4"))
    assert _audited(contest, service.JUDGE_ACTION)[-2:] == [("boss1", "tiny-1:jud4"), ("boss1", "tiny-1:jud4")]


def test_the_pages_load_enter_and_name_judges(contest: Engine, clients: dict[str, TestClient]) -> None:  # noqa: F811
    boss = clients["boss1"]
    token = csrf_of(boss)
    listing = boss.get("/contests").text
    assert 'id="contest-load-form"' in listing and '<option value="cicc-2023">' in listing
    assert '<option value="rubric-enterprise-2023">' in listing and '<option value="documents">' not in listing
    assert 'id="contest-load-form"' not in clients["zone2"].get("/contests").text
    # An uploaded contest with a catalog rubric... then both uploaded; a bad upload names its file and line.
    loaded = boss.post("/contests", data={"csrf_token": token, "rubric": "rubric-enterprise-2023"},
                       files={"contest_file": ("tiny-3.yaml", TINY.replace("edition: 1", "edition: 3").encode())},
                       follow_redirects=False)
    assert (loaded.status_code, loaded.headers["location"]) == (303, "/contests/tiny-3")
    loaded = boss.post("/contests", data={"csrf_token": token, "contest": "cicc-2023",
                                          "rubric": "rubric-enterprise-2023"}, follow_redirects=False)
    assert (loaded.status_code, loaded.headers["location"]) == (303, "/contests/cicc-12")
    bad = boss.post("/contests", data={"csrf_token": token},
                    files={"contest_file": ("mine.yaml", b"code: x\nstages: [\n"),
                           "rubric_file": ("r.yaml", RUBRIC.encode())}, follow_redirects=False)
    assert bad.status_code == 400 and "mine.yaml:3" in bad.text and "invalid YAML" in bad.text
    empty = boss.post("/contests", data={"csrf_token": token}, files={"contest_file": ("", b"")},
                      follow_redirects=False)
    assert empty.status_code == 400 and "give the contest" in empty.text
    assert boss.post("/contests", data={"contest": "cicc-2023", "rubric": "rubric-enterprise-2023"},
                     follow_redirects=False).status_code == 403  # no CSRF token
    assert {e.key for e in service.editions(contest)} == {"tiny-1", "tiny-3", "cicc-12"}
    # Entries: the ineligible one is taken and its page says why; a cell that does not read is named.
    admin = boss.get(f"/contests/{EDITION}").text
    assert 'id="contest-enter-form"' in admin and 'id="contest-judge-form"' in admin
    taken = boss.post(f"/contests/{EDITION}/entries", data={"csrf_token": token, "code": "E5", "credit_code": NEW,
                                                            "revenue": "300,000,000"}, follow_redirects=False)
    assert (taken.status_code, taken.headers["location"]) == (303, f"/contests/{EDITION}/entries/E5")
    page = boss.get(f"/contests/{EDITION}/entries/E5").text
    assert '<td id="entry-eligible">否</td>' in page
    assert '<td id="entry-reasons">2022年营业收入 300,000,000 元超过上限 200,000,000 元</td>' in page
    for data, said in (({"code": "E6", "credit_code": NEW, "revenue": "lots"}, "revenue: &#39;lots&#39; is not a "
                                                                                 "number (yuan)"),
                       ({"code": "E6", "team_name": "团队", "team_members": "three"},
                        "team_members: &#39;three&#39; is not a whole number of people"),
                       ({"code": "E6", "credit_code": "91110000A00000099X"}, "no enterprise with credit code "
                                                                            "91110000A00000099X in the registry"),
                       ({"code": "E5", "credit_code": A}, "entry E5 is already in tiny-1")):
        refused = boss.post(f"/contests/{EDITION}/entries", data={"csrf_token": token, **data},
                            follow_redirects=False)
        assert refused.status_code == 400 and said in refused.text, (data, refused.text[-800:])
    # Judges: named with ties from one text box, listed on the admin page.
    named = boss.post(f"/contests/{EDITION}/judges", data={"csrf_token": token, "username": "jud4",
                                                           "organisation": A, "ties": "E3，E4 E5"},
                      follow_redirects=False)
    assert (named.status_code, named.headers["location"]) == (303, f"/contests/{EDITION}#contest-judges")
    row = boss.get(f"/contests/{EDITION}").text.split('<tr data-judge="jud4">')[1].split("</tr>")[0]
    assert row == f"<td>jud4</td><td>{A}</td><td>—</td><td>E3、E4、E5</td>"
    refused = boss.post(f"/contests/{EDITION}/judges", data={"csrf_token": token, "username": "nobody"},
                        follow_redirects=False)
    assert refused.status_code == 400 and "no user nobody" in refused.text
    zone = clients["zone2"]
    assert zone.post(f"/contests/{EDITION}/judges", data={"csrf_token": csrf_of(zone), "username": "jud4"},
                     follow_redirects=False).status_code == 403
    assert _audited(contest, service.ENTRY_ACTION)[-1] == ("boss1", "tiny-1:E5")
    assert ("boss1", "tiny-3") in _audited(contest, service.LOAD_ACTION)


def test_the_cli_does_the_same_as_the_forms(contest: Engine, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """`hizone contests load|judge`: the same service functions, the same refusals, audited as the CLI's user."""
    from typer.testing import CliRunner

    from hizone.cli import app

    monkeypatch.setenv("HIZONE_DATABASE_URL", contest.url.render_as_string(hide_password=False))
    add_user(contest, "jud4", "judge-password-1", "judge")

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["contests", *args, "--user", "ops"])
        return result.exit_code, result.output

    assert run("load", "--contest", "disruptive-2021") == (0, "disruptive-2021: loaded as disruptive-1 "
                                                              f"(edition id {len(service.editions(contest))})\n")
    code, out = run("load", "--contest", "../cicc-2023")
    assert code != 0 and "no contest definition '../cicc-2023' in contests" in out
    assert run("judge", "--edition", EDITION, "--username", "jud4", "--zone", "Z2", "--tie", "E1") == (
        0, "jud4: judge of tiny-1 (organisation -, zone Z2, ties E1)\n")
    code, out = run("judge", "--edition", EDITION, "--username", "zone2")
    assert code != 0 and "zone2 is a user with the zone role, not the judge role" in out
    assert _audited(contest, service.LOAD_ACTION)[-1] == ("ops", "disruptive-1")
    assert _audited(contest, service.JUDGE_ACTION)[-1] == ("ops", "tiny-1:jud4")
