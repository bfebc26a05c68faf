"""docs/analytic-tables.md lists every table and column the build writes (it is generated from a build)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from hizone.analytics.build import build
from hizone.analytics.schema_doc import describe, markdown
from hizone.errors import HizoneError
from hizone.store import connect
from tests.analytics.fixture import populate

DOC = Path(__file__).resolve().parents[2] / "docs" / "analytic-tables.md"


@pytest.fixture(scope="module")
def built(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture store (both forms, qualifications, pending revisions) built once, on SQLite: the tables
    do not depend on the store."""
    folder = tmp_path_factory.mktemp("schema-doc")
    shutil.copy(sqlite_template, folder / "store.sqlite")
    engine = connect(f"sqlite:///{folder / 'store.sqlite'}")
    populate(engine)
    build(engine, folder / "analytics.duckdb")
    engine.dispose()
    return folder / "analytics.duckdb"


def test_the_doc_is_what_the_build_writes(built: Path) -> None:
    con = duckdb.connect(str(built), read_only=True)
    try:
        tables = describe(con)
        written = {(t, c) for t, c in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                                 "WHERE table_schema = 'main'").fetchall()}
    finally:
        con.close()
    assert DOC.read_text(encoding="utf-8") == markdown(tables), (
        "docs/analytic-tables.md is stale: `hizone demo && hizone build`, then "
        "`python -m hizone.analytics.schema_doc var/analytics.duckdb > docs/analytic-tables.md`")
    documented = DOC.read_text(encoding="utf-8")
    for table, column in written:
        assert f"## {table}\n" in documented and f"| `{column}` |" in documented
    assert {t.name for t in tables} >= {"indicator_value", "zone", "enterprise_annual__annual__published",
                                        "zone_monthly__month__provisional"}


def test_a_column_the_doc_does_not_describe_is_refused(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "analytics.duckdb"
    shutil.copy(built, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("ALTER TABLE zone ADD COLUMN mystery INTEGER")
        with pytest.raises(HizoneError, match="column mystery of table zone is not described"):
            describe(con)
        con.execute("CREATE TABLE scratch (x INTEGER)")
        con.execute("ALTER TABLE zone DROP COLUMN mystery")
        with pytest.raises(HizoneError, match="table scratch is not described"):
            describe(con)
    finally:
        con.close()
