"""Every step and method on cases small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from hizone.errors import HizoneError
from hizone.evaluate import (
    ImputeConfig,
    IndexData,
    IndexTree,
    NormaliseConfig,
    TreatConfig,
    WeightConfig,
    kurtosis,
    parse_pipeline,
    run_pipeline,
    skew_kurt,
    skewness,
    steps,
)
from hizone.evaluate.weights import aggregate_tree, entropy_weights, pca_weights, static_weights

nan = math.nan


def column(*values: float) -> np.ndarray:
    return np.array(values, dtype=float).reshape(-1, 1)


# ---------------------------------------------------------------- skew and kurtosis


def test_skew_and_kurtosis_by_hand() -> None:
    # x = [0, 0, 0, 4]: d = [-1, -1, -1, 3], sums of powers 12, 24, 84, n = 4
    # skew = (2 * 24 / 12**1.5) * sqrt(12) / 2 = 2; r = 4 * 84 / 144; kurt = (5 (r - 3) + 6) * 3 / 2 = 4
    assert skewness(np.array([0.0, 0.0, 0.0, 4.0])) == pytest.approx(2.0, rel=1e-14)
    assert kurtosis(np.array([0.0, 0.0, 0.0, 4.0])) == pytest.approx(4.0, rel=1e-14)


def test_skew_and_kurtosis_agree_with_scipy_bias_false() -> None:
    rng = np.random.default_rng(7)
    columns = rng.lognormal(size=(60, 6))
    columns[[3, 17, 40], [0, 2, 5]] = nan
    skew, kurt = skew_kurt(columns)
    for j in range(columns.shape[1]):
        present = columns[~np.isnan(columns[:, j]), j]
        assert skew[j] == pytest.approx(scipy.stats.skew(present, bias=False), rel=1e-12)
        assert kurt[j] == pytest.approx(scipy.stats.kurtosis(present, bias=False), rel=1e-12)


def test_skew_and_kurtosis_need_three_and_four_values() -> None:
    skew, kurt = skew_kurt(np.array([[1.0], [2.0], [5.0], [nan]]))
    assert not math.isnan(skew[0]) and math.isnan(kurt[0])


# ---------------------------------------------------------------- denominate, impute, screen


def test_denominate_divides_by_the_named_column(small_data: IndexData, small_tree: IndexTree) -> None:
    values = steps.denominate(small_data, small_tree)
    np.testing.assert_array_equal(values[:, 1], [2.0, nan, 2.0, 2.0, 3.0])
    np.testing.assert_array_equal(values[:, 0], small_data.values[:, 0])  # no denominator: unchanged


def test_impute_mean_median_and_none() -> None:
    values = np.array([[1.0, nan], [3.0, 4.0], [nan, 6.0], [8.0, 20.0]])
    mean = steps.impute(values, ImputeConfig("mean"), {})
    assert mean[2, 0] == 4.0 and mean[0, 1] == 10.0
    median = steps.impute(values, ImputeConfig("median"), {})
    assert median[2, 0] == 3.0 and median[0, 1] == 6.0
    untouched = steps.impute(values, ImputeConfig("none"), {})
    assert np.isnan(untouched[2, 0])


def test_impute_within_groups() -> None:
    values = np.array([[1.0], [nan], [3.0], [10.0], [nan], [20.0], [nan]])
    groups = {"g": ("x", "x", "x", "y", "y", "y", "z")}
    by_mean = steps.impute(values, ImputeConfig("group_mean", "g"), groups)
    assert by_mean[1, 0] == 2.0 and by_mean[4, 0] == 15.0
    assert np.isnan(by_mean[6, 0])  # group z has no value to take a mean of
    values[5, 0] = 30.0
    values = np.vstack([values, [[12.0]]])
    by_median = steps.impute(values, ImputeConfig("group_median", "g"),
                             {"g": ("x", "x", "x", "y", "y", "y", "z", "y")})
    assert by_median[4, 0] == 12.0


def test_impute_unknown_group_is_refused() -> None:
    with pytest.raises(HizoneError, match=r"p\.yaml: group 'Region' is not a Group column"):
        steps.impute(np.array([[nan]]), ImputeConfig("group_mean", "Region"), {"grp": ("a",)}, where="p.yaml")


def test_screen_drops_units_below_the_availability_threshold() -> None:
    values = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, nan, 3.0, 4.0], [nan, nan, 3.0, 4.0]])
    np.testing.assert_array_equal(steps.availability(values), [1.0, 0.75, 0.5])
    assert steps.screen(values, 0.75).tolist() == [True, True, False]
    assert steps.screen(values, 0.8).tolist() == [True, False, False]


# ---------------------------------------------------------------- treat


def test_treat_leaves_passing_indicators_alone() -> None:
    values = column(1, 2, 3, 4, 5, 6)
    treated, (record,) = steps.treat(values, ["x"], TreatConfig())
    np.testing.assert_array_equal(treated, values)
    assert record.winsorised_points == 0 and not record.log_transformed and record.passes


def test_treat_winsorises_the_high_outlier() -> None:
    # skew 2.2 and kurtosis 4.99 fail; 1000 becomes the next highest value 4, which passes
    treated, (record,) = steps.treat(column(1, 2, 3, 4, 1000), ["x"], TreatConfig(max_points=1))
    np.testing.assert_array_equal(treated[:, 0], [1, 2, 3, 4, 4])
    assert record.winsorised_points == 1 and not record.log_transformed


def test_treat_winsorises_the_low_side_when_skew_is_negative() -> None:
    treated, (record,) = steps.treat(column(-1000, 1, 2, 3, 4), ["x"], TreatConfig(max_points=1))
    np.testing.assert_array_equal(treated[:, 0], [1, 1, 2, 3, 4])
    assert record.winsorised_points == 1


def test_treat_falls_back_to_log_of_the_original_values() -> None:
    # max_points 1: 1e6 becomes 1e5, which still fails, so winsorising stops and log_CT is applied to the
    # ORIGINAL values (not to the winsorised ones)
    original = np.array([*range(1, 21), 1e3, 1e4, 1e5, 1e6])
    once = original.copy()
    once[-1] = 1e5
    assert abs(scipy.stats.skew(once, bias=False)) >= 2 and scipy.stats.kurtosis(once, bias=False) >= 3.5
    treated, (record,) = steps.treat(original.reshape(-1, 1), ["x"], TreatConfig(max_points=1))
    assert record.log_transformed and record.winsorised_points == 0
    np.testing.assert_allclose(treated[:, 0], np.log(original - 1 + 0.01 * (1e6 - 1)), rtol=1e-15)


def test_treat_tied_maxima_move_together_and_count_once_each() -> None:
    # both 1000s are reassigned in one round: 2 points, even though max_points is 1 (as in COINr)
    treated, (record,) = steps.treat(column(*range(1, 21), 1000, 1000), ["x"], TreatConfig(max_points=1))
    np.testing.assert_array_equal(treated[:, 0], [*range(1, 21), 20, 20])
    assert record.winsorised_points == 2 and not record.log_transformed and record.passes


def test_treat_count_includes_points_moved_in_earlier_rounds() -> None:
    # round 1: 5000 -> 4000 (count 1); round 2: both 4000s -> 3000 (count 2); round 3: three -> 20 (count 3)
    values = column(*range(1, 21), 3000, 4000, 5000)
    rounds = []
    x = values[:, 0].copy()
    for _ in range(3):
        top = x.max()
        x[x == top] = x[x < top].max()
        rounds.append(x.copy())
    fails = [abs(scipy.stats.skew(r, bias=False)) >= 2 and scipy.stats.kurtosis(r, bias=False) >= 3.5
             for r in rounds]
    assert fails == [True, True, False]
    treated, (record,) = steps.treat(values, ["x"], TreatConfig(max_points=3))
    np.testing.assert_array_equal(treated[:, 0], rounds[2])
    assert record.winsorised_points == 3
    _, (early,) = steps.treat(values, ["x"], TreatConfig(max_points=2))
    assert early.log_transformed  # after 2 points it still fails: log of the original values


def test_treat_none_and_fallback_none() -> None:
    values = column(1, 2, 3, 4, 1000)
    untreated, _ = steps.treat(values, ["x"], TreatConfig(method="none", fallback="none"))
    np.testing.assert_array_equal(untreated, values)
    logged, (record,) = steps.treat(values, ["x"], TreatConfig(max_points=0))
    np.testing.assert_allclose(logged[:, 0], np.log(values[:, 0] - 1 + 9.99))
    assert record.log_transformed


# ---------------------------------------------------------------- normalise


def _normalise(values: np.ndarray, tree: IndexTree, **options: object) -> np.ndarray:
    config = parse_pipeline({"steps": [{"normalise": options}]}).steps[0]
    assert isinstance(config, NormaliseConfig)
    return steps.normalise(values, tree.indicators, tree, config)


def test_minmax_with_direction(small_tree: IndexTree) -> None:
    values = np.array([[2.0, 2.0, 2.0, 2.0], [4.0, 4.0, 4.0, 4.0], [6.0, 6.0, 6.0, nan]])
    scores = _normalise(values, small_tree, method="minmax", range=[0, 100])
    np.testing.assert_allclose(scores[:, 0], [0, 50, 100])
    np.testing.assert_allclose(scores[:, 1], [100, 50, 0])  # b has Direction -1
    assert np.isnan(scores[2, 3])
    np.testing.assert_allclose(_normalise(values, small_tree, method="minmax", range=[1, 11])[:, 0], [1, 6, 11])


def test_zscore_to_mean_and_sd(small_tree: IndexTree) -> None:
    values = np.tile(np.array([[2.0], [4.0], [6.0]]), (1, 4))
    scores = _normalise(values, small_tree, method="zscore", mean=10, sd=2)
    np.testing.assert_allclose(scores[:, 0], [8, 10, 12])  # sd of [2, 4, 6] with n - 1 is 2
    np.testing.assert_allclose(scores[:, 1], [12, 10, 8])


def test_rank_and_percentile_rank_give_ties_the_minimum(small_tree: IndexTree) -> None:
    values = np.tile(np.array([[5.0], [1.0], [5.0], [2.0]]), (1, 4))
    np.testing.assert_array_equal(_normalise(values, small_tree, method="rank")[:, 0], [3, 1, 3, 2])
    np.testing.assert_array_equal(_normalise(values, small_tree, method="rank")[:, 1], [1, 4, 1, 3])
    np.testing.assert_allclose(_normalise(values, small_tree, method="percentile_rank")[:, 0], [2 / 3, 0, 2 / 3, 1 / 3])


def test_distance_to_max(small_tree: IndexTree) -> None:
    values = np.tile(np.array([[2.0], [4.0], [6.0]]), (1, 4))
    np.testing.assert_allclose(_normalise(values, small_tree, method="dist2max")[:, 0], [0, 0.5, 1])


def test_distance_to_target_uses_imeta_target(small_tree: IndexTree) -> None:
    tree = small_tree
    values = np.tile(np.array([[1.0], [4.0], [12.0]]), (1, 4))
    config = NormaliseConfig(method="dist2target")
    with pytest.raises(HizoneError, match="needs a Target in iMeta for b, c, d"):
        steps.normalise(values, tree.indicators, tree, config)
    only_a = steps.normalise(values[:, :1], ("a",), tree, config)
    np.testing.assert_allclose(only_a[:, 0], [0, 3 / 9, 11 / 9])  # (x - 1)/(10 - 1)
    capped = steps.normalise(values[:, :1], ("a",), tree, NormaliseConfig(method="dist2target", cap_max=True))
    np.testing.assert_allclose(capped[:, 0], [0, 3 / 9, 1])


def test_goalposts_given_and_flipped_by_direction(small_tree: IndexTree) -> None:
    values = np.tile(np.array([[-5.0], [2.0], [8.0], [15.0]]), (1, 4))
    posts = {code: [0, 10] for code in small_tree.indicators}
    scores = _normalise(values, small_tree, method="goalposts", goalposts=posts)
    np.testing.assert_allclose(scores[:, 0], [0, 0.2, 0.8, 1])
    np.testing.assert_allclose(scores[:, 1], [1, 0.8, 0.2, 0])  # (10 - x)/(10 - 0) for Direction -1
    raw = _normalise(values, small_tree, method="goalposts", goalposts=posts, trunc=False, scale=100)
    np.testing.assert_allclose(raw[:, 0], [-50, 20, 80, 150])


def test_goalposts_missing_are_refused(small_tree: IndexTree) -> None:
    with pytest.raises(HizoneError, match="no goalposts for 'a'"):
        _normalise(np.ones((2, 4)), small_tree, method="goalposts")


# ---------------------------------------------------------------- aggregate and weights


def test_arithmetic_geometric_harmonic_by_hand() -> None:
    membership = np.array([[1.0], [1.0]])
    arithmetic = steps.aggregate_level(np.array([[10.0, 40.0]]), np.array([1.0, 2.0]), membership, "arithmetic")
    assert arithmetic[0, 0] == pytest.approx(30.0)
    geometric = steps.aggregate_level(np.array([[4.0, 16.0]]), np.array([1.0, 1.0]), membership, "geometric")
    assert geometric[0, 0] == pytest.approx(8.0)
    harmonic = steps.aggregate_level(np.array([[2.0, 6.0]]), np.array([1.0, 1.0]), membership, "harmonic")
    assert harmonic[0, 0] == pytest.approx(3.0)


def test_missing_children_are_skipped_with_their_weights() -> None:
    membership = np.array([[1.0], [1.0], [1.0]])
    children = np.array([[10.0, nan, 40.0], [nan, nan, nan]])
    result = steps.aggregate_level(children, np.array([1.0, 5.0, 2.0]), membership, "arithmetic")
    assert result[0, 0] == pytest.approx(30.0) and np.isnan(result[1, 0])
    geometric = steps.aggregate_level(np.array([[4.0, nan, 16.0]]), np.ones(3), membership, "geometric")
    assert geometric[0, 0] == pytest.approx(8.0)


def test_geometric_refuses_non_positive_naming_unit_and_child() -> None:
    with pytest.raises(HizoneError, match=r"p.yaml: geometric aggregation needs values > 0; 'y' of unit 'U2' is 0.0"):
        steps.aggregate_level(np.array([[1.0, 2.0], [3.0, 0.0]]), np.ones(2), np.ones((2, 1)), "geometric",
                              names=(["U1", "U2"], ["x", "y"]), where="p.yaml")
    with pytest.raises(HizoneError, match="harmonic aggregation needs values other than 0"):
        steps.aggregate_level(np.array([[0.0, 2.0]]), np.ones(2), np.ones((2, 1)), "harmonic")


def test_static_weights(small_tree: IndexTree) -> None:
    assert static_weights(small_tree, WeightConfig("meta"))["b"] == 2.0
    assert set(static_weights(small_tree, WeightConfig("equal")).values()) == {1.0}
    given = static_weights(small_tree, WeightConfig("given", (("a", 4.0),)))
    assert given["a"] == 4.0 and given["b"] == 2.0
    with pytest.raises(HizoneError, match="weight given for 'zz'"):
        static_weights(small_tree, WeightConfig("given", (("zz", 1.0),)))
    with pytest.raises(HizoneError, match="all weights of the children of 'Q' are zero"):
        static_weights(small_tree, WeightConfig("given", (("c", 0.0), ("d", 0.0))))


def test_pca_weights_split_equally_between_perfectly_correlated_children() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(pca_weights(np.column_stack([x, 2 * x + 1])), [0.5, 0.5])
    assert pca_weights(np.column_stack([x, x**2, np.array([4.0, 1.0, 3.0, 2.0])])).sum() == pytest.approx(1.0)


def test_entropy_weights_give_a_constant_child_no_weight() -> None:
    children = np.array([[0.0, 5.0], [1.0, 5.0], [3.0, 5.0]])
    np.testing.assert_allclose(entropy_weights(children), [1.0, 0.0])
    # an even spread (shares 1/3, 1/3, 1/3 after shifting) has entropy 1 and so weight 0 against a skewed one
    shares = entropy_weights(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 10.0], [1.0, 0.0]]))
    assert shares[1] > shares[0]


def test_aggregate_tree_with_pca_reports_the_weights_used(small_tree: IndexTree) -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    values = np.column_stack([x, 2 * x, x, 3 * x])
    aggregates, weights = aggregate_tree(values, small_tree, "arithmetic", WeightConfig("pca"), ["u"] * 4)
    assert weights["a"] == pytest.approx(0.5) and weights["c"] == pytest.approx(0.5)
    np.testing.assert_allclose(aggregates[:, 0], 1.5 * x)


# ---------------------------------------------------------------- a whole small pipeline by hand


def test_small_pipeline_by_hand(small_data: IndexData, small_tree: IndexTree) -> None:
    config = parse_pipeline({"steps": [
        {"denominate": {}}, {"impute": {"method": "group_mean", "group": "grp"}},
        {"normalise": {"method": "minmax", "range": [0, 100]}}, {"aggregate": {"method": "arithmetic"}},
    ]})
    result = run_pipeline(small_data, small_tree, config)
    # b/Pop = [2, -, 2, 2, 3]; U2 (east) takes east's mean 2; d of U3 (west) takes (8 + 6)/2 = 7
    np.testing.assert_allclose(result.stage("imputed").column("b"), [2, 2, 2, 2, 3])
    np.testing.assert_allclose(result.stage("imputed").column("d"), [2, 4, 7, 8, 6])
    a = np.array([0, 25, 50, 75, 100])
    b = np.array([100, 100, 100, 100, 0])  # -b = [-2, -2, -2, -2, -3]
    c = np.array([4 - 2, 8 - 2, 6 - 2, 0, 10 - 2]) / 8 * 100
    d = (np.array([2, 4, 7, 8, 6]) - 2) / 6 * 100
    normalised = result.stage("normalised")
    for code, expected in zip("abcd", (a, b, c, d), strict=True):
        np.testing.assert_allclose(normalised.column(code), expected)
    pillar_p = (a + 2 * b) / 3
    pillar_q = (c + d) / 2
    aggregated = result.aggregated
    np.testing.assert_allclose(aggregated.column("P"), pillar_p)
    np.testing.assert_allclose(aggregated.column("Q"), pillar_q)
    np.testing.assert_allclose(aggregated.column("Top"), (pillar_p + 3 * pillar_q) / 4)
    assert aggregated.codes == small_tree.codes
    assert result.config is config and result.stage("treated") is not None
    np.testing.assert_array_equal(result.stage("treated").values, result.stage("screened").values)
