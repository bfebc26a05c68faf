"""Reading the store as Arrow: the ADBC child process and the DB-API cursor give the same rows; errors surface."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest
from sqlalchemy import Engine, column, select, table
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from hizone.analytics import extract
from hizone.analytics.build import SUBMISSION_SCHEMA, _submissions
from hizone.errors import StoreError
from hizone.store.models import Submission
from tests.analytics.fixture import ANNUAL, CODES, populate


def read(stream: extract.StoreStream) -> pa.Table:
    with stream as reader:
        return reader.read_all()


def test_submissions_arrive_with_their_packed_values_on_either_reader(engine: Engine,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    populate(engine)
    fast = read(_submissions(engine, "enterprise_annual", None, None)).sort_by("_id")
    assert fast.schema == SUBMISSION_SCHEMA
    assert fast.num_rows == len(ANNUAL)
    assert sorted(fast.column("_period").to_pylist()) == sorted(row[2] for row in ANNUAL)
    with Session(engine) as session:
        layouts = {s.batch_id: s.batch.layout for s in session.scalars(select(Submission))}
    given = {(CODES[name], period, revision): values for name, _, period, revision, _, values in ANNUAL}
    for row in fast.to_pylist():
        assert layouts[row["_batch"]].unpack(row["_packed"]) == given[(row["_entity"], row["_period"],
                                                                       row["_revision"])]
    monkeypatch.setattr(extract, "ADBC_SQLITE", False)  # the DB-API cursor, also on SQLite
    plain = read(_submissions(engine, "enterprise_annual", ["2023"], None)).sort_by("_id")
    assert plain.num_rows == sum(1 for row in ANNUAL if row[2] == "2023")
    assert plain.to_pylist() == fast.filter(pa.compute.equal(fast.column("_period"), "2023")).to_pylist()


def test_a_failing_store_query_is_a_store_error(engine: Engine) -> None:
    stmt: ClauseElement = select(column("x").label("x")).select_from(table("no_such_table"))
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
