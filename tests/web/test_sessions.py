"""Login, CSRF, rate limiting, expiry, logout everywhere, audit: the session machinery end to end."""

from __future__ import annotations

import re
import time

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.auth.users import create_token
from hizone.web.rendering import TEMPLATES
from tests.web.conftest import app_settings, csrf_of, login, make_app
from tests.web.seed import PASSWORD, Seeded
from tests.web.tables import page_rows


def test_login_sets_a_signed_session_and_rotates_csrf(app: FastAPI) -> None:
    with TestClient(app) as client:
        before = csrf_of(client)
        login(client, "analyst1")
        assert client.cookies.get("hizone_session")
        assert csrf_of(client) != before
        assert "analyst1" in client.get("/").text


def test_a_forged_or_missing_csrf_token_is_refused(app: FastAPI) -> None:
    with TestClient(app) as client:
        csrf_of(client)
        forged = client.post("/login", data={"username": "analyst1", "password": PASSWORD,
                                             "csrf_token": "forged"})
        assert forged.status_code == 403 and "CSRF" in forged.text and "<html" in forged.text
        missing = client.post("/login", data={"username": "analyst1", "password": PASSWORD})
        assert missing.status_code == 403
        assert not client.cookies.get("hizone_session")


def test_a_tampered_session_cookie_is_ignored(app: FastAPI, seeded: Seeded) -> None:
    with TestClient(app) as client:
        client.cookies.set("hizone_session", "eyJ1IjoiYWRtaW4xIiwiZSI6MX0.forged.signature")
        assert client.get("/admin/audit").status_code == 401


def test_login_is_rate_limited(app: FastAPI) -> None:
    with TestClient(app) as client:
        token = csrf_of(client)
        statuses = [client.post("/login", data={"username": "zone1", "password": "wrong-password",
                                                "csrf_token": token}).status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429]
        right = client.post("/login", data={"username": "zone1", "password": PASSWORD, "csrf_token": token})
        assert right.status_code == 429 and "Retry-After" in right.headers


def test_expired_sessions_get_a_clear_401(engine: Engine, seeded: Seeded) -> None:
    app = make_app(engine, session_max_age=1)
    with TestClient(app) as client:
        login(client, "zone1")
        assert client.get(f"/zones/{seeded.own_zone}").status_code == 200
        time.sleep(2.1)
        page = client.get(f"/zones/{seeded.own_zone}")
        assert page.status_code == 401 and "您的登录已过期" in page.text
        api = client.get("/api/v1/me")
        assert api.status_code == 401 and "expired" in api.json()["error"]["message"]


def test_logout_everywhere_ends_other_sessions(app: FastAPI, seeded: Seeded) -> None:
    with TestClient(app) as laptop, TestClient(app) as phone:
        login(laptop, "province1")
        login(phone, "province1")
        assert phone.get(f"/zones/{seeded.own_zone}").status_code == 200
        out = laptop.post("/logout-all", data={"csrf_token": csrf_of(laptop)}, follow_redirects=False)
        assert out.status_code == 303
        assert phone.get(f"/zones/{seeded.own_zone}").status_code == 401
        assert laptop.get(f"/zones/{seeded.own_zone}").status_code == 401


def test_logout_ends_this_session(app: FastAPI) -> None:
    with TestClient(app) as client:
        login(client, "admin1")
        client.post("/logout", data={"csrf_token": csrf_of(client)})
        assert client.get("/admin/audit").status_code == 401


def test_login_redirects_only_to_local_paths(app: FastAPI) -> None:
    with TestClient(app) as client:
        token = csrf_of(client)
        response = client.post("/login", data={"username": "admin1", "password": PASSWORD, "csrf_token": token,
                                               "next": "https://evil.example/"}, follow_redirects=False)
        assert response.headers["location"] == "/"


def test_admins_see_logins_and_failures_in_the_audit_log(clients: dict[str, TestClient]) -> None:
    page = clients["admin"].get("/admin/audit?action=login")
    assert page.status_code == 200
    actors = {row[2] for row in page_rows(page.text, "table-audit")[1:]}
    assert {"admin1", "zone1", "enterprise1"} <= actors
    assert clients["analyst"].get("/admin/audit").status_code == 403
    users = clients["admin"].get("/admin/users")
    assert "province1" in users.text and "园区管委会" in users.text


