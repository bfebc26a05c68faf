"""The page cache (web.page_cache) with real requests: a page kept for one caller is never what a caller of
another role or scope gets, the per-session parts (name, CSRF token, unread badge) are each session's own, and
the next page after a change (an approval, a notice read, another worker's write) shows it."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from hizone.auth.users import add_user
from hizone.store import session_scope
from hizone.store.models import Notice, User, Zone
from hizone.store.notices import mark_read
from hizone.web.page_cache import PageCache
from tests.web.conftest import login, make_app
from tests.web.seed import PASSWORD, USERS
from tests.web.test_reporting import GOOD_2024, post_file

PAGES = ("/?year=2023", "/rankings", "/zones/Z1101")
HX_CSRF = re.compile(r'hx-headers=\'\{"X-CSRF-Token": "([^"]+)"\}\'')
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _kpi(page: str, code: str) -> str:
    found = re.search(rf'data-kpi="{code}">.*?<div class="value">([^<]+)<', page, re.S)
    assert found, f"no KPI {code}"
    return found.group(1).strip()


def _who(page: str) -> str | None:
    found = re.search(r'id="who">([^<]*)<', page)
    return found.group(1) if found else None


def _profile_links(page: str) -> set[str]:
    return set(re.findall(r'href="/zones/(Z\d+)"', page))


def _notify(engine: Engine, username: str) -> int:
    """One unread notice for the user; its id."""
    with session_scope(engine) as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        assert user_id is not None
        session.add(Notice(user_id=user_id, subject_zh="提醒", subject_en="reminder", body_zh="", body_en=""))
    return user_id


def _marks_left(app: FastAPI, page: str) -> bool:
    marks = app.state.pages.marks
    return any(mark in page for mark in (marks.csrf, marks.username, marks.badge))


@pytest.fixture
def more(app: FastAPI, engine: Engine, clients: dict[str, TestClient]) -> dict[str, TestClient]:
    """Besides one client per role: a second zone's user, a second user of the first zone, and a second session
    of the analyst."""
    add_user(engine, "zone2", PASSWORD, "zone", zone="Z1102")
    add_user(engine, "zone1b", PASSWORD, "zone", zone="Z1101")
    return {**clients, "zone2": login(TestClient(app), "zone2"), "zone1b": login(TestClient(app), "zone1b"),
            "analyst2": login(TestClient(app), USERS["analyst"])}


def test_a_page_kept_for_one_scope_is_not_what_another_scope_gets(app: FastAPI, more: dict[str, TestClient]) -> None:
    """The analyst and the public fill the cache first; each other caller then gets the page of its own scope."""
    national = more["analyst"].get("/?year=2023").text
    assert _kpi(national, "revenue") == "4.11" and _kpi(more["public"].get("/?year=2023").text, "revenue") == "4.11"
    # Nation − Beijing would give Guangdong's one zone away: withheld from Beijing's department.
    province = more["province"].get("/?year=2023").text
    assert _kpi(province, "revenue") != "4.11" and "已隐藏/suppressed" in province
    # Which rankings rows link to a profile is the caller's scope: every zone, Beijing's, the zone's own, none.
    links = {role: _profile_links(more[role].get("/rankings").text)
             for role in ("analyst", "province", "zone", "zone2", "zone1b", "public")}
    assert links == {"analyst": {"Z1101", "Z1102", "Z4401"}, "province": {"Z1101", "Z1102"}, "zone": {"Z1101"},
                     "zone2": {"Z1102"}, "zone1b": {"Z1101"}, "public": set()}
    # The profile kept for the zone's own user is refused to another zone's (the rule runs before the cache).
    assert more["zone"].get("/zones/Z1101").status_code == 200
    assert more["zone2"].get("/zones/Z1101").status_code == 403
    assert more["public"].get("/zones/Z1101").status_code == 401
    # The navigation is the role's: a zone's user has its own ladder pages, the analyst the SQL page.
    zone_page, analyst_page = more["zone"].get("/zones/Z1101").text, more["analyst"].get("/zones/Z1101").text
    assert 'id="nav-ladder-zone"' in zone_page and 'href="/sql"' not in zone_page
    assert 'href="/sql"' in analyst_page and 'id="nav-ladder-zone"' not in analyst_page


def test_the_per_session_parts_are_each_sessions_own(app: FastAPI, engine: Engine,
                                                     more: dict[str, TestClient]) -> None:
    """Two users of one zone share the kept page, but each sees its own name and badge, and each session its
    own CSRF token, which its forms post with."""
    _notify(engine, "zone1b")
    for path in PAGES:
        one, other = more["zone"].get(path), more["zone1b"].get(path)
        assert one.status_code == other.status_code == 200
        assert _who(one.text) == "zone1 · 园区管委会" and _who(other.text) == "zone1b · 园区管委会"
        assert 'id="notices-unread">1<' in other.text and 'id="notices-unread"' not in one.text
        assert not _marks_left(app, one.text) and not _marks_left(app, other.text)
    analyst, again = more["analyst"].get("/rankings").text, more["analyst2"].get("/rankings").text
    tokens, tokens_again = set(FORM_CSRF.findall(analyst)), set(FORM_CSRF.findall(again))
    assert len(tokens) == 1 and len(tokens_again) == 1 and tokens != tokens_again
    assert HX_CSRF.findall(analyst) == list(tokens)
    # Anonymous visitors: each its own token (its CSRF cookie's), though the page is kept once.
    visitors = [TestClient(app), TestClient(app)]
    seen = [HX_CSRF.findall(v.get("/rankings").text) for v in visitors]
    assert seen[0] != seen[1] and all(len(s) == 1 for s in seen)
    # The token on the kept page is the one this session's forms are checked against.
    done = more["analyst2"].post("/logout", data={"csrf_token": tokens_again.pop()}, follow_redirects=False)
    assert done.status_code == 303
    assert _who(more["analyst2"].get("/rankings").text) is None  # logged out: the public's page
    assert _who(more["analyst"].get("/rankings").text) == "analyst1 · 国家分析人员"  # the other session stays


def test_an_error_page_after_a_kept_pages_render_is_the_callers_own(app: FastAPI,
                                                                     more: dict[str, TestClient]) -> None:
    missing = more["analyst"].get("/?year=1999")
    assert missing.status_code == 404 and _who(missing.text) == "analyst1 · 国家分析人员"
    assert not _marks_left(app, missing.text)
    assert more["analyst"].get("/zones/Z1101?benchmark=Z9999").status_code == 404


def test_the_next_page_after_an_approval_shows_the_approved_year(app: FastAPI, clients: dict[str, TestClient]) -> None:
    before = clients["analyst"].get("/").text
    assert _selected_year(before) == "2023" and _kpi(before, "revenue") == "4.11"
    assert post_file(clients["zone"], GOOD_2024).status_code == 200  # type: ignore[attr-defined]
    for role, action in (("province", "review"), ("admin", "approve")):
        client = clients[role]
        page = client.get("/reporting").text
        token = FORM_CSRF.search(page)
        assert token
        done = client.post("/reporting/transition", data={
            "action": action, "form": "enterprise_annual", "period": "2024", "zone_code": "Z1101",
            "csrf_token": token.group(1)}, follow_redirects=False)
        assert done.status_code == 303
    after = clients["analyst"].get("/").text
    assert _selected_year(after) == "2024"
    # 2024: enterprises 1 and 2 of Zhongguancun, 130,000 + 62,000 千元 = 19.2 亿元 (the seed's 2023 is 4.11 亿元)
    assert _kpi(after, "revenue") == "1.92"


def _selected_year(page: str) -> str:
    found = re.search(r'<option value="(\d{4})"\s*selected', page)
    return found.group(1) if found else ""


def test_a_notice_read_takes_the_badge_off_the_next_kept_page(app: FastAPI, engine: Engine,
                                                            more: dict[str, TestClient]) -> None:
    user_id = _notify(engine, USERS["zone"])
    assert 'id="notices-unread">1<' in more["zone"].get("/rankings").text
    assert mark_read(engine, user_id) == 1
    assert 'id="notices-unread"' not in more["zone"].get("/rankings").text


def test_another_workers_write_shows_on_this_workers_kept_page(engine: Engine, app: FastAPI,
                                                              clients: dict[str, TestClient]) -> None:
    """Two apps on one store, each with its own page cache (two server processes): an approval made through the
    other shows on the next page of this one, whose cache knew nothing of it."""
    other = make_app(engine)
    assert isinstance(other.state.pages, PageCache) and other.state.pages is not app.state.pages
    mine = clients["analyst"]
    assert _kpi(mine.get("/").text, "revenue") == "4.11"
    theirs = {role: login(TestClient(other), USERS[role]) for role in ("zone", "province", "admin")}
    assert post_file(theirs["zone"], GOOD_2024).status_code == 200  # type: ignore[attr-defined]
    for role, action in (("province", "review"), ("admin", "approve")):
        token = FORM_CSRF.search(theirs[role].get("/reporting").text)
        assert token
        assert theirs[role].post("/reporting/transition", data={
            "action": action, "form": "enterprise_annual", "period": "2024", "zone_code": "Z1101",
            "csrf_token": token.group(1)}, follow_redirects=False).status_code == 303
    assert _kpi(mine.get("/").text, "revenue") == "1.92"


def _request(csrf: str) -> Request:
    request = Request({"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": []})
    request.state.csrf = csrf
    return request


def test_requests_missing_one_page_together_wait_for_one_render() -> None:
    """After a data change fifty requests miss the same page at once: one renders it, the others wait for it
    (each still with its own CSRF token); an error page is never kept, so the next request renders again."""
    cache = PageCache()
    renders: list[int] = []

    def render() -> Response:
        renders.append(1)
        time.sleep(0.3)  # long enough for every thread to arrive while it runs
        return HTMLResponse(f"<p>{cache.marks.csrf}</p>")

    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda i: bytes(cache.serve(_request(f"t{i}"), ("/", 1), "", render).body),
                               range(8)))
    assert len(renders) == 1 and bodies == [f"<p>t{i}</p>".encode() for i in range(8)]

    def missing() -> Response:
        renders.append(1)
        return HTMLResponse(f"<p>{cache.marks.csrf} not found</p>", status_code=404)

    renders.clear()
    for i in range(2):
        answer = cache.serve(_request(f"t{i}"), ("/nowhere", 1), "", missing)
        assert answer.status_code == 404 and bytes(answer.body) == f"<p>t{i} not found</p>".encode()
    assert len(renders) == 2


def test_a_zone_moved_to_another_province_is_that_provinces_at_once(app: FastAPI, engine: Engine,
                                                                   more: dict[str, TestClient]) -> None:
    """The zone rule reads the zone's province with the session, from the store as it is now (a registry update
    moves no data version): Beijing's department loses a zone moved to Guangdong, whose department gains it."""
    add_user(engine, "province44", PASSWORD, "province", province="44")
    guangdong = login(TestClient(app), "province44")
    assert more["province"].get("/zones/Z1102").status_code == 200
    assert guangdong.get("/zones/Z1102").status_code == 403
    with engine.begin() as conn:
        conn.execute(update(Zone).where(Zone.code == "Z1102").values(province_code="44"))
    assert more["province"].get("/zones/Z1102").status_code == 403
    assert guangdong.get("/zones/Z1102").status_code == 200
    assert more["province"].get("/zones/Z9999").status_code == 404
