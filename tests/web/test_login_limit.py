"""The login limit counts failures in the audit log, so separate app instances and processes on one store
share it: per username (forgiven by a successful login) and per client address, each with exponential backoff."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hizone.auth.users import authenticate
from hizone.store import connect
from hizone.store.models import AuditLog
from hizone.web.security import Backoff, LoginLimiter
from tests.conftest import REPO
from tests.web.conftest import csrf_of, make_app
from tests.web.seed import PASSWORD, Seeded

LIMIT = 5


def _try(client: TestClient, username: str, password: str = "wrong-password") -> int:
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_of(client)}, follow_redirects=False).status_code


def _failures(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).where(AuditLog.action == "login_failed")) or 0)


def test_two_app_instances_on_one_store_share_the_count(database_url: str, seeded: Seeded) -> None:
    """Each instance has its own engine (its own connection pool), as two server processes would."""
    first_engine, second_engine = connect(database_url), connect(database_url)
    try:
        with TestClient(make_app(first_engine)) as first, TestClient(make_app(second_engine)) as second:
            statuses = [_try(first, "zone1") for _ in range(3)] + [_try(second, "zone1") for _ in range(2)]
            assert statuses == [401] * LIMIT
            assert _try(first, "zone1", PASSWORD) == 429
            refused = second.post("/login", data={"username": "zone1", "password": PASSWORD,
                                                  "csrf_token": csrf_of(second)})
            assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 300
            assert "登录失败次数过多" in refused.text
        assert _failures(first_engine) == LIMIT  # refused attempts are not failures: the wait does not grow
    finally:
        first_engine.dispose()
        second_engine.dispose()


def test_failures_in_another_process_count(app: FastAPI, database_url: str) -> None:
    script = ("import sys\nfrom hizone.auth.users import authenticate\nfrom hizone.store import connect\n"
              f"engine = connect(sys.argv[1])\nfor _ in range({LIMIT}):\n"
              "    assert authenticate(engine, 'province1', 'wrong-password', client='testclient') is None\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", script, database_url], check=True, env=env, timeout=120)
    with TestClient(app) as client:
        assert _try(client, "province1", PASSWORD) == 429


def test_the_username_count_is_case_blind_and_forgiven_by_a_login(engine: Engine, seeded: Seeded) -> None:
    limiter = LoginLimiter(engine)
    for n in range(LIMIT - 1):
        authenticate(engine, "Zone1" if n % 2 else "zone1", "wrong-password", client=f"10.0.0.{n}")
    assert limiter.retry_after("ZONE1", "10.9.9.9") == 0
    authenticate(engine, "zone1", "wrong-password", client="10.0.0.9")
    assert limiter.retry_after("zone1", "10.9.9.9") > 0  # five failures from five addresses
    assert authenticate(engine, "zone1", PASSWORD, client="10.0.0.10") is not None
    assert limiter.retry_after("zone1", "10.9.9.9") == 0  # the right password (given earlier) forgives


def test_one_address_is_limited_across_usernames(app: FastAPI) -> None:
    with TestClient(app, client=("203.0.113.7", 4000)) as client:
        statuses = [_try(client, name) for name in ("zone1", "province1", "analyst1", "nobody", "admin1")]
        assert statuses == [401] * LIMIT
        assert _try(client, "enterprise1", PASSWORD) == 429
    with TestClient(app, client=("203.0.113.8", 4000)) as elsewhere:
        assert _try(elsewhere, "enterprise1", PASSWORD) == 303


def test_each_failure_past_the_free_ones_doubles_the_wait_up_to_the_cap(engine: Engine, seeded: Seeded) -> None:
    second = dt.timedelta(seconds=1)
    limiter = LoginLimiter(engine, account=Backoff(free=2, base=second, cap=4 * second, lookback=dt.timedelta(hours=1)),
                           address=Backoff(free=100, base=second, cap=second, lookback=dt.timedelta(hours=1)))
    for _ in range(2):
        authenticate(engine, "analyst1", "wrong-password", client="198.51.100.1")
    assert limiter.retry_after("analyst1", "198.51.100.2") == 1
    time.sleep(1.1)
    assert limiter.retry_after("analyst1", "198.51.100.1") == 0  # the wait ran out: one more guess
    authenticate(engine, "analyst1", "wrong-password", client="198.51.100.1")
    assert limiter.retry_after("analyst1", "198.51.100.2") == 2
    for _ in range(5):
        authenticate(engine, "analyst1", "wrong-password", client="198.51.100.1")
    assert limiter.retry_after("analyst1", "198.51.100.2") == 4  # capped: the owner is never shut out for long
    assert limiter.retry_after("analyst1", "198.51.100.2", check_account=False) == 0


def test_the_address_is_slowed_with_the_same_backoff(engine: Engine, seeded: Seeded) -> None:
    limiter = LoginLimiter(engine)
    for n in range(LIMIT + 2):
        authenticate(engine, f"user{n}", "wrong-password", client="192.0.2.50")
    assert 3 * 60 < limiter.retry_after("someone", "192.0.2.50", check_account=False) <= 4 * 60
    assert limiter.retry_after("someone", "192.0.2.51") == 0
