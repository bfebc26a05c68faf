"""CSV that spreadsheets open safely: the one writer every CSV export and command goes through.

A text cell that starts like a formula (``=HYPERLINK(...)``, ``@SUM(1)``, ``+1-1``) runs as one when the file
is opened in Excel or LibreOffice, and text such as usernames, file names and zone names comes from users
(OWASP, "CSV Injection"). So text starting with = + - @, a tab or a carriage return (or a full-width
＝ ＋ － ＠, which spreadsheets also accept) gets a leading single quote, and every field is quoted. Numbers
are not text: a genuinely negative number stays a number.
"""

from __future__ import annotations

import csv
import numbers
from collections.abc import Callable, Iterable
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def csv_cell(value: object, number: Callable[[float], str] = str) -> str:
    """One cell as written: blank for None, numbers through ``number``, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return number(float(value)) if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(stream: TextIO, header: Iterable[str], rows: Iterable[Iterable[object]], *,
              number: Callable[[float], str] = str, lineterminator: str = "\r\n") -> None:
    """Header and rows, every field quoted; floats formatted by ``number`` (e.g. full precision)."""
    writer = csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator=lineterminator)
    writer.writerow([csv_cell(label) for label in header])
    writer.writerows([csv_cell(value, number) for value in row] for row in rows)
