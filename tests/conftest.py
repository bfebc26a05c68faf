"""Fixtures shared by the whole suite: a fresh, migrated database on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

# Set before hizone is imported: argon2-cffi's test profile, so a login costs 0.2 ms, not 0.17 s
# (tests/web/test_users.py checks the production default).
os.environ["HIZONE_PASSWORD_PROFILE"] = "CHEAPEST"

from hizone.store import connect, upgrade
from tests.pgserver import PostgresServer

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        admin = connect(server.url())
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE DATABASE hizone_template"))
        template = connect(server.url("hizone_template"))
        upgrade(template)
        template.dispose()
        admin.dispose()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
    engine = connect(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def _fresh_postgres(server: PostgresServer) -> str:
    name = f"t{next(_counter)}"
    admin = connect(server.url())
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE hizone_template"))
    admin.dispose()
    return server.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        target = tmp_path / "hizone.sqlite"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    return _fresh_postgres(request.getfixturevalue("postgres"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres: PostgresServer) -> Iterator[Engine]:
    """A freshly migrated, empty PostgreSQL database, for what only PostgreSQL has (roles, grants)."""
    engine = connect(_fresh_postgres(postgres))
    yield engine
    engine.dispose()


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the items
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup`` (the Makefile) tests go to whichever worker is free, one by one, except that a
    module's tests sharing a module-scoped fixture stay on one worker, so it is built once."""
    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        if fixtures is not None and any(defs[-1].scope == "module" for defs in fixtures.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__ if item.module else item.nodeid))
