"""Reading the store for the analytic build as a stream of Arrow record batches that DuckDB consumes.

On SQLite each chunk of rows comes back as *one* row: per column one ``group_concat`` of its values, which
SQLite builds in C and Arrow splits in C, so no Python object is made per value (a million submissions in
about a second, where fetching their rows as tuples takes five). It runs on the SQLite library the store's own
connections use: a second copy of SQLite in the process (an ADBC driver brings one) breaks the other's file
locks (SQLite's documented hazard: stale reads, "disk I/O error"). Text is joined with the unit separator
(U+001F, which no code, period or state holds: a value holding it fails the row count check rather than
shifting the columns), integers with commas, binary values end to end with their lengths beside them.
Other stores (PostgreSQL) go through the plain DB-API cursor: ``fetchmany`` tuples become Arrow arrays column
by column. Either way the reading runs in a thread of its own, ahead of DuckDB's work (both release the GIL).
SQLite's reads take turns (``_SQLITE_TURN``): two threads reading at once on their own connections took twice as
long each as one alone (400,000 submissions: 0.2 s alone, 0.4 s each side by side), so a read side by side gains
nothing and slows the one DuckDB waits for.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from queue import Empty, Full, Queue
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, Select
from sqlalchemy.sql import ClauseElement, ColumnElement

from hizone.errors import StoreError
from hizone.store.values import binary_array

AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"
BATCH_ROWS = 50_000
PREFETCH = 3  # batches read ahead of DuckDB
_TEXT_SEPARATOR = "\x1f"
_SQLITE_TURN = threading.Lock()


def statement_sql(engine: Engine, stmt: ClauseElement) -> str:
    """``stmt`` as plain SQL for ``engine``'s driver; literals are our own codes, periods and states."""
    return str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))


def _failed(engine: Engine, exc: Exception) -> StoreError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(f"reading the store failed: {reason}", where=engine.url.render_as_string(hide_password=True))


