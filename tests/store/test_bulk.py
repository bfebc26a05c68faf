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
    func,
    select,
)
from sqlalchemy.exc import IntegrityError

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


def test_parts_of_one_insert_come_back_in_order_and_other_statements_run_between_them(engine: Engine) -> None:
    """ColumnCopy: on PostgreSQL the parts go into one COPY, ended before any other statement
    (``close``); parts whose columns differ start a new one. The rows read back are the parts' own."""
    with engine.begin() as conn:
        METADATA.create_all(conn)
        with bulk.ColumnCopy(conn, SAMPLE) as copy:
            assert copy.add({"kind": "p1", "word": pa.array(["a", "b"]), "number": pa.array([1, 2])}, 2) == 2
            assert copy.add({"kind": "p2", "word": pa.array(["c"]), "number": None}, 1) == 1
            copy.close()
            # the connection takes statements again, and sees the rows of the parts so far
            assert conn.execute(select(func.count()).select_from(SAMPLE)).scalar_one() == 3
            copy.add({"kind": "p3", "word": pa.array(["d", "e"]), "number": pa.array([4, None])}, 2)
            copy.add({"kind": "p4", "number": pa.array([6])}, 1)  # other columns: another COPY
        assert copy.add({"kind": "p5", "word": pa.array([]), "number": None}, 0) == 0
    assert [row[:3] for row in _read(engine)] == [("p1", "a", 1), ("p1", "b", 2), ("p2", "c", None),
                                                  ("p3", "d", 4), ("p3", "e", None), ("p4", None, 6)]


def test_a_failure_between_parts_rolls_back_every_part_and_leaves_the_connection_usable(engine: Engine) -> None:
    """Leaving the block with an error cancels the open COPY: the transaction rolls back (no hang on the
    driver's lock) and the same pooled connection serves the next transaction."""
    with engine.begin() as conn:
        METADATA.create_all(conn)
    with pytest.raises(RuntimeError, match="the second part"), engine.begin() as conn, \
            bulk.ColumnCopy(conn, SAMPLE) as copy:
        copy.add({"kind": "k", "word": pa.array(["a", "b"])}, 2)
        raise RuntimeError("the second part could not be made")
    with engine.begin() as conn:
        insert_columns(conn, SAMPLE, {"kind": "after", "word": pa.array(["z"])}, 1)
    assert [row[:2] for row in _read(engine)] == [("after", "z")]


def test_a_constraint_broken_in_a_later_part_fails_the_insert_and_keeps_nothing(engine: Engine) -> None:
    """A duplicate key in the second part: the database refuses it (on PostgreSQL when the COPY ends, at
    ``close``) with SQLAlchemy's IntegrityError, as any statement, and the first part goes with the rollback."""
    with engine.begin() as conn:
        METADATA.create_all(conn)
    with pytest.raises(IntegrityError), engine.begin() as conn, \
            bulk.ColumnCopy(conn, SAMPLE) as copy:
        copy.add({"id": pa.array([1, 2]), "kind": "k"}, 2)
        copy.add({"id": pa.array([3, 1]), "kind": "k"}, 2)
        copy.close()
    assert _read(engine) == []
