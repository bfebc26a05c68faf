"""COINr's ASEM example through the pipeline of the brief, checked stage by stage against a second,
plain, loop-based implementation written here from /work/shared/methods/composite-index.md.

The reference shares no code with the engine: it reads the CSV files itself and works on Python lists,
one unit and one indicator at a time.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from hizone.evaluate import IndexData, IndexTree, PipelineResult, parse_pipeline, run_pipeline
from hizone.evaluate.config import ImputeConfig
from hizone.evaluate.steps import impute, rank_min

from .conftest import ASEM

Column = list[float | None]
Table = dict[str, Column]

ASEM_PIPELINE = {"steps": [
    {"denominate": {}},
    {"impute": {"method": "group_mean", "group": "EurAsia_group"}},
    {"screen": {"min_availability": 0.9}},
    {"treat": {"method": "winsorise", "max_points": 5, "skew": 2, "kurtosis": 3.5, "fallback": "log_ct"}},
    {"normalise": {"method": "minmax", "range": [0, 100]}},
    {"aggregate": {"method": "arithmetic"}},
]}


# ---------------------------------------------------------------- the reference implementation


def ref_read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def ref_number(text: str) -> float | None:
    return None if text.strip() in ("", "NA") else float(text)


def ref_present(xs: Column) -> list[float]:
    return [x for x in xs if x is not None]


def ref_mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def ref_r_mean(xs: list[float]) -> float:
    """R's mean() (src/main/summary.c, real_mean), which COINr's i_mean_grp calls: an in-order sum in long
    double, divided by n, plus the mean of the residuals summed the same way, rounded to double."""
    total = np.longdouble(0)
    for x in xs:
        total += np.longdouble(x)
    mean = total / len(xs)
    residuals = np.longdouble(0)
    for x in xs:
        residuals += np.longdouble(x) - mean
    return float(mean + residuals / len(xs))


def ref_rank_min(xs: Column) -> Column:
    """R's rank(x, ties.method = "min", na.last = "keep"): 1 + how many values are smaller."""
    present = ref_present(xs)
    return [None if x is None else 1.0 + sum(1 for y in present if y < x) for x in xs]


def ref_skew(xs: list[float]) -> float:
    n = len(xs)
    m = ref_mean(xs)
    d = [x - m for x in xs]
    g = math.sqrt(n) * sum(v**3 for v in d) / sum(v**2 for v in d) ** 1.5
    return g * math.sqrt(n * (n - 1)) / (n - 2)


def ref_kurt(xs: list[float]) -> float:
    n = len(xs)
    m = ref_mean(xs)
    d = [x - m for x in xs]
    r = n * sum(v**4 for v in d) / sum(v**2 for v in d) ** 2
    return ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))


def ref_passes(xs: Column) -> bool:
    values = ref_present(xs)
    return abs(ref_skew(values)) < 2 or ref_kurt(values) < 3.5


def ref_treat(xs: Column, max_points: int = 5) -> Column:
    """COINr's winsorise + log_CT fallback, one point set per round, counting as COINr does."""
    if ref_passes(xs):
        return list(xs)
    x = list(xs)
    high_points: list[int] = []
    low_points: list[int] = []
    while not ref_passes(x) and len(high_points) + len(low_points) < max_points:
        values = ref_present(x)
        if ref_skew(values) >= 0:
            top = max(values)
            high_points = [i for i, v in enumerate(x) if v == top]
            below = max(v for v in values if v != top)
            for i in high_points:
                x[i] = below
        else:
            bottom = min(values)
            low_points = [i for i, v in enumerate(x) if v == bottom]
            above = min(v for v in values if v != bottom)
            for i in low_points:
                x[i] = above
    if ref_passes(x):
        return x
    original = ref_present(xs)
    low, high = min(original), max(original)
    return [None if v is None else math.log(v - low + 0.01 * (high - low)) for v in xs]


