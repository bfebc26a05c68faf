"""X-Forwarded-For is believed only from the proxies HIZONE_TRUSTED_PROXIES names: a real uvicorn server on a
loopback port, configured as `hizone serve` configures it, with clients sending spoofed headers."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hizone.cli.web import server_options
from hizone.config import Settings
from hizone.store.models import AuditLog
from tests.mailserver import free_port
from tests.web.conftest import CSRF_INPUT, app_settings, make_app
from tests.web.seed import Seeded

LIMIT = 5


@contextmanager
def serving(engine: Engine, settings: Settings) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(engine, settings), **server_options(settings, "127.0.0.1", port)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start within 20 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _fail_login(client: httpx.Client, username: str, forwarded_for: str) -> int:
    page = client.get("/login")
    token = CSRF_INPUT.search(page.text)
    assert token
    return client.post("/login", data={"username": username, "password": "wrong-password",
                                       "csrf_token": token.group(1)},
                       headers={"X-Forwarded-For": forwarded_for}).status_code


def _failure_clients(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [row.detail["client"] for row in session.scalars(select(AuditLog)
                                                                .where(AuditLog.action == "login_failed"))]


def test_spoofed_forwarded_headers_from_an_untrusted_client_are_ignored(engine: Engine, seeded: Seeded) -> None:
    with serving(engine, app_settings()) as base, httpx.Client(base_url=base) as client:
        statuses = [_fail_login(client, f"guess{n}", f"203.0.113.{n}") for n in range(LIMIT + 1)]
    # Every attempt came from 127.0.0.1 whatever the header said: the address limit holds, nobody else is blamed.
    assert statuses == [401] * LIMIT + [429]
    assert set(_failure_clients(engine)) == {"127.0.0.1"}


@pytest.mark.parametrize("trusted", ["127.0.0.1", "127.0.0.0/8"])
def test_a_trusted_proxys_forwarded_address_is_the_client(engine: Engine, seeded: Seeded, trusted: str) -> None:
    with serving(engine, app_settings(trusted_proxies=(trusted,))) as base, httpx.Client(base_url=base) as client:
        assert _fail_login(client, "guess", "198.51.100.23") == 401
    assert _failure_clients(engine) == ["198.51.100.23"]


def test_a_malformed_trusted_proxy_setting_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from hizone.errors import HizoneError

    monkeypatch.setenv("HIZONE_TRUSTED_PROXIES", "10.0.0.1, proxy.example")
    with pytest.raises(HizoneError, match=re.escape("HIZONE_TRUSTED_PROXIES: 'proxy.example' is not an IP")):
        Settings.from_env()
