"""Numbers as Chinese agencies write them: full-width digits, thousands separators, 万/亿, unit suffixes.

One grammar, two implementations that must agree: ``parse_number`` (one value, for tests and small
inputs) and ``sql_number`` (a DuckDB expression, for whole columns). Both apply the same float
operations in the same order, so they give bit-identical results. ``plain_column`` is a shortcut for
the usual column of plain decimals, with the same results (tested against ``parse_number``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from hizone.catalog import Unit

FULL_WIDTH = "０１２３４５６７８９．，－＋ｅＥ−﹣"
HALF_WIDTH = "0123456789.,-+eE--"
_TRANSLATE = str.maketrans(FULL_WIDTH, HALF_WIDTH)
TRIMMED = " \t\r\n\u3000\u00a0"
# Statistical tables write a dash or slash for "nothing to report": read as blank.
BLANK_TOKENS = ("", "-", "--", "—", "——", "–", "/")
MULTIPLIERS = {"万": 1e4, "亿": 1e8}
# Groups: sign, digits (optionally in thousands groups), exponent, suffix (a multiplier or a unit).
_SPACE = "[ \t\r\n\u3000\u00a0]*"  # literal characters: RE2 and Python's re read them alike
PATTERN = (r"(?s)^([+-]?)([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
           r"((?:[eE][+-]?[0-9]+)?)" + _SPACE + r"(.*)$")
_NUMBER = re.compile(PATTERN)
_DIGIT = re.compile(r"[0-9]")


class Status(IntEnum):
    """What parsing a cell found; the validator turns each non-OK status into an issue."""

    OK = 0
    BLANK = 1
    NOT_A_NUMBER = 2
    FORMULA = 3
    UNKNOWN_UNIT = 4


@dataclass(frozen=True)
class ParsedNumber:
    status: Status
    value: float | None = None
    suffix: str = ""


def suffix_factors(unit: Unit, units: Mapping[str, Unit]) -> dict[str, float]:
    """Suffixes a value in a column of ``unit`` may carry, each with the factor into ``unit``."""
    factors: dict[str, float] = {"": 1.0, **MULTIPLIERS}
    for other in units.values():
        if other.base == unit.base:
            factors[other.name] = other.factor / unit.factor
    return factors


def normalise_text(raw: str) -> str:
    return raw.translate(_TRANSLATE).strip(TRIMMED)


def parse_number(raw: object, factors: Mapping[str, float] | None = None,
                 column_factor: float = 1.0) -> ParsedNumber:
    """One cell: a number times its suffix's factor times ``column_factor`` (a unit declared in the header)."""
    if raw is None:
        return ParsedNumber(Status.BLANK)
    if isinstance(raw, bool):
        return ParsedNumber(Status.NOT_A_NUMBER)
    if isinstance(raw, int | float):
        return ParsedNumber(Status.OK, (float(raw) * 1.0) * column_factor)
    text = normalise_text(str(raw))
    if text in BLANK_TOKENS:
        return ParsedNumber(Status.BLANK)
    if text.startswith("="):
        return ParsedNumber(Status.FORMULA)
    match = _NUMBER.match(text)
    if not match:
        return ParsedNumber(Status.NOT_A_NUMBER)
    sign, digits, exponent, suffix = match.groups()
    table = factors if factors is not None else {"": 1.0, **MULTIPLIERS}
    if suffix not in table:
        status = Status.NOT_A_NUMBER if _DIGIT.search(suffix) else Status.UNKNOWN_UNIT
        return ParsedNumber(status, suffix=suffix)
    value = ((float(digits.replace(",", "") + exponent) * table[suffix]) * column_factor)
    return ParsedNumber(Status.OK, -value if sign == "-" else value, suffix)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_double(value: float) -> str:
    return f"'{value!r}'::DOUBLE"


PLAIN = r"-?[0-9]+(?:\.[0-9]+)?"  # most cells: cast directly, skipping the full grammar


