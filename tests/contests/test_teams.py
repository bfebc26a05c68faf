"""Teams as entrants (tiny contest of test_store: a 团队组 for teams of 2–5 members; the real editions admit no
team): the group and the reasons, a team linked later to the enterprise it registered and followed as it,
the CLI's team columns and the editions list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from hizone.auth.policy import Principal
from hizone.auth.users import add_user
from hizone.cli import app
from hizone.contests import service
from hizone.contests.model import Team, check_team_eligibility, load_contest
from hizone.store import session_scope
from hizone.store.models import AuditLog, Enterprise, Qualification
from hizone.web.security import CSRF_HEADER
from tests.contests.test_store import ADMIN, EDITION, C, contest, figures  # noqa: F401  (the fixture)
from tests.reports import report as annual
from tests.web.conftest import csrf_of, login, make_app

LATER = "91110000A00000005F"  # the enterprise team T1 registers in 2024, in Z2
OTHER = "91110000A00000006J"  # another firm of 2024, in Z1, entered in no edition
ZONE2 = Principal("zone2", "zone", province_code="11", zone_code="Z2")


def team(code: str, members: int | None, name: str = "量子团队") -> service.EntryForm:
    return service.EntryForm(code, team_name=name, team_leader="张三", team_members=members,
                             institution="北京大学", field="量子信息")


def test_a_team_enters_the_group_whose_rules_admit_teams(contest: Engine) -> None:  # noqa: F811
    taken = service.enter(contest, ADMIN, EDITION, [team("T1", 3), team("T2", 1, "小团队"), team("T3", 6),
                                                    team("T4", None)])
    verdicts = {e.code: (e.group, e.eligible, e.reasons) for e in taken}
    assert verdicts == {"T1": ("team", True, ()),
                        "T2": (None, False, ("团队组：团队成员 1 人，少于下限 2 人",)),
                        "T3": (None, False, ("团队组：团队成员 6 人，超过上限 5 人",)),
                        "T4": (None, False, ("缺少团队成员人数",))}
    shown = {e.code: e for e in service.entries(contest, ADMIN, EDITION)}
    assert (shown["T1"].team_leader, shown["T1"].team_members, shown["T1"].institution) == ("张三", 3, "北京大学")
    assert shown["T1"].credit_code is None and shown["T1"].zone_code is None
    # Enterprises never land in the team-only group: the registry's dates decide theirs, as before.
    assert {shown[c].group for c in ("E1", "E2", "E3")} == {"startup", "growth"}
    with pytest.raises(service.ContestError, match="a team has at least one member, not 0"):
        service.enter(contest, ADMIN, EDITION, [team("T9", 0)])


def test_the_published_editions_admit_no_team() -> None:
    verdict = check_team_eligibility(load_contest("cicc-2023"), Team("某团队", "李四", 3, "清华大学"))
    assert verdict == service.Eligibility(False, None, ("本届大赛不接受团队报名（组别：初创组、成长组，均须为企业）",))
    assert not check_team_eligibility(load_contest("disruptive-2021"), Team("某团队", None, 3, None)).eligible


def test_a_team_linked_to_its_enterprise_is_followed_as_it(contest: Engine) -> None:  # noqa: F811
    service.enter(contest, ADMIN, EDITION, [team("T1", 3)])
    assert service.entries(contest, ZONE2, EDITION)[-1].code == "E4"  # no zone yet: not Z2's
    with session_scope(contest) as session:
        firm = Enterprise(credit_code=LATER, name="量子科技有限公司", zone_code="Z2", founded=dt.date(2024, 4, 1))
        session.add_all([firm, Enterprise(credit_code=OTHER, name="另一企业", zone_code="Z1",
                                          founded=dt.date(2024, 5, 1))])
        session.flush()
        session.add(Qualification(enterprise_id=firm.id, kind="high_tech", valid_from=dt.date(2025, 11, 1),
                                  valid_to=None, detail="GR2025"))
    linked = service.link_team(contest, ADMIN, EDITION, "T1", LATER)
    assert (linked.credit_code, linked.zone_code, linked.team_name, linked.group) == (LATER, "Z2", "量子团队", "team")
    assert service.link_team(contest, ADMIN, EDITION, "T1", LATER) == linked  # again: nothing changes
    with pytest.raises(service.ContestError, match=f"already linked to {LATER}"):
        service.link_team(contest, ADMIN, EDITION, "T1", OTHER)
    with pytest.raises(service.ContestError, match="E1 is an enterprise's, not a team's"):
        service.link_team(contest, ADMIN, EDITION, "E1", LATER)
    service.enter(contest, ADMIN, EDITION, [team("T5", 2)])
    # GB 32100: the check character of 91110000X00000009 is 'K' (Σ value·weight mod 31), not 'X'.
    with pytest.raises(service.ContestError, match="91110000X00000009X' fails the GB 32100 check: last character "
                                                   "should be 'K'"):
        service.link_team(contest, ADMIN, EDITION, "T5", "91110000X00000009X")
    with pytest.raises(service.ContestError, match="has 5 characters, expected 18"):
        service.link_team(contest, ADMIN, EDITION, "T5", "91110")
    with pytest.raises(service.ContestError, match="no enterprise with credit code 91110000X00000009K in the"):
        service.link_team(contest, ADMIN, EDITION, "T5", " 91110000x00000009k")  # case and spaces: the same code
    # A firm enters an edition once: C is entry E3's, LATER is team T1's by now.
    with pytest.raises(service.ContestError, match=f"enterprise {C} is already an entrant of tiny-1 \\(entry E3\\)"):
        service.link_team(contest, ADMIN, EDITION, "T5", C)
    with pytest.raises(service.ContestError, match="already an entrant of tiny-1 \\(team 量子团队's entry T1\\)"):
        service.link_team(contest, ADMIN, EDITION, "T5", LATER)
    with pytest.raises(service.AccessDenied):
        service.link_team(contest, ZONE2, EDITION, "T5", OTHER)
    with session_scope(contest) as session:
        logged = [(a.object_id, a.detail["after"]) for a in session.scalars(
            select(AuditLog).where(AuditLog.action == service.LINK_ACTION))]
    assert logged == [("tiny-1:T1", {"credit_code": LATER, "zone_code": "Z2"})]
    # Now the firm's zone sees it, and the follow-up follows the firm: not a 高企 at the end of 2023 (it did
    # not exist: no report is needed to know that), one at the end of 2025 (its report's flag) → became high_tech.
    assert "T1" in [e.code for e in service.entries(contest, ZONE2, EDITION)]
    with session_scope(contest) as session:  # its first annual report, of 2025 (registered in 2024)
        session.add(annual(form_code="enterprise_annual", form_version=2022, entity_key=LATER, zone_code="Z2",
                           period="2025", revision=1, state="approved", created_by="t", values={"revenue": 500}))
    made = {o.entry: o for o in service.track(contest, figures(contest), ADMIN, EDITION, 2025).outcomes}
    assert made["T1"].credit_code == LATER and made["T1"].became == ("high_tech",)
    assert made["E1"].became == ()
    # A team keeps the verdict it entered with when pushed on (the firm's registration date decides nothing).
    assert service.move(contest, ADMIN, EDITION, "T1", "national").stage == "national"


def test_the_admin_page_and_the_api_link_a_team(contest: Engine) -> None:  # noqa: F811
    service.enter(contest, ADMIN, EDITION, [team("T1", 3), team("T2", 4, "光子团队")])
    with session_scope(contest) as session:
        session.add(Enterprise(credit_code=LATER, name="量子科技有限公司", zone_code="Z2", founded=dt.date(2024, 4, 1)))
        session.add(Enterprise(credit_code=OTHER, name="光子科技有限公司", zone_code="Z1", founded=dt.date(2024, 5, 1)))
    add_user(contest, "boss1", "boss-password-1", "admin")
    client = login(TestClient(make_app(contest)), "boss1", "boss-password-1")
    token = csrf_of(client)
    admin_page = client.get(f"/contests/{EDITION}").text
    assert 'id="contest-link-form"' in admin_page and '<option value="T1">T1 · 量子团队</option>' in admin_page
    assert 'value="E1"' not in admin_page.split('id="contest-link-form"')[1].split("</form>")[0]  # teams only
    # The page's form: a wrong check character refused with the reason, nothing linked; then the right code.
    refused = client.post(f"/contests/{EDITION}/link", data={"entry": "T1", "credit_code": LATER[:-1] + "E",
                                                              "csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 400
    assert "fails the GB 32100 check: last character should be &#39;F&#39;" in refused.text
    linked = client.post(f"/contests/{EDITION}/link", data={"entry": "T1", "credit_code": LATER, "csrf_token": token},
                         follow_redirects=False)
    assert (linked.status_code, linked.headers["location"]) == (303, f"/contests/{EDITION}/entries/T1")
    entry_page = client.get(f"/contests/{EDITION}/entries/T1").text
    assert f'<td id="entry-linked">{LATER}</td>' in entry_page and 'id="contest-link-form"' not in entry_page
    assert 'id="contest-link-form"' in client.get(f"/contests/{EDITION}/entries/T2").text  # not linked yet
    # The API: the same checks, each a 400 naming the field; a zone's user may not link.
    api = f"/api/v1/contests/{EDITION}/entries"
    headers = {CSRF_HEADER: token}
    answer = client.post(f"{api}/T2/link", json={"credit_code": LATER}, headers=headers)
    assert answer.status_code == 400 and "already an entrant of tiny-1 (team 量子团队's entry T1)" in answer.text
    answer = client.post(f"{api}/T1/link", json={"credit_code": OTHER}, headers=headers)
    assert answer.status_code == 400 and f"already linked to {LATER}" in answer.text
    assert client.post(f"{api}/T9/link", json={"credit_code": OTHER}, headers=headers).status_code == 404
    answer = client.post(f"{api}/T2/link", json={"credit_code": OTHER}, headers=headers)
    assert answer.status_code == 200
    assert (answer.json()["credit_code"], answer.json()["zone_code"], answer.json()["team_name"]) == (OTHER, "Z1",
                                                                                                    "光子团队")
    zone = login(TestClient(make_app(contest)), "zone2", "zone2-password-1")
    assert zone.post(f"{api}/T2/link", json={"credit_code": OTHER},
                     headers={CSRF_HEADER: csrf_of(zone)}).status_code == 403
    with session_scope(contest) as session:
        logged = [(a.actor, a.object_id, a.detail["after"]["credit_code"]) for a in session.scalars(
            select(AuditLog).where(AuditLog.action == service.LINK_ACTION).order_by(AuditLog.id))]
    assert logged == [("boss1", "tiny-1:T1", LATER), ("boss1", "tiny-1:T2", OTHER)]


def test_the_cli_takes_team_columns_and_links(contest: Engine, tmp_path: Path,  # noqa: F811
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIZONE_DATABASE_URL", contest.url.render_as_string(hide_password=False))
    given = tmp_path / "teams.csv"
    given.write_text("code,team_name,team_leader,team_members,institution,field\n"
                     "T1,量子团队,张三,3,北京大学,量子信息\nT2,大团队,王五,x,清华大学,\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["contests", "enter", "--edition", EDITION, "--file", str(given)])
    assert result.exit_code == 2 and "row 3, column team_members: 'x' is not a whole number of people" in result.output
    given.write_text("code,team_name,team_leader,team_members,institution,field\nT1,量子团队,张三,3,北京大学,量子信息\n",
                     encoding="utf-8")
    result = CliRunner().invoke(app, ["contests", "enter", "--edition", EDITION, "--file", str(given)])
    assert result.exit_code == 0 and "T1 量子团队 [team] eligible" in result.output
    result = CliRunner().invoke(app, ["contests", "link", "--edition", EDITION, "--entry", "T1", "--credit-code", C])
    assert result.exit_code == 2 and f"enterprise {C} is already an entrant of tiny-1 (entry E3)" in result.output
    with session_scope(contest) as session:
        session.add(Enterprise(credit_code=LATER, name="量子科技有限公司", zone_code="Z2", founded=dt.date(2024, 4, 1)))
    result = CliRunner().invoke(app, ["contests", "link", "--edition", EDITION, "--entry", "T1", "--credit-code",
                                      LATER])
    assert result.exit_code == 0 and f"T1 量子团队 → {LATER} (zone Z2)" in result.output
    pdf = Path(__file__).parent / "data" / "business-plan-chromium.pdf"
    bad = tmp_path / "plan.docx"
    bad.write_bytes(pdf.read_bytes())
    result = CliRunner().invoke(app, ["contests", "attach", "--edition", EDITION, "--entry", "T1", "--file",
                                      str(pdf), "--file", str(bad)])
    assert result.exit_code == 2
    assert "business-plan-chromium.pdf: application/pdf, 37,076 bytes" in result.output
    assert "plan.docx: the content is a PDF document, not a Word document (.docx) as .docx says" in result.output
    assert [d.filename for d in service.documents(contest, ADMIN, EDITION, "T1")] == ["business-plan-chromium.pdf"]


def test_the_editions_list_counts_the_entries_in_scope(contest: Engine) -> None:  # noqa: F811
    service.move(contest, ADMIN, EDITION, "E1", "national")
    add_user(contest, "boss1", "boss-password-1", "admin")
    client = login(TestClient(make_app(contest)), "boss1", "boss-password-1")
    page = client.get("/contests").text
    # All four: E2, E3, E4 at 报名, E1 at 全国赛 (so the edition is at 全国赛); 3 eligible (E4 over the cap).
    assert 'data-stage="signup">报名 3</span>' in page and 'data-stage="national">全国赛 1</span>' in page
    assert '<td>2023</td><td>全国赛</td>' in page and '<td>4</td><td>3</td><td>0</td>' in page
    assert 'href="/contests/tiny-1"' in page
    zone = login(TestClient(make_app(contest)), "zone2", "zone2-password-1").get("/contests").text
    assert 'data-stage="signup">报名 2</span>' in zone and 'data-stage="national">全国赛 0</span>' in zone
    assert '<td>2</td><td>1</td><td>0</td>' in zone  # E3 eligible, E4 not
    entry = client.get(f"/contests/{EDITION}/entries/E4").text
    assert "2022年营业收入 300,000,000 元超过上限 200,000,000 元" in entry
    assert login(TestClient(make_app(contest)), "zone2", "zone2-password-1").get(
        f"/contests/{EDITION}/entries/E1").status_code == 403
