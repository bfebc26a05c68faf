"""The cell readers lists share: dates as agencies write them, names and codes compared after normalising."""

from __future__ import annotations

import datetime as dt

import pytest

from hizone.registry.sheets import cell_text, normalise_code, normalise_name, parse_date


@pytest.mark.parametrize("text", ["2023-11-20", "2023/11/20", "2023.11.20", "2023年11月20日", "2023 年 11 月 20 日",
                                  "20231120", "2023-11-20 00:00:00", "2023-11-20T00:00:00", "２０２３－１１－２０",
                                  "45250"])  # the last: Excel's day number of a date cell saved without its format
def test_dates_in_the_forms_lists_use(text: str) -> None:
    assert parse_date(text) == dt.date(2023, 11, 20)


@pytest.mark.parametrize(("text", "reason"), [("2023-02-29", "no day 29 of month 2 in 2023"),
                                              ("去年", "'去年' is not a date"), ("123", "'123' is not a date")])
def test_what_is_not_a_date(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date(text)


def test_names_compare_across_widths_brackets_and_spaces() -> None:
    assert normalise_name(" 北京乙（中国）生物 技术有限公司\u3000") == normalise_name("北京乙(中国)生物技术有限公司")
    assert normalise_name("ＡＢＣ科技有限公司") == normalise_name("abc科技有限公司")
    assert normalise_name("北京乙（中国）有限公司") != normalise_name("北京乙有限公司")


def test_codes_and_cells_as_typed() -> None:
    assert normalise_code(" ９１１１０１０８ 000000001a ") == "91110108000000001A"
    assert (cell_text(6513.0), cell_text(None), cell_text(" Z1101 "), cell_text(0.5)) == ("6513", "", "Z1101", "0.5")
