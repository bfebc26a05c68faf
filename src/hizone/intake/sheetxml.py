"""The XML inside an .xlsx read as every writer writes it, and a sheet's extent bounded before fastexcel sees it.

Parsing is the standard library's expat, without namespace processing: elements are matched on their local
name (``x:row`` and ``row`` alike, transitional or Strict namespace alike), which is what calamine (fastexcel's
reader) does, so both read the same cells. A DTD is refused outright, as defusedxml's ``forbid_dtd`` does:
no part of a workbook has one, and with no DTD no entity can be declared or expanded (expat ≥ 2.4 bounds
expansion too). That is five lines here, so defusedxml is not a dependency.

calamine builds a dense grid from the first to the last valued cell of a sheet: one valued cell at XFD1048576
makes it allocate 512 GB and abort the process. ``QuickCheck`` proves at regular-expression speed that a sheet
in the form Excel, XlsxWriter, openpyxl, LibreOffice and rust_xlsxwriter write stays inside a box;
``SheetWalk`` reads any other sheet exactly, cell by cell, as calamine places its cells. fastexcel itself
reads prefixed, Strict and positional sheets correctly, so the bytes it gets are the file's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hizone.intake.headers import column_letter

_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


class UnsafeXml(Exception):
    """The part has a DTD (entity declarations): never written by a spreadsheet program."""


def _refuse_dtd(*_args: object) -> None:
    raise UnsafeXml("a DTD (document type declaration)")


def xml_parser() -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    return parser


def local(name: str) -> str:
    return name.rpartition(":")[2]


def column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def parse_ref(ref: str) -> tuple[int, int] | None:
    """(row, column), 0-based, of an A1 reference; None when it is not one."""
    match = _REF.fullmatch(ref)
    if match is None or match.group(2).startswith("0"):
        return None
    return int(match.group(2)) - 1, column_index(match.group(1))


@dataclass
class Cell:
    row: int  # 0-based
    column: int
    kind: str  # the t attribute: n, s, inlineStr, str, b, e, d
    value: str | None  # the <v> text, or an inline string's text
    valued: bool  # calamine keeps it: a <v> with text, or an <is>
    formula: bool
    cached: bool  # a formula's <v> with text

    @property
    def ref(self) -> str:
        return f"{column_letter(self.column)}{self.row + 1}"


class BadReference(ValueError):
    """A cell or row reference that is not A1 style."""


@dataclass
class SheetWalk:
    """A sheet's rows and cells as calamine places them: a row's ``r`` sets the row, else it follows the one
    before; a cell's ``r`` sets its column (and row), else it follows the cell before in its row."""

    on_cell: Callable[[Cell], None]
    prefix: str | None = None  # of the sheetData element ("x:" for <x:sheetData>)
    cell_at: int = 0  # byte offset of the last cell's start tag
    done: bool = False  # past the end of sheetData: calamine reads no further
    parser: expat.XMLParserType = field(init=False)
    _row: int = 0
    _column: int = 0
    _cell: Cell | None = None
    _texts: list[str] = field(default_factory=list)
    _in_text: bool = False
    _inline: bool = False
    _phonetic: int = 0
    _inside: bool = False

    def __post_init__(self) -> None:
        self.parser = xml_parser()
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text

    def feed(self, data: bytes, final: bool = False) -> None:
        self.parser.Parse(data, final)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        tag = local(name)
        if not self._inside:
            if tag == "sheetData" and not self.done:
                self._inside = True
                self.prefix = name[:-len(tag)]
            return
        cell = self._cell
        if cell is None:
            if tag == "row" and "r" in attrs:
                if not attrs["r"].isdigit() or attrs["r"].startswith("0"):
                    raise BadReference(f"row reference '{attrs['r']}'")
                self._row = int(attrs["r"]) - 1
            elif tag == "c":
                self.cell_at = self.parser.CurrentByteIndex
                position = (self._row, self._column)
                if "r" in attrs:
                    found = parse_ref(attrs["r"])
                    if found is None:
                        raise BadReference(f"cell reference '{attrs['r']}'")
                    position = found
                    self._column = found[1]
                self._cell = Cell(*position, attrs.get("t", "n"), None, False, False, False)
                self._texts = []
            return
        if tag == "rPh":
            self._phonetic += 1
        elif tag == "f":
            cell.formula = True
        elif tag == "is":
            self._inline = cell.valued = True
        elif (tag == "v" and cell.kind != "inlineStr") or (tag == "t" and self._inline and not self._phonetic):
            self._in_text = True

    def _end(self, name: str) -> None:
        tag = local(name)
        if not self._inside:
            return
        cell = self._cell
        if cell is None:
            if tag == "row":
                self._row += 1
                self._column = 0
            elif tag == "sheetData":
                self._inside, self.done = False, True
            return
        if tag == "c":
            text = "".join(self._texts)
            if self._inline:
                cell.value = text or None
            elif text:
                cell.value, cell.valued, cell.cached = text, True, True
            self._cell, self._inline, self._phonetic, self._in_text = None, False, 0, False
            self._column += 1
            self.on_cell(cell)
        elif tag == "rPh":
            self._phonetic -= 1
        elif tag in ("v", "t"):
            self._in_text = False

    def _text(self, data: str) -> None:
        if self._in_text:
            self._texts.append(data)


