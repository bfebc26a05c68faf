"""User management on /admin/users: add, deactivate, reactivate, reset password, log out everywhere; every change
in the store and the audit log, every mistake a 4xx with its message on the page."""

from __future__ import annotations

import html

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hizone.auth.passwords import verify_password
from hizone.store.models import AuditLog, User
from tests.web.conftest import csrf_of, login
from tests.web.seed import PASSWORD, Seeded, credit_code

NEW_PASSWORD = "a-fresh-passphrase"
UNREGISTERED = credit_code(77)  # a valid code no enterprise in the store has


def _post(client: TestClient, path: str, **fields: str) -> Response:
    data = {"csrf_token": csrf_of(client, "/admin/users"), **fields}
    return client.post(path, data=data, follow_redirects=False)


def _user(engine: Engine, username: str) -> User | None:
    with Session(engine) as session:
        return session.scalar(select(User).where(User.username == username))


def _audit(engine: Engine, action: str) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(a.actor, a.object_id) for a in session.scalars(select(AuditLog).where(AuditLog.action == action)
                                                                  .order_by(AuditLog.id))]


def _can_log_in(app: FastAPI, username: str, password: str) -> bool:
    with TestClient(app) as client:
        token = csrf_of(client)
        response = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                               follow_redirects=False)
        return response.status_code == 303


def test_the_page_offers_the_forms_to_admins(clients: dict[str, TestClient]) -> None:
    page = clients["admin"].get("/admin/users").text
    assert 'id="add-user"' in page and 'name="csrf_token"' in page
    assert 'action="/admin/users/zone1/deactivate"' in page and 'action="/admin/users/zone1/password"' in page
    assert 'action="/admin/users/zone1/logout-all"' in page
    assert 'action="/admin/users/admin1/reactivate"' not in page  # active users offer deactivation only
    assert 'action="/admin/users/admin1/deactivate"' not in page  # but not of the admin's own account


@pytest.mark.parametrize(("role", "scope", "expected"), [
    ("zone", {"zone": "Z4401"}, ("44", "Z4401", None)),
    ("province", {"province": "44"}, ("44", None, None)),
    ("enterprise", {"credit_code": credit_code(4, "440106")}, ("44", "Z4401", credit_code(4, "440106"))),
    ("analyst", {}, (None, None, None)),
])
def test_an_admin_adds_a_user_who_can_then_log_in(app: FastAPI, engine: Engine, clients: dict[str, TestClient],
                                                  role: str, scope: dict[str, str],
                                                  expected: tuple[str | None, ...]) -> None:
    added = _post(clients["admin"], "/admin/users", username="newcomer", password=PASSWORD, role=role, **scope)
    assert added.status_code == 303 and added.headers["location"] == "/admin/users?done=added&user=newcomer"
    assert "已添加用户 newcomer" in clients["admin"].get(added.headers["location"]).text
    user = _user(engine, "newcomer")
    assert user is not None and user.active and user.role == role
    assert (user.province_code, user.zone_code, user.credit_code) == expected
    assert verify_password(user.password_hash, PASSWORD)
    assert _audit(engine, "user_add")[-1] == ("admin1", "newcomer")
    assert _can_log_in(app, "newcomer", PASSWORD)


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"role": "zone", "zone": "Z9999"}, 400, "园区管委会用户需要有效的园区代码，“Z9999”不存在。"),
    ({"role": "zone"}, 400, "园区管委会用户需要有效的园区代码，“”不存在。"),
    ({"role": "province", "province": "99"}, 400, "省级科技厅用户需要有效的省份代码，“99”不存在。"),
    ({"role": "enterprise", "credit_code": "123"}, 400, "统一社会信用代码“123”无效"),
    ({"role": "enterprise", "credit_code": UNREGISTERED}, 400, f"代码为“{UNREGISTERED}”的企业未在名录中登记"),
    ({"role": "boss"}, 400, "未知角色“boss”。"),
    ({"role": "analyst", "password": "short"}, 400, "密码至少需要 10 个字符。"),
    ({"role": "analyst", "username": "a b"}, 400, "用户名须为3–64个字母、数字或 . _ @ -。"),
    ({"role": "analyst", "username": "zone1"}, 409, "用户“zone1”已存在。"),
    ({"role": "analyst", "email": "not-an-address"}, 400, "“not-an-address”不是有效的邮箱地址。"),
])
def test_bad_input_is_refused_with_its_message_on_the_page(engine: Engine, clients: dict[str, TestClient],
                                                           fields: dict[str, str], status: int, message: str) -> None:
    form = {"username": "newcomer", "password": PASSWORD, **fields}
    response = _post(clients["admin"], "/admin/users", **form)
    assert response.status_code == status
    assert 'id="user-error"' in response.text and message in response.text
    assert 'id="add-user"' in response.text  # the form is there to correct and send again
    assert f'value="{form["username"]}"' in response.text and PASSWORD not in response.text
    assert _user(engine, "newcomer") is None
    assert all(obj != "newcomer" for _, obj in _audit(engine, "user_add"))


