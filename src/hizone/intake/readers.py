"""Readers for .xlsx (fastexcel), .csv (Arrow) and JSON payloads, with the safety checks done first.

Every reader returns a ``RawSheet``: the header labels, the data cells as an Arrow table of strings
(one column per sheet column) and each data row's number in the original file, blank rows dropped.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import math
import os
import posixpath
import struct
import sys
import urllib.parse
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any
from xml.parsers import expat

import fastexcel
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from isal import isal_zlib

from hizone.catalog import Catalog
from hizone.intake.errors import IntakeError
from hizone.intake.headers import HEADER_SEARCH_ROWS, column_letter, find_header
from hizone.intake.rules import RuleSet
from hizone.intake.sheetxml import BadReference, Box, Cell, QuickCheck, SheetWalk, UnsafeXml, local, xml_parser

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: legacy .xls or an encrypted .xlsx
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Bounds on what intake accepts, each overridable from the environment: HIZONE_INTAKE_MAX_FILE_MB,
    HIZONE_INTAKE_MAX_UNPACKED_MB, HIZONE_INTAKE_MAX_COLUMNS, HIZONE_INTAKE_MAX_CELLS.

    ``max_columns`` bounds a sheet, CSV or JSON payload's width; ``max_cells`` the grid from a sheet's first
    to its last valued cell, which fastexcel allocates whole: measured 32 bytes a cell at peak (A1 and T1000000:
    640 MiB), so the default allows ~640 MiB; a 200,000-row annual report with 36 columns is 7.2 million cells.
    """

    max_file_bytes: int = 256 << 20
    max_unpacked_bytes: int = 768 << 20
    max_columns: int = 1000
    max_cells: int = 20_000_000

    @classmethod
    def from_env(cls) -> Limits:
        file_mb = os.environ.get("HIZONE_INTAKE_MAX_FILE_MB")
        unpacked_mb = os.environ.get("HIZONE_INTAKE_MAX_UNPACKED_MB")
        columns = os.environ.get("HIZONE_INTAKE_MAX_COLUMNS")
        cells = os.environ.get("HIZONE_INTAKE_MAX_CELLS")
        return cls(int(file_mb) << 20 if file_mb else cls.max_file_bytes,
                   int(unpacked_mb) << 20 if unpacked_mb else cls.max_unpacked_bytes,
                   int(columns) if columns else cls.max_columns,
                   int(cells) if cells else cls.max_cells)


@dataclass
class RawSheet:
    source_name: str
    sha256: str
    kind: str  # csv, xlsx or json
    sheet: str | None
    labels: list[str | None]
    table: pa.Table  # columns c0..cN, strings (or numbers from JSON)
    row_numbers: npt.NDArray[np.int64]  # 1-based row of each data row in the file (record number for JSON)
    header_row: int  # 1-based
    preamble: list[list[str | None]] = field(default_factory=list)  # rows up to and including the header
    first_column: int = 0  # 0-based sheet column of the table's first column

    def where(self, row: int | None = None, column: int | None = None) -> str:
        parts = [self.source_name]
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {self.letter(column)}")
        return ", ".join(parts)

    def rows(self, start: int, stop: int) -> RawSheet:
        """Data rows ``start``..``stop`` (0-based, end excluded) as a sheet of their own."""
        return replace(self, table=self.table.slice(start, stop - start), row_numbers=self.row_numbers[start:stop])

    def letter(self, column: int) -> str:
        return column_letter(self.first_column + column) if self.kind != "json" else str(self.labels[column])


Source = Path | str | bytes


def load_bytes(source: Source, name: str | None, limits: Limits) -> tuple[bytes, str]:
    """The file's bytes and the name to report; refuses files over the size limit before reading them."""
    if isinstance(source, bytes):
        size, label = len(source), name or "upload"
    else:
        path = Path(source)
        label = name or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise IntakeError(f"cannot read: {exc.strerror}", where=str(path)) from None
    if size > limits.max_file_bytes:
        raise IntakeError(f"file is {size / 2**20:.1f} MiB, over the limit of "
                          f"{limits.max_file_bytes / 2**20:.0f} MiB", where=label)
    if size == 0:
        raise IntakeError("file is empty", where=label)
    return (source if isinstance(source, bytes) else Path(source).read_bytes()), label


def detect_kind(data: bytes, name: str) -> str:
    suffix = Path(name).suffix.lower()
    if data.startswith(b"PK") or data.startswith(_CFB_MAGIC) or suffix in (".xlsx", ".xlsm", ".xls"):
        return "xlsx"
    if suffix == ".json" or data.lstrip()[:1] in (b"{", b"["):
        return "json"
    return "csv"


