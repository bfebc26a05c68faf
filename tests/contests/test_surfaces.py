"""The follow-up's workbook (page and CLI) and pushing an entry on by hand (CLI and API), on the tiny contest of
test_store: E1 (初创组) may go to the national stage; E3 (成长组, no 科技型中小企业 number, no 高企 certificate) and
E4 (2022 revenue over the cap) may not, each refused with its reason."""

from __future__ import annotations

from pathlib import Path

import fastexcel
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from hizone.auth.users import add_user
from hizone.cli import app
from hizone.contests import service
from hizone.store import session_scope
from hizone.store.models import ContestEntry
from hizone.web.security import CSRF_HEADER
from tests.contests.test_store import ADMIN, EDITION, A, contest  # noqa: F401  (the fixture)
from tests.reports import report as annual
from tests.web.conftest import csrf_of, login, make_app


def _financing(engine: Engine) -> None:
    """A reports 2,500 千元 of equity financing in 2024 and 500 in 2025; E2 (B) is the winner."""
    with session_scope(engine) as session:
        for period, financing in (("2023", 100), ("2024", 2_500), ("2025", 500)):
            session.add(annual(form_code="enterprise_annual", form_version=2022, entity_key=A, zone_code="Z1",
                               period=period, revision=1, state="approved", created_by="t",
                               values={"revenue": 1_000 * int(period[2:]), "equity_financing": financing}))
        entry = session.scalar(select(ContestEntry).where(ContestEntry.code == "E2"))
        assert entry is not None
        entry.award = "优秀企业"


def _sheets(data: bytes) -> dict[str, list[list[object]]]:
    reader = fastexcel.read_excel(data)
    return {name: [list(r) for r in zip(*[c.to_pylist() for c in reader.load_sheet(name, header_row=None)
                                            .to_arrow().columns], strict=True)] for name in reader.sheet_names}


