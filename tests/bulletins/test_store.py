"""Storing bulletins and facts, their review (audited) and the full-text search, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from hizone.auth.policy import Principal
from hizone.bulletins.model import Fact
from hizone.store import session_scope
from hizone.store.bulletins import (
    BulletinError,
    BulletinRow,
    Correction,
    FactFilter,
    FactRow,
    GramRow,
    facts,
    load_bulletin,
    review,
    search,
)
from hizone.store.changes import AuditFilter, audit_entries
from tests.bulletins.factories import bulletin, fact_at
from tests.bulletins.factories import facts as hand_facts

ANALYST = Principal("ana", "analyst")
ZONE = Principal("zed", "zone", zone_code="Z4403")


def _counts(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as s:
        return tuple(int(s.scalar(select(func.count()).select_from(t)) or 0)  # type: ignore[return-value]
                     for t in (BulletinRow, FactRow, GramRow))


def test_load_stores_bulletin_facts_and_index_once(engine: Engine) -> None:
    b = bulletin()
    with session_scope(engine) as s:
        first = load_bulletin(s, b, hand_facts(b), ANALYST)
    with session_scope(engine) as s:
        again = load_bulletin(s, b, hand_facts(b), ANALYST)
    assert first.created and first.facts == 3
    assert not again.created and again.bulletin_id == first.bulletin_id and again.facts == 3
    stored_bulletins, stored_facts, stored_grams = _counts(engine)
    assert (stored_bulletins, stored_facts) == (1, 3)
    # The folded text has no spaces or line breaks: its distinct bigrams, counted independently.
    folded = "".join(b.text.split()).lower()
    assert stored_grams == len({folded[i:i + 2] for i in range(len(folded) - 1)})
    with session_scope(engine) as s:
        got = facts(s, FactFilter(subject="Z4403"))
        assert [(f.metric, f.value, f.unit, f.period, f.status) for f in got] == [
            ("high_tech_enterprise_count", 5450, "家", "2021-12-31", "extracted"),
            ("revenue", 1.2e12, "元", "2021", "extracted")]
        assert b.text[got[1].start:got[1].end] == got[1].quote
        loads = audit_entries(s.connection(), AuditFilter(action="bulletin_load"))
    assert [(e.object_id, e.detail["facts"]) for e in loads] == [(str(first.bulletin_id), 3)]


def test_a_refused_bulletin_stores_nothing(engine: Engine) -> None:
    b = bulletin()
    wrong = Fact(b.file, 0, 4, "Z4403", "深圳", "revenue", 1.0, "元", "2021", "", "不是这里")
    with pytest.raises(BulletinError, match="its quote is not the text there"), session_scope(engine) as s:
        load_bulletin(s, b, [*hand_facts(b), wrong], ANALYST)
    with pytest.raises(BulletinError, match="not a bulletin"), session_scope(engine) as s:
        load_bulletin(s, bulletin("一份会议通知，没有数字。", issue="", issue_date=None), [], ANALYST)
    with pytest.raises(BulletinError, match="no text"), session_scope(engine) as s:
        load_bulletin(s, bulletin(" \n", issue=""), [], ANALYST)
    assert _counts(engine) == (0, 0, 0)


def test_review_changes_status_and_is_audited(engine: Engine) -> None:
    b = bulletin()
    with session_scope(engine) as s:
        load_bulletin(s, b, hand_facts(b), ANALYST)
        first, second, third = (f.id for f in facts(s))
    with session_scope(engine) as s:
        assert review(s, ANALYST, first, "confirm").status == "confirmed"
        corrected = review(s, ANALYST, second, "correct", Correction(1.25e12), note="原文为1.25万亿元")
        rejected = review(s, ANALYST, third, "reject")
    assert (corrected.status, corrected.current_value, corrected.value, corrected.current_unit) == (
        "corrected", 1.25e12, 1.2e12, "元")
    assert rejected.status == "rejected" and rejected.reviewer == "ana"
    with session_scope(engine) as s:
        entries = audit_entries(s.connection(), AuditFilter(object_kind="bulletin_fact"), newest_first=False)
    assert [(e.action, e.object_id, e.detail["from"], e.detail["to"]) for e in entries] == [
        ("bulletin_confirm", str(first), "extracted", "confirmed"),
        ("bulletin_correct", str(second), "extracted", "corrected"),
        ("bulletin_reject", str(third), "extracted", "rejected")]
    assert entries[1].detail["before"]["value"] == 1.2e12 and entries[1].detail["after"]["value"] == 1.25e12
    assert entries[1].detail["note"] == "原文为1.25万亿元"


def test_review_refusals(engine: Engine) -> None:
    b = bulletin()
    with session_scope(engine) as s:
        load_bulletin(s, b, hand_facts(b), ANALYST)
        fact_id = facts(s)[0].id
    cases = [(ZONE, fact_id, "confirm", None, "national analysts"),
             (ANALYST, fact_id, "approve", None, "unknown review action"),
             (ANALYST, fact_id, "correct", None, "needs the corrected value"),
             (ANALYST, fact_id, "confirm", Correction(1.0), "only a correction"),
             (ANALYST, fact_id, "correct", Correction(1.0, unit="斤"), "unknown unit"),
             (ANALYST, 999, "confirm", None, "no fact 999")]
    for who, target, action, correction, message in cases:
        with pytest.raises(BulletinError, match=message), session_scope(engine) as s:
            review(s, who, target, action, correction)
    with session_scope(engine) as s:
        assert facts(s)[0].status == "extracted"
        assert not audit_entries(s.connection(), AuditFilter(object_kind="bulletin_fact"))


def test_search_is_chinese_aware_and_spans_line_breaks(engine: Engine) -> None:
    first = bulletin()
    other = bulletin("火炬动态 2022年第9期\n武汉东湖高新区营业收入增长。营业收入继续领先。\n", file="issue9.txt",
                     issue="2022年第9期")
    with session_scope(engine) as s:
        load_bulletin(s, first, hand_facts(first), ANALYST)
        load_bulletin(s, other, [fact_at(other, "武汉东湖高新区营业收入增长。", "Z4201", "revenue_growth", 1, "%", "")],
                      ANALYST)
    with session_scope(engine) as s:
        # "营业收\n入" in the first bulletin is found across its line break; the second has 营业收入 twice.
        found = search(s, "营业收入")
        assert [(f.bulletin.file_name, f.count) for f in found] == [("issue9.txt", 2), ("issue8.txt", 2)]
        hits = found[1].hits
        start = first.text.index("营业收\n入")
        assert (hits[0].start, hits[0].end, hits[0].matched) == (start, start + 5, "营业收 入")
        # Two characters work; terms are ANDed; full-width digits fold to ASCII.
        assert [f.bulletin.file_name for f in search(s, "东湖")] == ["issue9.txt"]
        assert [f.bulletin.file_name for f in search(s, "滨海 ５２００")] == ["issue8.txt"]
        assert search(s, "滨海 东湖") == []
        assert [f.count for f in search(s, "湖")] == [1]
        with pytest.raises(BulletinError, match="empty query"):
            search(s, "  ")
