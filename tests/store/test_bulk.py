"""Column inserts on both databases: every value comes back as given, across statement boundaries."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    select,
)

from hizone.store import bulk
from hizone.store.bulk import insert_columns

METADATA = MetaData()
SAMPLE = Table("bulk_sample", METADATA, Column("id", Integer, primary_key=True), Column("kind", String(16)),
               Column("word", String(64)), Column("number", BigInteger), Column("payload", LargeBinary),
               Column("fixed", LargeBinary), Column("at", DateTime(timezone=True)), Column("flag", Boolean),
               Column("day", Date))


def _read(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(SAMPLE.c.kind, SAMPLE.c.word, SAMPLE.c.number, SAMPLE.c.payload,
                                   SAMPLE.c.fixed).order_by(SAMPLE.c.id)).all()
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


def test_strings_integers_and_bytes_of_any_length_with_nulls_round_trip(engine: Engine,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "_SQLITE_ROWS_PER_STATEMENT", 4)  # several statements, one row cut at a boundary
    words = ["企业甲", "", None, "it's \"quoted\"\tand\nsplit\\", "a" * 64, "Z1101", "x", "末"]
    numbers = [0, -7, None, 2**40, 12, 1, -1, 99]
    payloads = [b"", b"\x00\x01", None, bytes(range(256))[:60], b"'", b"\\x", b"\n\t", b"z"]
    fixed = [bytes([i]) * 8 for i in range(8)]
    with engine.begin() as conn:
        METADATA.create_all(conn)
        count = insert_columns(conn, SAMPLE, {
            "kind": "const's", "word": pa.array(words, pa.string()), "number": pa.array(numbers, pa.int64()),
            "payload": pa.array(payloads, pa.binary()), "fixed": pa.array(fixed, pa.binary())}, len(words))
    assert count == 8
    assert _read(engine) == [("const's", w, n, p, f) for w, n, p, f in zip(words, numbers, payloads, fixed,
                                                                           strict=True)]


def test_a_sliced_chunked_array_inserts_its_own_rows(engine: Engine) -> None:
    words = pa.chunked_array([pa.array(["a", "bb"]), pa.array(["ccc", "dddd", "eeeee"]).slice(1)])
    with engine.begin() as conn:
        METADATA.create_all(conn)
        insert_columns(conn, SAMPLE, {"kind": "k", "word": words, "number": None, "payload": None,
                                             "fixed": None}, 4)
    assert [row[1] for row in _read(engine)] == ["a", "bb", "dddd", "eeeee"]


def test_rows_inserted_in_a_transaction_that_fails_are_not_kept(engine: Engine) -> None:
    with engine.begin() as conn:
        METADATA.create_all(conn)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        insert_columns(conn, SAMPLE, {"kind": "k", "word": pa.array(["a", "b"]), "number": None,
                                             "payload": None, "fixed": None}, 2)
        raise RuntimeError("the import failed after its rows were written")
    assert _read(engine) == []


def test_times_and_flags_keep_their_meaning(engine: Engine) -> None:
    at = dt.datetime(2024, 6, 30, 23, 59, 58, 123456, tzinfo=dt.UTC)
    with engine.begin() as conn:
        METADATA.create_all(conn)
        insert_columns(conn, SAMPLE, {"kind": "k", "at": at, "flag": pa.array([True, False, None])}, 3)
    with engine.connect() as conn:
        rows = conn.execute(select(SAMPLE.c.at, SAMPLE.c.flag).order_by(SAMPLE.c.id)).all()
    assert [flag for _, flag in rows] == [True, False, None]
    assert {when.replace(tzinfo=when.tzinfo or dt.UTC) for when, _ in rows} == {at}


def test_rows_with_their_own_ids_leave_room_for_the_next_plain_insert(engine: Engine) -> None:
    """COPY with explicit ids does not move PostgreSQL's sequence; bulk_insert must, or the next ORM insert
    collides with row 1 (as it did after the demo load)."""
    with engine.begin() as conn:
        METADATA.create_all(conn)
        bulk.bulk_insert(conn, "bulk_sample", ("id", "kind"), [(1, "a"), (2, "b"), (7, "c")])
    with engine.begin() as conn:
        new_id = conn.execute(SAMPLE.insert().values(kind="d").returning(SAMPLE.c.id)).scalar_one()
    assert new_id == 8


def test_dates_from_arrow_come_back_as_the_same_days(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """date32 columns: ISO text on SQLite, PostgreSQL's days since 2000 in binary COPY (before and after that
    epoch, a leap day, NULLs), across statement boundaries."""
    monkeypatch.setattr(bulk, "_SQLITE_ROWS_PER_STATEMENT", 2)
    days = [dt.date(2024, 2, 29), None, dt.date(1999, 12, 31), dt.date(2000, 1, 1), dt.date(1970, 1, 1),
            dt.date(2016, 5, 1), None]
    with engine.begin() as conn:
        METADATA.create_all(conn)
        insert_columns(conn, SAMPLE, {"kind": "k", "day": pa.array(days, pa.date32()),
                                      "word": pa.array([str(d) for d in days], pa.string())}, len(days))
    with engine.connect() as conn:
        rows = conn.execute(select(SAMPLE.c.day, SAMPLE.c.word).order_by(SAMPLE.c.id)).all()
        later = conn.execute(select(SAMPLE.c.word).where(SAMPLE.c.day > dt.date(2000, 1, 1))).scalars().all()
    assert [day for day, _ in rows] == days
    assert sorted(later) == ["2016-05-01", "2024-02-29"]  # compared as dates by the database


def test_non_negative_integers_of_mixed_widths_with_nulls_round_trip(engine: Engine,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Non-negative integers go to SQLite zero-padded to one width (no offsets), cut across statements."""
    monkeypatch.setattr(bulk, "_SQLITE_ROWS_PER_STATEMENT", 3)
    numbers = [0, 7, None, 12345, 3, 2**40, None, 10]
    with engine.begin() as conn:
        METADATA.create_all(conn)
        insert_columns(conn, SAMPLE, {"kind": "k", "number": pa.array(numbers, pa.int64())}, len(numbers))
    assert [row[2] for row in _read(engine)] == numbers