def read_source(source: Source, rules: RuleSet, catalog: Catalog, *, name: str | None = None,
                sheet: str | None = None, limits: Limits | None = None) -> RawSheet:
    """The submitted sheet of a file or payload, checked for safety and with its header found."""
    limits = limits or Limits.from_env()
    data, label = load_bytes(source, name, limits)
    digest = hashlib.sha256(data).hexdigest()
    kind = detect_kind(data, label)
    if kind == "xlsx":
        return read_xlsx(data, label, digest, rules, sheet, limits)
    if kind == "json":
        return read_json(data, label, digest, rules, limits)
    return read_csv(data, label, digest, rules, limits)


# ---- CSV ---------------------------------------------------------------------------------------------------


def utf8_bytes(data: bytes, name: str) -> bytes:
    """The text as UTF-8: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030 (⊇ GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[3:], "utf-8", name).encode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", name).encode("utf-8")
    if _is_utf8(data):
        return data
    return _decode(data, "gb18030", name).encode("utf-8")


def _is_utf8(data: bytes) -> bool:
    # Arrow checks the bytes in place, ten times faster than building a str to throw away.
    whole = pa.Array.from_buffers(pa.binary(), 1, [None, pa.py_buffer(np.array([0, len(data)], np.int32)),
                                                   pa.py_buffer(data)])
    try:
        whole.cast(pa.string())
    except pa.ArrowInvalid:
        return False
    return True


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise IntakeError(f"not readable as UTF-8 or GBK/GB18030 text (bad bytes at offset {exc.start})",
                          where=name) from None


def _sniff_rows(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The first rows and, for each, the number of physical lines read once it is complete."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows, ends = [], []
    try:
        for row in reader:
            rows.append(row)
            ends.append(reader.line_num)
            if len(rows) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass
    return rows, ends


def read_csv(data: bytes, name: str, digest: str, rules: RuleSet, limits: Limits) -> RawSheet:
    utf8 = utf8_bytes(data, name)
    text = utf8[:256_000].decode("utf-8", errors="ignore")  # the rows the header is looked for in
    best: tuple[str, int, int, list[list[str]], list[int]] | None = None
    problem: IntakeError | None = None
    for delimiter in (",", "\t", ";", "|"):
        rows, ends = _sniff_rows(text, delimiter)
        _check_width(rows, ends, limits, name)
        try:
            header, extra = find_header(rows, rules, name)
        except IntakeError as exc:
            problem = problem or exc
            continue
        best = (delimiter, header, extra, rows, ends)
        break
    if best is None:
        raise problem or IntakeError("no header row found", where=name)
    delimiter, header, extra, rows, ends = best
    labels: list[str | None] = [cell.strip() or None for cell in rows[header]]
    skip = ends[header + extra]
    width = max(len(labels), *(len(r) for r in rows[header + extra + 1:]), 1)
    labels += [None] * (width - len(labels))
    offset = _line_offset(utf8, skip)
    table = _arrow_csv(utf8, offset, delimiter, width, name)
    if table is None:  # a row with more or fewer cells than the header: read again, row by row, and pad
        table = _padded_csv(utf8[offset:].decode("utf-8"), delimiter, width, name, skip, limits)
    numbers = _csv_row_numbers(utf8, skip, table.num_rows, delimiter)
    table, numbers = drop_blank_rows(table, numbers)
    preamble = [[c or None for c in row] for row in rows[:header + 1]]
    return RawSheet(name, digest, "csv", None, labels, table, numbers, ends[header], preamble)


def _check_width(rows: list[list[str]], ends: list[int], limits: Limits, name: str) -> None:
    """The first rows, before any is matched against the header or handed to Arrow (whose cost grows with
    the number of columns): none wider than the limit."""
    for row, end in zip(rows, ends, strict=True):
        if len(row) > limits.max_columns:
            raise IntakeError(f"{len(row):,} cells, more than the limit of {limits.max_columns:,} columns",
                              where=f"{name}, row {end}")


def _line_offset(utf8: bytes, lines: int) -> int:
    """The byte offset just after the first ``lines`` physical lines."""
    offset = 0
    for _ in range(lines):
        found = utf8.find(b"\n", offset)
        if found < 0:
            return len(utf8)
        offset = found + 1
    return offset


def _string_columns(width: int) -> list[str]:
    return [f"c{i}" for i in range(width)]


def _arrow_csv(utf8: bytes, offset: int, delimiter: str, width: int, name: str) -> pa.Table | None:
    """The data rows from ``offset`` on as strings (empty cells null), parsed by Arrow on every core; None
    when a row's cell count is not ``width``."""
    names = _string_columns(width)
    if offset >= len(utf8):
        return pa.table({n: pa.array([], pa.string()) for n in names})
    irregular: list[object] = []

    def irregular_row(row: object) -> str:
        irregular.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(utf8).slice(offset)),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                             newlines_in_values=True, invalid_row_handler=irregular_row),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                 strings_can_be_null=True, null_values=[""]))
    except pa.ArrowInvalid as exc:
        raise IntakeError(f"cannot read the CSV: {str(exc).strip().splitlines()[0]}", where=name) from None
    return None if irregular else table


