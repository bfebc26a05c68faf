from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from hizone.errors import StoreError
from hizone.store import bulk_transaction, connect, db, downgrade, open_store, session_scope, upgrade
from hizone.store.db import MIGRATIONS
from hizone.store.models import Province


def test_migrations_create_every_table_and_are_idempotent(engine: Engine) -> None:
    upgrade(engine)  # a second run must change nothing
    tables = set(inspect(engine).get_table_names())
    assert {"province", "zone", "enterprise", "qualification", "incubator", "import_batch", "submission",
            "audit_log", "change_event", "app_user", "dataset_info", "alembic_version"} <= tables


def test_a_failed_transaction_leaves_nothing_behind(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(Province(code="11", name_zh="北京市", name_en="Beijing", region="east"))
        session.flush()
        raise RuntimeError("abort the import")
    with session_scope(engine) as session:
        assert session.scalars(select(Province)).all() == []


def _province(code: str) -> dict[str, str]:
    return {"code": code, "name_zh": code, "name_en": code, "region": "east"}


def test_a_bulk_transaction_commits_all_or_nothing(engine: Engine) -> None:
    with pytest.raises(RuntimeError), bulk_transaction(engine) as conn:
        conn.execute(insert(Province), [_province("11")])
        raise RuntimeError("abort the import")
    with bulk_transaction(engine) as conn:
        conn.execute(insert(Province), [_province("12"), _province("13")])
    with session_scope(engine) as session:
        assert session.scalars(select(Province.code).order_by(Province.code)).all() == ["12", "13"]


def test_sqlite_copies_a_bulk_write_into_the_database_file_after_the_commit(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    engine = connect(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.stat().st_size
    with bulk_transaction(engine) as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0  # the commit will not copy
        conn.execute(insert(Province), [_province(f"{i:04d}") | {"name_zh": "省" * 300} for i in range(500)])
    for thread in threading.enumerate():
        if thread.name == "hizone-checkpoint":
            thread.join()
    assert path.stat().st_size > before + 300_000  # the background checkpoint wrote the rows' pages
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000  # the pool's default again
        assert conn.execute(text("SELECT count(*) FROM province")).scalar() == 500
    engine.dispose()


def test_a_new_sqlite_store_has_16_kib_pages(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'new.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 16384
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_unreachable_postgres_is_one_clear_line() -> None:
    with pytest.raises(StoreError) as caught:
        connect("postgresql://nobody:secret@127.0.0.1:1/none")
    message = str(caught.value)
    assert message.startswith("postgresql://nobody:***@127.0.0.1:1/none: cannot connect")
    assert "secret" not in message and "\n" not in message


@pytest.mark.parametrize(("url", "reason"), [("nonsense", "not a database URL"),
                                             ("mysql://u@h/db", "unsupported database 'mysql'")])
def test_bad_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(StoreError, match=reason):
        connect(url)


def test_a_store_on_an_older_schema_is_refused_with_the_command_that_fixes_it(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    open_store(url).dispose()  # at head: opens
    downgrade(engine, "0005")
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with pytest.raises(StoreError, match=rf"schema is at 0005 but this hizone needs {head}: run `hizone db upgrade`"):
        open_store(url)
    upgrade(engine)



def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _end_backend(engine: Engine, pid: int) -> None:
    """End a server process from outside ``engine``'s pool (as a restart or a DBA would)."""
    outside = connect(engine.url.render_as_string(hide_password=False))
    with outside.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    outside.dispose()


def test_a_pooled_postgres_connection_that_died_while_idle_is_replaced_unseen(
        postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection idle for longer than PING_AFTER_IDLE is checked before use: one whose server process ended
    is replaced, and the caller gets a working connection."""
    first = _backend(postgres_engine)
    assert _backend(postgres_engine) == first  # the pool hands back the same connection
    _end_backend(postgres_engine, first)
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)
    assert _backend(postgres_engine) != first


def test_a_busy_postgres_connection_is_not_checked_and_a_dead_one_fails_once(postgres_engine: Engine) -> None:
    """No round trip before each use of a connection used a moment ago: if its server process ended since,
    that one statement fails, and the pool replaces the connection for the next."""
    first = _backend(postgres_engine)
    _end_backend(postgres_engine, first)
    with pytest.raises(DBAPIError) as failed:
        _backend(postgres_engine)
    assert failed.value.connection_invalidated
    assert _backend(postgres_engine) != first
