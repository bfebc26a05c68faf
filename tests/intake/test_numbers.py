"""The number parser: examples, properties (hypothesis), and agreement of the scalar and DuckDB versions."""

from __future__ import annotations

import math
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hizone.catalog import default_catalog
from hizone.intake.numbers import Status, parse_number, sql_factor, sql_number, sql_prepare, suffix_factors

CATALOG = default_catalog()
MONEY = suffix_factors(CATALOG.units["千元"], CATALOG.units)  # a column in 千元
PEOPLE = suffix_factors(CATALOG.units["人"], CATALOG.units)
FULL = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


@pytest.mark.parametrize(("text", "factors", "expected"), [
    ("1,234.5", MONEY, 1234.5),
    ("１２３４", MONEY, 1234.0),
    ("３.５万", MONEY, 35000.0),
    (" -2亿 ", MONEY, -2e8),
    ("3.5万元", MONEY, 35.0),  # 3.5 万元 = 35 千元
    ("1.2亿元", MONEY, 120000.0),
    ("12000元", MONEY, 12.0),
    ("1.5万人", PEOPLE, 15000.0),
    ("1.23E+3", MONEY, 1230.0),
    ("+7", MONEY, 7.0),
    ("１，２３４，５６７", MONEY, 1234567.0),
])
def test_examples(text: str, factors: dict[str, float], expected: float) -> None:
    parsed = parse_number(text, factors)
    assert parsed.status is Status.OK and parsed.value == expected


@pytest.mark.parametrize(("text", "status"), [
    ("", Status.BLANK), ("  ", Status.BLANK), ("—", Status.BLANK), ("-", Status.BLANK), (None, Status.BLANK),
    ("abc", Status.NOT_A_NUMBER), ("1,23", Status.NOT_A_NUMBER), ("12 34", Status.NOT_A_NUMBER),
    ("=SUM(A1:A3)", Status.FORMULA), ("12吨", Status.UNKNOWN_UNIT), ("5万人", Status.UNKNOWN_UNIT),
])
def test_refusals(text: str | None, status: Status) -> None:
    assert parse_number(text, MONEY).status is status


def test_a_header_unit_scales_the_column() -> None:
    # A column headed 营业收入(万元): 3.5 there is 35 千元; "2万元" in it still means 2 万元.
    assert parse_number("3.5", MONEY, column_factor=10.0).value == 35.0


def _format(magnitude: Decimal, separators: bool, full_width: bool) -> str:
    text = f"{magnitude:,f}" if separators else f"{magnitude:f}"
    return text.translate(FULL) if full_width else text


numbers = st.decimals(min_value=0, max_value=10**12, places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=300)
@given(numbers, st.booleans(), st.booleans(), st.sampled_from(["", "万", "亿", "元", "万元", "亿元", "千元"]),
       st.booleans())
def test_any_formatted_number_parses_to_its_value(magnitude: Decimal, separators: bool, full_width: bool,
                                                  suffix: str, negative: bool) -> None:
    text = ("-" if negative else "") + _format(magnitude, separators, full_width) + suffix
    factor = {"": 1, "万": 10**4, "亿": 10**8, "元": Decimal("0.001"), "万元": 10, "亿元": 10**5, "千元": 1}[suffix]
    expected = (-1 if negative else 1) * magnitude * factor
    parsed = parse_number(text, MONEY)
    assert parsed.status is Status.OK
    assert parsed.value == pytest.approx(float(expected), rel=1e-12, abs=1e-12)


cells = st.one_of(
    st.builds(lambda m, s, f, x: ("-" if s else "") + _format(m, s, f) + x, numbers, st.booleans(), st.booleans(),
              st.sampled_from(["", "万", "亿", "万元", "吨", " 万", "e3", "E-2"])),
    st.text(alphabet="0123456789,.-+=万亿元吨 ０１２abcEinfINFty", max_size=12),
    st.none())


@settings(max_examples=100, deadline=None)
@given(st.lists(cells, min_size=1, max_size=60), st.sampled_from([1.0, 10.0, 0.001]))
def test_duckdb_and_python_parse_alike(texts: list[str | None], column_factor: float) -> None:
    inner = ", ".join(sql_prepare("c0"))
    middle = ", ".join(sql_factor("c0", MONEY))
    value, status, _ = sql_number("c0", MONEY, column_factor)
    with duckdb.connect() as con:
        con.register("raw", pa.table({"c0": pa.array(texts, pa.string())}))
        rows = con.sql(f"SELECT {value}, {status} FROM (SELECT {middle} FROM (SELECT {inner} FROM raw))")
        rows = rows.fetchall()
    for text, (sql_value, sql_status) in zip(texts, rows, strict=True):
        parsed = parse_number(text, MONEY, column_factor)
        assert (sql_status, sql_value) == (int(parsed.status), parsed.value), text


plain_cells = st.one_of(st.text(alphabet="0123456789.-+eEinfaINFA", min_size=0, max_size=14), st.none(),
                        st.builds(lambda m: f"{m:f}", numbers))


@settings(max_examples=200, deadline=None)
@given(st.lists(plain_cells, min_size=1, max_size=40), st.sampled_from([1.0, 10.0, 0.001]))
def test_the_plain_column_shortcut_agrees_with_the_grammar(texts: list[str | None], column_factor: float) -> None:
    from hizone.intake.numbers import plain_column

    result = plain_column(pa.chunked_array([pa.array(texts, pa.string())]), column_factor)
    if result is None:  # some cell needs the grammar ("", "-", "1-2", "...") or overflows ("1E310", which the
        # grammar reads as infinity and the validator refuses): the column goes to sql_number
        parsed_cells = [parse_number(t, MONEY, column_factor) for t in texts if t is not None]
        assert any(p.status is not Status.OK or not math.isfinite(p.value or 0.0) for p in parsed_cells)
        return
    values, statuses = result
    for text, value, status in zip(texts, values.tolist(), statuses.tolist(), strict=True):
        parsed = parse_number(text, MONEY, column_factor)
        assert status == int(parsed.status), text
        assert (value != value and parsed.value is None) or value == parsed.value, text


@pytest.mark.parametrize("texts", [["12", "1,234"], ["5", " 6"], ["inf"], ["2", "NaN"], ["3万"], [""], ["1E310"]])
def test_anything_but_plain_numbers_is_left_to_the_grammar(texts: list[str]) -> None:
    from hizone.intake.numbers import plain_column

    assert plain_column(pa.array(texts, pa.string())) is None