def _padded_csv(text: str, delimiter: str, width: int, name: str, skip: int, limits: Limits) -> pa.Table:
    """Rows read one by one, short rows padded with blanks; a row wider than the header (with anything in
    the extra cells) or than the column limit is refused."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    try:
        for row in reader:
            if not row:
                continue
            if len(row) > limits.max_columns:
                raise IntakeError(f"{len(row):,} cells, more than the limit of {limits.max_columns:,} columns",
                                  where=f"{name}, row {skip + reader.line_num}")
            if len(row) > width and any(cell.strip() for cell in row[width:]):
                raise IntakeError(f"{len(row)} cells, more than the {width} columns of the header",
                                  where=f"{name}, row {skip + reader.line_num}")
            for i, column in enumerate(columns):
                column.append((row[i] or None) if i < len(row) else None)
    except csv.Error as exc:
        raise IntakeError(f"cannot read the CSV: {exc}", where=f"{name}, row {skip + reader.line_num}") from None
    return pa.table({n: pa.array(c, pa.string()) for n, c in zip(_string_columns(width), columns, strict=True)})


def _csv_row_numbers(utf8: bytes, skip: int, count: int, delimiter: str) -> npt.NDArray[np.int64]:
    """Line numbers of the data rows: empty lines hold no row, so count the non-empty ones after ``skip``."""
    lines_after = utf8.count(b"\n") + (not utf8.endswith(b"\n")) - skip
    if lines_after == count:  # no empty line, no cell spanning lines: one row a line
        return np.arange(skip + 1, skip + 1 + count, dtype=np.int64)
    raw = np.frombuffer(utf8, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(raw)]))
    lengths = ends - starts
    has_cr = np.zeros(len(starts), dtype=bool)
    nonempty = lengths > 0
    has_cr[nonempty] = raw[ends[nonempty] - 1] == 13
    blank = (lengths == 0) | ((lengths == 1) & has_cr)
    lines = np.flatnonzero(~blank) + 1
    lines = lines[lines > skip]
    if len(lines) == count:
        return lines.astype(np.int64)
    # Quoted cells spanning lines: let the csv module count physical lines exactly.
    reader = csv.reader(io.StringIO(utf8.decode("utf-8")), delimiter=delimiter)
    numbers = []
    for row in reader:
        if reader.line_num > skip and row:
            numbers.append(reader.line_num)
    return np.asarray(numbers[:count], dtype=np.int64)


def _blank(column: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.bool_]:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        # is_space stops at the first other character: no trimmed copy of every cell
        blank = pc.or_(pc.equal(pc.utf8_length(column), 0), pc.utf8_is_space(column))
        return np.asarray(pc.fill_null(blank, True), dtype=bool)
    return ~np.asarray(pc.is_valid(column), dtype=bool)


def drop_blank_rows(table: pa.Table, numbers: npt.NDArray[np.int64]) -> tuple[pa.Table, npt.NDArray[np.int64]]:
    """Rows whose every cell is empty or whitespace go (trailing blank rows, spacer rows).

    Only rows blank in the first column are candidates, so a normal file costs one column's check.
    """
    if table.num_rows == 0 or table.num_columns == 0:
        return table, numbers
    candidates = np.flatnonzero(_blank(table.column(0)))
    if len(candidates) == 0:
        return table, numbers
    blank = np.ones(len(candidates), dtype=bool)
    subset = table.take(pa.array(candidates))
    for column in subset.columns[1:]:
        blank &= _blank(column)
    if not blank.any():
        return table, numbers
    keep = np.ones(table.num_rows, dtype=bool)
    keep[candidates[blank]] = False
    return table.filter(pa.array(keep)), numbers[keep]


# ---- XLSX --------------------------------------------------------------------------------------------------


@dataclass
class WorkbookFacts:
    sheet_paths: dict[str, str]  # sheet name -> zip member
    offsets: dict[str, tuple[int, int]]  # zip member -> (first row, first column), 0-based
    heads: dict[str, bytes]  # zip member -> the first bytes of its XML
    archive: zipfile.ZipFile


def inspect_xlsx(data: bytes, name: str, limits: Limits) -> WorkbookFacts:
    """Refuse what fastexcel must not see: encrypted or legacy files, macros, bombs, formulas without values,
    and sheets whose valued cells span a grid past the limits (calamine allocates the whole grid at once)."""
    if data.startswith(_CFB_MAGIC):
        if _ENCRYPTED in data:
            raise IntakeError("the workbook is password-protected; remove the password and save again", where=name)
        raise IntakeError("legacy .xls workbooks are not accepted; save it as .xlsx", where=name)
    if not data.startswith(b"PK"):
        raise IntakeError("not an .xlsx workbook (not a zip archive)", where=name)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise IntakeError(f"the .xlsx is truncated or damaged ({exc})", where=name) from None
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_unpacked_bytes:
        raise IntakeError(f"the .xlsx unpacks to {declared / 2**20:.0f} MiB, over the limit of "
                          f"{limits.max_unpacked_bytes / 2**20:.0f} MiB (possible zip bomb)", where=name)
    names = {i.filename for i in infos}
    if any(i.flag_bits & 0x1 for i in infos):
        raise IntakeError("the workbook is password-protected; remove the password and save again", where=name)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise IntakeError("the workbook contains macros (VBA); save it as a plain .xlsx without macros", where=name)
    if "xl/workbook.xml" not in names:
        raise IntakeError("not an .xlsx workbook (no xl/workbook.xml)", where=name)
    try:
        resolutions = _sheet_paths(archive, name, limits)
        sheet_paths = {sheet: paths[0] for sheet, paths in resolutions.items()}
        # Every worksheet is checked, and every member a sheet's relationship may be read as naming.
        sheets = {n: n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
        sheets.update({path: sheet for sheet, paths in resolutions.items() for path in paths if path in names})
        offsets: dict[str, tuple[int, int]] = {}
        heads: dict[str, bytes] = {}
        unpacked = 0
        for info in infos:
            sheet = sheets.get(info.filename)
            scan = _SheetScan(f"{name}, sheet '{sheet}'", limits) if sheet is not None else None
            size = 0
            for chunk in _member_chunks(data, archive, info):
                size += len(chunk)
                unpacked += len(chunk)
                if unpacked > limits.max_unpacked_bytes or size > info.file_size:
                    raise IntakeError("the .xlsx unpacks to more than its directory says (possible zip bomb)",
                                      where=name)
                if scan is not None:
                    scan.feed(chunk)
            if scan is not None:
                offsets[info.filename] = scan.finish(partial(_member_chunks, data, archive, info))
                heads[info.filename] = scan.head
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise IntakeError(f"the .xlsx is truncated or damaged ({exc})", where=name) from None
    except IntakeError:
        raise
    except Exception as exc:  # zlib.error, expat errors and friends: the member's data is corrupt
        raise IntakeError(f"the .xlsx is truncated or damaged ({type(exc).__name__}: {exc})", where=name) from None
    return WorkbookFacts(sheet_paths, offsets, heads, archive)


_UNCACHED = ("a formula has no cached value (the file was not saved by Excel/WPS after calculation); open it, "
             "recalculate, save, or paste values")


class _SheetScan:
    """One sheet's checks while it is unpacked: its first rows (to HEADER_SEARCH_ROWS below the first valued
    one, within the first megabyte) read exactly with ``SheetWalk``, the rest by ``QuickCheck``; a sheet the
    quick check cannot vouch for is read again, exactly, to the end.

    Reading every sheet exactly would cost ~4 µs a cell (expat calls Python for each element: 32 s of CPU for
    200,000 rows × 36 columns); the quick check is one RE2 pass, ~0.3 s for the same sheet.
    """

    def __init__(self, where: str, limits: Limits) -> None:
        self.where, self.limits = where, limits
        self.head = b""
        self.quick: QuickCheck | None = None
        self.exact = False  # the quick check could not vouch: read it all with SheetWalk
        self.origin: tuple[int, int] | None = None
        self.complete = False  # the head held all of sheetData

    def feed(self, chunk: bytes) -> None:
        if self.exact or self.complete:
            return
        if self.quick is None:
            room = _CHUNK - len(self.head)
            self.head += chunk[:room]
            if len(self.head) < _CHUNK:
                return
            self._read_head(final=False)
            chunk = chunk[room:]
        if self.quick is not None and chunk and not self.quick.feed(chunk):
            self.exact, self.quick = True, None
        self._refuse_uncached()

    def _refuse_uncached(self) -> None:
        if self.quick is not None and self.quick.uncached is not None:
            raise IntakeError(_UNCACHED, where=f"{self.where}, cell {self.quick.uncached}")

    def finish(self, chunks: Callable[[], Iterator[bytes]]) -> tuple[int, int]:
        """(row, column), 0-based, of the top-left valued cell: where fastexcel's grid starts."""
        if self.quick is None and not self.exact and not self.complete:  # the whole sheet is in the head
            self._read_head(final=True)
        if self.complete:
            return self.origin or (0, 0)
        if self.quick is not None and self.quick.finish() and self._fits(self.quick.box):
            self._refuse_uncached()
            return self.origin or (0, 0)
        extent = _Extent(self.where, self.limits)
        walk = SheetWalk(extent.add)
        for chunk in chunks():
            walk.feed(chunk)
        walk.feed(b"", True)
        return extent.origin()

    def _read_head(self, final: bool) -> None:
        """The head exactly, up to the first cell HEADER_SEARCH_ROWS rows below the first valued one; the
        quick check takes over from that cell's tag."""
        extent = _Extent(self.where, self.limits)
        seen = _Extent(self.where, None)  # every cell, valued or not: the box the quick check keeps to
        walk = SheetWalk(lambda cell: None)
        handover: list[int] = []

        def add(cell: Cell) -> None:
            extent.add(cell)
            if not final and extent.bottom >= 0 and cell.row >= extent.top + HEADER_SEARCH_ROWS:
                handover.append(walk.cell_at)
                raise _HeadDone
            seen.add(cell)

        walk.on_cell = add
        with contextlib.suppress(_HeadDone):
            walk.feed(self.head, final)
        self.origin = extent.origin() if extent.bottom >= 0 else None
        if final or walk.done:  # every cell calamine reads was read
            self.complete = True
            return
        if walk.prefix is None or seen.box is None or not handover:
            self.exact = True  # no sheetData or too few valued rows in the first megabyte: read it all
            return
        top, left = extent.top, extent.left
        box = Box((top, max(seen.bottom, top)), (left, max(seen.right, left)))
        self.quick = QuickCheck(walk.prefix, box)
        if not self.quick.feed(self.head[handover[0]:]):
            self.exact, self.quick = True, None

    def _fits(self, box: Box) -> bool:
        return box.columns[1] < self.limits.max_columns and box.cells() <= self.limits.max_cells


