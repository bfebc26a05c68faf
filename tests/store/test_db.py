from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, select

from hizone.errors import StoreError
from hizone.store import connect, downgrade, open_store, session_scope, upgrade
from hizone.store.models import Province


def test_migrations_create_every_table_and_are_idempotent(engine: Engine) -> None:
    upgrade(engine)  # a second run must change nothing
    tables = set(inspect(engine).get_table_names())
    assert {"province", "zone", "enterprise", "qualification", "incubator", "import_batch", "submission",
            "audit_log", "app_user", "dataset_info", "alembic_version"} <= tables


def test_a_failed_transaction_leaves_nothing_behind(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(Province(code="11", name_zh="北京市", name_en="Beijing", region="east"))
        session.flush()
        raise RuntimeError("abort the import")
    with session_scope(engine) as session:
        assert session.scalars(select(Province)).all() == []


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
    with pytest.raises(StoreError, match=r"schema is at 0005 but this hizone needs 0006: run `hizone db upgrade`"):
        open_store(url)
    upgrade(engine)
