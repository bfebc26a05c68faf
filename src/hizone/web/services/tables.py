"""Tables as data: every table a page shows can also be exported to .xlsx and .csv from the same rows."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import xlsxwriter

from hizone.errors import HizoneError
from hizone.exports import write_csv

ColumnKind = Literal["text", "int", "number", "pct", "link"]
# The most rows one export holds: more is a 400 asking the caller to filter (an export is one response in memory).
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class Suppressed:
    """A figure withheld by disclosure control: shown as such on pages and in exports, with why."""

    reason: str
    LABEL = "已隐藏/suppressed"

    def __str__(self) -> str:
        return self.LABEL


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[Column]
    rows: list[dict[str, object]]

    def cell(self, row: dict[str, object], column: Column) -> str:
        return format_cell(row.get(column.key), column.kind)


def check_export_size(total: int, what: str, hint: str, where: str | None = None) -> None:
    """Refuse an export of more than EXPORT_LIMIT rows before it is built, naming the filters that narrow it."""
    if total > EXPORT_LIMIT:
        raise HizoneError(f"the filters select {total:,} {what} and an export holds at most {EXPORT_LIMIT:,}: {hint}",
                          where=where)


def format_cell(value: object, kind: ColumnKind) -> str:
    if value is None:
        return "—"
    if isinstance(value, Suppressed):
        return str(value)
    if kind == "int" and isinstance(value, int | float):
        return f"{int(value):,}"
    if kind == "number" and isinstance(value, int | float):
        return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"
    if kind == "pct" and isinstance(value, int | float):
        return f"{value:+.1f}"
    return str(value)


# Large amounts are read in the reader's own steps: 万 and 亿 in Chinese, thousands and millions in English.
MAGNITUDES = {"zh": ((1e8, "亿"), (1e4, "万")), "en": ((1e6, "M"), (1e3, "k"))}


def format_amount(value: object, unit_label: str, lang: str, base: float = 1.0) -> str:
    """An amount for people: ``value`` × ``base`` in the largest step of ``lang`` it reaches, two decimals, with
    ``unit_label`` (a message whose ``{p}`` is the step, e.g. "{p}吨CO₂": 1.23万吨CO₂, 45.6 kt CO₂)."""
    if value is None or isinstance(value, Suppressed) or not isinstance(value, int | float):
        return format_cell(value, "text")
    amount = float(value) * base
    for size, prefix in MAGNITUDES.get(lang, MAGNITUDES["zh"]):
        if abs(amount) >= size:
            return f"{amount / size:,.2f}{'' if lang == 'zh' else ' '}{unit_label.format(p=prefix)}"
    return f"{amount:,.1f}{'' if lang == 'zh' else ' '}{unit_label.format(p='')}"


def _plain(value: object) -> object:
    return "" if value is None else str(value) if isinstance(value, Suppressed) else value


def to_csv(table: Table) -> bytes:
    """UTF-8 with a BOM so Excel opens Chinese text correctly; text that looks like a formula neutralised."""
    buffer = io.StringIO()
    write_csv(buffer, [c.label for c in table.columns],
              ([_plain(row.get(c.key)) for c in table.columns] for row in table.rows))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table, title: str, synthetic: bool, more: Sequence[Table] = ()) -> bytes:
    """``table`` on the first sheet, each of ``more`` on a sheet of its own (named after the table)."""
    buffer = io.BytesIO()
    # Text is written with write_string (never write()), so no cell becomes a formula or a link; the options
    # say the same for any write() added later.
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    for sheet_table in (table, *more):
        _write_sheet(book, sheet_table, title, synthetic)
    book.close()
    return buffer.getvalue()


def _write_sheet(book: xlsxwriter.Workbook, table: Table, title: str, synthetic: bool) -> None:
    sheet = book.add_worksheet(table.name[:31])
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    number = book.add_format({"num_format": "#,##0.00"})
    line = 0
    sheet.write_string(line, 0, title, book.add_format({"bold": True, "font_size": 13}))
    line += 1
    if synthetic:
        sheet.write_string(line, 0, "演示数据（合成）/ Synthetic demo data", book.add_format({"font_color": "#B00020"}))
        line += 1
    line += 1
    for col, column in enumerate(table.columns):
        sheet.write_string(line, col, column.label, bold)
        sheet.set_column(col, col, max(10, min(40, len(column.label) * 2)))
    for row in table.rows:
        line += 1
        for col, column in enumerate(table.columns):
            value = row.get(column.key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(line, col, value, number if column.kind == "number" else None)
            elif value is not None:
                sheet.write_string(line, col, str(value))