def test_an_admin_gives_a_new_user_an_email_address(engine: Engine, clients: dict[str, TestClient]) -> None:
    added = _post(clients["admin"], "/admin/users", username="mailer", password=PASSWORD, role="analyst",
                  email="mailer@example.org")
    assert added.status_code == 303
    found = _user(engine, "mailer")
    assert found is not None and found.email == "mailer@example.org"
    assert "mailer@example.org" in clients["admin"].get("/admin/users").text


def test_mistakes_speak_english_when_asked(clients: dict[str, TestClient]) -> None:
    admin = clients["admin"]
    admin.get("/lang/en")
    response = _post(admin, "/admin/users", username="newcomer", password=PASSWORD, role="zone", zone="Z9999")
    message = "A zone committee needs a known zone code; 'Z9999' is not one."
    assert response.status_code == 400 and message in html.unescape(response.text)


def test_deactivation_ends_the_users_sessions_until_reactivated(app: FastAPI, engine: Engine,
                                                                clients: dict[str, TestClient], seeded: Seeded) -> None:
    zone = clients["zone"]
    assert zone.get(f"/zones/{seeded.own_zone}").status_code == 200
    off = _post(clients["admin"], "/admin/users/zone1/deactivate")
    assert off.status_code == 303
    user = _user(engine, "zone1")
    assert user is not None and not user.active
    assert zone.get(f"/zones/{seeded.own_zone}").status_code == 401
    assert not _can_log_in(app, "zone1", PASSWORD)
    assert 'action="/admin/users/zone1/reactivate"' in clients["admin"].get("/admin/users").text
    on = _post(clients["admin"], "/admin/users/zone1/reactivate")
    assert on.status_code == 303 and _user(engine, "zone1").active  # type: ignore[union-attr]
    assert zone.get(f"/zones/{seeded.own_zone}").status_code == 401  # the old session does not come back
    assert _can_log_in(app, "zone1", PASSWORD)
    assert _audit(engine, "user_deactivate") == [("admin1", "zone1")]
    assert _audit(engine, "user_activate") == [("admin1", "zone1")]


def test_an_admin_cannot_deactivate_themselves(engine: Engine, clients: dict[str, TestClient]) -> None:
    response = _post(clients["admin"], "/admin/users/admin1/deactivate")
    assert response.status_code == 400 and "不能停用自己的账号。" in response.text
    assert _user(engine, "admin1").active  # type: ignore[union-attr]


def test_a_password_reset_replaces_the_password_and_ends_sessions(app: FastAPI, engine: Engine,
                                                                  clients: dict[str, TestClient],
                                                                  seeded: Seeded) -> None:
    reset = _post(clients["admin"], "/admin/users/province1/password", password=NEW_PASSWORD)
    assert reset.status_code == 303 and reset.headers["location"].endswith("done=password_reset&user=province1")
    assert clients["province"].get(f"/zones/{seeded.own_zone}").status_code == 401
    assert not _can_log_in(app, "province1", PASSWORD)
    assert _can_log_in(app, "province1", NEW_PASSWORD)
    assert _audit(engine, "password_reset") == [("admin1", "province1")]
    short = _post(clients["admin"], "/admin/users/province1/password", password="short")
    assert short.status_code == 400 and "密码至少需要 10 个字符。" in short.text
    assert _can_log_in(app, "province1", NEW_PASSWORD)


def test_log_out_everywhere_for_another_user(app: FastAPI, engine: Engine, clients: dict[str, TestClient],
                                             seeded: Seeded) -> None:
    with TestClient(app) as phone:
        login(phone, "enterprise1")
        out = _post(clients["admin"], "/admin/users/enterprise1/logout-all")
        assert out.status_code == 303
        assert phone.get("/reporting").status_code == 401
    assert clients["enterprise"].get("/reporting").status_code == 401
    assert clients["admin"].get("/admin/users").status_code == 200  # the admin's own session goes on
    assert _audit(engine, "logout_all") == [("admin1", "enterprise1")]
    assert _can_log_in(app, "enterprise1", PASSWORD)


@pytest.mark.parametrize("action", ["deactivate", "reactivate", "logout-all"])
def test_an_unknown_user_is_a_404_with_its_message(clients: dict[str, TestClient], action: str) -> None:
    response = _post(clients["admin"], f"/admin/users/nobody/{action}")
    assert response.status_code == 404 and "用户“nobody”不存在。" in response.text


def test_changes_need_the_csrf_token(engine: Engine, clients: dict[str, TestClient]) -> None:
    response = clients["admin"].post("/admin/users/zone1/deactivate", follow_redirects=False)
    assert response.status_code == 403
    forged = clients["admin"].post("/admin/users", data={"csrf_token": "forged", "username": "x-user",
                                                          "password": PASSWORD, "role": "analyst"})
    assert forged.status_code == 403
    assert _user(engine, "zone1").active and _user(engine, "x-user") is None  # type: ignore[union-attr]
