"""Ad-hoc SQL over the analytic tables, for national analysts: one SELECT, read-only, bounded.

The statement is parsed by DuckDB's own parser and refused unless it is exactly one SELECT (COPY,
ATTACH, INSTALL, LOAD, SET, PRAGMA, writes and every other statement type are other types). It runs on a
fresh in-memory DuckDB that attaches the analytics file READ_ONLY and then disables external access
(``enable_external_access = false``: no read_csv, read_parquet, glob, HTTP or other file access) and
locks its configuration, so a query can neither reach a file nor switch that back on; extensions are
never installed or loaded. An in-memory database of its own, rather than ``duckdb.connect(file)``,
keeps these settings off the connections the rest of the process opens on the same file. The rows stop
at a limit, a timer interrupts the connection after the timeout, and DuckDB's memory is capped. Any
failure is one line (a HizoneError), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from hizone.analytics.query import attach_read_only
from hizone.analytics.schema_doc import Table, describe
from hizone.errors import HizoneError

MAX_SQL_CHARS = 20_000
_CONFIG = {"autoload_known_extensions": False, "autoinstall_known_extensions": False,
           "allow_community_extensions": False, "threads": 2, "memory_limit": "1GB"}


class SqlRefused(HizoneError):
    """A statement the SQL page does not run, or one that failed: the reason in one line."""


@dataclass(frozen=True)
class SqlLimits:
    """HIZONE_SQL_ROW_LIMIT rows at most (the page and its exports), HIZONE_SQL_TIMEOUT_S seconds at most."""

    row_limit: int = 5_000
    timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls) -> SqlLimits:
        return cls(_positive("HIZONE_SQL_ROW_LIMIT", cls.row_limit, int),
                   _positive("HIZONE_SQL_TIMEOUT_S", cls.timeout_seconds, float))


def _positive(name: str, default: Any, kind: type) -> Any:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not value > 0:
        raise HizoneError(f"'{raw}' is not a positive {'whole ' if kind is int else ''}number", where=name)
    return value


@dataclass(frozen=True)
class SqlResult:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool  # the statement had more rows than the limit


def checked_select(sql: str) -> str:
    """The one SELECT statement of ``sql``; SqlRefused says why otherwise."""
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"the statement has {len(sql):,} characters; at most {MAX_SQL_CHARS:,}", where="sql")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlRefused(_first_line(exc), where="sql") from None
    if not statements:
        raise SqlRefused("no statement: write one SELECT", where="sql")
    if len(statements) > 1:
        raise SqlRefused(f"{len(statements)} statements: only one SELECT at a time", where="sql")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        # Named by its first word: INSTALL parses as a LOAD statement, and the user wrote INSTALL.
        words = statement.query.split(None, 1)
        raise SqlRefused(f"only SELECT is allowed, not {words[0].upper() if words else statement.type.name}",
                         where="sql")
    return sql


def run_select(path: Path, sql: str, limits: SqlLimits) -> SqlResult:
    """Rows of the single SELECT ``sql`` over the analytics file at ``path``, at most ``limits.row_limit``."""
    statement = checked_select(sql)
    if not path.exists():
        raise SqlRefused("no analytics yet: run `hizone build` first", where=str(path))
    con = _read_only_connection(path)
    timer = threading.Timer(limits.timeout_seconds, con.interrupt)
    timer.daemon = True
    try:
        timer.start()
        try:
            cursor = con.execute(statement)
            columns = tuple(d[0] for d in cursor.description or ())
            rows = cursor.fetchmany(limits.row_limit + 1)
        except duckdb.InterruptException:
            raise SqlRefused(f"the query ran longer than {limits.timeout_seconds:g} s and was stopped: narrow it "
                             "(a WHERE, fewer joins, an aggregate)", where="sql") from None
        except duckdb.Error as exc:
            raise SqlRefused(_first_line(exc), where="sql") from None
    finally:
        timer.cancel()
        con.close()
    return SqlResult(columns, [tuple(_plain(v) for v in row) for row in rows[:limits.row_limit]],
                     len(rows) > limits.row_limit)


def tables(path: Path) -> list[Table]:
    """The tables and columns a query can read, with their words (none before the first build)."""
    if not path.exists():
        return []
    con = _read_only_connection(path)
    try:
        return describe(con, strict=False)
    finally:
        con.close()


def _read_only_connection(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        con = attach_read_only(path, _CONFIG)
    except duckdb.Error as exc:
        raise SqlRefused(f"cannot open the analytics file ({_first_line(exc)}): try again when `hizone build` "
                         "has finished", where=str(path)) from None
    con.execute("USE analytics")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _plain(value: Any) -> Any:
    """Numbers stay numbers and text text; anything else (dates, decimals, lists, structs) as its text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