def record_batches(engine: Engine, stmt: ClauseElement, schema: pa.Schema,
                   batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The rows of ``stmt`` as record batches of ``schema`` (one field per selected column, in order), through
    the DB-API cursor."""
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
            raise _failed(engine, exc) from None
        finally:
            cursor.close()
    finally:
        raw.close()


def _arrow_column(values: Sequence[Any], arrow_type: pa.DataType) -> pa.Array:
    if pa.types.is_binary(arrow_type) and all(v is not None for v in values):
        return binary_array(values)  # packed values: joined at once, not one Arrow append a row
    return pa.array(values, type=arrow_type)


def looked_up(keys: pa.Array, table: Mapping[int, int], dtype: type[np.generic]) -> np.ndarray:
    """``table[key]`` for each of ``keys``, each distinct key looked up once (KeyError: the first one missing)."""
    found, position = np.unique(keys.to_numpy(), return_inverse=True)
    return np.array([table[int(k)] for k in found.tolist()], dtype=dtype)[position]


@dataclass(frozen=True)
class Widths:
    """The length of each value of the binary field ``field`` follows from the value of the integer field ``key``
    (packed values: from their batch's layout), so the lengths need not travel."""

    field: str
    key: str
    by_key: Mapping[int, int]

    def lengths(self, keys: pa.Array) -> np.ndarray:
        try:
            return looked_up(keys, self.by_key, np.int64)
        except KeyError as exc:
            raise StoreError(f"reading the store failed: no width for {self.key} {exc}",
                             where="analytics build") from None


def _concatenated_sql(sql: str, schema: pa.Schema, widths: Widths | None = None) -> str:
    """One row for all rows of ``sql``: their count, then per field its values joined (binary: lengths, values;
    only the values where ``widths`` gives the lengths)."""
    parts = ["count(*)"]
    for fld in schema:
        name = f'q."{fld.name}"'
        if pa.types.is_binary(fld.type):
            if widths is None or widths.field != fld.name:
                parts.append(f"group_concat(length({name}))")
            parts.append(f"CAST(group_concat({name}, '') AS BLOB)")
        elif pa.types.is_string(fld.type):
            parts.append(f"group_concat({name}, char(31))")
        elif pa.types.is_integer(fld.type):
            parts.append(f"group_concat({name})")
        else:
            raise TypeError(f"no concatenated reading of {fld.type}")
    return f"SELECT {', '.join(parts)} FROM ({sql}) AS q"


def _split(text: str | None, separator: str, rows: int, name: str) -> pa.Array:
    if text is None:  # every value NULL (group_concat skips NULLs)
        raise StoreError(f"reading the store failed: column {name} is NULL", where="analytics build")
    values = pc.split_pattern(pa.array([text], pa.string()), separator).flatten()
    if len(values) != rows:
        raise StoreError(f"reading the store failed: column {name} holds a NULL or the separator U+001F",
                         where="analytics build")
    return values


def _concatenated_batch(row: Sequence[Any], schema: pa.Schema, widths: Widths | None = None) -> pa.RecordBatch:
    rows, values = int(row[0]), iter(row[1:])
    arrays: dict[str, pa.Array] = {}
    fixed: bytes | None = None
    for fld in schema:
        if pa.types.is_binary(fld.type) and widths is not None and widths.field == fld.name:
            fixed = next(values) or b""  # its lengths from the key, once that is read
        elif pa.types.is_binary(fld.type):
            lengths = pc.cast(_split(next(values), ",", rows, fld.name), pa.int64()).to_numpy()
            arrays[fld.name] = _binary(lengths, next(values) or b"", fld.name)
        elif pa.types.is_string(fld.type):
            arrays[fld.name] = _split(next(values), _TEXT_SEPARATOR, rows, fld.name)
        else:
            arrays[fld.name] = pc.cast(_split(next(values), ",", rows, fld.name), fld.type)
    if widths is not None and fixed is not None:
        arrays[widths.field] = _binary(widths.lengths(arrays[widths.key]), fixed, widths.field)
    return pa.record_batch([arrays[fld.name] for fld in schema], schema=schema)


def _binary(lengths: np.ndarray, blob: bytes, name: str) -> pa.Array:
    """Values of ``lengths`` taken end to end from ``blob``; refused unless they add up to it."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] != len(blob) or offsets[-1] >= 2**31:
        raise StoreError(f"reading the store failed: column {name} does not add up", where="analytics build")
    return pa.Array.from_buffers(pa.binary(), len(lengths), [None, pa.py_buffer(offsets.astype(np.int32)),
                                                             pa.py_buffer(blob)])


def concatenated_batches(engine: Engine, stmts: Sequence[ClauseElement], schema: pa.Schema,
                         widths: Widths | None = None) -> Iterator[pa.RecordBatch]:
    """On SQLite: the rows of each statement (a chunk of one query) as one record batch of ``schema``."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            for stmt in stmts:
                with _SQLITE_TURN:
                    row = cursor.execute(_concatenated_sql(statement_sql(engine, stmt), schema, widths)).fetchone()
                if row[0]:
                    yield _concatenated_batch(row, schema, widths)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise _failed(engine, exc) from None
        finally:
            cursor.close()
    finally:
        raw.close()


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

    Creating it starts the reading in a thread; ``with stream as reader`` hands the reader over and closes
    everything at the end of the block. Call :meth:`close` instead if the stream is never entered. ``chunks``:
    conditions that split the rows (e.g. ranges of ids), each read as one batch on SQLite. ``widths``: a binary
    field whose lengths follow from a key (on SQLite they are then not read).
    """

    def __init__(self, engine: Engine, stmt: AnySelect, schema: pa.Schema, batch_rows: int = BATCH_ROWS,
                 chunks: Sequence[ColumnElement[bool]] = (), widths: Widths | None = None) -> None:
        self.schema = schema
        if engine.dialect.name == "sqlite":
            parts = [stmt.where(chunk) for chunk in chunks] or [stmt]
            self.batches = prefetched(functools.partial(concatenated_batches, engine, parts, schema, widths))
        else:
            self.batches = prefetched(lambda: record_batches(engine, stmt, schema, batch_rows))

    def __enter__(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.schema, self.batches)

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.batches.close()