class _Extent:
    """The box of a sheet's valued cells, grown cell by cell; refuses the cell that takes it past the limits,
    and a formula without a cached value. Four integers, not a Box, for speed: this runs for every cell."""

    def __init__(self, where: str, limits: Limits | None) -> None:
        self.where, self.limits = where, limits
        self.top = self.left = 1 << 30
        self.bottom = self.right = -1

    @property
    def box(self) -> Box | None:
        return Box((self.top, self.bottom), (self.left, self.right)) if self.bottom >= 0 else None

    def add(self, cell: Cell) -> None:
        limits = self.limits
        if limits is not None:
            if cell.formula and not cell.cached:
                raise IntakeError(_UNCACHED, where=f"{self.where}, cell {cell.ref}")
            if not cell.valued:
                return
            if cell.column >= limits.max_columns:
                raise IntakeError(f"a value in column {cell.column + 1:,} ({column_letter(cell.column)}), past the "
                                  f"limit of {limits.max_columns:,} columns; delete what lies right of the table "
                                  "and save again", where=f"{self.where}, cell {cell.ref}")
        row, column = cell.row, cell.column
        grown = False
        if row < self.top:
            self.top, grown = row, True
        if row > self.bottom:
            self.bottom, grown = row, True
        if column < self.left:
            self.left, grown = column, True
        if column > self.right:
            self.right, grown = column, True
        if grown and limits is not None:
            cells = (self.bottom - self.top + 1) * (self.right - self.left + 1)
            if cells > limits.max_cells:
                span = f"{column_letter(self.left)}{self.top + 1}:{column_letter(self.right)}{self.bottom + 1}"
                raise IntakeError(f"the sheet's values span {span}, {cells:,} cells, over the limit of "
                                  f"{limits.max_cells:,} cells; delete what lies outside the table and save "
                                  "again", where=f"{self.where}, cell {cell.ref}")

    def origin(self) -> tuple[int, int]:
        return (self.top, self.left) if self.bottom >= 0 else (0, 0)


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then name and extra-field lengths at offset 26


