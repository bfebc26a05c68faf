"""Engines and sessions for the embedded default (SQLite, WAL) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from hizone.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
# Connections an engine keeps open: one for each of the web server's route threads (web/app.py) and a few for
# its background work. A smaller pool opens and closes an overflow connection per request under load.
POOL_SIZE = 24
POOL_OVERFLOW = 8
PING_AFTER_IDLE = 10.0  # seconds a pooled PostgreSQL connection may lie idle and be handed out unchecked


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # 16 KiB pages for a new store (an existing one keeps its own): a 200,000-row import writes 15% faster.
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL, not WAL's usual NORMAL: an import reported stored must survive a power failure, so every commit
    # syncs the log (NORMAL syncs only at checkpoints and may lose the last commits).
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Up to 64 MiB of page cache (the default is 2 MiB): a 200,000-row import keeps its index pages in
    # memory instead of spilling them mid-transaction (measured: a quarter of the insert time).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before handing it out only when it has lain idle for PING_AFTER_IDLE seconds
    (SQLAlchemy's pool_pre_ping checks on every checkout: a round trip to the server, a third of those a busy
    page makes). A connection found dead is replaced, as pre_ping does; one that breaks while in use (the
    server restarted within the window) fails its statement, and the pool then replaces all of that age."""

    def remember(_dbapi_connection: Any, record: ConnectionPoolEntry, *_args: Any) -> None:
        record.info["released"] = time.monotonic()

    def ping(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("released", 0.0) < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(str(exc)) from exc

    event.listen(engine, "connect", remember)
    event.listen(engine, "checkin", remember)
    event.listen(engine, "checkout", ping)


def connect(url: str) -> Engine:
    """An engine for ``url`` that has answered a first query; a StoreError names the URL otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL ({exc})", where="HIZONE_DATABASE_URL") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        memory = not parsed.database or parsed.database == ":memory:"
        engine = create_engine(parsed) if memory else create_engine(parsed, pool_size=POOL_SIZE,
                                                                    max_overflow=POOL_OVERFLOW)
        event.listen(engine, "connect", _sqlite_pragmas)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(parsed.set(drivername="postgresql+psycopg"), pool_size=POOL_SIZE,
                               max_overflow=POOL_OVERFLOW)
        _ping_when_idle(engine)
    else:
        raise StoreError(f"unsupported database '{parsed.get_backend_name()}' (use sqlite or postgresql)",
                         where=shown)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot connect: {reason}", where=shown) from None
    return engine


def read_connection(engine: Engine) -> Connection:
    """A connection for a few one-statement reads that every request makes (its session, the data version):
    on PostgreSQL in autocommit, so the server gets no BEGIN before them nor ROLLBACK after, two of each read's
    three round trips (SQLite's driver opens no transaction for a read anyway, and switching it costs a
    statement). Use it as ``with read_connection(engine) as conn:``; it writes nothing."""
    conn = engine.connect()
    return conn.execution_options(isolation_level="AUTOCOMMIT") if conn.dialect.name == "postgresql" else conn


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    command.upgrade(_alembic_config(engine), revision)


def open_store(url: str) -> Engine:
    """:func:`connect`, refusing a store whose schema is not the one this hizone was written for (an old
    store would otherwise fail query by query)."""
    engine = connect(url)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    if current != head:
        shown = engine.url.render_as_string(hide_password=True)
        engine.dispose()
        raise StoreError(f"the store's schema is at {current or 'nothing (an empty store)'} but this hizone needs "
                         f"{head}: run `hizone db upgrade`", where=shown)
    return engine


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision``, converting the data each migration changed."""
    command.downgrade(_alembic_config(engine), revision)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed if the block succeeds, rolled back otherwise."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


@contextmanager
def bulk_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a large write: committed if the block succeeds, rolled back otherwise.

    On SQLite the commit does not wait for the checkpoint, which copies the write-ahead log into the
    database file (0.3 s per 200,000 submissions): a background thread runs it right after. The rows are
    committed either way, and readers find them in the log until then.
    """
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            driver.execute("PRAGMA wal_autocheckpoint=0")  # type: ignore[union-attr]
        try:
            with conn.begin():
                yield conn
        finally:
            if sqlite:
                driver.execute("PRAGMA wal_autocheckpoint=1000")  # type: ignore[union-attr]
    if sqlite:
        threading.Thread(target=_checkpoint, args=(engine,), name="hizone-checkpoint", daemon=True).start()


def _checkpoint(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
    except (SQLAlchemyError, sqlite3.Error):
        pass  # best effort: the next commit or the last connection's close checkpoints anyway
