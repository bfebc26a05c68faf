"""Login, CSRF, rate limiting, expiry, logout everywhere, audit: the session machinery end to end."""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.web.conftest import csrf_of, login, make_app
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