def _member_chunks(data: bytes, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's content, unpacked piece by piece (each at most _CHUNK) and checked against its CRC.

    Deflated members go through ISA-L, twice as fast as zlib here (the sheet XML of a 200,000-row
    workbook is ~240 MB); anything else through the zipfile module.
    """
    if info.compress_type != zipfile.ZIP_DEFLATED:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                yield chunk
        return
    start = info.header_offset
    signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(data, start)
    if signature != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    begin = start + _LOCAL_HEADER.size + name_length + extra_length
    packed = memoryview(data)[begin:begin + info.compress_size]
    if len(packed) < info.compress_size:
        raise zipfile.BadZipFile(f"{info.filename} is cut short")
    inflater = isal_zlib.decompressobj(-15)
    crc = 0
    for offset in range(0, len(packed), 1 << 16):
        pending: bytes | memoryview = packed[offset:offset + (1 << 16)]
        while pending:
            chunk = inflater.decompress(pending, _CHUNK)  # bounded output: a bomb never lands in memory at once
            pending = inflater.unconsumed_tail
            crc = isal_zlib.crc32(chunk, crc)
            yield chunk
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC-32 for {info.filename}")


def _sheet_paths(archive: zipfile.ZipFile, name: str, limits: Limits) -> dict[str, list[str]]:
    """Sheet name -> the zip members its relationship may name (relative or absolute target, as written,
    normalised, percent-decoded), those in the archive first."""
    sheets: list[tuple[str, str]] = []
    targets: dict[str, str] = {}

    def sheet(tag: str, attrs: dict[str, str]) -> None:
        if local(tag) == "sheet":
            rid = next((v for k, v in attrs.items() if local(k) == "id" and ":" in k), "")
            sheets.append((attrs.get("name", ""), rid))

    def relationship(tag: str, attrs: dict[str, str]) -> None:
        if local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _parse_part(archive, "xl/workbook.xml", sheet, name, limits)
    if "xl/_rels/workbook.xml.rels" in archive.namelist():
        _parse_part(archive, "xl/_rels/workbook.xml.rels", relationship, name, limits)
    members = set(archive.namelist())
    return {sheet_name: sorted(_resolutions(targets.get(rid, "")), key=lambda m: m not in members)
            for sheet_name, rid in sheets}


def _resolutions(target: str) -> set[str]:
    """Every member a reader may take ``target`` for: the check must cover the one calamine picks."""
    found: set[str] = set()
    for text in (target, urllib.parse.unquote(target)):
        literal = text[1:] if text.startswith("/") else "xl/" + text
        found.update((literal, posixpath.normpath(literal)))
    return found


def _parse_part(archive: zipfile.ZipFile, member: str, start: Callable[[str, dict[str, str]], None], name: str,
                limits: Limits) -> None:
    info = archive.getinfo(member)
    if info.file_size > limits.max_unpacked_bytes:
        raise IntakeError(f"{member} unpacks to more than the limit (possible zip bomb)", where=name)
    parser = xml_parser()
    parser.StartElementHandler = start
    try:
        parser.Parse(archive.read(member), True)
    except UnsafeXml as exc:
        raise IntakeError(f"{member} holds {exc}, which no spreadsheet program writes", where=name) from None
    except expat.ExpatError as exc:
        raise IntakeError(f"the .xlsx is truncated or damaged ({member}: {exc})", where=name) from None


def read_xlsx(data: bytes, name: str, digest: str, rules: RuleSet, sheet: str | None, limits: Limits) -> RawSheet:
    """The sheet with the form's header: found in the first rows of the sheet's XML, then only the data
    rows loaded, with their cell types (numbers stay numbers; a column mixing text and numbers is text)."""
    facts = inspect_xlsx(data, name, limits)
    try:
        reader = fastexcel.read_excel(data)
        sheet_names = list(reader.sheet_names)
    except Exception as exc:  # fastexcel raises its own hierarchy and Rust panics as plain exceptions
        raise IntakeError(f"the .xlsx cannot be read ({str(exc).splitlines()[0]})", where=name) from None
    if sheet is not None and sheet not in sheet_names:
        raise IntakeError(f"no sheet named '{sheet}' (sheets: {', '.join(sheet_names)})", where=name)
    candidates = [sheet] if sheet is not None else sheet_names
    first_problem: IntakeError | None = None
    for candidate in candidates:
        where = f"{name}, sheet '{candidate}'"
        member = facts.sheet_paths.get(candidate, "")
        row0, col0 = facts.offsets.get(member, (0, 0))
        head = head_rows(facts, member, row0, col0)
        text = None
        if head is None:  # the first rows are not plainly in the XML's first megabyte: read it all as text
            text = _load_sheet(reader, candidate, where, header_row=None, dtypes="string")
            head = [list(r.values()) for r in text.slice(0, HEADER_SEARCH_ROWS).to_pylist()]
        try:
            header, extra = find_header(head, rules, where)
        except IntakeError as exc:
            first_problem = first_problem or exc
            continue
        skip = header + extra + 1
        # fastexcel's skip_rows counts from the top of the sheet; every row is sampled for the column types
        table = text.slice(skip) if text is not None else _load_sheet(
            reader, candidate, where, header_row=None, skip_rows=row0 + skip, schema_sample_rows=None)
        width = max(table.num_columns, len(head[header]))
        table = _cells(table)
        numbers = np.arange(table.num_rows, dtype=np.int64) + row0 + skip + 1
        table, numbers = drop_blank_rows(table, numbers)
        padded: list[list[str | None]] = [[*row, *([None] * (width - len(row)))] for row in head[:header + 1]]
        blank: list[str | None] = [None] * width
        preamble = [list(blank) for _ in range(row0)] + padded
        return RawSheet(name, digest, "xlsx", candidate, padded[header], table, numbers, row0 + header + 1,
                        preamble, col0)
    if sheet is None and len(sheet_names) > 1:
        raise IntakeError(f"no sheet has the form's header (sheets: {', '.join(sheet_names)}); "
                          f"first problem: {first_problem}", where=name)
    raise first_problem or IntakeError("the workbook has no sheets", where=name)


def _cells(table: pa.Table) -> pa.Table:
    """Columns c0..cN: numbers and text as loaded; dates, booleans and durations as their text."""
    columns = []
    for column in table.columns:
        kind = column.type
        keep = pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_floating(kind) \
            or pa.types.is_integer(kind) or pa.types.is_null(kind)
        columns.append(column if keep else pc.cast(column, pa.string()))
    return pa.table(columns, names=[f"c{i}" for i in range(len(columns))])


def _load_sheet(reader: Any, sheet: str, where: str, **options: Any) -> pa.Table:
    try:
        loaded = reader.load_sheet(sheet, **options)
        return pa.Table.from_batches([loaded.to_arrow()]) if loaded.width else pa.table({})
    except Exception as exc:  # fastexcel/calamine: damaged XML inside a valid zip
        raise IntakeError(f"the sheet cannot be read ({str(exc).splitlines()[0]})", where=where) from None


class _HeadDone(Exception):
    """The search rows are read: stop the parse."""


def head_rows(facts: WorkbookFacts, member: str, row0: int, col0: int) -> list[list[str | None]] | None:
    """The sheet's first HEADER_SEARCH_ROWS rows of the grid fastexcel loads (from (row0, col0)), as text,
    read from the start of the sheet's XML; None when that start does not plainly hold them."""
    head = facts.heads.get(member)
    if head is None:
        return None
    last = row0 + HEADER_SEARCH_ROWS
    cells: list[Cell] = []

    def keep(cell: Cell) -> None:
        if cell.row >= last:
            raise _HeadDone
        cells.append(cell)

    walk = SheetWalk(keep)
    try:
        walk.feed(head, len(head) < _CHUNK)
    except _HeadDone:
        pass
    except (expat.ExpatError, BadReference, UnsafeXml):
        return None
    else:
        if not walk.done:
            return None  # the XML's start ends before the search rows do
    shared = _shared_strings(facts, [cell.value for cell in cells if cell.kind == "s"])
    if shared is None:
        return None
    width = max((cell.column for cell in cells), default=col0) - col0 + 1
    rows: list[list[str | None]] = [[None] * width for _ in range(HEADER_SEARCH_ROWS)]
    for cell in cells:
        if row0 <= cell.row < last and cell.column >= col0:
            rows[cell.row - row0][cell.column - col0] = _cell_value(cell, shared)
    while rows and all(value is None for value in rows[-1]):
        rows.pop()
    return rows


def _cell_value(cell: Cell, shared: dict[str, str]) -> str | None:
    raw = cell.value
    if raw is None or cell.kind == "inlineStr":
        return raw
    if cell.kind == "s":
        return shared.get(raw)
    if cell.kind == "n":
        try:
            number = float(raw)
        except ValueError:
            return raw
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else raw
    return raw


class _SharedStrings:
    """The text of each ``<si>`` (its runs joined, phonetic readings left out), up to the last index wanted."""

    def __init__(self, wanted: set[int]) -> None:
        self.wanted, self.top = wanted, max(wanted)
        self.found: dict[str, str] = {}
        self.index = 0
        self.texts: list[str] = []
        self.in_text = False
        self.phonetic = 0
        self.parser = xml_parser()
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text

    def _start(self, name: str, _attrs: dict[str, str]) -> None:
        tag = local(name)
        if tag == "rPh":
            self.phonetic += 1
        elif tag == "t" and not self.phonetic:
            self.in_text = True

    def _end(self, name: str) -> None:
        tag = local(name)
        if tag == "rPh":
            self.phonetic -= 1
        elif tag == "t":
            self.in_text = False
        elif tag == "si":
            if self.index in self.wanted:
                self.found[str(self.index)] = "".join(self.texts)
            self.texts = []
            self.index += 1
            if self.index > self.top:
                raise _HeadDone

    def _text(self, data: str) -> None:
        if self.in_text:
            self.texts.append(data)


def _shared_strings(facts: WorkbookFacts, wanted: list[str | None]) -> dict[str, str] | None:
    """The shared strings at the ``wanted`` indexes (as written in the cells), reading the table only as far
    as the largest; None when one is missing or not an index."""
    if not wanted:
        return {}
    if not all(index is not None and index.isdigit() for index in wanted):
        return None
    table = _SharedStrings({int(index) for index in wanted if index is not None})
    try:
        with facts.archive.open("xl/sharedStrings.xml") as stream:
            while piece := stream.read(1 << 16):
                table.parser.Parse(piece, False)
            table.parser.Parse(b"", True)
    except _HeadDone:
        pass
    except (KeyError, expat.ExpatError, UnsafeXml, zipfile.BadZipFile):
        return None
    return table.found if len(table.found) == len(table.wanted) else None


# ---- JSON --------------------------------------------------------------------------------------------------


def read_json(data: bytes, name: str, digest: str, rules: RuleSet, limits: Limits) -> RawSheet:
    """``{"rows": [{label: value}, ...]}``, a bare list of such objects, or ``{"columns": [...], "rows": [[...]]}``."""
    doc = _parse_json(data, name)
    rows: Any = doc.get("rows") if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise IntakeError("expected a list of rows (or an object with 'rows')", where=name)
    if isinstance(doc, dict) and isinstance(doc.get("columns"), list):
        labels = [str(c) for c in doc["columns"]]
        records = [_positional(r, len(labels), name, i + 1) for i, r in enumerate(rows)]
    else:
        labels = list(dict.fromkeys(k for r in rows if isinstance(r, dict) for k in r))
        records = []
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise IntakeError("each row must be an object of column → value", where=f"{name}, record {i + 1}")
            records.append([row.get(label) for label in labels])
    if len(labels) > limits.max_columns:
        raise IntakeError(f"{len(labels):,} columns, more than the limit of {limits.max_columns:,}", where=name)
    find_header([labels], rules, name)
    columns = {f"c{j}": pa.array([_cell_text(r[j], name, i + 1) for i, r in enumerate(records)], pa.string())
               for j in range(len(labels))}
    table = pa.table(columns) if columns else pa.table({})
    numbers = np.arange(1, len(records) + 1, dtype=np.int64)
    table, numbers = drop_blank_rows(table, numbers)
    return RawSheet(name, digest, "json", None, list(labels), table, numbers, 0, [list(labels)])


def _parse_json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except RecursionError:  # the parser recurses once per level of nesting: a payload is three levels deep
        raise IntakeError("not valid JSON for intake: nested too deeply (rows hold text or numbers, no deeper "
                          "lists or objects)", where=name) from None
    except json.JSONDecodeError as exc:
        raise IntakeError(f"not valid JSON ({exc})", where=name) from None
    except UnicodeDecodeError as exc:
        raise IntakeError(f"not valid JSON (not UTF-8: bad bytes at offset {exc.start})", where=name) from None
    except ValueError:  # an integer with more digits than Python converts (sys.get_int_max_str_digits)
        raise IntakeError(f"not valid JSON for intake: a number with more than {sys.get_int_max_str_digits():,} "
                          "digits", where=name) from None


def _positional(row: Any, width: int, name: str, record: int) -> Sequence[Any]:
    if not isinstance(row, list) or len(row) != width:
        raise IntakeError(f"expected a list of {width} values", where=f"{name}, record {record}")
    return row


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _cell_text(value: Any, name: str, record: int) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IntakeError(f"value {_shown(value)} is neither text nor a number", where=f"{name}, record {record}")
    if isinstance(value, float) and not math.isfinite(value):  # 1e999 parses as infinity
        raise IntakeError("a number too large to hold", where=f"{name}, record {record}")
    return repr(float(value)) if isinstance(value, float) else str(value)