def test_a_copied_cookie_stops_working_once_its_session_logs_out(app: FastAPI) -> None:
    with TestClient(app) as client, TestClient(app) as thief:
        login(client, "admin1")
        thief.cookies.set("hizone_session", client.cookies["hizone_session"])
        assert thief.get("/admin/audit").status_code == 200
        client.post("/logout", data={"csrf_token": csrf_of(client, "/admin/audit")})
        assert thief.get("/admin/audit").status_code == 401
        assert thief.get("/api/v1/me").status_code == 401


def test_the_csrf_token_is_bound_to_the_session(app: FastAPI) -> None:
    with TestClient(app) as first, TestClient(app) as second:
        before_login = csrf_of(first)
        login(first, "province1")
        login(second, "province1")
        mine, theirs = csrf_of(first, "/reporting"), csrf_of(second, "/reporting")
        assert mine != theirs != before_login
        for token in (theirs, before_login):  # another session's token, or the one seen before logging in
            refused = first.post("/logout-all", data={"csrf_token": token})
            assert refused.status_code == 403
        assert first.post("/logout-all", data={"csrf_token": mine}, follow_redirects=False).status_code == 303


def _cookie_lines(response: object) -> list[str]:
    return response.headers.get_list("set-cookie")  # type: ignore[attr-defined, no-any-return]


def test_cookies_are_httponly_lax_and_secure_when_served_over_https(engine: Engine, seeded: Seeded) -> None:
    for secure in (False, True):
        with TestClient(make_app(engine, app_settings(cookie_secure=secure)), base_url="https://testserver") as client:
            lines = _cookie_lines(client.get("/login"))
            lines += _cookie_lines(client.post("/login", data={"username": "zone1", "password": PASSWORD,
                                                               "csrf_token": csrf_of(client)}, follow_redirects=False))
            lines += _cookie_lines(client.get("/lang/en", follow_redirects=False))
            named = {line.split("=", 1)[0] for line in lines if "Max-Age=0" not in line}
            assert {"hizone_csrf", "hizone_session", "hizone_lang"} <= named
            for line in lines:
                attributes = {part.strip().split("=")[0].lower() for part in line.split(";")}
                assert {"httponly", "samesite"} <= attributes and "samesite=lax" in line.lower(), line
                assert ("secure" in attributes) is secure, line


def test_logged_in_pages_exports_and_api_answers_are_not_cached(clients: dict[str, TestClient]) -> None:
    admin = clients["admin"]
    for path in ("/admin/audit", "/admin/audit/export.csv", "/admin/users/export.xlsx", "/api/v1/me", "/reporting"):
        assert admin.get(path).headers["cache-control"] == "no-store", path
    assert "cache-control" not in clients["public"].get("/static/app.css").headers


def test_every_answer_carries_a_strict_content_security_policy(clients: dict[str, TestClient]) -> None:
    for path in ("/", "/login", "/api/docs", "/api/v1/me", "/no-such-page"):
        policy = clients["zone"].get(path).headers["content-security-policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", path
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


def test_no_template_has_inline_script_style_or_event_handlers() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    found = [f"{path.name}: {match.group(0)}" for path in TEMPLATES.rglob("*.html")
             for match in inline.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_api_docs_load_swagger_ui_from_our_own_static_files(clients: dict[str, TestClient]) -> None:
    page = clients["public"].get("/api/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith(("/static/", "data:")) for s in sources), sources
    for asset in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css",
                  "/static/swagger-init.js"):
        assert asset in sources
        assert clients["public"].get(asset).status_code == 200
    assert 'data-openapi="/api/v1/openapi.json"' in page.text


def test_a_json_body_with_a_huge_number_or_deep_nesting_is_a_clear_400(engine: Engine, seeded: Seeded) -> None:
    token = create_token(engine, "analyst1", "test")
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    with TestClient(make_app(engine), raise_server_exceptions=False) as client:
        huge = client.post("/api/v1/alerts/1", content='{"state": "acknowledged", "note": ' + "9" * 5000 + "}",
                           headers=headers)
        assert huge.status_code == 400 and "more than 4,300 digits" in huge.json()["error"]["message"]
        deep = client.post("/api/v1/alerts/1", content="[" * 100_000 + "]" * 100_000, headers=headers)
        assert deep.status_code == 400 and "nests too deeply" in deep.json()["error"]["message"]
