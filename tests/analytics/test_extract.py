"""Reading the store as Arrow: the concatenated SQLite reading and the DB-API cursor give the same rows, in
chunks or whole; values that cannot travel joined are refused; errors surface."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Engine, Select, column, literal, null, select, table
from sqlalchemy.orm import Session

from hizone.analytics import extract
from hizone.analytics.build import SUBMISSION_SCHEMA, _layouts, _submissions
from hizone.errors import StoreError
from hizone.store import connect
from hizone.store.models import Submission
from tests.analytics.fixture import ANNUAL, CODES, populate


def read(stream: extract.StoreStream) -> pa.Table:
    with stream as reader:
        return reader.read_all()


def _plain(engine: Engine, stmt: Select[Any], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_batches(list(extract.record_batches(engine, stmt, schema)), schema=schema)


def test_submissions_arrive_with_their_packed_values_on_either_reader(engine: Engine) -> None:
    populate(engine)
    whole = read(_submissions(engine, "enterprise_annual", None, None)).sort_by("_id")
    assert whole.schema == SUBMISSION_SCHEMA
    assert whole.num_rows == len(ANNUAL)
    assert sorted(whole.column("_period").to_pylist()) == sorted(row[2] for row in ANNUAL)
    with Session(engine) as session:
        layouts = {s.batch_id: s.batch.layout for s in session.scalars(select(Submission))}
    given = {(CODES[name], period, revision): values for name, _, period, revision, _, values in ANNUAL}
    for row in whole.to_pylist():
        assert layouts[row["_batch"]].unpack(row["_packed"]) == given[(row["_entity"], row["_period"],
                                                                       row["_revision"])]
    sized = read(_submissions(engine, "enterprise_annual", None, None, _layouts(engine, "enterprise_annual")))
    assert sized.sort_by("_id").to_pylist() == whole.to_pylist()  # lengths from the layouts, not read
    some = read(_submissions(engine, "enterprise_annual", ["2023"], None)).sort_by("_id")
    assert some.num_rows == sum(1 for row in ANNUAL if row[2] == "2023")
    assert some.to_pylist() == whole.filter(pa.compute.equal(whole.column("_period"), "2023")).to_pylist()


def test_chunks_read_in_turn_give_the_rows_of_the_cursor(engine: Engine) -> None:
    populate(engine)
    s = Submission
    stmt = select(s.id.label("_id"), s.entity_key.label("_entity"), s.zone_code.label("_zone"),
                  s.period.label("_period"), s.revision.label("_revision"), s.state.label("_state"),
                  s.batch_id.label("_batch"), s.packed_values.label("_packed"))
    plain = _plain(engine, stmt, SUBMISSION_SCHEMA).sort_by("_id")
    top = plain.num_rows and max(plain.column("_id").to_pylist())
    chunks = [s.id.between(start, start + 2) for start in range(1, top + 1, 3)]  # some of them empty
    chunked = read(extract.StoreStream(engine, stmt, SUBMISSION_SCHEMA, chunks=chunks))
    assert chunked.sort_by("_id").to_pylist() == plain.to_pylist()
    assert chunked.num_rows == plain.num_rows > 10


def test_text_that_cannot_be_joined_is_refused_not_shifted(tmp_path: Path) -> None:
    """The concatenated reading is SQLite's (PostgreSQL keeps the plain cursor), so an SQLite store of its own."""
    engine = connect(f"sqlite:///{tmp_path / 'store.sqlite'}")
    schema = pa.schema([("a", pa.string()), ("b", pa.string())])
    with_separator = select(literal("x\x1fy").label("a"), literal("z").label("b"))
    with pytest.raises(StoreError, match="column a holds a NULL or the separator"):
        read(extract.StoreStream(engine, with_separator, schema))
    blank = select(literal("x").label("a"), null().label("b"))
    with pytest.raises(StoreError, match="column b is NULL"):
        read(extract.StoreStream(engine, blank, schema))
    fine = select(literal("x").label("a"), literal("").label("b")).union_all(
        select(literal("").label("a"), literal("é").label("b")))
    assert read(extract.StoreStream(engine, select(fine.subquery()), schema)).to_pylist() == [
        {"a": "x", "b": ""}, {"a": "", "b": "é"}]


def test_packed_values_that_do_not_fit_their_widths_are_refused(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'store.sqlite'}")
    schema = pa.schema([("k", pa.int64()), ("v", pa.binary())])
    rows = select(literal(1).label("k"), literal(b"12345678").label("v")).union_all(
        select(literal(2).label("k"), literal(b"1234").label("v")))
    stmt = select(rows.subquery())
    assert read(extract.StoreStream(engine, stmt, schema, widths=extract.Widths("v", "k", {1: 8, 2: 4}))
                ).to_pylist() == [{"k": 1, "v": b"12345678"}, {"k": 2, "v": b"1234"}]
    with pytest.raises(StoreError, match="column v does not add up"):
        read(extract.StoreStream(engine, stmt, schema, widths=extract.Widths("v", "k", {1: 8, 2: 8})))
    with pytest.raises(StoreError, match="no width for k 2"):
        read(extract.StoreStream(engine, stmt, schema, widths=extract.Widths("v", "k", {1: 8})))


def test_a_failing_store_query_is_a_store_error(engine: Engine) -> None:
    stmt: Select[Any] = select(column("x").label("x")).select_from(table("no_such_table"))
    with pytest.raises(StoreError, match=r"no_such_table|does not exist"):
        read(extract.StoreStream(engine, stmt, pa.schema([("x", pa.string())])))


def test_prefetched_keeps_order_and_raises_the_readers_error() -> None:
    def numbers() -> Iterator[pa.RecordBatch]:
        for i in range(5):
            yield pa.record_batch([pa.array([i])], names=["n"])
        raise ValueError("store went away")

    seen: list[int] = []
    with pytest.raises(ValueError, match="store went away"):
        for batch in extract.prefetched(numbers, depth=1):
            seen += batch.column(0).to_pylist()
    assert seen == [0, 1, 2, 3, 4]


def test_prefetched_stops_its_thread_when_the_consumer_stops_early() -> None:
    produced: list[int] = []

    def endless() -> Iterator[pa.RecordBatch]:
        i = 0
        while True:
            produced.append(i)
            yield pa.record_batch([pa.array([i])], names=["n"])
            i += 1

    batches = extract.prefetched(endless, depth=2)
    first = next(batches)
    batches.close()
    count = len(produced)
    assert first.column(0).to_pylist() == [0]
    assert count <= 5 and len(produced) == count  # bounded read-ahead, and nothing after the stop
