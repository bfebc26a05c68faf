"""Fast bulk inserts: executemany on SQLite, COPY on PostgreSQL. Rows are tuples in column order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection


def bulk_insert(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` into ``table`` inside the caller's transaction; returns the row count."""
    names = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    raw = conn.connection.driver_connection
    count = 0
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    marks = ", ".join("?" for _ in columns)
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        batch: list[Sequence[Any]] = []
        for row in _sqlite_values(rows):
            batch.append(row)
            if len(batch) == 20_000:
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)
            count += len(batch)
    finally:
        cursor.close()
    return count


def _sqlite_text(value: Any) -> Any:
    # The text forms SQLAlchemy itself stores for Date and DateTime columns on SQLite.
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _sqlite_values(rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    temporal: list[int] | None = None
    for row in rows:
        if temporal is None:
            temporal = [i for i, v in enumerate(row) if isinstance(v, dt.date)]
        if temporal:
            row = list(row)
            for i in temporal:
                row[i] = _sqlite_text(row[i])
        yield row
