"""创新积分制: scores against hand-computed values, percentile vs min–max, ties, one enterprise, missing values, the
shipped default rules, bad rules files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hizone.cli import app
from hizone.errors import CatalogError, HizoneError
from hizone.ladder.points import Enterprise, parse_points, percentile, points_rules, score_zone
from hizone.ladder.points_workbook import LIST_SHEET, METHOD_SHEET
from tests.web.seed import Seeded, credit_code


def tiny_rules(normalisation: str = "percentile") -> dict[str, Any]:
    return {
        "code": "innovation_points", "version": 2024, "form": "enterprise_annual", "official": False,
        "normalisation": normalisation,
        "stages": [{"code": "startup", "max_age": 5, "max_revenue": 1000}, {"code": "stable"}],
        "groups": [
            {"code": "tech", "indicators": [
                {"code": "intensity", "ratio": ["rd_expenditure", "revenue"], "weights": {"startup": 60, "stable": 40}},
            ]},
            {"code": "growth", "indicators": [
                {"code": "growth", "growth": "revenue", "weights": {"startup": 40, "stable": 60}},
            ]},
        ],
        "bonus": [{"flag": "high_tech", "points": 5}],
        "penalty": [{"flag": "blacklisted", "points": 10}],
    }


def firm(code: str, revenue: float, rd: float | None, last: float | None, age: int | None = None,
         **flags: bool) -> Enterprise:
    return Enterprise(code, {"revenue": revenue, "rd_expenditure": rd}, {"revenue": last}, flags, age)


# A: revenue 500, R&D 50 (10%), last year 400 (+25%), age 3 → 初创期; 高企
# B: revenue 2000, R&D 100 (5%), last year 1000 (+100%) → stable
# C: revenue 4000, R&D 80 (2%), last year unknown → growth missing → stable
FIRMS = [firm("A", 500, 50, 400, age=3, high_tech=True), firm("B", 2000, 100, 1000), firm("C", 4000, 80, None)]


def by_code(scores: list[Any]) -> dict[str, Any]:
    return {s.credit_code: s for s in scores}


def test_percentile_scores_by_hand() -> None:
    rules = parse_points(tiny_rules(), "tiny")
    scores = by_code(score_zone(rules, FIRMS))
    # intensity 10%, 5%, 2%: percentiles (2 below of 2 others) 1, ½, 0
    # growth: only A (25%) and B (100%) have one: A 0, B 1; C missing → 0
    # A (startup): 1×60 + 0×40 + 5 bonus = 65; B (stable): ½×40 + 1×60 = 80; C: 0×40 + 0 = 0
    assert scores["A"].stage.code == "startup" and scores["B"].stage.code == "stable"
    assert [c.normalised for c in scores["A"].contributions] == [1.0, 0.0]
    assert scores["A"].score == 65 and scores["B"].score == 80 and scores["C"].score == 0
    assert (scores["B"].rank, scores["A"].rank, scores["C"].rank) == (1, 2, 3)
    assert scores["C"].missing == ["growth"] and scores["C"].contributions[1].points == 0
    assert [c.points for c in scores["B"].contributions] == [20.0, 60.0]


def test_min_max_scores_by_hand() -> None:
    scores = by_code(score_zone(parse_points(tiny_rules("min_max"), "tiny"), FIRMS))
    # intensity: (v − 2%) / (10% − 2%): A 1, B 3/8, C 0; growth: A 0, B 1
    # A: 60 + 0 + 5 = 65; B: 3/8 × 40 + 60 = 75; C: 0
    assert scores["B"].contributions[0].normalised == pytest.approx(3 / 8)
    assert scores["B"].score == pytest.approx(75) and scores["A"].score == 65 and scores["C"].score == 0


def test_ties_share_the_best_rank_and_count_half_in_percentiles() -> None:
    rules = parse_points(tiny_rules(), "tiny")
    twins = [firm("X", 2000, 100, 1000), firm("Y", 2000, 100, 1000), firm("Z", 2000, 20, 1000)]
    scores = score_zone(rules, twins)
    # intensity 5%, 5%, 1%: X and Y have one below and one equal of two others: (1 + ½)/2 = ¾; Z 0
    # growth all 100%: each ½ (two equal of two others) → 30. X = Y = ¾×40 + 30 = 60; Z = 30
    assert [(s.credit_code, s.score, s.rank) for s in scores] == [("X", 60, 1), ("Y", 60, 1), ("Z", 30, 3)]
    assert percentile(5, [5, 5, 1]) == 0.75


def test_a_zone_of_one_enterprise_scores_full_marks_on_what_it_has() -> None:
    (alone,) = score_zone(parse_points(tiny_rules("min_max"), "tiny"), [firm("A", 2000, 100, 1000)])
    assert alone.score == 100 and alone.rank == 1
    (alone,) = score_zone(parse_points(tiny_rules(), "tiny"), [firm("A", 2000, 100, None)])
    assert alone.score == 40 and alone.missing == ["growth"]


def test_missing_values_are_listed_not_guessed() -> None:
    scores = by_code(score_zone(parse_points(tiny_rules(), "tiny"), [
        firm("A", 2000, None, 1000), firm("B", 0, 10, 1000)]))
    # A has no R&D; B's revenue is 0 (no ratio) and its growth −100%: A's growth is 100% → A 1, B 0
    assert scores["A"].missing == ["intensity"] and scores["B"].missing == ["intensity"]
    assert scores["A"].score == 60 and scores["B"].score == 0


def test_the_penalty_is_taken_off() -> None:
    (one,) = score_zone(parse_points(tiny_rules(), "tiny"), [firm("A", 2000, 100, 1000, blacklisted=True)])
    assert one.score == 90 and [p.flag for p in one.penalty] == ["blacklisted"]


def test_an_unknown_age_skips_the_age_limit_but_an_unknown_size_fails_it() -> None:
    rules = parse_points(tiny_rules(), "tiny")
    assert rules.stage(None, 900, None).code == "startup"
    assert rules.stage(6, 900, None).code == "stable"
    assert rules.stage(None, None, None).code == "stable"


def test_the_shipped_default_is_marked_and_its_weights_complete() -> None:
    rules = points_rules(2025)
    assert rules.version == 2020 and rules.official is False
    assert [label for _, label in rules.groups] == ["技术创新", "成长经营", "辅助"]
    assert [s.label for s in rules.stages] == ["初创期", "成长期", "稳定期"]
    for stage in rules.stages:
        assert sum(i.weights[stage.code] for i in rules.indicators) == 100, stage.code
    with pytest.raises(HizoneError, match="no innovation-points rules for 2019"):
        points_rules(2019)


@pytest.mark.parametrize(("change", "message"), [
    ({"normalisation": "z_score"}, "normalisation must be one of percentile, min_max"),
    ({"groups": [{"code": "g", "indicators": [{"code": "i", "element": "x", "weights": {"startup": 1}}]}]},
     "weights must be given for exactly the stages startup, stable"),
    ({"groups": [{"code": "g", "indicators": [{"code": "i", "ratio": ["x"], "weights": {}}]}]},
     "ratio takes two elements"),
    ({"version": "2024"}, "must be a whole number"),
])
def test_a_bad_rules_file_names_the_item(change: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_points({**tiny_rules(), **change}, "tiny.yaml")


# -- through the web app (the seeded store: tests/web/seed.py)

def test_a_zones_points_by_hand(clients: dict[str, TestClient], seeded: Seeded) -> None:
    response = clients["zone"].get(f"/api/v1/ladder/points/{seeded.own_zone}?year=2023")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rules"]["official"] is False and "not the official list" in body["rules"]["note"]
    scores = {s["credit_code"]: s for s in body["scores"]}
    first, second = scores[credit_code(1)], scores[credit_code(2)]
    # 2023 (千元): 1: revenue 120,000 (2022: 100,000), R&D 6,000, net profit 9,600, staff 110 (100), 高企;
    #              2: revenue 60,000 (50,000), R&D 2,000, net profit 2,400, staff 55 (50), 高企 and 瞪羚.
    # Both 成长期 (revenue ≤ 2亿). Percentiles of two: the higher 1, the lower 0, equal ½ each.
    # 1: R&D intensity 5% > 3.3% → 15; R&D 10; revenue growth 20% = 20% → ½ × 20 = 10; revenue 10;
    #    net margin 8% > 4% → 5; staff growth 10% = 10% → 2.5; bonus 5 → 57.5
    # 2: 0 + 0 + 10 + 0 + 0 + 2.5 + bonus 5 + 3 → 20.5. R&D staff, patents, hi-tech revenue: not reported
    assert first["stage"] == second["stage"] == "growth"
    assert first["score"] == pytest.approx(57.5) and second["score"] == pytest.approx(20.5)
    assert (first["rank"], second["rank"]) == (1, 2)
    assert set(first["missing"]) == {"rd_staff_share", "invention_patents", "invention_applications", "hitech_share"}
    parts = {p["indicator"]: p for p in first["indicators"]}
    assert parts["rd_intensity"]["value"] == pytest.approx(0.05) and parts["rd_intensity"]["points"] == 15
    assert parts["revenue_growth"]["normalised"] == 0.5 and parts["invention_patents"]["value"] is None
    assert body["enterprises_scored"] == 2


def test_an_enterprise_sees_its_own_points_and_rank_only(clients: dict[str, TestClient], seeded: Seeded) -> None:
    response = clients["enterprise"].get(f"/api/v1/ladder/points/{seeded.own_zone}?year=2023")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(s["credit_code"], s["rank"]) for s in body["scores"]] == [(seeded.own_enterprise, 1)]
    assert body["enterprises_scored"] == 2
    assert credit_code(2) not in response.text and "60000" not in response.text  # the other's code and revenue


def test_nobody_sees_points_outside_their_scope(clients: dict[str, TestClient], seeded: Seeded) -> None:
    other = f"/api/v1/ladder/points/{seeded.other_zone}?year=2023"
    for role in ("enterprise", "zone", "province"):
        assert clients[role].get(other).status_code == 403, role
    assert clients["public"].get(other).status_code == 401
    assert clients["analyst"].get(other).status_code == 200
    assert clients["province"].get(f"/api/v1/ladder/points/{seeded.own_zone}?year=2023").status_code == 200
    assert clients["zone"].get("/api/v1/ladder/points/Z9999?year=2023").status_code == 404


def test_the_banks_list_from_the_command_line(seeded_analytics: Path, tmp_path: Path) -> None:
    out = tmp_path / "points.xlsx"
    result = CliRunner().invoke(app, ["ladder", "points", "--zone", "Z1101", "--year", "2023", "--out", str(out),
                                      "--analytics", str(seeded_analytics)])
    assert result.exit_code == 0, result.output
    assert "not the official list" in result.output and "2 enterprise(s) scored" in result.output
    book = openpyxl.load_workbook(out, read_only=True)
    rows = list(book[LIST_SHEET].iter_rows(values_only=True))
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert (first["rank"], first["credit_code"], first["stage"]) == (1, credit_code(1), "成长期")
    assert first["score"] == pytest.approx(57.5) and first["rd_intensity points"] == 15
    assert first["invention_patents value"] is None and "invention_patents" in first["missing"]
    assert any("not the official list" in str(r[1]) for r in book[METHOD_SHEET].iter_rows(values_only=True))


@pytest.mark.parametrize(("args", "message"), [
    (["--zone", "Z0000"], "unknown zone Z0000"),
    (["--zone", "Z1101", "--out", "points.csv"], "written as .xlsx"),
    (["--zone", "Z1101", "--year", "2019"], "no innovation-points rules for 2019"),
])
def test_bad_command_lines_exit_2(seeded_analytics: Path, args: list[str], message: str) -> None:
    year = [] if "--year" in args else ["--year", "2023"]
    result = CliRunner().invoke(app, ["ladder", "points", *args, *year, "--analytics", str(seeded_analytics)])
    assert result.exit_code == 2 and message in result.output


def test_the_page_marks_the_default_and_shows_an_enterprise_its_own_row(clients: dict[str, TestClient],
                                                                        seeded: Seeded) -> None:
    url = f"/ladder/points/{seeded.own_zone}?year=2023"
    zone = clients["zone"].get(url)
    assert zone.status_code == 200 and 'id="points-default"' in zone.text
    assert credit_code(1) in zone.text and credit_code(2) in zone.text and "57.50" in zone.text
    own = clients["enterprise"].get(url)
    assert own.status_code == 200 and credit_code(1) in own.text
    assert credit_code(2) not in own.text and "20.50" not in own.text
    assert clients["zone"].get(f"/ladder/points/{seeded.other_zone}?year=2023").status_code == 403


def _workbook(content: bytes) -> list[dict[str, object]]:
    """The banks' list read back: one dict per enterprise row, keyed by the header."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    header, *rows = list(book[LIST_SHEET].iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def _matches(row: dict[str, object], score: dict[str, Any]) -> None:
    assert (row["rank"], row["credit_code"], row["stage"]) == (score["rank"], score["credit_code"],
                                                               score["stage_label"])
    assert row["score"] == pytest.approx(score["score"])
    assert row["missing"] == ";".join(score["missing"])
    for part in score["indicators"]:
        for cell, key in (("value", "value"), ("normalised", "normalised"), ("points", "points")):
            expected = part[key]
            got = row[f"{part['indicator']} {cell}"]
            assert got == (None if expected is None else pytest.approx(expected)), (part["indicator"], cell)