# ---- the quick check ---------------------------------------------------------------------------------------

_NAME_CHAR = r"[^\s<>/!?=:\"']"
_LETTERS = ("A", "Z")
_DIGITS = ("0", "9")


def _class(low: str, high: str) -> str:
    return f"[{low}-{high}]" if low < high else re.escape(low)


def _greater(bound: str, alphabet: tuple[str, str]) -> list[str]:
    """Patterns for the strings of ``alphabet`` that sort after ``bound`` (longer, or as long and greater);
    a match needs only a prefix: whatever follows is greater still."""
    low, high = alphabet
    patterns = [f"{_class(low, high)}{{{len(bound) + 1}}}"]
    for i, ch in enumerate(bound):
        if ch < high:
            rest = len(bound) - i - 1
            patterns.append(re.escape(bound[:i]) + _class(chr(ord(ch) + 1), high)
                            + (f"{_class(low, high)}{{{rest}}}" if rest else ""))
    return patterns


def _less(bound: str, alphabet: tuple[str, str], end: str) -> list[str]:
    """Patterns for the strings of ``alphabet`` that sort before ``bound`` (shorter, or as long and smaller),
    each followed by ``end`` so that a longer string does not match."""
    low, high = alphabet
    patterns = [f"{_class(low, high)}{{1,{len(bound) - 1}}}{end}"] if len(bound) > 1 else []
    for i, ch in enumerate(bound):
        if ch > low:
            rest = len(bound) - i - 1
            patterns.append(re.escape(bound[:i]) + _class(low, chr(ord(ch) - 1))
                            + (f"{_class(low, high)}{{{rest}}}" if rest else "") + end)
    return patterns


def _other_names(name: str) -> str:
    """A pattern for element-name prefixes other than ``name`` (which may be empty: then any prefix)."""
    if not name:
        return f"{_NAME_CHAR}+"
    options = [f"{_NAME_CHAR}{{{len(name) + 1},}}", f"{_NAME_CHAR}{{1,{len(name) - 1}}}"] if len(name) > 1 else \
        [f"{_NAME_CHAR}{{2,}}"]
    for i, ch in enumerate(name):
        rest = len(name) - i - 1
        other = f"[^\\s<>/!?=:\"'{re.escape(ch)}]"
        options.append(re.escape(name[:i]) + other + (f"{_NAME_CHAR}{{{rest}}}" if rest else ""))
    return "(?:" + "|".join(options) + ")"


@dataclass(frozen=True)
class Box:
    """Rows and columns, 0-based and inclusive."""

    rows: tuple[int, int]
    columns: tuple[int, int]

    def cells(self) -> int:
        return (self.rows[1] - self.rows[0] + 1) * (self.columns[1] - self.columns[0] + 1)


def _elsewhere(prefix: str, tag: str) -> list[str]:
    """Patterns for an element ``tag`` written with a prefix other than the sheet's (calamine, matching local
    names, takes it for one of the sheet's own)."""
    name = prefix[:-1]
    if not name:
        return [rf"<{_NAME_CHAR}+:{tag}[\s>/]"]
    return [rf"<{_other_names(name)}:{tag}[\s>/]", rf"<{tag}[\s>/]"]


def unusual_pattern(prefix: str, box: Box) -> str:
    """What the quick check cannot vouch for, in RE2 syntax: a comment, CDATA or processing instruction, a
    cell or formula with another prefix than the sheet's, a cell not written ``<c r="A1"`` or with a second
    ``r``, or a reference outside ``box``."""
    p = re.escape(prefix)
    first_col, last_col = column_letter(box.columns[0]), column_letter(box.columns[1])
    first_row, last_row = str(box.rows[0] + 1), str(box.rows[1] + 1)
    outside = [*(_greater(last_col, _LETTERS)), *(_less(first_col, _LETTERS, "[0-9]")),
               *(f"[A-Z]+{d}" for d in _greater(last_row, _DIGITS)),
               *(f"[A-Z]+{d}" for d in _less(first_row, _DIGITS, '"')),
               "[^A-Z]", "[A-Z]+[^A-Z0-9]", "[A-Z]+0", '[A-Z]+[0-9]+[^0-9"]']
    return "|".join([
        r"<[!?]",
        *_elsewhere(prefix, "c"),
        *_elsewhere(prefix, "f"),
        rf"<{p}c(?:[\t\n\r>/]| [^r]| r[^=]| r=[^\"])",
        rf'<{p}c r="(?:{"|".join(outside)})',
        # a second r: calamine takes the last one (not well-formed, but it reads the file and places the cell)
        rf"""<{p}c r="[^"]*"(?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s+r\s*=""",
    ])


