"""Monte Carlo uncertainty and Sobol sensitivity: the vectorised path against the plain one."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hizone.cli.index import index_app
from hizone.errors import HizoneError
from hizone.evaluate import IndexData, IndexTree, PipelineConfig, parse_pipeline, run_pipeline
from hizone.evaluate.uncertainty import (
    evaluate_design,
    parse_uncertainty_spec,
    rank_descending,
    run_replications_one_by_one,
    run_sobol,
    run_uncertainty,
)

from .conftest import ASEM
from .test_asem import ASEM_PIPELINE

ASEM_SPEC = {
    "samples": 200, "seed": 3, "sobol_samples": 64,
    "vary": {
        "treat.max_points": [1, 2, 3, 4, 5],
        "normalise": [{"method": "minmax", "range": [1, 100]}, {"method": "zscore", "mean": 10, "sd": 2}],
        "aggregate.method": ["arithmetic", "geometric"],
        "weights": {"noise": {2: 0.25, 3: 0.25}},
    },
}


@pytest.fixture(scope="module")
def asem_base() -> PipelineConfig:
    return parse_pipeline(ASEM_PIPELINE)


def test_rank_descending_by_hand() -> None:
    scores = np.array([[3.0, 9.0, 3.0, math.nan, 1.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
    ranks = rank_descending(scores)
    np.testing.assert_array_equal(ranks[0], [2, 1, 2, math.nan, 4])
    np.testing.assert_array_equal(ranks[1], [5, 4, 3, 2, 1])


def test_vectorised_replications_equal_one_by_one_runs(asem_data: IndexData, asem_tree: IndexTree,
                                                       asem_base: PipelineConfig) -> None:
    spec = parse_uncertainty_spec(ASEM_SPEC, asem_base, asem_tree)
    design = np.random.default_rng(11).random((40, spec.dimension))
    fast = evaluate_design(design, asem_data, asem_tree, asem_base, spec)
    plain = run_replications_one_by_one(design, asem_data, asem_tree, asem_base, spec)
    assert not np.isnan(fast).any()
    np.testing.assert_allclose(fast, plain, rtol=1e-12)
    assert np.ptp(fast, axis=0).max() > 1.0  # the replications really differ


def test_vectorised_equals_plain_with_missing_values_and_harmonic(small_data: IndexData,
                                                                  small_tree: IndexTree) -> None:
    base = parse_pipeline({"steps": [{"normalise": {"method": "minmax", "range": [1, 10]}},
                                     {"aggregate": {"method": "harmonic"}}]})
    spec = parse_uncertainty_spec({"samples": 5, "vary": {"weights": {"noise": {1: 0.5, 2: 0.5}}}}, base,
                                  small_tree)
    design = np.random.default_rng(2).random((25, spec.dimension))
    np.testing.assert_allclose(evaluate_design(design, small_data, small_tree, base, spec),
                               run_replications_one_by_one(design, small_data, small_tree, base, spec), rtol=1e-12)


def test_uncertainty_statistics(asem_data: IndexData, asem_tree: IndexTree, asem_base: PipelineConfig) -> None:
    spec = parse_uncertainty_spec(ASEM_SPEC, asem_base, asem_tree)
    result = run_uncertainty(asem_data, asem_tree, asem_base, spec)
    nominal = run_pipeline(asem_data, asem_tree, asem_base)
    assert result.ranks.shape == (200, 51)
    np.testing.assert_array_equal(result.nominal_ranks, rank_descending(nominal.index_scores)[0])
    for row, column in zip(result.summary(), result.ranks.T, strict=True):
        assert row.mean == pytest.approx(column.mean())
        assert row.median == np.median(column)
        assert row.q05 == pytest.approx(np.percentile(column, 5)) and row.q05 <= row.median <= row.q95
    again = run_uncertainty(asem_data, asem_tree, asem_base, spec)
    np.testing.assert_array_equal(again.ranks, result.ranks)  # the seed fixes the replications


def test_no_variation_reproduces_the_nominal_ranks(asem_data: IndexData, asem_tree: IndexTree,
                                                   asem_base: PipelineConfig) -> None:
    spec = parse_uncertainty_spec({"samples": 10, "vary": {"aggregate.method": ["arithmetic"]}}, asem_base,
                                  asem_tree)
    result = run_uncertainty(asem_data, asem_tree, asem_base, spec)
    np.testing.assert_array_equal(result.ranks, np.tile(result.nominal_ranks, (10, 1)))


def test_sobol_gives_no_weight_to_an_input_without_effect(asem_data: IndexData, asem_tree: IndexTree) -> None:
    raw = {"samples": 10, "seed": 5, "sobol_samples": 32,
           "vary": {"aggregate.method": ["arithmetic", "geometric"], "weights": {"noise": {2: 0.0}}}}
    base = parse_pipeline({"steps": [*ASEM_PIPELINE["steps"][:4], {"normalise": {"range": [1, 100]}},
                                     {"aggregate": {}}]})
    spec = parse_uncertainty_spec(raw, base, asem_tree)
    indices = {index.input: index for index in run_sobol(asem_data, asem_tree, base, spec)}
    assert set(indices) == {"aggregate.method", "weights.level2"}
    assert indices["weights.level2"].total == 0.0
    assert indices["aggregate.method"].total == pytest.approx(1.0)
    assert indices["aggregate.method"].first_order == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"samples": 5, "vary": {"smooth.window": [1, 2]}}, "vary 'smooth.window': unknown step 'smooth'"),
        ({"samples": 5, "vary": {"treat.max_points": [1, -2]}}, "max_points must be a whole number"),
        ({"samples": 5, "vary": {"weights": {"noise": {7: 0.2}}}}, "level 7 has no weighted nodes"),
        ({"samples": 5, "vary": {"weights": {"noise": {2: 1.5}}}}, "must be in [0, 1)"),
        ({"samples": 0, "vary": {"weights": {"noise": {2: 0.1}}}}, "samples must be a whole number >= 1"),
        ({"samples": 5, "vary": {}}, "'vary' must map inputs"),
    ],
)
def test_bad_specs_are_refused(asem_tree: IndexTree, asem_base: PipelineConfig, raw: dict[str, object],
                               fragment: str) -> None:
    with pytest.raises(HizoneError) as caught:
        parse_uncertainty_spec(raw, asem_base, asem_tree, "ua.yaml")
    assert str(caught.value).startswith("ua.yaml") and fragment in str(caught.value)


def test_varying_a_step_the_pipeline_lacks_is_refused(asem_tree: IndexTree) -> None:
    base = parse_pipeline({"steps": [{"aggregate": {}}]})
    with pytest.raises(HizoneError, match=r"ua\.yaml, vary 'treat\.max_points': the pipeline has no 'treat' step"):
        parse_uncertainty_spec({"vary": {"treat.max_points": [1]}}, base, asem_tree, "ua.yaml")
    with pytest.raises(HizoneError, match="no aggregate step"):
        parse_uncertainty_spec({"vary": {"treat.max_points": [1]}}, parse_pipeline({"steps": []}), asem_tree,
                               "ua.yaml")


def test_uncertainty_cli_writes_ranks_and_sobol(tmp_path: Path) -> None:
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(yaml.safe_dump(ASEM_PIPELINE))
    spec = tmp_path / "ua.yaml"
    spec.write_text(yaml.safe_dump({**ASEM_SPEC, "samples": 50, "sobol_samples": 16}, sort_keys=False))
    out, sobol = tmp_path / "ranks.csv", tmp_path / "sobol.csv"
    outcome = CliRunner().invoke(index_app, [
        "uncertainty", "--data", str(ASEM / "ASEM_iData.csv"), "--meta", str(ASEM / "ASEM_iMeta.csv"),
        "--pipeline", str(pipeline), "--spec", str(spec), "--out", str(out), "--sobol", str(sobol)])
    assert outcome.exit_code == 0, outcome.output
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 51
    assert list(rows[0]) == ["uCode", "nominal_rank", "mean_rank", "median_rank", "q05_rank", "q95_rank"]
    assert sorted(float(row["nominal_rank"]) for row in rows) == list(range(1, 52))
    with sobol.open() as handle:
        indices = list(csv.DictReader(handle))
    assert [row["input"] for row in indices] == ["treat.max_points", "normalise", "aggregate.method",
                                                 "weights.level2", "weights.level3"]
    assert all(float(row["ST"]) >= -0.5 for row in indices)


def test_uncertainty_cli_bad_spec_is_one_line(tmp_path: Path) -> None:
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(yaml.safe_dump(ASEM_PIPELINE))
    spec = tmp_path / "ua.yaml"
    spec.write_text(yaml.safe_dump({"samples": 5, "vary": {"normalise.method": ["cubic"]}}))
    outcome = CliRunner().invoke(index_app, [
        "uncertainty", "--data", str(ASEM / "ASEM_iData.csv"), "--meta", str(ASEM / "ASEM_iMeta.csv"),
        "--pipeline", str(pipeline), "--spec", str(spec), "--out", str(tmp_path / "r.csv")])
    assert outcome.exit_code == 2
    assert "ua.yaml, vary 'normalise.method'" in outcome.stderr and "'cubic'" in outcome.stderr
