"""Web test fixtures: a seeded store on both databases, an app on it, and logged-in clients per role."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hizone.config import Settings, analytics_path
from hizone.store import open_store
from hizone.web import create_app
from tests.web.seed import PASSWORD, USERS, Seeded, seed

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    return seed(engine)


def app_settings(**changes: Any) -> Settings:
    """Settings of a test app: its own var directory (the analytics file the app builds lives there)."""
    return Settings(**{"database_url": "unused", "var_dir": Path(tempfile.mkdtemp(prefix="hizone-web-")),
                       "secret_key": "test-secret-key", **changes})


def make_app(engine: Engine, settings: Settings | None = None, **options: object) -> FastAPI:
    """An app whose pages always wait for the analytics refresh after a change (a loaded CI machine may take
    seconds to build; a test must not see the figures of before)."""
    options.setdefault("refresh_sync_seconds", 600.0)
    return create_app(engine, settings or app_settings(), **options)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def seeded_analytics(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """The analytics file of the seeded store (and its build key), built once: every test's app starts from a
    copy, so only a test that changes the data pays for a build."""
    store = tmp_path_factory.mktemp("seeded-store") / "hizone.sqlite"
    shutil.copy(sqlite_template, store)
    engine = open_store(f"sqlite:///{store}")
    seed(engine)
    app = make_app(engine)
    app.state.figures.get()
    engine.dispose()
    return analytics_path(app.state.settings)


@pytest.fixture
def app(engine: Engine, seeded: Seeded, seeded_analytics: Path) -> FastAPI:
    made = make_app(engine)
    target = analytics_path(made.state.settings)
    for source in (seeded_analytics, seeded_analytics.with_name(seeded_analytics.name + ".built-from")):
        shutil.copy(source, target.with_name(source.name))
    return made


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    found = CSRF_INPUT.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    token = csrf_of(client)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return client


@pytest.fixture
def clients(app: FastAPI) -> Iterator[dict[str, TestClient]]:
    """One client per role, logged in; "public" is anonymous."""
    made = {"public": TestClient(app)}
    for role, username in USERS.items():
        made[role] = login(TestClient(app), username)
    yield made
    for client in made.values():
        client.close()
