"""Reported values, packed: a submission's values are one row of little-endian float64 (NaN = blank) whose
columns are named by its import batch's layout.

Binary rather than JSON because whole batches are packed and unpacked by NumPy with no Python object per
value: 8 bytes a value, where the JSON text form took longer to write, store and parse than the rest of an
import. Integers are exact up to 2**53; an element the layout marks integer reads back as ``int``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa

FloatArray = npt.NDArray[np.float64]
Blobs: TypeAlias = "pa.Array | pa.ChunkedArray | Sequence[bytes]"
_DTYPE = np.dtype("<f8")


@dataclass(frozen=True)
class ValueLayout:
    """The element codes a batch's packed rows hold, in order, and which of them are integers."""

    codes: tuple[str, ...]
    integer: tuple[bool, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ValueLayout:
        return cls(tuple(data["codes"]), tuple(bool(i) for i in data["integer"]))

    def to_json(self) -> dict[str, Any]:
        return {"codes": list(self.codes), "integer": list(self.integer)}

    @property
    def width(self) -> int:
        return _DTYPE.itemsize * len(self.codes)

    def pack(self, columns: Mapping[str, FloatArray], rows: int) -> pa.Array:
        """One binary value per row from whole columns (codes the mapping lacks are blank), without a
        Python object per row."""
        matrix = np.empty((rows, len(self.codes)), dtype=_DTYPE)
        for j, code in enumerate(self.codes):
            matrix[:, j] = columns.get(code, np.nan)
        # The C-ordered matrix is the rows end to end: Arrow takes its memory as it is.
        return fixed_width_binary(matrix, rows, self.width)

    def pack_one(self, values: Mapping[str, float | int | None]) -> bytes:
        row = np.array([np.nan if values.get(c) is None else float(values[c]) for c in self.codes],  # type: ignore[arg-type]
                       dtype=_DTYPE)
        return row.tobytes()

    def matrix(self, blobs: Blobs) -> FloatArray:
        """The rows as an (n, len(codes)) matrix."""
        data = _contiguous(blobs)
        if len(data) % max(self.width, 1):
            raise ValueError(f"packed values of {len(data)} bytes do not fit a layout of {len(self.codes)} values")
        return np.frombuffer(data, dtype=_DTYPE).reshape(-1, len(self.codes)) if self.codes else \
            np.empty((0, 0), dtype=_DTYPE)

    def unpack(self, blob: bytes) -> dict[str, float | int]:
        """One row as {code: value}, blanks left out."""
        row = np.frombuffer(blob, dtype=_DTYPE)
        return {code: (int(v) if is_int else float(v))
                for code, v, is_int in zip(self.codes, row.tolist(), self.integer, strict=True) if v == v}


def layout_of(rows: Iterable[Mapping[str, Any]]) -> ValueLayout:
    """The layout that holds every key of ``rows``: integer where every value given is an int."""
    integer: dict[str, bool] = {}
    for row in rows:
        for code, value in row.items():
            if value is not None:
                integer[code] = integer.get(code, True) and isinstance(value, int) and not isinstance(value, bool)
    return ValueLayout(tuple(integer), tuple(integer.values()))


def binary_array(blobs: Sequence[bytes]) -> pa.Array:
    """Python bytes as an Arrow binary array: one join and one pass over the lengths, some twenty times
    faster than ``pa.array`` on 200,000 packed rows."""
    lengths = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs))
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    if offsets[-1] >= 2**31:
        return pa.array(blobs, pa.large_binary())
    return pa.Array.from_buffers(pa.binary(), len(blobs), [None, pa.py_buffer(offsets.astype(np.int32)),
                                                           pa.py_buffer(b"".join(blobs))])


