"""Anyone can slow a known account with failed logins, so its owner gets in through a mailed unlock link: sent by
smtplib to a real local SMTP server, followed from the received message, good for one login within its lifetime,
skipping the account's backoff but not the address's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from hizone.auth.sessions import unlock_user
from hizone.config import MailSettings
from hizone.mail import MailError, send_mail
from hizone.store import session_scope
from hizone.store.models import User
from hizone.web.security import SessionCodec
from tests.mailserver import MailServer
from tests.web.conftest import app_settings, csrf_of, make_app
from tests.web.seed import PASSWORD, Seeded

OWNER_MAIL = "zone1@example.org"
LINK = re.compile(r"http://hizone\.test(/login/unlock\?token=\S+)")
LIMIT = 5


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailing_app(engine: Engine, seeded: Seeded, mail_server: MailServer) -> FastAPI:
    with session_scope(engine) as session:
        session.execute(update(User).where(User.username == "zone1").values(email=OWNER_MAIL))
    mail = MailSettings(host="127.0.0.1", port=mail_server.port, sender="hizone@hizone.test", starttls=False)
    return make_app(engine, app_settings(mail=mail, base_url="http://hizone.test"))


def _login(app: FastAPI, address: str, password: str, unlock: str = "") -> tuple[int, str]:
    with TestClient(app, client=(address, 4000)) as client:
        response = client.post("/login", data={"username": "zone1", "password": password, "unlock": unlock,
                                               "csrf_token": csrf_of(client)}, follow_redirects=False)
        return response.status_code, response.text


def _lock_out_the_owner(app: FastAPI, first: int = 1) -> None:
    """A guesser fails from five addresses, so no address limit is reached, only the account's."""
    assert [_login(app, f"203.0.113.{first + n}", "wrong-password")[0] for n in range(LIMIT)] == [401] * LIMIT


def _link_from_mail(mail_server: MailServer) -> str:
    (message,) = mail_server.inbox.to(OWNER_MAIL)
    assert message["From"] == "hizone@hizone.test"
    found = LINK.search(message.get_payload(decode=True).decode())  # type: ignore[union-attr]
    assert found, "no unlock link in the mail"
    return found.group(1)


def _token_of(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200 and 'id="login-notice"' in page.text
    found = re.search(r'name="unlock" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_the_owner_follows_the_mailed_link_past_the_lock_once(mailing_app: FastAPI, mail_server: MailServer) -> None:
    _lock_out_the_owner(mailing_app)
    status, page = _login(mailing_app, "198.51.100.7", PASSWORD)
    assert status == 429 and 'id="unlock-request"' in page  # locked, and offered a link
    with TestClient(mailing_app, client=("198.51.100.7", 4000)) as owner:
        sent = owner.post("/login/unlock", data={"username": "zone1", "csrf_token": csrf_of(owner)})
        assert sent.status_code == 200 and 'id="login-notice"' in sent.text
        path = _link_from_mail(mail_server)
        assert urlsplit(path).path == "/login/unlock"
        token = _token_of(owner, path)
        login = owner.post("/login", data={"username": "zone1", "password": PASSWORD, "unlock": token,
                                           "csrf_token": csrf_of(owner, path)}, follow_redirects=False)
        assert login.status_code == 303
        assert owner.get("/api/v1/me").json()["username"] == "zone1"
        assert owner.get(path).status_code == 400  # used up
    _lock_out_the_owner(mailing_app, first=20)
    assert _login(mailing_app, "198.51.100.7", PASSWORD, unlock=token)[0] == 429


def test_the_link_skips_the_account_lock_but_not_the_address_limit(mailing_app: FastAPI,
                                                                   mail_server: MailServer) -> None:
    for n in range(LIMIT):  # one address failing against several accounts
        with TestClient(mailing_app, client=("192.0.2.9", 4000)) as guesser:
            guesser.post("/login", data={"username": f"someone{n}", "password": "x" * 10,
                                         "csrf_token": csrf_of(guesser)})
    with TestClient(mailing_app, client=("192.0.2.9", 4000)) as client:
        client.post("/login/unlock", data={"username": "zone1", "csrf_token": csrf_of(client)})
        token = _token_of(client, _link_from_mail(mail_server))
    assert _login(mailing_app, "192.0.2.9", PASSWORD, unlock=token)[0] == 429


def test_the_answer_tells_nobody_which_accounts_exist_and_mail_is_not_flooded(
        mailing_app: FastAPI, mail_server: MailServer) -> None:
    with TestClient(mailing_app) as client:
        answers = [client.post("/login/unlock", data={"username": name, "csrf_token": csrf_of(client)})
                   for name in ("zone1", "zone1", "nobody", "analyst1")]  # analyst1 has no address
        assert {a.status_code for a in answers} == {200}
        assert len({re.sub(r'value="[^"]+"', "", a.text) for a in answers}) == 1
    assert len(mail_server.inbox.messages) == 1  # one link per account per ten minutes, none for the others


def test_forged_tampered_and_expired_links_are_refused(engine: Engine, mailing_app: FastAPI,
                                                      mail_server: MailServer) -> None:
    with TestClient(mailing_app) as client:
        client.post("/login/unlock", data={"username": "zone1", "csrf_token": csrf_of(client)})
        path = _link_from_mail(mail_server)
        assert client.get(path[:-3] + "abc").status_code == 400
        assert client.get("/login/unlock?token=forged").status_code == 400
    codec = SessionCodec("test-secret-key", 3600, unlock_max_age=-1)
    signed = path.split("token=", 1)[1]
    assert codec.read_unlock(signed) is None  # the signature's age
    token = SessionCodec("test-secret-key", 3600).read_unlock(signed)
    assert token is not None
    with session_scope(engine) as session:
        assert unlock_user(session, token, max_age_seconds=3600) == "zone1"
        assert unlock_user(session, token, max_age_seconds=0) is None  # and the stored token's


def test_starttls_is_required_before_anything_is_sent(mail_server: MailServer) -> None:
    settings = MailSettings(host="127.0.0.1", port=mail_server.port, user="hizone", password="secret")
    with pytest.raises(MailError, match="STARTTLS"):
        send_mail(settings, OWNER_MAIL, "subject", "body")
    assert mail_server.inbox.messages == []


def test_without_a_mail_server_no_link_is_offered_and_asking_is_a_clear_400(app: FastAPI) -> None:
    _lock_out_the_owner(app)
    status, page = _login(app, "198.51.100.7", PASSWORD)
    assert status == 429 and 'id="unlock-request"' not in page
    with TestClient(app) as client:
        asked = client.post("/login/unlock", data={"username": "zone1", "csrf_token": csrf_of(client)})
        assert asked.status_code == 400 and "本服务器未配置邮件发送" in asked.text