class Reference:
    """The ASEM build, stage by stage, in plain Python."""

    def __init__(self) -> None:
        meta = ref_read(ASEM / "ASEM_iMeta.csv")
        rows = ref_read(ASEM / "ASEM_iData.csv")
        self.indicators = [m["iCode"] for m in meta if m["Type"] == "Indicator"]
        self.meta = {m["iCode"]: m for m in meta}
        self.units = [row["uCode"] for row in rows]
        self.region = [row["EurAsia_group"] for row in rows]
        self.raw: Table = {code: [ref_number(row[code]) for row in rows] for code in self.indicators}
        self.denominators: Table = {
            m["iCode"]: [ref_number(row[m["iCode"]]) for row in rows] for m in meta if m["Type"] == "Denominator"
        }
        self.denominated = self.denominate()
        self.imputed = self.impute()
        self.kept = self.screen()
        self.screened: Table = {code: [col[i] for i in self.kept] for code, col in self.imputed.items()}
        self.treated: Table = {code: ref_treat(col) for code, col in self.screened.items()}
        self.normalised = self.normalise()
        self.aggregated = self.aggregate()

    def denominate(self) -> Table:
        result: Table = {}
        for code, col in self.raw.items():
            name = self.meta[code]["Denominator"]
            if not name:
                result[code] = list(col)
                continue
            denominator = self.denominators[name]
            result[code] = [None if x is None or d is None else x / d for x, d in zip(col, denominator, strict=True)]
        return result

    def impute(self) -> Table:
        result: Table = {}
        for code, col in self.denominated.items():
            filled = list(col)
            for i, value in enumerate(col):
                if value is None:
                    same = [v for v, g in zip(col, self.region, strict=True) if g == self.region[i] and v is not None]
                    filled[i] = ref_r_mean(same)
            result[code] = filled
        return result

    def screen(self) -> list[int]:
        kept = []
        for i in range(len(self.units)):
            have = sum(1 for code in self.indicators if self.imputed[code][i] is not None)
            if have / len(self.indicators) >= 0.9:
                kept.append(i)
        return kept

    def normalise(self) -> Table:
        result: Table = {}
        for code, col in self.treated.items():
            direction = float(self.meta[code]["Direction"])
            flipped = [None if v is None else v * direction for v in col]
            low, high = min(ref_present(flipped)), max(ref_present(flipped))
            result[code] = [None if v is None else (v - low) / (high - low) * 100 for v in flipped]
        return result

    def aggregate(self) -> Table:
        scores: Table = dict(self.normalised)
        aggregates = [m for m in self.meta.values() if m["Type"] == "Aggregate"]
        for level in sorted({int(m["Level"]) for m in aggregates}):
            for node in (m for m in aggregates if int(m["Level"]) == level):
                children = [m["iCode"] for m in self.meta.values() if m["Parent"] == node["iCode"]]
                column: Column = []
                for i in range(len(self.kept)):
                    pairs = [(scores[c][i], float(self.meta[c]["Weight"])) for c in children]
                    pairs = [(v, w) for v, w in pairs if v is not None]
                    column.append(sum(v * w for v, w in pairs) / sum(w for _, w in pairs) if pairs else None)
                scores[node["iCode"]] = column
        return scores


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference()


@pytest.fixture(scope="module")
def result(asem_data: IndexData, asem_tree: IndexTree) -> PipelineResult:
    return run_pipeline(asem_data, asem_tree, parse_pipeline(ASEM_PIPELINE, "asem.yaml"))


def assert_stage_matches(result: PipelineResult, stage: str, expected: Table, units: list[str]) -> None:
    got = result.stage(stage)
    assert list(got.unit_codes) == units
    assert set(expected) <= set(got.codes)
    for code, column in expected.items():
        want = np.array([math.nan if v is None else v for v in column])
        np.testing.assert_allclose(got.column(code), want, rtol=1e-10, atol=1e-10, err_msg=f"{stage}/{code}")


# ---------------------------------------------------------------- the checks


@pytest.mark.parametrize("stage", ["raw", "denominated", "imputed", "screened", "treated", "normalised",
                                   "aggregated"])
def test_asem_stage_matches_reference(result: PipelineResult, reference: Reference, stage: str) -> None:
    expected = {
        "raw": reference.raw, "denominated": reference.denominated, "imputed": reference.imputed,
        "screened": reference.screened, "treated": reference.treated, "normalised": reference.normalised,
        "aggregated": reference.aggregated,
    }[stage]
    units = reference.units if stage in ("raw", "denominated", "imputed") else [reference.units[i]
                                                                                 for i in reference.kept]
    assert_stage_matches(result, stage, expected, units)


def test_asem_aggregated_has_every_code_in_tree_order(result: PipelineResult, asem_tree: IndexTree) -> None:
    assert result.aggregated.codes == asem_tree.indicators + asem_tree.aggregates
    assert len(result.aggregated.codes) == 49 + 8 + 2 + 1


def test_asem_treatment_actually_winsorised_something(result: PipelineResult, reference: Reference) -> None:
    changed = [code for code in reference.indicators
               if any(a != b for a, b in zip(reference.screened[code], reference.treated[code], strict=True))]
    assert len(changed) >= 5  # the comparison above is not vacuous
    treated = {t.code for t in result.treatments if t.winsorised_points > 0 or t.log_transformed}
    assert treated == set(changed)


def test_asem_skew_before_treatment_agrees_with_scipy(result: PipelineResult, reference: Reference) -> None:
    for record in result.treatments:
        values = ref_present(reference.screened[record.code])
        assert record.skew_before == pytest.approx(scipy.stats.skew(values, bias=False), rel=1e-10)
        assert record.kurtosis_before == pytest.approx(scipy.stats.kurtosis(values, bias=False), rel=1e-10)