def fixed_width_binary(data: Any, rows: int, width: int) -> pa.Array:
    """``rows`` binary values of ``width`` bytes each, taken end to end from ``data`` (no copy)."""
    offsets = np.arange(rows + 1, dtype=np.int32) * width
    return pa.Array.from_buffers(pa.binary(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def value_bounds(array: pa.Array) -> npt.NDArray[np.int64]:
    """Where each value of a string or binary array starts in its data buffer, and where the last ends."""
    wide = pa.types.is_large_binary(array.type) or pa.types.is_large_string(array.type)
    return np.frombuffer(array.buffers()[1], dtype=np.int64 if wide else np.int32, count=len(array) + 1,
                         offset=array.offset * (8 if wide else 4)).astype(np.int64)


def value_bytes(array: pa.Array) -> bytes | memoryview:
    """The values of a string or binary array end to end, without a copy."""
    data = array.buffers()[2]
    if len(array) == 0 or data is None:
        return b""
    bounds = value_bounds(array)
    return memoryview(data)[int(bounds[0]):int(bounds[-1])]


def value_lists(blobs: pa.Array) -> pa.ListArray:
    """Each packed row as a list of its values (float64, NaN = blank), read in place from the blobs' memory
    (no copy: the packing is little-endian float64, as Arrow's is on every machine hizone runs on)."""
    if blobs.null_count:
        raise ValueError("a submission has no packed values")
    bounds = value_bounds(blobs)
    starts = bounds - bounds[0]
    if (starts % _DTYPE.itemsize).any():
        raise ValueError("packed values whose length is not a whole number of values")
    data = value_bytes(blobs)
    values = pa.Array.from_buffers(pa.float64(), len(data) // _DTYPE.itemsize, [None, pa.py_buffer(data)])
    return pa.ListArray.from_arrays(pa.array(starts // _DTYPE.itemsize, pa.int32()), values)


def _contiguous(blobs: Blobs) -> bytes | memoryview:
    if isinstance(blobs, pa.ChunkedArray):
        blobs = pa.concat_arrays(blobs.chunks) if blobs.num_chunks else pa.array([], pa.binary())
    if isinstance(blobs, pa.Array):
        if blobs.null_count:
            raise ValueError("a submission has no packed values")
        return value_bytes(blobs)
    return b"".join(blobs)


def gather(batch_ids: npt.NDArray[np.int64], blobs: Blobs, layouts: Mapping[int, ValueLayout],
           codes: Sequence[str]) -> dict[str, FloatArray]:
    """Each of ``codes`` as a column over rows packed under different layouts (NaN where a row's layout
    lacks the code); ``batch_ids[i]`` names the layout of ``blobs[i]``.

    The columns are the rows of one (codes × rows) matrix, each contiguous; the rows of a layout that lie
    next to each other (a read in id order holds few, long runs) are unpacked from their bytes in place.
    """
    rows = len(batch_ids)
    # Not filled with NaN first: each run of rows writes every code, its layout's values or NaN (a pass less).
    out = np.empty((len(codes), rows))
    columns = {code: out[i] for i, code in enumerate(codes)}
    if rows == 0:
        return columns
    position = {code: i for i, code in enumerate(codes)}
    arrow = isinstance(blobs, pa.Array | pa.ChunkedArray)
    if isinstance(blobs, pa.ChunkedArray):
        blobs = pa.concat_arrays(blobs.chunks)
    for batch in np.unique(batch_ids).tolist():
        layout = layouts[int(batch)]
        wanted = [(j, position[code]) for j, code in enumerate(layout.codes) if code in position]
        source, target = (list(side) for side in zip(*wanted, strict=True)) if wanted else ([], [])
        absent = [i for code, i in position.items() if code not in layout.codes]
        for where, part in _runs(np.flatnonzero(batch_ids == batch), blobs, arrow, rows):
            if target:
                _put(out, target, where, layout.matrix(part)[:, source].T)
            _put(out, absent, where, np.nan)
    return columns


def _put(out: FloatArray, codes: list[int], where: slice | npt.NDArray[np.int64], values: FloatArray | float) -> None:
    """``values`` into the rows ``codes`` of ``out`` at the positions ``where``."""
    if not codes:
        return
    if isinstance(where, slice):
        out[codes, where] = values
    else:
        out[np.ix_(np.asarray(codes), where)] = values


def _runs(where: npt.NDArray[np.int64], blobs: Blobs, arrow: bool, rows: int
          ) -> Iterable[tuple[slice | npt.NDArray[np.int64], Blobs]]:
    """The rows ``where`` of ``blobs`` as (positions, their blobs): one slice when they are consecutive."""
    if len(where) == rows or where[-1] - where[0] + 1 == len(where):
        start, stop = int(where[0]), int(where[-1]) + 1
        return [(slice(start, stop), blobs[start:stop] if len(where) < rows else blobs)]
    if arrow:
        return [(where, blobs.take(pa.array(where)))]  # type: ignore[union-attr]
    return [(where, [blobs[i] for i in where.tolist()])]
