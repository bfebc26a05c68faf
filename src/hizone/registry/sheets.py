"""Enterprise and qualification lists as rows of text: read by intake's readers, columns named by list_columns.yaml.

The readers find the header by a form's column labels; a list has no form, so it gets a rule set of its own
whose identifying ("entity") column is a credit code or a name: published lists often carry names only.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hizone.catalog import Catalog, default_catalog, read_yaml
from hizone.catalog.model import Form
from hizone.errors import RegistryError
from hizone.intake.codes import credit_code_problems
from hizone.intake.headers import normalise_label
from hizone.intake.readers import RawSheet, Source, read_source
from hizone.intake.rules import ColumnRole, RuleSet
from hizone.registry.credit_code import validate_credit_code
from hizone.registry.tables import DATA
from hizone.text import ascii_digits

Reader = Callable[..., RawSheet]  # intake's read_source, or its worker's read_in_worker (same signature)
IDENTIFYING = ("credit_code", "name")
LIST_COLUMNS = DATA / "list_columns.yaml"
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SPACE = re.compile(r"\s+")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
SHOWN_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (file, row, column) and why."""

    where: str
    reason: str
    row: int = 0  # the file's row, to list problems in file order
    column: str | None = None  # the list's column name (credit_code, name, …)

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class ListRefused(RegistryError):
    """A list refused as a whole: each problem one line naming file, row and column; nothing was stored."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: p.row))
        lines = [str(p) for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"… and {len(self.problems) - SHOWN_PROBLEMS} more problem(s); nothing stored")
        super().__init__("\n".join(lines))


@cache
def column_labels(path: Path = LIST_COLUMNS) -> dict[str, str]:
    """Normalised header label -> column name, from a YAML of ``columns: {name: [labels]}``."""
    doc = read_yaml(path)
    return {normalise_label(label)[0]: column for column, labels in doc["columns"].items() for label in labels}


@cache
def list_rules(path: Path = LIST_COLUMNS) -> RuleSet:
    """Rules that only find the header: at least two known columns, one of them identifying (by default a credit
    code or a name; a YAML of other lists names its own under ``identifying``)."""
    identifying = tuple(read_yaml(path).get("identifying") or IDENTIFYING)
    by_column: dict[str, list[str]] = {}
    for label, column in column_labels(path).items():
        by_column.setdefault("entity" if column in identifying else column, []).append(label)
    form = Form(code="registry_list", version=0, name_zh="名单", name_en="list", entity="enterprise",
                frequency="annual", cumulative=False, source=str(path), fields=())
    roles = tuple(ColumnRole(role, tuple(labels), False) for role, labels in by_column.items())
    return RuleSet(form=form, columns=roles, ranges={}, cross_field=(), outliers=())


@dataclass(frozen=True)
class ListRow:
    row: int  # 1-based row in the file
    cells: dict[str, str]  # column name -> text ("" when blank)


@dataclass(frozen=True)
class ListSheet:
    """A list's rows as text, and where each named column is."""

    raw: RawSheet
    positions: dict[str, int]  # column name -> position in the table

    @property
    def name(self) -> str:
        return self.raw.source_name

    @property
    def sha256(self) -> str:
        return self.raw.sha256

    def has(self, column: str) -> bool:
        return column in self.positions

    def where(self, row: int, column: str | None = None) -> str:
        return self.raw.where(row, self.positions.get(column) if column else None)

    def problem(self, row: int, column: str | None, reason: str) -> Problem:
        return Problem(self.where(row, column), reason, row, column)

    def rows(self) -> Iterator[ListRow]:
        columns = {name: _column_text(self.raw.table.column(position)) for name, position in self.positions.items()}
        for i, number in enumerate(self.raw.row_numbers.tolist()):
            yield ListRow(number, {name: values[i] for name, values in columns.items()})