@pytest.mark.parametrize("base", ["/api/v1/ladder/points/{zone}/export.xlsx", "/ladder/points/{zone}/export.xlsx"])
def test_the_banks_list_downloads_what_the_api_shows(clients: dict[str, TestClient], seeded: Seeded,
                                                     base: str) -> None:
    url = base.format(zone=seeded.own_zone) + "?year=2023"
    api = clients["zone"].get(f"/api/v1/ladder/points/{seeded.own_zone}?year=2023").json()
    response = clients["zone"].get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = _workbook(response.content)
    assert [r["credit_code"] for r in rows] == [credit_code(1), credit_code(2)]
    for row, score in zip(rows, api["scores"], strict=True):
        _matches(row, score)
    assert rows[0]["score"] == pytest.approx(57.5) and rows[1]["score"] == pytest.approx(20.5)  # by hand, above
    # An enterprise: its own row and rank, nothing of the other enterprise.
    own_api = clients["enterprise"].get(f"/api/v1/ladder/points/{seeded.own_zone}?year=2023").json()
    own = clients["enterprise"].get(url)
    assert own.status_code == 200
    (row,) = _workbook(own.content)
    _matches(row, own_api["scores"][0])
    assert row["credit_code"] == seeded.own_enterprise
    cells = {str(c) for r in openpyxl.load_workbook(io.BytesIO(own.content), read_only=True).worksheets
             for line in r.iter_rows(values_only=True) for c in line}
    assert credit_code(2) not in cells and "2" in cells  # the other's code is not there; 2 scored (method sheet)
    other = base.format(zone=seeded.other_zone) + "?year=2023"
    for role in ("enterprise", "zone", "province"):
        assert clients[role].get(other).status_code == 403, role
    assert clients["public"].get(other).status_code in (401, 303)
