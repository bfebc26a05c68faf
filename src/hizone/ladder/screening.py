"""Bulk screening: the self-check of many enterprises at once, each prefilled from its own reports, what a zone
uploads (a CSV of ``hizone ladder assess`` columns, any subset with ``id``) filling or correcting the rest.

Pure: the prefilled cells per enterprise and the uploaded text in; the merged input rows (one per uploaded row,
so a problem names the upload's own row and column) out. Checking and assessing stay with hizone.ladder.records.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from hizone.errors import HizoneError
from hizone.ladder.records import INPUT_COLUMNS, FirmsRefused, Problem


def decode_csv(raw: bytes, source: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV file in UTF-8 (with or without BOM) or, failing that, GBK."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise HizoneError("not a UTF-8 or GBK text file", where=source)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise HizoneError(f"not a readable CSV file ({error})", where=source) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise HizoneError("empty: expected a header row", where=source)
    return [cell.strip() for cell in rows[0]], rows[1:]


def merged_rows(header: Sequence[str], rows: Sequence[Sequence[str]], prefilled: Mapping[str, Mapping[str, str]],
                year: int, source: str, unknown_reason: str) -> list[list[str]]:
    """Each uploaded row as a full input row (INPUT_COLUMNS): the enterprise's prefilled cells, its non-empty
    uploaded cells over them. A blank row stays blank (so row numbers stay the upload's); every problem with the
    header or an id refuses the whole file."""
    problems = [Problem(1, name, "not an input column of the self-check") for name in header
                if name and name not in INPUT_COLUMNS]
    if "id" not in header:
        problems.append(Problem(1, "id", "missing column: the enterprise's credit code"))
    if problems:
        raise FirmsRefused(source, problems)
    merged: list[list[str]] = []
    for number, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            merged.append([""] * len(INPUT_COLUMNS))
            continue
        if len(cells) != len(header):
            problems.append(Problem(number, "", f"{len(cells)} cells, the header has {len(header)}"))
            continue
        given = {name: cell.strip() for name, cell in zip(header, cells, strict=True) if name}
        base = prefilled.get(given["id"])
        if base is None:
            problems.append(Problem(number, "id", f"{given['id'] or 'empty'}: {unknown_reason}"))
            continue
        if given.get("year") and given["year"] != str(year):
            problems.append(Problem(number, "year", f"{given['year']}: the screening is of {year}"))
            continue
        row = {**base, **{name: value for name, value in given.items() if value}}
        merged.append([row[name] for name in INPUT_COLUMNS])
    if problems:
        raise FirmsRefused(source, problems)
    return merged