def sql_number(column: str, factors: Mapping[str, float], column_factor: float = 1.0) -> tuple[str, str, str]:
    """DuckDB expressions (value, status, suffix) over VARCHAR column ``column``, matching ``parse_number``.

    Three nested queries keep the plan small: ``sql_prepare`` defines ``{column}__p`` (plain number?),
    ``__t`` (normalised text) and ``__m`` (regex groups, only where the cell is not plain);
    ``sql_factor`` adds ``__f`` (the suffix's factor); these expressions go in the outermost query.
    """
    p, t, m, f = (f'"{column}__{x}"' for x in "ptmf")
    magnitude = (f"((CAST(replace({m}.digits, ',', '') || {m}.exponent AS DOUBLE) * {f})"
                 f" * {_sql_double(column_factor)})")
    plain = f'((CAST("{column}" AS DOUBLE) * {_sql_double(1.0)}) * {_sql_double(column_factor)})'
    value = (f"CASE WHEN {p} THEN {plain} WHEN {m}.digits <> '' AND {f} IS NOT NULL THEN "
             f"(CASE WHEN {m}.sign = '-' THEN -{magnitude} ELSE {magnitude} END) END")
    blanks = ", ".join(_sql_string(b) for b in BLANK_TOKENS)
    status = (f"CASE WHEN {p} THEN {int(Status.OK)} "
              f"WHEN {t} IS NULL OR {t} IN ({blanks}) THEN {int(Status.BLANK)} "
              f"WHEN starts_with({t}, '=') THEN {int(Status.FORMULA)} "
              f"WHEN {m}.digits = '' THEN {int(Status.NOT_A_NUMBER)} "
              f"WHEN {f} IS NULL AND regexp_matches({m}.suffix, '[0-9]') THEN {int(Status.NOT_A_NUMBER)} "
              f"WHEN {f} IS NULL THEN {int(Status.UNKNOWN_UNIT)} "
              f"ELSE {int(Status.OK)} END")
    return value, status, f"{m}.suffix"


def sql_factor(column: str, factors: Mapping[str, float]) -> tuple[str, ...]:
    """Middle-query expressions: pass ``{column}``, ``__p``, ``__t``, ``__m`` on and add ``__f``."""
    m = f'"{column}__m"'
    cases = " ".join(f"WHEN {_sql_string(s)} THEN {_sql_double(f)}" for s, f in factors.items())
    return (f'"{column}"', f'"{column}__p"', f'"{column}__t"', f'"{column}__m"',
            f'(CASE {m}.suffix {cases} ELSE NULL END) AS "{column}__f"')


def sql_prepare(column: str) -> tuple[str, str, str, str]:
    """Inner-query expressions defining ``{column}__p``, ``{column}__t`` and ``{column}__m`` for ``sql_number``."""
    source = f'CAST("{column}" AS VARCHAR)'
    plain = f"coalesce(regexp_full_match({source}, {_sql_string(PLAIN)}), false)"
    text = (f"trim(translate({source}, {_sql_string(FULL_WIDTH)}, "
            f"{_sql_string(HALF_WIDTH)}), {_sql_string(TRIMMED)})")
    groups = f"regexp_extract({text}, {_sql_string(PATTERN)}, ['sign', 'digits', 'exponent', 'suffix'])"
    return (f'"{column}"', f'{plain} AS "{column}__p"', f'CASE WHEN NOT {plain} THEN {text} END AS "{column}__t"',
            f'CASE WHEN NOT {plain} THEN {groups} END AS "{column}__m"')


def plain_column(column: pa.ChunkedArray | pa.Array,
                 column_factor: float = 1.0) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]] | None:
    """(value, status) of a column whose every cell is blank (null) or a plain decimal, else None.

    The usual column needs no grammar: a finite number Arrow's float parser accepts ("5.", ".5", "+5",
    "1e3") reads as the same double ``parse_number`` computes, and is multiplied the same way; a column
    with anything else (empty text, separators, suffixes, spaces, "inf") returns None for ``sql_number``.
    """
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):  # numeric cells of a workbook
        numbers = pc.cast(column, pa.float64())
    elif not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    else:
        numbers = _plain_numbers(column)
        if numbers is None:
            return None
    values = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
    blank = np.asarray(pc.is_null(numbers).to_numpy(zero_copy_only=False), dtype=bool)
    status = np.where(blank, np.int8(Status.BLANK), np.int8(Status.OK)).astype(np.int8)
    return np.where(blank, np.nan, (values * 1.0) * column_factor), status


def _plain_numbers(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array | None:
    try:
        numbers = pc.cast(column, pa.float64())
    except pa.ArrowInvalid:
        return None
    # Arrow also reads "inf" and "nan", which the grammar refuses: those columns take the grammar.
    return numbers if pc.all(pc.is_finite(numbers)).as_py() in (True, None) else None