def _binary(data: bytes, end: int) -> pa.Array:
    """``data[:end]`` as a one-value Arrow array, without a copy."""
    return pa.Array.from_buffers(pa.binary(), 1, [None, pa.py_buffer(np.array([0, end], np.int32)),
                                                  pa.py_buffer(data)])


_MAX_CARRY = 1 << 20
_WINDOW = 8 << 20  # bytes checked at once: each check compiles its pattern (the rows grow), ~1 ms


@dataclass
class QuickCheck:
    """Whether every cell reference after the head of a sheet lies in ``box``, the rows growing with the
    sheet, at RE2's speed (Arrow's regex kernel: a DFA, one pass whatever the pattern); and the first formula
    without a cached value. ``ok`` turns False as soon as it cannot vouch for the sheet: then the sheet is
    read exactly with ``SheetWalk``.

    It relies on what XML guarantees: outside comments, CDATA and processing instructions (which it refuses)
    every ``<`` starts a tag, attribute values and text hold no ``<``. If every tag named ``c`` with any
    prefix is written ``<c r="`` with the sheet's prefix, calamine places each cell by its ``r``, and each
    ``<c ...>`` up to the next ``</c>`` is one cell. The windows it checks end after a row, so no cell is cut.
    """

    prefix: str
    box: Box
    ok: bool = True
    uncached: str | None = None  # the reference of a formula cell without a cached value
    _carry: bytes = b""
    _pending: list[bytes] = field(default_factory=list)
    _size: int = 0
    _tags: dict[str, bytes] = field(init=False)
    _last_ref: re.Pattern[bytes] = field(init=False)
    _formula: re.Pattern[bytes] = field(init=False)
    _value: re.Pattern[bytes] = field(init=False)

    def __post_init__(self) -> None:
        p = self.prefix.encode()
        self._tags = {"cell": b"<" + p + b'c r="', "cell_end": b"</" + p + b"c>", "row_end": b"</" + p + b"row>"}
        self._last_ref = re.compile(rb"<" + re.escape(p) + rb'c r="([A-Z]+)([0-9]{1,7})"')
        self._formula = re.compile(rb"<" + re.escape(p) + rb"f[\s>/]")
        self._value = re.compile(rb"<" + re.escape(p) + rb"v>[^<]")

    def feed(self, chunk: bytes) -> bool:
        if not self.ok:
            return False
        self._pending.append(chunk)
        self._size += len(chunk)
        if self._size < _WINDOW:
            return True
        window = b"".join([self._carry, *self._pending])
        self._pending, self._size = [], 0
        end = window.rfind(self._tags["row_end"])  # the rest, from a row cut short, goes with the next window
        end = len(window) if end < 0 else end + len(self._tags["row_end"])
        self._carry = window[end:]
        if len(self._carry) > _MAX_CARRY:  # a megabyte without the end of a row: not a sheet a program writes
            self.ok = False
            return False
        return self._check(window, end)

    def finish(self) -> bool:
        window = b"".join([self._carry, *self._pending])
        return self.ok and self._check(window, len(window))

    def _check(self, window: bytes, end: int) -> bool:
        last = window.rfind(self._tags["cell"], 0, end)
        found = self._last_ref.match(window, last) if last >= 0 else None
        if found is not None:  # rows come in order: the window's last cell is its lowest
            self.box = Box((self.box.rows[0], max(self.box.rows[1], int(found.group(2)) - 1)), self.box.columns)
        if not end:
            return self.ok
        data = _binary(window, end)
        danger = unusual_pattern(self.prefix, self.box)
        formula = rf"<{re.escape(self.prefix)}f[\s>/]"
        if pc.match_substring_regex(data, f"{danger}|{formula}")[0].as_py():
            if pc.match_substring_regex(data, danger)[0].as_py():
                self.ok = False
            elif self.uncached is None:
                self._find_uncached(window, end)
        return self.ok

    def _find_uncached(self, window: bytes, end: int) -> None:
        for formula in self._formula.finditer(window, 0, end):
            start = window.rfind(self._tags["cell"], 0, formula.start())
            stop = window.find(self._tags["cell_end"], formula.end(), end)
            if start < 0 or stop < 0:  # a formula outside a cell: read the sheet exactly
                self.ok = False
                return
            if not self._value.search(window, formula.end(), stop):
                found = self._last_ref.match(window, start)
                self.uncached = found.group(1).decode() + found.group(2).decode() if found else "?"
                return
