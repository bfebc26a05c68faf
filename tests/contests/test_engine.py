"""The contests engine: values computed by hand."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from hizone.contests.assign import Entry, Judge, assign, conflict
from hizone.contests.model import Eligibility, Entrant, check_eligibility, load_contest, load_rubric, parse_rubric
from hizone.contests.scoring import Score, ScoreError, corrected, read_csv, results, total, validate
from hizone.errors import CatalogError, HizoneError

CICC = load_contest()


def rubric(**over):
    doc = {"code": "t", "version": 2023, "min_score": 0, "max_score": 100, "correction": "zscore", "trim": 1,
           "dimensions": [{"code": "a", "weight": 1}, {"code": "b", "weight": 1}]}
    doc.update(over)
    return parse_rubric(doc, "test.yaml")


def firm(**over):
    base = {"credit_code": "91X", "registered_on": dt.date(2022, 3, 1), "revenue": 1e7}
    base.update(over)
    return Entrant(**base)


def test_published_rubric_has_the_five_dimensions():
    r = load_rubric()
    assert [d.name_zh for d in r.dimensions] == ["技术和产品", "商业模式和实施方案", "行业及市场", "团队", "财务分析"]
    assert r.correction == "zscore"


def test_groups_by_registration_date():
    assert check_eligibility(CICC, firm()).group == "startup"
    assert check_eligibility(CICC, firm(registered_on=dt.date(2022, 1, 1))).group == "startup"
    assert check_eligibility(CICC, firm(registered_on=dt.date(2021, 12, 31))).group == "growth"


def test_revenue_cap_and_listing_give_reasons():
    ok = check_eligibility(CICC, firm(revenue=200_000_000))
    assert ok.eligible and ok.reasons == ()
    bad = check_eligibility(CICC, firm(revenue=200_000_001, listed=True))
    assert not bad.eligible
    assert bad.reasons == ("2022年营业收入 200,000,001 元超过上限 200,000,000 元", "已上市企业不得参赛")


def test_national_growth_group_needs_tech_sme_or_hightech():
    old = firm(registered_on=dt.date(2015, 5, 5))
    assert check_eligibility(CICC, old).eligible
    refused = check_eligibility(CICC, old, national=True)
    assert not refused.eligible and "科技型中小企业" in refused.reasons[0]
    assert check_eligibility(CICC, firm(registered_on=dt.date(2015, 5, 5), tech_sme_number="2023X"),
                             national=True).eligible
    assert check_eligibility(CICC, firm(registered_on=dt.date(2015, 5, 5), hightech_certificate=True),
                             national=True).eligible
    assert check_eligibility(CICC, firm(), national=True).eligible   # 初创组: no such condition


def test_conflicts_and_balanced_assignment():
    judges = [Judge("J1", organisation="org1"), Judge("J2"), Judge("J3")]
    entries = [Entry("E1", organisation="org1"), Entry("E2"), Entry("E3")]
    assert assign(entries, judges, 2) == {"E1": ["J2", "J3"], "E2": ["J1", "J2"], "E3": ["J1", "J3"]}
    assert conflict(Judge("J", zone="z1"), Entry("E", zone="z1")) == "本园区"
    assert conflict(Judge("J", ties=frozenset({"E"})), Entry("E")) == "申报的利益关联"


def test_balanced_loads_without_conflicts():
    judges = [Judge(f"J{i}") for i in range(4)]
    out = assign([Entry(f"E{i}") for i in range(6)], judges, 2)
    loads = [sum(j.code in v for v in out.values()) for j in judges]
    assert loads == [3, 3, 3, 3] and all(len(v) == 2 for v in out.values())


def test_too_few_free_judges_is_refused():
    with pytest.raises(HizoneError, match="E1 \\(1\\)"):
        assign([Entry("E1", zone="z")], [Judge("J1"), Judge("J2", zone="z")], 2)


def test_weighted_total():
    r = rubric(dimensions=[{"code": "a", "weight": 3}, {"code": "b", "weight": 1}])
    assert total(r, {"a": 80, "b": 40}) == 70   # (3·80 + 40) / 4


def same(judge, entry, mark):
    return Score(judge, entry, {"a": mark, "b": mark})


def test_zscore_correction_by_hand():
    # A: 90 70 80 → mean 80, sd √(200/3); B: 60 60 90 → mean 70, sd √200
    scores = [same("A", "x", 90), same("A", "y", 70), same("A", "z", 80),
              same("B", "x", 60), same("B", "y", 60), same("B", "z", 90)]
    sa, sb = math.sqrt(200 / 3), math.sqrt(200)
    v = corrected(rubric(), scores)
    assert v["x"] == pytest.approx((10 / sa - 10 / sb) / 2)
    assert v["y"] == pytest.approx((-10 / sa - 10 / sb) / 2)
    assert v["z"] == pytest.approx((0 + 20 / sb) / 2)
    assignment = {e: ["A", "B"] for e in "xyz"}
    res = results(rubric(), scores, assignment, advance=2)
    assert [(r.entry, r.rank, r.advances, r.raw_mean) for r in res] == [
        ("z", 1, True, 85), ("x", 2, True, 75), ("y", 3, False, 65)]


def test_trimmed_mean_and_ties_at_the_cut():
    r = rubric(correction="trimmed_mean")
    five = [same(f"J{i}", "x", m) for i, m in enumerate([50, 60, 70, 80, 100])]
    assert corrected(r, five)["x"] == 70   # drop 50 and 100
    two = [same("J0", "y", 70), same("J1", "y", 70), same("J0", "w", 60), same("J1", "w", 60)]
    assignment = {"x": [f"J{i}" for i in range(5)], "y": ["J0", "J1"], "w": ["J0", "J1"]}
    res = results(r, five + two, assignment, advance=1, ineligible=frozenset())
    assert [(x.entry, x.rank, x.advances) for x in res] == [("x", 1, True), ("y", 1, True), ("w", 3, False)]
    res = results(r, five + two, assignment, advance=1, ineligible=frozenset({"y"}))
    assert [x.advances for x in res] == [True, False, False]


def test_invalid_scores_are_refused_with_row_and_reason():
    scores = [Score("A", "x", {"a": 101, "b": 50}), Score("B", "x", {"a": 1}), Score("A", "x", {"a": 1, "b": 1})]
    with pytest.raises(ScoreError) as err:
        validate(rubric(), scores, {"x": ["A"]})
    assert str(err.value).splitlines() == [
        "scores: row 1, a: 101 is outside 0–100",
        "row 2: judge B is not assigned to entry x",
        "row 2, b: missing",
        "row 3: judge A scored entry x twice",
    ]


def test_csv_import():
    r = rubric()
    assert read_csv(r, "judge,entry,a,b\nA,x,80,70\n") == [Score("A", "x", {"a": 80.0, "b": 70.0})]
    with pytest.raises(ScoreError, match="row 3, column b: 'high' is not a number"):
        read_csv(r, "judge,entry,a,b\nA,x,80,70\nA,y,80,high\n")
    with pytest.raises(ScoreError, match="missing column\\(s\\): b"):
        read_csv(r, "judge,entry,a\n")


def test_bad_rubric_is_refused():
    with pytest.raises(CatalogError, match="'correction' must be one of"):
        rubric(correction="median")


def test_the_disruptive_contest_has_no_revenue_cap_and_the_published_stages():
    contest = load_contest("disruptive-2021")
    assert [s.name_zh for s in contest.stages] == ["报名", "初筛", "领域赛", "总决赛"]
    verdict = check_eligibility(contest, firm(revenue=None, registered_on=dt.date(2001, 1, 1), listed=True),
                                national=True)
    assert verdict == Eligibility(True, "entity", ())
