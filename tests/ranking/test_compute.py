"""The pure evaluation on four hand-made zones; every expected number is worked out in the comments.

Values (A1, A2, B1, B2), minmax to [0, 100] with B1 reversed (less is better):
  Z1 (4, 10, 0.5, 3) -> (50, 33.33, 100, 100)     Z2 (2, 30, 1.0, 1) -> (0, 100, 50, 33.33)
  Z3 (6, 20, 1.5, 1.5) -> (100, 66.67, 0, 50)     Z4 (3, 0, 0.5, 0) -> (25, 0, 100, 0)
A = (2·A1 + A2)/3: Z1 44.44, Z2 33.33, Z3 88.89, Z4 16.67;  B = (B1 + B2)/2: Z1 100, Z2 41.67, Z3 25, Z4 50
INDEX = (60·A + 40·B)/100: Z1 66.67, Z2 36.67, Z3 63.33, Z4 30.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hizone.errors import HizoneError
from hizone.ranking.compute import Evaluation, evaluate, gap_report, index_data
from hizone.ranking.framework import ROOT, Framework, load_framework
from tests.ranking.tiny import write_framework

CURRENT: dict[str, dict[str, float | None]] = {
    "Z1": {"A1": 4.0, "A2": 10.0, "B1": 0.5, "B2": 3.0},
    "Z2": {"A1": 2.0, "A2": 30.0, "B1": 1.0, "B2": 1.0},
    "Z3": {"A1": 6.0, "A2": 20.0, "B1": 1.5, "B2": 1.5},
    "Z4": {"A1": 3.0, "A2": 0.0, "B1": 0.5, "B2": 0.0},
}
# last year Z1 and Z4 had each other's values: ranks then were Z4 1, Z3 2, Z2 3, Z1 4
PREVIOUS: dict[str, dict[str, float | None]] = {**CURRENT, "Z1": CURRENT["Z4"], "Z4": CURRENT["Z1"]}
REGIONS = {"Z1": "east", "Z2": "west", "Z3": "east", "Z4": "east"}


@pytest.fixture
def framework(tmp_path: Path) -> Framework:
    return load_framework(write_framework(tmp_path))


@pytest.fixture
def evaluation(framework: Framework) -> Evaluation:
    return evaluate(framework, 2021, index_data(framework, CURRENT, regions=REGIONS),
                    index_data(framework, PREVIOUS, regions=REGIONS), samples=0)


def scores(evaluation: Evaluation, code: str) -> dict[str, float | None]:
    return {row.zone_code: row.score for row in evaluation.rows if row.code == code}


def ranks(evaluation: Evaluation, code: str) -> dict[str, int | None]:
    return {row.zone_code: row.rank for row in evaluation.rows if row.code == code}


def test_scores_match_the_hand_computation(evaluation: Evaluation) -> None:
    assert scores(evaluation, "B1") == pytest.approx({"Z1": 100, "Z2": 50, "Z3": 0, "Z4": 100})
    assert scores(evaluation, "A") == pytest.approx({"Z1": 400 / 9, "Z2": 100 / 3, "Z3": 800 / 9, "Z4": 50 / 3})
    assert scores(evaluation, "B") == pytest.approx({"Z1": 100, "Z2": 125 / 3, "Z3": 25, "Z4": 50})
    assert scores(evaluation, ROOT) == pytest.approx({"Z1": 200 / 3, "Z2": 110 / 3, "Z3": 190 / 3, "Z4": 30})
    values = {row.zone_code: row.value for row in evaluation.rows if row.code == "B1"}
    assert values == {"Z1": 0.5, "Z2": 1.0, "Z3": 1.5, "Z4": 0.5}


def test_ranks_overall_per_dimension_and_per_indicator_with_ties_at_the_best_rank(evaluation: Evaluation) -> None:
    assert ranks(evaluation, ROOT) == {"Z1": 1, "Z3": 2, "Z2": 3, "Z4": 4}
    assert ranks(evaluation, "A") == {"Z3": 1, "Z1": 2, "Z2": 3, "Z4": 4}
    assert ranks(evaluation, "B") == {"Z1": 1, "Z4": 2, "Z2": 3, "Z3": 4}
    assert ranks(evaluation, "B1") == {"Z1": 1, "Z4": 1, "Z2": 3, "Z3": 4}
    assert [row.zone_code for row in evaluation.ranking("B")] == ["Z1", "Z4", "Z2", "Z3"]
    levels = {row.code: row.level for row in evaluation.rows}
    assert levels == {ROOT: "index", "A": "dimension", "B": "dimension", "A1": "indicator", "A2": "indicator",
                      "B1": "indicator", "B2": "indicator"}


def test_rank_change_is_last_years_rank_minus_this_years(evaluation: Evaluation) -> None:
    change = {row.zone_code: row.rank_change for row in evaluation.rows if row.code == ROOT}
    assert change == {"Z1": 4 - 1, "Z2": 0, "Z3": 0, "Z4": 1 - 4}


def test_a_zone_new_this_year_has_no_rank_change(framework: Framework) -> None:
    previous = {zone: row for zone, row in PREVIOUS.items() if zone != "Z2"}
    result = evaluate(framework, 2021, index_data(framework, CURRENT), index_data(framework, previous), samples=0)
    change = {row.zone_code: row.rank_change for row in result.rows if row.code == ROOT}
    assert change["Z2"] is None
    assert all(change[zone] is not None for zone in ("Z1", "Z3", "Z4"))


def test_missing_values_leave_the_indicator_out_of_the_zones_dimension(framework: Framework) -> None:
    current = {**CURRENT, "Z4": {**CURRENT["Z4"], "A1": None}}
    result = evaluate(framework, 2021, index_data(framework, current), samples=0)
    # A1 of Z4 is missing: its A is A2's score alone (0); A1's minmax is now over Z1..Z3 (2..6)
    assert scores(result, "A")["Z4"] == 0
    a1 = {row.zone_code: (row.score, row.rank) for row in result.rows if row.code == "A1"}
    assert a1["Z4"] == (None, None)
    assert a1["Z1"] == (pytest.approx(50), 2)


def test_uncertainty_gives_rank_intervals_of_the_composite_only(framework: Framework) -> None:
    result = evaluate(framework, 2021, index_data(framework, CURRENT), samples=300)
    assert result.uncertainty is not None and result.uncertainty.ranks.shape == (300, 4)
    overall = {row.zone_code: row for row in result.rows if row.code == ROOT}
    for row in overall.values():
        assert row.rank_p05 is not None and row.rank_p95 is not None
        assert 1 <= row.rank_p05 <= row.rank_p95 <= 4
    # Z1 and Z3 (66.7, 63.3) trade places under ±20% indicator weights; Z4 never rises above Z2's 36.7 … 30
    assert (overall["Z1"].rank_p95 or 99) <= 2 and (overall["Z3"].rank_p95 or 99) <= 2
    assert (overall["Z4"].rank_p05 or 0) >= 3
    assert all(row.rank_p05 is None for row in result.rows if row.code != ROOT)
    without = evaluate(framework, 2021, index_data(framework, CURRENT), samples=0)
    assert without.uncertainty is None and all(row.rank_p05 is None for row in without.rows)


def test_gap_report_against_the_best_zone(evaluation: Evaluation) -> None:
    report = gap_report(evaluation, "Z4", "top:1")
    gains = {gap.code: gap.index_gain for gap in report.gaps}
    # closing B2 (0 -> 100) lifts B from 50 to 100: +20 index points; A1 (25 -> 50) lifts A by 16.67: +10
    assert gains == pytest.approx({"B2": 20.0, "A1": 10.0, "A2": 20 / 3, "B1": 0.0})
    assert [gap.code for gap in report.gaps][:2] == ["B2", "A1"]
    peers = gap_report(evaluation, "Z4", "peers")
    assert peers.benchmark == "peers region=east mean"
    # peers of Z4 in the east: Z1 and Z3; their mean A1 score is 75
    assert {gap.code: gap.benchmark for gap in peers.gaps}["A1"] == pytest.approx(75)
    assert gap_report(evaluation, "Z2", "zone:Z3").benchmark == "unit Z3"
    with pytest.raises(HizoneError, match="unknown benchmark 'best'"):
        gap_report(evaluation, "Z2", "best")
    with pytest.raises(HizoneError, match="zone 'Z9' has no result"):
        gap_report(evaluation, "Z9", "top:1")
