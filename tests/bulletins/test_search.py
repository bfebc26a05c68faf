"""Folding for search: offsets back into the original text, the fast form equal to the full one."""

from __future__ import annotations

from hizone.bulletins.search import find, fold, folded_text, grams

TEXT = "深圳高新区营业收\n入　５２００亿元，İstanbul ＡＢＣ。"


def test_fold_keeps_offsets_and_the_fast_form_agrees() -> None:
    folded = fold(TEXT)
    assert folded.text == folded_text(TEXT) == "深圳高新区营业收入5200亿元,istanbulabc。"  # ， is full-width ASCII too
    # Each folded character stands for the original one at its offset (one for one, spaces left out).
    assert len(folded.offsets) == len(folded.text)
    assert TEXT[folded.offsets[folded.text.index("入")]] == "入"
    assert grams("深圳高") == {"深圳", "圳高"} and grams("深") == {"深"}


def test_find_reports_original_offsets_and_snippets() -> None:
    (hit,) = find(TEXT, "营业收入 ５２００")[:1]
    assert (hit.start, hit.end, TEXT[hit.start:hit.end]) == (5, 10, "营业收\n入")
    assert hit.matched == "营业收 入" and hit.before == "深圳高新区"
    assert [h.term for h in find(TEXT, "营业收入 5200")] == ["营业收入", "5200"]
    assert find(TEXT, "营业收入 东湖") == []
