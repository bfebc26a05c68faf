"""Ad-hoc SQL over the analytic file: one SELECT, read-only, no file or network access, bounded."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import duckdb
import pytest

from hizone.analytics.sql import SqlLimits, SqlRefused, run_select, tables
from hizone.errors import HizoneError

LIMITS = SqlLimits(row_limit=100, timeout_seconds=5)
# A cross join of 10^16 rows: DuckDB stays at it far longer than any timeout here.
SLOW = "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range + b.range = 7"


@pytest.fixture(scope="module")
def analytic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sql") / "analytics.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE zone AS SELECT * FROM (VALUES ('Z1101', '中关村'), ('Z4401', '广州'), ('Z3101', '张江')) "
                "t(code, name_zh)")
    con.close()
    return path


def test_a_select_returns_its_rows_and_columns(analytic_file: Path) -> None:
    result = run_select(analytic_file, "SELECT code, name_zh AS name FROM zone ORDER BY code", LIMITS)
    assert result.columns == ("code", "name")
    assert result.rows == [("Z1101", "中关村"), ("Z3101", "张江"), ("Z4401", "广州")]
    assert not result.truncated
    with_cte = run_select(analytic_file, "WITH z AS (FROM zone) SELECT count(*) AS n FROM z;", LIMITS)
    assert with_cte.rows == [(3,)]


def test_the_row_limit_cuts_and_says_so(analytic_file: Path) -> None:
    result = run_select(analytic_file, "SELECT * FROM range(10)", SqlLimits(row_limit=4, timeout_seconds=5))
    assert result.rows == [(0,), (1,), (2,), (3,)] and result.truncated


@pytest.mark.parametrize(("sql", "reason"), [
    ("SELECT 1; SELECT 2", "2 statements: only one SELECT at a time"),
    ("", "no statement"),
    ("DELETE FROM zone", "only SELECT is allowed, not DELETE"),
    ("CREATE TABLE t AS SELECT 1", "only SELECT is allowed, not CREATE"),
    ("COPY zone TO '/tmp/hizone-sql-copy.csv'", "only SELECT is allowed, not COPY"),
    ("ATTACH '/tmp/hizone-sql-other.duckdb' AS other", "only SELECT is allowed, not ATTACH"),
    ("INSTALL httpfs", "only SELECT is allowed, not INSTALL"),
    ("LOAD httpfs", "only SELECT is allowed, not LOAD"),
    ("SET enable_external_access = true", "only SELECT is allowed, not SET"),
    ("PRAGMA database_list", "only SELECT is allowed, not PRAGMA"),
    ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"),
    ("SELECT * FROM read_parquet('/tmp/any.parquet')", "file system operations are disabled"),
    ("SELECT * FROM read_text('/etc/hostname')", "file system operations are disabled"),
    ("SELECT * FROM glob('/etc/*')", "file system operations are disabled"),
    ("SELECT * FROM read_json('https://example.org/x.json')", "file system operations are disabled"),
    ("SELECT * FROM sqlite_scan('/tmp/x.sqlite', 't')", "sqlite_scan"),  # an extension, never loaded
    ("SELEC 1", "syntax error"),
    ("SELECT * FROM nowhere", "nowhere does not exist"),
])
def test_refused_with_one_line(analytic_file: Path, sql: str, reason: str) -> None:
    with pytest.raises(SqlRefused) as refused:
        run_select(analytic_file, sql, LIMITS)
    assert reason in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_file_is_read_only_and_unchanged(analytic_file: Path, tmp_path: Path) -> None:
    copy = tmp_path / "analytics.duckdb"
    shutil.copy(analytic_file, copy)
    before = copy.read_bytes()
    for sql in ("SELECT * FROM zone", "DROP TABLE zone", "SELECT nextval('nope')"):
        with contextlib.suppress(SqlRefused):
            run_select(copy, sql, LIMITS)
    assert copy.read_bytes() == before
    assert not Path("/tmp/hizone-sql-copy.csv").exists()


def test_a_slow_query_is_stopped_at_the_timeout(analytic_file: Path) -> None:
    with pytest.raises(SqlRefused, match=r"ran longer than 0\.3 s and was stopped"):
        run_select(analytic_file, SLOW, SqlLimits(row_limit=10, timeout_seconds=0.3))
    assert run_select(analytic_file, "SELECT 1", LIMITS).rows == [(1,)]  # the next query runs as usual


def test_no_file_yet_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SqlRefused, match="no analytics yet: run `hizone build` first"):
        run_select(tmp_path / "missing.duckdb", "SELECT 1", LIMITS)
    assert tables(tmp_path / "missing.duckdb") == []


@pytest.mark.parametrize(("value", "message"), [("0", "not a positive whole number"), ("ten", "not a positive")])
def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv("HIZONE_SQL_ROW_LIMIT", "250")
    monkeypatch.setenv("HIZONE_SQL_TIMEOUT_S", "2.5")
    assert SqlLimits.from_env() == SqlLimits(250, 2.5)
    monkeypatch.setenv("HIZONE_SQL_ROW_LIMIT", value)
    with pytest.raises(HizoneError, match=f"HIZONE_SQL_ROW_LIMIT: '{value}' is {message}"):
        SqlLimits.from_env()
