"""Hand-made enterprise and qualification lists, written the ways agencies write them: XlsxWriter, openpyxl,
CSV in UTF-8 and in GBK."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import xlsxwriter

from hizone.registry import check_character

Cell = str | int | float | dt.date | None
WRITERS = ("xlsxwriter", "openpyxl", "csv-utf8", "csv-gbk")
SUFFIX = {"xlsxwriter": ".xlsx", "openpyxl": ".xlsx", "csv-utf8": ".csv", "csv-gbk": ".csv"}


def code(n: int, division: str = "110108") -> str:
    """A valid 统一社会信用代码 for enterprise ``n``."""
    first17 = f"91{division}{n:09d}"
    return first17 + check_character(first17)


def wrong_check(valid: str) -> str:
    """``valid`` with its check character replaced by another one."""
    return valid[:17] + ("1" if valid[17] != "1" else "2")


def _xlsxwriter(rows: Sequence[Sequence[Cell]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("名单")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif value is not None:
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def _openpyxl(rows: Sequence[Sequence[Cell]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(rows: Sequence[Sequence[Cell]], encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in row]
                      for row in rows])
    return out.getvalue().encode(encoding)


def write(path: Path, writer: str, rows: Sequence[Sequence[Cell]]) -> Path:
    """``rows`` (header first) as a file made by ``writer``, at ``path`` with the writer's suffix."""
    data = {"xlsxwriter": lambda: _xlsxwriter(rows), "openpyxl": lambda: _openpyxl(rows),
            "csv-utf8": lambda: _csv(rows, "utf-8"), "csv-gbk": lambda: _csv(rows, "gbk")}[writer]()
    target = path.with_suffix(SUFFIX[writer])
    target.write_bytes(data)
    return target