def test_asem_result_carries_its_configuration(result: PipelineResult) -> None:
    assert result.config.to_dict()["steps"][1] == {"impute": {"method": "group_mean", "group": "EurAsia_group"}}
    assert parse_pipeline(result.config.to_dict()) == result.config


def test_asem_with_log_fallback_and_other_methods(asem_data: IndexData, asem_tree: IndexTree) -> None:
    """A stricter treatment forces the log fallback; z-scores and geometric aggregation still match."""
    config = parse_pipeline({"steps": [
        {"denominate": {}}, {"impute": {"method": "group_mean", "group": "EurAsia_group"}},
        {"treat": {"max_points": 1}}, {"normalise": {"method": "zscore", "mean": 10, "sd": 2}},
        {"aggregate": {"method": "geometric"}},
    ]})
    got = run_pipeline(asem_data, asem_tree, config)
    reference = Reference()
    for code in reference.indicators:
        treated = ref_treat(reference.imputed[code], max_points=1)
        want = np.array([math.nan if v is None else v for v in treated])
        np.testing.assert_allclose(got.stage("treated").column(code), want, rtol=1e-10, err_msg=code)
        direction = float(reference.meta[code]["Direction"])
        values = ref_present(treated)
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        z = np.array([(v * direction - mean * direction) / sd * 2 + 10 for v in values])
        np.testing.assert_allclose(got.stage("normalised").column(code), z, rtol=1e-10, err_msg=code)
    assert any(t.log_transformed for t in got.treatments)
    normalised = got.stage("normalised")
    physical = [c for c, m in reference.meta.items() if m["Parent"] == "Physical"]
    expected = np.exp(np.mean([np.log(normalised.column(c)) for c in physical], axis=0))
    np.testing.assert_allclose(got.aggregated.column("Physical"), expected, rtol=1e-12)


def test_asem_screening_of_raw_data_drops_sparse_units(asem_data: IndexData, asem_tree: IndexTree,
                                                        reference: Reference) -> None:
    got = run_pipeline(asem_data, asem_tree, parse_pipeline({"steps": [{"screen": {"min_availability": 0.95}}]}))
    kept = [unit for i, unit in enumerate(reference.units)
            if sum(reference.raw[code][i] is not None for code in reference.indicators) / 49 >= 0.95]
    assert 0 < len(got.screened_out) < 51
    assert list(got.stage("screened").unit_codes) == kept
    assert set(got.screened_out) == set(reference.units) - set(kept)


def test_asem_group_means_are_the_means_r_computes(result: PipelineResult, reference: Reference) -> None:
    """Bit for bit, not within a tolerance: an ulp decides whether an imputed value ties an observed one."""
    imputed = result.stage("imputed")
    for code in reference.indicators:
        want = np.array([math.nan if v is None else v for v in reference.imputed[code]])
        np.testing.assert_array_equal(imputed.column(code), want, err_msg=code)


def test_asem_rank_normalisation_after_treatment_ranks_as_coinr(asem_data: IndexData, asem_tree: IndexTree,
                                                                reference: Reference) -> None:
    """COINr's n_rank is R's rank(ties.method = "min") on the treated values COINr computes: ties exactly where
    the values are equal, no tie between values an ulp apart."""
    steps = [*ASEM_PIPELINE["steps"][:4], {"normalise": {"method": "rank"}}]
    got = run_pipeline(asem_data, asem_tree, parse_pipeline({"steps": steps}, "asem-rank.yaml")).stage("normalised")
    tied = 0
    for code in reference.indicators:
        direction = float(reference.meta[code]["Direction"])
        want = ref_rank_min([None if v is None else v * direction for v in reference.treated[code]])
        np.testing.assert_array_equal(got.column(code), np.array([math.nan if v is None else v for v in want]),
                                      err_msg=code)
        tied += len(want) - len(set(want))
    assert tied > 0  # winsorised points and equal scores do tie: the comparison covers ties


def test_an_imputed_mean_ties_an_observed_value_as_in_r() -> None:
    """mean(c(0.1, 0.2, 0.3)) is exactly 0.2 in R (NumPy's mean gives 0.20000000000000004), so the unit of group
    a imputed with it shares the rank of the units that reported 0.2, as in COINr."""
    values = np.array([[0.1], [0.2], [0.3], [math.nan], [0.2], [0.5]])
    assert np.mean(values[:3]) != 0.2  # the near-tie this guards against
    filled = impute(values, ImputeConfig("group_mean", "g"), {"g": ["a", "a", "a", "a", "b", "b"]})
    assert filled[3, 0] == 0.2
    assert rank_min(filled)[:, 0].tolist() == [1.0, 2.0, 5.0, 2.0, 2.0, 6.0]
