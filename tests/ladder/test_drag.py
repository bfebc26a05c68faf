"""拖后腿: the leave-one-out drag against hand-computed values, against the zone ratio recomputed from the raw
report rows without the enterprise, and through the API and the CLI with their access rules."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hizone.analytics.formula import parse
from hizone.cli import app as cli_app
from hizone.ladder.drag import Linear, RatioIndicator, leave_one_out, ratio_of, zone_drag
from hizone.ladder.service import ratio_indicators
from tests.web.seed import ANNUAL, Seeded, credit_code


def test_leave_one_out_by_hand() -> None:
    # Σnum = 1 + 3 + 6 = 10, Σden = 10 + 10 + 20 = 40: R = 25%. Without the first: 9/30 = 30% (drag +5),
    # without the second: 7/30 = 23.33% (drag −1.67), without the third: 4/20 = 20% (drag −5).
    found = leave_one_out([1, 3, 6], [10, 10, 20], scale=100)
    assert found.zone_ratio == pytest.approx(25)
    assert found.without == pytest.approx([30, 700 / 30, 20])
    assert found.drag == pytest.approx([5, 700 / 30 - 25, -5])


def test_less_is_better_turns_the_sign_and_a_lone_denominator_is_undefined() -> None:
    found = leave_one_out([1, 3, 6], [10, 10, 20], scale=100, direction=-1)
    assert found.drag == pytest.approx([-5, 25 - 700 / 30, 5])
    alone = leave_one_out([2, 5], [0, 10])  # without the second, no denominator is left
    assert alone.zone_ratio == 0.7 and alone.without == [pytest.approx(0.5), None] and alone.drag[1] is None
    assert leave_one_out([], []).zone_ratio is None


def test_ratio_shapes_are_read_from_formulas() -> None:
    elements = frozenset({"a", "b", "c"})
    assert ratio_of(parse("(a + b) / c * 100", "t"), elements) == (Linear((("a", 1), ("b", 1))),
                                                                   Linear((("c", 1),)), 100.0)
    assert ratio_of(parse("a / c / 10", "t"), elements) == (Linear((("a", 1),)), Linear((("c", 1),)), 0.1)
    for not_a_ratio in ("a", "a * 100", "count(where a > 1) / c", "a / zz"):
        assert ratio_of(parse(not_a_ratio, "t"), elements) is None


def test_the_framework_ratios_exclude_changes_and_counts() -> None:
    _, found = ratio_indicators(2023)
    codes = {i.code: i for i in found}
    assert codes["I1_3"].numerator.elements == ("rd_expenditure",) and codes["I1_3"].scale == 100
    assert codes["I3_1"].direction == -1
    assert "I2_4" not in codes and "I1_8" not in codes  # 当年净增 and a count


def test_enterprises_missing_a_side_stay_out_of_the_sums() -> None:
    ratio = RatioIndicator("X", "x", "%", Linear((("n", 1),)), Linear((("d", 1),)), 1.0, 1)
    found = zone_drag(ratio, [("A", {"n": 1, "d": 4}), ("B", {"n": None, "d": 4}), ("C", {"n": 3, "d": 4})])
    assert (found.enterprises, found.missing, found.zone_ratio) == (2, 1, 0.5)
    assert [d.credit_code for d in found.drags] == ["A", "C"] and found.drags[0].drag == pytest.approx(0.25)


def _raw_ratio(zone: str, without: str | None) -> float:
    """I1_3 (R&D / revenue, %) of the zone in 2023 from the seed's own rows, leaving one enterprise out."""
    rows = [(credit_code(serial, division), years["2023"]) for (z, serial, division), years in ANNUAL.items()
            if z == zone and "2023" in years]
    kept = [values for code, values in rows if code != without]
    return 100 * sum(v[2] for v in kept) / sum(v[0] for v in kept)


def test_the_api_matches_the_raw_rows(clients: dict[str, TestClient], seeded: Seeded) -> None:
    response = clients["analyst"].get(f"/api/v1/ladder/zones/{seeded.other_zone}/drag?year=2023&indicator=I1_3")
    assert response.status_code == 200, response.text
    (item,) = response.json()["indicators"]
    zone = _raw_ratio(seeded.other_zone, None)
    assert item["zone_ratio"] == pytest.approx(zone) and item["enterprises"] == 3
    for drag in item["drags"]:
        assert drag["drag"] == pytest.approx(_raw_ratio(seeded.other_zone, drag["credit_code"]) - zone)
    # by hand: Σ 9150 / 198000 = 4.62%; without 5: 9050/187000 = 4.84% (+0.218), without 6: 9100/191000
    # = 4.76% (+0.143), without 4 (the R&D-heavy one): 150/18000 = 0.83% (−3.79)
    order = [d["credit_code"] for d in item["drags"]]
    assert order == [credit_code(5, "440106"), credit_code(6, "440106"), credit_code(4, "440106")]
    assert item["drags"][0]["drag"] == pytest.approx(100 * (9050 / 187000 - 9150 / 198000))


def test_drag_access_and_bad_input(clients: dict[str, TestClient], seeded: Seeded) -> None:
    own = f"/api/v1/ladder/zones/{seeded.own_zone}/drag?year=2023"
    other = f"/api/v1/ladder/zones/{seeded.other_zone}/drag?year=2023"
    assert clients["zone"].get(own).status_code == 200
    assert clients["province"].get(own).status_code == 200
    assert clients["zone"].get(other).status_code == 403
    assert clients["province"].get(other).status_code == 403
    assert clients["enterprise"].get(own).status_code in (403, 404)
    assert clients["public"].get(own).status_code == 401
    bad = clients["zone"].get(own + "&indicator=I2_4")
    assert bad.status_code == 400 and "not a ratio indicator" in bad.text


def test_the_cli_writes_every_enterprise(seeded_analytics: Path, tmp_path: Path) -> None:
    out = tmp_path / "drag.csv"
    result = CliRunner().invoke(cli_app, ["ladder", "drag", "--zone", "Z4401", "--year", "2023", "--indicator",
                                          "I1_3", "--out", str(out), "--analytics", str(seeded_analytics)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    zone = _raw_ratio("Z4401", None)
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    for row in rows:
        assert float(row["drag"]) == pytest.approx(_raw_ratio("Z4401", row["credit_code"]) - zone)
    unknown = CliRunner().invoke(cli_app, ["ladder", "drag", "--zone", "Z9999", "--year", "2023", "--out",
                                           str(out), "--analytics", str(seeded_analytics)])
    assert unknown.exit_code == 2 and "unknown zone Z9999" in unknown.output