def test_the_tracking_workbook_from_the_page_and_the_cli(contest: Engine, tmp_path: Path,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _financing(contest)
    add_user(contest, "boss1", "boss-password-1", "admin")
    client = login(TestClient(make_app(contest)), "boss1", "boss-password-1")
    page = client.get(f"/contests/{EDITION}/tracking?until=2025").text
    assert f'href="/contests/{EDITION}/tracking.xlsx?until=2025"' in page
    answer = client.get(f"/contests/{EDITION}/tracking.xlsx?until=2025")
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    sheets = _sheets(answer.content)
    cells = [str(v) for rows in sheets.values() for row in rows for v in row]
    # E1 (A): 2,500 + 500 千元 after 2023 = 3,000 千元 = 300.0 万元 from the form; the 2023 amount is not counted.
    entrants = next(rows for rows in sheets.values() if any(r[0] == "E1" for r in rows))
    e1 = next(r for r in entrants if r[0] == "E1")
    assert list(sheets) == ["tracking", "entrants"]  # (the cells read back as text: the sheet has headings)
    assert e1[6:8] == ["300", "年报"]
    assert "无" in next(r for r in entrants if r[0] == "E2")  # no report, no graduation: no source
    assert "获奖企业" in cells and "其他参赛企业" in cells
    # The other entrants' cohort: E1, E3, E4 → 300.0 万元 raised, 1 of 3 financed.
    others = next(r for rows in sheets.values() for r in rows if "其他参赛企业" in r)
    assert "300" in others and "0.3333" in others
    judge = login(TestClient(make_app(contest)), "jud1", "judge-password-1")
    assert judge.get(f"/contests/{EDITION}/tracking.xlsx").status_code == 403
    monkeypatch.setenv("HIZONE_DATABASE_URL", contest.url.render_as_string(hide_password=False))
    out = tmp_path / "tracking.xlsx"
    result = CliRunner().invoke(app, ["contests", "track", "--edition", EDITION, "--until", "2025", "--out", str(out),
                                      "--analytics", str(tmp_path / "analytics.duckdb")])
    assert result.exit_code == 0, result.output
    assert "当年获得股权融资额" in result.output and out.read_bytes()[:2] == b"PK"
    assert _sheets(out.read_bytes()) == sheets


def test_an_ineligible_entry_pushed_on_is_refused_with_the_reason(contest: Engine,  # noqa: F811
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIZONE_DATABASE_URL", contest.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(app, ["contests", "move", "--edition", EDITION, "--entry", "E4", "--stage",
                                      "national"])
    assert result.exit_code == 2
    assert "entry E4 may not go to 全国赛: 2022年营业收入 300,000,000 元超过上限 200,000,000 元" in result.output
    result = CliRunner().invoke(app, ["contests", "move", "--edition", EDITION, "--entry", "E1", "--stage",
                                      "national"])
    assert result.exit_code == 0 and "E1 企业3 → national" in result.output
    add_user(contest, "boss1", "boss-password-1", "admin")
    client = login(TestClient(make_app(contest)), "boss1", "boss-password-1")
    headers = {CSRF_HEADER: csrf_of(client)}
    api = f"/api/v1/contests/{EDITION}/entries"
    answer = client.post(f"{api}/E3/move", json={"stage": "national"}, headers=headers)
    assert answer.status_code == 400
    assert "成长组进入全国赛需科技型中小企业入库编号或有效高新技术企业证书" in answer.text
    answer = client.post(f"{api}/E1/move", json={"stage": "signup"}, headers=headers)
    assert answer.status_code == 400 and "E1 is at national: signup is not a later stage" in answer.text
    assert client.post(f"{api}/E2/move", json={"stage": "national"}, headers=headers).json()["stage"] == "national"
    judge = login(TestClient(make_app(contest)), "jud1", "judge-password-1")
    assert judge.post(f"{api}/E3/move", json={"stage": "national"},
                      headers={CSRF_HEADER: csrf_of(judge)}).status_code == 403
    assert [e.stage for e in service.entries(contest, ADMIN, EDITION)] == ["national", "national", "signup",
                                                                           "signup"]


def test_the_admin_page_assigns_and_pushes_on(contest: Engine) -> None:  # noqa: F811
    add_user(contest, "boss1", "boss-password-1", "admin")
    client = login(TestClient(make_app(contest)), "boss1", "boss-password-1")
    page = client.get(f"/contests/{EDITION}").text
    assert 'id="contest-assign-form"' in page and 'id="contest-move-form"' in page
    zone = login(TestClient(make_app(contest)), "zone2", "zone2-password-1")
    assert 'id="contest-assign-form"' not in zone.get(f"/contests/{EDITION}").text
    token = csrf_of(client)
    done = client.post(f"/contests/{EDITION}/assign", data={"stage": "signup", "csrf_token": token},
                       follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, f"/contests/{EDITION}?stage=signup")
    # Three eligible entries (E4 is over the cap), two judges each (the tiny rubric).
    assert {e.code: len(e.judges) for e in service.entries(contest, ADMIN, EDITION)} == {"E1": 2, "E2": 2, "E3": 2,
                                                                                         "E4": 0}
    again = client.post(f"/contests/{EDITION}/assign", data={"stage": "signup", "csrf_token": token})
    assert again.status_code == 400 and "stage signup of tiny-1 is already assigned" in again.text
    refused = client.post(f"/contests/{EDITION}/move", data={"entry": "E4", "stage": "national", "csrf_token": token})
    assert refused.status_code == 400 and "2022年营业收入 300,000,000 元超过上限 200,000,000 元" in refused.text
    moved = client.post(f"/contests/{EDITION}/move", data={"entry": "E1", "stage": "national", "csrf_token": token},
                        follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (303, f"/contests/{EDITION}/entries/E1")
    assert service.entry(contest, ADMIN, EDITION, "E1").stage == "national"