def read_list(source: Source, required: Sequence[str], *, name: str | None = None, sheet: str | None = None,
              read: Reader = read_source, catalog: Catalog | None = None, columns: Path = LIST_COLUMNS) -> ListSheet:
    """The list in ``source`` with its columns named (labels from ``columns``); a RegistryError for a missing or
    doubled column."""
    raw = read(source, list_rules(columns), catalog or default_catalog(), name=name, sheet=sheet)
    labels = column_labels(columns)
    positions: dict[str, int] = {}
    for position, label in enumerate(raw.labels):
        column = labels.get(normalise_label(label)[0])
        if column is None:
            continue
        if column in positions:
            raise RegistryError(f"columns {raw.letter(positions[column])} and {raw.letter(position)} both hold "
                                f"{column}", where=raw.where())
        positions[column] = position
    missing = [c for c in required if c not in positions]
    if missing:
        raise RegistryError(f"missing column(s) {', '.join(_label_of(c, columns) for c in missing)}",
                            where=raw.where(raw.header_row))
    return ListSheet(raw, positions)


def _label_of(column: str, path: Path = LIST_COLUMNS) -> str:
    """The first Chinese label of a column (as a user would write it), with its name."""
    labels = [label for label, c in column_labels(path).items() if c == column and not label.isascii()]
    return f"{labels[0]} ({column})" if labels else column


def checked_credit_codes(book: ListSheet, lines: Sequence[ListRow], problems: list[Problem], *,
                         required: bool) -> list[str]:
    """Each row's credit code normalised, checked for the whole column at once; "" where it is wrong (its problem
    recorded) or blank (a problem too when ``required``)."""
    codes = [normalise_code(line.cells.get("credit_code", "")) for line in lines]
    checks, _ = credit_code_problems(codes)
    for i, (line, code, check) in enumerate(zip(lines, codes, checks.tolist(), strict=True)):
        if check and (code or required):
            try:
                validate_credit_code(code)  # for its message: the column check said what is wrong, not how
            except RegistryError as error:
                problems.append(book.problem(line.row, "credit_code", error.reason))
                codes[i] = ""
    return codes


def cell_date(book: ListSheet, line: ListRow, column: str, latest: dt.date | None,
              problems: list[Problem]) -> dt.date | None:
    """The row's date in ``column`` (None when blank); a problem when it is no date or later than ``latest``."""
    text = line.cells.get(column, "")
    if not text:
        return None
    try:
        day = parse_date(text)
    except ValueError as exc:
        problems.append(book.problem(line.row, column, str(exc)))
        return None
    if latest is not None and day > latest:
        problems.append(book.problem(line.row, column, f"{day} is in the future"))
    return day


def _column_text(column: pa.ChunkedArray) -> list[str]:
    """A column's cells as text: Arrow trims a text column whole; numbers and others go cell by cell."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return pc.fill_null(pc.utf8_trim_whitespace(column), "").to_pylist()
    return [cell_text(value) for value in column.to_pylist()]


def cell_text(value: Any) -> str:
    """A cell as text: numbers from a workbook without a trailing .0, blanks as ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@lru_cache(maxsize=4096)  # a list repeats a few dates many times
def parse_date(text: str) -> dt.date:
    """2023-11-20, 2023/11/20, 2023年11月20日, 20231120, a workbook's date or an Excel day number; ValueError else."""
    text = unicodedata.normalize("NFKC", text).strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise ValueError(f"'{text}' is not a date: no day {day} of month {month} in {year}") from None
    if ascii_digits(text) and 20000 <= int(text) <= 80000:  # a date cell saved without its date format
        return _EXCEL_EPOCH + dt.timedelta(days=int(text))
    raise ValueError(f"'{text}' is not a date (write e.g. 2023-11-20)")


def normalise_name(name: str) -> str:
    """An enterprise name for comparison: full-width forms as half-width (（） as ()), no whitespace, one case."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name)).casefold()


def normalise_code(text: str) -> str:
    """A credit code, zone code or number as typed: full-width characters and spaces removed, upper-case."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).upper()
