"""Analysis (correlations, Cronbach's alpha, PCA per group) and unit reports with gap tables."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hizone.cli.index import index_app
from hizone.errors import HizoneError
from hizone.evaluate import (
    IndexData,
    IndexTree,
    PipelineResult,
    alpha_of,
    correlations,
    cronbach_alpha,
    parse_pipeline,
    pca_by_group,
    run_pipeline,
    unit_report,
)
from hizone.evaluate.analysis import pearson
from hizone.evaluate.weights import effective_weights

from .conftest import ASEM, FIXTURES
from .test_asem import ASEM_PIPELINE

SMALL_PIPELINE = {"steps": [{"denominate": {}}, {"impute": {"method": "group_mean", "group": "grp"}},
                            {"normalise": {"method": "minmax", "range": [0, 100]}}, {"aggregate": {}}]}


@pytest.fixture()
def small_result(small_data: IndexData, small_tree: IndexTree) -> PipelineResult:
    return run_pipeline(small_data, small_tree, parse_pipeline(SMALL_PIPELINE))


def test_pearson_by_hand_and_with_missing_values() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, math.nan])
    assert pearson(x, 2 * x + 1) == (pytest.approx(1.0), 4)
    assert pearson(x, -x)[0] == pytest.approx(-1.0)
    # x = [1, 2, 3], y = [1, 3, 2]: deviations [-1, 0, 1] and [-1, 1, 0] -> 1 / (sqrt 2 · sqrt 2) = 0.5
    assert pearson(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]))[0] == pytest.approx(0.5)
    assert math.isnan(pearson(np.array([1.0, 2.0]), np.array([2.0, 1.0]))[0])


def test_cronbach_alpha_by_hand() -> None:
    # items [1, 2, 3] and [2, 3, 4]: variances 1 and 1, total [3, 5, 7] variance 4 -> 2 (1 - 2/4) = 1
    assert alpha_of(np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]])) == pytest.approx(1.0)
    # items [1, 2, 3] and [3, 2, 1]: total is constant -> undefined
    assert math.isnan(alpha_of(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])))
    # items [1, 2, 3] and [1, 3, 2]: variances 1, 1; totals [2, 5, 5] variance 3 -> 2 (1 - 2/3) = 2/3
    assert alpha_of(np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0]])) == pytest.approx(2 / 3)


def test_correlations_are_labelled_by_tree_relation(small_result: PipelineResult) -> None:
    found = {(c.code_a, c.code_b): c for c in correlations(small_result)}
    assert len(found) == 7 * 6 // 2
    assert found[("a", "b")].relation == "same level"
    assert found[("a", "P")].relation == "child of"
    assert found[("a", "Top")].relation == "descendant of"
    assert found[("a", "Q")].relation == "across levels"
    a = small_result.aggregated.column("a")
    assert found[("a", "c")].pearson == pytest.approx(np.corrcoef(a, small_result.aggregated.column("c"))[0, 1])


def test_cronbach_alpha_per_aggregate(small_result: PipelineResult) -> None:
    alphas = cronbach_alpha(small_result)
    assert set(alphas) == {"P", "Q", "Top"}
    stage = small_result.aggregated
    block = np.column_stack([stage.column("c"), stage.column("d")])
    assert alphas["Q"] == pytest.approx(alpha_of(block))


def test_pca_by_group_on_asem(asem_data: IndexData, asem_tree: IndexTree) -> None:
    result = run_pipeline(asem_data, asem_tree, parse_pipeline(ASEM_PIPELINE))
    groups = {g.aggregate: g for g in pca_by_group(result)}
    assert set(groups) == set(asem_tree.aggregates)
    physical = groups["Physical"]
    assert len(physical.eigenvalues) == 8 and sum(physical.eigenvalues) == pytest.approx(8.0)
    assert list(physical.eigenvalues) == sorted(physical.eigenvalues, reverse=True)
    assert sum(physical.explained) == pytest.approx(1.0)
    assert sum(v * v for v in physical.first_loadings) == pytest.approx(1.0)
    assert groups["Index"].eigenvalues[0] == pytest.approx(1 + abs(pearson(result.aggregated.column("Conn"),
                                                                            result.aggregated.column("Sust"))[0]))


def test_effective_weights_multiply_down_the_tree(small_tree: IndexTree) -> None:
    shares = effective_weights(small_tree, small_tree.weight)
    assert shares == pytest.approx({"a": 1 / 12, "b": 1 / 6, "c": 3 / 8, "d": 3 / 8})


def test_unit_report_against_a_named_unit(small_result: PipelineResult) -> None:
    report = unit_report(small_result, "U1", "U5", top=2)
    stage = small_result.aggregated
    top_index = {s.code: s for s in report.scores}["Top"]
    assert top_index.value == pytest.approx(stage.column("Top")[0])
    assert top_index.rank == 1 + sum(v > stage.column("Top")[0] for v in stage.column("Top"))
    assert report.benchmark == "unit U5"
    # U1's normalised values: a 0, b 100, c 25, d 0; U5's: a 100, b 0, c 100, d 66.7
    gaps = {g.code: g for g in report.gaps}
    assert gaps["a"].gap == pytest.approx(100) and gaps["b"].gap == pytest.approx(-100)
    shares = {"a": 1 / 12, "b": 1 / 6, "c": 3 / 8, "d": 3 / 8}  # arithmetic: gain = gap × share of the index
    for code in ("a", "c", "d"):
        assert gaps[code].index_gain == pytest.approx(gaps[code].gap * shares[code])
    assert gaps["b"].index_gain == 0.0  # U1 is ahead on b: nothing to close
    assert [g.code for g in report.gaps][:1] == ["c"]  # 75 × 3/8 is the largest gain
    # U1's ranks: b 1 (tied with U2-U4), c 4, a 5, d 5; ties in rank are broken by iCode
    assert [(s.code, s.rank) for s in report.strengths] == [("b", 1.0), ("c", 4.0)]
    assert [(s.code, s.rank) for s in report.weaknesses] == [("d", 5.0), ("a", 5.0)]


def test_unit_report_top_n_and_peers(small_result: PipelineResult) -> None:
    stage = small_result.aggregated
    order = np.argsort(-stage.column("Top"))
    top2 = unit_report(small_result, "U3", "top:2")
    expected = stage.column("a")[order[:2]].mean()
    assert {g.code: g for g in top2.gaps}["a"].benchmark == pytest.approx(expected)
    peers = unit_report(small_result, "U3", "peers:grp")
    assert peers.benchmark == "peers grp=west mean"
    assert {g.code: g for g in peers.gaps}["a"].benchmark == pytest.approx((75 + 100) / 2)  # U4 and U5


def test_geometric_gap_gain_is_a_real_reaggregation(small_data: IndexData, small_tree: IndexTree) -> None:
    config = parse_pipeline({"steps": [{"impute": {"method": "mean"}},
                                       {"normalise": {"method": "minmax", "range": [1, 10]}},
                                       {"aggregate": {"method": "geometric"}}]})
    result = run_pipeline(small_data, small_tree, config)
    report = unit_report(result, "U1", "U5")
    gap_a = {g.code: g for g in report.gaps}["a"]
    stage = result.aggregated
    row = {code: stage.row("U1")[stage.codes.index(code)] for code in small_tree.indicators}
    row["a"] = gap_a.benchmark
    pillar_p = (row["a"] * row["b"] ** 2) ** (1 / 3)
    pillar_q = (row["c"] * row["d"]) ** 0.5
    closed = (pillar_p * pillar_q**3) ** 0.25
    assert gap_a.index_gain == pytest.approx(closed - stage.row("U1")[-1])


@pytest.mark.parametrize(("benchmark", "fragment"), [
    ("XX", "benchmark unit 'XX'"), ("top:zero", "top:N needs a whole number"), ("peers:colour", "not a Group"),
    ("median:3", "unknown benchmark"),
])
def test_bad_benchmarks_are_refused(small_result: PipelineResult, benchmark: str, fragment: str) -> None:
    with pytest.raises(HizoneError, match=fragment):
        unit_report(small_result, "U1", benchmark)
    with pytest.raises(HizoneError, match="unit 'U9' is not among"):
        unit_report(small_result, "U9", "U1")


def _write_pipeline(tmp_path: Path) -> Path:
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(yaml.safe_dump(ASEM_PIPELINE))
    return pipeline


def test_analyse_cli_writes_json_and_csv(tmp_path: Path) -> None:
    out, table = tmp_path / "analysis.json", tmp_path / "corr.csv"
    outcome = CliRunner().invoke(index_app, [
        "analyse", "--data", str(ASEM / "ASEM_iData.csv"), "--meta", str(ASEM / "ASEM_iMeta.csv"),
        "--pipeline", str(_write_pipeline(tmp_path)), "--out", str(out), "--correlations", str(table)])
    assert outcome.exit_code == 0, outcome.output
    content = json.loads(out.read_text())
    assert set(content) == {"correlations", "cronbach_alpha", "pca"}
    assert len(content["correlations"]) == 60 * 59 // 2
    assert set(content["cronbach_alpha"]) == {"Physical", "ConEcFin", "Political", "Instit", "P2P", "Environ",
                                              "Social", "SusEcFin", "Conn", "Sust", "Index"}
    assert table.read_text().splitlines()[0] == '"code_a","code_b","level_a","level_b","relation","pearson","units"'


def test_report_cli_json_and_gap_csv(tmp_path: Path) -> None:
    pipeline = _write_pipeline(tmp_path)
    common = ["report", "--data", str(ASEM / "ASEM_iData.csv"), "--meta", str(ASEM / "ASEM_iMeta.csv"),
              "--pipeline", str(pipeline), "--unit", "CHN"]
    outcome = CliRunner().invoke(index_app, [*common, "--benchmark", "peers:EurAsia_group", "--out",
                                             str(tmp_path / "r.json")])
    assert outcome.exit_code == 0, outcome.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["unit"] == "CHN" and report["benchmark"] == "peers EurAsia_group=Asia mean"
    assert len(report["scores"]) == 60 and len(report["strengths"]) == 5 and len(report["gaps"]) == 49
    outcome = CliRunner().invoke(index_app, [*common, "--benchmark", "DEU", "--out", str(tmp_path / "g.csv")])
    assert outcome.exit_code == 0, outcome.output
    lines = (tmp_path / "g.csv").read_text().splitlines()
    assert lines[0] == '"iCode","name","own","benchmark","gap","index_gain"' and len(lines) == 50
    outcome = CliRunner().invoke(index_app, [*common, "--benchmark", "top:x", "--out", str(tmp_path / "b.csv")])
    assert outcome.exit_code == 2 and outcome.stderr.startswith("error: --benchmark: top:N")


def test_fixture_folder_is_present() -> None:
    assert (FIXTURES / "small_meta.csv").is_file()
