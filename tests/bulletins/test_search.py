"""Folding for search, and hits found in the original text with its offsets."""

from __future__ import annotations

from hizone.bulletins.search import count, find, folded_text, grams

TEXT = "深圳高新区营业收\n入　５２００亿元，İstanbul ＡＢＣ。营业收入"


def test_folding() -> None:
    # Full-width ASCII (， too) as ASCII, lower case one character for one, no spaces or line breaks.
    assert folded_text(TEXT) == "深圳高新区营业收入5200亿元,istanbulabc。营业收入"
    assert grams("深圳高") == {"深圳", "圳高"} and grams("深") == {"深"}
    assert count(folded_text(TEXT), "营业收入 ５２００") == 3 and count(folded_text(TEXT), "营业收入 东湖") == 0


def test_find_reports_original_offsets_and_snippets() -> None:
    hits = find(TEXT, "营业收入 ５２００")
    assert [(h.term, h.start, h.end) for h in hits] == [("营业收入", 5, 10), ("5200", 11, 15),
                                                        ("营业收入", len(TEXT) - 4, len(TEXT))]
    assert TEXT[5:10] == "营业收\n入" and hits[0].matched == "营业收 入" and hits[0].before == "深圳高新区"
    assert len(hits) == count(folded_text(TEXT), "营业收入 5200")
    assert find(TEXT, "营业收入 东湖") == [] and len(find(TEXT, "营业收入", limit=1)) == 1
