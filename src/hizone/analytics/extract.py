"""Reading the store for the analytic build as a stream of Arrow record batches that DuckDB consumes.

A SQLite file is read by the ADBC SQLite driver, which builds the Arrow arrays in C (no Python object per
value: the difference between ~1 s and ~6 s for a million submissions). The driver brings its own copy of
the SQLite library, and two copies in one process break each other's file locks (SQLite's documented
hazard: stale reads, "disk I/O error"), so it runs in a child process that streams Arrow IPC through a
pipe; it also reads while DuckDB parses. Other stores (PostgreSQL), or SQLite when the driver is not
installed, go through the plain DB-API cursor: ``fetchmany`` tuples become Arrow arrays column by column,
with no ORM rows, in a thread of its own so reading overlaps DuckDB's work (which releases the GIL).

The ADBC driver types each column from its first rows, so nullable text must be selected as non-null
text (``coalesce(x, '')``) and turned back into NULL in DuckDB.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from queue import Empty, Full, Queue
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine
from sqlalchemy.sql import ClauseElement

from hizone.errors import StoreError
from hizone.store.values import binary_array

# An accelerator, looked up but never imported here (only the child process loads its SQLite library);
# without it the DB-API path reads SQLite too, only slower.
ADBC_SQLITE = importlib.util.find_spec("adbc_driver_sqlite") is not None

BATCH_ROWS = 50_000
PREFETCH = 3  # batches read ahead of DuckDB


def statement_sql(engine: Engine, stmt: ClauseElement) -> str:
    """``stmt`` as plain SQL for ``engine``'s driver; literals are our own codes, periods and states."""
    return str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))


def record_batches(engine: Engine, stmt: ClauseElement, schema: pa.Schema,
                   batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The rows of ``stmt`` as record batches of ``schema`` (one field per selected column, in order)."""
    sql = statement_sql(engine, stmt)
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            # A server-side cursor: the client holds one batch, not the whole result.
            cursor = raw.driver_connection.cursor(name="hizone_analytics_build")  # type: ignore[union-attr]
        else:
            cursor = raw.cursor()
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(batch_rows):
                columns = list(zip(*rows, strict=True))
                yield pa.record_batch([_arrow_column(column, fld.type) for column, fld in
                                       zip(columns, schema, strict=True)], schema=schema)
        except engine.dialect.loaded_dbapi.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"reading the store failed: {reason}",
                             where=engine.url.render_as_string(hide_password=True)) from None
        finally:
            cursor.close()
    finally:
        raw.close()


def _arrow_column(values: Sequence[Any], arrow_type: pa.DataType) -> pa.Array:
    if pa.types.is_binary(arrow_type) and all(v is not None for v in values):
        return binary_array(values)  # packed values: joined at once, not one Arrow append a row
    return pa.array(values, type=arrow_type)


class _Done:
    pass


def prefetched(produce: Callable[[], Iterator[pa.RecordBatch]], depth: int = PREFETCH
               ) -> Generator[pa.RecordBatch, None, None]:
    """The items of ``produce()``, made in a thread up to ``depth`` ahead of the consumer.

    An error in the thread is raised here; a consumer that stops early stops the thread.
    """
    queue: Queue[pa.RecordBatch | BaseException | _Done] = Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: pa.RecordBatch | BaseException | _Done) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.05)
                return True
            except Full:
                continue
        return False

    def run() -> None:
        try:
            for item in produce():
                if not offer(item):
                    return
            offer(_Done())
        except BaseException as exc:  # handed to the consumer, which raises it
            offer(exc)

    thread = threading.Thread(target=run, name="hizone-analytics-read", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = queue.get(timeout=0.05)
            except Empty:
                if not thread.is_alive() and queue.empty():
                    raise RuntimeError("the store reader stopped without finishing") from None
                continue
            if isinstance(item, _Done):
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


class StoreStream:
    """The rows of ``stmt`` as a record-batch stream of ``schema``; ``stmt`` labels its columns with the
    schema's field names, in order.

    Creating it starts the reading (the SQLite child process starts up meanwhile); ``with stream as
    reader`` hands the reader over and closes everything at the end of the block. Call :meth:`close`
    instead if the stream is never entered. ``small``: few rows expected, read in this process (the child's
    start-up would cost more than it saves).
    """

    def __init__(self, engine: Engine, stmt: ClauseElement, schema: pa.Schema, batch_rows: int = BATCH_ROWS,
                 small: bool = False) -> None:
        self.schema = schema
        self.database = engine.url.database or "" if engine.dialect.name == "sqlite" else ""
        self.child: subprocess.Popen[bytes] | None = None
        self.batches: Generator[pa.RecordBatch, None, None] | None = None
        if ADBC_SQLITE and not small and self.database not in ("", ":memory:") and \
                not self.database.startswith("file:"):
            self.child = subprocess.Popen(
                [sys.executable, "-m", "hizone.analytics.sqlite_child", self.database, statement_sql(engine, stmt),
                 str(batch_rows)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        else:
            self.batches = prefetched(lambda: record_batches(engine, stmt, schema, batch_rows))

    def __enter__(self) -> pa.RecordBatchReader:
        if self.batches is not None:
            return pa.RecordBatchReader.from_batches(self.schema, self.batches)
        assert self.child is not None and self.child.stdout is not None
        try:
            self.reader: pa.RecordBatchReader | None = pa.ipc.open_stream(self.child.stdout)
        except pa.ArrowInvalid:  # the child failed before writing: its message says why
            self.reader = None
            self.close(check=True)
            raise StoreError("reading the store failed: no result", where=self.database) from None
        try:
            return self.reader.cast(self.schema)
        except (pa.ArrowTypeError, pa.ArrowNotImplementedError):
            # The driver types every column of an empty result as an integer; nothing else may differ.
            if self.reader.read_all().num_rows:
                raise
            return pa.RecordBatchReader.from_batches(self.schema, [])

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None and self.child is not None and self.reader is not None:
            self.reader.read_all()  # drain what the consumer left, so the child can finish
        self.close(check=kind is None)

    def close(self, check: bool = False) -> None:
        if self.batches is not None:
            self.batches.close()
            return
        child = self.child
        if child is None or child.stdout is None or child.stderr is None:
            return
        child.stdout.close()  # a child still writing (the consumer failed) stops on the closed pipe
        error = child.stderr.read().decode(errors="replace").strip()
        child.stderr.close()
        if child.wait() != 0 and check:
            last = error.splitlines()[-1] if error else f"exit code {child.returncode}"
            raise StoreError(f"reading the store failed: {last}", where=self.database)
